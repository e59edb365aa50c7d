/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: arbitrary bytes as received frames into a lib/tcp context that has a listener
 * (port 80) and one established connection (198.18.0.1:40000 -> 198.18.0.2:80, the peer's
 * next sequence number 1001 and ours iss+1). The stack must never crash, never leak an mbuf,
 * and count every frame it drops.
 *
 * Input: records of [mode:1][len:2 big endian][frame:len], up to 16 per input.
 * mode bit 0: overwrite addresses/ports so the frame hits the established connection;
 * bit 1: with bit 0, write seq = rcv_nxt + small delta and ack = snd_una + small delta;
 * bit 2: recompute IPv4 and TCP checksums (so mutated frames get past them);
 * bit 3: mark the frame RX_L4_CKSUM_GOOD as a NIC would;
 * bits 4-7: advance the fake clock by (value * 37 ms) before the frame (timers fire).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "fc_tcp.h"

#define IP_US ((uint32_t)198 << 24 | 18 << 16 | 2)
#define IP_PEER ((uint32_t)198 << 24 | 18 << 16 | 1)

static struct rte_mempool *pool;

static void
on_data(struct fc_tcp_conn *c, void *user, struct rte_mbuf *m, uint64_t now)
{
	(void)now;
	(void)user;
	/* Echo a little back to exercise the send path. */
	if (m->pkt_len > 0 && (rte_pktmbuf_mtod(m, uint8_t *)[0] & 1))
		fc_tcp_send_copy(c, "ok", 2);
	if (m->pkt_len > 0 && rte_pktmbuf_mtod(m, uint8_t *)[0] == 'C')
		fc_tcp_close(c);
	if (m->pkt_len > 0 && rte_pktmbuf_mtod(m, uint8_t *)[0] == 'A')
		fc_tcp_abort(c);
	rte_pktmbuf_free(m);
}

static void
on_closed(struct fc_tcp_conn *c, void *user, enum fc_tcp_close_reason r, uint64_t now)
{
	(void)now;
	(void)c;
	(void)r;
	*(struct fc_tcp_conn **)user = NULL;
}

static void
on_eof(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	(void)now;
	(void)user;
	fc_tcp_shutdown(c);
}

