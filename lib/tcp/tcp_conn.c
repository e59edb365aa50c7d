/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * User calls on connections (RFC 9293 §3.10.1-3.10.5): OPEN (active), SEND, CLOSE, ABORT,
 * and the receive-window hold.
 */
#include <errno.h>
#include <string.h>

#include "tcp_internal.h"

struct fc_tcp_conn *
fc_tcp_connect(struct fc_tcp_ctx *ctx, uint32_t remote_ip, uint16_t remote_port,
	const struct fc_tcp_ops *ops, void *user, uint64_t now)
{
	struct tcb *t;
	int port;

	if (ctx == NULL || ops == NULL || remote_ip == 0 || remote_port == 0) {
		errno = EINVAL;
		return NULL;
	}
	if (now > ctx->now_ns) {
		ctx->now_ns = now;
		ctx->now_us = (uint32_t)(now / 1000);
	}
	/* Out of TCBs, the oldest TIME_WAIT gives its own (tcb_reclaim_time_wait()). */
	if (ctx->free_head == 0 && tcb_reclaim_time_wait(ctx) != 0) {
		ctx->cnt.pool_full++;
		errno = ENOMEM;
		return NULL;
	}
	port = ports_alloc(ctx, remote_ip, remote_port);
	if (port < 0) {
		errno = EADDRNOTAVAIL;
		return NULL;
	}
	t = tcb_alloc(ctx);
	t->remote_ip = remote_ip;
	t->remote_port = remote_port;
	t->local_port = (uint16_t)port;
	t->state = FC_TCP_SYN_SENT;
	t->flags = TF_VISIBLE;
	tcb_set_ops(ctx, t, ops);
	t->user = user;
	t->iss = tcp_isn(ctx, remote_ip, remote_port, t->local_port);
	t->snd_una = t->iss;
	t->snd_nxt = t->snd_max = t->iss; /* raised after the first SYN: no retransmission */
	t->sq_seq = t->iss + 1;
	t->recover = t->iss;
	t->mss = ctx->cfg.mss;
	t->rcv_wscale = ctx->rcv_wscale;
	t->rto_us = (uint32_t)(ctx->cfg.rto_init_ns / 1000);
	t->rtt_start_us = ctx->now_us;
	if (flow_insert(ctx, t) < 0) {
		/* Cannot happen while ports are unique per context; keep the pool consistent. */
		t->state = FC_TCP_CLOSED;
		t->tm_next = ctx->dead_head;
		ctx->dead_head = t->idx;
		tcb_release_dead(ctx);
		errno = EADDRNOTAVAIL;
		return NULL;
	}
	ctx->ports.tcb[t->local_port - ctx->cfg.port_min] = t->idx;
	ctx->cnt.connects++;
	tcp_send_ctl(ctx, t, t->iss, TH_SYN);
	t->snd_nxt = t->snd_max = t->iss + 1;
	tcp_set_rto_timer(ctx, t, tcp_rto_ns(t));
	return (struct fc_tcp_conn *)t;
}

static int
send_check(const struct tcb *t)
{
	if (t->state == FC_TCP_CLOSED || (t->flags & TF_APP_GONE))
		return -ENOTCONN;
	if (t->flags & TF_FIN_QUEUED)
		return -EPIPE;
	return 0;
}

static void
sq_append(struct fc_tcp_ctx *ctx, struct tcb *t, struct rte_mbuf *m)
{
	mb_meta(ctx, m)->next = NULL;
	if (t->sq_tail != NULL)
		mb_meta(ctx, t->sq_tail)->next = m;
	else
		t->sq_head = m;
	t->sq_tail = m;
	t->flags2 |= TF2_SQ_MBUFS;
}

int
fc_tcp_send(struct fc_tcp_conn *c, struct rte_mbuf *m)
{
	struct tcb *t = (struct tcb *)c;
	struct fc_tcp_ctx *ctx = tcb_ctx(t);
	int rc = send_check(t);

	if (rc < 0)
		return rc;
	if (m == NULL || m->pkt_len == 0)
		return -EINVAL;
	if ((uint64_t)t->sq_len + m->pkt_len > ctx->cfg.snd_buf) {
		t->flags |= TF_WANT_WRITE;
		return -EAGAIN;
	}
	sq_append(ctx, t, m);
	t->sq_len += m->pkt_len;
	if (t->state != FC_TCP_SYN_SENT && t->state != FC_TCP_SYN_RCVD)
		tcp_kick(ctx, t);
	return (int)m->pkt_len;
}

