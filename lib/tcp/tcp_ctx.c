/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Context life cycle, TCB pool, flow table, listeners and the small accessors.
 */
#include <errno.h>
#include <string.h>

#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "tcp_internal.h"

static const struct rte_mbuf_dynfield tcp_meta_desc = {
	.name = "fc_tcp_meta",
	.size = sizeof(struct tcp_mb_meta),
	.align = __alignof__(struct tcp_mb_meta),
};

static uint32_t
pow2_at_least(uint32_t v)
{
	uint32_t p = 1;

	while (p < v && p < (1u << 31))
		p <<= 1;
	return p;
}

static int
config_fill(struct fc_tcp_config *c)
{
	if (c->pool == NULL || c->local_ip == 0)
		return -EINVAL;
	if (c->max_conns == 0)
		c->max_conns = 1024;
	if (c->max_conns > (1u << 24))
		return -EINVAL;
	if (c->mss == 0)
		c->mss = 1460;
	if (c->mss < 64)
		return -EINVAL;
	if (c->ip_ttl == 0)
		c->ip_ttl = 64;
	if (c->rcv_wnd == 0)
		c->rcv_wnd = 65535;
	if (c->rcv_wnd > (1u << 30))
		return -EINVAL;
	if (c->snd_buf == 0)
		c->snd_buf = 256 * 1024;
	if (c->init_cwnd_segs == 0)
		c->init_cwnd_segs = 10;
	if (c->rto_min_ns == 0)
		c->rto_min_ns = 200 * 1000 * 1000ull;
	if (c->rto_init_ns == 0)
		c->rto_init_ns = 1000 * 1000 * 1000ull;
	if (c->rto_max_ns == 0)
		c->rto_max_ns = 60 * 1000 * 1000 * 1000ull;
	/* RTO is kept in microseconds in 32 bits. */
	if (c->rto_max_ns > 4000ull * 1000 * 1000 * 1000 || c->rto_min_ns > c->rto_max_ns)
		return -EINVAL;
	if (c->rto_init_ns < c->rto_min_ns)
		c->rto_init_ns = c->rto_min_ns;
	if (c->syn_retries == 0)
		c->syn_retries = 5;
	if (c->synack_retries == 0)
		c->synack_retries = 4;
	if (c->data_retries == 0)
		c->data_retries = 10;
	if (c->time_wait_ns == 0)
		c->time_wait_ns = 1000 * 1000 * 1000ull;
	if (c->fin_wait2_ns == 0)
		c->fin_wait2_ns = 30 * 1000 * 1000 * 1000ull;
	if (c->delack_ns == 0)
		c->delack_ns = 40 * 1000 * 1000ull;
	if (c->ooo_max_segs == 0)
		c->ooo_max_segs = RTE_MAX(64u, c->rcv_wnd / c->mss + 1);
	if (c->ooo_max_segs > 255)
		c->ooo_max_segs = 255;
	if (c->timestamps == 0)
		c->timestamps = 1;
	if (c->sack == 0)
		c->sack = 1;
	if (c->syn_backlog == 0)
		c->syn_backlog = c->max_conns / 2 ? c->max_conns / 2 : 1;
	if (c->challenge_ack_limit == 0)
		c->challenge_ack_limit = 1000;
	if (c->timer_res_ns == 0)
		c->timer_res_ns = 1000 * 1000;
	if (c->timer_slots == 0)
		c->timer_slots = 4096;
	c->timer_slots = pow2_at_least(c->timer_slots);
	/* Two frames per connection (a segment and an ACK or FIN): when the port is full the
	 * caller stops draining, and this queue, not the wire, holds the backlog. */
	if (c->txq_size == 0)
		c->txq_size = c->max_conns * 2 > 4096 ? c->max_conns * 2 : 4096;
	c->txq_size = pow2_at_least(c->txq_size);
	if (c->port_min == 0)
		c->port_min = 10000;
	if (c->port_max == 0)
		c->port_max = 65535;
	if (c->port_min > c->port_max)
		return -EINVAL;
	if (c->rss_key != NULL) {
		if (c->nb_queues == 0 || c->queue_id >= c->nb_queues)
			return -EINVAL;
		if (c->reta_size == 0)
			c->reta_size = 128;
		if (c->reta_size > 512 || (c->reta_size & (c->reta_size - 1)) != 0)
			return -EINVAL;
	}
	if (rte_pktmbuf_data_room_size(c->pool) < RTE_PKTMBUF_HEADROOM + TCP_HDRS_LEN + 40)
		return -EINVAL;
	return 0;
}

