/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/port on the in-process ring pair. Queue i of one side reaches queue i of the other.
 * A full port loses nothing: fc_io_tx() holds what the port refused and sends it first, in
 * order, once there is room. fc_io_rx_input() marks frames checksum-good only on a queue
 * pair that says so (rx_mark_cksum, the in-process ring): unmarked, a bad TCP or IPv4
 * checksum is counted and the frame dropped; marked, neither lib/net nor lib/tcp sums it.
 */
#include <stdint.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "fc_net.h"
#include "fc_platform.h"
#include "fc_tcp.h"
#include "fc_test.h"
#include "fc_port_io.h"

#define NQ 2

static struct rte_mempool *pool;

static int
start_port(uint16_t port)
{
	struct rte_eth_conf conf = {0};

	if (rte_eth_dev_configure(port, NQ, NQ, &conf) != 0)
		return -1;
	for (uint16_t q = 0; q < NQ; q++)
		if (rte_eth_rx_queue_setup(port, q, 0, (unsigned)rte_socket_id(), NULL,
					   pool) != 0 ||
		    rte_eth_tx_queue_setup(port, q, 0, (unsigned)rte_socket_id(), NULL) != 0)
			return -1;
	return rte_eth_dev_start(port);
}

/* Queue i to queue i: a frame sent by A on queue 1 is read by B's queue 1 only. */
static void
test_queues(uint16_t a, uint16_t b)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *got[4];

	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK_EQ(fc_port_tx_burst(a, 1, &m, 1), 1);
	CHECK_EQ(fc_port_rx_burst(b, 0, got, 4), 0);
	CHECK_EQ(fc_port_rx_burst(b, 1, got, 4), 1);
	CHECK(got[0] == m);
	rte_pktmbuf_free(m);
}

static unsigned
number_of(const struct rte_mbuf *m)
{
	return *rte_pktmbuf_mtod(m, const uint8_t *);
}

/*
 * A port that takes nothing loses nothing: B reads nothing while A sends 40 frames into a
 * 16-frame ring, FC_IO_BURST at most per call as the workers do (fc_io_tx_room()). What
 * the ring refused waits in the hold, and once B reads, every frame arrives, in order,
 * none freed.
 */
static void
test_full_port_holds(uint16_t a, uint16_t b)
{
	struct fc_port_io io = {.port_id = a, .queue = 0};
	struct rte_mbuf *got[64];
	unsigned sent = 0, next = 0;

	while (sent < 40) {
		struct rte_mbuf *m[4];
		uint16_t n = 0;

		if (fc_io_tx_room(&io) < 4)
			break;
		for (; n < 4; n++) {
			m[n] = rte_pktmbuf_alloc(pool);
			CHECK(m[n] != NULL);
			if (m[n] == NULL)
				return;
			*rte_pktmbuf_mtod(m[n], uint8_t *) = (uint8_t)(sent + n);
			m[n]->data_len = m[n]->pkt_len = 1;
		}
		fc_io_tx(&io, m, n, 0);
		sent += n;
	}
	CHECK_EQ(sent, 40);
	CHECK(io.nb_pending > 0);
	CHECK(io.tx_deferred > 0);
	for (unsigned pass = 0; pass < 100 && next < sent; pass++) {
		uint16_t n = fc_port_rx_burst(b, 0, got, 64);

		for (uint16_t i = 0; i < n; i++) {
			CHECK_EQ(number_of(got[i]), next);
			next++;
		}
		rte_pktmbuf_free_bulk(got, n);
		fc_io_tx(&io, NULL, 0, 0); /* retries the held frames */
	}
	CHECK_EQ(next, 40);
	CHECK_EQ(io.nb_pending, 0);
	CHECK_EQ(io.tx_refused, 0);
}

#define MARK_IP_A FC_TEST_IPV4(198, 18, 0, 1)
#define MARK_IP_B FC_TEST_IPV4(198, 18, 0, 2)

