/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "cli_util.h"

volatile sig_atomic_t fc_stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	fc_stop_requested = 1;
}

void
fc_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
