/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcp benchmark on one core, no NIC.
 *
 *   bench_tcp [hs|cps|seg|rx|all] [-n N] [-r RUNS] [-w MS] [-m TCBS]
 *
 *   hs   handshakes/s: two contexts on the in-memory wire (no delay); each round the client
 *        opens N connections, both sides complete the handshake, the client aborts them (RST)
 *        so ports recycle without TIME_WAIT. Counts SYN, SYN-ACK, ACK and RST on both stacks.
 *   cps  connections/s, one request each, the server closing first (Connection: close, as
 *        `flashcrowd serve` answers `run --close`): connect, request, response + FIN, the
 *        client's FIN; the server holds each connection's TIME_WAIT. Each round opens N
 *        connections (default 500) and the fake clock moves 1 ms. -w W: server TIME_WAIT in
 *        ms (default 20, the embedded pair's); -m M: server TCBs (default enough for every
 *        TIME_WAIT: 2 N + 64 + 65536, as the embedded pair sizes them; fewer make the
 *        oldest TIME_WAITs give their TCBs). Under callgrind, --toggle-collect=bench_cps
 *        counts instructions per connection (see scripts/bench/tcp).
 *   seg  data segments/s end to end: one connection, the sender's MSS-sized segments go to
 *        the receiver in bursts of 32, its ACKs go back; both stacks on the one core.
 *   -b B (rx) use only burst size B.
 *   -t   (rx) the peer negotiates timestamps (RFC 7323) and SACK: every data frame carries
 *        TSopt, as a Linux peer's do, and every ACK echoes it.
 *
 *   rx   receive path only: prebuilt NIC-like frames (1460-byte payload, checksum marked
 *        good by "hardware") into fc_tcp_rx_bulk() with burst 1 (one ACK per segment) and
 *        burst 32 (ACKs coalesced per burst). Under callgrind, run with
 *        --toggle-collect=fc_tcp_rx_bulk to count instructions per segment (see
 *        scripts/bench/tcp).
 *
 * Results are medians of RUNS (default 5) timed with CLOCK_MONOTONIC.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

#include "fc_test.h"
#include "fc_tcp.h"
#include "tcp_wire.h"

static struct rte_mempool *mp;
static int opt_n;
static int opt_runs = 5;
static int opt_burst; /* rx: only this burst size (0 = both 1 and 32) */
static int opt_ts;    /* rx: timestamps and SACK-permitted in the peer's SYN, TSopt on data */
static int opt_tw_ms = 20; /* cps: server TIME_WAIT */
static int opt_max;   /* cps: server TCBs (0 = enough for every TIME_WAIT) */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- a zero-delay wire: move frames between two contexts until quiet ---- */

static void
shuttle(struct fc_tcp_ctx *a, struct fc_tcp_ctx *b, uint64_t now)
{
	struct rte_mbuf *m[32];
	uint16_t n;
	int guard, moved;

	for (guard = 0; guard < 1000000; guard++) {
		moved = 0;
		while ((n = fc_tcp_tx_bulk(a, m, 32)) > 0) {
			fc_tcp_rx_bulk(b, m, n, now);
			moved = 1;
		}
		while ((n = fc_tcp_tx_bulk(b, m, 32)) > 0) {
			fc_tcp_rx_bulk(a, m, n, now);
			moved = 1;
		}
		if (!moved)
			break;
	}
}

static int hs_established;

static void
hs_connected(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	(void)now;
	(void)c;
	(void)user;
	hs_established++;
}

static void
free_data(struct fc_tcp_conn *c, void *user, struct rte_mbuf *m, uint64_t now)
{
	(void)now;
	(void)c;
	(*(uint64_t *)user)++;
	rte_pktmbuf_free(m);
}

static const struct fc_tcp_ops hs_ops = { .on_connected = hs_connected };

static struct fc_tcp_config
bench_cfg(uint32_t ip, uint32_t conns)
{
	struct fc_tcp_config c = wire_default_cfg(mp, ip);

	c.max_conns = conns;
	c.tx_cksum_offload = true; /* a NIC does the checksums */
	c.txq_size = 8192;
	return c;
}

/* The in-memory wire marks frames checksum-good, as a NIC with RX offload would. */
static void
shuttle_offload(struct fc_tcp_ctx *a, struct fc_tcp_ctx *b, uint64_t now)
{
	struct rte_mbuf *m[32];
	uint16_t n, i;
	int guard, moved;

	for (guard = 0; guard < 1000000; guard++) {
		moved = 0;
		while ((n = fc_tcp_tx_bulk(a, m, 32)) > 0) {
			for (i = 0; i < n; i++)
				m[i]->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
			fc_tcp_rx_bulk(b, m, n, now);
			moved = 1;
		}
		while ((n = fc_tcp_tx_bulk(b, m, 32)) > 0) {
			for (i = 0; i < n; i++)
				m[i]->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
			fc_tcp_rx_bulk(a, m, n, now);
			moved = 1;
		}
		if (!moved)
			break;
	}
}

