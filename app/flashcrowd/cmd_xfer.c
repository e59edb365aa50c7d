/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `flashcrowd xfer`: a byte-exact bulk transfer over the userspace stack, on the main
 * lcore, against a real peer. It is how lib/tcp is checked against the Linux stack under
 * netem faults (tests/integration/test_tcp_interop.sh), and a quick path check on a new NIC.
 *
 *   echo     send N bytes of a known pattern to an echo server; verify every byte back
 *   discard  send N bytes to a discard server; done when all are acknowledged and closed
 *   get      HTTP GET a path; read the body to the server's close; print its length and
 *            FNV-1a 64 digest so the caller can compare with the file
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "pair.h"
#include "cli_util.h"
#include "fc_clock.h"
#include "commands.h"
#include "fc_opts.h"
#include "fc_scenario.h"
#include "fc_tcp.h"
#include "fc_engine.h"
#include "impair_opts.h"
#include "fc_port_io.h"

enum xfer_mode { XFER_ECHO, XFER_DISCARD, XFER_GET };

struct xfer {
	enum xfer_mode mode;
	uint64_t total;         /* bytes to send (echo, discard) */
	uint64_t sent;          /* bytes accepted by the stack */
	uint64_t rcvd;          /* bytes received */
	uint64_t mismatch_at;   /* first byte that differed (echo), UINT64_MAX if none */
	uint64_t fnv;           /* FNV-1a 64 of the received body (get) */
	bool header_done;       /* get: the response head was skipped */
	char head[4096];        /* get: the response head */
	size_t head_len;
	bool connected, closed, eof;
	enum fc_tcp_close_reason reason;
	struct fc_tcp_conn *c;
	const char *request;
};

/* The pattern: byte i of the stream is a function of i, so a shift or a hole shows. */
static inline uint8_t
pattern(uint64_t i)
{
	return (uint8_t)((i * 2654435761u) >> 13);
}

static void
pump(struct xfer *x)
{
	uint8_t buf[16384];

	if (x->mode == XFER_GET) {
		if (x->sent == 0 && x->connected) {
			int n = fc_tcp_send_copy(x->c, x->request, strlen(x->request));
			if (n > 0)
				x->sent = (uint64_t)n;
		}
		return;
	}
	while (x->connected && !x->closed && x->sent < x->total) {
		uint32_t space = fc_tcp_send_space(x->c);
		uint64_t n = x->total - x->sent;

		if (space == 0)
			return;
		n = n < space ? n : space;
		n = n < sizeof(buf) ? n : sizeof(buf);
		for (uint64_t i = 0; i < n; i++)
			buf[i] = pattern(x->sent + i);
		int rc = fc_tcp_send_copy(x->c, buf, n);
		if (rc <= 0)
			return;
		x->sent += (uint64_t)rc;
	}
	if (x->connected && !x->closed && x->sent == x->total && x->mode == XFER_DISCARD)
		fc_tcp_shutdown(x->c);
}

static void
x_connected(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	(void)now;
	struct xfer *x = user;

	x->c = c;
	x->connected = true;
	pump(x);
}

static void
x_data(struct fc_tcp_conn *c, void *user, struct rte_mbuf *m, uint64_t now)
{
	(void)now;
	struct xfer *x = user;

	(void)c;
	for (struct rte_mbuf *s = m; s; s = s->next) {
		const uint8_t *p = rte_pktmbuf_mtod(s, const uint8_t *);
		size_t len = s->data_len;

		if (x->mode == XFER_GET && !x->header_done) {
			/* Keep the head until CRLFCRLF; what follows is body. */
			while (len && !x->header_done) {
				if (x->head_len < sizeof(x->head) - 1)
					x->head[x->head_len++] = (char)*p;
				p++;
				len--;
				if (x->head_len >= 4 && memcmp(x->head + x->head_len - 4, "\r\n\r\n", 4) == 0)
					x->header_done = true;
			}
		}
		for (size_t i = 0; i < len; i++) {
			if (x->mode == XFER_ECHO && p[i] != pattern(x->rcvd + i) &&
			    x->mismatch_at == UINT64_MAX)
				x->mismatch_at = x->rcvd + i;
			x->fnv = (x->fnv ^ p[i]) * 0x100000001b3ull;
		}
		x->rcvd += len;
	}
	rte_pktmbuf_free(m);
	if (x->mode == XFER_ECHO && x->rcvd >= x->total)
		fc_tcp_shutdown(x->c);
}

static void
x_eof(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	(void)now;
	struct xfer *x = user;

	x->eof = true;
	fc_tcp_close(c);
}