struct fc_tcp_ctx *
fc_tcp_ctx_create(const struct fc_tcp_config *cfg, int socket_id)
{
	struct fc_tcp_ctx *ctx;
	struct fc_tcp_config c;
	uint32_t i, nflows;
	int rc;

	if (cfg == NULL) {
		errno = EINVAL;
		return NULL;
	}
	c = *cfg;
	rc = config_fill(&c);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	ctx = rte_zmalloc_socket("fc_tcp_ctx", sizeof(*ctx), RTE_CACHE_LINE_SIZE, socket_id);
	if (ctx == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	ctx->cfg = c;
	ctx->tick_inv = UINT64_MAX / c.timer_res_ns;
	ctx->meta_off = rte_mbuf_dynfield_register(&tcp_meta_desc);
	if (ctx->meta_off < 0)
		goto fail;
	if (c.rss_key != NULL) {
		memcpy(ctx->rss_key, c.rss_key, sizeof(ctx->rss_key));
		for (i = 0; i < c.reta_size; i++)
			ctx->reta[i] = c.reta != NULL ? c.reta[i] : (uint16_t)(i % c.nb_queues);
	}
	/* RFC 7323 §2.2: the smallest shift that fits the window into 16 bits. */
	ctx->rcv_wnd_max = c.rcv_wnd;
	while (ctx->rcv_wscale < TCP_MAX_WSCALE && (c.rcv_wnd >> ctx->rcv_wscale) > 65535)
		ctx->rcv_wscale++;

	/* On 128-byte pairs of lines (what this CPU's L2 fetches together), like the
	 * application's slots: a TCB's two hot lines are one pair, its two cold ones the other. */
	ctx->tcbs = rte_zmalloc_socket("fc_tcp_tcbs", sizeof(struct tcb) * (c.max_conns + 1),
		2 * RTE_CACHE_LINE_SIZE, socket_id);
	nflows = pow2_at_least(c.max_conns * 2);
	ctx->flows = rte_zmalloc_socket("fc_tcp_flows", sizeof(struct flow_ent) * nflows,
		RTE_CACHE_LINE_SIZE, socket_id);
	ctx->flow_mask = nflows - 1;
	ctx->wheel = rte_zmalloc_socket("fc_tcp_wheel",
		sizeof(uint32_t) * TCP_WHEEL_WAYS * c.timer_slots,
		RTE_CACHE_LINE_SIZE, socket_id);
	ctx->wheel_mask = c.timer_slots - 1;
	ctx->txq = rte_zmalloc_socket("fc_tcp_txq", sizeof(struct rte_mbuf *) * c.txq_size,
		RTE_CACHE_LINE_SIZE, socket_id);
	ctx->txq_mask = c.txq_size - 1;
	if (ctx->tcbs == NULL || ctx->flows == NULL || ctx->wheel == NULL || ctx->txq == NULL)
		goto fail;
	if (ports_init(ctx, socket_id) < 0)
		goto fail;
	ctx->tcbs[0].user = ctx;
	/* rte_pktmbuf_init() puts the buffer right after the mbuf and its private area. */
	ctx->mbuf_data_off = (uint32_t)(sizeof(struct rte_mbuf) + rte_pktmbuf_priv_size(c.pool) +
		RTE_PKTMBUF_HEADROOM);
	tcp_hdr_template_init(ctx);
	/* Free list in ascending index order so that tests see predictable TCBs. */
	for (i = 1; i <= c.max_conns; i++) {
		ctx->tcbs[i].idx = i;
		ctx->tcbs[i].tm_next = i < c.max_conns ? i + 1 : 0;
	}
	ctx->free_head = 1;
	ctx->per_conn_bytes = sizeof(struct tcb) +
		(sizeof(struct flow_ent) * nflows + sizeof(struct rte_mbuf *) * c.txq_size +
		 c.max_conns - 1) / c.max_conns;
	return ctx;
fail:
	ports_free(ctx);
	rte_free(ctx->tcbs);
	rte_free(ctx->flows);
	rte_free(ctx->wheel);
	rte_free(ctx->txq);
	rte_free(ctx);
	errno = ENOMEM;
	return NULL;
}

void
fc_tcp_ctx_free(struct fc_tcp_ctx *ctx)
{
	uint32_t i;

	if (ctx == NULL)
		return;
	for (i = 1; i <= ctx->cfg.max_conns; i++) {
		struct tcb *t = &ctx->tcbs[i];

		if (t->state != FC_TCP_CLOSED)
			tcb_close(ctx, t, FC_TCP_CLOSE_ABORTED, true);
	}
	tcb_release_dead(ctx);
	while (ctx->txq_head != ctx->txq_tail)
		rte_pktmbuf_free(ctx->txq[ctx->txq_head++ & ctx->txq_mask]);
	tcp_mbuf_stash_free(ctx);
	ports_free(ctx);
	rte_free(ctx->tcbs);
	rte_free(ctx->flows);
	rte_free(ctx->wheel);
	rte_free(ctx->txq);
	rte_free(ctx);
}

struct tcb *
tcb_alloc(struct fc_tcp_ctx *ctx)
{
	struct tcb *t;
	uint32_t idx = ctx->free_head;

	if (idx == 0) {
		ctx->cnt.pool_full++;
		return NULL;
	}
	t = &ctx->tcbs[idx];
	ctx->free_head = t->tm_next;
	memset(t, 0, sizeof(*t));
	t->idx = idx;
	ctx->nb_used++;
	return t;
}

/* ---- TIME_WAIT list ---- */

static void
tw_unlink(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	if (t->tw_prev != 0)
		ctx->tcbs[t->tw_prev].tw_next = t->tw_next;
	else
		ctx->tw_head = t->tw_next;
	if (t->tw_next != 0)
		ctx->tcbs[t->tw_next].tw_prev = t->tw_prev;
	else
		ctx->tw_tail = t->tw_prev;
	t->tw_next = t->tw_prev = 0;
}

/*
 * End @t's TIME_WAIT at once and put its TCB on the free list, where the next tcb_alloc()
 * takes it (a SYN that reopens its 4-tuple, or one that needs a TCB). Its queues went at
 * TIME_WAIT's start, and the application's on_closed with them: what tcb_close() and
 * tcb_release_dead() would do is left. Not while the TCB waits for this burst's output pass
 * (TF_IN_TXLIST, e.g. it is ACKing a retransmitted FIN): that list runs through it. A hint
 * of fc_tcp_rx_bulk() that still points here is checked against the 4-tuple before use.
 * Returns false when it cannot.
 */
bool
tcb_end_time_wait(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	if (t->flags & TF_IN_TXLIST)
		return false;
	timer_cancel(ctx, t);
	flow_remove(ctx, t);
	tw_unlink(ctx, t);
	t->state = FC_TCP_CLOSED;
	if (!(t->flags & TF_PASSIVE))
		ports_release(ctx, t->local_port);
	t->tm_next = ctx->free_head;
	ctx->free_head = t->idx;
	ctx->nb_used--;
	return true;
}

/* TIME_WAIT TCBs tcb_reclaim_time_wait() looks at before it gives up. */
#define TW_RECLAIM_SCAN 8

/*
 * Every TCB is in use: the oldest TIME_WAIT ends early and gives its TCB, so that a new
 * connection is not refused for a slot that only guards against old duplicates. Linux does
 * the like when its TIME_WAIT table is full (tcp_max_tw_buckets: a closing socket gets no
 * TIME_WAIT). The oldest has waited longest, so the fewest of its segments can still be in
 * flight; a later SYN for its 4-tuple is judged as a new connection would be. Returns 0 when
 * a TCB was freed, -ENOSPC when none could be.
 */
int
tcb_reclaim_time_wait(struct fc_tcp_ctx *ctx)
{
	uint32_t idx = ctx->tw_head;

	for (unsigned n = 0; idx != 0 && n < TW_RECLAIM_SCAN; n++) {
		struct tcb *t = &ctx->tcbs[idx];

		idx = t->tw_next;
		if (tcb_end_time_wait(ctx, t)) {
			ctx->cnt.time_wait_reclaimed++;
			return 0;
		}
	}
	return -ENOSPC;
}

/* Record @ops in the TCB: as an index in the context's table where it is (or still fits). */
void
tcb_set_ops(struct fc_tcp_ctx *ctx, struct tcb *t, const struct fc_tcp_ops *ops)
{
	t->ops = ops;
	t->ops_i = 0;
	if (ops == NULL)
		return;
	for (unsigned i = 1; i < TCP_OPS_TAB; i++) {
		if (ctx->ops_tab[i] == NULL)
			ctx->ops_tab[i] = ops;
		if (ctx->ops_tab[i] == ops) {
			t->ops_i = (uint8_t)i;
			return;
		}
	}
}

void
tcp_sq_free(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	if (t->flags2 & TF2_SQ_MBUFS) {
		struct rte_mbuf *m = t->sq_head, *n;

		while (m != NULL) {
			n = mb_meta(ctx, m)->next;
			rte_pktmbuf_free(m);
			m = n;
		}
		t->sq_head = t->sq_tail = t->sq_cur = NULL;
		t->flags2 &= (uint8_t)~TF2_SQ_MBUFS;
	}
	t->sq_nref = 0;
	t->sq_len = 0;
	t->sq_off = 0;
}

void
tcp_ooo_free(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	struct rte_mbuf *m, *n;

	if (t->ooo_cnt == 0)
		return;
	for (m = t->ooo; m != NULL; m = n) {
		n = mb_meta(ctx, m)->next;
		rte_pktmbuf_free(m);
	}
	t->ooo = NULL;
	t->ooo_cnt = 0;
}

void
tcb_app_closed(struct fc_tcp_ctx *ctx, struct tcb *t, enum fc_tcp_close_reason reason)
{
	if ((t->flags & (TF_APP_GONE | TF_VISIBLE)) != TF_VISIBLE)
		return;
	t->flags |= TF_APP_GONE;
	if (reason == FC_TCP_CLOSE_NORMAL)
		ctx->cnt.closed++;
	else
		ctx->cnt.drops++;
	if (reason == FC_TCP_CLOSE_TIMEOUT)
		ctx->cnt.conn_timeouts++;
	const struct fc_tcp_ops *ops = tcb_ops(ctx, t);

	if (ops != NULL && ops->on_closed != NULL)
		ops->on_closed((struct fc_tcp_conn *)t, t->user, reason, ctx->now_ns);
}

/*
 * Move a TCB to CLOSED: out of the flow table and the wheel, queues freed, on_closed delivered
 * (once). The memory stays valid until tcb_release_dead(), so that callers up the stack that
 * still hold the pointer see state CLOSED instead of a reused TCB.
 */
void
tcb_close(struct fc_tcp_ctx *ctx, struct tcb *t, enum fc_tcp_close_reason reason, bool notify)
{
	if (t->state == FC_TCP_CLOSED)
		return;
	if (t->state == FC_TCP_SYN_RCVD && (t->flags & TF_PASSIVE) && ctx->nb_synrcvd > 0)
		ctx->nb_synrcvd--;
	if (!(t->flags & TF_VISIBLE) && reason != FC_TCP_CLOSE_NORMAL)
		ctx->cnt.drops++;
	timer_cancel(ctx, t);
	flow_remove(ctx, t);
	if (t->state == FC_TCP_TIME_WAIT)
		tw_unlink(ctx, t);
	t->state = FC_TCP_CLOSED;
	tcp_sq_free(ctx, t);
	tcp_ooo_free(ctx, t);
	if (notify)
		tcb_app_closed(ctx, t, reason);
	t->flags |= TF_APP_GONE;
	t->tm_next = ctx->dead_head;
	ctx->dead_head = t->idx;
}

void
tcb_release_dead(struct fc_tcp_ctx *ctx)
{
	/* A dead TCB may still be linked on the pending-output list (tcp_flush_acks skips it
	 * as CLOSED): empty the list before the TCB can be reused. */
	if (ctx->dead_head != 0)
		tcp_flush_acks(ctx);
	while (ctx->dead_head != 0) {
		struct tcb *t = &ctx->tcbs[ctx->dead_head];

		ctx->dead_head = t->tm_next;
		if (!(t->flags & TF_PASSIVE))
			ports_release(ctx, t->local_port);
		t->tm_next = ctx->free_head;
		ctx->free_head = t->idx;
		ctx->nb_used--;
	}
}

/* ---- flow table ---- */

struct tcb *
flow_lookup(struct fc_tcp_ctx *ctx, uint32_t rip, uint16_t rport, uint16_t lport)
{
	uint32_t ports = (uint32_t)rport << 16 | lport;
	uint32_t i = flow_hash(rip, ports) & ctx->flow_mask;
	uint32_t n;

	/* The table is at most half full, so an empty slot always ends the probe. */
	for (n = 0; n <= ctx->flow_mask; n++, i = (i + 1) & ctx->flow_mask) {
		const struct flow_ent *e = &ctx->flows[i];

		if (e->idx == 0)
			return NULL;
		if (e->rip == rip && e->ports == ports)
			return &ctx->tcbs[e->idx];
	}
	return NULL;
}

int
flow_insert(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	uint32_t ports = (uint32_t)t->remote_port << 16 | t->local_port;
	uint32_t i = flow_hash(t->remote_ip, ports) & ctx->flow_mask;
	uint32_t n;

	for (n = 0; n <= ctx->flow_mask; n++, i = (i + 1) & ctx->flow_mask) {
		struct flow_ent *e = &ctx->flows[i];

		if (e->idx == 0) {
			e->rip = t->remote_ip;
			e->ports = ports;
			e->idx = t->idx;
			return 0;
		}
		if (e->rip == t->remote_ip && e->ports == ports)
			return -EEXIST;
	}
	return -ENOSPC;
}

void
flow_remove(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	uint32_t ports = (uint32_t)t->remote_port << 16 | t->local_port;
	uint32_t i = flow_hash(t->remote_ip, ports) & ctx->flow_mask;
	uint32_t j, n, po = (uint32_t)t->local_port - ctx->cfg.port_min;

	if (po < ctx->ports.nb_ports && ctx->ports.tcb[po] == t->idx)
		ctx->ports.tcb[po] = 0;

	for (n = 0; n <= ctx->flow_mask; n++, i = (i + 1) & ctx->flow_mask) {
		struct flow_ent *e = &ctx->flows[i];

		if (e->idx == 0)
			return;
		if (e->idx == t->idx)
			break;
	}
	if (n > ctx->flow_mask)
		return;
	/* Backward-shift deletion keeps linear-probing chains intact without tombstones. */
	j = i;
	for (n = 0; n <= ctx->flow_mask; n++) {
		struct flow_ent *e;
		uint32_t home;

		j = (j + 1) & ctx->flow_mask;
		e = &ctx->flows[j];
		if (e->idx == 0)
			break;
		home = flow_hash(e->rip, e->ports) & ctx->flow_mask;
		/* Move e into the hole at i unless its home lies cyclically in (i, j]. */
		if (((j - home) & ctx->flow_mask) >= ((j - i) & ctx->flow_mask)) {
			ctx->flows[i] = *e;
			i = j;
		}
	}
	ctx->flows[i].idx = 0;
}

struct tcp_listener *
listener_find(struct fc_tcp_ctx *ctx, uint16_t port)
{
	unsigned i;

	for (i = 0; i < FC_TCP_MAX_LISTENERS; i++)
		if (ctx->listeners[i].port == port && port != 0)
			return &ctx->listeners[i];
	return NULL;
}

/* RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 us
 * clock. jhash is not a cryptographic PRF; good enough for a lab tool, not for the Internet. */
uint32_t
tcp_isn(struct fc_tcp_ctx *ctx, uint32_t rip, uint16_t rport, uint16_t lport)
{
	uint32_t f = rte_jhash_3words(rip, (uint32_t)rport << 16 | lport, ctx->cfg.local_ip,
		ctx->cfg.isn_secret);

	return f + (uint32_t)(ctx->now_ns / 4000);
}

/* ---- public accessors ---- */

int
fc_tcp_listen(struct fc_tcp_ctx *ctx, uint16_t port, const struct fc_tcp_ops *ops, void *user)
{
	unsigned i;

	if (ctx == NULL || port == 0 || ops == NULL)
		return -EINVAL;
	if (listener_find(ctx, port) != NULL)
		return -EADDRINUSE;
	for (i = 0; i < FC_TCP_MAX_LISTENERS; i++) {
		if (ctx->listeners[i].port == 0) {
			ctx->listeners[i].port = port;
			ctx->listeners[i].ops = ops;
			ctx->listeners[i].user = user;
			ctx->nb_listeners++;
			return 0;
		}
	}
	return -ENOSPC;
}

int
fc_tcp_unlisten(struct fc_tcp_ctx *ctx, uint16_t port)
{
	struct tcp_listener *l = listener_find(ctx, port);

	if (l == NULL)
		return -ENOENT;
	memset(l, 0, sizeof(*l));
	ctx->nb_listeners--;
	return 0;
}

void *
fc_tcp_conn_user(const struct fc_tcp_conn *c)
{
	return ((const struct tcb *)c)->user;
}

void *
fc_tcp_conn_app(const struct fc_tcp_conn *c)
{
	return tcb_ctx((const struct tcb *)c)->cfg.app;
}

uint32_t
fc_tcp_conn_id(const struct fc_tcp_conn *c)
{
	return ((const struct tcb *)c)->idx;
}

struct fc_tcp_conn *
fc_tcp_conn_of(struct fc_tcp_ctx *ctx, uint32_t id)
{
	if (id == 0 || id > ctx->cfg.max_conns)
		return NULL;
	return (struct fc_tcp_conn *)tcb_of(ctx, id);
}

void
fc_tcp_conn_set_user(struct fc_tcp_conn *c, const struct fc_tcp_ops *ops, void *user)
{
	struct tcb *t = (struct tcb *)c;

	if (ops != NULL)
		tcb_set_ops(tcb_ctx(t), t, ops);
	t->user = user;
}

uint64_t
tcp_rto_ns(const struct tcb *t)
{
	return (uint64_t)t->rto_us * 1000;
}

int
fc_tcp_conn_get_info(const struct fc_tcp_conn *c, struct fc_tcp_conn_info *info)
{
	const struct tcb *t = (const struct tcb *)c;

	memset(info, 0, sizeof(*info));
	info->state = (enum fc_tcp_state)t->state;
	info->remote_ip = t->remote_ip;
	info->remote_port = t->remote_port;
	info->local_port = t->local_port;
	info->snd_una = t->snd_una;
	info->snd_nxt = t->snd_nxt;
	info->snd_wnd = t->snd_wnd;
	info->rcv_nxt = t->rcv_nxt;
	info->rcv_wnd = tcp_rcv_window(tcb_ctx(t), t);
	info->cwnd = t->cwnd;
	info->ssthresh = t->ssthresh;
	info->mss = t->mss;
	info->rto_ns = tcp_rto_ns(t);
	info->srtt_ns = (uint64_t)t->srtt_us * 1000;
	info->rttvar_ns = (uint64_t)t->rttvar_us * 1000;
	info->snd_queued = t->sq_len;
	info->ooo_segs = t->ooo_cnt;
	info->snd_wscale = t->snd_wscale;
	info->rcv_wscale = t->rcv_wscale;
	info->retries = t->retries;
	return 0;
}

const struct fc_tcp_counters *
fc_tcp_counters(const struct fc_tcp_ctx *ctx)
{
	return &ctx->cnt;
}

uint32_t
fc_tcp_nb_conns(const struct fc_tcp_ctx *ctx)
{
	return ctx->nb_used;
}

size_t
fc_tcp_tcb_size(void)
{
	return sizeof(struct tcb);
}

size_t
fc_tcp_bytes_per_conn(const struct fc_tcp_ctx *ctx)
{
	size_t nports = (size_t)ctx->cfg.port_max - ctx->cfg.port_min + 1;

	/* Port allocator: next + hash bits + TCB index per port, shared by all connections. */
	return ctx->per_conn_bytes + (nports * 8 + ctx->cfg.max_conns - 1) / ctx->cfg.max_conns;
}
