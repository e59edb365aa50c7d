/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app/flashcrowd/answer_order.h: the log of writes that names the connections of the
 * answers to come. The prefetch window (how far ahead, from which entry), the window moving
 * past writes never answered, the log's wrap-around, the verdict that turns the prefetch off
 * for a peer answering out of order and on again, and the prefetch pass itself, with
 * pointers and with connection ids.
 */
#include <stdint.h>

#include <rte_eal.h>

#include "answer_order.h"
#include "fc_test.h"

/* Drain a window (fc_answer_order_next_slot or _tcb); returns how many entries it gave,
 * checking they are want, want+1, ... (mod). */
static unsigned
drain(struct fc_answer_order *o, uint32_t (*next)(struct fc_answer_order *), uint32_t want,
      uint32_t mod)
{
	unsigned n = 0;
	uint32_t s;

	while ((s = next(o)) != UINT32_MAX) {
		CHECK_EQ(s, (want + n) % mod);
		n++;
	}
	return n;
}

#define drain_slots(o, want, mod) drain(o, fc_answer_order_next_slot, want, mod)
#define drain_tcbs(o, want, mod) drain(o, fc_answer_order_next_tcb, want, mod)

static void
test_off_below_min(void)
{
	struct fc_answer_order o;

	CHECK_EQ(fc_answer_order_init(&o, FC_ORDER_MIN_SLOTS - 1, 1, SOCKET_ID_ANY), 0);
	CHECK(o.log == NULL);
	CHECK_EQ(fc_answer_order_written(&o, 5), 0);
	fc_answer_order_answered(&o, 0);
	CHECK_EQ(fc_answer_order_next_slot(&o), UINT32_MAX);
	CHECK_EQ(fc_answer_order_next_tcb(&o), UINT32_MAX);
	fc_answer_order_free(&o);
}

static void
test_window(void)
{
	struct fc_answer_order o;
	const uint32_t mod = 100000;

	CHECK_EQ(fc_answer_order_init(&o, 8192, 2, SOCKET_ID_ANY), 0);
	CHECK(o.log != NULL && o.mask + 1 == 16384);
	for (uint32_t i = 0; i < 200; i++)
		CHECK_EQ(fc_answer_order_written(&o, i), i);
	/* Nothing answered yet: the first SLOT_AHEAD slots, the first TCB_AHEAD TCBs, once. */
	CHECK_EQ(drain_slots(&o, 0, mod), FC_ORDER_SLOT_AHEAD);
	CHECK_EQ(drain_tcbs(&o, 0, mod), FC_ORDER_TCB_AHEAD);
	CHECK_EQ(drain_slots(&o, 0, mod), 0);
	/* Ten answers in order move both windows on by ten. */
	for (uint32_t i = 0; i < 10; i++)
		fc_answer_order_answered(&o, i);
	CHECK_EQ(drain_slots(&o, FC_ORDER_SLOT_AHEAD, mod), 10);
	CHECK_EQ(drain_tcbs(&o, FC_ORDER_TCB_AHEAD, mod), 10);
	/* The answer to write 150: writes 10..149 will never be answered (or were, out of
	 * order); the window starts after 150 and ends at the last write, or TCB_AHEAD on. */
	fc_answer_order_answered(&o, 150);
	CHECK_EQ(drain_slots(&o, 151, mod), 200 - 151);
	CHECK_EQ(drain_tcbs(&o, 151, mod), RTE_MIN(200 - 151, FC_ORDER_TCB_AHEAD));
	/* A late answer (write 20) does not move the window back. */
	fc_answer_order_answered(&o, 20);
	CHECK_EQ(o.answered, 151);
	CHECK_EQ(drain_slots(&o, 0, mod), 0);
	fc_answer_order_free(&o);
}

/* Steady state over many laps of the log: 4000 writes in flight on a 4096-entry log. */
static void
test_wrap(void)
{
	struct fc_answer_order o;
	const uint32_t slots = 4096, inflight = 4000;
	uint32_t bad = 0;

	CHECK_EQ(fc_answer_order_init(&o, slots, 1, SOCKET_ID_ANY), 0);
	CHECK_EQ(o.mask + 1, slots);
	for (uint32_t i = 0; i < inflight; i++)
		fc_answer_order_written(&o, (i * 7) % slots);
	for (uint32_t i = 0; i < 50000; i++) {
		uint32_t s, k = 0;

		fc_answer_order_answered(&o, i);
		fc_answer_order_written(&o, ((i + inflight) * 7) % slots);
		/* The window after answer i begins at write i + 1. */
		while ((s = fc_answer_order_next_slot(&o)) != UINT32_MAX) {
			uint64_t n = o.next_slot - 1;

			bad += s != (uint32_t)((n * 7) % slots);
			k++;
		}
		while (fc_answer_order_next_tcb(&o) != UINT32_MAX)
			;
		if (i > 0)
			bad += k != 1; /* one new entry enters the window per answer */
	}
	CHECK_EQ(bad, 0);
	CHECK(o.on);
	fc_answer_order_free(&o);
}

