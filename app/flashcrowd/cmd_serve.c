/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `flashcrowd serve`: the HTTP responder on the userspace stack, on a port from a profile
 * (af_packet/af_xdp on the test bench, memif facing another flashcrowd, or a NIC).
 * lib/tcp talks to one L2 next hop per context, so the client (or its router) is named
 * with --peer and ARP-resolved before serving.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "cli_util.h"
#include "clock.h"
#include "commands.h"
#include "fc_http.h"
#include "fc_scenario.h"
#include "pair.h"
#include "server.h"

#define MAX_ROUTES 16

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: flashcrowd serve --profile drivers_cfg/X.json --iface IF --local-ip A.B.C.D/LEN\n"
		"           --peer A.B.C.D [-p PORT] [-t WORKERS] [-d DURATION] [-c MAX_CONNS]\n"
		"           [--status N] [--body-size N | --body TEXT | --file PATH] [--chunked]\n"
		"           [--chunk-size N] [--delay D | --delay MIN:MAX] [--route PATH:STATUS:SIZE]...\n"
		"Serves HTTP/1.1 (keep-alive, pipelining, close) from the userspace stack. The default\n"
		"route answers every path; --route adds exact paths (or prefixes ending in '*') first.\n"
		"Runs for -d, or until SIGINT/SIGTERM.\n");
}

static int
parse_delay(const char *s, uint64_t *lo, uint64_t *hi)
{
	char a[32], *colon;

	snprintf(a, sizeof(a), "%s", s);
	colon = strchr(a, ':');
	if (colon)
		*colon = '\0';
	if (fc_parse_duration(a, lo) != 0)
		return -EINVAL;
	*hi = *lo;
	if (colon && fc_parse_duration(colon + 1, hi) != 0)
		return -EINVAL;
	return *hi >= *lo ? 0 : -EINVAL;
}

