/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Input path: header validation, demultiplexing, and the RFC 9293 §3.10.7 segment
 * processing with RFC 5961 hardening, RFC 6298 RTT estimation and RFC 5681/6582 congestion
 * control; and the timer handlers (they share the state machine).
 */
#include <errno.h>
#include <string.h>

#include "tcp_cksum.h"
#include "tcp_internal.h"

struct seg {
	uint32_t seq;
	uint32_t ack;
	uint32_t len;       /* payload bytes */
	uint32_t wnd;       /* raw window field */
	uint32_t rip;
	uint16_t rport;
	uint16_t lport;
	uint8_t flags;
	struct tcp_opts opts;
};

/* ---- mbuf helpers for (possibly chained) payload ---- */

static struct rte_mbuf *
mbuf_adj_front(struct rte_mbuf *m, uint32_t n)
{
	while (n > 0 && n >= m->data_len && m->next != NULL) {
		struct rte_mbuf *nx = m->next;

		nx->pkt_len = m->pkt_len - m->data_len;
		nx->nb_segs = (uint16_t)(m->nb_segs - 1);
		n -= m->data_len;
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = nx;
	}
	if (n > 0)
		rte_pktmbuf_adj(m, (uint16_t)n);
	return m;
}

static void
mbuf_trim_to(struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *s = m;
	uint32_t acc = 0;
	uint16_t nseg = 1;

	if (m->pkt_len <= len || len == 0)
		return;
	while (acc + s->data_len < len) {
		acc += s->data_len;
		s = s->next;
		nseg++;
	}
	s->data_len = (uint16_t)(len - acc);
	if (s->next != NULL) {
		rte_pktmbuf_free(s->next);
		s->next = NULL;
	}
	m->nb_segs = nseg;
	m->pkt_len = len;
}

/* ---- RTT and RTO, RFC 6298 ---- */

static void
rto_compute(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	uint64_t g = ctx->cfg.timer_res_ns / 1000;
	uint64_t rto = (uint64_t)t->srtt_us + RTE_MAX(g, 4ull * t->rttvar_us);
	uint64_t lo = ctx->cfg.rto_min_ns / 1000, hi = ctx->cfg.rto_max_ns / 1000;

	t->rto_us = (uint32_t)RTE_MIN(RTE_MAX(rto, lo), hi);
}

static void
rtt_sample(struct fc_tcp_ctx *ctx, struct tcb *t, uint32_t r)
{
	if (t->srtt_us == 0 && t->rttvar_us == 0) {
		/* §2.2 first measurement */
		t->srtt_us = r;
		t->rttvar_us = r / 2;
	} else {
		/* §2.3 with alpha = 1/8, beta = 1/4 */
		uint32_t d = t->srtt_us > r ? t->srtt_us - r : r - t->srtt_us;

		t->rttvar_us = t->rttvar_us - t->rttvar_us / 4 + d / 4;
		t->srtt_us = t->srtt_us - t->srtt_us / 8 + r / 8;
	}
	if (t->srtt_us == 0 && t->rttvar_us == 0)
		t->rttvar_us = 1; /* keep "have a sample" distinguishable; 1 us is noise */
	rto_compute(ctx, t);
}

static inline uint32_t
flight_size(const struct tcb *t)
{
	return t->snd_max - t->snd_una;
}

/* RFC 5681 eq. (4) */
static inline uint32_t
half_flight(const struct tcb *t)
{
	return RTE_MAX(flight_size(t) / 2, 2u * t->mss);
}

/*
 * RFC 5681 §3.1 growth for an ACK of @acked new bytes with @flight bytes outstanding before
 * it. Only while the flight fills at least half of cwnd (RFC 7661 §4.3: an application-
 * limited sender does not grow it, as Linux's tcp_is_cwnd_limited()): a request-response
 * connection with one small request in flight would otherwise add every acknowledged byte
 * to cwnd, without bound, and read the cold ssthresh on every ACK.
 */
static inline void
cwnd_grow(struct tcb *t, uint32_t acked, uint32_t flight)
{
	if (flight < t->cwnd / 2)
		return;
	if (t->cwnd < t->ssthresh)
		t->cwnd += RTE_MIN(acked, (uint32_t)t->mss); /* slow start */
	else
		t->cwnd += RTE_MAX(1u, (uint32_t)t->mss * t->mss / t->cwnd); /* eq. (3) */
}

static void
init_cc(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	/* RFC 6928: IW = min(10*MSS, max(2*MSS, 14600)) for 10 segments; generalised. */
	uint32_t iw = ctx->cfg.init_cwnd_segs * t->mss;

	if (ctx->cfg.init_cwnd_segs == 10)
		iw = RTE_MIN(10u * t->mss, RTE_MAX(2u * t->mss, 14600u));
	t->cwnd = iw;
	t->ssthresh = 1u << 30;
}

static void
apply_syn_opts(struct fc_tcp_ctx *ctx, struct tcb *t, const struct seg *s)
{
	/* RFC 9293 §3.7.1: 536 when no MSS option; never above our own. */
	uint16_t mss = s->opts.mss ? s->opts.mss : TCP_DEFAULT_MSS;

	if (mss > ctx->cfg.mss)
		mss = ctx->cfg.mss;
	if (mss < 64)
		mss = 64;
	t->mss = mss;
	if (s->opts.has_ws) {
		t->flags |= TF_WS_OK;
		t->snd_wscale = s->opts.wscale;
		t->rcv_wscale = ctx->rcv_wscale;
	} else {
		/* RFC 7323 §2.2: both shifts are 0 unless both sides sent WS. */
		t->snd_wscale = 0;
		t->rcv_wscale = 0;
	}
	if (s->opts.has_ts && ctx->cfg.timestamps > 0) {
		t->flags |= TF_TS_OK;
		t->ts_recent = s->opts.ts_val;
		/* RFC 6691 §2 (and RFC 7323 §3.2): every segment will carry the 12-byte TSopt,
		 * which comes out of the peer's MSS; else full segments exceed the path MTU. */
		t->mss = (uint16_t)(t->mss - TCP_TS_OPT_LEN);
	}
	if (s->opts.sack_ok && ctx->cfg.sack > 0)
		t->flags2 |= TF2_SACK_OK; /* RFC 2018 §2 */
	init_cc(ctx, t);
}

/* ---- connection events ---- */

static __rte_always_inline void
enter_time_wait(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	t->state = FC_TCP_TIME_WAIT;
	t->flags &= ~TF_DELACK;
	tcp_sq_free(ctx, t);
	tcp_ooo_free(ctx, t);
	tcp_set_rto_timer(ctx, t, ctx->cfg.time_wait_ns);
	tcb_app_closed(ctx, t, FC_TCP_CLOSE_NORMAL);
	/* On the TIME_WAIT list only after on_closed: a connect from that callback with every
	 * TCB in use must not take this one (tcb_reclaim_time_wait()) while the input path
	 * still works on it. (Its pending ACK, TF_IN_TXLIST, would stop that too; this does
	 * not depend on it.) */
	tw_link(ctx, t);
}

