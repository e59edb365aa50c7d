/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `flashcrowd serve`: the HTTP responder on the userspace stack, on a port from a profile
 * (af_packet/af_xdp on the test bench, memif facing another flashcrowd, or a NIC).
 * Routes and port options come from lib/scenario's serve configuration (flags or
 * --routes FILE). lib/tcp talks to one L2 next hop per context, so the client (or its
 * router) is named with --peer and ARP-resolved before serving.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "cli_util.h"
#include "fc_clock.h"
#include "commands.h"
#include "fc_http.h"
#include "fc_scenario.h"
#include "fc_stats.h"
#include "impair_opts.h"
#include "pair.h"
#include "fc_server.h"

/* serve --json: the final counters, for scripts (what the two summary lines print). */
static int
write_json(const char *path, const struct fc_http_server_stats *http,
	   const struct fc_tcp_counters *t, double elapsed_s)
{
	cJSON *root = cJSON_CreateObject(), *o;
	int rc = -ENOMEM;
	bool ok = root != NULL &&
		cJSON_AddNumberToObject(root, "duration_s", elapsed_s) &&
		cJSON_AddNumberToObject(root, "requests", (double)http->requests) &&
		cJSON_AddNumberToObject(root, "not_found", (double)http->not_found) &&
		cJSON_AddNumberToObject(root, "malformed", (double)http->parse_errors) &&
		cJSON_AddNumberToObject(root, "response_bytes", (double)http->resp_bytes) &&
		(o = cJSON_AddObjectToObject(root, "tcp")) != NULL &&
		cJSON_AddNumberToObject(o, "accepts", (double)t->accepts) &&
		cJSON_AddNumberToObject(o, "retransmits", (double)t->retransmits) &&
		cJSON_AddNumberToObject(o, "syn_drops", (double)t->syn_drops) &&
		cJSON_AddNumberToObject(o, "syn_no_slot", (double)t->syn_no_slot) &&
		cJSON_AddNumberToObject(o, "time_wait_reuse", (double)t->time_wait_reuse) &&
		cJSON_AddNumberToObject(o, "time_wait_reclaimed", (double)t->time_wait_reclaimed) &&
		cJSON_AddNumberToObject(o, "resets_tx", (double)t->rst_tx) &&
		cJSON_AddNumberToObject(o, "unknown_flow", (double)t->unknown_flow);

	if (ok)
		rc = fc_json_write(root, path);
	cJSON_Delete(root);
	return rc;
}

