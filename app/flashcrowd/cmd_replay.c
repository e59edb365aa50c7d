/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `flashcrowd replay --pcap FILE [options] URL`: captured HTTP traffic replayed against a
 * target over our own TCP, one new connection per original connection, with the captured
 * order, pipelining and timing (scaled), and a report that adds the extraction counts,
 * the schedule lag and a response diff against the capture to everything `run` reports.
 * `--raw` sends the captured frames instead (lib/player).
 *
 * Order of work, as `run`: parse and check every option (lib/scenario, exit 2 before any
 * packet), read the capture into a plan (lib/pcap), bring up the port, ARP-resolve the
 * next hop, launch the client workers with the replay request source (lib/engine), let
 * the control core drive, drain and close, diff and report (lib/pcap).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "cli_util.h"
#include "commands.h"
#include "fc_clock.h"
#include "fc_control.h"
#include "fc_engine.h"
#include "fc_pcap_raw.h"
#include "fc_player.h"
#include "fc_replay_conf.h"
#include "fc_replay_report.h"
#include "fc_replay_source.h"
#include "impair_opts.h"
#include "pair.h"
#include "run_common.h"

#define ARP_WAIT_NS 4000000000ull
#define LEAD_NS 20000000ull             /* connections open this long before their first request */
#define RESULTS_MAX (64ull << 20)       /* status entries kept for the diff (2 bytes each) */

_Static_assert(FC_REPLAY_NO_RESULT == FC_REPLAY_UNSENT, "lib/engine and lib/pcap agree on unsent");

struct replay_state {
	struct fc_replay_conf conf;
	struct fc_http_mix mix;
	struct fc_run_params rp;
	struct fc_client_source source;
	struct fc_replay_run run;
	struct fc_replay_capture cap;
	struct fc_pair pair;
	struct fc_client_worker *workers;
	unsigned nb_inited;
	struct rte_ether_addr peer_mac;
	struct fc_net_conf netconf;
	struct fc_impair_opts impair;
};

static int
write_json(const char *path, cJSON *o)
{
	char *txt = o ? cJSON_Print(o) : NULL;
	FILE *f = txt ? fopen(path, "w") : NULL;
	int rc = f && fputs(txt, f) >= 0 ? 0 : -EIO;

	if (f && fclose(f) != 0)
		rc = -EIO;
	if (rc != 0)
		fprintf(stderr, "error: cannot write %s\n", path);
	cJSON_free(txt);
	cJSON_Delete(o);
	return rc;
}