static void
established(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	t->state = FC_TCP_ESTABLISHED;
	t->retries = 0;
	tcp_stop_rto_timer(ctx, t);
	if (t->flags & TF_PASSIVE) {
		if (ctx->nb_synrcvd > 0)
			ctx->nb_synrcvd--;
		ctx->cnt.accepts++;
	} else {
		ctx->cnt.connected++;
	}
	t->flags |= TF_VISIBLE;
	/* A shutdown requested before the handshake completed (RFC 9293 §3.10.4). */
	if (t->flags & TF_FIN_QUEUED)
		t->state = FC_TCP_FIN_WAIT_1;
	const struct fc_tcp_ops *ops = tcb_ops(ctx, t);

	if (ops->on_connected != NULL)
		ops->on_connected((struct fc_tcp_conn *)t, t->user, ctx->now_ns);
}

static void
notify_writable(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	if ((t->flags & TF_WANT_WRITE) && t->sq_len < ctx->cfg.snd_buf &&
			!(t->flags & TF_APP_GONE)) {
		const struct fc_tcp_ops *ops = tcb_ops(ctx, t);

		t->flags &= ~TF_WANT_WRITE;
		if (ops->on_writable != NULL)
			ops->on_writable((struct fc_tcp_conn *)t, t->user, ctx->now_ns);
	}
}

/* Drop acknowledged data from the send queue. */
static void
sq_ack(struct fc_tcp_ctx *ctx, struct tcb *t, uint32_t ack)
{
	uint32_t data_end = t->sq_seq + t->sq_len;
	uint32_t upto = SEQ_MIN(ack, data_end), n;

	if (!SEQ_GT(upto, t->sq_seq))
		return;
	n = upto - t->sq_seq;
	t->sq_seq = upto;
	t->sq_len -= n;
	n += t->sq_off;
	while (t->sq_nref > 0 && n >= t->sq_ref0_len) {
		/* The application's chunk is acknowledged: nothing to free. */
		n -= t->sq_ref0_len;
		for (unsigned i = 1; i < RTE_MIN(t->sq_nref, (unsigned)FC_TCP_SEND_REFS); i++) {
			*sq_ref_at(t, i - 1) = *sq_ref_at(t, i);
			*sq_ref_len_at(t, i - 1) = *sq_ref_len_at(t, i);
		}
		t->sq_nref--;
	}
	if (t->sq_nref > 0 || !(t->flags2 & TF2_SQ_MBUFS)) {
		/* (No mbufs: the cold lines, sq_head on, stay untouched.) */
		t->sq_off = n;
		return;
	}
	while (t->sq_head != NULL && n >= t->sq_head->pkt_len) {
		struct rte_mbuf *m = t->sq_head;

		n -= m->pkt_len;
		t->sq_head = mb_meta(ctx, m)->next;
		if (t->sq_cur == m)
			t->sq_cur = NULL;
		rte_pktmbuf_free(m);
	}
	if (t->sq_head == NULL) {
		t->sq_tail = NULL;
		t->flags2 &= (uint8_t)~TF2_SQ_MBUFS;
	}
	t->sq_off = n;
}

/* An ACK that advances SND.UNA (RFC 9293 §3.10.7.4 fifth check; RFC 6298 §5; RFC 6582).
 * @ts_ecr is the segment's TSecr, 0 without one. */
static void
ack_new(struct fc_tcp_ctx *ctx, struct tcb *t, uint32_t ack, uint32_t ts_ecr)
{
	/* The SYN occupies a sequence number but is no data for congestion control; it is
	 * unacknowledged exactly while SND.UNA is below the first data byte (ISS + 1). */
	uint32_t acked = ack - t->snd_una - SEQ_LT(t->snd_una, t->sq_seq);
	uint32_t flight = flight_size(t);

	if ((t->flags & TF_RTT_ON) && SEQ_GEQ(ack, t->rtt_seq)) {
		t->flags &= ~TF_RTT_ON;
		rtt_sample(ctx, t, ctx->now_us - t->rtt_start_us);
	} else if (!(t->flags & TF_RTT_ON) && ts_ecr != 0 && (t->flags & TF_TS_OK)) {
		/* RFC 7323 §4.1 (RTTM): TSecr is the TSval of the segment that advanced the
		 * peer's RCV.NXT, a retransmission included, so it times what Karn's rule
		 * cannot (RFC 6298 §3), and a sample ends the back-off. The seq-timed sample
		 * stays preferred: it has microseconds, TSval only milliseconds. */
		uint32_t r = (uint32_t)(ctx->now_ns / 1000000) - ts_ecr;

		if ((uint64_t)r * 1000000 <= ctx->cfg.rto_max_ns)
			rtt_sample(ctx, t, r * 1000);
	}
	t->retries = 0;
	sq_ack(ctx, t, ack);
	t->snd_una = ack;
	if (SEQ_LT(t->snd_nxt, ack))
		t->snd_nxt = ack;

	if (t->flags & TF_INRECOVERY) {
		if (SEQ_GEQ(ack, t->recover)) {
			/* RFC 6582 §3.2 step 3, full ACK: deflate (option 2). */
			t->cwnd = RTE_MIN(t->ssthresh, RTE_MAX(flight_size(t), (uint32_t)t->mss) +
				t->mss);
			t->flags &= ~TF_INRECOVERY;
			t->dupacks = 0;
		} else {
			/* Partial ACK: retransmit the next hole, partial deflation. */
			tcp_retransmit_head(ctx, t);
			ctx->cnt.fast_retransmits++;
			t->cwnd = t->cwnd > acked ? t->cwnd - acked : 0;
			if (acked >= t->mss)
				t->cwnd += t->mss;
			if (t->cwnd < t->mss)
				t->cwnd = t->mss;
		}
	} else {
		t->dupacks = 0;
		cwnd_grow(t, acked, flight);
	}
	/* RFC 6298 §5.2 / §5.3 */
	if (t->snd_una == t->snd_max)
		tcp_stop_rto_timer(ctx, t);
	else
		tcp_set_rto_timer(ctx, t, tcp_rto_ns(t));
}

/* True when a SACK option reports data above @ack, not counting a D-SACK first block
 * (RFC 2883 §4: below @ack, or inside the second block). */
static bool
sack_above(const struct tcp_opts *o, uint32_t ack)
{
	uint32_t b[2 * TCP_SACK_MAX_BLOCKS];
	unsigned i;

	if (o->nsack == 0)
		return false;
	memcpy(b, o->sack, 8u * RTE_MIN(o->nsack, (uint8_t)TCP_SACK_MAX_BLOCKS));
	for (i = 0; i < o->nsack && i < TCP_SACK_MAX_BLOCKS; i++) {
		uint32_t l = rte_be_to_cpu_32(b[2 * i]), r = rte_be_to_cpu_32(b[2 * i + 1]);

		if (!SEQ_GT(l, ack) || !SEQ_GT(r, l))
			continue;
		if (i == 0 && o->nsack > 1 &&
				SEQ_GEQ(l, rte_be_to_cpu_32(b[2])) &&
				SEQ_LEQ(r, rte_be_to_cpu_32(b[3])))
			continue;
		return true;
	}
	return false;
}

