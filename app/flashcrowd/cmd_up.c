/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `flashcrowd up`: bring the port up and run the L2/L3 path alone. The appliance answers
 * ARP and ping for its address and, with --resolve, ARP-resolves a host. This is the proof
 * that the data path is real, and the first thing to try on a new NIC or profile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "fc_opts.h"
#include "fc_scenario.h"
#include "pair.h"
#include "cli_util.h"
#include "fc_clock.h"
#include "commands.h"

#define BURST 32

enum { U_PROFILE = 1, U_IFACE, U_LOCAL_IP, U_GATEWAY, U_RESOLVE, U_DURATION, U_EAL };

static const struct fc_opt up_opts[] = {
	{"profile", 0, true, U_PROFILE, "FILE", "port profile, e.g. drivers_cfg/af_packet.json"},
	{"iface", 0, true, U_IFACE, "IF", "interface for the profile's PMD"},
	{"local-ip", 0, true, U_LOCAL_IP, "A.B.C.D/LEN", "the appliance's own address"},
	{"gateway", 0, true, U_GATEWAY, "A.B.C.D", "next hop for off-link hosts"},
	{"resolve", 0, true, U_RESOLVE, "A.B.C.D", "ARP-resolve this host (exit 1 if it does not answer)"},
	{"duration", 'd', true, U_DURATION, "D", "run this long, 1ms..24h (default 10s)"},
	{"eal", 0, true, U_EAL, "'...'", "EAL arguments overriding the profile's"},
	{NULL, 0, false, 0, NULL, NULL},
};

struct up_args {
	const char *v[U_EAL + 1];       /* by id */
	uint64_t duration;
};

static void
on_opt(void *arg, const struct fc_opt *o, const char *flag, const char *v, struct fc_errors *errs)
{
	struct up_args *a = arg;

	if (o == NULL)
		fc_errors_add(errs, "\"%s\": unexpected argument", v);
	else if (o->id != U_DURATION)
		a->v[o->id] = v;
	else if (fc_parse_duration(v, &a->duration) != 0 || a->duration == 0 ||
		 a->duration > 24 * 3600e9)
		fc_opts_bad(errs, flag, v, "a duration between 1ms and 24h (e.g. 10s)");
}

