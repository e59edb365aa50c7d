/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `flashcrowd run`: HTTP load against a target, wrk/wrk2 flags or a scenario file.
 *
 * Order of work: parse and validate everything (exit 2 before any packet), bring up the
 * port (a drivers_cfg profile, or the embedded in-process pair with our own server on the
 * far side), ARP-resolve the next hop, send one health request, launch the client workers,
 * let the control core drive the run, drain, close, check the target again, and report.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "cli_util.h"
#include "fc_clock.h"
#include "commands.h"
#include "fc_control.h"
#include "fc_engine.h"
#include "fc_scenario.h"
#include "impair_opts.h"
#include "pair.h"
#include "run_baseline.h"
#include "run_common.h"
#include "fc_server.h"

#define HEALTH_TIMEOUT_NS 2000000000ull

struct run_state {
	struct fc_scenario sc;
	struct fc_limits limits;
	struct fc_http_mix mix;
	struct fc_rate_plan plan;
	struct fc_run_params rp;
	struct fc_pair pair;                    /**< port(s), embedded server */
	struct fc_client_worker *workers;
	struct rte_ether_addr peer_mac;
	struct fc_net_conf netconf;
	struct fc_impair_opts impair;
	struct fc_pair_rss rss;
	struct fc_run_baseline baseline;
	char health_pre[160], health_post[160];
};

/*
 * Mbufs for the pool (the embedded pair has one for both sides: a request in flight is one
 * frame, on one side or the other). Per connection and request in flight: its frame on the
 * way and room for two more (a retransmission, a pure ACK waiting in a queue), so a full
 * port never empties the pool. Requests and replies are sent by reference (fc_tcp_send_ref),
 * so the send queues hold no mbuf until a connection has more than FC_TCP_SEND_REFS in
 * flight; past that, each copied one holds one. (Two per request leaves a full port too
 * few free mbufs, and measured slower.)
 */
static uint32_t
run_min_mbufs(const struct fc_run_params *rp)
{
	uint64_t depth = rp->pipeline < 4 ? rp->pipeline : 4, per_conn = 3 * depth;

	if (depth > FC_TCP_SEND_REFS)
		per_conn += depth - FC_TCP_SEND_REFS;
	return (uint32_t)(per_conn * rp->max_conns_per_worker * rp->nb_workers + 16384);
}

/*
 * One request on one connection, driven from the main lcore with the client worker code,
 * before the workers start and after they stop. Fills @p out with a one-line verdict.
 */
static bool
health_check(struct run_state *st, char *out, size_t len)
{
	struct fc_run_params hp = st->rp;
	struct fc_client_worker *w = rte_zmalloc("fc_health", sizeof(*w), 64);
	bool ok = false;

	if (w == NULL) {
		snprintf(out, len, "not run (no memory)");
		return false;
	}
	hp.open_loop = false;
	hp.close_mode = true;
	hp.max_requests = 1;
	hp.max_conns_per_worker = 1;
	hp.nb_workers = 1;
	hp.tcp.max_conns = 4;
	w->idx = 0;
	fc_pair_io_init(&st->pair, &w->io, false, 0);
	w->ctl.target_conns = 1;
	if (fc_client_worker_init(w, &hp, &st->netconf, &st->peer_mac, (int)rte_socket_id()) != 0) {
		snprintf(out, len, "not run (setup failed)");
		goto out;
	}
	uint64_t start = fc_now_ns(), now = start;

	while (now - start < HEALTH_TIMEOUT_NS && !fc_stop_requested) {
		fc_client_worker_poll(w, now);
		if (w->stats.req_completed + fc_stats_errors_total(&w->stats) > 0 && w->nb_used == 0)
			break;
		now = fc_now_ns();
	}
	if (w->stats.req_completed) {
		unsigned cls;

		for (cls = 1; cls <= 5 && w->stats.status[cls] == 0; cls++)
			;
		ok = cls == 2 || cls == 3;
		snprintf(out, len, "%s (%ux response in %.2f ms)", ok ? "ok" : "unhealthy", cls,
			 (double)fc_hist_max(fc_hist_pair_poll(&w->lat)) / 1e6);
	} else if (w->stats.err[FC_STATS_ERR_CONNECT]) {
		snprintf(out, len, "failed: connection refused or not answered");
	} else if (w->stats.err[FC_STATS_ERR_RESET]) {
		snprintf(out, len, "failed: connection reset");
	} else if (w->stats.err[FC_STATS_ERR_PARSE]) {
		snprintf(out, len, "failed: malformed response");
	} else {
		snprintf(out, len, "failed: no response within %.0f s", HEALTH_TIMEOUT_NS / 1e9);
	}
	fc_client_worker_fini(w);
out:
	rte_free(w);
	return ok;
}

