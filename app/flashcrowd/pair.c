/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "cli_util.h"
#include "fc_clock.h"
#include "fc_http.h"
#include "pair.h"

static int
load_profile(struct fc_pair *p, const char *path)
{
	char err[512];

	if (fc_profile_load(path, &p->profile, err, sizeof(err)) != 0) {
		fprintf(stderr, "error: %s\n", err);
		return FC_EXIT_INPUT;
	}
	return FC_EXIT_OK;
}

/* The embedded responder: a 12-byte body, about 100 bytes on the wire per response. */
static struct fc_http_server *
embedded_http(void)
{
	static const struct fc_http_route_spec route = {
		.path = "*", .status = 200, .body = "hello world\n", .body_len = 12,
	};
	char err[256];
	struct fc_http_server *srv = fc_http_server_create(&route, 1, err, sizeof(err));

	if (srv == NULL)
		fprintf(stderr, "error: embedded server: %s\n", err);
	return srv;
}

static int
start_servers(struct fc_pair *p, const struct fc_pair_opts *o)
{
	struct fc_net_conf nc = {
		.mac = p->server.mac, .ip = o->target_ip, .prefix_len = p->prefix_len,
		.pool = p->server.pool, .rx_cksum_offload = p->server.caps.rx_cksum,
	};
	struct fc_tcp_config tc = {
		.max_conns = o->server_max_conns, .rto_min_ns = p->rto_min_ns,
		.rto_init_ns = 200000000ull,
	};

	p->http = embedded_http();
	p->servers = rte_zmalloc("fc_servers", sizeof(*p->servers) * p->nb_servers, 64);
	if (p->http == NULL || p->servers == NULL) {
		fprintf(stderr, "error: embedded server: out of memory\n");
		return FC_EXIT_RUNTIME;
	}
	for (unsigned i = 0; i < p->nb_servers; i++) {
		struct fc_server_worker *w = &p->servers[i];
		unsigned lcore = p->nb_clients + 1 + i;

		w->idx = i;
		w->lcore = lcore;
		fc_pair_io_init(p, &w->io, true, i);
		w->listen_port = 80;
		int rc = fc_server_worker_init(w, p->http, &tc, &nc, &p->client.mac,
					       o->server_max_conns, (int)rte_lcore_to_socket_id(lcore));
		if (rc != 0) {
			fprintf(stderr, "error: embedded server worker %u: %s%s\n", i, strerror(-rc),
				rc == -ENOMEM ? " (raise -m in drivers_cfg/ring.json, or --eal)" : "");
			return FC_EXIT_RUNTIME;
		}
	}
	for (unsigned i = 0; i < p->nb_servers; i++)
		rte_eal_remote_launch(fc_server_worker_main, &p->servers[i], p->servers[i].lcore);
	return FC_EXIT_OK;
}

/*
 * What the run will take from EAL, for choosing hugepages (fc_platform_opts.mem_need): the
 * pool (each mbuf is its data room plus about 256 bytes of header, private area and
 * mempool overhead), the per-TCB state of both sides (lib/tcp's slot, the client's and
 * the embedded server's connection slots, at most 4 KiB together) and 64 MiB for the rest
 * (histograms, rings, queues).
 */
static uint64_t
eal_mem_need(const struct fc_pair *p, const struct fc_pair_opts *o)
{
	uint64_t mbufs = fc_port_pool_size(&p->profile, (uint16_t)p->nb_clients);

	return mbufs * (p->profile.mbuf_data_room + 256u) +
	       (uint64_t)o->server_max_conns * p->nb_clients * 4096u + (64ull << 20);
}

