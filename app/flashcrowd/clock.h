/* SPDX-License-Identifier: BSD-3-Clause */
/* The app's only clock: TSC, calibrated by EAL, converted to ns. Protocol libraries never
 * read it; workers pass its value down as `now`. */
#ifndef FC_APP_CLOCK_H
#define FC_APP_CLOCK_H

#include <stdint.h>

#include <rte_cycles.h>

extern uint64_t fc_tsc_hz;

/** Call once after rte_eal_init. */
void fc_clock_init(void);

/** TSC to ns without overflow for ~5 centuries at 4 GHz (128-bit intermediate). */
static inline uint64_t
fc_tsc_to_ns(uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)tsc * 1000000000u) / fc_tsc_hz);
}

static inline uint64_t
fc_now_ns(void)
{
	return fc_tsc_to_ns(rte_rdtsc());
}

#endif
