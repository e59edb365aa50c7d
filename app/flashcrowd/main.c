/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder entry point while the libraries land; replaced by the CLI in the next commit. */
#include <stdio.h>
int main(void) { fprintf(stderr, "flashcrowd: not built yet\n"); return 1; }
