/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal definitions of lib/tcp: the TCB, the context, and the functions the source files
 * share. Not installed. Tests include it to inspect state.
 */
#ifndef TCP_INTERNAL_H
#define TCP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_tcp.h>

#include "fc_tcp.h"

/* Sequence-number comparisons modulo 2^32 (RFC 9293 §3.4). */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)
#define SEQ_MAX(a, b) (SEQ_GT(a, b) ? (a) : (b))
#define SEQ_MIN(a, b) (SEQ_LT(a, b) ? (a) : (b))

/* TCP flag bits as in the header byte. */
#define TH_FIN RTE_TCP_FIN_FLAG
#define TH_SYN RTE_TCP_SYN_FLAG
#define TH_RST RTE_TCP_RST_FLAG
#define TH_PSH RTE_TCP_PSH_FLAG
#define TH_ACK RTE_TCP_ACK_FLAG

#define TCP_HDRS_LEN (RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr))
#define TCP_MAX_WSCALE 14 /* RFC 7323 §2.3 */
#define TCP_DEFAULT_MSS 536 /* RFC 9293 §3.7.1 when the peer sends no MSS option */
/* Payloads up to this size are copied into the header mbuf instead of being attached as
 * indirect mbufs: an indirect mbuf costs more than copying a few cache lines. */
#define TCP_TX_COPY_MAX 256

/* Every mbuf lib/tcp builds comes from a stash refilled TCP_MBUF_STASH at a time, whose next
 * TCP_MBUF_PREFETCH entries are prefetched for writing (tcp_mbuf_alloc). */
#define TCP_MBUF_STASH 32
#define TCP_MBUF_PREFETCH 4

/* tcb.flags */
#define TF_ACKNOW     0x0001 /* send an ACK at the end of this burst */
#define TF_FIN_QUEUED 0x0002 /* application shut down writing: FIN after the queued data */
#define TF_FIN_SENT   0x0004 /* FIN has been sent at least once (at seq fin_seq) */
#define TF_RCVD_FIN   0x0008 /* peer's FIN accepted */
#define TF_INRECOVERY 0x0010 /* NewReno fast recovery (RFC 6582) */
#define TF_RTT_ON     0x0020 /* an RTT sample is being timed (rtt_seq, rtt_start) */
#define TF_APP_GONE   0x0040 /* on_closed delivered: no more callbacks */
#define TF_PASSIVE    0x0080 /* created by a listener */
#define TF_NO_DELIVER 0x0100 /* fc_tcp_close(): discard payload */
#define TF_WANT_WRITE 0x0200 /* a send was refused: call on_writable when space frees */
#define TF_TS_OK      0x0400 /* timestamps negotiated */
#define TF_WS_OK      0x0800 /* window scaling negotiated */
#define TF_RTO_ON     0x1000 /* rto_tick is armed (retransmission, persist, TW, FW2) */
#define TF_DELACK     0x2000 /* a delayed ACK is pending */
#define TF_IN_TXLIST  0x4000 /* queued on ctx->ack_list for the output pass (tcp_flush_acks) */
#define TF_VISIBLE    0x8000 /* the application knows the connection (active, or accepted) */

/* Lists per timer-wheel slot (tcp_timer.c); a power of two. */
#define TCP_WHEEL_WAYS 8

/* Distinct callback tables a context interns (tcb_set_ops()); more fall back to tcb.ops. */
#define TCP_OPS_TAB 16

/* tcb.flags2 */
#define TF2_SACK_OK   0x01   /* SACK-permitted exchanged (RFC 2018 §2) */
#define TF2_SQ_MBUFS  0x02   /* the send queue holds mbufs (sq_head != NULL) */
#define TF2_HOLD      0x04   /* the application holds received bytes (rcv_hold != 0) */

/* RFC 7323 §3.2: NOP NOP TS(10). */
#define TCP_TS_OPT_LEN 12
/* RFC 2018 §3: NOP NOP SACK(2 + 8n); 3 blocks fit next to timestamps, 4 without. */
#define TCP_SACK_MAX_BLOCKS 4