int
fc_cmd_serve(int argc, char **argv)
{
	struct fc_serve_conf conf;
	struct fc_limits limits;
	struct fc_errors errs;
	struct fc_impair_opts imp;
	int rc, exit_code = FC_EXIT_OK;

	fc_errors_init(&errs);
	fc_limits_default(&limits);
	fc_serve_init(&conf);
	rc = fc_serve_from_argv(argc, argv, &conf, &errs);
	if (rc == FC_SCENARIO_HELP) {
		fc_serve_usage(stdout);
		printf("\nServes until -d passes or SIGINT/SIGTERM; --profile, --iface, --local-ip and\n"
		       "--peer are required.\n");
		fc_serve_free(&conf);
		return FC_EXIT_OK;
	}
	if (conf.peer == NULL)
		fc_errors_add(&errs, "--peer: missing (the client, or the router in front of it, to ARP for)");
	fc_impair_opts_from_spec(&conf.impair, &imp, &errs);
	/* Validate even after errors, so every mistake is reported in one pass. */
	fc_serve_validate(&conf, &limits, &errs);
	if (conf.profile_path[0] == '\0' || conf.port.iface[0] == '\0' || conf.port.local_ip == 0)
		fc_errors_add(&errs, "--profile, --iface and --local-ip are required");
	if (fc_errors_total(&errs)) {
		fc_errors_print(&errs, stderr);
		fc_serve_free(&conf);
		return FC_EXIT_INPUT;
	}
	struct fc_http_server *http = fc_serve_create_server(&conf, &errs);
	if (http == NULL) {
		fc_errors_print(&errs, stderr);
		fc_serve_free(&conf);
		return FC_EXIT_INPUT;
	}

	unsigned threads = conf.cores;
	struct fc_pair pair;
	struct fc_pair_opts po = {
		.prog = argv[0], .profile = conf.profile_path, .iface = conf.port.iface,
		.local_ip = conf.port.local_ip, .local_prefix = conf.port.local_prefix,
		.gateway = conf.port.gateway, .eal = conf.eal[0] ? conf.eal : NULL,
		.nb_clients = threads, .cpus_from_end = true,
	};
	struct fc_server_worker *ws = NULL;

	rc = fc_pair_up(&pair, &po);
	if (rc != FC_EXIT_OK) {
		exit_code = rc;
		goto out_pair; /* releases whatever the bring-up got to (EAL, ports) */
	}
	fc_signals_install();
	printf("serve: waiting for the peer %s to answer ARP\n", conf.peer);
	fflush(stdout);

	struct rte_ether_addr peer_mac;
	uint64_t start = fc_now_ns();
	/* A server waits for its client as long as it runs (or for -d). */
	rc = fc_pair_resolve(&pair, conf.peer_ip, conf.duration_ns, true, &peer_mac);
	if (rc != 0) {
		fprintf(stderr, "error: cannot resolve the peer %s: %s\n", conf.peer,
			fc_stop_requested ? "stopped before it answered ARP" : "no ARP reply");
		exit_code = FC_EXIT_RUNTIME;
		goto out_pair;
	}

	struct fc_net_conf nc;
	struct fc_tcp_config tc = {.rto_min_ns = 10000000ull, .rto_init_ns = 200000000ull};
	struct fc_run_params imp_rp = {
		.imp_rx = imp.rx_set ? &imp.rx : NULL, .imp_tx = imp.tx_set ? &imp.tx : NULL,
	};

	fc_pair_net_conf(&pair, &nc);
	ws = rte_zmalloc("fc_serve", sizeof(*ws) * threads, 64);
	if (ws == NULL) {
		exit_code = FC_EXIT_RUNTIME;
		goto out_pair;
	}
	for (unsigned i = 0; i < threads; i++) {
		ws[i].idx = i;
		ws[i].lcore = pair.client_lcores[i];
		ws[i].io.port_id = pair.client_port;
		ws[i].io.queue = (uint16_t)i;
		ws[i].listen_port = conf.listen_port;
		rc = fc_server_worker_init(&ws[i], http, &tc, &nc, &peer_mac, conf.connections,
					   (int)rte_lcore_to_socket_id(ws[i].lcore));
		if (rc == 0)
			rc = fc_port_io_impair(&ws[i].io, imp_rp.imp_rx, imp_rp.imp_tx, nc.pool, 77 + i,
					       (int)rte_lcore_to_socket_id(ws[i].lcore));
		if (rc != 0) {
			fprintf(stderr, "error: server worker %u: %s\n", i, strerror(-rc));
			exit_code = FC_EXIT_RUNTIME;
			goto out_pair;
		}
	}
	printf("serve: http://%s:%u/ on %s, %u worker%s, %u route%s\n",
	       fc_ip_str(conf.port.local_ip, (char[16]){0}), (unsigned)conf.listen_port, conf.port.iface,
	       threads, threads > 1 ? "s" : "", conf.num_routes, conf.num_routes > 1 ? "s" : "");
	fflush(stdout);
	for (unsigned i = 0; i < threads; i++)
		rte_eal_remote_launch(fc_server_worker_main, &ws[i], ws[i].lcore);

	uint64_t prev = 0;
	start = fc_now_ns();
	for (unsigned sec = 1; !fc_stop_requested && (conf.duration_ns == 0 || fc_now_ns() - start < conf.duration_ns);) {
		struct timespec ts = {0, 50000000};

		nanosleep(&ts, NULL);
		if (fc_now_ns() - start < sec * 1000000000ull)
			continue;
		uint64_t req = 0, acc = 0;
		for (unsigned i = 0; i < threads; i++) {
			req += __atomic_load_n(&ws[i].http_stats.requests, __ATOMIC_RELAXED);
			acc += __atomic_load_n(&ws[i].stats.accepts, __ATOMIC_RELAXED);
		}
		printf("%5us  requests %10lu  rps %9lu  accepts %8lu\n", sec, (unsigned long)req,
		       (unsigned long)(req - prev), (unsigned long)acc);
		fflush(stdout);
		prev = req;
		sec++;
	}

	struct fc_http_server_stats tot = {0};
	struct fc_hist *svc = fc_hist_create(SOCKET_ID_ANY);
	uint64_t busy = 0;
	double elapsed_s = (double)(fc_now_ns() - start) / 1e9;

	for (unsigned i = 0; i < threads; i++)
		__atomic_store_n(&ws[i].ctl.phase, FC_PHASE_EXIT, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < threads; i++) {
		rte_eal_wait_lcore(ws[i].lcore);
		tot.requests += ws[i].http_stats.requests;
		tot.not_found += ws[i].http_stats.not_found;
		tot.parse_errors += ws[i].http_stats.parse_errors;
		tot.resp_bytes += ws[i].http_stats.resp_bytes;
		busy += ws[i].stats.busy_cycles;
		if (svc)
			fc_hist_pair_drain(&ws[i].service, svc);
	}
	printf("serve: done: %lu requests (%lu not found, %lu malformed), %lu response bytes",
	       (unsigned long)tot.requests, (unsigned long)tot.not_found,
	       (unsigned long)tot.parse_errors, (unsigned long)tot.resp_bytes);
	if (svc && fc_hist_count(svc))
		printf(", service time p50 %.3fus p99 %.3fus", fc_hist_percentile(svc, 50) / 1e3,
		       fc_hist_percentile(svc, 99) / 1e3);
	if (tot.requests)
		printf(", %.0f cycles per request", (double)busy / (double)tot.requests);
	printf("\n");
	fc_hist_free(svc);
	/* What the stack did with the connections: a SYN dropped for want of a TCB is never
	 * silent (each costs the client a SYN retransmission timeout). */
	struct fc_tcp_counters tcn = {0};

	for (unsigned i = 0; i < threads; i++) {
		const struct fc_tcp_counters *t = fc_tcp_counters(ws[i].tcp);

		tcn.accepts += t->accepts;
		tcn.retransmits += t->retransmits;
		tcn.syn_drops += t->syn_drops;
		tcn.syn_no_slot += t->syn_no_slot;
		tcn.time_wait_reuse += t->time_wait_reuse;
		tcn.time_wait_reclaimed += t->time_wait_reclaimed;
		tcn.rst_tx += t->rst_tx;
		tcn.unknown_flow += t->unknown_flow;
	}
	printf("serve: tcp: %lu accepts, %lu retransmissions, %lu SYNs dropped (%lu for want of a "
	       "connection slot), %lu TIME_WAITs reopened by a newer SYN, %lu TIME_WAITs ended "
	       "early for a slot, %lu RSTs sent, %lu segments for unknown flows\n",
	       (unsigned long)tcn.accepts, (unsigned long)tcn.retransmits,
	       (unsigned long)tcn.syn_drops, (unsigned long)tcn.syn_no_slot,
	       (unsigned long)tcn.time_wait_reuse, (unsigned long)tcn.time_wait_reclaimed,
	       (unsigned long)tcn.rst_tx, (unsigned long)tcn.unknown_flow);
	if (conf.json_path != NULL && write_json(conf.json_path, &tot, &tcn, elapsed_s) != 0) {
		fprintf(stderr, "error: cannot write %s\n", conf.json_path);
		exit_code = FC_EXIT_RUNTIME;
	}
out_pair:
	if (ws != NULL) {
		for (unsigned i = 0; i < threads; i++)
			if (ws[i].tcp != NULL)
				fc_server_worker_fini(&ws[i]);
		rte_free(ws);
	}
	fc_pair_down(&pair);
	fc_http_server_free(http);
	fc_serve_free(&conf);
	return exit_code;
}