static void
x_writable(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	(void)now;
	(void)c;
	pump(user);
}

static void
x_closed(struct fc_tcp_conn *c, void *user, enum fc_tcp_close_reason reason, uint64_t now)
{
	(void)now;
	struct xfer *x = user;

	(void)c;
	x->closed = true;
	x->reason = reason;
	x->c = NULL;
}

static const struct fc_tcp_ops xfer_ops = {
	.on_connected = x_connected, .on_data = x_data, .on_eof = x_eof,
	.on_writable = x_writable, .on_closed = x_closed,
};

enum { X_PROFILE = 1, X_IFACE, X_LOCAL_IP, X_GATEWAY, X_EAL, X_MODE, X_BYTES, X_PATH, X_DURATION };

static const struct fc_opt xfer_opts[] = {
	{"mode", 0, true, X_MODE, "echo|discard|get", "what to do (default echo)"},
	{"bytes", 0, true, X_BYTES, "N", "bytes to send for echo and discard, 1..16Gi (default 1Mi)"},
	{"path", 0, true, X_PATH, "/P", "path to GET (default /)"},
	{"duration", 'd', true, X_DURATION, "D", "give up after D (default 60s)"},
	{"profile", 0, true, X_PROFILE, "FILE", "port profile, e.g. drivers_cfg/af_packet.json"},
	{"iface", 0, true, X_IFACE, "IF", "interface for the profile's PMD"},
	{"local-ip", 0, true, X_LOCAL_IP, "A.B.C.D/LEN", "the appliance's own address"},
	{"gateway", 0, true, X_GATEWAY, "A.B.C.D", "next hop when the peer is off-link"},
	{"eal", 0, true, X_EAL, "'...'", "EAL arguments overriding the profile's"},
	{NULL, 0, false, 0, NULL, NULL},
};

static const struct fc_opt *const xfer_tables[] = {xfer_opts, fc_impair_opt_table, NULL};

struct xfer_args {
	const char *profile, *iface, *local_ip, *gateway, *eal, *path, *target;
	struct fc_impair_spec impair;
	struct xfer *x;
	uint64_t limit;
};

static void
on_opt(void *arg, const struct fc_opt *o, const char *flag, const char *v, struct fc_errors *errs)
{
	struct xfer_args *a = arg;

	if (o == NULL) {
		if (a->target)
			fc_errors_add(errs, "\"%s\": unexpected argument (the target is the last one)", a->target);
		a->target = v;
		return;
	}
	if (fc_impair_spec_take(&a->impair, o, flag, v))
		return;
	switch (o->id) {
	case X_PROFILE: a->profile = v; break;
	case X_IFACE: a->iface = v; break;
	case X_LOCAL_IP: a->local_ip = v; break;
	case X_GATEWAY: a->gateway = v; break;
	case X_EAL: a->eal = v; break;
	case X_PATH: a->path = v; break;
	case X_MODE:
		if (strcmp(v, "echo") == 0)
			a->x->mode = XFER_ECHO;
		else if (strcmp(v, "discard") == 0)
			a->x->mode = XFER_DISCARD;
		else if (strcmp(v, "get") == 0)
			a->x->mode = XFER_GET;
		else
			fc_opts_bad(errs, flag, v, "echo, discard or get");
		break;
	case X_BYTES:
		if (fc_parse_size(v, &a->x->total) != 0 || a->x->total == 0 || a->x->total > (1ull << 34))
			fc_opts_bad(errs, flag, v, "a size between 1 and 16Gi");
		break;
	case X_DURATION:
		if (fc_parse_duration(v, &a->limit) != 0 || a->limit == 0)
			fc_opts_bad(errs, flag, v, "a duration");
		break;
	}
}