/* A bare ACK A -> B on queue 1 to @p mac, the IPv4 and TCP checksums right or not. */
static void
send_ack(uint16_t a, const struct rte_ether_addr *mac, bool good_ip, bool good_tcp)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	th = (struct rte_tcp_hdr *)(ip + 1);
	memset(eh, 0, sizeof(*eh) + sizeof(*ip) + sizeof(*th));
	eh->dst_addr = *mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*th));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(MARK_IP_A);
	ip->dst_addr = rte_cpu_to_be_32(MARK_IP_B);
	th->src_port = rte_cpu_to_be_16(10000);
	th->dst_port = rte_cpu_to_be_16(80);
	th->data_off = 5 << 4;
	th->tcp_flags = RTE_TCP_ACK_FLAG;
	th->rx_win = rte_cpu_to_be_16(65535);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (!good_tcp)
		th->cksum ^= 0x5a5a;
	if (!good_ip)
		ip->hdr_checksum ^= 0x5a5a;
	m->data_len = m->pkt_len = sizeof(*eh) + sizeof(*ip) + sizeof(*th);
	CHECK_EQ(rte_eth_tx_burst(a, 1, &m, 1), 1);
}

static void
test_mark_cksum(uint16_t a, uint16_t b)
{
	struct fc_net_conf nc = {.ip = rte_cpu_to_be_32(MARK_IP_B), .prefix_len = 15, .pool = pool,
				 .rx_cksum_offload = true};
	struct fc_tcp_config tc = {.pool = pool, .local_ip = MARK_IP_B, .max_conns = 16};
	struct fc_port_io io = {.port_id = b, .queue = 1};
	struct fc_net_ctx net;
	struct fc_tcp_ctx *tcp;

	nc.mac.addr_bytes[0] = 0x02;
	nc.mac.addr_bytes[5] = 0x0b;
	tc.local_mac = nc.mac;
	CHECK_EQ(fc_net_init(&net, &nc), 0);
	tcp = fc_tcp_ctx_create(&tc, SOCKET_ID_ANY);
	CHECK(tcp != NULL);
	if (tcp == NULL)
		return;
	/* Not marked: both checksums are summed, and the bad ones are caught. */
	send_ack(a, &nc.mac, true, false);
	CHECK_EQ(fc_io_rx_input(&io, &net, tcp, 0), 1);
	CHECK_EQ(fc_tcp_counters(tcp)->cksum_errors, 1);
	send_ack(a, &nc.mac, false, true);
	CHECK_EQ(fc_io_rx_input(&io, &net, tcp, 0), 1);
	CHECK_EQ(net.stats.rx_bad_cksum, 1);
	CHECK_EQ(fc_tcp_counters(tcp)->cksum_errors, 1);
	/* Marked: the same frames pass both layers unsummed (an ACK for no connection, which
	 * lib/tcp then answers with a reset, RFC 9293 §3.10.7.1). */
	io.rx_mark_cksum = true;
	send_ack(a, &nc.mac, true, false);
	send_ack(a, &nc.mac, false, true);
	CHECK_EQ(fc_io_rx_input(&io, &net, tcp, 0), 2);
	CHECK_EQ(net.stats.rx_bad_cksum, 1);
	CHECK_EQ(fc_tcp_counters(tcp)->cksum_errors, 1);
	CHECK_EQ(fc_tcp_counters(tcp)->unknown_flow, 2);
	fc_tcp_ctx_free(tcp);
}

int
main(int argc, char **argv)
{
	uint16_t a, b;

	(void)argc;
	if (fc_test_eal_init(argv[0], 64) < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("tla_pool", 256, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	CHECK(pool != NULL);
	CHECK_EQ(fc_ring_pair_create("tla", NQ, (int)rte_socket_id(), 16, 8, &a, &b), 0);
	CHECK_EQ(start_port(a), 0);
	CHECK_EQ(start_port(b), 0);
	if (pool != NULL) {
		test_queues(a, b);
		test_full_port_holds(a, b);
		test_mark_cksum(a, b);
	}
	return fc_test_result("test_port_io");
}