int
fc_cmd_up(int argc, char **argv)
{
	static const struct fc_opt *const tables[] = {up_opts, NULL};
	struct up_args a = {.duration = 10ull * 1000000000ull};
	struct fc_errors errs;

	fc_errors_init(&errs);
	if (fc_opts_parse(tables, argc, argv, on_opt, &a, &errs) == FC_OPTS_HELP) {
		printf("usage: flashcrowd up --profile drivers_cfg/X.json --iface IF --local-ip A.B.C.D/LEN\n"
		       "Brings the port up, answers ARP and ICMP echo for --local-ip, and with --resolve\n"
		       "ARP-resolves that host. Runs for -d or until SIGINT/SIGTERM.\n\n");
		fc_opts_help(tables, stdout);
		return FC_EXIT_OK;
	}
	if (fc_errors_total(&errs)) {
		fc_errors_print(&errs, stderr);
		return FC_EXIT_INPUT;
	}
	const char *profile = a.v[U_PROFILE], *iface = a.v[U_IFACE], *local_ip = a.v[U_LOCAL_IP];
	const char *gateway = a.v[U_GATEWAY], *eal = a.v[U_EAL], *resolve_s = a.v[U_RESOLVE];
	uint32_t resolve_ip = 0;
	uint64_t duration = a.duration;

	if (resolve_s && fc_ip_parse(resolve_s, &resolve_ip, NULL) != 0) {
		fprintf(stderr, "error: --resolve: value '%s' is not an IPv4 address\n", resolve_s);
		return FC_EXIT_INPUT;
	}

	struct fc_pair_opts po = {.prog = argv[0], .profile = profile, .iface = iface, .eal = eal,
				  .nb_clients = 1};
	if (profile == NULL) {
		fprintf(stderr, "error: --profile: missing (one of drivers_cfg/*.json)\n");
		return FC_EXIT_INPUT;
	}
	if (local_ip == NULL || fc_ip_parse(local_ip, &po.local_ip, &po.local_prefix) != 0) {
		fprintf(stderr, "error: --local-ip: %s%s%s\n", local_ip ? "value '" : "missing (the "
			"appliance's own address, A.B.C.D/LEN)", local_ip ? local_ip : "",
			local_ip ? "' is not an IPv4 address A.B.C.D/LEN" : "");
		return FC_EXIT_INPUT;
	}
	if (gateway && fc_ip_parse(gateway, &po.gateway, NULL) != 0) {
		fprintf(stderr, "error: --gateway: value '%s' is not an IPv4 address\n", gateway);
		return FC_EXIT_INPUT;
	}

	struct fc_pair ap;
	int rc = fc_pair_up(&ap, &po);
	if (rc != FC_EXIT_OK) {
		fc_pair_down(&ap);
		return rc;
	}
	if (ap.embedded) {
		fprintf(stderr, "error: --profile: %s is the in-process pair; up needs a real port\n",
			profile);
		fc_pair_down(&ap);
		return FC_EXIT_INPUT;
	}
	fc_signals_install();

	struct fc_net_ctx net;
	struct fc_net_conf conf;
	char ipbuf[16], macbuf[RTE_ETHER_ADDR_FMT_SIZE];

	fc_pair_net_conf(&ap, &conf);
	fc_net_init(&net, &conf);
	fc_port_caps_print(&ap.client, stdout);
	printf("up: answering ARP and ICMP echo for %s on %s for %.1f s\n",
	       fc_ip_str(ap.local_ip, ipbuf), iface ? iface : "-", duration / 1e9);
	fflush(stdout);

	uint16_t pid = ap.client_port;
	uint64_t start = fc_now_ns(), now = start, next_report = start + 1000000000ull;
	bool resolving = resolve_ip != 0;
	int result = FC_EXIT_OK;
	struct rte_mbuf *pkts[BURST];

	while (!fc_stop_requested && now - start < duration) {
		uint16_t n = fc_port_rx_burst(pid, 0, pkts, BURST);

		for (uint16_t i = 0; i < n; i++) {
			/* No TCP stack in this mode: anything that reaches TCP is dropped. */
			if (fc_net_input(&net, pkts[i], now) != FC_NET_CONSUMED)
				rte_pktmbuf_free(pkts[i]);
		}
		if (resolving) {
			struct rte_ether_addr mac;

			rc = fc_net_resolve(&net, resolve_ip, now, &mac);
			if (rc == 0) {
				rte_ether_format_addr(macbuf, sizeof(macbuf), &mac);
				printf("resolved %s is at %s after %.1f ms (%lu ARP requests)\n",
				       fc_ip_str(resolve_ip, ipbuf), macbuf, (now - start) / 1e6,
				       (unsigned long)net.stats.arp_tx_request);
				fflush(stdout);
				resolving = false;
			} else if (rc != -EAGAIN) {
				fprintf(stderr, "error: cannot resolve %s: %s\n", fc_ip_str(resolve_ip, ipbuf),
					rc == -ETIMEDOUT ? "no ARP reply after 3 requests, 1 s apart" :
					rc == -ENETUNREACH ? "off-link and no --gateway" : strerror(-rc));
				result = FC_EXIT_RUNTIME;
				break;
			}
		}
		fc_port_tx_burst_or_free(pid, 0, pkts, fc_net_tx_bulk(&net, pkts, BURST));
		now = fc_now_ns();
		if (now >= next_report) {
			next_report += 1000000000ull;
			printf("  t=%3.0fs  rx %lu  arp-replies %lu  echo-replies %lu  dropped %lu\n",
			       (now - start) / 1e9, (unsigned long)net.stats.rx_frames,
			       (unsigned long)net.stats.arp_tx_reply,
			       (unsigned long)net.stats.icmp_echo_tx,
			       (unsigned long)(net.stats.rx_not_ours + net.stats.rx_other_proto +
					       net.stats.rx_bad_ip + net.stats.rx_bad_cksum +
					       net.stats.rx_runt));
			fflush(stdout);
		}
	}
	if (resolving && result == FC_EXIT_OK) {
		fprintf(stderr, "error: cannot resolve %s: no ARP reply before the end of the run\n",
			fc_ip_str(resolve_ip, ipbuf));
		result = FC_EXIT_RUNTIME;
	}
	printf("up: done: %lu ARP requests answered, %lu echo requests answered%s\n",
	       (unsigned long)net.stats.arp_tx_reply, (unsigned long)net.stats.icmp_echo_tx,
	       fc_stop_requested ? " (stopped by signal)" : "");
	fc_net_flush(&net);
	fc_pair_down(&ap);
	return result;
}
