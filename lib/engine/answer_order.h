/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which connection the next segments will be for, from the order this side wrote to them.
 *
 * In a closed loop the peer answers in the order it was written to: the client's n-th
 * response answers its n-th request (the server serves its RX ring in order), and the
 * server's n-th request is the client's answer to its n-th response. So a log of the
 * connection (slot index) of every write names, long before a frame arrives, the
 * connection it will be for. With thousands of connections a segment's slot and TCB are
 * cold, and lib/tcp can only start fetching them from the frame: a chain of misses (frame,
 * hint entry, TCB, slot) with one burst to overlap them in. Prefetched from the log, they
 * are there when the frame is.
 *
 * The guess is checked against what does arrive: each write gets its number in the log,
 * which the caller keeps with it, and an answer whose write is within the window the
 * prefetch covers is a hit (the order inside a burst may differ: lib/tcp sends a pass's
 * segments in its own order). An answer also moves the window on past its write, so writes
 * never answered (closed connections) do not hold it back. When fewer than one answer in
 * four is a hit (a peer that does not answer in order), the prefetch stops, and starts
 * again once they are. A wrong guess costs useless prefetches, nothing else.
 */
#ifndef ANSWER_ORDER_H
#define ANSWER_ORDER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "fc_tcp.h"

/* From this many connection slots on (fewer stay in cache anyway). */
#define FC_ORDER_MIN_SLOTS 4096
/* How many answers ahead a slot is prefetched, and the TCB (read from the slot, which
 * has arrived by then): far enough to cover a DRAM miss, as measured at 50,000 connections. */
#define FC_ORDER_SLOT_AHEAD 96
#define FC_ORDER_TCB_AHEAD 48
/* Answers per accuracy verdict. */
#define FC_ORDER_CHECK_PERIOD 4096

struct fc_answer_order {
	uint32_t *log;          /* slot of each write, by write number modulo the size */
	uint32_t mask;          /* log size - 1 */
	bool on;                /* prefetching (the last verdict) */
	uint64_t written;       /* writes logged */
	uint64_t answered;      /* the window's start: one past the newest write answered */
	uint64_t next_slot;     /* next log entry whose slot is prefetched */
	uint64_t next_tcb;      /* next log entry whose TCB is prefetched */
	uint32_t checks;        /* answers in the current verdict period */
	uint32_t hits;          /* of which within the window the prefetch covered */
};

/*
 * Set up for @p nb_slots connections with @p depth writes in flight on each, or leave the
 * log off (NULL) below FC_ORDER_MIN_SLOTS. The log holds every write in flight, so no entry
 * is overwritten before its answer.
 * @return 0, or -ENOMEM
 */
static inline int
fc_answer_order_init(struct fc_answer_order *o, uint32_t nb_slots, uint32_t depth, int socket)
{
	uint32_t n;

	memset(o, 0, sizeof(*o));
	if (nb_slots < FC_ORDER_MIN_SLOTS)
		return 0;
	n = rte_align32pow2(nb_slots * (depth ? depth : 1));
	o->log = rte_zmalloc_socket("fc_answer_order", sizeof(*o->log) * n, 64, socket);
	if (o->log == NULL)
		return -ENOMEM;
	o->mask = n - 1;
	o->on = true;
	return 0;
}

static inline void
fc_answer_order_free(struct fc_answer_order *o)
{
	rte_free(o->log);
	o->log = NULL;
}

/* A write to slot @p slot, which will be answered: its number, for
 * fc_answer_order_answered(). */
static inline uint32_t
fc_answer_order_written(struct fc_answer_order *o, uint32_t slot)
{
	if (o->log == NULL)
		return 0;
	o->log[o->written & o->mask] = slot;
	return (uint32_t)o->written++;
}