static uint64_t
hist_pct(void *ctx, double p)
{
	return fc_hist_percentile(ctx, p);
}

/* Evaluate every threshold on cumulative metrics; returns failures and prints each. */
static unsigned
check_thresholds(const struct fc_scenario *sc, const struct fc_stats_core *tot, double rps,
		 const struct fc_hist *lat, FILE *f, char *first, size_t first_len)
{
	struct fc_metrics m = {
		.requests = tot->req_completed + fc_stats_errors_total(tot),
		.errors = fc_stats_errors_total(tot), .rps = rps,
		.min_ns = fc_hist_count(lat) ? fc_hist_min(lat) : 0, .max_ns = fc_hist_max(lat),
		.mean_ns = fc_hist_mean(lat), .percentile = hist_pct, .ctx = (void *)lat,
	};
	unsigned failed = 0;

	for (unsigned i = 0; i < sc->num_thresholds; i++) {
		char msg[256];
		/* 1: holds; 0: fails; <0: not measurable (no latency recorded), a failure too. */
		bool holds = fc_threshold_eval(&sc->thresholds[i], &m, msg, sizeof(msg)) == 1;

		if (f)
			fprintf(f, "  threshold %-20s %s  %s\n", sc->thresholds[i].expr,
				holds ? "ok  " : "FAIL", msg);
		if (!holds) {
			if (failed == 0 && first)
				snprintf(first, first_len, "%s: %s", sc->thresholds[i].expr, msg);
			failed++;
		}
	}
	return failed;
}

static bool
live_abort(void *arg, const struct fc_live *l, char *why, size_t len)
{
	struct run_state *st = arg;
	struct fc_stats_core tot = {.req_completed = l->completed, .req_sent = l->sent};

	tot.err[FC_STATS_ERR_OTHER] = l->errors;
	/* Percentile thresholds need the cumulative histogram: the control core's copy. */
	if (l->latency == NULL || fc_hist_count(l->latency) == 0)
		return false;
	return check_thresholds(&st->sc, &tot, l->rps, l->latency, NULL, why, len) > 0;
}

static int
build_plan(struct run_state *st)
{
	const struct fc_scenario_load *ld = &st->sc.load;
	struct fc_rate_plan *p = &st->plan;
	double rate = ld->model == FC_LOAD_CLOSED ? 0 : ld->rate;
	int rc;

	if (st->sc.num_stages) {
		rc = fc_rate_plan_init(p, 0, 0);
		for (unsigned i = 0; rc == 0 && i < st->sc.num_stages; i++)
			rc = fc_rate_plan_add_stage(p, st->sc.stages[i].duration_ns,
				ld->model == FC_LOAD_CLOSED ? 0 : st->sc.stages[i].rate,
				st->sc.stages[i].connections);
		return rc;
	}
	uint64_t ramp = ld->ramp_up_ns < ld->duration_ns ? ld->ramp_up_ns : ld->duration_ns;

	rc = fc_rate_plan_ramp(p, 0, ramp ? 0 : ld->connections, rate, ld->connections, ramp);
	if (rc == 0 && ld->duration_ns > ramp)
		rc = fc_rate_plan_add_stage(p, ld->duration_ns - ramp, rate, ld->connections);
	return rc;
}

static uint32_t
max_plan_conns(const struct run_state *st)
{
	uint32_t m = st->sc.load.connections;

	for (unsigned i = 0; i < st->sc.num_stages; i++)
		if (st->sc.stages[i].connections > m)
			m = st->sc.stages[i].connections;
	return m ? m : 1;
}