static void
bench_hs(void)
{
	int per = 2000, rounds = opt_n ? opt_n : 50, r, i, run;
	double v[16];

	for (run = 0; run < opt_runs; run++) {
		struct fc_tcp_config ca = bench_cfg(IP_A, per), cb = bench_cfg(IP_B, per);
		struct fc_tcp_ctx *a, *b;

		cb.syn_backlog = per;
		a = fc_tcp_ctx_create(&ca, SOCKET_ID_ANY);
		b = fc_tcp_ctx_create(&cb, SOCKET_ID_ANY);
		static struct fc_tcp_conn *conns[4096];
		uint64_t now = 1;
		double t0;
		long total = 0;

		fc_tcp_listen(b, 80, &hs_ops, NULL);
		t0 = now_s();
		for (r = 0; r < rounds; r++) {
			hs_established = 0;
			for (i = 0; i < per; i++)
				conns[i] = fc_tcp_connect(a, IP_B, 80, &hs_ops, NULL, now);
			shuttle_offload(a, b, now);
			CHECK_EQ(hs_established, 2 * per);
			for (i = 0; i < per; i++)
				fc_tcp_abort(conns[i]);
			shuttle_offload(a, b, now);
			now += 1000;
			fc_tcp_process(a, now);
			fc_tcp_process(b, now);
			total += per;
		}
		v[run] = (double)total / (now_s() - t0);
		CHECK_EQ(fc_tcp_nb_conns(a) + fc_tcp_nb_conns(b), 0);
		fc_tcp_ctx_free(a);
		fc_tcp_ctx_free(b);
	}
	printf("handshakes/s (connect+accept+RST, both stacks, 1 core): median %.0f of %d runs\n",
		median(v, opt_runs), opt_runs);
}

/* cps: the request and the response, sent by reference as flashcrowd's client and server do. */
static const char cps_req[] = "GET / HTTP/1.1\r\nHost: 198.18.0.2\r\nConnection: close\r\n\r\n";
static const char cps_rsp[] = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nConnection: close\r\n\r\n"
	"Hello, world!";
static long cps_done;

static void
cps_cli_connected(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	(void)now;
	(void)user;
	fc_tcp_send_ref(c, cps_req, sizeof(cps_req) - 1);
}

static void
cps_cli_data(struct fc_tcp_conn *c, void *user, struct rte_mbuf *m, uint64_t now)
{
	(void)now;
	(void)user;
	fc_tcp_mbuf_free(m);
	fc_tcp_close(c); /* one request per connection */
}

static void
cps_cli_closed(struct fc_tcp_conn *c, void *user, enum fc_tcp_close_reason r, uint64_t now)
{
	(void)now;
	(void)c;
	(void)user;
	cps_done += r == FC_TCP_CLOSE_NORMAL;
}

static void
cps_srv_data(struct fc_tcp_conn *c, void *user, struct rte_mbuf *m, uint64_t now)
{
	(void)now;
	(void)user;
	fc_tcp_mbuf_free(m);
	fc_tcp_send_ref(c, cps_rsp, sizeof(cps_rsp) - 1);
	fc_tcp_close(c); /* Connection: close: FIN after the response */
}

static void
cps_srv_eof(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	(void)now;
	(void)c;
	(void)user;
}

static const struct fc_tcp_ops cps_cli_ops = {
	.on_connected = cps_cli_connected, .on_data = cps_cli_data, .on_closed = cps_cli_closed,
};
static const struct fc_tcp_ops cps_srv_ops = { .on_data = cps_srv_data, .on_eof = cps_srv_eof };

static __rte_noinline double
bench_cps_run(int per, int rounds, uint64_t *tw_reclaimed, uint64_t *syn_drops)
{
	struct fc_tcp_config ca = bench_cfg(IP_A, (uint32_t)per * 2 + 64 + 65536);
	struct fc_tcp_config cb = bench_cfg(IP_B, opt_max ? (uint32_t)opt_max :
		(uint32_t)per * 2 + 64 + 65536);
	struct fc_tcp_ctx *a, *b;
	uint64_t now = 1000000;
	double t0, dt;
	int r, i;

	ca.time_wait_ns = 100 * 1000000ull;
	cb.time_wait_ns = (uint64_t)opt_tw_ms * 1000000ull;
	cb.syn_backlog = (uint32_t)per;
	ca.txq_size = cb.txq_size = 4 * (uint32_t)per;
	a = fc_tcp_ctx_create(&ca, SOCKET_ID_ANY);
	b = fc_tcp_ctx_create(&cb, SOCKET_ID_ANY);
	fc_tcp_listen(b, 80, &cps_srv_ops, NULL);
	cps_done = 0;
	t0 = now_s();
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < per; i++)
			fc_tcp_connect(a, IP_B, 80, &cps_cli_ops, NULL, now);
		shuttle_offload(a, b, now);
		now += 1000000;
		fc_tcp_process(a, now);
		fc_tcp_process(b, now);
	}
	dt = now_s() - t0;
	CHECK_EQ(cps_done, (long)per * rounds);
	*tw_reclaimed = fc_tcp_counters(b)->time_wait_reclaimed;
	*syn_drops = fc_tcp_counters(b)->syn_drops;
	fc_tcp_ctx_free(a);
	fc_tcp_ctx_free(b);
	return (double)per * rounds / dt;
}

