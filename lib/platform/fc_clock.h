/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The one clock. The TSC, calibrated by EAL, read here and nowhere else, and converted to
 * nanoseconds. Protocol and engine code never read it: the worker loops read it once per
 * pass and pass it down as `now`, so every rule below them runs on a fake clock in tests.
 */
#ifndef FC_CLOCK_H
#define FC_CLOCK_H

#include <stdint.h>

#include <rte_cycles.h>

extern uint64_t fc_tsc_hz;      /**< TSC ticks per second (after fc_clock_init()) */
extern uint64_t fc_tsc_mult;    /**< ns per TSC tick, fixed point with fc_tsc_shift fraction bits */
extern unsigned fc_tsc_shift;   /**< fraction bits of fc_tsc_mult */

/** Calibrate the conversion; call once after rte_eal_init(). */
void fc_clock_init(void);

/**
 * TSC ticks to ns with one multiply: the obvious formula divides (tens of cycles) and runs
 * several times per request. With 64 fraction bits (TSC >= 1 GHz) the relative error is
 * below 2^-63; below 1 GHz 32 bits are used (error < 1 ns per second).
 * @param tsc  TSC ticks
 * @return nanoseconds
 */
static inline uint64_t
fc_tsc_to_ns(uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)tsc * fc_tsc_mult) >> fc_tsc_shift);
}

/** @return the TSC now, in ticks (for cycle counts) */
static inline uint64_t
fc_clock_cycles(void)
{
	return rte_rdtsc();
}

/** @return the clock now, in ns since an arbitrary origin */
static inline uint64_t
fc_now_ns(void)
{
	return fc_tsc_to_ns(fc_clock_cycles());
}

/** A clock as a function, for code that waits for a bound (fake in tests). */
typedef uint64_t (*fc_clock_fn)(void);

/** fc_now_ns() as an fc_clock_fn. @return ns */
uint64_t fc_clock_ns(void);

#endif
