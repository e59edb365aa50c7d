/* SPDX-License-Identifier: BSD-3-Clause */
/* The app's only clock: TSC, calibrated by EAL, converted to ns. Protocol libraries never
 * read it; workers pass its value down as `now`. */
#ifndef FC_APP_CLOCK_H
#define FC_APP_CLOCK_H

#include <stdint.h>

#include <rte_cycles.h>

extern uint64_t fc_tsc_hz;
extern uint64_t fc_tsc_mult;    /* ns per TSC tick, fixed point with fc_tsc_shift fraction bits */
extern unsigned fc_tsc_shift;

/** Call once after rte_eal_init. */
void fc_clock_init(void);

/*
 * TSC to ns with one multiply: a 128-bit division per call (the obvious formula) costs tens of
 * cycles and runs several times per request. With 64 fraction bits (TSC >= 1 GHz) the
 * relative error is below 2^-63; below 1 GHz 32 bits are used (error < 1 ns per second).
 */
static inline uint64_t
fc_tsc_to_ns(uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)tsc * fc_tsc_mult) >> fc_tsc_shift);
}

static inline uint64_t
fc_now_ns(void)
{
	return fc_tsc_to_ns(rte_rdtsc());
}

#endif
