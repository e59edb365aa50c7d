/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "cli_util.h"
#include "clock.h"

volatile sig_atomic_t fc_stop_requested;
uint64_t fc_tsc_hz;
uint64_t fc_tsc_mult;
unsigned fc_tsc_shift;

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

void
fc_clock_init(void)
{
	fc_tsc_hz = rte_get_tsc_hz();
	/* mult = 1e9 * 2^shift / hz must fit in 64 bits: shift 64 needs hz >= 1e9. */
	fc_tsc_shift = fc_tsc_hz >= 1000000000u ? 64 : 32;
	fc_tsc_mult = (uint64_t)(((unsigned __int128)1000000000u << fc_tsc_shift) / fc_tsc_hz);
}