/* The answer to write number @p seq arrived. */
static inline void
fc_answer_order_answered(struct fc_answer_order *o, uint32_t seq)
{
	int32_t d;

	if (o->log == NULL)
		return;
	d = (int32_t)(seq - (uint32_t)o->answered);
	o->hits += d > -FC_ORDER_SLOT_AHEAD && d < FC_ORDER_SLOT_AHEAD;
	if (d >= 0)
		o->answered += (uint64_t)d + 1;
	if (++o->checks == FC_ORDER_CHECK_PERIOD) {
		o->on = o->hits >= FC_ORDER_CHECK_PERIOD / 4;
		o->checks = o->hits = 0;
	}
}

/*
 * The next slot to prefetch, ahead of the answers (UINT32_MAX: none now). A pass drains
 * the slots with fc_answer_order_next_slot(), then the TCBs with fc_answer_order_next_tcb().
 */
static inline uint32_t
fc_answer_order_next(const struct fc_answer_order *o, uint64_t *next, uint32_t ahead)
{
	uint64_t end = o->answered + ahead;

	if (end > o->written)
		end = o->written;
	if (*next < o->answered)
		*next = o->answered;
	if (*next >= end)
		return UINT32_MAX;
	return o->log[(*next)++ & o->mask];
}

static inline uint32_t
fc_answer_order_next_slot(struct fc_answer_order *o)
{
	return o->on ? fc_answer_order_next(o, &o->next_slot, FC_ORDER_SLOT_AHEAD) : UINT32_MAX;
}

static inline uint32_t
fc_answer_order_next_tcb(struct fc_answer_order *o)
{
	return o->on ? fc_answer_order_next(o, &o->next_tcb, FC_ORDER_TCB_AHEAD) : UINT32_MAX;
}

/* The first @p lines lines of each slot the window gained. */
static inline void
fc_answer_order_prefetch_slots(struct fc_answer_order *o, const char *base, size_t slot_size,
			       unsigned lines)
{
	uint32_t s;

	while ((s = fc_answer_order_next_slot(o)) != UINT32_MAX)
		for (unsigned l = 0; l < lines; l++)
			rte_prefetch0(base + (size_t)s * slot_size + l * RTE_CACHE_LINE_SIZE);
}

/*
 * Prefetch what the window gained since the last call: the first @p lines lines of each
 * slot of @p slots (an array of @p slot_size bytes per slot, the hot ones), then the TCBs
 * of the connections the slots point to at @p tcp_off (a struct fc_tcp_conn *, NULL when
 * closed).
 */
static inline void
fc_answer_order_prefetch(struct fc_answer_order *o, const void *slots, size_t slot_size,
			 unsigned lines, size_t tcp_off)
{
	const char *base = slots;
	uint32_t s;

	if (o->log == NULL)
		return;
	fc_answer_order_prefetch_slots(o, base, slot_size, lines);
	while ((s = fc_answer_order_next_tcb(o)) != UINT32_MAX) {
		struct fc_tcp_conn *c;

		memcpy(&c, base + (size_t)s * slot_size + tcp_off, sizeof(c));
		if (c != NULL)
			fc_tcp_conn_prefetch(c);
	}
}

/*
 * The same, for slots that hold their connection as a uint32_t fc_tcp_conn_id() at
 * @p id_off (0 when closed), of context @p ctx.
 */
static inline void
fc_answer_order_prefetch_ids(struct fc_answer_order *o, const void *slots, size_t slot_size,
			     unsigned lines, size_t id_off, struct fc_tcp_ctx *ctx)
{
	const char *base = slots;
	uint32_t s, id;

	if (o->log == NULL)
		return;
	fc_answer_order_prefetch_slots(o, base, slot_size, lines);
	while ((s = fc_answer_order_next_tcb(o)) != UINT32_MAX) {
		memcpy(&id, base + (size_t)s * slot_size + id_off, sizeof(id));
		if (id != 0)
			fc_tcp_conn_prefetch(fc_tcp_conn_of(ctx, id));
	}
}

#endif /* ANSWER_ORDER_H */