int
fc_pair_up(struct fc_pair *p, const struct fc_pair_opts *o)
{
	char lcores[1024], err[1024], path[512];
	unsigned nb_workers;
	int rc;

	memset(p, 0, sizeof(*p));
	p->embedded = o->embedded;
	p->nb_clients = o->nb_clients;
	p->nb_servers = o->embedded ? o->nb_clients : 0;
	nb_workers = p->nb_clients + p->nb_servers;
	if (nb_workers + 1 > RTE_MAX_LCORE || p->nb_clients > FC_MAX_WORKERS) {
		fprintf(stderr, "error: cores: %u workers is above the limit %d\n", nb_workers,
			FC_MAX_WORKERS);
		return FC_EXIT_INPUT;
	}
	if (o->embedded)
		snprintf(path, sizeof(path), "%s/ring.json", fc_drivers_cfg_dir());
	else
		snprintf(path, sizeof(path), "%s", o->profile);
	rc = load_profile(p, path);
	if (rc != FC_EXIT_OK)
		return rc;
	if (o->min_mbufs > p->profile.mbufs)
		p->profile.mbufs = o->min_mbufs;
	if (o->embedded && p->profile.kind != FC_PORT_RING) {
		fprintf(stderr, "error: %s: the embedded pair needs a ring profile\n", path);
		return FC_EXIT_INPUT;
	}
	if (!o->embedded && p->profile.kind == FC_PORT_RING) {
		/* --profile drivers_cfg/ring.json means the embedded pair. */
		p->embedded = true;
		p->nb_servers = p->nb_clients;
		nb_workers = p->nb_clients * 2;
	}
	if (!p->embedded && o->iface == NULL) {
		fprintf(stderr, "error: --iface: missing; profile %s needs an interface\n", path);
		return FC_EXIT_INPUT;
	}
	if (!p->embedded && p->profile.kind == FC_PORT_VDEV &&
	    strcmp(p->profile.driver, "net_memif") != 0 && strcmp(p->profile.driver, "net_tap") != 0) {
		char sys[300];
		struct stat sb;

		/* Say "no such interface" ourselves: the PMD's own failure is far less clear. */
		snprintf(sys, sizeof(sys), "/sys/class/net/%s", o->iface);
		if (stat(sys, &sb) != 0) {
			fprintf(stderr, "error: --iface: interface '%s' does not exist in this network "
				"namespace\n", o->iface);
			return FC_EXIT_INPUT;
		}
	}
	if (!p->embedded && o->local_ip == 0) {
		fprintf(stderr, "error: --local-ip: missing (the appliance's own address, A.B.C.D/LEN)\n");
		return FC_EXIT_INPUT;
	}
	p->rto_min_ns = p->embedded && !o->impaired ? FC_PAIR_RTO_MIN_NS : FC_PORT_RTO_MIN_NS;
	p->local_ip = o->local_ip ? o->local_ip : RTE_BE32(RTE_IPV4(198, 18, 0, 1));
	p->prefix_len = o->local_ip ? o->local_prefix : 15;
	p->gateway = o->gateway;
	if (fc_lcore_map(nb_workers, o->cpus_from_end, lcores, sizeof(lcores)) != 0)
		return FC_EXIT_INPUT;

	struct fc_platform_opts po = {
		.prog = o->prog, .iface = o->iface, .eal_override = o->eal, .lcores = lcores,
		.nb_queues = (uint16_t)p->nb_clients, .quiet = true,
		.mem_need = eal_mem_need(p, o), .used_hugepages = &p->hugepages,
	};
	rc = fc_platform_eal_init(&p->profile, &po, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "error: %s\n", err);
		return rc == -EINVAL ? FC_EXIT_INPUT : FC_EXIT_RUNTIME;
	}
	p->eal_up = true;
	fc_clock_init();
	if (rte_lcore_count() < nb_workers + 1) {
		fprintf(stderr, "error: EAL gave %u lcores, %u needed (1 control + %u workers); "
			"check --eal\n", rte_lcore_count(), nb_workers + 1, nb_workers);
		return FC_EXIT_INPUT;
	}
	for (unsigned i = 0; i < p->nb_clients; i++)
		p->client_lcores[i] = 1 + i;

	if (p->embedded) {
		uint16_t a, b;

		/*
		 * Where a closed loop's outstanding requests wait. A side builds no frame the port
		 * cannot take (fc_io_backlogged()), so with the client the slower side, the server
		 * stops reading and the requests queue unread in its RX ring, as on a real server.
		 * That ring holds them all: otherwise the client's TX hold fills and its ready
		 * connections wait instead, each touched twice (response, then request) while
		 * cold. The response ring is short, so the server runs only that far ahead of the
		 * client and the client reads frames still in cache. With 50,000 connections and
		 * 4096 each way, most replies sat built in the server's TX queue, cold by the time
		 * the client read them; sized like this, the client reads them while still cached.
		 */
		uint32_t req_ring = rte_align32pow2(RTE_MAX(o->requests_in_flight + FC_PAIR_RING_SPARE,
							    (uint32_t)FC_PAIR_RESPONSE_RING));

		req_ring = RTE_MIN(req_ring, (uint32_t)FC_PAIR_REQUEST_RING_MAX);
		rc = fc_ring_pair_create(FC_PAIR_RING_NAME, (uint16_t)p->nb_clients,
					 (int)rte_socket_id(), req_ring, FC_PAIR_RESPONSE_RING, &a, &b);
		if (rc == 0)
			rc = fc_port_setup(&p->profile, a, (uint16_t)p->nb_clients, NULL, &p->client,
					   err, sizeof(err));
		/*
		 * One pool for both sides, as a NIC's RX and TX share one: each side frees the
		 * frame it received into its lcore's mempool cache and takes the next frame it
		 * builds from there, the same mbuf, still in its cache. With a pool per side,
		 * every frame went back to the other side's pool ring, and every allocation took
		 * the mbuf freed longest ago: four cold lines written per frame. One pool keeps
		 * each frame's lines in the cache of the core that touches them next.
		 */
		if (rc == 0)
			rc = fc_port_setup(&p->profile, b, (uint16_t)p->nb_clients, p->client.pool,
					   &p->server, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "error: embedded pair: %s\n", rc == -ENOMEM && !err[0] ?
				"out of memory (raise -m in drivers_cfg/ring.json)" : err);
			return FC_EXIT_RUNTIME;
		}
		p->client_port = a;
		return start_servers(p, o);
	}

	uint16_t port_id;
	if (fc_platform_find_port(&p->profile, o->iface, &port_id) != 0) {
		fprintf(stderr, "error: profile %s: no DPDK port for '%s'\n", path, o->iface);
		return FC_EXIT_RUNTIME;
	}
	rc = fc_port_setup(&p->profile, port_id, (uint16_t)p->nb_clients, NULL, &p->client, err,
			   sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "error: %s\n", err);
		return rc == -EINVAL ? FC_EXIT_INPUT : FC_EXIT_RUNTIME;
	}
	p->client_port = port_id;
	fc_platform_check_numa(&p->client, stderr);
	return FC_EXIT_OK;
}

