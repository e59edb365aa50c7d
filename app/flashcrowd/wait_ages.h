/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How many requests and connects a client worker is waiting on, counted by when each
 * started, so that its timeout scan runs only when one of them may be late.
 *
 * The timeout scan reads every connection slot once per period (a sixteenth of the shorter
 * timeout). At 50,000 connections that is half a million cold slots a second, each two
 * cache lines, for timeouts that a healthy run never has: misses that buy nothing.
 * Instead, each wait is counted in the bucket
 * of its start time (start >> shift), and the worker keeps the oldest bucket that may still
 * hold one. While that bucket started less than a timeout ago, nothing can be late and the
 * scan is skipped; otherwise the scan runs as before and finds the late ones.
 *
 * The buckets are a ring. A wait older than the ring shares its counter with a younger one;
 * that only keeps the oldest bucket from moving on, so the scan runs when it need not, never
 * the other way round. Every start must be matched by exactly one end with the same time.
 */
#ifndef FC_APP_WAIT_AGES_H
#define FC_APP_WAIT_AGES_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Buckets in the ring. Each is a power of two of nanoseconds, between a 32nd and a 16th of
 * the shorter timeout, so the ring spans two timeouts or more. */
#define FC_WAIT_AGES_BUCKETS 64
/* Narrowest bucket: 2^20 ns, about a millisecond. */
#define FC_WAIT_AGES_MIN_SHIFT 20

struct fc_wait_ages {
	uint32_t count[FC_WAIT_AGES_BUCKETS];   /* waits started in bucket b, at b % BUCKETS */
	uint64_t waiting;                       /* all waits counted */
	uint64_t oldest;                        /* no wait counted in a bucket before this one */
	uint8_t shift;                          /* bucket of time t: t >> shift */
};

/* Buckets no wider than @p timeout_ns / 16 (the shorter of the timeouts checked). */
static inline void
fc_wait_ages_init(struct fc_wait_ages *a, uint64_t timeout_ns)
{
	uint64_t width = timeout_ns / 16;

	memset(a, 0, sizeof(*a));
	a->shift = FC_WAIT_AGES_MIN_SHIFT;
	while (a->shift < 62 && (UINT64_C(2) << a->shift) <= width)
		a->shift++;
}

/* A wait that started at @p t_ns (a request sent, a connect begun). */
static inline void
fc_wait_ages_start(struct fc_wait_ages *a, uint64_t t_ns)
{
	uint64_t b = t_ns >> a->shift;

	if (a->waiting++ == 0 || b < a->oldest)
		a->oldest = b;
	a->count[b % FC_WAIT_AGES_BUCKETS]++;
}

/* The wait that started at @p t_ns ended (answered, failed, connected, closed). */
static inline void
fc_wait_ages_end(struct fc_wait_ages *a, uint64_t t_ns)
{
	a->count[(t_ns >> a->shift) % FC_WAIT_AGES_BUCKETS]--;
	a->waiting--;
}

/*
 * May a wait counted here have started more than @p timeout_ns before @p now_ns? False
 * means none has; true means one may have (the caller looks). Moves the oldest bucket on
 * past the empty ones.
 */
static inline bool
fc_wait_ages_maybe_late(struct fc_wait_ages *a, uint64_t now_ns, uint64_t timeout_ns)
{
	uint64_t now_b = now_ns >> a->shift;

	if (a->waiting == 0)
		return false;
	for (unsigned k = 0; k < FC_WAIT_AGES_BUCKETS && a->oldest < now_b &&
	     a->count[a->oldest % FC_WAIT_AGES_BUCKETS] == 0; k++)
		a->oldest++;
	/* The oldest bucket's start is at or before every wait in it. */
	return now_ns - (a->oldest << a->shift) > timeout_ns;
}

#endif /* FC_APP_WAIT_AGES_H */
