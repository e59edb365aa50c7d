/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segment construction and the send path: frames are built whole (Ethernet + IPv4 + TCP) in
 * mbufs of the context's pool and queued in the bounded TX queue that fc_tcp_tx_bulk()
 * drains. Payload is referenced from the send queue with indirect mbufs (no copy), except
 * small payloads that are cheaper to copy into the header mbuf.
 */
#include <errno.h>
#include <string.h>

#include "tcp_cksum.h"
#include "tcp_internal.h"

void
txq_push(struct fc_tcp_ctx *ctx, struct rte_mbuf *m)
{
	if (ctx->txq_tail - ctx->txq_head > ctx->txq_mask) {
		ctx->cnt.txq_drops++;
		rte_pktmbuf_free(m);
		return;
	}
	ctx->txq[ctx->txq_tail++ & ctx->txq_mask] = m;
}

/*
 * The TCP checksums of the frames built since the last call, filled here rather than as each
 * frame is built: the sum reads the header back with 8-byte loads right after it was written
 * with 2- and 4-byte stores, and a load that spans several stores still in the store buffer
 * cannot be forwarded from them; it waits until they reach L1, which made it the largest
 * part of finish_frame()'s time on the embedded server (perf annotate).
 * One pass later the stores have drained and the frames are still in L1.
 */
static void
txq_cksum(struct fc_tcp_ctx *ctx)
{
	for (; ctx->txq_cksum != ctx->txq_tail; ctx->txq_cksum++) {
		struct rte_mbuf *m = ctx->txq[ctx->txq_cksum & ctx->txq_mask];
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
								  RTE_ETHER_HDR_LEN);
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

		if (m->nb_segs == 1)
			th->cksum = tcp_cksum_ipv4(ip, th, m->pkt_len - RTE_ETHER_HDR_LEN -
						   sizeof(*ip));
		else
			th->cksum = rte_ipv4_udptcp_cksum_mbuf(m, ip,
							       RTE_ETHER_HDR_LEN + sizeof(*ip));
	}
}

uint16_t
fc_tcp_tx_bulk(struct fc_tcp_ctx *ctx, struct rte_mbuf **out, uint16_t max)
{
	uint16_t n = 0;

	/* The output pass of the last receive burst, after the application's sends. */
	tcp_flush_acks(ctx);
	if (!ctx->cfg.tx_cksum_offload)
		txq_cksum(ctx);

	while (n < max && ctx->txq_head != ctx->txq_tail)
		out[n++] = ctx->txq[ctx->txq_head++ & ctx->txq_mask];
	return n;
}

/* The lines an allocation writes: the mbuf header's first (mbuf_reset_line0()) and the
 * first three of data (a frame's 66 bytes of headers with timestamps, and a small request
 * or response). The third is a read prefetch: as a write prefetch it made the embedded
 * pair much slower on an AMD VM, as a read one it is a small gain. */
static inline void
mbuf_prefetch_write(const struct fc_tcp_ctx *ctx, const struct rte_mbuf *m)
{
	const char *p = (const char *)m;

	rte_prefetch0_write(p);
	rte_prefetch0_write(p + ctx->mbuf_data_off);
	rte_prefetch0_write(p + ctx->mbuf_data_off + RTE_CACHE_LINE_SIZE);
	rte_prefetch0(p + ctx->mbuf_data_off + 2 * RTE_CACHE_LINE_SIZE);
}

/*
 * What rte_pktmbuf_reset() does to an mbuf taken raw from its pool, less the two stores to
 * the header's second line: next is NULL and nb_segs 1 in every free mbuf already (the
 * pool's rule, which rte_pktmbuf_free() keeps), and tx_offload means nothing without a TX
 * offload flag (finish_frame() writes it whole when it sets one). So the frame's way
 * through this side and the other touches the first header line only: at 50,000
 * connections the second was a cold line per frame for each side.
 */