/* RFC 5681 §3.2 and RFC 6582 §3.2 step 1 and 2. */
static void
ack_dup(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	ctx->cnt.dupacks++;
	if (t->flags & TF_INRECOVERY) {
		t->cwnd += t->mss; /* inflate for the segment that left the network */
		return;
	}
	if (++t->dupacks != 3)
		return;
	/* RFC 6582 §3.2 step 2: only when the ACK covers more than recover. The guard keeps
	 * the duplicates that a go-back-N retransmission produces after an RTO from starting
	 * a spurious recovery. With SACK those duplicates come as D-SACK-only ACKs, which are
	 * not counted (segment_input), so a counted one means a hole the receiver still
	 * lacks: a retransmission lost again. Recovering it now beats waiting for the next
	 * backed-off RTO, which at a few percent loss would otherwise follow every RTO. */
	if (!SEQ_GT(t->snd_una - 1, t->recover) && t->recover != t->iss) {
		if (!(t->flags2 & TF2_SACK_OK))
			return;
		/* FlightSize after go-back-N: what was resent, not all of SND.MAX. */
		t->ssthresh = RTE_MIN(t->ssthresh,
			RTE_MAX((t->snd_nxt - t->snd_una) / 2, 2u * t->mss));
	} else {
		t->ssthresh = half_flight(t);
	}
	t->recover = t->snd_max;
	t->flags |= TF_INRECOVERY;
	ctx->cnt.fast_retransmits++;
	tcp_retransmit_head(ctx, t);
	t->cwnd = t->ssthresh + 3u * t->mss;
}

static void
deliver(struct fc_tcp_ctx *ctx, struct tcb *t, struct rte_mbuf *m)
{
	ctx->cnt.rx_bytes += m->pkt_len;
	const struct fc_tcp_ops *ops = tcb_ops(ctx, t);

	if ((t->flags & (TF_NO_DELIVER | TF_APP_GONE)) || ops->on_data == NULL) {
		fc_tcp_mbuf_free(m);
		return;
	}
	ops->on_data((struct fc_tcp_conn *)t, t->user, m, ctx->now_ns);
}

/* The peer's FIN is next in sequence (RFC 9293 §3.10.7.4 eighth check). */
static void
fin_in_order(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	t->rcv_nxt++;
	t->flags |= TF_RCVD_FIN | TF_ACKNOW;
	tcp_ack_later(ctx, t);
	switch (t->state) {
	case FC_TCP_SYN_RCVD:
	case FC_TCP_ESTABLISHED:
		t->state = FC_TCP_CLOSE_WAIT;
		break;
	case FC_TCP_FIN_WAIT_1:
		/* Our FIN not acked yet (else we would be in FIN_WAIT_2): simultaneous close. */
		t->state = FC_TCP_CLOSING;
		break;
	case FC_TCP_FIN_WAIT_2:
		enter_time_wait(ctx, t);
		return;
	default:
		return;
	}
	const struct fc_tcp_ops *ops = tcb_ops(ctx, t);

	if (!(t->flags & TF_APP_GONE) && ops->on_eof != NULL)
		ops->on_eof((struct fc_tcp_conn *)t, t->user, ctx->now_ns);
}

/* Bounded out-of-order queue, sorted by seq (RFC 9293 §3.10.7.4 seventh check, RFC 5681
 * §4.2: the ACK for an out-of-order segment goes out at once). */
static void
ooo_insert(struct fc_tcp_ctx *ctx, struct tcb *t, struct rte_mbuf *m, uint32_t seq, bool fin)
{
	struct rte_mbuf **pp = &t->ooo;
	uint32_t end = seq + m->pkt_len;

	while (*pp != NULL) {
		struct tcp_mb_meta *e = mb_meta(ctx, *pp);

		if (SEQ_LEQ(e->seq, seq) && SEQ_GEQ(e->seq + (*pp)->pkt_len, end) &&
				(e->fin || !fin)) {
			/* Its block is again the most recent one to report (RFC 2018 §4). */
			e->stamp = ++ctx->ooo_stamp;
			ctx->cnt.dup_segs++;
			rte_pktmbuf_free(m);
			return;
		}
		if (SEQ_GT(e->seq, seq))
			break;
		pp = &e->next;
	}
	if (t->ooo_cnt >= ctx->cfg.ooo_max_segs) {
		ctx->cnt.ooo_drops++;
		rte_pktmbuf_free(m);
		return;
	}
	mb_meta(ctx, m)->seq = seq;
	mb_meta(ctx, m)->fin = fin;
	mb_meta(ctx, m)->stamp = ++ctx->ooo_stamp;
	mb_meta(ctx, m)->next = *pp;
	*pp = m;
	t->ooo_cnt++;
	ctx->cnt.ooo_segs++;
}

/* Deliver queued segments that became in order; returns true when a FIN is now next. */
static bool
ooo_pull(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	bool fin = false;

	while (t->ooo != NULL && t->state != FC_TCP_CLOSED) {
		struct rte_mbuf *m = t->ooo;
		struct tcp_mb_meta *e = mb_meta(ctx, m);
		uint32_t seq = e->seq, end = seq + m->pkt_len;
		bool efin = e->fin;

		if (SEQ_GT(seq, t->rcv_nxt))
			break;
		t->ooo = e->next;
		t->ooo_cnt--;
		if (SEQ_GT(end, t->rcv_nxt)) {
			m = mbuf_adj_front(m, t->rcv_nxt - seq);
			t->rcv_nxt = end;
			deliver(ctx, t, m);
		} else {
			rte_pktmbuf_free(m);
		}
		if (efin && end == t->rcv_nxt) {
			fin = true;
			break;
		}
	}
	return fin;
}

static void
data_in(struct fc_tcp_ctx *ctx, struct tcb *t, struct rte_mbuf *m, const struct seg *s)
{
	bool fin = s->flags & TH_FIN;

	ctx->cnt.rx_data_segs++;
	if (s->seq != t->rcv_nxt) {
		ooo_insert(ctx, t, m, s->seq, fin);
		tcp_ack_later(ctx, t);
		return;
	}
	t->rcv_nxt += s->len;
	deliver(ctx, t, m);
	if (t->state == FC_TCP_CLOSED)
		return;
	if (t->ooo_cnt != 0) {
		/* Filling a hole: ACK at once (RFC 5681 §4.2). */
		if (ooo_pull(ctx, t))
			fin = true;
		t->flags |= TF_ACKNOW;
	}
	if (t->state == FC_TCP_CLOSED)
		return;
	if (fin) {
		fin_in_order(ctx, t);
		return;
	}
	/* RFC 9293 §3.8.6.3: delayed ACK, at least every second full segment. */
	if (ctx->cfg.delayed_ack && !(t->flags & TF_ACKNOW) && ++t->acks_pending < 2) {
		if (!(t->flags & TF_DELACK)) {
			uint64_t tick = ns_to_tick(ctx, ctx->now_ns + ctx->cfg.delack_ns);

			t->flags |= TF_DELACK;
			if (t->tm_tick == 0 || (int32_t)((uint32_t)tick - t->tm_tick) < 0)
				timer_arm(ctx, t, tick);
		}
		return;
	}
	tcp_ack_later(ctx, t);
}

/* RFC 5961 §3.2, §4.2, §5.2, with the §7 rate limit so that a blind attacker cannot turn us
 * into an ACK generator. */
static inline void
challenge_ack(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	if (ctx->now_ns - ctx->chal_window >= 1000000000ull) {
		ctx->chal_window = ctx->now_ns;
		ctx->chal_count = 0;
	}
	if (ctx->chal_count >= ctx->cfg.challenge_ack_limit) {
		ctx->cnt.challenge_ack_limited++;
		return;
	}
	ctx->chal_count++;
	ctx->cnt.challenge_acks++;
	tcp_ack_later(ctx, t);
}