static void
bench_cps(void)
{
	int per = opt_n ? opt_n : 500, rounds = 200, run;
	uint64_t reclaimed = 0, drops = 0;
	double v[16];

	for (run = 0; run < opt_runs; run++)
		v[run] = bench_cps_run(per, rounds, &reclaimed, &drops);
	printf("connections/s (request, response + FIN from the server, both stacks, 1 core, "
	       "server TIME_WAIT %d ms, %d per round): median %.0f of %d runs; server: %lu "
	       "TIME_WAITs ended early for a TCB, %lu SYNs dropped (last run)\n", opt_tw_ms, per,
	       median(v, opt_runs), opt_runs, (unsigned long)reclaimed, (unsigned long)drops);
}

static void
bench_seg(void)
{
	long segs = opt_n ? opt_n : 400000;
	int run;
	double v[16];
	static uint8_t buf[64 * 1024];

	for (run = 0; run < opt_runs; run++) {
		struct fc_tcp_config ca = bench_cfg(IP_A, 4), cb = bench_cfg(IP_B, 4);
		struct fc_tcp_ctx *a, *b;
		struct fc_tcp_conn *c;
		uint64_t got = 0, now = 1;
		const struct fc_tcp_counters *kb;
		double t0;
		uint64_t seg0;
		int guard;

		ca.rcv_wnd = cb.rcv_wnd = 4 << 20;
		ca.snd_buf = cb.snd_buf = 1 << 20;
		a = fc_tcp_ctx_create(&ca, SOCKET_ID_ANY);
		b = fc_tcp_ctx_create(&cb, SOCKET_ID_ANY);
		kb = fc_tcp_counters(b);
		{
			static const struct fc_tcp_ops rx_ops = { .on_data = free_data };

			fc_tcp_listen(b, 80, &rx_ops, &got);
		}
		c = fc_tcp_connect(a, IP_B, 80, &hs_ops, NULL, now);
		shuttle_offload(a, b, now);
		seg0 = kb->rx_data_segs;
		t0 = now_s();
		for (guard = 0; kb->rx_data_segs - seg0 < (uint64_t)segs && guard < 100000000; guard++) {
			while (fc_tcp_send_space(c) >= sizeof(buf))
				fc_tcp_send_copy(c, buf, sizeof(buf));
			shuttle_offload(a, b, now);
			now += 1000;
		}
		v[run] = (double)(kb->rx_data_segs - seg0) / (now_s() - t0);
		CHECK(kb->rx_data_segs - seg0 >= (uint64_t)segs);
		fc_tcp_abort(c);
		shuttle(a, b, now);
		fc_tcp_ctx_free(a);
		fc_tcp_ctx_free(b);
	}
	printf("data segments/s (1460 B, sender+receiver stacks, 1 core): median %.0f of %d runs\n",
		median(v, opt_runs), opt_runs);
}

