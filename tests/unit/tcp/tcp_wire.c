/* SPDX-License-Identifier: BSD-3-Clause */
#include "tcp_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

static uint64_t
xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

double
wire_rand(struct wire *w)
{
	return (double)(xorshift(&w->rng) >> 11) / (double)(1ull << 53);
}

void
wire_init(struct wire *w, struct rte_mempool *pool, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	w->pool = pool;
	w->rng = seed ? seed : 1;
	w->step_ns = 100 * 1000;
	w->delay_ns = 50 * 1000;
}

struct fc_tcp_config
wire_default_cfg(struct rte_mempool *pool, uint32_t ip)
{
	struct fc_tcp_config c = {
		.pool = pool,
		.local_ip = ip,
		.max_conns = 256,
		.rto_min_ns = 10 * 1000 * 1000ull,
		.rto_init_ns = 100 * 1000 * 1000ull,
		.rto_max_ns = 2000 * 1000 * 1000ull,
		.time_wait_ns = 50 * 1000 * 1000ull,
		.timer_res_ns = 100 * 1000,
		.isn_secret = 0x1234,
	};

	c.local_mac.addr_bytes[5] = (uint8_t)ip;
	c.next_hop_mac.addr_bytes[5] = (uint8_t)(ip ^ 3);
	return c;
}

static void
enqueue(struct wire *w, int dir, struct rte_mbuf *m, uint64_t at)
{
	unsigned i;
	struct wire_pkt p = { .m = m, .at = at, .order = w->order++ };

	if (w->npend[dir] >= WIRE_MAX_PENDING) {
		rte_pktmbuf_free(m);
		w->lost[dir]++;
		return;
	}
	/* keep sorted by (at, order) */
	i = w->npend[dir];
	while (i > 0 && w->pend[dir][i - 1].at > at) {
		w->pend[dir][i] = w->pend[dir][i - 1];
		i--;
	}
	w->pend[dir][i] = p;
	w->npend[dir]++;
}

static void
take_tx(struct wire *w, int dir)
{
	struct rte_mbuf *out[64];
	uint16_t n, i;

	while ((n = fc_tcp_tx_bulk(w->ctx[dir], out, 64)) > 0) {
		for (i = 0; i < n; i++) {
			struct rte_mbuf *m = out[i];
			uint64_t at = w->now + w->delay_ns;

			w->sent[dir]++;
			if (getenv("WIRE_TRACE")) {
				struct seg_info si;

				if (seg_parse(m, &si))
					printf("%.6f %s seq %u ack %u fl %02x wnd %u len %u\n",
						(double)w->now / 1e9, dir ? "B>A" : "A>B", si.seq,
						si.ack, si.flags, si.wnd, si.len);
			}
			if (w->filter != NULL && w->filter(w->filter_arg, dir, m)) {
				rte_pktmbuf_free(m);
				w->lost[dir]++;
				continue;
			}
			if (w->loss > 0 && wire_rand(w) < w->loss) {
				rte_pktmbuf_free(m);
				w->lost[dir]++;
				continue;
			}
			if (w->jitter_ns)
				at += (uint64_t)(wire_rand(w) * (double)w->jitter_ns);
			if (w->dup > 0 && wire_rand(w) < w->dup) {
				struct rte_mbuf *c = rte_pktmbuf_copy(m, w->pool, 0, UINT32_MAX);

				if (c != NULL) {
					w->duped[dir]++;
					enqueue(w, dir, c, at + 1000);
				}
			}
			if (w->reorder > 0 && wire_rand(w) < w->reorder) {
				w->reordered[dir]++;
				at += w->reorder_ns;
			}
			enqueue(w, dir, m, at);
		}
	}
}

static bool
deliver_due(struct wire *w, int dir)
{
	struct rte_mbuf *burst[32];
	unsigned n = 0, k = 0;

	while (k < w->npend[dir] && w->pend[dir][k].at <= w->now && n < 32) {
		struct rte_mbuf *m = w->pend[dir][k].m;

		if (w->mark_cksum_good)
			m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_RX_L4_CKSUM_MASK &
				~RTE_MBUF_F_RX_IP_CKSUM_MASK) |
				RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		else
			m->ol_flags = 0;
		burst[n++] = m;
		k++;
	}
	if (k > 0) {
		memmove(&w->pend[dir][0], &w->pend[dir][k],
			(w->npend[dir] - k) * sizeof(w->pend[dir][0]));
		w->npend[dir] -= k;
	}
	if (n > 0)
		fc_tcp_rx_bulk(w->ctx[dir ^ 1], burst, (uint16_t)n, w->now);
	return n > 0;
}