/* RFC 9293 §3.10.7.3 SYN-SENT. */
static void
syn_sent_input(struct fc_tcp_ctx *ctx, struct tcb *t, const struct seg *s)
{
	if (s->flags & TH_ACK) {
		if (SEQ_LEQ(s->ack, t->iss) || SEQ_GT(s->ack, t->snd_max)) {
			if (!(s->flags & TH_RST))
				tcp_send_rst_raw(ctx, t->remote_ip, t->remote_port, t->local_port,
					s->ack, 0, TH_RST);
			return;
		}
	}
	if (s->flags & TH_RST) {
		if (s->flags & TH_ACK) {
			ctx->cnt.rst_rx++;
			tcb_close(ctx, t, FC_TCP_CLOSE_RESET, true);
		}
		return;
	}
	if (!(s->flags & TH_SYN))
		return;
	t->irs = s->seq;
	t->rcv_nxt = s->seq + 1;
	t->rcv_adv = t->rcv_nxt;
	apply_syn_opts(ctx, t, s);
	t->snd_wnd = s->wnd; /* RFC 7323 §2.2: never scaled in a SYN */
	t->max_snd_wnd = t->snd_wnd;
	t->snd_wl1 = s->seq;
	if (s->flags & TH_ACK) {
		t->snd_una = s->ack;
		t->sq_seq = t->iss + 1;
		/* Karn: the SYN's RTT counts only if it was not retransmitted. */
		if (t->retries == 0)
			rtt_sample(ctx, t, ctx->now_us - t->rtt_start_us);
		t->flags &= ~TF_RTT_ON;
		established(ctx, t);
		if (t->state != FC_TCP_CLOSED)
			tcp_ack_later(ctx, t);
		return;
	}
	/* Simultaneous open (RFC 9293 §3.5 figure 7). */
	t->state = FC_TCP_SYN_RCVD;
	t->retries = 0;
	tcp_send_ctl(ctx, t, t->iss, TH_SYN | TH_ACK);
	tcp_set_rto_timer(ctx, t, tcp_rto_ns(t));
}

/* RFC 9293 §3.10.7.2 LISTEN. @iss_min, when not NULL, is the lowest ISS allowed: a SYN
 * that reopens a TIME_WAIT 4-tuple (input_one()). */
static void
listen_input(struct fc_tcp_ctx *ctx, struct tcp_listener *l, const struct seg *s,
	     const uint32_t *iss_min)
{
	struct tcb *t;

	if (s->flags & TH_RST)
		return;
	if (s->flags & TH_ACK) {
		tcp_send_rst_raw(ctx, s->rip, s->rport, s->lport, s->ack, 0, TH_RST);
		return;
	}
	if (!(s->flags & TH_SYN))
		return;
	if (ctx->nb_synrcvd >= ctx->cfg.syn_backlog) {
		ctx->cnt.syn_drops++;
		return;
	}
	/* Out of TCBs, the oldest TIME_WAIT gives its own: a server that closes first holds a
	 * TIME_WAIT per connection, and with 1 s of them and 10,000 TCBs it would otherwise
	 * refuse every SYN above 10,000 connections/s. */
	if (ctx->free_head == 0)
		tcb_reclaim_time_wait(ctx);
	t = tcb_alloc(ctx);
	if (t == NULL) {
		ctx->cnt.syn_no_slot++;
		ctx->cnt.syn_drops++;
		return;
	}
	t->remote_ip = s->rip;
	t->remote_port = s->rport;
	t->local_port = s->lport;
	t->state = FC_TCP_SYN_RCVD;
	t->flags = TF_PASSIVE;
	tcb_set_ops(ctx, t, l->ops);
	t->user = l->user;
	t->irs = s->seq;
	t->rcv_nxt = s->seq + 1;
	t->rcv_adv = t->rcv_nxt;
	t->iss = tcp_isn(ctx, s->rip, s->rport, s->lport);
	if (iss_min != NULL && SEQ_LT(t->iss, *iss_min))
		t->iss = *iss_min;
	t->snd_una = t->iss;
	t->snd_nxt = t->snd_max = t->iss; /* raised after the first SYN-ACK */
	t->sq_seq = t->iss + 1;
	t->recover = t->iss;
	t->rto_us = (uint32_t)(ctx->cfg.rto_init_ns / 1000);
	t->rcv_wscale = ctx->rcv_wscale;
	apply_syn_opts(ctx, t, s);
	t->snd_wnd = s->wnd;
	t->max_snd_wnd = t->snd_wnd;
	t->snd_wl1 = s->seq;
	if (flow_insert(ctx, t) < 0) {
		tcb_close(ctx, t, FC_TCP_CLOSE_ABORTED, false);
		ctx->cnt.syn_drops++;
		return;
	}
	ctx->nb_synrcvd++;
	t->flags |= TF_RTT_ON;
	t->rtt_seq = t->iss + 1;
	t->rtt_start_us = ctx->now_us;
	tcp_send_ctl(ctx, t, t->iss, TH_SYN | TH_ACK);
	t->snd_nxt = t->snd_max = t->iss + 1;
	tcp_set_rto_timer(ctx, t, tcp_rto_ns(t));
}

/* RFC 9293 §3.10.7.1: a segment for no connection gets a RST unless it is one. */
static void
reply_rst(struct fc_tcp_ctx *ctx, const struct seg *s)
{
	ctx->cnt.unknown_flow++;
	if (s->flags & TH_RST)
		return;
	if (s->flags & TH_ACK)
		tcp_send_rst_raw(ctx, s->rip, s->rport, s->lport, s->ack, 0, TH_RST);
	else
		tcp_send_rst_raw(ctx, s->rip, s->rport, s->lport, 0,
			s->seq + s->len + !!(s->flags & TH_SYN) + !!(s->flags & TH_FIN),
			TH_RST | TH_ACK);
}