static inline void
mbuf_reset_line0(struct rte_mbuf *m)
{
	m->pkt_len = 0;
	m->data_len = 0;
	m->vlan_tci = 0;
	m->vlan_tci_outer = 0;
	m->port = RTE_MBUF_PORT_INVALID;
	m->ol_flags &= RTE_MBUF_F_EXTERNAL;
	m->packet_type = 0;
	rte_pktmbuf_reset_headroom(m);
	RTE_ASSERT(m->next == NULL && m->nb_segs == 1);
}

/*
 * An mbuf for a frame or for the send queue. With many connections in flight the pool
 * hands out mbufs that were last touched long ago (by the other core, one round trip
 * back), and each allocation is a few write misses: taking them in bulk lets the next ones
 * be prefetched while this one is filled. Near an empty pool, one at a time as before.
 */
struct rte_mbuf *
tcp_mbuf_alloc(struct fc_tcp_ctx *ctx)
{
	struct rte_mbuf *m;

	if (ctx->stash_n == 0) {
		if (rte_mempool_get_bulk(ctx->cfg.pool, (void **)ctx->stash, TCP_MBUF_STASH) != 0)
			return rte_pktmbuf_alloc(ctx->cfg.pool);
		ctx->stash_n = TCP_MBUF_STASH;
		for (unsigned i = 1; i <= TCP_MBUF_PREFETCH; i++)
			mbuf_prefetch_write(ctx, ctx->stash[TCP_MBUF_STASH - i]);
	}
	m = ctx->stash[--ctx->stash_n];
	if (ctx->stash_n >= TCP_MBUF_PREFETCH)
		mbuf_prefetch_write(ctx, ctx->stash[ctx->stash_n - TCP_MBUF_PREFETCH]);
	mbuf_reset_line0(m);
	return m;
}

/* Give the stash back (free mbufs of a pool keep refcnt 1, one segment, no next). */
void
tcp_mbuf_stash_free(struct fc_tcp_ctx *ctx)
{
	if (ctx->stash_n)
		rte_mempool_put_bulk(ctx->cfg.pool, (void **)ctx->stash, ctx->stash_n);
	ctx->stash_n = 0;
}

uint32_t
fc_tcp_tx_pending(const struct fc_tcp_ctx *ctx)
{
	/* A connection waiting for its output pass has a frame to come. */
	return ctx->txq_tail - ctx->txq_head + (ctx->ack_head != 0);
}

/*
 * The Ethernet header and the constant part of the IPv4 header are the same in every frame
 * of a context: keep them as a template, and their checksum contribution as partial sums, so
 * that a frame costs one 34-byte copy and a few additions (RFC 1071 §2 incremental sums).
 */
void
tcp_hdr_template_init(struct fc_tcp_ctx *ctx)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)ctx->hdr_tmpl;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	uint32_t src = ctx->cfg.local_ip;

	memset(ctx->hdr_tmpl, 0, sizeof(ctx->hdr_tmpl));
	rte_ether_addr_copy(&ctx->cfg.next_hop_mac, &eh->dst_addr);
	rte_ether_addr_copy(&ctx->cfg.local_mac, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = (uint8_t)ctx->cfg.ip_ttl;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(src);
	/* Sums in host order of the 16-bit words (the ones' complement sum is byte-order
	 * independent as long as it is folded and stored consistently, RFC 1071 §2(B)). */
	ctx->ip_sum_base = (uint32_t)(RTE_IPV4_VHL_DEF << 8) + RTE_IPV4_HDR_DF_FLAG +
		((uint32_t)ctx->cfg.ip_ttl << 8 | IPPROTO_TCP) + (src >> 16) + (src & 0xffff);
	ctx->ph_sum_base = (src >> 16) + (src & 0xffff) + IPPROTO_TCP;
}

static inline uint16_t
fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Fill Ethernet, IPv4 and TCP headers (options already written after the TCP header) and
 * the checksums, then queue the frame. */