static void
fill_report(struct run_state *st, struct fc_report *r, const struct fc_control *c)
{
	cJSON *scj = fc_scenario_to_json(&st->sc);

	fc_report_set_scenario(r, scj);
	cJSON_Delete(scj);
	snprintf(r->url, sizeof(r->url), "%s", st->sc.target.url);
	r->threads = st->rp.nb_workers;
	r->connections = max_plan_conns(st);
	r->duration_s = c->elapsed_s;
	r->target_rps = st->rp.open_loop ? st->sc.load.rate : 0;
	r->open_loop = st->rp.open_loop;
	r->limits_widened = st->sc.limits_widened;
	r->latency_spectrum = st->sc.output.latency;
	snprintf(r->profile, sizeof(r->profile), "%s", st->pair.embedded ? "" : st->sc.profile_path);
	for (unsigned i = 0; i < st->sc.num_tags; i++)
		fc_report_add_tag(r, st->sc.tags[i].key, st->sc.tags[i].value);

	uint64_t unsent = 0;

	for (unsigned i = 0; i < st->rp.nb_workers; i++) {
		struct fc_client_worker *w = &st->workers[i];

		fc_report_add_core(r, w->lcore, (int)rte_lcore_to_socket_id(w->lcore), &w->stats);
		unsent += w->backlog_unsent;
	}
	fc_report_sum_cores(r);
	fc_report_set_counter(r, "requests_unsent", unsent);
}

