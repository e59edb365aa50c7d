/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP options (RFC 9293 §3.2): parsing of MSS, window scale, SACK-permitted, SACK and
 * timestamps, and writing of ours.
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
		default:
			/* SACK blocks and unknown options are skipped: we never offer SACK. */
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

/* SYN and SYN-ACK options: MSS, window scale (when offered/agreed), timestamps. */
unsigned
tcp_write_syn_opts(const struct fc_tcp_ctx *ctx, const struct tcb *t, uint8_t *p, bool ts)
{
	unsigned n = 0;
	uint16_t mss = ctx->cfg.mss;

	p[n++] = OPT_MSS;
	p[n++] = 4;
	p[n++] = (uint8_t)(mss >> 8);
	p[n++] = (uint8_t)mss;
	/* RFC 7323 §2.2: offer WS on SYN; on SYN-ACK only when the peer offered it. */
	if (!(t->flags & TF_PASSIVE) || (t->flags & TF_WS_OK)) {
		p[n++] = OPT_NOP;
		p[n++] = OPT_WS;
		p[n++] = 3;
		p[n++] = t->rcv_wscale;
	}
	if (ts)
		n += tcp_write_ts_opt(ctx, t, p + n);
	return n;
}