/* RFC 9293 §3.10.7.4, states SYN-RECEIVED through TIME-WAIT. Owns @m (payload only). */
static void
segment_input(struct fc_tcp_ctx *ctx, struct tcb *t, struct seg *s, struct rte_mbuf *m)
{
	uint32_t wnd = tcp_rcv_window(ctx, t);
	uint32_t seglen = s->len + !!(s->flags & TH_SYN) + !!(s->flags & TH_FIN);
	uint32_t orig_seq = s->seq;
	bool ok;

	/*
	 * Header prediction (Jacobson; BSD tcp_input): the next in-order data segment of an
	 * established connection that acknowledges nothing new and changes no window is
	 * exactly what the general checks below would accept; deliver it directly.
	 */
	if (t->state == FC_TCP_ESTABLISHED &&
			(s->flags & (TH_SYN | TH_FIN | TH_RST | TH_ACK)) == TH_ACK &&
			s->seq == t->rcv_nxt && s->ack == t->snd_una && s->len > 0 &&
			s->len <= wnd && t->ooo_cnt == 0 &&
			(s->wnd << t->snd_wscale) == t->snd_wnd && !ctx->cfg.delayed_ack) {
		t->snd_wl1 = s->seq;
		/* RFC 7323 §4.3: in sequence, so SEG.SEQ <= Last.ACK.sent. */
		if ((t->flags & TF_TS_OK) && s->opts.has_ts &&
				SEQ_GEQ(s->opts.ts_val, t->ts_recent))
			t->ts_recent = s->opts.ts_val;
		ctx->cnt.rx_data_segs++;
		t->rcv_nxt += s->len;
		deliver(ctx, t, m);
		if (t->state != FC_TCP_CLOSED)
			tcp_ack_later(ctx, t);
		return;
	}
	/* First: sequence number acceptability. */
	if (seglen == 0)
		ok = wnd == 0 ? s->seq == t->rcv_nxt :
			SEQ_GEQ(s->seq, t->rcv_nxt) && SEQ_LT(s->seq, t->rcv_nxt + wnd);
	else if (wnd == 0)
		ok = false;
	else
		ok = (SEQ_GEQ(s->seq, t->rcv_nxt) && SEQ_LT(s->seq, t->rcv_nxt + wnd)) ||
			(SEQ_GEQ(s->seq + seglen - 1, t->rcv_nxt) &&
			 SEQ_LT(s->seq + seglen - 1, t->rcv_nxt + wnd));
	if (!ok && wnd == 0 && s->seq == t->rcv_nxt && !(s->flags & (TH_RST | TH_SYN))) {
		/* Zero window: still take the ACK (RFC 9293 §3.10.7.4), drop the data. */
		ok = true;
		s->len = 0;
		s->flags &= (uint8_t)~TH_FIN;
		ctx->cnt.out_of_window++;
		tcp_ack_later(ctx, t);
	}
	if (!ok) {
		if (t->state == FC_TCP_SYN_RCVD && (s->flags & TH_SYN) && s->seq == t->irs &&
				!(s->flags & TH_ACK)) {
			/* Retransmitted SYN: our SYN-ACK was lost. */
			tcp_send_ctl(ctx, t, t->iss, TH_SYN | TH_ACK);
			goto drop;
		}
		if (s->flags & TH_RST)
			goto drop; /* RFC 5961 §3.2: out-of-window RST, silently */
		if (s->len > 0 && SEQ_LEQ(s->seq + s->len, t->rcv_nxt))
			ctx->cnt.dup_segs++; /* an old duplicate (our ACK was lost or slow) */
		else
			ctx->cnt.out_of_window++;
		if (t->state == FC_TCP_TIME_WAIT && (s->flags & TH_FIN))
			tcp_set_rto_timer(ctx, t, ctx->cfg.time_wait_ns);
		tcp_ack_later(ctx, t);
		goto drop;
	}
	/* Second: RST, RFC 5961 §3.2: exact match resets, else challenge ACK. */
	if (s->flags & TH_RST) {
		if (orig_seq != t->rcv_nxt) {
			challenge_ack(ctx, t);
			goto drop;
		}
		ctx->cnt.rst_rx++;
		/* In LAST_ACK or CLOSING with only our FIN unacknowledged, every byte was
		 * delivered both ways: the peer just dropped its TIME_WAIT early (or never
		 * had one, RST-close); that is a normal end for the application. */
		tcb_close(ctx, t, t->state == FC_TCP_TIME_WAIT ||
			((t->state == FC_TCP_LAST_ACK || t->state == FC_TCP_CLOSING) &&
			 t->sq_len == 0) ? FC_TCP_CLOSE_NORMAL : FC_TCP_CLOSE_RESET, true);
		goto drop;
	}
	/* Fourth: SYN in a synchronized state, RFC 5961 §4.2: challenge ACK. */
	if (s->flags & TH_SYN) {
		if (t->state == FC_TCP_SYN_RCVD && s->seq == t->irs && !(s->flags & TH_ACK)) {
			tcp_send_ctl(ctx, t, t->iss, TH_SYN | TH_ACK);
			goto drop;
		}
		challenge_ack(ctx, t);
		goto drop;
	}
	/* Trim to the window: already-received bytes in front, excess at the end. */
	if (SEQ_LT(s->seq, t->rcv_nxt)) {
		uint32_t d = t->rcv_nxt - s->seq;

		if (d >= s->len) {
			if (s->len > 0)
				ctx->cnt.dup_segs++;
			if (d > s->len)
				s->flags &= (uint8_t)~TH_FIN;
			s->len = 0;
			tcp_ack_later(ctx, t);
		} else {
			m = mbuf_adj_front(m, d);
			s->len -= d;
		}
		s->seq = t->rcv_nxt;
	}
	if (SEQ_GT(s->seq + s->len, t->rcv_nxt + wnd)) {
		s->len = t->rcv_nxt + wnd - s->seq;
		s->flags &= (uint8_t)~TH_FIN;
		if (s->len > 0)
			mbuf_trim_to(m, s->len);
	}
	/* Fifth: ACK. */
	if (!(s->flags & TH_ACK))
		goto drop;
	if (t->state == FC_TCP_SYN_RCVD) {
		if (!(SEQ_GT(s->ack, t->snd_una) && SEQ_LEQ(s->ack, t->snd_max))) {
			tcp_send_rst_raw(ctx, t->remote_ip, t->remote_port, t->local_port, s->ack, 0,
				TH_RST);
			goto drop;
		}
		t->snd_wnd = s->wnd << t->snd_wscale;
		t->max_snd_wnd = RTE_MAX(t->max_snd_wnd, t->snd_wnd);
		t->snd_wl1 = s->seq;
		established(ctx, t);
		if (t->state == FC_TCP_CLOSED)
			goto drop;
	}
	/* RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT]. */
	/* (MAX.SND.WND, a cold field, is read only for an ACK below SND.UNA.) */
	if (SEQ_GT(s->ack, t->snd_max) || (SEQ_LT(s->ack, t->snd_una) &&
			SEQ_LT(s->ack, t->snd_una - RTE_MAX(t->max_snd_wnd, 65535u)))) {
		challenge_ack(ctx, t);
		goto drop;
	}
	/* RFC 7323 §4.3: TS.Recent only moves forward, and only from a segment at or left of
	 * what we acknowledge (an out-of-order one would make us echo a time too late). */
	if ((t->flags & TF_TS_OK) && s->opts.has_ts && SEQ_LEQ(s->seq, t->rcv_nxt) &&
			SEQ_GEQ(s->opts.ts_val, t->ts_recent))
		t->ts_recent = s->opts.ts_val;
	{
		uint32_t old_wnd = t->snd_wnd, old_una = t->snd_una;
		uint32_t new_wnd = s->wnd << t->snd_wscale;
		bool dup = s->ack == t->snd_una && !(s->flags & TH_FIN) &&
			t->snd_max != t->snd_una;

		if (dup && !(t->flags2 & TF2_SACK_OK)) {
			/* RFC 5681 §2 DUPLICATE ACKNOWLEDGMENT: no data, same window. */
			dup = s->len == 0 && new_wnd == t->snd_wnd;
		} else if (dup) {
			/* RFC 6675 §2 DupAck: an ACK that SACKs data above the cumulative ACK,
			 * whatever its window (Linux grows its window on every ACK while it
			 * autotunes) and payload. One that only reports a duplicate segment
			 * (RFC 2883 D-SACK, or no block) is no loss signal: counting those would
			 * turn every duplicated packet into a spurious fast retransmit, whose own
			 * duplicate then starts the next one. */
			dup = sack_above(&s->opts, s->ack);
		}

		if (SEQ_GT(s->ack, t->snd_una))
			ack_new(ctx, t, s->ack, s->opts.has_ts ? s->opts.ts_ecr : 0);
		else if (dup)
			ack_dup(ctx, t);
		/* Window update (RFC 9293 §3.10.7.4): only from an ACK at or above SND.UNA, and
		 * then SND.WL2 =< SEG.ACK always holds (struct tcb), so the rule is WL1's. */
		if (SEQ_GEQ(s->ack, old_una) && SEQ_LEQ(t->snd_wl1, s->seq)) {
			t->snd_wnd = new_wnd;
			t->snd_wl1 = s->seq;
			/* max_snd_wnd >= old_wnd: only a change can raise it. */
			if (new_wnd != old_wnd && new_wnd > t->max_snd_wnd)
				t->max_snd_wnd = new_wnd;
			if (old_wnd == 0 && new_wnd > 0 && t->snd_una == t->snd_max) {
				/* Window opened: leave persist, send now. */
				tcp_stop_rto_timer(ctx, t);
				t->retries = 0;
			}
		}
		if (t->snd_una == t->snd_max)
			t->retries = 0; /* persist: probes are being answered */
		tcp_kick(ctx, t);
	}
	/* Our FIN acknowledged? */
	if ((t->flags & TF_FIN_QUEUED) && t->snd_una == t->sq_seq + t->sq_len + 1 &&
			t->sq_len == 0) {
		switch (t->state) {
		case FC_TCP_FIN_WAIT_1:
			t->state = FC_TCP_FIN_WAIT_2;
			/* Like Linux tcp_fin_timeout: only a closed (not half-closed) connection
			 * gives up waiting for the peer's FIN. */
			if (t->flags & TF_NO_DELIVER)
				tcp_set_rto_timer(ctx, t, ctx->cfg.fin_wait2_ns);
			else
				tcp_stop_rto_timer(ctx, t);
			break;
		case FC_TCP_CLOSING:
			enter_time_wait(ctx, t);
			break;
		case FC_TCP_LAST_ACK:
			tcb_close(ctx, t, FC_TCP_CLOSE_NORMAL, true);
			goto drop;
		default:
			break;
		}
	}
	notify_writable(ctx, t);
	if (t->state == FC_TCP_CLOSED)
		goto drop;
	/* Seventh: segment text. */
	if (s->len > 0) {
		if (t->state == FC_TCP_ESTABLISHED || t->state == FC_TCP_FIN_WAIT_1 ||
				t->state == FC_TCP_FIN_WAIT_2) {
			data_in(ctx, t, m, s);
			return;
		}
	}
	/* Eighth: FIN. */
	if ((s->flags & TH_FIN) && s->seq + s->len == t->rcv_nxt) {
		if (t->flags & TF_RCVD_FIN) {
			if (t->state == FC_TCP_TIME_WAIT)
				tcp_set_rto_timer(ctx, t, ctx->cfg.time_wait_ns);
			tcp_ack_later(ctx, t);
		} else {
			fin_in_order(ctx, t);
		}
	} else if (s->flags & TH_FIN) {
		/* A bare FIN beyond a hole: not queued, the peer retransmits it. */
		tcp_ack_later(ctx, t);
	}
drop:
	if (m != NULL)
		fc_tcp_mbuf_free(m);
}