void
fc_tcp_conn_prefetch(const struct fc_tcp_conn *c)
{
	const char *t = (const char *)c;

	for (unsigned l = 0; l < TCB_HOT_LINES; l++)
		rte_prefetch0(t + l * RTE_CACHE_LINE_SIZE);
}

uint32_t
fc_tcp_send_space(const struct fc_tcp_conn *c)
{
	const struct tcb *t = (const struct tcb *)c;
	uint32_t buf = tcb_ctx(t)->cfg.snd_buf;

	return t->sq_len < buf ? buf - t->sq_len : 0;
}

/* The checks of a copying or referencing send, and how many of @len bytes the send buffer
 * takes now (*@n > 0 on success; fewer than @len arms on_writable). */
static __rte_always_inline int
send_accept(struct tcb *t, const void *p, size_t len, uint32_t *n)
{
	int rc = send_check(t);

	if (rc < 0)
		return rc;
	if (p == NULL || len == 0)
		return -EINVAL;
	*n = (uint32_t)RTE_MIN((size_t)fc_tcp_send_space((struct fc_tcp_conn *)t), len);
	if (*n < len)
		t->flags |= TF_WANT_WRITE;
	return *n == 0 ? -EAGAIN : 0;
}

int
fc_tcp_send_copy(struct fc_tcp_conn *c, const void *p, size_t len)
{
	struct tcb *t = (struct tcb *)c;
	struct fc_tcp_ctx *ctx = tcb_ctx(t);
	const uint8_t *src = p;
	uint32_t n, done = 0;
	struct rte_mbuf *tail = t->sq_tail;
	int rc = send_accept(t, p, len, &n);

	if (rc < 0)
		return rc;
	/* Fill the tailroom of the last queued mbuf: in-flight indirect mbufs reference only
	 * bytes before it, so appending is safe when the buffer is our own direct one. */
	if (tail != NULL && tail->nb_segs == 1 && RTE_MBUF_DIRECT(tail) &&
			rte_mbuf_refcnt_read(tail) >= 1) {
		uint32_t room = RTE_MIN((uint32_t)rte_pktmbuf_tailroom(tail), n);

		if (room > 0) {
			memcpy(rte_pktmbuf_mtod_offset(tail, uint8_t *, tail->data_len), src, room);
			tail->data_len = (uint16_t)(tail->data_len + room);
			tail->pkt_len += room;
			done = room;
		}
	}
	while (done < n) {
		struct rte_mbuf *m = tcp_mbuf_alloc(ctx);
		uint32_t k;

		if (m == NULL) {
			ctx->cnt.mbuf_alloc_fails++;
			break;
		}
		k = RTE_MIN((uint32_t)rte_pktmbuf_tailroom(m), n - done);
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), src + done, k);
		m->data_len = (uint16_t)k;
		m->pkt_len = k;
		sq_append(ctx, t, m);
		done += k;
	}
	t->sq_len += done;
	if (done == 0)
		return -ENOMEM;
	if (t->state != FC_TCP_SYN_SENT && t->state != FC_TCP_SYN_RCVD)
		tcp_kick(ctx, t);
	return (int)done;
}

int
fc_tcp_send_ref(struct fc_tcp_conn *c, const void *p, size_t len)
{
	struct tcb *t = (struct tcb *)c;
	uint32_t n;
	int rc;

	/* Chunks precede the mbufs: once data was copied, the rest is copied behind it. */
	if (t->flags2 & TF2_SQ_MBUFS)
		return fc_tcp_send_copy(c, p, len);
	rc = send_accept(t, p, len, &n);
	if (rc < 0)
		return rc;
	if (t->sq_nref > 0 && *sq_ref_at(t, t->sq_nref - 1) + *sq_ref_len_at(t, t->sq_nref - 1) == p) {
		/* The rest of the last chunk (a long reply sent as the window opens). */
		*sq_ref_len_at(t, t->sq_nref - 1) += n;
	} else if (t->sq_nref < FC_TCP_SEND_REFS) {
		*sq_ref_at(t, t->sq_nref) = p;
		*sq_ref_len_at(t, t->sq_nref) = n;
		t->sq_nref++;
	} else {
		return fc_tcp_send_copy(c, p, len);
	}
	t->sq_len += n;
	if (t->state != FC_TCP_SYN_SENT && t->state != FC_TCP_SYN_RCVD)
		tcp_kick(tcb_ctx(t), t);
	return (int)n;
}

