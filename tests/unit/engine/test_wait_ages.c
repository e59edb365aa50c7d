/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app/flashcrowd/wait_ages.h: the gate that lets the client's timeout scan run only when a
 * request or connect may be late. Bucket width from the timeout, nothing late while every
 * wait is young, a late wait seen however many young ones end around it, the oldest bucket
 * moving on as waits end, starts out of time order, and waits older than the ring (which
 * may keep the gate open for nothing, never closed over a late one).
 */
#include <stdint.h>

#include "wait_ages.h"
#include "fc_test.h"

#define MS (UINT64_C(1000000))
#define S (1000 * MS)

static void
test_width(void)
{
	struct fc_wait_ages a;

	/* 2 s / 16 = 125 ms: the widest power of two not above it is 2^26 ns (67 ms). */
	fc_wait_ages_init(&a, 2 * S);
	CHECK_EQ(a.shift, 26);
	CHECK(UINT64_C(1) << a.shift <= 2 * S / 16);
	CHECK(UINT64_C(2) << a.shift > 2 * S / 16);
	/* Below the floor: a millisecond. */
	fc_wait_ages_init(&a, 1 * MS);
	CHECK_EQ(a.shift, FC_WAIT_AGES_MIN_SHIFT);
	/* The ring spans at least two timeouts, so a wait shares no counter before it is late:
	 * 10 s / 16 lies between 2^29 and 2^30 ns, about the narrowest ring for its timeout. */
	fc_wait_ages_init(&a, 10 * S);
	CHECK_EQ(a.shift, 29);
	CHECK(((uint64_t)FC_WAIT_AGES_BUCKETS << a.shift) >= 2 * 10 * S);
	fc_wait_ages_init(&a, 2 * S);
	CHECK(((uint64_t)FC_WAIT_AGES_BUCKETS << a.shift) >= 2 * 2 * S);
}

static void
test_empty_and_young(void)
{
	struct fc_wait_ages a;
	uint64_t t0 = 1000 * S;

	fc_wait_ages_init(&a, 2 * S);
	CHECK(!fc_wait_ages_maybe_late(&a, t0, 2 * S));
	/* A closed loop: waits start and end within milliseconds, for a minute. */
	for (uint64_t t = t0; t < t0 + 60 * S; t += 5 * MS) {
		fc_wait_ages_start(&a, t);
		fc_wait_ages_start(&a, t + 1 * MS);
		fc_wait_ages_end(&a, t);
		CHECK(!fc_wait_ages_maybe_late(&a, t + 3 * MS, 2 * S));
		fc_wait_ages_end(&a, t + 1 * MS);
	}
	CHECK_EQ(a.waiting, 0);
	/* Nothing waits: nothing is late, however long ago the last wait started. */
	CHECK(!fc_wait_ages_maybe_late(&a, t0 + 3600 * S, 2 * S));
}

static void
test_late_among_young(void)
{
	struct fc_wait_ages a;
	uint64_t t0 = 1000 * S, timeout = 2 * S, t;

	fc_wait_ages_init(&a, timeout);
	fc_wait_ages_start(&a, t0);             /* never answered */
	/* Until a bucket before its timeout, nothing may be late. */
	for (t = t0 + 1 * MS; t < t0 + timeout - (UINT64_C(1) << a.shift); t += 1 * MS) {
		fc_wait_ages_start(&a, t);
		fc_wait_ages_end(&a, t);
		CHECK(!fc_wait_ages_maybe_late(&a, t, timeout));
	}
	/* From its timeout on (one bucket early at most), the gate stays open. */
	for (; t < t0 + 3 * timeout; t += 1 * MS) {
		fc_wait_ages_start(&a, t);
		fc_wait_ages_end(&a, t);
		if (t > t0 + timeout)
			CHECK(fc_wait_ages_maybe_late(&a, t, timeout));
	}
	CHECK(fc_wait_ages_maybe_late(&a, t0 + timeout + 1, timeout));
	/* The scan found it and failed it: the gate closes, the oldest bucket moves on. */
	fc_wait_ages_end(&a, t0);
	CHECK(!fc_wait_ages_maybe_late(&a, t, timeout));
	CHECK_EQ(a.waiting, 0);
}

static void
test_oldest_moves_on(void)
{
	struct fc_wait_ages a;
	uint64_t t0 = 1000 * S, timeout = 2 * S;

	fc_wait_ages_init(&a, timeout);
	fc_wait_ages_start(&a, t0);
	fc_wait_ages_start(&a, t0 + 1 * S);
	CHECK_EQ(a.oldest, t0 >> a.shift);
	/* The older one ends: the younger one is not late before its own timeout. */
	fc_wait_ages_end(&a, t0);
	CHECK(!fc_wait_ages_maybe_late(&a, t0 + 2 * S + 500 * MS, timeout));
	CHECK_EQ(a.oldest, (t0 + 1 * S) >> a.shift);
	CHECK(fc_wait_ages_maybe_late(&a, t0 + 3 * S + 1, timeout));
	/* A start older than the oldest bucket (a pass's time taken before a later one's). */
	fc_wait_ages_start(&a, t0 - 1 * S);
	CHECK_EQ(a.oldest, (t0 - 1 * S) >> a.shift);
	CHECK(fc_wait_ages_maybe_late(&a, t0 + 1 * S + 1, timeout));
	fc_wait_ages_end(&a, t0 - 1 * S);
	fc_wait_ages_end(&a, t0 + 1 * S);
	CHECK_EQ(a.waiting, 0);
}

static void
test_older_than_the_ring(void)
{
	struct fc_wait_ages a;
	uint64_t t0 = 1000 * S, timeout = 2 * S, span, t;

	fc_wait_ages_init(&a, timeout);
	span = (uint64_t)FC_WAIT_AGES_BUCKETS << a.shift;
	fc_wait_ages_start(&a, t0);             /* stuck: its scan never fails it */
	/* Far beyond the ring, young waits come and go in its bucket's counter too. */
	for (t = t0 + 1 * MS; t < t0 + 3 * span; t += 7 * MS) {
		fc_wait_ages_start(&a, t);
		if (t > t0 + timeout)
			CHECK(fc_wait_ages_maybe_late(&a, t, timeout));
		fc_wait_ages_end(&a, t);
	}
	CHECK(fc_wait_ages_maybe_late(&a, t, timeout));
	fc_wait_ages_end(&a, t0);
	CHECK_EQ(a.waiting, 0);
	CHECK(!fc_wait_ages_maybe_late(&a, t, timeout));
}

int
main(void)
{
	/* Plain arithmetic on a struct: no EAL needed. */
	test_width();
	test_empty_and_young();
	test_late_among_young();
	test_oldest_moves_on();
	test_older_than_the_ring();
	return fc_test_result("test_wait_ages");
}