/* Per-mbuf dynamic field: links and sequence numbers for the send and out-of-order queues. */
struct tcp_mb_meta {
	struct rte_mbuf *next; /* next packet (each may be a chain) in the queue */
	uint32_t seq;          /* OOO: sequence number of the first payload byte */
	uint32_t fin : 1;      /* OOO: the segment carried FIN */
	uint32_t stamp : 31;   /* OOO: arrival order (ctx->ooo_stamp), for RFC 2018 §4 */
};

/*
 * Transmission control block, RFC 9293 §3.3.1. Four cache lines, of which a request-response
 * exchange touches the first two (TCB_HOT_LINES, static assert below): at 50,000 connections
 * per side every line it touches is a miss, and the TCBs of both sides share one L3 with
 * everything else. Indices instead of pointers where a 32-bit index is enough.
 *
 * What the exchange does not touch lives from the third line on, and hot flags or counts
 * tell when a cold field matters: sq_head behind TF2_SQ_MBUFS, ooo behind ooo_cnt, rcv_hold
 * behind TF2_HOLD, ops behind ops_i, the wheel links behind tm_tick (tcp_timer.c), and
 * max_snd_wnd and ssthresh behind the checks that need them (see their comments).
 */
struct tcb {
	/* Send sequence space (RFC 9293 §3.3.1). snd_max is the highest seq ever sent
	 * (snd_nxt goes back to snd_una after an RTO, go-back-N). There is no SND.WL2: the
	 * window is updated only from ACKs at or above SND.UNA (§3.10.7.4), and every WL2
	 * was such an ACK, so "SND.WL2 =< SEG.ACK" always holds where it is asked. */
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t snd_max;
	uint32_t snd_wnd;      /* scaled */
	uint32_t snd_wl1;
	/* Receive sequence space. */
	uint32_t rcv_nxt;
	uint32_t rcv_adv;      /* right edge of the window we advertised */
	/* Congestion control, RFC 5681 + RFC 6582 (ssthresh is cold: cwnd_grow()). */
	uint32_t cwnd;
	/* Send queue: first the application's own chunks (sq_ref0, then sq_ref_more[];
	 * fc_tcp_send_ref), then mbufs (sq_head...). sq_seq is the seq of the first
	 * unacknowledged data byte, at offset sq_off in the head chunk: the first reference
	 * while sq_nref > 0, else sq_head. */
	uint32_t sq_seq;
	uint32_t sq_len;       /* bytes queued from sq_seq on */
	uint32_t sq_off;
	uint32_t sq_ref0_len;
	/* RTT estimation, RFC 6298, all in microseconds. */
	uint32_t srtt_us;
	uint32_t rttvar_us;
	uint32_t rto_us;       /* including back-off */
	uint32_t ts_recent;    /* RFC 7323 §4.3 */
	/* Line 1. */
	uint32_t rtt_seq;
	uint32_t rtt_start_us;
	/* Timers (tcp_timer.c): the tick of the wheel slot we sit in (0 = none) and the
	 * deadline of the state timer. */
	uint32_t tm_tick;
	uint32_t rto_tick;
	/* Identity. */
	uint32_t remote_ip;    /* host order */
	uint16_t remote_port;  /* host order */
	uint16_t local_port;   /* host order */
	uint32_t ack_next;     /* ctx->ack_list link */
	uint32_t idx;          /* own index */
	uint16_t flags;        /* TF_* */
	uint16_t mss;          /* send MSS: payload of a full segment, net of the timestamp
				* option (RFC 6691 §2), not of SACK blocks */
	uint8_t state;         /* enum fc_tcp_state */
	uint8_t snd_wscale;
	uint8_t rcv_wscale;
	uint8_t retries;
	uint8_t dupacks;
	uint8_t ooo_cnt;       /* segments in ooo (0 exactly when ooo is NULL) */
	uint8_t acks_pending;  /* segments received since our last ACK (delayed ACK) */
	uint8_t flags2;        /* TF2_* */
	uint8_t sq_nref;       /* references in the send queue (sq_ref_at()) */
	uint8_t ops_i;         /* index in ctx->ops_tab, 0 = the one in ops (tcb_ops()) */
	void *user;            /* tcbs[0].user holds the context (see tcb_ctx()) */
	const uint8_t *sq_ref0;
	/* Line 2 on: what a request-response exchange does not touch. */
	const uint8_t *sq_ref_more[FC_TCP_SEND_REFS - 1];
	uint32_t sq_ref_more_len[FC_TCP_SEND_REFS - 1];
	uint32_t tm_next;      /* timer wheel links (indices into ctx->tcbs, 0 = none) */
	uint32_t tm_prev;
	uint32_t tw_next;      /* TIME_WAIT list links, oldest first (ctx->tw_head; tw_link()) */
	uint32_t tw_prev;
	struct rte_mbuf *sq_head;
	struct rte_mbuf *sq_tail;
	struct rte_mbuf *sq_cur; /* sq_cur/sq_cur_seq: where the newest mbuf send started */
	struct rte_mbuf *ooo;  /* sorted by seq */
	const struct fc_tcp_ops *ops;
	uint32_t sq_cur_seq;
	uint32_t iss;
	uint32_t irs;
	uint32_t recover;      /* RFC 6582 */
	uint32_t ssthresh;
	uint32_t max_snd_wnd;  /* RFC 5961 §5.2 MAX.SND.WND, never below snd_wnd */
	uint32_t rcv_hold;     /* bytes the application holds (fc_tcp_recv_hold), TF2_HOLD */
} __rte_cache_aligned;

