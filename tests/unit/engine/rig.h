/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A client worker and a server worker of lib/engine joined by the in-process ring pair,
 * both polled from this one thread on a fake clock: every pass advances the clock by a
 * fixed step, then polls the client and the server. No lcore, no TSC: the same inputs give
 * the same run, for the unit tests and for counting instructions per request.
 */
#ifndef ENGINE_RIG_H
#define ENGINE_RIG_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fc_engine.h"
#include "fc_platform.h"
#include "fc_server.h"
#include "fc_test.h"

#define RIG_MS 1000000ull
#define RIG_IP_CLIENT FC_TEST_IPV4(198, 18, 0, 1)
#define RIG_IP_SERVER FC_TEST_IPV4(198, 18, 0, 2)

/* The fake clock every part of the rig reads. */
static uint64_t rig_now_ns;

/* For the loops that wait for a bound by reading the clock (the final flush): each read
 * moves it on a microsecond, or a wait on a port that never drains would never end. */
static inline uint64_t
rig_clock(void)
{
	rig_now_ns += 1000;
	return rig_now_ns;
}

struct rig_opts {
	uint32_t conns;                 /* client connections (closed loop) */
	uint32_t pipeline;              /* requests in flight per connection (0: 1) */
	bool close_mode;                /* one request per connection */
	uint64_t max_requests;          /* client request budget (0: none) */
	uint64_t connect_timeout_ns;    /* 0: 1 s */
	uint64_t request_timeout_ns;    /* 0: 1 s */
	const struct fc_impair_conf *imp_rx; /* the client's receive impairment */
	const struct fc_impair_conf *imp_tx; /* the client's send impairment */
	const struct fc_http_route_spec *route; /* NULL: 200 with a 12-byte body */
	uint32_t mbufs;                 /* pool size (0: 8191) */
	uint64_t step_ns;               /* clock step per pass (0: 2 us) */
	uint32_t ring;                  /* frames per ring of the pair (0: 4096) */
	const struct fc_http_tmpl_spec *extra; /* a second request template, or NULL */
	uint64_t extra_weight;          /* its weight against the plain GET's 1 */
	uint32_t retries;               /* sends again after a server close (run's --retries) */
};

struct rig {
	struct rig_opts o;
	struct rte_mempool *pool;
	unsigned pool_avail0;           /* mbufs free before the workers were set up */
	uint16_t port_c, port_s;
	struct fc_http_mix mix;
	struct fc_http_server *http;
	struct fc_rate_plan plan;
	struct fc_run_params rp;
	struct fc_client_worker cw;
	struct fc_server_worker sw;
	bool server_paused;             /* the server is not polled: its port takes nothing */
};

static inline int
rig_start_port(struct rig *r, uint16_t port)
{
	struct rte_eth_conf conf = {0};

	if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, 0, (unsigned)rte_socket_id(), NULL, r->pool) != 0 ||
	    rte_eth_tx_queue_setup(port, 0, 0, (unsigned)rte_socket_id(), NULL) != 0)
		return -1;
	return rte_eth_dev_start(port);
}

/*
 * Set up both workers. The ring pair and the pool are made once per process (@p name
 * distinguishes rigs); each rig gets its own.
 * @return 0, or -1 (a CHECK already failed)
 */