/*
 * A SYN for a 4-tuple held in TIME_WAIT (input_one()) opens a new connection when it is
 * newer than the old incarnation. RFC 6191 §2: when the old incarnation used timestamps and
 * the SYN carries one (the new one would use them too), a timestamp above the last one seen
 * (TS.Recent), or an equal one with a sequence number above the old one's; otherwise (no
 * timestamps on either incarnation) a sequence number above RCV.NXT, the end of what the old
 * incarnation received (RFC 1122 §4.2.2.13). RFC 1122's second condition, going back to
 * TIME_WAIT if the SYN proves an old duplicate, is not kept (Linux does not either): the
 * old incarnation is gone once the SYN is accepted.
 */
static bool
tw_syn_newer(const struct tcb *t, const struct seg *s)
{
	if ((t->flags & TF_TS_OK) && s->opts.has_ts) {
		int32_t d = (int32_t)(s->opts.ts_val - t->ts_recent); /* modulo 2^32 */

		return d > 0 || (d == 0 && SEQ_GT(s->seq, t->rcv_nxt));
	}
	return SEQ_GT(s->seq, t->rcv_nxt);
}

/* Options that are exactly NOP NOP TS, the layout RFC 7323 Appendix A recommends and
 * Linux sends: read them without the general parser (Linux does the same). */
static inline bool
tcp_aligned_ts(const void *opt, struct tcp_opts *o)
{
	uint32_t w[3];

	memcpy(w, opt, sizeof(w));
	if (w[0] != rte_cpu_to_be_32(0x0101080a))
		return false;
	o->has_ts = 1;
	o->ts_val = rte_be_to_cpu_32(w[1]);
	o->ts_ecr = rte_be_to_cpu_32(w[2]);
	return true;
}

#define RX_HINTS 64 /* segments per fc_tcp_rx_bulk() call that get prefetch hints */
/* How far ahead of the segment being processed its TCB is looked up and prefetched, and
 * what the TCB points to is prefetched: with few connections (all in L2) the short
 * distances, else the long ones, which cover a DRAM miss. */
#define RX_TCB_AHEAD_NEAR 2
#define RX_DEPS_AHEAD_NEAR 1
#define RX_TCB_AHEAD_FAR 6
#define RX_DEPS_AHEAD_FAR 3
#define RX_FAR_CONNS 4096

/* The flow key of a frame, for the prefetch hints only (input_one() parses and checks the
 * frame itself, and uses a hint only when it matches): false when the frame is not plainly an
 * IPv4 TCP segment (input_one() then says what is wrong with it). */
static inline bool
seg_flow_key(const struct rte_mbuf *m, uint32_t *rip, uint32_t *ports)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eh + 1);
	const struct rte_tcp_hdr *th;
	unsigned ihl;

	if (m->data_len < RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*th) ||
			eh->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return false;
	ihl = (ip->version_ihl & 0xf) * 4u;
	if (ihl < sizeof(*ip) || RTE_ETHER_HDR_LEN + ihl + sizeof(*th) > m->data_len)
		return false;
	th = (const struct rte_tcp_hdr *)((const uint8_t *)ip + ihl);
	*rip = rte_be_to_cpu_32(ip->src_addr);
	*ports = (uint32_t)rte_be_to_cpu_16(th->src_port) << 16 | rte_be_to_cpu_16(th->dst_port);
	return true;
}

/* What fc_tcp_rx_bulk() learns about a segment ahead of processing it. */
struct rx_hint {
	uint32_t rip;           /* flow key (seg_flow_key); rip 0 = none, input_one() decides */
	uint32_t ports;
	struct tcb *t;          /* its TCB, looked up (and prefetched) ahead, or NULL */
};

/* A hinted segment's index into ports.tcb, or nb_ports when its local port is out of the
 * range our active opens take ports from. */
static inline uint32_t
hint_port(const struct fc_tcp_ctx *ctx, const struct rx_hint *h)
{
	uint32_t po = (h->ports & 0xffff) - ctx->cfg.port_min;

	return po < ctx->ports.nb_ports ? po : ctx->ports.nb_ports;
}

/* The first step of a segment's hint, a prefetch: a reply to one of our active opens names
 * its TCB by its local port (ports.tcb, 4 bytes per port: 222 KB for the default range
 * against a 2 MB flow table at 50,000 connections), anything else by the flow table. Read
 * at once, the ports.tcb entry was a quarter of the client's fc_tcp_rx_bulk() time at 50k. */
static inline void
hint_start(struct fc_tcp_ctx *ctx, const struct rx_hint *h)
{
	uint32_t po = hint_port(ctx, h);

	if (po < ctx->ports.nb_ports)
		rte_prefetch0(&ctx->ports.tcb[po]);
	else
		flow_prefetch(ctx, h->rip, h->ports);
}