#define TCB_HOT_LINES 2

_Static_assert(offsetof(struct tcb, sq_ref_more) <= TCB_HOT_LINES * RTE_CACHE_LINE_SIZE,
	       "tcb: the fields of a request-response exchange beyond TCB_HOT_LINES");
_Static_assert(sizeof(struct tcb) <= 4 * RTE_CACHE_LINE_SIZE, "tcb: beyond four lines");

/* The send queue's i-th reference (i < sq_nref) and its length. */
static inline const uint8_t **
sq_ref_at(struct tcb *t, unsigned i)
{
	return i == 0 ? &t->sq_ref0 : &t->sq_ref_more[i - 1];
}

static inline uint32_t *
sq_ref_len_at(struct tcb *t, unsigned i)
{
	return i == 0 ? &t->sq_ref0_len : &t->sq_ref_more_len[i - 1];
}

/* Flow-table entry: open addressing with linear probing, keyed on the remote side and the
 * local port (the local address is the context's only one). idx 0 = empty. Sixteen bytes,
 * four to a line, so that no entry straddles two lines: with 12, one lookup in eight found
 * idx on the line after the one prefetched, a miss that was 80% of flow_lookup's time at
 * 50,000 connections. */
struct flow_ent {
	uint32_t rip;
	uint32_t ports;        /* remote_port << 16 | local_port */
	uint32_t idx;
	uint32_t pad;
};

_Static_assert(RTE_CACHE_LINE_SIZE % sizeof(struct flow_ent) == 0,
	       "flow_ent: an entry must not straddle two cache lines");

struct tcp_listener {
	uint16_t port;         /* 0 = free slot */
	const struct fc_tcp_ops *ops;
	void *user;
};

/* Local-port allocator: FIFO lists per RSS bucket (a single bucket without RSS), which
 * reuses ports in least-recently-freed order. */
struct tcp_ports {
	uint16_t *next;        /* per port (index port - port_min): next free port index+1 */
	uint16_t *hbits;       /* per port: Toeplitz hash of the local-port-only tuple, low bits */
	uint32_t *tcb;         /* per port: the active open using it (TCB index, 0 = none), so
				* that a reply finds its TCB without the flow table (rx hints) */
	uint32_t nb_ports;     /* port_max - port_min + 1 */
	uint32_t *head;        /* per bucket: first free index+1 (0 = empty) */
	uint32_t *tail;
	uint32_t nb_buckets;
	uint32_t rot;          /* rotating start bucket */
	uint32_t nfree;
};

