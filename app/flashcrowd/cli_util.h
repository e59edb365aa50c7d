/* SPDX-License-Identifier: BSD-3-Clause */
/* Small CLI helpers shared by the subcommands. */
#ifndef FC_APP_CLI_UTIL_H
#define FC_APP_CLI_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Exit codes (docs/exit-codes.md). */
#define FC_EXIT_OK 0
#define FC_EXIT_RUNTIME 1
#define FC_EXIT_INPUT 2
#define FC_EXIT_THRESHOLD 99

/** Set by SIGINT/SIGTERM; every loop checks it. */
extern volatile sig_atomic_t fc_stop_requested;

/** Install SIGINT/SIGTERM handlers that set fc_stop_requested. */
void fc_signals_install(void);

#endif