/* Look the TCB of a hinted segment up (what hint_start() prefetched) and prefetch it. */
static inline void
hint_lookup(struct fc_tcp_ctx *ctx, struct rx_hint *h)
{
	struct tcb *t = NULL;

	if (h->rip != 0) {
		uint32_t po = hint_port(ctx, h), idx;

		if (po < ctx->ports.nb_ports && (idx = ctx->ports.tcb[po]) != 0)
			t = &ctx->tcbs[idx];
		else
			t = flow_lookup(ctx, h->rip, (uint16_t)(h->ports >> 16),
					(uint16_t)h->ports);
	}
	if (t != NULL)
		for (unsigned l = 0; l < TCB_HOT_LINES; l++)
			rte_prefetch0((const char *)t + l * RTE_CACHE_LINE_SIZE);
	h->t = t;
}

/* What the segment will touch behind its TCB (read once the TCB has arrived): the head of
 * the send queue, which an ACK frees (sent one round trip ago, so long evicted). The
 * application's state is the application's to prefetch: lib/tcp does not know its layout. */
static inline void
tcb_prefetch_deps(const struct tcb *t)
{
	if (t == NULL)
		return;
	if (t->flags2 & TF2_SQ_MBUFS) {
		/* Line 0 (length, refcnt, pool) and line 1 (next, the queue link). */
		rte_prefetch0(t->sq_head);
		rte_prefetch0((const char *)t->sq_head + RTE_CACHE_LINE_SIZE);
	}
}

/* The TCP checksum in software (no NIC verdict), out of line: with RX offload it is never
 * called, and inlined it made input_one() longer (callgrind with offload: 495 instructions
 * per segment at 32 per burst inlined, 478 out of line). */
static __rte_noinline bool
l4_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, unsigned ihl, unsigned tot)
{
	if (RTE_ETHER_HDR_LEN + tot <= m->data_len)
		return tcp_cksum_ipv4_ok(ip, (const uint8_t *)ip + ihl, tot - ihl);
	return rte_ipv4_udptcp_cksum_mbuf_verify(m, ip, RTE_ETHER_HDR_LEN + ihl) == 0;
}