int
fc_tcp_shutdown(struct fc_tcp_conn *c)
{
	struct tcb *t = (struct tcb *)c;
	struct fc_tcp_ctx *ctx = tcb_ctx(t);

	if (t->state == FC_TCP_CLOSED || (t->flags & TF_APP_GONE))
		return -ENOTCONN;
	if (t->flags & TF_FIN_QUEUED)
		return 0;
	t->flags |= TF_FIN_QUEUED;
	/* RFC 9293 §3.10.4 CLOSE: FIN after the queued data; the state changes now. */
	if (t->state == FC_TCP_ESTABLISHED)
		t->state = FC_TCP_FIN_WAIT_1;
	else if (t->state == FC_TCP_CLOSE_WAIT)
		t->state = FC_TCP_LAST_ACK;
	else
		return 0; /* SYN_SENT / SYN_RCVD: established() moves to FIN_WAIT_1 */
	tcp_kick(ctx, t);
	return 0;
}

static int
abort_conn(struct tcb *t, enum fc_tcp_close_reason reason)
{
	struct fc_tcp_ctx *ctx = tcb_ctx(t);

	if (t->state == FC_TCP_CLOSED || (t->flags & TF_APP_GONE))
		return -ENOTCONN;
	/* RFC 9293 §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST>, none in SYN-SENT. */
	if (t->state != FC_TCP_SYN_SENT)
		tcp_send_ctl(ctx, t, t->snd_max, TH_RST);
	tcb_close(ctx, t, reason, true);
	return 0;
}

int
fc_tcp_close(struct fc_tcp_conn *c)
{
	struct tcb *t = (struct tcb *)c;

	if (t->state == FC_TCP_CLOSED || (t->flags & TF_APP_GONE))
		return -ENOTCONN;
	if (tcb_ctx(t)->cfg.rst_close)
		return abort_conn(t, FC_TCP_CLOSE_NORMAL);
	t->flags |= TF_NO_DELIVER;
	return fc_tcp_shutdown(c);
}

int
fc_tcp_abort(struct fc_tcp_conn *c)
{
	return abort_conn((struct tcb *)c, FC_TCP_CLOSE_ABORTED);
}

unsigned
fc_tcp_abort_all(struct fc_tcp_ctx *ctx)
{
	unsigned n = 0;

	for (uint32_t i = 1; i <= ctx->cfg.max_conns; i++) {
		struct tcb *t = &ctx->tcbs[i];

		if ((t->flags & (TF_APP_GONE | TF_VISIBLE)) == TF_VISIBLE &&
		    abort_conn(t, FC_TCP_CLOSE_ABORTED) == 0)
			n++;
	}
	return n;
}

int
fc_tcp_recv_hold(struct fc_tcp_conn *c, uint32_t bytes)
{
	struct tcb *t = (struct tcb *)c;

	if (t->state == FC_TCP_CLOSED || (t->flags & TF_APP_GONE))
		return -ENOTCONN;
	t->rcv_hold = (uint64_t)t->rcv_hold + bytes > UINT32_MAX ? UINT32_MAX : t->rcv_hold + bytes;
	if (t->rcv_hold != 0)
		t->flags2 |= TF2_HOLD;
	return 0;
}

int
fc_tcp_recv_release(struct fc_tcp_conn *c, uint32_t bytes)
{
	struct tcb *t = (struct tcb *)c;
	struct fc_tcp_ctx *ctx = tcb_ctx(t);
	uint32_t before, after;

	if (t->state == FC_TCP_CLOSED || (t->flags & TF_APP_GONE))
		return -ENOTCONN;
	before = SEQ_GT(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
	t->rcv_hold -= RTE_MIN(bytes, t->rcv_hold);
	if (t->rcv_hold == 0)
		t->flags2 &= (uint8_t)~TF2_HOLD;
	after = tcp_rcv_window(ctx, t);
	/* Receiver SWS avoidance (RFC 9293 §3.8.6.2.2): announce only a useful opening. */
	if (after - before >= RTE_MIN((uint32_t)ctx->cfg.mss, ctx->rcv_wnd_max / 2))
		tcp_ack_later(ctx, t);
	return 0;
}