int
fc_cmd_run(int argc, char **argv)
{
	struct run_state *st = calloc(1, sizeof(*st));
	struct fc_errors errs;
	int rc, exit_code = FC_EXIT_OK;

	if (st == NULL)
		return FC_EXIT_RUNTIME;
	fc_errors_init(&errs);
	fc_scenario_init(&st->sc);
	fc_limits_default(&st->limits);
	rc = fc_scenario_from_argv(argc, argv, &st->sc, &st->limits, &errs);
	if (rc == FC_SCENARIO_HELP) {
		fc_scenario_usage(stdout);
		goto out_scenario;
	}
	fc_impair_opts_from_spec(&st->sc.impair, &st->impair, &errs);
	if (rc == 0)
		rc = fc_scenario_validate(&st->sc, &st->limits, &errs);
	if (rc == 0)
		rc = fc_scenario_build_mix(&st->sc, &st->mix, &errs);
	fc_run_baseline_prepare(&st->sc, &st->baseline, &errs);
	if (rc != 0 || fc_errors_total(&errs)) {
		fc_errors_print(&errs, stderr);
		exit_code = FC_EXIT_INPUT;
		goto out_scenario;
	}
	if (build_plan(st) != 0) {
		fprintf(stderr, "error: stages: more than %d points in the load plan\n", FC_RATE_PLAN_MAX);
		exit_code = FC_EXIT_INPUT;
		goto out_scenario;
	}

	/* Run parameters every worker reads. */
	struct fc_run_params *rp = &st->rp;
	rp->target_ip = rte_be_to_cpu_32(st->sc.target.ip);
	rp->target_port = st->sc.target.port;
	rp->mix = &st->mix;
	rp->open_loop = st->sc.load.model != FC_LOAD_CLOSED;
	rp->model = st->sc.load.model == FC_LOAD_POISSON ? FC_RATE_POISSON : FC_RATE_CONSTANT;
	rp->plan = &st->plan;
	rp->nb_workers = st->sc.cores;
	rp->max_conns_per_worker = (max_plan_conns(st) + rp->nb_workers - 1) / rp->nb_workers;
	rp->pipeline = st->sc.load.pipeline ? st->sc.load.pipeline : 1;
	rp->retries = st->sc.load.retries;
	if (rp->pipeline > FC_PIPE_MAX)
		rp->pipeline = FC_PIPE_MAX;
	rp->close_mode = !st->sc.load.keepalive;
	rp->think_ns = st->sc.load.think_time_ns;
	rp->connect_timeout_ns = st->sc.connect_timeout_ns;
	rp->request_timeout_ns = st->sc.request_timeout_ns;
	rp->seed = 0x5eed;
	rp->imp_rx = st->impair.rx_set ? &st->impair.rx : NULL;
	rp->imp_tx = st->impair.tx_set ? &st->impair.tx : NULL;
	/* TIME_WAIT holds slots: in close mode give each worker room for a second of them. */
	rp->tcp.max_conns = rp->max_conns_per_worker * 2 + 64;
	if (rp->close_mode) {
		rp->tcp.max_conns += 65536;
		/* One request per connection: we close first, so each source port sits in our
		 * TIME_WAIT. With 55,536 ports and the default 1 s that caps the rate at 55.5k
		 * connections/s (measured: exactly 55,536 CPS). 100 ms lifts the cap tenfold; the
		 * peers here are on one link, where 2*MSL of minutes protects nothing. */
		rp->tcp.time_wait_ns = 100000000ull;
	}
	rp->tcp.rto_min_ns = FC_PORT_RTO_MIN_NS;
	rp->tcp.rto_init_ns = 200000000ull;

	/* Bring-up: the embedded pair, or a port from a profile. */
	struct fc_pair_opts po = {
		.prog = argv[0], .embedded = st->sc.embedded || st->sc.profile_path[0] == '\0',
		.profile = st->sc.profile_path, .iface = st->sc.port.iface[0] ? st->sc.port.iface : NULL,
		.local_ip = st->sc.port.local_ip, .local_prefix = st->sc.port.local_prefix,
		.gateway = st->sc.port.gateway, .eal = st->sc.eal[0] ? st->sc.eal : NULL,
		.nb_clients = rp->nb_workers, .target_ip = st->sc.target.ip,
		.server_max_conns = rp->tcp.max_conns,
		.requests_in_flight = rp->max_conns_per_worker * rp->pipeline,
		.impaired = st->impair.rx_set || st->impair.tx_set,
		.min_mbufs = run_min_mbufs(rp),
	};
	rc = fc_pair_up(&st->pair, &po);
	if (rc != FC_EXIT_OK) {
		exit_code = rc;
		goto out_pair; /* releases whatever the bring-up got to (EAL, ports) */
	}
	fc_signals_install();
	fc_pair_net_conf(&st->pair, &st->netconf);
	rp->tcp.tx_cksum_offload = st->netconf.tx_ip_cksum_offload;
	/* The embedded pair's server already runs with it (fc_pair_up decides for both). */
	if (st->pair.embedded)
		rp->tcp.rto_min_ns = st->pair.rto_min_ns;
	if (st->pair.embedded && rp->close_mode && rp->imp_rx == NULL && rp->imp_tx == NULL)
		rp->tcp.time_wait_ns = FC_PAIR_TIME_WAIT_NS;
	/* Multi-queue NIC with RSS: source ports whose replies hash back to each worker's queue. */
	rc = fc_pair_rss_conf(&st->pair, &st->rss, &rp->tcp);
	if (rc != 0) {
		fprintf(stderr, "error: port %u: RSS is on but its key or table cannot be read (%s); "
			"run one worker (-t 1) or turn offloads.rss off in the profile\n",
			st->pair.client_port, strerror(-rc));
		exit_code = FC_EXIT_RUNTIME;
		goto out_pair;
	}

	printf("Running %s test @ %s\n", fc_fmt_duration(st->sc.load.duration_ns,
	       (char[32]){0}, 32), st->sc.target.url);
	printf("  %u threads and %u connections%s%s%s\n", rp->nb_workers, max_plan_conns(st),
	       rp->open_loop ? ", open loop" : ", closed loop",
	       st->pair.embedded ? ", embedded server" : "",
	       st->pair.hugepages ? ", 2 MiB hugepages" : "");
	if (st->sc.target.named) {
		char addr[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &st->sc.target.ip, addr, sizeof(addr));
		printf("  %s resolved to %s\n", st->sc.target.host, addr);
	}
	fflush(stdout);

	if (fc_run_resolve_target(&st->pair, st->rp.target_ip, st->sc.target.host,
				  &st->peer_mac) != 0) {
		exit_code = FC_EXIT_RUNTIME;
		goto out_pair;
	}
	bool healthy = health_check(st, st->health_pre, sizeof(st->health_pre));
	printf("  target health before the run: %s\n", st->health_pre);
	if (!healthy && fc_stop_requested) {
		exit_code = FC_EXIT_RUNTIME;
		goto out_pair;
	}

	/* Launch the client workers. */
	st->workers = rte_zmalloc("fc_workers", sizeof(*st->workers) * rp->nb_workers, 64);
	if (st->workers == NULL) {
		fprintf(stderr, "error: cannot allocate %u workers\n", rp->nb_workers);
		exit_code = FC_EXIT_RUNTIME;
		goto out_pair;
	}
	rp->start_ns = fc_now_ns() + 20000000ull; /* t = 0 a little ahead: all workers ready */
	for (unsigned i = 0; i < rp->nb_workers; i++) {
		struct fc_client_worker *w = &st->workers[i];

		w->idx = i;
		w->lcore = st->pair.client_lcores[i];
		fc_pair_io_init(&st->pair, &w->io, false, i);
		rc = fc_client_worker_init(w, rp, &st->netconf, &st->peer_mac,
					   (int)rte_lcore_to_socket_id(w->lcore));
		if (rc != 0) {
			fprintf(stderr, "error: worker %u: setup failed: %s\n", i, strerror(-rc));
			exit_code = FC_EXIT_RUNTIME;
			goto out_pair;
		}
	}
	for (unsigned i = 0; i < rp->nb_workers; i++)
		rte_eal_remote_launch(fc_client_worker_main, &st->workers[i], st->workers[i].lcore);

	struct fc_report *report = fc_report_create();
	struct fc_control c = {
		.workers = st->workers, .nb_workers = rp->nb_workers, .rp = rp,
		.stop = &fc_stop_requested,
		.duration_ns = fc_rate_plan_duration(&st->plan),
		.drain_ns = rp->request_timeout_ns < 5000000000ull ? rp->request_timeout_ns : 5000000000ull,
		.close_ns = 1000000000ull, .interval_ns = 1000000000ull, .report = report,
		.abort_fn = st->sc.abort_on_fail && st->sc.num_thresholds ? live_abort : NULL,
		.abort_arg = st, .out = stdout, .tty = isatty(STDOUT_FILENO),
	};
	fc_control_run(&c);
	/* Their RSTs are in the counters reported next. */
	for (unsigned i = 0; i < st->rp.nb_workers; i++)
		fc_client_worker_abort_open(&st->workers[i]);
	fc_run_report_counters(st->workers, st->rp.nb_workers, report, stdout);
	fc_run_report_server(&st->pair, report);
	for (unsigned i = 0; i < rp->nb_workers; i++)
		fc_client_worker_fini(&st->workers[i]);
	fill_report(st, report, &c);

	health_check(st, st->health_post, sizeof(st->health_post));
	if (c.interrupted)
		printf("  stopped by signal after %.1fs; drained and closed\n", c.elapsed_s);
	if (c.aborted)
		printf("  stopped early: threshold failed (%s)\n", c.abort_why);
	fc_report_print_summary(report, stdout);
	fc_run_print_cost(st->workers, st->rp.nb_workers, stdout);
	printf("  target health after the run: %s\n", st->health_post);
	if (st->pair.embedded)
		fc_pair_print_server(&st->pair, stdout);

	double rps = c.elapsed_s > 0 ? report->totals.req_completed / c.elapsed_s : 0;
	if (st->sc.num_thresholds) {
		printf("Thresholds:\n");
		if (check_thresholds(&st->sc, &report->totals, rps, report->latency, stdout, NULL, 0) ||
		    c.aborted)
			exit_code = FC_EXIT_THRESHOLD;
	}
	rc = fc_run_write_outputs(report, &st->sc.output, NULL, NULL);
	if (rc == 2 || (rc == 1 && exit_code == FC_EXIT_OK))
		exit_code = FC_EXIT_RUNTIME;
	rc = fc_run_baseline_check(&st->baseline, report, stdout);
	if (rc != FC_EXIT_OK && exit_code == FC_EXIT_OK)
		exit_code = rc;
	fc_report_free(report);
out_pair:
	rte_free(st->workers);
	fc_pair_down(&st->pair);
out_scenario:
	fc_run_baseline_fini(&st->baseline);
	fc_http_mix_free(&st->mix);
	fc_scenario_free(&st->sc);
	free(st);
	return exit_code;
}