static int
replay_raw(const struct fc_replay_conf *c, const char *prog)
{
	struct fc_pcap_raw cap;
	struct fc_player pl = {0};
	struct fc_pair pair;
	struct rte_ether_addr dst;
	char err[256];
	int code = FC_EXIT_OK, rc = fc_pcap_raw_load(c->pcap, &cap, err, sizeof(err));

	if (rc != 0) {
		fprintf(stderr, "error: --pcap: %s%s\n", rc == -ENOMEM ? c->pcap : err,
			rc == -ENOMEM ? ": out of memory" : "");
		fc_pcap_raw_free(&cap);
		return rc == -ENOMEM ? FC_EXIT_RUNTIME : FC_EXIT_INPUT;
	}
	if (cap.truncated)
		fprintf(stderr, "warning: --pcap: %s; replaying the %u packets read before it\n", err,
			cap.nb_pkts);
	struct fc_pair_opts pao = {
		.prog = prog, .embedded = false, .profile = c->profile, .iface = c->iface,
		.local_ip = c->local_ip, .local_prefix = c->local_prefix, .gateway = c->gateway,
		.eal = c->eal, .nb_clients = 1,
	};
	code = fc_pair_up(&pair, &pao);
	if (code != FC_EXIT_OK)
		goto out;
	fc_signals_install();
	memcpy(dst.addr_bytes, c->dst_mac, sizeof(dst.addr_bytes));
	if (!c->have_dst_mac && fc_pair_resolve(&pair, c->next_hop, ARP_WAIT_NS, false, &dst) != 0) {
		fprintf(stderr, "error: --next-hop: no ARP reply from %s\n",
			fc_ip_str(c->next_hop, (char[16]){0}));
		code = FC_EXIT_RUNTIME;
		goto out;
	}
	fc_pcap_raw_rewrite(&cap, pair.client.mac.addr_bytes, dst.addr_bytes, c->map_ip, c->num_map_ip);
	struct fc_player_conf pc = {
		.cap = &cap, .port = pair.client_port, .queue = 0, .pool = pair.client.pool,
		.speed = c->speed, .pps = c->pps, .topspeed = c->topspeed, .loops = c->loops,
		.stop = &fc_stop_requested,
	};
	if (fc_player_init(&pl, &pc) != 0) {
		code = FC_EXIT_RUNTIME;
		goto out;
	}
	printf("Replaying %s raw on %s: %u packets x %u, %s\n", c->pcap, c->iface, cap.nb_pkts,
	       c->loops, c->topspeed ? "top speed" : c->pps > 0 ? "fixed packet rate" : "captured timing");
	fflush(stdout);
	/* One sender on the worker lcore (its own CPU), queue 0: the schedule is one timeline. */
	rte_eal_remote_launch(fc_player_main, &pl, pair.client_lcores[0]);
	rte_eal_wait_lcore(pair.client_lcores[0]);
	fc_player_print(&pl, stdout);
	if (c->json && write_json(c->json, fc_player_json(&pl)) != 0)
		code = FC_EXIT_RUNTIME;
out:
	fc_player_fini(&pl);
	fc_pair_down(&pair);
	fc_pcap_raw_free(&cap);
	return code;
}

static void
lag_of(const struct fc_hist *h, struct fc_replay_lag *l)
{
	l->count = fc_hist_count(h);
	l->p50 = fc_hist_percentile(h, 50.0);
	l->p99 = fc_hist_percentile(h, 99.0);
	l->p999 = fc_hist_percentile(h, 99.9);
	l->max = fc_hist_max(h);
	l->mean = fc_hist_mean(h);
}