int
fc_cmd_xfer(int argc, char **argv)
{
	struct xfer x = {.mode = XFER_ECHO, .total = 1 << 20, .mismatch_at = UINT64_MAX,
			 .fnv = 0xcbf29ce484222325ull};
	struct xfer_args a = {.x = &x, .path = "/", .limit = 60ull * 1000000000ull};
	struct fc_impair_opts imp;
	struct fc_errors errs;

	fc_errors_init(&errs);
	if (fc_opts_parse(xfer_tables, argc, argv, on_opt, &a, &errs) == FC_OPTS_HELP) {
		printf("usage: flashcrowd xfer --profile P --iface IF --local-ip A.B.C.D/LEN [options] HOST:PORT\n"
		       "SPEC is netem-style: 'loss 2%%', 'delay 10ms 5ms', 'delay 2ms reorder 25%%',\n"
		       "'duplicate 5%%', applied at the appliance's port.\n\n");
		fc_opts_help(xfer_tables, stdout);
		return FC_EXIT_OK;
	}
	if (a.target == NULL)
		fc_errors_add(&errs, "target: missing (HOST:PORT, the last argument)");
	fc_impair_opts_from_spec(&a.impair, &imp, &errs);
	if (fc_errors_total(&errs)) {
		fc_errors_print(&errs, stderr);
		return FC_EXIT_INPUT;
	}
	const char *profile = a.profile, *iface = a.iface, *local_ip = a.local_ip;
	const char *gateway = a.gateway, *eal = a.eal, *path = a.path;
	uint64_t limit = a.limit;
	char host[64];
	unsigned port = 0;
	uint32_t ip;
	if (sscanf(a.target, "%63[0-9.]:%u", host, &port) != 2 || port == 0 || port > 65535 ||
	    fc_ip_parse(host, &ip, NULL) != 0) {
		fprintf(stderr, "error: target: value '%s' is not A.B.C.D:PORT\n", a.target);
		return FC_EXIT_INPUT;
	}
	uint32_t ipnet;
	uint8_t plen;
	/* The traffic-safety rule of run applies here too. */
	if (fc_parse_cidr("198.18.0.0/15", &ipnet, &plen) == 0 &&
	    (ip & rte_cpu_to_be_32(~0u << (32 - plen))) != ipnet &&
	    (rte_be_to_cpu_32(ip) >> 24) != 127) {
		fprintf(stderr, "error: target: %s is outside the allow-list (198.18.0.0/15, 127.0.0.0/8)\n",
			host);
		return FC_EXIT_INPUT;
	}
	char request[512];
	snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
		 path, host);
	x.request = request;

	struct fc_pair_opts po = {.prog = argv[0], .profile = profile, .iface = iface, .eal = eal,
				  .nb_clients = 1};
	if (profile == NULL || local_ip == NULL ||
	    fc_ip_parse(local_ip, &po.local_ip, &po.local_prefix) != 0 ||
	    (gateway && fc_ip_parse(gateway, &po.gateway, NULL) != 0)) {
		fprintf(stderr, "error: --profile and --local-ip A.B.C.D/LEN are required "
			"(and --gateway must be A.B.C.D)\n");
		return FC_EXIT_INPUT;
	}
	struct fc_pair ap;
	int rc = fc_pair_up(&ap, &po);
	if (rc != FC_EXIT_OK) {
		fc_pair_down(&ap);
		return rc;
	}
	fc_signals_install();

	struct fc_net_ctx net;
	struct fc_net_conf nc;
	uint16_t pid = ap.client_port;
	struct rte_ether_addr mac;
	uint64_t start = fc_now_ns(), now = start;
	int result = FC_EXIT_RUNTIME;

	fc_pair_net_conf(&ap, &nc);
	fc_net_init(&net, &nc);
	/* ARP first. */
	rc = fc_pair_resolve(&ap, ip, 4000000000ull, false, &mac);
	if (rc != 0) {
		fprintf(stderr, "error: cannot resolve %s: no ARP reply\n", host);
		fc_pair_down(&ap);
		return FC_EXIT_RUNTIME;
	}
	struct fc_tcp_config tc = {
		.pool = ap.client.pool, .local_mac = ap.client.mac, .next_hop_mac = mac,
		.local_ip = rte_be_to_cpu_32(ap.local_ip), .max_conns = 16, .rcv_wnd = 256 * 1024,
		.rto_min_ns = 20000000ull, .rto_init_ns = 200000000ull,
		.tx_cksum_offload = ap.client.caps.tx_cksum,
	};
	struct fc_tcp_ctx *tcp = fc_tcp_ctx_create(&tc, ap.client.socket);
	if (tcp == NULL) {
		fprintf(stderr, "error: tcp context: %s\n", strerror(errno));
		fc_pair_down(&ap);
		return FC_EXIT_RUNTIME;
	}
	struct fc_port_io io = {.port_id = pid, .queue = 0};

	if (fc_port_io_impair(&io, imp.rx_set ? &imp.rx : NULL, imp.tx_set ? &imp.tx : NULL,
			      ap.client.pool, 42, ap.client.socket) != 0) {
		fprintf(stderr, "error: impairment: %s\n", strerror(errno));
		fc_tcp_ctx_free(tcp);
		fc_pair_down(&ap);
		return FC_EXIT_RUNTIME;
	}
	x.c = fc_tcp_connect(tcp, rte_be_to_cpu_32(ip), (uint16_t)port, &xfer_ops, &x, now);
	while (x.c != NULL && !x.closed && !fc_stop_requested && now - start < limit) {
		fc_io_rx_input(&io, &net, tcp, now);
		fc_tcp_process(tcp, now);
		pump(&x);
		fc_io_flush(&io, &net, tcp, now);
		now = fc_now_ns();
	}
	double secs = (now - start) / 1e9;
	const struct fc_tcp_counters *tcn = fc_tcp_counters(tcp);
	static const char *const reasons[] = {"normal", "reset", "timeout", "aborted"};

	printf("xfer: mode %s, sent %lu, received %lu bytes in %.2f s, close %s\n",
	       x.mode == XFER_ECHO ? "echo" : x.mode == XFER_DISCARD ? "discard" : "get",
	       (unsigned long)x.sent, (unsigned long)x.rcvd, secs,
	       x.closed ? reasons[x.reason] : "not closed");
	printf("tcp: retransmits %lu, fast_retransmits %lu, rto_fired %lu, dupacks %lu, "
	       "ooo_segs %lu, dup_segs %lu, cksum_errors %lu\n",
	       (unsigned long)tcn->retransmits, (unsigned long)tcn->fast_retransmits,
	       (unsigned long)tcn->rto_fired, (unsigned long)tcn->dupacks,
	       (unsigned long)tcn->ooo_segs, (unsigned long)tcn->dup_segs,
	       (unsigned long)tcn->cksum_errors);
	if (x.c != NULL && !x.closed) {
		struct fc_tcp_conn_info ci;
		static const char *const states[] = {"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD",
			"ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
			"TIME_WAIT"};

		fc_tcp_conn_get_info(x.c, &ci);
		printf("stalled: state %s snd_una %u snd_nxt %u snd_wnd %u cwnd %u ssthresh %u "
		       "snd_queued %u rcv_nxt %u rcv_wnd %u ooo %u rto %.1fms srtt %.1fms retries %u\n",
		       states[ci.state], ci.snd_una, ci.snd_nxt, ci.snd_wnd, ci.cwnd, ci.ssthresh,
		       ci.snd_queued, ci.rcv_nxt, ci.rcv_wnd, ci.ooo_segs, ci.rto_ns / 1e6,
		       ci.srtt_ns / 1e6, ci.retries);
	}
	switch (x.mode) {
	case XFER_ECHO:
		if (x.rcvd == x.total && x.mismatch_at == UINT64_MAX && x.closed)
			result = FC_EXIT_OK;
		printf("echo: %s\n", result == FC_EXIT_OK ? "byte-exact" :
		       x.mismatch_at != UINT64_MAX ? "MISMATCH" : "INCOMPLETE");
		break;
	case XFER_DISCARD:
		if (x.sent == x.total && x.closed && x.reason == FC_TCP_CLOSE_NORMAL)
			result = FC_EXIT_OK;
		printf("discard: %s\n", result == FC_EXIT_OK ? "all acknowledged, closed" : "INCOMPLETE");
		break;
	case XFER_GET:
		printf("get: body %lu bytes fnv1a64 %016lx\n",
		       (unsigned long)(x.rcvd), (unsigned long)x.fnv);
		if (x.header_done && x.closed && x.reason == FC_TCP_CLOSE_NORMAL)
			result = FC_EXIT_OK;
		break;
	}
	if (io.imp_rx || io.imp_tx) {
		const struct fc_impair_stats *r = io.imp_rx ? fc_impair_stats(io.imp_rx) : NULL;
		const struct fc_impair_stats *t = io.imp_tx ? fc_impair_stats(io.imp_tx) : NULL;

		printf("impair: rx dropped %lu duplicated %lu delayed %lu reordered %lu; "
		       "tx dropped %lu duplicated %lu delayed %lu reordered %lu\n",
		       (unsigned long)(r ? r->dropped : 0), (unsigned long)(r ? r->duplicated : 0),
		       (unsigned long)(r ? r->delayed : 0), (unsigned long)(r ? r->reordered : 0),
		       (unsigned long)(t ? t->dropped : 0), (unsigned long)(t ? t->duplicated : 0),
		       (unsigned long)(t ? t->delayed : 0), (unsigned long)(t ? t->reordered : 0));
	}
	fc_tcp_ctx_free(tcp);
	fc_port_io_fini(&io);
	fc_net_flush(&net);
	fc_pair_down(&ap);
	return result;
}
