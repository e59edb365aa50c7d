/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by the lib/results sources; not installed. */
#ifndef RESULTS_PRIVATE_H
#define RESULTS_PRIVATE_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* printf into an error buffer (NULL or 0 length: nothing). */
void fc_res_err(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The member at a dotted path ("requests.errors.total"), or NULL. */
const cJSON *fc_res_get(const cJSON *root, const char *path);

/* The fields in which two JSON values differ, "PATH: A vs B; ..." into buf; at the top
 * level the keys output, tags and baseline are skipped (they do not describe the load).
 * Returns how many differ. */
unsigned fc_res_diff(const cJSON *a, const cJSON *b, char *buf, size_t len);

#endif