static void
finish_frame(struct fc_tcp_ctx *ctx, struct rte_mbuf *h, uint32_t rip, uint16_t rport,
	uint16_t lport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd, unsigned optlen)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(h, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	uint32_t l4len = h->pkt_len - RTE_ETHER_HDR_LEN - sizeof(*ip);
	uint16_t tot = (uint16_t)(sizeof(*ip) + l4len), id = (uint16_t)ctx->ip_id++;
	uint32_t rsum = (rip >> 16) + (rip & 0xffff);

	memcpy(eh, ctx->hdr_tmpl, sizeof(ctx->hdr_tmpl));
	ip->total_length = rte_cpu_to_be_16(tot);
	ip->packet_id = rte_cpu_to_be_16(id);
	ip->dst_addr = rte_cpu_to_be_32(rip);
	th->src_port = rte_cpu_to_be_16(lport);
	th->dst_port = rte_cpu_to_be_16(rport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(((sizeof(*th) + optlen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(wnd);
	th->tcp_urp = 0;
	if (ctx->cfg.tx_cksum_offload) {
		/* The NIC fills both; TCP wants the pseudo-header sum (not complemented). The
		 * lengths only then: they are on the header's second line (mbuf_reset_line0()). */
		h->tx_offload = rte_mbuf_tx_offload(RTE_ETHER_HDR_LEN, sizeof(*ip),
						    sizeof(*th) + optlen, 0, 0, 0, 0);
		h->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
		ip->hdr_checksum = 0;
		th->cksum = rte_cpu_to_be_16(fold(ctx->ph_sum_base + rsum + l4len));
	} else {
		ip->hdr_checksum = rte_cpu_to_be_16((uint16_t)~fold(ctx->ip_sum_base + tot + id +
			rsum));
		th->cksum = 0; /* the TCP checksum waits for fc_tcp_tx_bulk() (txq_cksum) */
	}
	ctx->cnt.tx_segs++;
	txq_push(ctx, h);
}

static struct rte_mbuf *
hdr_alloc(struct fc_tcp_ctx *ctx, unsigned hdrlen)
{
	struct rte_mbuf *h = tcp_mbuf_alloc(ctx);

	if (h == NULL) {
		ctx->cnt.mbuf_alloc_fails++;
		return NULL;
	}
	h->data_len = (uint16_t)hdrlen;
	h->pkt_len = hdrlen;
	return h;
}

void
tcp_send_rst_raw(struct fc_tcp_ctx *ctx, uint32_t rip, uint16_t rport, uint16_t lport,
	uint32_t seq, uint32_t ack, uint8_t flags)
{
	struct rte_mbuf *h = hdr_alloc(ctx, TCP_HDRS_LEN);

	if (h == NULL)
		return;
	ctx->cnt.rst_tx++;
	finish_frame(ctx, h, rip, rport, lport, seq, ack, flags, 0, 0);
}

/* Window field for a segment of @t, and remember the advertised right edge. */
static uint16_t
window_field(struct fc_tcp_ctx *ctx, struct tcb *t, bool syn)
{
	uint32_t w = tcp_rcv_window(ctx, t), f;

	if (syn) {
		/* RFC 7323 §2.2: the window in a SYN segment is never scaled. */
		f = w > 65535 ? 65535 : w;
		w = f;
	} else {
		f = w >> t->rcv_wscale;
		if (f > 65535)
			f = 65535;
		w = f << t->rcv_wscale;
	}
	if (SEQ_GT(t->rcv_nxt + w, t->rcv_adv))
		t->rcv_adv = t->rcv_nxt + w;
	return (uint16_t)f;
}

/* Copy @len bytes to the end of frame @h, whose last segment is *@last (a direct mbuf of
 * our own), chaining another mbuf when the tailroom runs out. */
static int
append_copy(struct fc_tcp_ctx *ctx, struct rte_mbuf *h, struct rte_mbuf **last,
	const uint8_t *src, uint32_t len)
{
	while (len > 0) {
		struct rte_mbuf *l = *last;
		uint32_t k = RTE_MIN(len, (uint32_t)rte_pktmbuf_tailroom(l));

		if (k == 0) {
			struct rte_mbuf *m = tcp_mbuf_alloc(ctx);

			if (m == NULL) {
				ctx->cnt.mbuf_alloc_fails++;
				return -ENOMEM;
			}
			l->next = m;
			*last = m;
			h->nb_segs++;
			continue;
		}
		memcpy(rte_pktmbuf_mtod_offset(l, uint8_t *, l->data_len), src, k);
		l->data_len = (uint16_t)(l->data_len + k);
		h->pkt_len += k;
		src += k;
		len -= k;
	}
	return 0;
}

/* Append @len payload bytes starting at @seq, taken from the send queue, to @h: copied
 * from the application's chunks, then referenced from (or, when small, copied from) the
 * queued mbufs. */
static int
attach_payload(struct fc_tcp_ctx *ctx, struct tcb *t, struct rte_mbuf *h, uint32_t seq,
	uint32_t len)
{
	struct rte_mbuf *p, *seg, *last = h;
	uint32_t pseq = t->sq_seq - t->sq_off, off; /* pseq: first byte of the head chunk */

	for (unsigned i = 0; i < t->sq_nref && len > 0; i++) {
		uint32_t rl = *sq_ref_len_at(t, i);

		if (seq - pseq < rl) {
			uint32_t piece = RTE_MIN(len, rl - (seq - pseq));

			if (append_copy(ctx, h, &last, *sq_ref_at(t, i) + (seq - pseq), piece) < 0)
				return -ENOMEM;
			seq += piece;
			len -= piece;
		}
		pseq += rl;
	}
	if (len == 0)
		return 0;
	/* Find the queued packet holding seq; start from the cursor when it is behind. */
	if (t->sq_cur != NULL && SEQ_GEQ(seq, t->sq_cur_seq)) {
		p = t->sq_cur;
		pseq = t->sq_cur_seq;
	} else {
		p = t->sq_head;
	}
	while (p != NULL && seq - pseq >= p->pkt_len) {
		pseq += p->pkt_len;
		p = mb_meta(ctx, p)->next;
	}
	if (p == NULL)
		return -EINVAL;
	t->sq_cur = p;
	t->sq_cur_seq = pseq;
	off = seq - pseq;
	seg = p;
	while (len > 0 && p != NULL) {
		uint32_t piece;

		while (seg != NULL && off >= seg->data_len) {
			off -= seg->data_len;
			seg = seg->next;
		}
		if (seg == NULL) {
			p = mb_meta(ctx, p)->next;
			seg = p;
			off = 0;
			continue;
		}
		piece = RTE_MIN(len, (uint32_t)seg->data_len - off);
		if (h->pkt_len - h->data_len == 0 && len <= TCP_TX_COPY_MAX &&
				rte_pktmbuf_tailroom(h) >= len) {
			/* Small payload: copy (still all in the header mbuf so far). */
			memcpy(rte_pktmbuf_mtod_offset(h, uint8_t *, h->data_len),
				rte_pktmbuf_mtod_offset(seg, uint8_t *, off), piece);
			h->data_len = (uint16_t)(h->data_len + piece);
			h->pkt_len += piece;
		} else {
			struct rte_mbuf *mi = tcp_mbuf_alloc(ctx);

			if (mi == NULL) {
				ctx->cnt.mbuf_alloc_fails++;
				return -ENOMEM;
			}
			rte_pktmbuf_attach(mi, seg);
			mi->data_off = (uint16_t)(seg->data_off + off);
			mi->data_len = (uint16_t)piece;
			mi->pkt_len = piece;
			mi->nb_segs = 1;
			mi->next = NULL;
			last->next = mi;
			last = mi;
			h->nb_segs++;
			h->pkt_len += piece;
		}
		len -= piece;
		off += piece;
	}
	return len == 0 ? 0 : -EINVAL;
}

/*
 * Send one segment of @t: @len payload bytes from @seq (0 for control segments) with
 * @flags. ACK is added in every state but SYN_SENT (RFC 9293 §3.10.7.4: once synchronized,
 * every segment carries ACK).
 */
int
tcp_send_seg(struct fc_tcp_ctx *ctx, struct tcb *t, uint32_t seq, uint32_t len, uint8_t flags)
{
	uint8_t opts[40];
	unsigned optlen = 0, hdrlen;
	bool syn = flags & TH_SYN;
	struct rte_mbuf *h;
	uint16_t wnd;

	if (syn) {
		optlen = tcp_write_syn_opts(ctx, t, opts, ctx->cfg.timestamps > 0 &&
			(!(t->flags & TF_PASSIVE) || (t->flags & TF_TS_OK)));
	} else {
		if (t->flags & TF_TS_OK)
			optlen = tcp_write_ts_opt(ctx, t, opts);
		if (unlikely(t->ooo_cnt != 0) && (t->flags2 & TF2_SACK_OK) && !(flags & TH_RST)) {
			/* RFC 2018 §4: SACK blocks in every ACK while data is queued out of order,
			 * as many as fit in the 40 option bytes and, beside payload, in the MSS
			 * (the callers sized the payload with tcp_seg_max()). */
			unsigned room = 40 - optlen;

			if (len > 0)
				room = RTE_MIN(room, t->mss > len ? t->mss - len : 0u);
			if (room >= 12)
				optlen += tcp_write_sack_opt(ctx, t, opts + optlen, (room - 4) / 8);
		}
	}
	hdrlen = TCP_HDRS_LEN + optlen;
	h = hdr_alloc(ctx, hdrlen);
	if (h == NULL)
		return -ENOMEM;
	if (optlen > 0)
		memcpy(rte_pktmbuf_mtod_offset(h, uint8_t *, TCP_HDRS_LEN), opts, optlen);
	if (len > 0 && attach_payload(ctx, t, h, seq, len) < 0) {
		rte_pktmbuf_free(h);
		return -ENOMEM;
	}
	if (t->state != FC_TCP_SYN_SENT && !(flags & TH_RST))
		flags |= TH_ACK;
	wnd = (flags & TH_RST) ? 0 : window_field(ctx, t, syn);
	if (len > 0) {
		ctx->cnt.tx_data_segs++;
		ctx->cnt.tx_bytes += len;
	}
	if ((len > 0 || (flags & (TH_SYN | TH_FIN))) && SEQ_LT(seq, t->snd_max))
		ctx->cnt.retransmits++;
	if (flags & TH_ACK) {
		t->flags &= ~(TF_ACKNOW | TF_DELACK);
		t->acks_pending = 0;
	}
	if (flags & TH_RST)
		ctx->cnt.rst_tx++;
	finish_frame(ctx, h, t->remote_ip, t->remote_port, t->local_port, seq,
		(flags & TH_ACK) ? t->rcv_nxt : 0, flags, wnd, optlen);
	return 0;
}

int
tcp_send_ctl(struct fc_tcp_ctx *ctx, struct tcb *t, uint32_t seq, uint8_t flags)
{
	return tcp_send_seg(ctx, t, seq, 0, flags);
}

/* Start an RTT measurement on new data unless one is running (RFC 6298 §3, Karn). */
static inline void
rtt_start(struct fc_tcp_ctx *ctx, struct tcb *t, uint32_t end)
{
	if (!(t->flags & TF_RTT_ON)) {
		t->flags |= TF_RTT_ON;
		t->rtt_seq = end;
		t->rtt_start_us = ctx->now_us;
	}
}

/*
 * Retransmit the first unacknowledged segment (RTO, fast retransmit, NewReno partial ACK):
 * SYN or SYN-ACK in the opening states, else up to one MSS of data plus FIN if it fits.
 */
void
tcp_retransmit_head(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	uint32_t data_end = t->sq_seq + t->sq_len, len = 0;
	uint8_t flags = 0;

	/* Karn's rule (RFC 6298 §3): no RTT sample from retransmitted data. */
	t->flags &= ~TF_RTT_ON;
	if (t->state == FC_TCP_SYN_SENT) {
		tcp_send_ctl(ctx, t, t->iss, TH_SYN);
		return;
	}
	if (t->state == FC_TCP_SYN_RCVD) {
		tcp_send_ctl(ctx, t, t->iss, TH_SYN | TH_ACK);
		return;
	}
	if (SEQ_LT(t->snd_una, data_end))
		len = RTE_MIN(data_end - t->snd_una, tcp_seg_max(t));
	if ((t->flags & TF_FIN_QUEUED) && t->snd_una + len == data_end &&
			SEQ_GT(t->snd_max, data_end))
		flags |= TH_FIN;
	if (len == 0 && !(flags & TH_FIN))
		return;
	if (len > 0 && t->snd_una + len == data_end)
		flags |= TH_PSH;
	tcp_send_seg(ctx, t, t->snd_una, len, flags);
	/* The segment may reach past SND.MAX (after the window let only part of it out):
	 * keep SND.NXT <= SND.MAX, or the ACK of SND.MAX would stop the timer with bytes
	 * still counted in flight. */
	if (SEQ_LT(t->snd_nxt, t->snd_una + len + !!(flags & TH_FIN)))
		t->snd_nxt = t->snd_una + len + !!(flags & TH_FIN);
	if (SEQ_GT(t->snd_nxt, t->snd_max))
		t->snd_max = t->snd_nxt;
}

static inline bool
state_can_send(uint8_t s)
{
	return s == FC_TCP_ESTABLISHED || s == FC_TCP_CLOSE_WAIT || s == FC_TCP_FIN_WAIT_1 ||
		s == FC_TCP_CLOSING || s == FC_TCP_LAST_ACK;
}

/*
 * Send what the windows allow (RFC 9293 §3.8.6.2.1 sender side, RFC 5681 cwnd), then FIN
 * when queued and all data is out, then a pure ACK if one is owed. Nagle is off (latency
 * tool): a short segment goes out when it is all there is to send.
 */
int
tcp_output(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	uint32_t data_end, sent = 0, smax;
	unsigned guard;

	/* A pure ACK carries SND.MAX, not SND.NXT: after a go-back-N retransmission SND.NXT
	 * is behind what the peer already holds, and an ACK with that old sequence number
	 * would be unacceptable to it (RFC 9293 §3.10.7.4) and ignored, so two sides
	 * retransmitting at each other would never see each other's ACKs (BSD does the same). */
	if (!state_can_send(t->state)) {
		if (t->flags & TF_ACKNOW)
			tcp_send_ctl(ctx, t, t->snd_max, 0);
		return 0;
	}
	if (t->sq_len == 0 && !(t->flags & TF_FIN_QUEUED)) {
		/* Nothing to send: the common receive-side case, answer with a pure ACK. */
		if (t->flags & TF_ACKNOW)
			tcp_send_ctl(ctx, t, t->snd_max, 0);
		return 0;
	}
	data_end = t->sq_seq + t->sq_len;
	smax = tcp_seg_max(t);
	for (guard = 0; guard < 4096; guard++) {
		uint32_t wnd = RTE_MIN(t->snd_wnd, t->cwnd);
		uint32_t flight = t->snd_nxt - t->snd_una;
		uint32_t avail, len;
		uint8_t flags = 0;

		if (!SEQ_LT(t->snd_nxt, data_end))
			break;
		avail = data_end - t->snd_nxt;
		if (flight >= wnd)
			break;
		len = RTE_MIN(RTE_MIN(avail, smax), wnd - flight);
		/* Sender SWS avoidance (RFC 9293 §3.8.6.2.1). */
		if (len < smax && len < avail && len < t->max_snd_wnd / 2)
			break;
		if (len == avail) {
			flags |= TH_PSH;
			if (t->flags & TF_FIN_QUEUED)
				flags |= TH_FIN;
		}
		if (!SEQ_LT(t->snd_nxt, t->snd_max))
			rtt_start(ctx, t, t->snd_nxt + len);
		else
			t->flags &= ~TF_RTT_ON;
		if (tcp_send_seg(ctx, t, t->snd_nxt, len, flags) < 0)
			break;
		t->snd_nxt += len + !!(flags & TH_FIN);
		sent++;
	}
	/* FIN alone: all data out, FIN not sent at this position yet. */
	if ((t->flags & TF_FIN_QUEUED) && t->snd_nxt == data_end) {
		if (tcp_send_seg(ctx, t, t->snd_nxt, 0, TH_FIN) == 0) {
			t->snd_nxt++;
			sent++;
		}
	}
	if (SEQ_GT(t->snd_nxt, t->snd_max))
		t->snd_max = t->snd_nxt;
	if (sent > 0) {
		/* RFC 6298 §5.1 */
		if (!(t->flags & TF_RTO_ON))
			tcp_set_rto_timer(ctx, t, tcp_rto_ns(t));
	} else if (t->flags & TF_ACKNOW) {
		tcp_send_ctl(ctx, t, t->snd_max, 0);
	}
	/* Data waiting and nothing in flight: the window is zero (persist, RFC 9293 §3.8.6.1)
	 * or too small for sender SWS avoidance (the SWS override timeout of §3.8.6.2.1).
	 * Either way no ACK will come to unblock us if the peer's window update was lost. */
	if (SEQ_LT(t->snd_nxt, data_end) && t->snd_nxt == t->snd_una && !(t->flags & TF_RTO_ON))
		tcp_set_rto_timer(ctx, t, tcp_rto_ns(t));
	return 0;
}

/* SWS override (RFC 9293 §3.8.6.2.1): send what the small window allows. */
void
tcp_output_force(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	uint32_t data_end = t->sq_seq + t->sq_len, len;
	uint8_t flags = 0;

	if (!state_can_send(t->state) || !SEQ_LT(t->snd_nxt, data_end))
		return;
	len = RTE_MIN(RTE_MIN(data_end - t->snd_nxt, t->snd_wnd), tcp_seg_max(t));
	if (len == 0)
		return;
	if (t->snd_nxt + len == data_end) {
		flags |= TH_PSH;
		if (t->flags & TF_FIN_QUEUED)
			flags |= TH_FIN;
	}
	if (tcp_send_seg(ctx, t, t->snd_nxt, len, flags) < 0)
		return;
	t->snd_nxt += len + !!(flags & TH_FIN);
	if (SEQ_GT(t->snd_nxt, t->snd_max))
		t->snd_max = t->snd_nxt;
}

/* After a burst: one output pass per connection that got input or a send, so a burst of
 * segments is answered with one cumulative ACK (piggybacked on data when there is some).
 * Run by fc_tcp_tx_bulk() (so the application's sends after the burst come first), by
 * the timer pass, and before dead TCBs are released. */
void
tcp_flush_acks(struct fc_tcp_ctx *ctx)
{
	while (ctx->ack_head != 0) {
		struct tcb *t = &ctx->tcbs[ctx->ack_head];

		ctx->ack_head = t->ack_next;
		t->flags &= ~TF_IN_TXLIST;
		if (t->state != FC_TCP_CLOSED)
			tcp_output(ctx, t);
	}
}