struct fc_tcp_ctx {
	struct fc_tcp_counters cnt;    /* first: read by other cores */
	struct fc_tcp_config cfg;      /* with defaults filled in */
	uint64_t now_ns;
	uint64_t cur_tick;
	uint64_t tick_inv;             /* UINT64_MAX / cfg.timer_res_ns (ns_to_tick()) */
	uint32_t now_us;               /* now_ns / 1000, truncated (RTT arithmetic) */
	uint32_t ip_id;
	uint32_t chal_count;           /* challenge ACKs sent in the current second */
	uint64_t chal_window;          /* start of that second (ns) */
	uint32_t rcv_wnd_max;          /* cfg.rcv_wnd, capped */
	uint32_t ooo_stamp;            /* arrival counter of out-of-order segments */
	uint8_t rcv_wscale;            /* shift we offer */
	uint8_t in_burst;
	uint16_t nb_listeners;
	struct tcb *tcbs;              /* max_conns + 1 entries, [0] unused */
	uint32_t free_head;            /* free TCB list via tm_next */
	uint32_t nb_used;
	uint32_t nb_synrcvd;
	uint32_t dead_head;            /* TCBs closed in this call, freed at the end, via tm_next */
	uint32_t tw_head;              /* TCBs in TIME_WAIT in the order they entered it, */
	uint32_t tw_tail;              /* oldest first, via tw_next (tw_link()) */
	uint32_t ack_head;             /* TCBs needing an output pass (next fc_tcp_tx_bulk) */
	struct flow_ent *flows;
	uint32_t flow_mask;
	uint32_t *wheel;               /* list heads, TCP_WHEEL_WAYS per slot */
	uint32_t wheel_mask;
	struct rte_mbuf **txq;
	uint32_t txq_mask;
	uint32_t txq_head;             /* next to drain */
	uint32_t txq_tail;             /* next free */
	uint32_t txq_cksum;            /* frames from here to txq_tail wait for their TCP
					* checksum (txq_cksum(), without TX offload) */
	struct tcp_ports ports;
	int meta_off;                  /* dynfield offset of struct tcp_mb_meta */
	uint32_t mbuf_data_off;        /* from an mbuf of cfg.pool to its data after reset */
	uint16_t stash_n;              /* mbufs left in stash[] */
	struct rte_mbuf *stash[TCP_MBUF_STASH]; /* raw mbufs taken from the pool in bulk */
	uint8_t hdr_tmpl[RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr)]; /* constant fields */
	uint32_t ip_sum_base;          /* 16-bit ones' sum of the template's IPv4 header */
	uint32_t ph_sum_base;          /* pseudo-header sum: local address + protocol */
	uint16_t reta[512];
	uint8_t rss_key[40];
	struct tcp_listener listeners[FC_TCP_MAX_LISTENERS];
	/* The distinct fc_tcp_ops a TCB may use, so that the TCB's hot lines hold a byte
	 * (tcb.ops_i) instead of a pointer; [0] unused. */
	const struct fc_tcp_ops *ops_tab[TCP_OPS_TAB];
	size_t per_conn_bytes;
} __rte_cache_aligned;

static inline struct tcp_mb_meta *
mb_meta(const struct fc_tcp_ctx *ctx, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, ctx->meta_off, struct tcp_mb_meta *);
}

/* The TCB array's unused entry 0 stores the context pointer, which saves 8 bytes per TCB. */
static inline struct fc_tcp_ctx *
tcb_ctx(const struct tcb *t)
{
	return (struct fc_tcp_ctx *)(t - t->idx)->user;
}

/* The callbacks of @t: from the context's table, or the TCB's cold pointer when it was full. */
static inline const struct fc_tcp_ops *
tcb_ops(const struct fc_tcp_ctx *ctx, const struct tcb *t)
{
	return t->ops_i != 0 ? ctx->ops_tab[t->ops_i] : t->ops;
}

static inline struct tcb *
tcb_of(struct fc_tcp_ctx *ctx, uint32_t idx)
{
	return &ctx->tcbs[idx];
}

static inline uint64_t
ns_to_tick(const struct fc_tcp_ctx *ctx, uint64_t ns)
{
	/*
	 * ceil(ns / timer_res_ns) without a division by a run-time value on every armed timer:
	 * the quotient from the reciprocal is exact or one short, which the remainder tells.
	 */
	uint64_t res = ctx->cfg.timer_res_ns;
	uint64_t q = (uint64_t)(((unsigned __int128)ns * ctx->tick_inv) >> 64);
	uint64_t r = ns - q * res;

	if (r >= res) {
		q++;
		r -= res;
	}
	return q + (r != 0);
}