void
fc_pair_io_init(const struct fc_pair *p, struct fc_port_io *io, bool server, unsigned queue)
{
	const struct fc_port *port = server ? &p->server : &p->client;

	io->port_id = server ? p->server.port_id : p->client_port;
	io->queue = (uint16_t)queue;
	io->rx_mark_cksum = port->caps.rx_cksum_in_process;
}

void
fc_pair_net_conf(const struct fc_pair *p, struct fc_net_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->mac = p->client.mac;
	c->ip = p->local_ip;
	c->prefix_len = p->prefix_len;
	c->gateway = p->gateway;
	c->pool = p->client.pool;
	c->tx_ip_cksum_offload = p->client.caps.tx_cksum;
	c->rx_cksum_offload = p->client.caps.rx_cksum;
}

int
fc_pair_resolve(const struct fc_pair *p, uint32_t ip, uint64_t wait_ns, bool patient,
		struct rte_ether_addr *mac)
{
	struct fc_net_conf nc;
	struct fc_net_ctx net;
	struct rte_mbuf *pkts[FC_BURST];
	uint64_t start = fc_now_ns(), now = start;
	int rc = -EAGAIN;

	fc_pair_net_conf(p, &nc);
	if (patient) {
		nc.arp_retry_ns = 1000000000ull;
		nc.arp_max_tries = UINT32_MAX;
	}
	fc_net_init(&net, &nc);
	while (!fc_stop_requested && (wait_ns == 0 || now - start < wait_ns)) {
		for (uint16_t q = 0; q < p->nb_clients; q++) {
			uint16_t n = fc_port_rx_burst(p->client_port, q, pkts, FC_BURST);

			for (uint16_t i = 0; i < n; i++)
				if (fc_net_input(&net, pkts[i], now) != FC_NET_CONSUMED)
					rte_pktmbuf_free(pkts[i]);
		}
		rc = fc_net_resolve(&net, ip, now, mac);
		fc_port_tx_burst_or_free(p->client_port, 0, pkts, fc_net_tx_bulk(&net, pkts, FC_BURST));
		if (rc != -EAGAIN)
			break;
		now = fc_now_ns();
	}
	fc_net_flush(&net);
	return rc == -EAGAIN ? -EINTR : rc;
}

int
fc_pair_rss_conf(const struct fc_pair *p, struct fc_pair_rss *rss, struct fc_tcp_config *tc)
{
	struct rte_eth_rss_conf rc = {.rss_key = rss->key, .rss_key_len = sizeof(rss->key)};
	struct rte_eth_rss_reta_entry64 reta[512 / RTE_ETH_RETA_GROUP_SIZE];
	uint16_t size = p->client.caps.reta_size;
	int ret;

	if (!p->client.caps.rss || p->nb_clients < 2)
		return 0;
	if (size == 0 || size > 512)
		return -ENOTSUP;
	ret = rte_eth_dev_rss_hash_conf_get(p->client_port, &rc);
	if (ret != 0)
		return ret;
	memset(reta, 0, sizeof(reta));
	for (uint16_t i = 0; i < size; i++)
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
	ret = rte_eth_dev_rss_reta_query(p->client_port, reta, size);
	if (ret != 0)
		return ret;
	for (uint16_t i = 0; i < size; i++)
		rss->reta[i] = reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	rss->reta_size = size;
	tc->rss_key = rss->key;
	tc->nb_queues = (uint16_t)p->nb_clients;
	tc->reta_size = size;
	tc->reta = rss->reta;
	return 0;
}

