/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/engine's client and server workers on a fake clock over the in-process ring pair
 * (rig.h). Each case ends as a run does (drain, FIN, RST after the bound) and checks the
 * accounting invariant, sent == completed + errors, and that the mbuf pool is full again.
 */
#include <stdio.h>

#include <rte_eal.h>

#include "fc_tcp.h"
#include "fc_test.h"
#include "rig.h"

static void
check_invariant(const struct rig *r, const char *what)
{
	struct fc_stats_core s = rig_stats(r);

	if (s.req_sent != s.req_completed + fc_stats_errors_total(&s))
		fprintf(stderr, "%s: sent %lu, completed %lu, errors %lu\n", what,
			(unsigned long)s.req_sent, (unsigned long)s.req_completed,
			(unsigned long)fc_stats_errors_total(&s));
	CHECK_EQ(s.req_sent, s.req_completed + fc_stats_errors_total(&s));
	CHECK_EQ(fc_client_in_flight(&r->cw), 0);
}

/* A clean keep-alive run: every request answered, nothing left open. */
static void
test_keepalive(void)
{
	struct rig r;
	struct rig_opts o = {.conns = 16, .pipeline = 2};

	if (rig_init(&r, "ka", &o) != 0)
		return;
	rig_run(&r, 100 * RIG_MS);
	rig_stop(&r, 1000 * RIG_MS, 1000 * RIG_MS);
	struct fc_stats_core s = rig_stats(&r);

	CHECK(s.req_completed > 1000);
	CHECK_EQ(fc_stats_errors_total(&s), 0);
	CHECK_EQ(s.status[2], s.req_completed);
	CHECK_EQ(s.connects, 16);
	CHECK_EQ(r.cw.nb_used, 0);
	CHECK_EQ(fc_tcp_counters(r.cw.tcp)->retransmits, 0);
	check_invariant(&r, "keepalive");
	rig_fini(&r);
}

/* Loss, duplication and reordering both ways at the client's port: the stack recovers, and
 * every request ends exactly once. */
static void
test_faults(void)
{
	static const struct fc_impair_conf tx = {.loss_ppm = 20000, .dup_ppm = 20000,
						 .delay_ns = 1 * RIG_MS, .reorder_ppm = 250000};
	static const struct fc_impair_conf rx = {.loss_ppm = 20000, .dup_ppm = 20000};
	struct rig r;
	struct rig_opts o = {.conns = 32, .pipeline = 4, .imp_tx = &tx, .imp_rx = &rx,
			     .request_timeout_ns = 2000 * RIG_MS};

	if (rig_init(&r, "faults", &o) != 0)
		return;
	rig_run(&r, 400 * RIG_MS);
	rig_stop(&r, 3000 * RIG_MS, 1000 * RIG_MS);
	struct fc_stats_core s = rig_stats(&r);

	CHECK(s.req_completed > 1000);
	CHECK(fc_tcp_counters(r.cw.tcp)->retransmits > 0);
	CHECK(r.cw.io.imp_tx != NULL && r.cw.io.imp_rx != NULL);
	check_invariant(&r, "faults");
	rig_fini(&r);
}

/* A server that never answers: every connect times out, and the request that rode along
 * with each SYN is a connect error. */
static void
test_connect_timeout(void)
{
	struct rig r;
	struct rig_opts o = {.conns = 8, .connect_timeout_ns = 100 * RIG_MS};

	if (rig_init(&r, "conn_to", &o) != 0)
		return;
	r.server_paused = true;
	rig_run(&r, 150 * RIG_MS);
	struct fc_stats_core s = rig_stats(&r);

	CHECK(s.err[FC_STATS_ERR_CONNECT] >= 8);
	CHECK_EQ(s.req_completed, 0);
	rig_stop(&r, 100 * RIG_MS, 100 * RIG_MS);
	check_invariant(&r, "connect timeout");
	/* Its queue is the server's to free: let it read what piled up. */
	r.server_paused = false;
	rig_fini(&r);
}

/* Responses slower than the request timeout: each request is a timeout, counted once. */
static void
test_request_timeout(void)
{
	static const struct fc_http_route_spec slow = {
		.path = "*", .status = 200, .body = "late\n", .body_len = 5,
		.delay_min_ns = 300 * RIG_MS, .delay_max_ns = 300 * RIG_MS,
	};
	struct rig r;
	struct rig_opts o = {.conns = 4, .request_timeout_ns = 100 * RIG_MS, .route = &slow};

	if (rig_init(&r, "req_to", &o) != 0)
		return;
	rig_run(&r, 250 * RIG_MS);
	struct fc_stats_core s = rig_stats(&r);

	CHECK(s.err[FC_STATS_ERR_TIMEOUT] >= 4);
	CHECK_EQ(s.req_completed, 0);
	rig_stop(&r, 500 * RIG_MS, 500 * RIG_MS);
	check_invariant(&r, "request timeout");
	rig_fini(&r);
}

/* A port that takes nothing for 20,000 passes loses nothing: the client's frames wait in
 * the hold and lib/tcp's queue, and go once the server reads again. */
static void
test_port_stall(void)
{
	struct rig r;
	struct rig_opts o = {.conns = 256, .ring = 64, .request_timeout_ns = 5000 * RIG_MS};

	if (rig_init(&r, "stall", &o) != 0)
		return;
	rig_run(&r, 20 * RIG_MS);
	r.server_paused = true;
	for (unsigned i = 0; i < 20000; i++)
		rig_pass(&r);
	CHECK(r.cw.io.tx_deferred > 0);
	r.server_paused = false;
	rig_run(&r, 100 * RIG_MS);
	rig_stop(&r, 1000 * RIG_MS, 1000 * RIG_MS);
	struct fc_stats_core s = rig_stats(&r);

	CHECK(s.req_completed > 256);
	CHECK_EQ(fc_stats_errors_total(&s), 0);
	CHECK_EQ(r.cw.io.tx_refused, 0);
	check_invariant(&r, "port stall");
	rig_fini(&r);
}