static inline int
rig_init(struct rig *r, const char *name, const struct rig_opts *o)
{
	static const struct fc_http_route_spec hello = {
		.path = "*", .status = 200, .body = "hello world\n", .body_len = 12,
	};
	const struct fc_http_tmpl_spec get = {.path = "/", .host = "198.18.0.2"};
	char err[256], pname[64];
	struct rte_ether_addr mac_c = {{0x02, 0, 0, 0, 0, 0x01}}, mac_s = {{0x02, 0, 0, 0, 0, 0x02}};
	int rc;

	memset(r, 0, sizeof(*r));
	r->o = *o;
	if (r->o.pipeline == 0)
		r->o.pipeline = 1;
	if (r->o.step_ns == 0)
		r->o.step_ns = 2000;
	rig_now_ns = 1000 * RIG_MS;
	snprintf(pname, sizeof(pname), "%s_pool", name);
	r->pool = rte_pktmbuf_pool_create(pname, r->o.mbufs ? r->o.mbufs : 8191, 256, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	CHECK(r->pool != NULL);
	if (r->pool == NULL)
		return -1;
	rc = fc_ring_pair_create(name, 1, (int)rte_socket_id(), o->ring ? o->ring : 4096,
				 o->ring ? o->ring : 4096, &r->port_c, &r->port_s);
	CHECK_EQ(rc, 0);
	if (rc != 0 || rig_start_port(r, r->port_c) != 0 || rig_start_port(r, r->port_s) != 0)
		return -1;
	r->pool_avail0 = rte_mempool_avail_count(r->pool);

	r->http = fc_http_server_create(o->route ? o->route : &hello, 1, err, sizeof(err));
	CHECK(r->http != NULL);
	CHECK(fc_http_mix_add(&r->mix, &get, 1, err, sizeof(err)) >= 0);
	if (o->extra != NULL)
		CHECK(fc_http_mix_add(&r->mix, o->extra, o->extra_weight, err, sizeof(err)) >= 0);
	CHECK_EQ(fc_rate_plan_init(&r->plan, 0, r->o.conns), 0);

	struct fc_net_conf nc_s = {.mac = mac_s, .ip = rte_cpu_to_be_32(RIG_IP_SERVER),
				   .prefix_len = 15, .pool = r->pool, .rx_cksum_offload = true};
	struct fc_net_conf nc_c = {.mac = mac_c, .ip = rte_cpu_to_be_32(RIG_IP_CLIENT),
				   .prefix_len = 15, .pool = r->pool, .rx_cksum_offload = true};
	/* As run does: in close mode each side holds a closed connection's TCB in TIME_WAIT
	 * or LAST_ACK for a while, so both get room for many more than are open. */
	uint32_t tcbs = r->o.conns * 2 + 64 + (r->o.close_mode ? 65536 : 0);
	struct fc_tcp_config tc_s = {.max_conns = tcbs, .rto_min_ns = 200 * RIG_MS,
				     .rto_init_ns = 200 * RIG_MS, .time_wait_ns = 20 * RIG_MS};

	r->sw.io.port_id = r->port_s;
	r->sw.io.rx_mark_cksum = true;
	r->sw.listen_port = 80;
	r->sw.clock = rig_clock;
	rc = fc_server_worker_init(&r->sw, r->http, &tc_s, &nc_s, &mac_c, tc_s.max_conns,
				   SOCKET_ID_ANY);
	CHECK_EQ(rc, 0);
	if (rc != 0)
		return -1;

	r->rp = (struct fc_run_params){
		.target_ip = RIG_IP_SERVER, .target_port = 80, .mix = &r->mix,
		.plan = &r->plan, .start_ns = rig_now_ns, .nb_workers = 1,
		.max_conns_per_worker = r->o.conns, .pipeline = r->o.pipeline,
		.close_mode = r->o.close_mode,
		.connect_timeout_ns = o->connect_timeout_ns ? o->connect_timeout_ns : 1000 * RIG_MS,
		.request_timeout_ns = o->request_timeout_ns ? o->request_timeout_ns : 1000 * RIG_MS,
		.max_requests = o->max_requests, .retries = o->retries, .seed = 0x5eed,
		.imp_rx = o->imp_rx, .imp_tx = o->imp_tx,
		.tcp = {.max_conns = tcbs, .rto_min_ns = 10 * RIG_MS,
			.rto_init_ns = 200 * RIG_MS, .time_wait_ns = 20 * RIG_MS},
	};
	r->cw.io.port_id = r->port_c;
	r->cw.io.rx_mark_cksum = true;
	r->cw.clock = rig_clock;
	rc = fc_client_worker_init(&r->cw, &r->rp, &nc_c, &mac_s, SOCKET_ID_ANY);
	CHECK_EQ(rc, 0);
	if (rc != 0)
		return -1;
	r->cw.ctl.target_conns = r->o.conns;
	return 0;
}

/* One pass: the clock moves on one step, then the client and (unless paused) the server. */
static inline void
rig_pass(struct rig *r)
{
	rig_now_ns += r->o.step_ns;
	fc_client_worker_poll(&r->cw, rig_now_ns);
	if (!r->server_paused)
		fc_server_worker_poll(&r->sw, rig_now_ns);
}

/* Run passes for @p ns of fake time. */
static inline void
rig_run(struct rig *r, uint64_t ns)
{
	uint64_t end = rig_now_ns + ns;

	while (rig_now_ns < end)
		rig_pass(r);
}

static inline void
rig_phase(struct rig *r, enum fc_phase p)
{
	__atomic_store_n(&r->cw.ctl.phase, p, __ATOMIC_RELEASE);
}

/* The end of a run as the control core drives it: drain, close, exit; bounded. */
static inline void
rig_stop(struct rig *r, uint64_t drain_ns, uint64_t close_ns)
{
	rig_phase(r, FC_PHASE_DRAIN);
	for (uint64_t end = rig_now_ns + drain_ns; rig_now_ns < end;) {
		struct fc_stats_core s;

		fc_stats_snapshot(&s, &r->cw.stats);
		if (s.req_sent == s.req_completed + fc_stats_errors_total(&s))
			break;
		rig_pass(r);
	}
	rig_phase(r, FC_PHASE_CLOSE);
	for (uint64_t end = rig_now_ns + close_ns; rig_now_ns < end;) {
		if (r->cw.nb_used == 0)
			break;
		rig_pass(r);
	}
	rig_phase(r, FC_PHASE_EXIT);
	/* What did not close within the bound is reset (lib/tcp's RSTs leave now). */
	fc_client_worker_abort_open(&r->cw);
	/* Let the server see the FINs and RSTs, and free what it holds. */
	for (unsigned i = 0; i < 100; i++) {
		rig_now_ns += r->o.step_ns;
		fc_server_worker_poll(&r->sw, rig_now_ns);
	}
}

static inline struct fc_stats_core
rig_stats(const struct rig *r)
{
	struct fc_stats_core s;

	fc_stats_snapshot(&s, &r->cw.stats);
	return s;
}

/* Free both workers; CHECK that the pool has every mbuf back. */
static inline void
rig_fini(struct rig *r)
{
	fc_client_worker_fini(&r->cw);
	fc_server_worker_fini(&r->sw);
	/* Frames still on the rings belong to nobody now. */
	for (uint16_t p = 0; p < 2; p++) {
		struct rte_mbuf *m[64];
		uint16_t n;

		while ((n = fc_port_rx_burst(p ? r->port_s : r->port_c, 0, m, 64)) > 0)
			rte_pktmbuf_free_bulk(m, n);
	}
	CHECK_EQ(rte_mempool_avail_count(r->pool), r->pool_avail0);
	fc_http_server_free(r->http);
	fc_http_mix_free(&r->mix);
	rte_eth_dev_stop(r->port_c);
	rte_eth_dev_stop(r->port_s);
}

#endif
