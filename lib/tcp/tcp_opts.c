/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP options (RFC 9293 §3.2): parsing of MSS, window scale, SACK-permitted, SACK and
 * timestamps, and writing of ours, SACK blocks included (RFC 2018 receiver side).
 */
#include <errno.h>
#include <string.h>

#include "tcp_internal.h"

#define OPT_EOL 0
#define OPT_NOP 1
#define OPT_MSS 2
#define OPT_WS 3
#define OPT_SACK_OK 4
#define OPT_SACK 5
#define OPT_TS 8

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Parse @len bytes of options. Returns 0, or -EINVAL when an option length is illegal
 * (0, 1 or past the end): RFC 9293 §3.1 says to be prepared for that without crashing; the
 * caller drops the segment and counts it. A known option with a wrong length is ignored,
 * like Linux does. MSS and window scale only count on SYN segments (RFC 9293 §3.7.1,
 * RFC 7323 §2.2).
 */
int
tcp_parse_opts(const uint8_t *p, unsigned len, bool syn, struct tcp_opts *o)
{
	unsigned i = 0;

	while (i < len) {
		uint8_t kind = p[i], olen;

		if (kind == OPT_EOL)
			break;
		if (kind == OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return -EINVAL;
		olen = p[i + 1];
		if (olen < 2 || i + olen > len)
			return -EINVAL;
		switch (kind) {
		case OPT_MSS:
			if (olen == 4 && syn)
				o->mss = get16(p + i + 2);
			break;
		case OPT_WS:
			if (olen == 3 && syn) {
				o->has_ws = 1;
				/* RFC 7323 §2.3: a shift above 14 is used as 14. */
				o->wscale = p[i + 2] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : p[i + 2];
			}
			break;
		case OPT_SACK_OK:
			if (olen == 2 && syn)
				o->sack_ok = 1;
			break;
		case OPT_TS:
			if (olen == 10) {
				o->has_ts = 1;
				o->ts_val = get32(p + i + 2);
				o->ts_ecr = get32(p + i + 6);
			}
			break;
		case OPT_SACK:
			/* RFC 2018 §3: 2 + 8n bytes; kept in place, read by whoever needs it. */
			if (olen >= 10 && (olen - 2) % 8 == 0) {
				o->sack = p + i + 2;
				o->nsack = (uint8_t)((olen - 2) / 8);
			}
			break;
		default:
			break;
		}
		i += olen;
	}
	return 0;
}

/* RFC 7323 §3.2: NOP NOP TS(10) keeps the header 4-byte aligned. */
unsigned
tcp_write_ts_opt(const struct fc_tcp_ctx *ctx, const struct tcb *t, uint8_t *p)
{
	p[0] = OPT_NOP;
	p[1] = OPT_NOP;
	p[2] = OPT_TS;
	p[3] = 10;
	/* TSval: a 1 ms clock (RFC 7323 §5.4 allows 1 ms to 1 s per tick). */
	put32(p + 4, (uint32_t)(ctx->now_ns / 1000000));
	put32(p + 8, t->ts_recent);
	return 12;
}

/*
 * SYN and SYN-ACK options: MSS, SACK-permitted and timestamps, window scale; each only on a
 * SYN-ACK when the peer's SYN had it (RFC 7323 §2.2, §3.2; RFC 2018 §2). The layout is the
 * one Linux uses, 20 bytes with everything: MSS, SACK-permitted + TS (12 bytes, no padding
 * needed), NOP + WS.
 */
unsigned
tcp_write_syn_opts(const struct fc_tcp_ctx *ctx, const struct tcb *t, uint8_t *p, bool ts)
{
	unsigned n = 0;
	uint16_t mss = ctx->cfg.mss;
	bool passive = t->flags & TF_PASSIVE;
	bool sack = passive ? (t->flags2 & TF2_SACK_OK) : ctx->cfg.sack > 0;

	p[n++] = OPT_MSS;
	p[n++] = 4;
	p[n++] = (uint8_t)(mss >> 8);
	p[n++] = (uint8_t)mss;
	if (ts) {
		n += tcp_write_ts_opt(ctx, t, p + n);
		if (sack) {
			/* SACK-permitted takes the place of the two NOPs before TS. */
			p[n - 12] = OPT_SACK_OK;
			p[n - 11] = 2;
		}
	} else if (sack) {
		p[n++] = OPT_NOP;
		p[n++] = OPT_NOP;
		p[n++] = OPT_SACK_OK;
		p[n++] = 2;
	}
	/* RFC 7323 §2.2: offer WS on SYN; on SYN-ACK only when the peer offered it. */
	if (!passive || (t->flags & TF_WS_OK)) {
		p[n++] = OPT_NOP;
		p[n++] = OPT_WS;
		p[n++] = 3;
		p[n++] = t->rcv_wscale;
	}
	return n;
}

/* A run of contiguous out-of-order data and its most recent arrival. */
struct sack_blk {
	uint32_t left;
	uint32_t right;
	uint32_t stamp;
};

static inline bool
stamp_newer(uint32_t a, uint32_t b)
{
	return (int32_t)((a - b) << 1) > 0; /* 31-bit stamps, modulo 2^31 */
}

/* Keep @b in @best (sorted newest first, @n of @max used). */
static inline void
blk_offer(struct sack_blk *best, unsigned *n, unsigned max, const struct sack_blk *b)
{
	unsigned i = *n;

	if (i == max) {
		if (!stamp_newer(b->stamp, best[max - 1].stamp))
			return;
		i = max - 1;
	} else {
		(*n)++;
	}
	while (i > 0 && stamp_newer(b->stamp, best[i - 1].stamp)) {
		best[i] = best[i - 1];
		i--;
	}
	best[i] = *b;
}

/*
 * SACK option for the out-of-order queue of @t (RFC 2018 §3, §4): NOP NOP SACK with up to
 * @max_blocks blocks. The first block holds the segment that arrived last; the others follow
 * newest first, so that each block is repeated in several ACKs while it is recent (§4).
 * Returns the option length (0 when nothing is queued or @max_blocks is 0).
 */
unsigned
tcp_write_sack_opt(const struct fc_tcp_ctx *ctx, const struct tcb *t, uint8_t *p,
	unsigned max_blocks)
{
	struct sack_blk best[TCP_SACK_MAX_BLOCKS], cur;
	struct rte_mbuf *m = t->ooo;
	unsigned n = 0, i;

	if (m == NULL || max_blocks == 0)
		return 0;
	if (max_blocks > TCP_SACK_MAX_BLOCKS)
		max_blocks = TCP_SACK_MAX_BLOCKS;
	cur.left = mb_meta(ctx, m)->seq;
	cur.right = cur.left;
	cur.stamp = mb_meta(ctx, m)->stamp;
	for (; m != NULL; m = mb_meta(ctx, m)->next) {
		const struct tcp_mb_meta *e = mb_meta(ctx, m);
		uint32_t end = e->seq + m->pkt_len;

		if (SEQ_GT(e->seq, cur.right)) {
			/* A hole: the current block is complete. */
			blk_offer(best, &n, max_blocks, &cur);
			cur.left = e->seq;
			cur.right = end;
			cur.stamp = e->stamp;
			continue;
		}
		if (SEQ_GT(end, cur.right))
			cur.right = end;
		if (stamp_newer(e->stamp, cur.stamp))
			cur.stamp = e->stamp;
	}
	blk_offer(best, &n, max_blocks, &cur);
	p[0] = OPT_NOP;
	p[1] = OPT_NOP;
	p[2] = OPT_SACK;
	p[3] = (uint8_t)(2 + 8 * n);
	for (i = 0; i < n; i++) {
		put32(p + 4 + 8 * i, best[i].left);
		put32(p + 8 + 8 * i, best[i].right);
	}
	return 4 + 8 * n;
}