/*
 * A server that closes a connection with requests pipelined behind the one it answered
 * last (a route that closes, as a server does at its keep-alive limit or after some
 * errors). Without retries the ones behind it end as closed_unanswered (FIN, not RST),
 * each counted once, and the client reconnects.
 */
static void
test_server_close_no_retry(void)
{
	static const struct fc_http_route_spec closing = {
		.path = "*", .status = 200, .body = "bye\n", .body_len = 4, .close = true,
	};
	struct rig r;
	struct rig_opts o = {.conns = 8, .pipeline = 4, .route = &closing};

	if (rig_init(&r, "srvclose", &o) != 0)
		return;
	rig_run(&r, 100 * RIG_MS);
	rig_stop(&r, 1000 * RIG_MS, 1000 * RIG_MS);
	struct fc_stats_core s = rig_stats(&r);

	CHECK(s.req_completed > 50);
	CHECK_EQ(s.connects, s.req_completed); /* one answer per connection */
	CHECK(s.err[FC_STATS_ERR_CLOSED] > 0);
	CHECK_EQ(s.req_retried, 0);
	CHECK_EQ(fc_stats_errors_total(&s), s.err[FC_STATS_ERR_CLOSED]);
	check_invariant(&r, "server close");
	rig_fini(&r);
}

/*
 * The same server with --retries 2 (RFC 9112 §9.3.2): every GET left unanswered is sent
 * again on a new connection, alone on it, so even a server that closes after every
 * response answers each one. Nothing fails, nothing is counted twice: sent counts each
 * request once, retried each send again.
 */
static void
test_server_close_retried(void)
{
	static const struct fc_http_route_spec closing = {
		.path = "*", .status = 200, .body = "bye\n", .body_len = 4, .close = true,
	};
	struct rig r;
	struct rig_opts o = {.conns = 8, .pipeline = 4, .route = &closing, .retries = 2};

	if (rig_init(&r, "srvretry", &o) != 0)
		return;
	rig_run(&r, 100 * RIG_MS);
	rig_stop(&r, 2000 * RIG_MS, 1000 * RIG_MS);
	struct fc_stats_core s = rig_stats(&r);

	CHECK(s.req_completed > 50);
	CHECK(s.req_retried > 0);
	CHECK_EQ(fc_stats_errors_total(&s), 0);
	CHECK_EQ(s.req_sent, s.req_completed);
	/* Each answer came on a connection of its own, and each retried send was answered. */
	CHECK_EQ(s.connects, s.req_completed);
	CHECK(s.req_retried <= s.req_completed);
	check_invariant(&r, "server close, retried");
	rig_fini(&r);
}

/* A POST is not idempotent: left unanswered by the close, it is not sent again. */
static void
test_server_close_post(void)
{
	static const struct fc_http_route_spec closing = {
		.path = "*", .status = 200, .body = "bye\n", .body_len = 4, .close = true,
	};
	static const struct fc_http_tmpl_spec post = {
		.method = "POST", .path = "/p", .host = "198.18.0.2", .body = "x", .body_len = 1,
	};
	struct rig r;
	struct rig_opts o = {.conns = 8, .pipeline = 4, .route = &closing, .retries = 2,
			     .extra = &post, .extra_weight = 1000000};

	if (rig_init(&r, "srvpost", &o) != 0)
		return;
	rig_run(&r, 100 * RIG_MS);
	rig_stop(&r, 2000 * RIG_MS, 1000 * RIG_MS);
	struct fc_stats_core s = rig_stats(&r);

	CHECK(s.req_completed > 50);
	CHECK(s.err[FC_STATS_ERR_CLOSED] > 0);
	/* Only the rare GETs of the mix were sent again. */
	CHECK(s.req_retried < s.err[FC_STATS_ERR_CLOSED]);
	check_invariant(&r, "server close, POST");
	rig_fini(&r);
}

/* Stop with a peer that never answers the FINs: after the close bound every connection
 * is reset, none is left, and nothing is counted twice. */
static void
test_stop_fin_then_rst(void)
{
	struct rig r;
	struct rig_opts o = {.conns = 8};

	if (rig_init(&r, "stop", &o) != 0)
		return;
	rig_run(&r, 50 * RIG_MS);
	rig_phase(&r, FC_PHASE_DRAIN);
	rig_run(&r, 20 * RIG_MS);
	r.server_paused = true;
	uint64_t rst0 = fc_tcp_counters(r.cw.tcp)->rst_tx;

	rig_stop(&r, 0, 50 * RIG_MS);
	CHECK_EQ(r.cw.nb_used, 0);
	CHECK_EQ(fc_tcp_counters(r.cw.tcp)->rst_tx - rst0, 8);
	check_invariant(&r, "stop");
	r.server_paused = false;
	rig_fini(&r);
}

int
main(int argc, char **argv)
{
	(void)argc;
	if (fc_test_eal_init(argv[0], 512) < 0)
		return FC_TEST_SKIP;
	test_keepalive();
	test_faults();
	test_connect_timeout();
	test_request_timeout();
	test_port_stall();
	test_server_close_no_retry();
	test_server_close_retried();
	test_server_close_post();
	test_stop_fin_then_rst();
	return fc_test_result("test_engine");
}