/* Flow-table hash of (remote address, remote port << 16 | local port). */
static inline uint32_t
flow_hash(uint32_t rip, uint32_t ports)
{
	uint64_t k = ((uint64_t)rip << 32) | ports;

	k *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(k >> 32) ^ (uint32_t)k;
}

/* Prefetch the flow-table line where the lookup of (rip, ports) starts, and the next one
 * when the probe starts at the line's last entry (linear probing may continue there). */
static inline void
flow_prefetch(const struct fc_tcp_ctx *ctx, uint32_t rip, uint32_t ports)
{
	uint32_t i = flow_hash(rip, ports) & ctx->flow_mask;
	const unsigned per_line = RTE_CACHE_LINE_SIZE / sizeof(struct flow_ent);

	rte_prefetch0(&ctx->flows[i]);
	if ((i & (per_line - 1)) == per_line - 1)
		rte_prefetch0(&ctx->flows[(i + 1) & ctx->flow_mask]);
}

/* tcp_ctx.c */
struct tcb *tcb_alloc(struct fc_tcp_ctx *ctx);
bool tcb_end_time_wait(struct fc_tcp_ctx *ctx, struct tcb *t);
int tcb_reclaim_time_wait(struct fc_tcp_ctx *ctx);
void tcb_set_ops(struct fc_tcp_ctx *ctx, struct tcb *t, const struct fc_tcp_ops *ops);
void tcb_close(struct fc_tcp_ctx *ctx, struct tcb *t, enum fc_tcp_close_reason reason, bool notify);
void tcb_release_dead(struct fc_tcp_ctx *ctx);
void tcb_app_closed(struct fc_tcp_ctx *ctx, struct tcb *t, enum fc_tcp_close_reason reason);
struct tcb *flow_lookup(struct fc_tcp_ctx *ctx, uint32_t rip, uint16_t rport, uint16_t lport);
int flow_insert(struct fc_tcp_ctx *ctx, struct tcb *t);
void flow_remove(struct fc_tcp_ctx *ctx, struct tcb *t);
struct tcp_listener *listener_find(struct fc_tcp_ctx *ctx, uint16_t port);
uint32_t tcp_isn(struct fc_tcp_ctx *ctx, uint32_t rip, uint16_t rport, uint16_t lport);
void tcp_sq_free(struct fc_tcp_ctx *ctx, struct tcb *t);
void tcp_ooo_free(struct fc_tcp_ctx *ctx, struct tcb *t);

/* @t entered TIME_WAIT: to the tail of ctx's TIME_WAIT list, which is oldest first. */
static inline void
tw_link(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	t->tw_next = 0;
	t->tw_prev = ctx->tw_tail;
	if (ctx->tw_tail != 0)
		ctx->tcbs[ctx->tw_tail].tw_next = t->idx;
	else
		ctx->tw_head = t->idx;
	ctx->tw_tail = t->idx;
}

/* tcp_timer.c */
void timer_arm(struct fc_tcp_ctx *ctx, struct tcb *t, uint64_t tick);
void timer_cancel(struct fc_tcp_ctx *ctx, struct tcb *t);
void tcp_set_rto_timer(struct fc_tcp_ctx *ctx, struct tcb *t, uint64_t delay_ns);
void tcp_stop_rto_timer(struct fc_tcp_ctx *ctx, struct tcb *t);
uint64_t tcp_rto_ns(const struct tcb *t);

/* tcp_port.c */
int ports_init(struct fc_tcp_ctx *ctx, int socket_id);
void ports_free(struct fc_tcp_ctx *ctx);
int ports_alloc(struct fc_tcp_ctx *ctx, uint32_t rip, uint16_t rport);
void ports_release(struct fc_tcp_ctx *ctx, uint16_t port);

/* tcp_opts.c */
struct tcp_opts {
	uint16_t mss;          /* 0 = absent */
	uint8_t wscale;        /* valid when has_ws */
	uint8_t has_ws;
	uint8_t sack_ok;
	uint8_t has_ts;
	uint8_t nsack;         /* SACK blocks at @sack (RFC 2018 §3), 0 = none */
	uint32_t ts_val;
	uint32_t ts_ecr;
	const uint8_t *sack;   /* first block (left edge, right edge; network order) */
};
int tcp_parse_opts(const uint8_t *p, unsigned len, bool syn, struct tcp_opts *o);
unsigned tcp_write_syn_opts(const struct fc_tcp_ctx *ctx, const struct tcb *t, uint8_t *p,
	bool ts);