/* Validate one frame, demultiplex, dispatch. */
static void
input_one(struct fc_tcp_ctx *ctx, struct rte_mbuf *m, struct tcb *hint)
{
	const struct rte_ether_hdr *eh;
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *th;
	unsigned ihl, tot, doff, hdr;
	uint64_t ol;
	struct seg s;
	struct tcb *t;
	const uint32_t *iss_min = NULL; /* a SYN reopening a TIME_WAIT: the lowest ISS */
	uint32_t tw_iss_min;

	ctx->cnt.rx_frames++;
	if (unlikely(m->data_len < RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*th) ||
			m->pkt_len < m->data_len))
		goto bad;
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eh->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		goto not_us;
	ip = (const struct rte_ipv4_hdr *)(eh + 1);
	ihl = (ip->version_ihl & 0xf) * 4u;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) ||
			tot < ihl + sizeof(*th) || tot > m->pkt_len - RTE_ETHER_HDR_LEN ||
			RTE_ETHER_HDR_LEN + ihl + sizeof(*th) > m->data_len))
		goto bad;
	if (unlikely(ip->fragment_offset &
			rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))) {
		ctx->cnt.ip_frags++;
		goto drop;
	}
	if (ip->next_proto_id != IPPROTO_TCP ||
			ip->dst_addr != rte_cpu_to_be_32(ctx->cfg.local_ip))
		goto not_us;
	ol = m->ol_flags;
	if ((ol & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		goto bad_cksum;
	if ((ol & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
			tcp_raw_cksum(ip, ihl) != 0xffff)
		goto bad_cksum;
	th = (const struct rte_tcp_hdr *)((const uint8_t *)ip + ihl);
	doff = (th->data_off >> 4) * 4u;
	if (unlikely(doff < sizeof(*th) || ihl + doff > tot ||
			RTE_ETHER_HDR_LEN + ihl + doff > m->data_len))
		goto bad;
	if ((ol & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		goto bad_cksum;
	if ((ol & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
			!l4_cksum_ok(m, ip, ihl, tot))
		goto bad_cksum;
	s.rip = rte_be_to_cpu_32(ip->src_addr);
	/* Never answer broadcast, multicast or zero sources (RFC 1122 §4.2.3.10). */
	if (unlikely(s.rip == 0 || s.rip == 0xffffffff || (s.rip >> 28) == 0xe))
		goto not_us;
	s.rport = rte_be_to_cpu_16(th->src_port);
	s.lport = rte_be_to_cpu_16(th->dst_port);
	s.seq = rte_be_to_cpu_32(th->sent_seq);
	s.ack = rte_be_to_cpu_32(th->recv_ack);
	s.wnd = rte_be_to_cpu_16(th->rx_win);
	s.flags = th->tcp_flags & (TH_FIN | TH_SYN | TH_RST | TH_PSH | TH_ACK);
	s.len = tot - ihl - doff;
	memset(&s.opts, 0, sizeof(s.opts));
	/* The common case once timestamps are on is NOP NOP TS alone (RFC 7323 App. A). */
	if (doff > sizeof(*th) &&
			!(doff == sizeof(*th) + TCP_TS_OPT_LEN && tcp_aligned_ts(th + 1, &s.opts)) &&
			tcp_parse_opts((const uint8_t *)(th + 1), doff - sizeof(*th),
				s.flags & TH_SYN, &s.opts) < 0)
		goto bad;
	if (unlikely(s.rport == 0 || s.lport == 0))
		goto bad;
	ctx->cnt.rx_segs++;
	hdr = RTE_ETHER_HDR_LEN + ihl + doff;

	/* The TCB looked up ahead is the flow's while it is in use and has this segment's
	 * 4-tuple: tcb_close() takes a TCB out of the flow table as it marks it CLOSED, and a
	 * closed TCB is reused only after the burst (tcb_release_dead). */
	if (hint != NULL && hint->state != FC_TCP_CLOSED && hint->remote_ip == s.rip &&
			hint->remote_port == s.rport && hint->local_port == s.lport)
		t = hint;
	else
		t = flow_lookup(ctx, s.rip, s.rport, s.lport);
	if (unlikely(t != NULL && t->state == FC_TCP_TIME_WAIT && (s.flags & TH_SYN) &&
			!(s.flags & (TH_ACK | TH_RST)))) {
		if (listener_find(ctx, s.lport) != NULL && tw_syn_newer(t, &s)) {
			/* RFC 1122 §4.2.2.13 (1): the new ISS lies above every sequence number
			 * of the old incarnation, and above the window its peer may still have
			 * offered it (Linux: tw_snd_nxt + 65535 + 2). */
			tw_iss_min = t->snd_max + 65535 + 2;
			iss_min = &tw_iss_min;
			ctx->cnt.time_wait_reuse++;
			/* Its TCB goes to the new connection (tcb_alloc() takes the free list's
			 * head), so a full pool costs no other TIME_WAIT. */
			if (!tcb_end_time_wait(ctx, t))
				tcb_close(ctx, t, FC_TCP_CLOSE_NORMAL, false);
			t = NULL;
		}
		/* Not newer: TIME_WAIT stays, and segment_input() answers as RFC 9293
		 * §3.10.7.4 has it: an ACK of RCV.NXT (first check, below the window; fourth,
		 * a challenge ACK per RFC 5961 §4.2, in it). RFC 6191 §2 would drop it
		 * silently; the ACK is what Linux sends, and the peer's SYN-SENT answers it
		 * with a RST that ends the TIME_WAIT (RFC 9293 §3.10.7.3), so its next SYN
		 * finds the 4-tuple free instead of waiting out the TIME_WAIT. */
	}
	if (t == NULL) {
		struct tcp_listener *l = listener_find(ctx, s.lport);

		if (l != NULL)
			listen_input(ctx, l, &s, iss_min);
		else
			reply_rst(ctx, &s);
		goto drop;
	}
	if (t->state == FC_TCP_SYN_SENT) {
		syn_sent_input(ctx, t, &s);
		goto drop;
	}
	if (s.len == 0) {
		segment_input(ctx, t, &s, NULL);
		goto drop;
	}
	/* Payload only from here on: strip headers and Ethernet padding. */
	rte_pktmbuf_adj(m, (uint16_t)hdr);
	mbuf_trim_to(m, s.len);
	segment_input(ctx, t, &s, m);
	return;

bad_cksum:
	ctx->cnt.cksum_errors++;
	goto drop;
not_us:
	ctx->cnt.not_for_us++;
	goto drop;
bad:
	ctx->cnt.bad_headers++;
drop:
	fc_tcp_mbuf_free(m);
}

uint16_t
fc_tcp_rx_bulk(struct fc_tcp_ctx *ctx, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	uint16_t i;

	if (now > ctx->now_ns) {
		ctx->now_ns = now;
		ctx->now_us = (uint32_t)(now / 1000);
	}
	ctx->in_burst = 1;
	/* With many connections the flow table, the TCBs and what they point to are cold.
	 * A pipeline of prefetches over the first RX_HINTS segments: the flow-table lines of
	 * all of them first (replies to our active opens skip the table, hint_start()); then,
	 * while segment i is processed, the TCB of segment i + tcb_ahead and what the TCB of
	 * segment i + deps_ahead points to (RX_*_AHEAD_*). The key is parsed once, and the TCB
	 * found ahead saves input_one() its own lookup. */
	struct rx_hint h[RX_HINTS];
	uint16_t nh = n < RX_HINTS ? n : RX_HINTS;

	if (n < 3)
		nh = 0; /* nothing to overlap: the first TCB is needed at once */

	for (i = 0; i < nh; i++) {
		h[i].t = NULL;
		if (seg_flow_key(pkts[i], &h[i].rip, &h[i].ports))
			hint_start(ctx, &h[i]);
		else
			h[i].rip = 0;
	}
	unsigned tcb_ahead = RX_TCB_AHEAD_NEAR, deps_ahead = RX_DEPS_AHEAD_NEAR;

	if (ctx->nb_used > RX_FAR_CONNS) {
		tcb_ahead = RX_TCB_AHEAD_FAR;
		deps_ahead = RX_DEPS_AHEAD_FAR;
	}
	for (i = 0; i < nh && i < tcb_ahead; i++)
		hint_lookup(ctx, &h[i]);
	for (i = 0; i < nh && i < deps_ahead; i++)
		tcb_prefetch_deps(h[i].t);
	for (i = 0; i < n; i++) {
		if (i + tcb_ahead < nh)
			hint_lookup(ctx, &h[i + tcb_ahead]);
		if (i + deps_ahead < nh)
			tcb_prefetch_deps(h[i + deps_ahead].t);
		input_one(ctx, pkts[i], i < nh ? h[i].t : NULL);
	}
	/* The output pass of the burst waits for fc_tcp_tx_bulk(): what the application sends
	 * in between (a request answering a response, a reply) carries the ACK. */
	ctx->in_burst = 0;
	tcb_release_dead(ctx);
	return n;
}

/* ---- timers ---- */

static void
rto_backoff(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	/* RFC 6298 §5.5 */
	uint64_t r = (uint64_t)t->rto_us * 2, hi = ctx->cfg.rto_max_ns / 1000;

	t->rto_us = (uint32_t)RTE_MIN(r, hi);
}

void
tcp_timer_fire(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	uint32_t data_end;

	if (t->flags & TF_DELACK) {
		t->flags &= ~TF_DELACK;
		tcp_ack_later(ctx, t);
	}
	if (!(t->flags & TF_RTO_ON))
		return;
	if ((int32_t)(t->rto_tick - (uint32_t)ctx->cur_tick) > 0) {
		timer_arm(ctx, t, ctx->cur_tick + (uint32_t)(t->rto_tick - (uint32_t)ctx->cur_tick));
		return;
	}
	t->flags &= ~TF_RTO_ON;
	switch (t->state) {
	case FC_TCP_TIME_WAIT:
		tcb_close(ctx, t, FC_TCP_CLOSE_NORMAL, false);
		return;
	case FC_TCP_SYN_SENT:
	case FC_TCP_SYN_RCVD:
		if (t->retries >= (t->state == FC_TCP_SYN_SENT || !(t->flags & TF_PASSIVE) ?
				ctx->cfg.syn_retries : ctx->cfg.synack_retries)) {
			tcb_close(ctx, t, FC_TCP_CLOSE_TIMEOUT, true);
			return;
		}
		ctx->cnt.rto_fired++;
		t->retries++;
		rto_backoff(ctx, t);
		tcp_retransmit_head(ctx, t);
		tcp_set_rto_timer(ctx, t, tcp_rto_ns(t));
		return;
	default:
		break;
	}
	data_end = t->sq_seq + t->sq_len;
	if (t->snd_una != t->snd_max) {
		/* RFC 6298 §5.4-5.6 with RFC 5681 §3.1 eq. (4) and loss window. */
		ctx->cnt.rto_fired++;
		if (t->retries >= ctx->cfg.data_retries) {
			tcb_close(ctx, t, FC_TCP_CLOSE_TIMEOUT, true);
			return;
		}
		t->retries++;
		if (t->retries == 1 || !(t->flags & TF_INRECOVERY))
			t->ssthresh = half_flight(t);
		t->cwnd = t->mss;
		t->recover = t->snd_max; /* RFC 6582 §4 */
		t->flags &= ~TF_INRECOVERY;
		t->dupacks = 0;
		rto_backoff(ctx, t);
		t->snd_nxt = t->snd_una; /* go back N */
		tcp_retransmit_head(ctx, t);
		tcp_set_rto_timer(ctx, t, tcp_rto_ns(t));
		return;
	}
	if (t->state == FC_TCP_FIN_WAIT_2) {
		tcb_close(ctx, t, FC_TCP_CLOSE_TIMEOUT, true);
		return;
	}
	if (t->snd_wnd > 0 && SEQ_LT(t->snd_nxt, data_end)) {
		/* Window too small for SWS avoidance and no ACK in sight: send into it. */
		tcp_output_force(ctx, t);
		tcp_set_rto_timer(ctx, t, tcp_rto_ns(t));
		return;
	}
	if (t->snd_wnd == 0 && SEQ_LT(t->snd_nxt, data_end)) {
		/* Zero-window probe (RFC 9293 §3.8.6.1): an old sequence number elicits an ACK
		 * with the current window without putting data beyond it. */
		if (t->retries >= ctx->cfg.data_retries) {
			tcb_close(ctx, t, FC_TCP_CLOSE_TIMEOUT, true);
			return;
		}
		t->retries++;
		ctx->cnt.persist_probes++;
		tcp_send_ctl(ctx, t, t->snd_una - 1, 0);
		rto_backoff(ctx, t);
		tcp_set_rto_timer(ctx, t, tcp_rto_ns(t));
	}
}