void
wire_pump(struct wire *w)
{
	int guard;

	for (guard = 0; guard < 100000; guard++) {
		bool any;

		take_tx(w, 0);
		take_tx(w, 1);
		any = deliver_due(w, 0);
		any |= deliver_due(w, 1);
		if (!any)
			break;
	}
}

void
wire_advance(struct wire *w, uint64_t dt)
{
	uint64_t end = w->now + dt;

	while (w->now < end) {
		uint64_t next = end;
		int d;

		for (d = 0; d < 2; d++)
			if (w->npend[d] > 0 && w->pend[d][0].at < next && w->pend[d][0].at > w->now)
				next = w->pend[d][0].at;
		if (next > w->now + w->step_ns)
			next = w->now + w->step_ns;
		w->now = next;
		fc_tcp_process(w->ctx[0], w->now);
		if (w->ctx[1] != NULL)
			fc_tcp_process(w->ctx[1], w->now);
		wire_pump(w);
	}
}

bool
wire_run_until(struct wire *w, bool (*cond)(void *), void *arg, uint64_t limit_ns)
{
	wire_pump(w);
	while (!cond(arg) && w->now < limit_ns)
		wire_advance(w, w->step_ns);
	return cond(arg);
}

void
wire_flush(struct wire *w)
{
	int d;
	unsigned i;

	for (d = 0; d < 2; d++) {
		for (i = 0; i < w->npend[d]; i++)
			rte_pktmbuf_free(w->pend[d][i].m);
		w->npend[d] = 0;
	}
}

bool
seg_parse(struct rte_mbuf *m, struct seg_info *si)
{
	uint8_t buf[128];
	const uint8_t *p;
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *th;
	unsigned ihl, doff, i;

	memset(si, 0, sizeof(*si));
	si->wscale = -1;
	p = rte_pktmbuf_read(m, 0, RTE_MIN(m->pkt_len, (uint32_t)sizeof(buf)), buf);
	if (p == NULL || m->pkt_len < 54)
		return false;
	ip = (const struct rte_ipv4_hdr *)(p + 14);
	ihl = (ip->version_ihl & 0xf) * 4;
	th = (const struct rte_tcp_hdr *)((const uint8_t *)ip + ihl);
	doff = (th->data_off >> 4) * 4;
	si->seq = rte_be_to_cpu_32(th->sent_seq);
	si->ack = rte_be_to_cpu_32(th->recv_ack);
	si->wnd = rte_be_to_cpu_16(th->rx_win);
	si->flags = th->tcp_flags;
	si->sport = rte_be_to_cpu_16(th->src_port);
	si->dport = rte_be_to_cpu_16(th->dst_port);
	si->len = rte_be_to_cpu_16(ip->total_length) - ihl - doff;
	for (i = 20; i < doff;) {
		const uint8_t *o = (const uint8_t *)th + i;

		if (o[0] == 0)
			break;
		if (o[0] == 1) {
			i++;
			continue;
		}
		if (o[0] == 2)
			si->mss = (uint16_t)(o[2] << 8 | o[3]);
		if (o[0] == 3)
			si->wscale = o[2];
		if (o[0] == 8)
			si->ts = true;
		if (o[1] < 2)
			break;
		i += o[1];
	}
	return true;
}

struct rte_mbuf *
seg_build(struct rte_mempool *mp, uint32_t src_ip, uint16_t sport, uint32_t dst_ip,
	uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
	const uint8_t *opts, unsigned optlen, const void *data, unsigned len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	unsigned tl = 14 + 20 + 20 + optlen + len;

	if (m == NULL || rte_pktmbuf_append(m, (uint16_t)tl) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memset(eh, 0, 14);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	memset(ip, 0, 20);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(tl - 14));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(src_ip);
	ip->dst_addr = rte_cpu_to_be_32(dst_ip);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th = (struct rte_tcp_hdr *)(ip + 1);
	memset(th, 0, 20);
	th->src_port = rte_cpu_to_be_16(sport);
	th->dst_port = rte_cpu_to_be_16(dport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(((20 + optlen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(wnd);
	if (optlen)
		memcpy(th + 1, opts, optlen);
	if (len)
		memcpy((uint8_t *)(th + 1) + optlen, data, len);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return m;
}
