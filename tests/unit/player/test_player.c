/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/player on the ring pair, polled on a fake clock: frames leave in capture order, each
 * only once due (captured offsets divided by the speed, loops one mean gap apart, or a
 * fixed packet grid), at top speed all at once; the counts follow what the queue took,
 * and a full queue delays frames without reordering or losing them. The pool ends full.
 */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "fc_platform.h"
#include "fc_player.h"
#include "fc_test.h"

#define MS 1000000ull

static struct rte_mempool *pool;
static uint16_t port_a, port_b;

static int
start_port(uint16_t port)
{
	struct rte_eth_conf conf = {0};

	if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, 0, (unsigned)rte_socket_id(), NULL, pool) != 0 ||
	    rte_eth_tx_queue_setup(port, 0, 0, (unsigned)rte_socket_id(), NULL) != 0)
		return -1;
	return rte_eth_dev_start(port);
}

/* Frames arrived at the far side: their first byte (the frame's number) into @p ids. */
static unsigned
drain(uint8_t *ids, unsigned max)
{
	struct rte_mbuf *m[32];
	unsigned n = 0;
	uint16_t got;

	while ((got = rte_eth_rx_burst(port_b, 0, m, 32)) > 0) {
		for (uint16_t i = 0; i < got; i++) {
			if (n < max)
				ids[n++] = *rte_pktmbuf_mtod(m[i], uint8_t *);
			rte_pktmbuf_free(m[i]);
		}
	}
	return n;
}

int
main(int argc, char **argv)
{
	static uint8_t bytes[3 * 64];
	struct fc_pcap_raw_pkt pkts[3];
	struct fc_pcap_raw cap = {.pkts = pkts, .nb_pkts = 3, .bytes = bytes, .nb_bytes = sizeof(bytes)};
	struct fc_player p;
	uint8_t ids[16];
	unsigned avail0;

	(void)argc;
	if (fc_test_eal_init(argv[0], 64) != 0)
		return 1;
	pool = rte_pktmbuf_pool_create("player", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	CHECK(pool != NULL);
	CHECK_EQ(fc_ring_pair_create("plr", 1, (int)rte_socket_id(), 4, 64, &port_a, &port_b), 0);
	CHECK_EQ(start_port(port_a), 0);
	CHECK_EQ(start_port(port_b), 0);
	avail0 = rte_mempool_avail_count(pool);
	for (unsigned i = 0; i < 3; i++) {
		memset(bytes + i * 64, 0, 64);
		bytes[i * 64] = (uint8_t)i;
		pkts[i] = (struct fc_pcap_raw_pkt){.off = i * 64, .len = 60, .t_ns = i * 10 * MS,
						   .ip_fixed = true, .l4_fixed = i != 1};
	}

	/* Captured timing at x2, two loops: due at 0, 5, 10 ms, then (period 30 ms) 15, 20, 25. */
	struct fc_player_conf conf = {.cap = &cap, .port = port_a, .queue = 0, .pool = pool,
				      .speed = 2, .loops = 2};

	CHECK_EQ(fc_player_init(&p, &conf), 0);
	CHECK_EQ(p.total, 6);
	CHECK_EQ(p.period_ns, 30 * MS);
	CHECK(p.intended_s > 0.0249 && p.intended_s < 0.0251);
	p.start_ns = 1000;
	CHECK(fc_player_poll(&p, 1000));
	CHECK_EQ(drain(ids, 16), 1);
	CHECK(fc_player_poll(&p, 1000 + 5 * MS - 1));
	CHECK_EQ(drain(ids, 16), 0);
	CHECK(fc_player_poll(&p, 1000 + 12 * MS));
	CHECK_EQ(drain(ids, 16), 2);
	CHECK_EQ(ids[0], 1);
	CHECK_EQ(ids[1], 2);
	CHECK(!fc_player_poll(&p, 1000 + 26 * MS));
	CHECK_EQ(drain(ids, 16), 3);
	CHECK(ids[0] == 0 && ids[1] == 1 && ids[2] == 2);
	CHECK_EQ(p.sent, 6);
	CHECK_EQ(p.bytes, 360);
	CHECK_EQ(p.ip_fixed, 6);
	CHECK_EQ(p.l4_fixed, 4);
	CHECK_EQ(fc_hist_count(p.lag), 6);
	CHECK_EQ(fc_hist_max(p.lag) >= 2 * MS, true);
	fc_player_fini(&p);

	/* Top speed into a 4-frame ring: the queue refuses, order holds, nothing is lost. */
	conf.topspeed = true;
	conf.loops = 3;
	CHECK_EQ(fc_player_init(&p, &conf), 0);
	p.start_ns = 0;
	unsigned got = 0, passes = 0;
	uint8_t all[16];

	while (fc_player_poll(&p, 0) && passes++ < 100)
		got += drain(all + got, 16 - got);
	got += drain(all + got, 16 - got);
	CHECK_EQ(got, 9);
	for (unsigned i = 0; i < got; i++)
		CHECK_EQ(all[i], i % 3);
	CHECK(p.refused > 0);
	CHECK_EQ(p.sent, 9);
	CHECK_EQ(p.nb_pending, 0);
	CHECK_EQ(fc_hist_count(p.lag), 0);
	fc_player_fini(&p);

	/* A fixed grid of 1000 pkt/s: frame k due at k ms. */
	conf.topspeed = false;
	conf.pps = 1000;
	conf.loops = 1;
	CHECK_EQ(fc_player_init(&p, &conf), 0);
	CHECK(p.intended_s > 0.00199 && p.intended_s < 0.00201);
	p.start_ns = 0;
	fc_player_poll(&p, 1 * MS);
	CHECK_EQ(drain(ids, 16), 2);
	CHECK(!fc_player_poll(&p, 2 * MS));
	CHECK_EQ(drain(ids, 16), 1);
	fc_player_fini(&p);

	CHECK_EQ(rte_mempool_avail_count(pool), avail0);
	return fc_test_result("player");
}