static const struct fc_tcp_ops ops = {
	.on_data = on_data,
	.on_closed = on_closed,
	.on_eof = on_eof,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char prefix[64];
	char *eal[] = {(*argv)[0], "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
		"-m", "64", "-l", "0", prefix, "--log-level=*:error", NULL};

	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=fcfuzztcp%d", (int)getpid());
	if (rte_eal_init(11, eal) < 0)
		abort();
	pool = rte_pktmbuf_pool_create("fuzz_tcp", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (pool == NULL)
		abort();
	return 0;
}

static struct rte_mbuf *
frame(uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *opt, unsigned olen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(54 + olen));
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + 14);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

	memset(p, 0, 54);
	p[12] = 0x08;
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(40 + olen));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(IP_PEER);
	ip->dst_addr = rte_cpu_to_be_32(IP_US);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->src_port = rte_cpu_to_be_16(40000);
	th->dst_port = rte_cpu_to_be_16(80);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(((20 + olen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(1000);
	if (olen > 0)
		memcpy(th + 1, opt, olen);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return m;
}

static void
drain(struct fc_tcp_ctx *ctx, uint32_t *last_seq)
{
	struct rte_mbuf *out[64];
	uint16_t n, i;

	while ((n = fc_tcp_tx_bulk(ctx, out, 64)) > 0) {
		for (i = 0; i < n; i++) {
			const uint8_t *p = rte_pktmbuf_mtod(out[i], const uint8_t *);

			if (last_seq != NULL && out[i]->data_len >= 54) {
				uint32_t v;

				memcpy(&v, p + 38, sizeof(v)); /* unaligned */
				*last_seq = rte_be_to_cpu_32(v);
			}
		}
		rte_pktmbuf_free_bulk(out, n);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t synopt[] = { 2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0,
		0, 0, 0, 1, 1 };
	unsigned before = rte_mempool_avail_count(pool);
	struct fc_tcp_config cfg = {
		.pool = pool, .local_ip = IP_US, .max_conns = 32, .rto_min_ns = 5000000,
		.rto_init_ns = 20000000, .rto_max_ns = 200000000, .time_wait_ns = 50000000,
		.timer_res_ns = 1000000, .timer_slots = 256, .txq_size = 256, .ooo_max_segs = 8,
		.rcv_wnd = 200000, .timestamps = true, .syn_backlog = 8,
		.port_min = 50000, .port_max = 50063, /* small tables: a context per input */
	};
	struct fc_tcp_ctx *ctx = fc_tcp_ctx_create(&cfg, SOCKET_ID_ANY);
	struct fc_tcp_conn *conn = NULL;
	uint64_t now = 0;
	uint32_t iss = 0;
	size_t off = 0;
	unsigned rec;
	struct rte_mbuf *m;

	if (ctx == NULL)
		abort();
	fc_tcp_listen(ctx, 80, &ops, &conn);
	/* Handshake: SYN with options, then the ACK; the accepted connection's user pointer is
	 * &conn, and on_closed clears it. */
	m = frame(1000, 0, RTE_TCP_SYN_FLAG, synopt, sizeof(synopt));
	fc_tcp_rx_bulk(ctx, &m, 1, now);
	drain(ctx, &iss);
	m = frame(1001, iss + 1, RTE_TCP_ACK_FLAG, NULL, 0);
	fc_tcp_rx_bulk(ctx, &m, 1, now);
	drain(ctx, NULL);
	if (fc_tcp_nb_conns(ctx) != 1)
		abort();
	if (conn != NULL)
		fc_tcp_send_copy(conn, "hello", 5);

	for (rec = 0; rec < 16 && off + 3 <= size; rec++) {
		uint8_t mode = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];

		off += 3;
		if (len > size - off)
			len = size - off;
		now += (uint64_t)(mode >> 4) * 37000000ull;
		fc_tcp_process(ctx, now);
		m = rte_pktmbuf_alloc(pool);
		if (m == NULL)
			abort();
		if (len > rte_pktmbuf_tailroom(m))
			len = rte_pktmbuf_tailroom(m);
		memcpy(rte_pktmbuf_append(m, (uint16_t)len), data + off, len);
		off += len;
		if ((mode & 1) && len >= 54) {
			uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
			struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + 14);
			unsigned ihl = (ip->version_ihl & 0xf) * 4u;

			p[12] = 0x08;
			p[13] = 0;
			ip->src_addr = rte_cpu_to_be_32(IP_PEER);
			ip->dst_addr = rte_cpu_to_be_32(IP_US);
			if (14 + ihl + 20 <= len) {
				struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(p + 14 + ihl);
				struct fc_tcp_conn_info ci;

				th->src_port = rte_cpu_to_be_16(40000);
				th->dst_port = rte_cpu_to_be_16(80);
				if ((mode & 2) && conn != NULL) {
					fc_tcp_conn_get_info(conn, &ci);
					th->sent_seq = rte_cpu_to_be_32(ci.rcv_nxt +
						(int8_t)p[len - 1]);
					th->recv_ack = rte_cpu_to_be_32(ci.snd_una +
						(int8_t)p[len - 2]);
				}
				if ((mode & 4) && 14u + rte_be_to_cpu_16(ip->total_length) <= len &&
						ihl >= 20 &&
						rte_be_to_cpu_16(ip->total_length) >= ihl + 20) {
					ip->hdr_checksum = 0;
					ip->hdr_checksum = rte_ipv4_cksum(ip);
					th->cksum = 0;
					th->cksum = rte_ipv4_udptcp_cksum(ip, th);
				}
			}
		}
		if (mode & 8)
			m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		fc_tcp_rx_bulk(ctx, &m, 1, now);
		drain(ctx, NULL);
		if (conn != NULL && (mode & 0x30) == 0x30)
			fc_tcp_send_copy(conn, data, size < 3000 ? size : 3000);
	}
	/* Let every timer run out, then tear down. */
	fc_tcp_process(ctx, now + 1000000000ull);
	drain(ctx, NULL);
	fc_tcp_ctx_free(ctx);
	if (rte_mempool_avail_count(pool) != before)
		abort(); /* mbuf leak */
	return 0;
}
