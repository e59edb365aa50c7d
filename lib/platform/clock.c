/* SPDX-License-Identifier: BSD-3-Clause */
#include "fc_clock.h"

uint64_t fc_tsc_hz;
uint64_t fc_tsc_mult;
unsigned fc_tsc_shift;

void
fc_clock_init(void)
{
	fc_tsc_hz = rte_get_tsc_hz();
	/* mult = 1e9 * 2^shift / hz must fit in 64 bits: shift 64 needs hz >= 1e9. */
	fc_tsc_shift = fc_tsc_hz >= 1000000000u ? 64 : 32;
	fc_tsc_mult = (uint64_t)(((unsigned __int128)1000000000u << fc_tsc_shift) / fc_tsc_hz);
}

uint64_t
fc_clock_ns(void)
{
	return fc_now_ns();
}
