/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test harness for lib/tcp: an in-memory wire between two stack contexts with a fake clock
 * and seeded loss, duplication, reordering and delay; plus helpers that build and parse
 * single segments for tests that talk to one context directly (lwIP tcp_helper style).
 */
#ifndef TCP_WIRE_H
#define TCP_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "fc_tcp.h"

#define WIRE_MAX_PENDING 16384
/* RTE_IPV4() shifts a signed int (UB for 198 << 24): build addresses unsigned. */
#define IPV4U(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define IP_A IPV4U(198, 18, 0, 1)
#define IP_B IPV4U(198, 18, 0, 2)

struct wire_pkt {
	struct rte_mbuf *m;
	uint64_t at;
	uint64_t order;
};

/** Return true to drop the frame (dir 0: a->b, 1: b->a). */
typedef bool (*wire_filter_t)(void *arg, int dir, struct rte_mbuf *m);

struct wire {
	struct fc_tcp_ctx *ctx[2];
	struct rte_mempool *pool;
	uint64_t now;
	uint64_t step_ns;
	uint64_t delay_ns;
	uint64_t jitter_ns;
	double loss;
	double dup;
	double reorder;
	uint64_t reorder_ns;
	uint64_t rng;
	bool mark_cksum_good;
	wire_filter_t filter;
	void *filter_arg;
	struct wire_pkt pend[2][WIRE_MAX_PENDING];
	unsigned npend[2];
	uint64_t order;
	uint64_t sent[2], lost[2], duped[2], reordered[2];
};

struct seg_info {
	uint32_t seq, ack;
	uint16_t wnd;
	uint8_t flags;
	uint32_t len;
	uint16_t sport, dport;
	uint16_t mss;      /* MSS option, 0 when absent */
	int wscale;        /* -1 when absent */
	bool ts;
};

void wire_init(struct wire *w, struct rte_mempool *pool, uint64_t seed);
struct fc_tcp_config wire_default_cfg(struct rte_mempool *pool, uint32_t ip);
/* Move frames from both contexts onto the wire and deliver those that are due. */
void wire_pump(struct wire *w);
/* Advance the fake clock by dt, running timers and the wire. */
void wire_advance(struct wire *w, uint64_t dt);
/* Run until cond(arg) is true or the clock reaches limit_ns; returns cond's last value. */
bool wire_run_until(struct wire *w, bool (*cond)(void *), void *arg, uint64_t limit_ns);
void wire_flush(struct wire *w); /* free everything in flight */

double wire_rand(struct wire *w);

/* Parse a frame built by the stack; false when it is not a valid IPv4/TCP frame. */
bool seg_parse(struct rte_mbuf *m, struct seg_info *si);
/* Build a valid frame from (src_ip:sport) to (dst_ip:dport) with optional options and data. */
struct rte_mbuf *seg_build(struct rte_mempool *mp, uint32_t src_ip, uint16_t sport,
	uint32_t dst_ip, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
	const uint8_t *opts, unsigned optlen, const void *data, unsigned len);

#endif