int
fc_cmd_replay(int argc, char **argv)
{
	struct replay_state *st = calloc(1, sizeof(*st));
	struct fc_replay_conf *o;
	struct fc_errors errs;
	char err[FC_PCAP_ERRLEN];
	int rc, exit_code = FC_EXIT_OK;

	if (st == NULL)
		return FC_EXIT_RUNTIME;
	o = &st->conf;
	fc_errors_init(&errs);
	rc = fc_replay_conf_from_argv(argc, argv, o, &errs);
	if (rc == FC_SCENARIO_HELP) {
		fc_replay_usage(stdout);
		goto out_scenario;
	}
	if (!o->raw)
		fc_impair_opts_from_spec(&o->sc.impair, &st->impair, &errs);
	if (fc_errors_total(&errs)) {
		fc_errors_print(&errs, stderr);
		exit_code = FC_EXIT_INPUT;
		goto out_scenario;
	}
	if (o->raw) {
		exit_code = replay_raw(o, argv[0]);
		goto out_scenario;
	}
	/* Host becomes the target's (as written in the URL) unless --original-host. */
	char host[80];
	if (o->sc.target.port != 80)
		snprintf(host, sizeof(host), "%s:%u", o->sc.target.host, o->sc.target.port);
	else
		snprintf(host, sizeof(host), "%s", o->sc.target.host);
	o->plan.target_host = host;

	rc = fc_replay_capture_load(&st->cap, o->pcap, &o->plan, o->rate, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "error: %s\n", err);
		exit_code = rc == -EINVAL ? FC_EXIT_INPUT : FC_EXIT_RUNTIME;
		goto out_scenario;
	}
	if (st->cap.truncated)
		fprintf(stderr, "warning: --pcap: %s; replaying the %lu packets read before it\n",
			st->cap.warning, (unsigned long)st->cap.stats.packets);
	struct fc_replay_plan *plan = st->cap.plan;

	/* Run parameters every worker reads. */
	struct fc_run_params *rp = &st->rp;
	uint32_t max_len = 0;

	for (uint32_t i = 0; i < plan->num_reqs; i++)
		if (plan->reqs[i].len > max_len)
			max_len = plan->reqs[i].len;
	rp->target_ip = rte_be_to_cpu_32(o->sc.target.ip);
	rp->target_port = o->sc.target.port;
	rp->open_loop = false;
	rp->nb_workers = o->sc.cores;
	if (rp->nb_workers > plan->num_conns)
		rp->nb_workers = plan->num_conns;
	if (fc_replay_plan_assign(plan, rp->nb_workers, FC_REPLAY_ASSIGN_RR) != 0) {
		fprintf(stderr, "error: replay plan: cannot spread %u connections over %u workers\n",
			plan->num_conns, rp->nb_workers);
		exit_code = FC_EXIT_RUNTIME;
		goto out_scenario;
	}
	/* Slots: every connection of a worker at once at worst, bounded. */
	size_t most = 0;
	for (unsigned i = 0; i < rp->nb_workers; i++) {
		size_t n;

		fc_replay_plan_for_worker(plan, i, &n);
		most = n > most ? n : most;
	}
	uint64_t total_conns = (uint64_t)plan->num_conns * o->loops;

	most *= o->loops;
	rp->max_conns_per_worker = (uint32_t)(most < 16384 ? (most ? most : 1) : 16384);
	rp->pipeline = FC_PIPE_MAX;
	rp->close_mode = false;
	/* Requests the staging server closes a connection under go again (RFC 9112 §9.3.2). */
	rp->retries = 2;
	rp->connect_timeout_ns = o->sc.connect_timeout_ns;
	rp->request_timeout_ns = o->sc.request_timeout_ns;
	rp->seed = 0x5eed;
	rp->imp_rx = st->impair.rx_set ? &st->impair.rx : NULL;
	rp->imp_tx = st->impair.tx_set ? &st->impair.tx : NULL;
	/* Every replayed connection ends in TIME_WAIT on our side: room for them. */
	rp->tcp.max_conns = rp->max_conns_per_worker * 2 + 64 +
			    (uint32_t)(total_conns < 65536 ? total_conns : 65536);
	rp->tcp.rto_min_ns = 10000000ull;
	rp->tcp.rto_init_ns = 200000000ull;
	rp->tcp.snd_buf = max_len + 1 > 256u * 1024 ? max_len + 1 : 256u * 1024;
	st->source = fc_replay_source_ops;
	st->source.arg = &st->run;
	rp->source = &st->source;

	struct fc_pair_opts po = {
		.prog = argv[0], .embedded = o->sc.embedded || o->sc.profile_path[0] == '\0',
		.profile = o->sc.profile_path, .iface = o->sc.port.iface[0] ? o->sc.port.iface : NULL,
		.local_ip = o->sc.port.local_ip, .local_prefix = o->sc.port.local_prefix,
		.gateway = o->sc.port.gateway, .eal = o->sc.eal[0] ? o->sc.eal : NULL,
		.nb_clients = rp->nb_workers, .target_ip = o->sc.target.ip,
		.server_max_conns = rp->tcp.max_conns,
		.requests_in_flight = rp->max_conns_per_worker * rp->pipeline,
	};
	rc = fc_pair_up(&st->pair, &po);
	if (rc != FC_EXIT_OK) {
		exit_code = rc;
		goto out_scenario;
	}
	fc_signals_install();
	fc_pair_net_conf(&st->pair, &st->netconf);
	rp->tcp.tx_cksum_offload = st->netconf.tx_ip_cksum_offload;

	printf("Replaying %s @ %s\n", o->pcap, o->sc.target.url);
	if (o->sc.target.named) {
		char addr[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &o->sc.target.ip, addr, sizeof(addr));
		printf("  %s resolved to %s\n", o->sc.target.host, addr);
	}
	printf("  %u threads, %u connections, %u requests, %.3fs per loop x %u%s\n", rp->nb_workers,
	       plan->num_conns, plan->num_reqs, plan->duration_ns / 1e9, o->loops,
	       st->pair.embedded ? ", embedded server" : "");
	fflush(stdout);
	if (fc_run_resolve_target(&st->pair, st->rp.target_ip, o->sc.target.host,
				  &st->peer_mac) != 0) {
		exit_code = FC_EXIT_RUNTIME;
		goto out_pair;
	}

	/* Shared replay state. */
	struct fc_replay_run *run = &st->run;
	uint64_t planned = (uint64_t)plan->num_reqs * o->loops;

	run->plan = plan;
	run->pipelined = st->cap.pipelined;
	run->loops = o->loops;
	run->period_ns = plan->duration_ns + LEAD_NS;
	run->lead_ns = LEAD_NS;
	run->default_port = o->sc.target.port;
	run->result_loops = planned <= RESULTS_MAX ? o->loops :
			    (uint32_t)(RESULTS_MAX / plan->num_reqs);
	if (run->result_loops == 0)
		run->result_loops = 1;
	run->results = malloc(sizeof(uint16_t) * (uint64_t)plan->num_reqs * run->result_loops);
	st->workers = rte_zmalloc("fc_workers", sizeof(*st->workers) * rp->nb_workers, 64);
	if (run->results == NULL || st->workers == NULL) {
		fprintf(stderr, "error: out of memory for %u workers\n", rp->nb_workers);
		exit_code = FC_EXIT_RUNTIME;
		goto out_pair;
	}
	for (uint64_t k = 0; k < (uint64_t)plan->num_reqs * run->result_loops; k++)
		run->results[k] = FC_REPLAY_NO_RESULT;
	for (unsigned i = 0; i < rp->nb_workers; i++) {
		struct fc_client_worker *w = &st->workers[i];

		w->idx = i;
		w->lcore = st->pair.client_lcores[i];
		fc_pair_io_init(&st->pair, &w->io, false, i);
		st->nb_inited = i + 1;
		rc = fc_client_worker_init(w, rp, &st->netconf, &st->peer_mac,
					   (int)rte_lcore_to_socket_id(w->lcore));
		if (rc != 0) {
			fprintf(stderr, "error: worker %u: setup failed: %s\n", i, strerror(-rc));
			exit_code = FC_EXIT_RUNTIME;
			goto out_workers;
		}
	}
	/* t = 0 a little ahead, once every worker is set up: the workers are polling and the
	 * first connections are open before their first request is due. */
	rp->start_ns = fc_now_ns() + LEAD_NS + 50000000ull;
	run->start_ns = rp->start_ns;
	for (unsigned i = 0; i < rp->nb_workers; i++)
		rte_eal_remote_launch(fc_client_worker_main, &st->workers[i], st->workers[i].lcore);

	struct fc_report *report = fc_report_create();
	uint64_t drain = rp->request_timeout_ns < 5000000000ull ? rp->request_timeout_ns : 5000000000ull;
	struct fc_control c = {
		.workers = st->workers, .nb_workers = rp->nb_workers, .rp = rp,
		.stop = &fc_stop_requested,
		/* A bound only: the phase ends when every worker's plan is done. */
		.duration_ns = run->period_ns * o->loops + rp->request_timeout_ns * 2 + LEAD_NS +
			       1000000000ull,
		.drain_ns = drain, .close_ns = 1000000000ull, .interval_ns = 1000000000ull,
		.report = report, .out = stdout, .tty = isatty(STDOUT_FILENO), .stop_when_done = true,
	};
	fc_control_run(&c);
	/* Their RSTs are in the counters reported next. */
	for (unsigned i = 0; i < st->rp.nb_workers; i++)
		fc_client_worker_abort_open(&st->workers[i]);
	fc_run_report_counters(st->workers, st->rp.nb_workers, report, stdout);

	/* Replay totals, before the worker state goes. */
	struct fc_replay_result t = {
		.pcap = o->pcap, .loops = o->loops, .speed = o->speed, .rate = o->rate,
		.max_wait_ns = o->max_wait_ns, .planned = planned,
	};
	struct fc_hist *lag = fc_hist_create(SOCKET_ID_ANY), *lag_free = fc_hist_create(SOCKET_ID_ANY);

	for (unsigned i = 0; i < rp->nb_workers; i++) {
		struct fc_replay_worker *rw = st->workers[i].src;

		if (rw == NULL)
			continue;
		if (lag && rw->lag)
			fc_hist_merge(lag, rw->lag);
		if (lag_free && rw->lag_free)
			fc_hist_merge(lag_free, rw->lag_free);
		t.held += rw->held;
		t.reopens += rw->reopens;
		t.too_large += rw->too_large;
	}
	if (lag && lag_free) {
		lag_of(lag, &t.lag);
		lag_of(lag_free, &t.lag_free);
	}
	for (unsigned i = 0; i < rp->nb_workers; i++)
		fc_client_worker_fini(&st->workers[i]);
	st->nb_inited = 0;

	cJSON *scj = fc_scenario_to_json(&o->sc);

	fc_report_set_scenario(report, scj);
	cJSON_Delete(scj);
	snprintf(report->url, sizeof(report->url), "%.*s", (int)sizeof(report->url) - 1, o->sc.target.url);
	report->threads = rp->nb_workers;
	report->connections = plan->num_conns;
	report->duration_s = c.elapsed_s;
	report->limits_widened = o->sc.limits_widened;
	for (unsigned i = 0; i < rp->nb_workers; i++)
		fc_report_add_core(report, st->workers[i].lcore,
				   (int)rte_lcore_to_socket_id(st->workers[i].lcore), &st->workers[i].stats);
	fc_report_sum_cores(report);
	t.sent = report->totals.req_sent;
	t.unsent = planned > t.sent ? planned - t.sent : 0;
	fc_report_set_counter(report, "requests_unsent", t.unsent);

	struct fc_replay_diff d;

	if (fc_replay_diff_build(plan, run->results, run->result_loops, &d) != 0) {
		fprintf(stderr, "error: out of memory for the response diff\n");
		exit_code = FC_EXIT_RUNTIME;
	}
	if (c.interrupted)
		printf("  stopped by signal after %.1fs; drained and closed\n", c.elapsed_s);
	fc_report_print_summary(report, stdout);
	fc_run_print_cost(st->workers, st->rp.nb_workers, stdout);
	if (st->pair.embedded)
		fc_pair_print_server(&st->pair, stdout);
	if (lag && lag_free)
		fc_replay_report_print(&st->cap, &t, &d, stdout);

	int wrc = fc_run_write_outputs(report, &o->sc.output, "replay",
				       o->sc.output.json_path[0] && lag && lag_free ?
				       fc_replay_report_json(&st->cap, &t, &d) : NULL);

	if (wrc == 2 || (wrc == 1 && exit_code == FC_EXIT_OK))
		exit_code = FC_EXIT_RUNTIME;
	fc_replay_diff_free(&d);
	fc_hist_free(lag);
	fc_hist_free(lag_free);
	fc_report_free(report);
out_workers:
	for (unsigned i = 0; i < st->nb_inited; i++)
		fc_client_worker_fini(&st->workers[i]);
	for (unsigned i = 0; st->workers && i < rp->nb_workers; i++) {
		struct fc_replay_worker *rw = st->workers[i].src;

		if (rw) {
			fc_hist_free(rw->lag);
			fc_hist_free(rw->lag_free);
			rte_free(rw);
		}
	}
out_pair:
	rte_free(st->workers);
	fc_pair_down(&st->pair);
out_scenario:
	free(st->run.results);
	fc_replay_capture_free(&st->cap);
	fc_http_mix_free(&st->mix);
	fc_replay_conf_free(o);
	free(st);
	return exit_code;
}