unsigned tcp_write_ts_opt(const struct fc_tcp_ctx *ctx, const struct tcb *t, uint8_t *p);
unsigned tcp_write_sack_opt(const struct fc_tcp_ctx *ctx, const struct tcb *t, uint8_t *p,
	unsigned max_blocks);

/* tcp_output.c */
void tcp_hdr_template_init(struct fc_tcp_ctx *ctx);
int tcp_output(struct fc_tcp_ctx *ctx, struct tcb *t);
void tcp_output_force(struct fc_tcp_ctx *ctx, struct tcb *t);
int tcp_send_ctl(struct fc_tcp_ctx *ctx, struct tcb *t, uint32_t seq, uint8_t flags);
int tcp_send_seg(struct fc_tcp_ctx *ctx, struct tcb *t, uint32_t seq, uint32_t len, uint8_t flags);
void tcp_send_rst_raw(struct fc_tcp_ctx *ctx, uint32_t rip, uint16_t rport, uint16_t lport,
	uint32_t seq, uint32_t ack, uint8_t flags);
void txq_push(struct fc_tcp_ctx *ctx, struct rte_mbuf *m);
struct rte_mbuf *tcp_mbuf_alloc(struct fc_tcp_ctx *ctx);
void tcp_mbuf_stash_free(struct fc_tcp_ctx *ctx);
void tcp_flush_acks(struct fc_tcp_ctx *ctx);
void tcp_retransmit_head(struct fc_tcp_ctx *ctx, struct tcb *t);

/* tcp_input.c */
void tcp_timer_fire(struct fc_tcp_ctx *ctx, struct tcb *t);

/* The window we can offer now; never moves the right edge left (RFC 9293 §3.8.6.2.1). */
static inline uint32_t
tcp_rcv_window(const struct fc_tcp_ctx *ctx, const struct tcb *t)
{
	uint32_t hold = (t->flags2 & TF2_HOLD) ? t->rcv_hold : 0;
	uint32_t w = ctx->rcv_wnd_max > hold ? ctx->rcv_wnd_max - hold : 0;

	if (SEQ_GT(t->rcv_adv, t->rcv_nxt + w))
		w = t->rcv_adv - t->rcv_nxt;
	return w;
}

/* Option bytes reserved for SACK blocks in the next segment of @t (RFC 2018 §3): enough for
 * every block we may send, at most as many blocks as queued segments. */
static inline uint32_t
tcp_sack_reserve(const struct tcb *t)
{
	uint32_t n;

	if (t->ooo_cnt == 0 || !(t->flags2 & TF2_SACK_OK))
		return 0;
	n = (t->flags & TF_TS_OK) ? TCP_SACK_MAX_BLOCKS - 1 : TCP_SACK_MAX_BLOCKS;
	if (t->ooo_cnt < n)
		n = t->ooo_cnt;
	return 4 + 8 * n;
}

/* Largest payload of the next segment: MSS less the SACK blocks it will carry (RFC 6691 §2:
 * the sender reduces the data for the options it sends). */
static inline uint32_t
tcp_seg_max(const struct tcb *t)
{
	uint32_t r = tcp_sack_reserve(t);

	/* A tiny MSS keeps its full payload; full segments then carry no blocks. */
	return t->mss >= 2 * r ? t->mss - r : t->mss;
}

/* Ask for an output pass: at once outside a burst, else once at the next fc_tcp_tx_bulk()
 * (tcp_flush_acks), so a burst of segments is answered with one cumulative ACK. */
static inline void
tcp_kick(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	if (!ctx->in_burst) {
		tcp_output(ctx, t);
		return;
	}
	if (!(t->flags & TF_IN_TXLIST)) {
		t->flags |= TF_IN_TXLIST;
		t->ack_next = ctx->ack_head;
		ctx->ack_head = t->idx;
	}
}

static inline void
tcp_ack_later(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	t->flags |= TF_ACKNOW;
	tcp_kick(ctx, t);
}

#endif /* TCP_INTERNAL_H */