/* A peer answering in no particular order: off after one period of misses, and the window
 * stays shut; on again after one period of hits. */
static void
test_verdict(void)
{
	struct fc_answer_order o;
	uint32_t seq = 0;

	CHECK_EQ(fc_answer_order_init(&o, 8192, 1, SOCKET_ID_ANY), 0);
	for (uint32_t i = 0; i < 8192; i++)
		seq = fc_answer_order_written(&o, i);
	CHECK_EQ(seq, 8191);
	for (uint32_t i = 0; i < 1000; i++)
		fc_answer_order_answered(&o, i);
	CHECK(o.on);
	/* Answers to writes well behind the window: none is a hit. */
	for (uint32_t i = 0; i < FC_ORDER_CHECK_PERIOD; i++)
		fc_answer_order_answered(&o, (uint32_t)o.answered - 2 * FC_ORDER_SLOT_AHEAD);
	CHECK(!o.on);
	CHECK_EQ(fc_answer_order_next_slot(&o), UINT32_MAX);
	CHECK_EQ(fc_answer_order_next_tcb(&o), UINT32_MAX);
	/* Now in order again. */
	for (uint32_t i = 0; i < FC_ORDER_CHECK_PERIOD; i++) {
		fc_answer_order_answered(&o, (uint32_t)o.answered);
		fc_answer_order_written(&o, i % 8192);
	}
	CHECK(o.answered < o.written);
	CHECK(o.on);
	CHECK(fc_answer_order_next_slot(&o) != UINT32_MAX);
	fc_answer_order_free(&o);
}

/* fc_answer_order_prefetch() consumes both windows, and skips slots with no connection. */
static void
test_prefetch(void)
{
	static struct { void *tcp; char pad[120]; } slots[8192];
	struct fc_answer_order o;

	CHECK_EQ(fc_answer_order_init(&o, 8192, 1, SOCKET_ID_ANY), 0);
	for (uint32_t i = 0; i < 300; i++)
		fc_answer_order_written(&o, i);
	fc_answer_order_prefetch(&o, slots, sizeof(slots[0]), 2, 0);
	CHECK_EQ(o.next_slot, FC_ORDER_SLOT_AHEAD);
	CHECK_EQ(o.next_tcb, FC_ORDER_TCB_AHEAD);
	CHECK_EQ(fc_answer_order_next_slot(&o), UINT32_MAX);
	CHECK_EQ(fc_answer_order_next_tcb(&o), UINT32_MAX);
	fc_answer_order_free(&o);
	/* Off: nothing to do, nothing read. */
	CHECK_EQ(fc_answer_order_init(&o, 16, 1, SOCKET_ID_ANY), 0);
	fc_answer_order_prefetch(&o, NULL, sizeof(slots[0]), 2, 0);
	CHECK_EQ(o.next_slot, 0);
	fc_answer_order_free(&o);
}

/* The id form (the client's slots): the same windows; slots whose id is 0 (no connection)
 * are skipped without resolving it, so no context is needed here. */
static void
test_prefetch_ids(void)
{
	static struct { char pad[24]; uint32_t id; char pad2[36]; } slots[8192];
	struct fc_answer_order o;

	CHECK_EQ(fc_answer_order_init(&o, 8192, 1, SOCKET_ID_ANY), 0);
	for (uint32_t i = 0; i < 300; i++)
		fc_answer_order_written(&o, i);
	fc_answer_order_prefetch_ids(&o, slots, sizeof(slots[0]), 1, 24, NULL);
	CHECK_EQ(o.next_slot, FC_ORDER_SLOT_AHEAD);
	CHECK_EQ(o.next_tcb, FC_ORDER_TCB_AHEAD);
	CHECK_EQ(fc_answer_order_next_tcb(&o), UINT32_MAX);
	fc_answer_order_free(&o);
}

int
main(int argc, char **argv)
{
	(void)argc;
	if (fc_test_eal_init(argv[0], 64) < 0)
		return 1;
	test_off_below_min();
	test_window();
	test_wrap();
	test_verdict();
	test_prefetch();
	test_prefetch_ids();
	return fc_test_result("test_answer_order");
}
