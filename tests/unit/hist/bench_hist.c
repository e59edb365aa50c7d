/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cost of lib/hist on the two paths that run often, wall clock (suite perf, not part of the
 * unit run: the figures depend on the machine): a worker's fc_hist_record(), inlined and
 * as a call, and the control core's merge + reset of one worker's histogram per interval.
 * The counts are checked, so a figure is only printed for work that was done.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "fc_hist.h"
#include "fc_test.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static __attribute__((noinline)) void
record_noinline(struct fc_hist *h, uint64_t v)
{
	fc_hist_record(h, v);
}

int
main(void)
{
	enum { NV = 1 << 16 };
	static uint64_t v[NV];
	struct fc_hist *h = fc_hist_create(-1);
	struct fc_hist *dst = fc_hist_create(-1);
	const unsigned reps = 400, merges = 100;
	uint64_t t0, t1, t2;

	CHECK(h != NULL && dst != NULL);
	if (h == NULL || dst == NULL)
		return fc_test_result("bench_hist");
	for (unsigned i = 0; i < NV; i++)
		v[i] = 20000 + rnd() % 2000000; /* 20 us .. 2 ms */
	t0 = now_ns();
	for (unsigned r = 0; r < reps; r++)
		for (unsigned i = 0; i < NV; i++)
			fc_hist_record(h, v[i]);
	t1 = now_ns();
	for (unsigned r = 0; r < reps; r++)
		for (unsigned i = 0; i < NV; i++)
			record_noinline(h, v[i]);
	t2 = now_ns();
	printf("record: inline %.2f ns, call %.2f ns per value\n",
		(double)(t1 - t0) / ((double)reps * NV), (double)(t2 - t1) / ((double)reps * NV));
	CHECK_EQ(fc_hist_count(h), 2ull * reps * NV);

	/* control-core cost per worker per interval: merge a full copy, then clear it */
	uint64_t merged = fc_hist_count(h);

	t0 = now_ns();
	for (unsigned i = 0; i < merges; i++) {
		fc_hist_merge(dst, h);
		fc_hist_record(h, 1);
		fc_hist_reset(h);
		fc_hist_record(h, 1); /* keep it non-empty so merge does the work */
	}
	t1 = now_ns();
	printf("merge + reset: %.1f us per histogram\n", (double)(t1 - t0) / merges / 1000);
	/* the first merge takes every recorded value, each later one the single value left */
	CHECK_EQ(fc_hist_count(dst), merged + (merges - 1));
	fc_hist_free(dst);
	fc_hist_free(h);
	return fc_test_result("bench_hist");
}