int
fc_cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"profile", required_argument, NULL, 'P'}, {"iface", required_argument, NULL, 'i'},
		{"local-ip", required_argument, NULL, 'l'}, {"peer", required_argument, NULL, 'r'},
		{"eal", required_argument, NULL, 'e'}, {"port", required_argument, NULL, 'p'},
		{"threads", required_argument, NULL, 't'}, {"duration", required_argument, NULL, 'd'},
		{"connections", required_argument, NULL, 'c'},
		{"status", required_argument, NULL, 's'}, {"body-size", required_argument, NULL, 'b'},
		{"body", required_argument, NULL, 'B'}, {"file", required_argument, NULL, 'f'},
		{"chunked", no_argument, NULL, 'k'}, {"chunk-size", required_argument, NULL, 'K'},
		{"delay", required_argument, NULL, 'D'}, {"route", required_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	struct fc_http_route_spec routes[MAX_ROUTES + 1];
	char route_paths[MAX_ROUTES][256];
	unsigned nroutes = 0;
	struct fc_http_route_spec def = {.path = "*", .status = 200, .body = "hello world\n",
					 .body_len = 12};
	const char *profile = NULL, *iface = NULL, *local_ip = NULL, *peer = NULL, *eal = NULL;
	uint64_t duration = 0, v;
	unsigned port = 80, threads = 1, max_conns = 16384;
	uint32_t peer_ip = 0, ip;
	uint8_t plen = 0;
	int c, bad = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:t:d:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'P': profile = optarg; break;
		case 'i': iface = optarg; break;
		case 'l': local_ip = optarg; break;
		case 'r': peer = optarg; break;
		case 'e': eal = optarg; break;
		case 'p':
			if (fc_parse_count(optarg, &v) || v == 0 || v > 65535) {
				fprintf(stderr, "error: --port: value '%s' is not in 1..65535\n", optarg);
				bad = 1;
			}
			port = (unsigned)v;
			break;
		case 't':
			if (fc_parse_count(optarg, &v) || v == 0 || v > FC_MAX_WORKERS) {
				fprintf(stderr, "error: --threads: value '%s' is not in 1..%d\n", optarg,
					FC_MAX_WORKERS);
				bad = 1;
			}
			threads = (unsigned)v;
			break;
		case 'c':
			if (fc_parse_count(optarg, &v) || v == 0 || v > 1000000) {
				fprintf(stderr, "error: --connections: value '%s' is not in 1..1000000\n", optarg);
				bad = 1;
			}
			max_conns = (unsigned)v;
			break;
		case 'd':
			if (fc_parse_duration(optarg, &duration) || duration == 0) {
				fprintf(stderr, "error: -d: value '%s' is not a duration\n", optarg);
				bad = 1;
			}
			break;
		case 's':
			if (fc_parse_count(optarg, &v) || v < 100 || v > 599) {
				fprintf(stderr, "error: --status: value '%s' is not in 100..599\n", optarg);
				bad = 1;
			}
			def.status = (uint16_t)v;
			break;
		case 'b':
			if (fc_parse_size(optarg, &v) || v > FC_HTTP_MAX_BODY_SIZE) {
				fprintf(stderr, "error: --body-size: value '%s' is above the limit 1Mi\n", optarg);
				bad = 1;
			}
			def.body = NULL;
			def.body_len = 0;
			def.body_size = (uint32_t)v;
			break;
		case 'B': def.body = optarg; def.body_len = strlen(optarg); break;
		case 'f': def.body = NULL; def.body_len = 0; def.body_file = optarg; break;
		case 'k': def.chunked = true; break;
		case 'K':
			if (fc_parse_size(optarg, &v) || v == 0 || v > FC_HTTP_MAX_BODY_SIZE) {
				fprintf(stderr, "error: --chunk-size: value '%s' is not in 1..1Mi\n", optarg);
				bad = 1;
			}
			def.chunk_size = (uint32_t)v;
			break;
		case 'D':
			if (parse_delay(optarg, &def.delay_min_ns, &def.delay_max_ns)) {
				fprintf(stderr, "error: --delay: value '%s' is not D or MIN:MAX (e.g. 5ms:20ms)\n",
					optarg);
				bad = 1;
			}
			break;
		case 'R': {
			char *p1, *p2;
			unsigned long st = 200;
			uint64_t size = 0;

			if (nroutes == MAX_ROUTES) {
				fprintf(stderr, "error: --route: more than %d routes\n", MAX_ROUTES);
				bad = 1;
				break;
			}
			snprintf(route_paths[nroutes], sizeof(route_paths[0]), "%s", optarg);
			p1 = strchr(route_paths[nroutes], ':');
			if (p1) {
				*p1++ = '\0';
				st = strtoul(p1, &p2, 10);
				if (*p2 == ':' && fc_parse_size(p2 + 1, &size) != 0)
					st = 0;
			}
			if (route_paths[nroutes][0] != '/' || st < 100 || st > 599) {
				fprintf(stderr, "error: --route: value '%s' is not PATH:STATUS:SIZE\n", optarg);
				bad = 1;
				break;
			}
			routes[nroutes] = (struct fc_http_route_spec){
				.path = route_paths[nroutes], .status = (uint16_t)st, .body_size = (uint32_t)size,
			};
			nroutes++;
			break;
		}
		case 'h': usage(stdout); return FC_EXIT_OK;
		default: usage(stderr); return FC_EXIT_INPUT;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[optind]);
		bad = 1;
	}
	if (profile == NULL || iface == NULL || local_ip == NULL || peer == NULL) {
		fprintf(stderr, "error: --profile, --iface, --local-ip and --peer are required\n");
		bad = 1;
	}
	if (local_ip && fc_ip_parse(local_ip, &ip, &plen) != 0) {
		fprintf(stderr, "error: --local-ip: value '%s' is not A.B.C.D/LEN\n", local_ip);
		bad = 1;
	}
	if (peer && fc_ip_parse(peer, &peer_ip, NULL) != 0) {
		fprintf(stderr, "error: --peer: value '%s' is not an IPv4 address\n", peer);
		bad = 1;
	}
	if (bad)
		return FC_EXIT_INPUT;
	routes[nroutes++] = def;

	char err[512];
	struct fc_http_server *http = fc_http_server_create(routes, nroutes, err, sizeof(err));
	if (http == NULL) {
		fprintf(stderr, "error: %s\n", err);
		return FC_EXIT_INPUT;
	}

	/* The port, with `threads` queue pairs; serve workers take the client-worker slots. */
	struct fc_pair pair;
	struct fc_pair_opts po = {
		.prog = argv[0], .profile = profile, .iface = iface, .local_ip = ip,
		.local_prefix = plen, .eal = eal, .nb_clients = threads, .cpus_from_end = true,
	};
	int rc = fc_pair_up(&pair, &po);
	if (rc != FC_EXIT_OK) {
		fc_http_server_free(http);
		return rc;
	}
	fc_signals_install();

	struct fc_net_conf nc;
	struct fc_net_ctx net;
	struct rte_ether_addr peer_mac;
	struct rte_mbuf *pkts[FC_BURST];
	uint64_t start = fc_now_ns(), now = start;

	fc_pair_net_conf(&pair, &nc);
	/* A server waits for its client as long as it runs: ask once a second, without end. */
	nc.arp_retry_ns = 1000000000ull;
	nc.arp_max_tries = UINT32_MAX;
	fc_net_init(&net, &nc);
	printf("serve: waiting for the peer %s to answer ARP\n", peer);
	fflush(stdout);
	while ((rc = fc_net_resolve(&net, peer_ip, now, &peer_mac)) == -EAGAIN && !fc_stop_requested &&
	       (duration == 0 || now - start < duration)) {
		uint16_t n = rte_eth_rx_burst(pair.client_port, 0, pkts, FC_BURST);

		for (uint16_t i = 0; i < n; i++)
			if (fc_net_input(&net, pkts[i], now) != FC_NET_CONSUMED)
				rte_pktmbuf_free(pkts[i]);
		n = fc_net_tx_bulk(&net, pkts, FC_BURST);
		uint16_t s = rte_eth_tx_burst(pair.client_port, 0, pkts, n);
		rte_pktmbuf_free_bulk(pkts + s, n - s);
		now = fc_now_ns();
	}
	fc_net_flush(&net);
	if (rc != 0) {
		fprintf(stderr, "error: cannot resolve the peer %s: %s\n", peer,
			fc_stop_requested ? "stopped before it answered ARP" : "no ARP reply");
		fc_pair_down(&pair);
		fc_http_server_free(http);
		return FC_EXIT_RUNTIME;
	}

	struct fc_server_worker *ws = rte_zmalloc("fc_serve", sizeof(*ws) * threads, 64);
	struct fc_tcp_config tc = {.rto_min_ns = 10000000ull, .rto_init_ns = 200000000ull};
	for (unsigned i = 0; ws && i < threads; i++) {
		ws[i].idx = i;
		ws[i].lcore = pair.client_lcores[i];
		ws[i].io.port_id = pair.client_port;
		ws[i].io.queue = (uint16_t)i;
		ws[i].listen_port = (uint16_t)port;
		rc = fc_server_worker_init(&ws[i], http, &tc, &nc, &peer_mac, max_conns,
					   (int)rte_lcore_to_socket_id(ws[i].lcore));
		if (rc != 0) {
			fprintf(stderr, "error: server worker %u: %s\n", i, strerror(-rc));
			fc_pair_down(&pair);
			fc_http_server_free(http);
			return FC_EXIT_RUNTIME;
		}
	}
	if (ws == NULL) {
		fc_pair_down(&pair);
		fc_http_server_free(http);
		return FC_EXIT_RUNTIME;
	}
	printf("serve: http://%s:%u/ on %s, %u worker%s, %u route%s\n",
	       local_ip, port, iface, threads, threads > 1 ? "s" : "", nroutes, nroutes > 1 ? "s" : "");
	fflush(stdout);
	for (unsigned i = 0; i < threads; i++)
		rte_eal_remote_launch(fc_server_worker_main, &ws[i], ws[i].lcore);

	uint64_t prev = 0;
	start = fc_now_ns();
	for (unsigned sec = 1; !fc_stop_requested && (duration == 0 || fc_now_ns() - start < duration);) {
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

	for (unsigned i = 0; i < threads; i++)
		__atomic_store_n(&ws[i].ctl.phase, FC_PHASE_EXIT, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < threads; i++) {
		rte_eal_wait_lcore(ws[i].lcore);
		tot.requests += ws[i].http_stats.requests;
		tot.not_found += ws[i].http_stats.not_found;
		tot.parse_errors += ws[i].http_stats.parse_errors;
		tot.resp_bytes += ws[i].http_stats.resp_bytes;
		if (svc)
			fc_hist_pair_drain(&ws[i].service, svc);
		fc_server_worker_fini(&ws[i]);
	}
	printf("serve: done: %lu requests (%lu not found, %lu malformed), %lu response bytes",
	       (unsigned long)tot.requests, (unsigned long)tot.not_found,
	       (unsigned long)tot.parse_errors, (unsigned long)tot.resp_bytes);
	if (svc && fc_hist_count(svc))
		printf(", service time p50 %.1fus p99 %.1fus", fc_hist_percentile(svc, 50) / 1e3,
		       fc_hist_percentile(svc, 99) / 1e3);
	printf("\n");
	fc_hist_free(svc);
	rte_free(ws);
	fc_pair_down(&pair);
	fc_http_server_free(http);
	return FC_EXIT_OK;
}