/* Receive path only. Returns segments per second. */
static double
rx_run(long nseg, int burst, uint64_t *acks)
{
	struct fc_tcp_config cb = bench_cfg(IP_B, 4);
	static const uint8_t synopt[] = { 2, 4, 5, 0xb4, 1, 3, 3, 7 };
	static const uint8_t synopt_ts[] = { 2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
		1, 3, 3, 7 };
	uint8_t tsopt[12] = { 1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 0 };
	uint32_t tsv = 2;
	static const struct fc_tcp_ops rx_ops = { .on_data = free_data };
	static uint8_t payload[1460];
	struct fc_tcp_ctx *b;
	struct rte_mbuf *m, *out[64], **frames;
	uint64_t got = 0;
	uint32_t iss, seq = 1001;
	struct seg_info si;
	double t, total = 0;
	long done = 0, k;
	uint16_t n;
	int chunk = 4096;

	cb.rcv_wnd = 1u << 30;
	b = fc_tcp_ctx_create(&cb, SOCKET_ID_ANY);
	fc_tcp_listen(b, 80, &rx_ops, &got);
	m = seg_build(mp, IP_A, 40000, IP_B, 80, 1000, 0, RTE_TCP_SYN_FLAG, 65535,
		opt_ts ? synopt_ts : synopt, opt_ts ? sizeof(synopt_ts) : sizeof(synopt), NULL, 0);
	fc_tcp_rx_bulk(b, &m, 1, 1);
	n = fc_tcp_tx_bulk(b, out, 64);
	seg_parse(out[0], &si);
	rte_pktmbuf_free_bulk(out, n);
	iss = si.seq;
	m = seg_build(mp, IP_A, 40000, IP_B, 80, 1001, iss + 1, RTE_TCP_ACK_FLAG, 65535, NULL, 0,
		NULL, 0);
	fc_tcp_rx_bulk(b, &m, 1, 1);
	frames = malloc(sizeof(*frames) * (size_t)chunk);
	*acks = 0;
	while (done < nseg) {
		int cnt = (int)RTE_MIN((long)chunk, nseg - done);

		/* Build outside the timed part, as a NIC would have written them. */
		for (k = 0; k < cnt; k++) {
			frames[k] = seg_build(mp, IP_A, 40000, IP_B, 80, seq, iss + 1,
				RTE_TCP_ACK_FLAG, 65535, opt_ts ? tsopt : NULL, opt_ts ? 12 : 0,
				payload, sizeof(payload) - (opt_ts ? 12 : 0));
			frames[k]->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
			seq += sizeof(payload) - (opt_ts ? 12 : 0);
			/* The peer's TSval moves on (one per frame, big-endian). */
			tsv++;
			tsopt[4] = (uint8_t)(tsv >> 24);
			tsopt[5] = (uint8_t)(tsv >> 16);
			tsopt[6] = (uint8_t)(tsv >> 8);
			tsopt[7] = (uint8_t)tsv;
		}
		t = now_s();
		for (k = 0; k < cnt; k += burst) {
			int bn = (int)RTE_MIN((long)burst, cnt - k);

			fc_tcp_rx_bulk(b, frames + k, (uint16_t)bn, 2);
			/* drain the ACKs (the NIC would send and free them) */
			while ((n = fc_tcp_tx_bulk(b, out, 64)) > 0) {
				*acks += n;
				rte_pktmbuf_free_bulk(out, n);
			}
		}
		total += now_s() - t;
		done += cnt;
	}
	free(frames);
	CHECK_EQ(got, nseg);
	/* One ACK per burst: every burst is answered with a cumulative ACK (this loop
	 * collects the frames after each burst). */
	CHECK_EQ(*acks, (nseg / chunk) * ((chunk + burst - 1) / burst) +
		((nseg % chunk) + burst - 1) / burst);
	fc_tcp_ctx_free(b);
	return (double)nseg / total;
}

static void
bench_rx(void)
{
	long nseg = opt_n ? opt_n : 200000;
	int bursts[2] = { 1, 32 }, bi, run;

	if (opt_burst > 0 && opt_burst <= 64)
		bursts[0] = bursts[1] = opt_burst;
	for (bi = 0; bi < (opt_burst ? 1 : 2); bi++) {
		double v[16];
		uint64_t acks = 0;

		for (run = 0; run < opt_runs; run++)
			v[run] = rx_run(nseg, bursts[bi], &acks);
		printf("rx data segments/s, burst %2d: median %.0f of %d runs (%lu ACKs for %ld segments)\n",
			bursts[bi], median(v, opt_runs), opt_runs, (unsigned long)acks, nseg);
	}
}

int
main(int argc, char **argv)
{
	const char *mode = "all";
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			opt_n = atoi(argv[++i]);
		else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			opt_runs = atoi(argv[++i]);
		else if (strcmp(argv[i], "-b") == 0 && i + 1 < argc)
			opt_burst = atoi(argv[++i]);
		else if (strcmp(argv[i], "-t") == 0)
			opt_ts = 1;
		else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc)
			opt_tw_ms = atoi(argv[++i]);
		else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc)
			opt_max = atoi(argv[++i]);
		else
			mode = argv[i];
	}
	if (opt_runs < 1 || opt_runs > 15)
		opt_runs = 5;
	if (fc_test_eal_init(argv[0], 512) < 0)
		return 1;
	mp = rte_pktmbuf_pool_create("bench_tcp", 65535, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (mp == NULL)
		return 1;
	if (strcmp(mode, "hs") == 0 || strcmp(mode, "all") == 0)
		bench_hs();
	if (strcmp(mode, "cps") == 0 || strcmp(mode, "all") == 0)
		bench_cps();
	if (strcmp(mode, "seg") == 0 || strcmp(mode, "all") == 0)
		bench_seg();
	if (strcmp(mode, "rx") == 0 || strcmp(mode, "all") == 0)
		bench_rx();
	return fc_test_result("bench_tcp");
}