void
fc_pair_print_server(struct fc_pair *p, FILE *f)
{
	uint64_t req = 0, acc = 0, rx = 0, unknown = 0, syn_drops = 0, no_slot = 0, net_drop = 0;
	uint64_t cks = 0;
	uint64_t blocked = 0, dropped = 0, parse = 0, rtx = 0, deferred = 0, lost = 0, nomem = 0;
	uint64_t busy = 0, held = 0;

	/* Their counters are plain per-core words: read them once the workers have stopped. */
	fc_pair_stop_servers(p);
	for (unsigned i = 0; i < p->nb_servers && p->servers; i++) {
		const struct fc_server_worker *w = &p->servers[i];
		const struct fc_tcp_counters *t = fc_tcp_counters(w->tcp);

		req += w->http_stats.requests;
		acc += w->stats.accepts;
		rx += w->net.stats.rx_frames;
		net_drop += w->net.stats.rx_not_ours + w->net.stats.rx_bad_ip + w->net.stats.rx_runt +
			    w->net.stats.rx_other_proto;
		unknown += t->unknown_flow;
		syn_drops += t->syn_drops;
		no_slot += t->syn_no_slot;
		cks += t->cksum_errors + w->net.stats.rx_bad_cksum;
		blocked += w->stats.send_blocked;
		dropped += w->stats.replies_dropped;
		parse += w->http_stats.parse_errors;
		rtx += t->retransmits;
		deferred += w->io.tx_deferred;
		lost += w->io.tx_refused + t->txq_drops;
		nomem += t->mbuf_alloc_fails + w->net.stats.alloc_fail;
		busy += w->stats.busy_cycles;
		held += w->stats.rx_held;
	}
	char cks_s[48];

	/* Frames marked good on the in-process ring are not summed: say so, not "0 errors". */
	if (p->server.caps.rx_cksum_in_process)
		snprintf(cks_s, sizeof(cks_s), "checksums not summed: in-process ring");
	else
		snprintf(cks_s, sizeof(cks_s), "%lu checksum errors", (unsigned long)cks);
	fprintf(f, "  embedded server: %lu requests, %lu accepts, %lu frames in (%lu dropped by "
		"L2/L3, %s), %lu segments for unknown flows, %lu SYNs dropped (%lu for want of a "
		"connection slot), %lu malformed requests, %lu replies waited for send space, %lu replies dropped\n",
		(unsigned long)req, (unsigned long)acc, (unsigned long)rx, (unsigned long)net_drop,
		cks_s, (unsigned long)unknown, (unsigned long)syn_drops, (unsigned long)no_slot,
		(unsigned long)parse, (unsigned long)blocked, (unsigned long)dropped);
	fprintf(f, "  embedded server: %lu retransmissions, %lu frames waited for a full port, "
		"%lu passes read nothing until it took the replies built, %lu frames lost before "
		"the wire, %lu mbuf allocation failures, %.0f cycles per request\n",
		(unsigned long)rtx, (unsigned long)deferred, (unsigned long)held,
		(unsigned long)lost, (unsigned long)nomem, req ? (double)busy / (double)req : 0.0);
}

void
fc_pair_stop_servers(struct fc_pair *p)
{
	for (unsigned i = 0; i < p->nb_servers && p->servers; i++)
		__atomic_store_n(&p->servers[i].ctl.phase, FC_PHASE_EXIT, __ATOMIC_RELEASE);
	/* A second wait on a finished lcore returns at once. */
	for (unsigned i = 0; i < p->nb_servers && p->servers; i++)
		rte_eal_wait_lcore(p->servers[i].lcore);
}

void
fc_pair_down(struct fc_pair *p)
{
	if (p->servers) {
		fc_pair_stop_servers(p);
		for (unsigned i = 0; i < p->nb_servers; i++)
			fc_server_worker_fini(&p->servers[i]);
		rte_free(p->servers);
		p->servers = NULL;
	}
	if (p->http) {
		fc_http_server_free(p->http);
		p->http = NULL;
	}
	fc_port_close(&p->server); /* before the client's, whose pool it uses */
	fc_port_close(&p->client);
	if (p->eal_up)
		rte_eal_cleanup();
	p->eal_up = false;
}
