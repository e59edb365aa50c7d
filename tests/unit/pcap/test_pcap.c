/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/pcap extraction tests: every capture is crafted here (pcap through libpcap's
 * dumper, pcapng by hand), then extracted, and the exact requests, skip reasons,
 * response pairing and counters are asserted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fc_pcap.h"
#include "fc_test.h"
#include "pcap_craft.h"

#define T0 (1700000000ull * 1000000000ull)
#define US 1000ull
#define MS 1000000ull
#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#define CLI IP(10, 0, 0, 1)
#define SRV IP(10, 0, 0, 2)

struct got_req {
	uint64_t conn, ts, end_ts, rsp;
	uint32_t seq;
	char method[16];
	char path[256];
	char host[64];
	char raw[8192];
	size_t raw_len, head_len;
	uint16_t status;
	bool has_rsp;
	uint16_t cport, sport;
};

struct got_skip {
	uint64_t conn;
	uint32_t seq;
	int reason;
	uint64_t bytes_seen;
};

struct got {
	struct got_req req[64];
	int nreq;
	struct got_skip skip[64];
	int nskip;
};

static struct got G;

static void
cp(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int
on_req(const struct fc_pcap_request *r, void *arg)
{
	struct got *g = arg;
	struct got_req *q;

	if (g->nreq >= 64)
		return 0;
	q = &g->req[g->nreq++];
	q->conn = r->conn_id;
	q->seq = r->seq;
	q->ts = r->ts_ns;
	q->end_ts = r->end_ts_ns;
	q->rsp = r->rsp_time_ns;
	cp(q->method, sizeof(q->method), r->method, r->method_len);
	cp(q->path, sizeof(q->path), r->path, r->path_len);
	if (r->host)
		cp(q->host, sizeof(q->host), r->host, r->host_len);
	else
		q->host[0] = '\0';
	cp(q->raw, sizeof(q->raw), (const char *)r->raw, r->raw_len);
	q->raw_len = r->raw_len;
	q->head_len = r->head_len;
	q->status = r->status;
	q->has_rsp = r->has_response;
	q->cport = r->client.port;
	q->sport = r->server.port;
	return 0;
}

static int
on_skip(const struct fc_pcap_skip *s, void *arg)
{
	struct got *g = arg;

	if (g->nskip >= 64)
		return 0;
	g->skip[g->nskip].conn = s->conn_id;
	g->skip[g->nskip].seq = s->seq;
	g->skip[g->nskip].reason = (int)s->reason;
	g->skip[g->nskip].bytes_seen = s->bytes_seen;
	g->nskip++;
	CHECK(s->detail != NULL && s->detail[0] != '\0');
	return 0;
}

static struct fc_pcap_stats S;
static char E[FC_PCAP_ERRLEN];

/* Extract @path with defaults (or @o), collecting into G and S. */
static int
run_opts(const char *path, struct fc_pcap_opts *o)
{
	struct fc_pcap_opts def;
	struct fc_pcap_extractor *x;
	int rc;

	memset(&G, 0, sizeof(G));
	memset(&S, 0, sizeof(S));
	E[0] = '\0';
	if (o == NULL) {
		fc_pcap_opts_default(&def);
		o = &def;
	}
	o->on_request = on_req;
	o->on_skip = on_skip;
	o->arg = &G;
	x = fc_pcap_extractor_create(o);
	if (x == NULL)
		return -errno;
	rc = fc_pcap_extract_file(x, path, E, sizeof(E));
	S = *fc_pcap_extractor_stats(x);
	fc_pcap_extractor_free(x);
	/* The accounting invariant holds whatever happened. */
	CHECK_EQ(S.requests_seen, S.requests_extracted + S.requests_skipped);
	CHECK_EQ(S.requests_extracted, (uint64_t)G.nreq);
	CHECK_EQ(S.requests_skipped, (uint64_t)G.nskip);
	return rc;
}

static int
run(const char *path)
{
	return run_opts(path, NULL);
}

static const char REQ_A[] = "GET /a?x=1 HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: t\r\n\r\n";
static const char REQ_B[] = "POST /b HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 11\r\n\r\nhello world";
static const char REQ_C[] = "GET /c HTTP/1.1\r\nHost: shop.example\r\n\r\n";
static const char RSP_200[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde";
static const char RSP_404[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!";
static const char RSP_500C[] = "HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";

#define SL(s) (s), (uint32_t)(sizeof(s) - 1)

/* A keep-alive session with three requests on the given link type. */
static void
write_keepalive(struct craft *c)
{
	struct tconn t;

	tconn_init(&t, CLI, 40000, SRV, 80);
	tconn_open(c, &t, T0);
	tconn_c(c, &t, T0 + 10 * MS, SL(REQ_A));
	tconn_s(c, &t, T0 + 13 * MS, SL(RSP_200));
	tconn_c(c, &t, T0 + 100 * MS, SL(REQ_B));
	tconn_s(c, &t, T0 + 107 * MS, SL(RSP_404));
	tconn_c(c, &t, T0 + 300 * MS, SL(REQ_C));
	tconn_s(c, &t, T0 + 301 * MS, SL(RSP_500C));
	tconn_close(c, &t, T0 + 400 * MS);
}

static void
check_keepalive(const char *what)
{
	fprintf(stderr, "  check %s\n", what);
	CHECK_EQ(G.nreq, 3);
	CHECK_EQ(G.nskip, 0);
	if (G.nreq != 3)
		return;
	CHECK(strcmp(G.req[0].method, "GET") == 0);
	CHECK(strcmp(G.req[0].path, "/a?x=1") == 0);
	CHECK(strcmp(G.req[0].host, "shop.example") == 0);
	CHECK(strcmp(G.req[0].raw, REQ_A) == 0);
	CHECK_EQ(G.req[0].raw_len, sizeof(REQ_A) - 1);
	CHECK_EQ(G.req[0].head_len, sizeof(REQ_A) - 1);
	CHECK_EQ(G.req[0].status, 200);
	CHECK_EQ(G.req[0].ts, 10 * MS);
	CHECK_EQ(G.req[0].rsp, 3 * MS);
	CHECK(strcmp(G.req[1].method, "POST") == 0);
	CHECK(strcmp(G.req[1].path, "/b") == 0);
	CHECK(strcmp(G.req[1].raw, REQ_B) == 0);
	CHECK_EQ(G.req[1].head_len, sizeof(REQ_B) - 1 - 11);
	CHECK_EQ(G.req[1].status, 404);
	CHECK_EQ(G.req[1].rsp, 7 * MS);
	CHECK_EQ(G.req[1].ts, 100 * MS);
	CHECK(strcmp(G.req[2].raw, REQ_C) == 0);
	CHECK_EQ(G.req[2].status, 500);
	CHECK_EQ(G.req[2].rsp, 1 * MS);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(G.req[i].conn, 0);
		CHECK_EQ(G.req[i].seq, (uint32_t)i);
		CHECK(G.req[i].has_rsp);
		CHECK_EQ(G.req[i].cport, 40000);
		CHECK_EQ(G.req[i].sport, 80);
	}
	CHECK_EQ(S.flows, 1);
	CHECK_EQ(S.responses, 3);
	CHECK_EQ(S.gaps, 0);
	CHECK_EQ(S.retransmits, 0);
	CHECK_EQ(S.payload_bytes_c2s, sizeof(REQ_A) + sizeof(REQ_B) + sizeof(REQ_C) - 3);
	CHECK_EQ(S.payload_bytes_s2c, sizeof(RSP_200) + sizeof(RSP_404) + sizeof(RSP_500C) - 3);
}

static void
test_link_types(void)
{
	static const struct { enum craft_l2 l2; bool ng; const char *name; } cases[] = {
		{ L2_ETH, false, "ethernet pcap" },
		{ L2_VLAN, false, "802.1Q pcap" },
		{ L2_QINQ, false, "QinQ pcap" },
		{ L2_SLL, false, "linux SLL pcap" },
		{ L2_SLL2, false, "linux SLL2 pcap" },
		{ L2_RAW, false, "raw IPv4 pcap" },
		{ L2_NULL, false, "BSD loopback pcap" },
		{ L2_ETH, true, "ethernet pcapng" },
		{ L2_SLL2, true, "SLL2 pcapng" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct craft c;

		if (craft_open(&c, cases[i].l2, 65535, cases[i].ng) < 0) {
			CHECK(!"craft_open");
			continue;
		}
		write_keepalive(&c);
		craft_close(&c);
		CHECK_EQ(run(c.path), 0);
		check_keepalive(cases[i].name);
		CHECK_EQ(S.packets, 12);
		CHECK_EQ(S.non_ip, 0);
		CHECK_EQ(S.malformed, 0);
		craft_remove(&c);
	}
}

static void
test_pipelined_and_chunked(void)
{
	static const char chunked_head[] = "PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
	static const char chunked_body1[] = "5\r\nhel";
	static const char chunked_body2[] = "lo\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n";
	char pipe[512], expect_put[512], rsps[512];
	struct craft c;
	struct tconn t;

	/* Three pipelined requests in a single segment, then a chunked upload in pieces. */
	snprintf(pipe, sizeof(pipe), "%s%s%s", REQ_A, REQ_B, REQ_C);
	snprintf(rsps, sizeof(rsps), "%s%s", RSP_200, RSP_404);
	snprintf(expect_put, sizeof(expect_put), "%s%s%s", chunked_head, chunked_body1, chunked_body2);
	CHECK_EQ(craft_open(&c, L2_ETH, 65535, false), 0);
	tconn_init(&t, CLI, 40001, SRV, 80);
	tconn_open(&c, &t, T0);
	tconn_c(&c, &t, T0 + 1 * MS, pipe, (uint32_t)strlen(pipe));
	tconn_s(&c, &t, T0 + 2 * MS, rsps, (uint32_t)strlen(rsps));   /* two responses in one segment */
	/* The third response's head is split across two segments. */
	tconn_s(&c, &t, T0 + 4 * MS, RSP_500C, 20);
	tconn_s(&c, &t, T0 + 5 * MS, RSP_500C + 20, (uint32_t)strlen(RSP_500C) - 20);
	tconn_c(&c, &t, T0 + 10 * MS, SL(chunked_head));
	tconn_c(&c, &t, T0 + 11 * MS, SL(chunked_body1));
	tconn_c(&c, &t, T0 + 12 * MS, SL(chunked_body2));
	tconn_s(&c, &t, T0 + 15 * MS, SL(RSP_200));
	tconn_close(&c, &t, T0 + 20 * MS);
	craft_close(&c);
	CHECK_EQ(run(c.path), 0);
	CHECK_EQ(G.nreq, 4);
	CHECK_EQ(G.nskip, 0);
	if (G.nreq == 4) {
		CHECK(strcmp(G.req[0].raw, REQ_A) == 0);
		CHECK(strcmp(G.req[1].raw, REQ_B) == 0);
		CHECK(strcmp(G.req[2].raw, REQ_C) == 0);
		CHECK_EQ(G.req[0].status, 200);
		CHECK_EQ(G.req[1].status, 404);
		CHECK_EQ(G.req[2].status, 500);
		/* Pipelined: all three ended at 1 ms; responses started at 2, 2 and 4 ms. */
		CHECK_EQ(G.req[0].rsp, 1 * MS);
		CHECK_EQ(G.req[1].rsp, 1 * MS);
		CHECK_EQ(G.req[2].rsp, 3 * MS);
		CHECK(strcmp(G.req[3].method, "PUT") == 0);
		CHECK(strcmp(G.req[3].raw, expect_put) == 0);
		CHECK_EQ(G.req[3].raw_len, strlen(expect_put));
		CHECK_EQ(G.req[3].head_len, strlen(chunked_head));
		CHECK_EQ(G.req[3].ts, 10 * MS);
		CHECK_EQ(G.req[3].end_ts, 12 * MS);
		CHECK_EQ(G.req[3].status, 200);
		CHECK_EQ(G.req[3].rsp, 3 * MS);
	}
	craft_remove(&c);
}

/* A 600-byte request sent 7 bytes at a time, with a retransmission and reordering. */
static void
test_split_retransmit_ooo_overlap(void)
{
	char req[700];
	struct craft c;
	struct tconn t;
	uint32_t len, off;
	int n;

	n = snprintf(req, sizeof(req), "POST /split HTTP/1.1\r\nHost: h\r\nX-Pad: %0500d\r\nContent-Length: 4\r\n\r\nbody", 7);
	len = (uint32_t)n;
	CHECK_EQ(craft_open(&c, L2_ETH, 65535, false), 0);
	tconn_init(&t, CLI, 40002, SRV, 80);
	tconn_open(&c, &t, T0);
	for (off = 0; off < len; off += 7) {
		uint32_t k = len - off < 7 ? len - off : 7;

		tconn_c_at(&c, &t, T0 + (10 + off) * US, off, req + off, k);
		if (off == 14) /* retransmission of a segment already received */
			tconn_c_at(&c, &t, T0 + (11 + off) * US, off, req + off, k);
	}
	t.cseq += len;
	tconn_s(&c, &t, T0 + 9 * MS, SL(RSP_200));

	/* Second request "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n" (32 bytes): the tail arrives
	 * first (queued), then a duplicate of a queued piece and a conflicting overlap of
	 * queued bytes (both dropped: data already received wins), then the head, then a
	 * segment overlapping the head whose new part is accepted ("ZZZZ"), then the clean
	 * copy of that part, which is now a pure retransmission. */
	tconn_c_at(&c, &t, T0 + 10 * MS, 10, " HTTP/1.1\r\n", 11);              /* [10,21) queued */
	tconn_c_at(&c, &t, T0 + 10 * MS + 1, 21, "Host: h\r\n\r\n", 11);       /* [21,32) queued */
	tconn_c_at(&c, &t, T0 + 10 * MS + 2, 10, " HTTP/1.1\r\n", 11);          /* duplicate */
	tconn_c_at(&c, &t, T0 + 10 * MS + 3, 15, "XXXXXXXXXX", 10);              /* [15,25) conflicting */
	tconn_c_at(&c, &t, T0 + 10 * MS + 4, 0, "GET /h", 6);                    /* [0,6) */
	tconn_c_at(&c, &t, T0 + 10 * MS + 5, 3, "ZZZZZZZ", 7);                   /* [3,10) */
	tconn_c_at(&c, &t, T0 + 10 * MS + 6, 6, "ello", 4);                      /* [6,10) again */
	t.cseq += 32;
	tconn_s(&c, &t, T0 + 12 * MS, SL(RSP_404));
	tconn_close(&c, &t, T0 + 20 * MS);
	craft_close(&c);
	CHECK_EQ(run(c.path), 0);
	CHECK_EQ(G.nreq, 2);
	CHECK_EQ(G.nskip, 0);
	if (G.nreq == 2) {
		CHECK(strcmp(G.req[0].raw, req) == 0);
		CHECK_EQ(G.req[0].raw_len, len);
		CHECK(strcmp(G.req[0].path, "/split") == 0);
		CHECK_EQ(G.req[0].ts, 10 * US);
		CHECK_EQ(G.req[0].status, 200);
		CHECK(strcmp(G.req[1].raw, "GET /hZZZZ HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
		CHECK(strcmp(G.req[1].path, "/hZZZZ") == 0);
		CHECK_EQ(G.req[1].ts, 10 * MS + 4);
		CHECK_EQ(G.req[1].end_ts, 10 * MS + 5);
		CHECK_EQ(G.req[1].status, 404);
	}
	CHECK_EQ(S.gaps, 0);
	CHECK_EQ(S.retransmits, 2);
	CHECK_EQ(S.overlaps, 3);
	CHECK_EQ(S.ooo_segments, 4);
	craft_remove(&c);
}

/* Capture loss: a hole in a request head, a hole inside a Content-Length body, and a lost
 * last segment only the server's ACK reveals. */
static void
test_gaps(void)
{
	static const char body_req[] = "POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 20\r\n\r\n0123456789abcdefghij";
	struct craft c;
	struct tconn t;
	uint32_t hl = (uint32_t)(strlen(body_req) - 20);

	CHECK_EQ(craft_open(&c, L2_ETH, 65535, false), 0);
	tconn_init(&t, CLI, 40010, SRV, 80);
	tconn_open(&c, &t, T0);
	/* #0 fine. */
	tconn_c(&c, &t, T0 + 1 * MS, SL(REQ_A));
	tconn_s(&c, &t, T0 + 2 * MS, SL(RSP_200));
	/* #1: head + 5 body bytes, 10 body bytes lost, last 5 body bytes: skipped (gap) but
	 * the boundary is known, so #2 right after is extracted and paired. */
	tconn_c(&c, &t, T0 + 3 * MS, body_req, hl + 5);
	t.cseq += 10;
	tconn_c(&c, &t, T0 + 4 * MS, body_req + hl + 15, 5);
	tconn_s(&c, &t, T0 + 5 * MS, SL(RSP_404));
	tconn_c(&c, &t, T0 + 6 * MS, SL(REQ_C));
	tconn_s(&c, &t, T0 + 7 * MS, SL(RSP_500C));
	/* #3: first 10 bytes of the head, then a hole: skipped (gap); the boundaries are
	 * lost, the next segment that starts a request resyncs (#4, extracted). The 200
	 * answers #3 by position; pairing re-anchors on #4 with the first response after
	 * #4 started (the 404). */
	tconn_c(&c, &t, T0 + 8 * MS, REQ_A, 10);
	t.cseq += 5;
	tconn_c(&c, &t, T0 + 9 * MS, REQ_A + 15, (uint32_t)strlen(REQ_A) - 15);
	tconn_s(&c, &t, T0 + 10 * MS, SL(RSP_200));
	tconn_c(&c, &t, T0 + 11 * MS, SL(REQ_B));
	tconn_s(&c, &t, T0 + 12 * MS, SL(RSP_404));
	/* #5: the last 6 bytes never captured; the server ACKs them, then RST. */
	tconn_c(&c, &t, T0 + 13 * MS, REQ_C, (uint32_t)strlen(REQ_C) - 6);
	t.cseq += 6;
	craft_tcp(&c, T0 + 14 * MS, t.sip, t.cip, t.sport, t.cport, TF_ACK, t.sseq, t.cseq, NULL, 0);
	craft_tcp(&c, T0 + 15 * MS, t.cip, t.sip, t.cport, t.sport, TF_RST | TF_ACK, t.cseq, t.sseq, NULL, 0);
	craft_close(&c);
	CHECK_EQ(run(c.path), 0);
	CHECK_EQ(G.nreq, 3);
	CHECK_EQ(G.nskip, 3);
	if (G.nreq == 3 && G.nskip == 3) {
		CHECK(strcmp(G.req[0].raw, REQ_A) == 0);
		CHECK_EQ(G.req[0].seq, 0);
		CHECK_EQ(G.req[0].status, 200);
		CHECK_EQ(G.skip[0].seq, 1);
		CHECK_EQ(G.skip[0].reason, FC_PCAP_SKIP_GAP);
		CHECK_EQ(G.skip[0].bytes_seen, hl + 5);
		CHECK(strcmp(G.req[1].raw, REQ_C) == 0);
		CHECK_EQ(G.req[1].seq, 2);
		CHECK_EQ(G.req[1].status, 500);
		CHECK_EQ(G.skip[1].seq, 3);
		CHECK_EQ(G.skip[1].reason, FC_PCAP_SKIP_GAP);
		CHECK(strcmp(G.req[2].raw, REQ_B) == 0);
		CHECK_EQ(G.req[2].seq, 4);
		CHECK_EQ(G.req[2].status, 404);
		CHECK(G.req[2].has_rsp);
		CHECK_EQ(G.req[2].rsp, 1 * MS);
		CHECK_EQ(G.skip[2].seq, 5);
		CHECK_EQ(G.skip[2].reason, FC_PCAP_SKIP_GAP);
	}
	CHECK_EQ(S.gaps, 3);
	CHECK_EQ(S.gap_bytes, 10 + 5 + 6);
	CHECK_EQ(S.skipped[FC_PCAP_SKIP_GAP], 3);
	craft_remove(&c);
}

/* Snaplen 120: a long request is cut (skipped, truncated); short ones pass. */
static void
test_snaplen(void)
{
	char big[400];
	struct craft c;
	struct tconn t;
	int n;

	n = snprintf(big, sizeof(big), "GET /long HTTP/1.1\r\nHost: h\r\nCookie: %0300d\r\n\r\n", 1);
	CHECK_EQ(craft_open(&c, L2_ETH, 120, false), 0);
	tconn_init(&t, CLI, 40011, SRV, 80);
	tconn_open(&c, &t, T0);
	tconn_c(&c, &t, T0 + 1 * MS, big, (uint32_t)n);
	tconn_s(&c, &t, T0 + 2 * MS, SL(RSP_404));
	tconn_c(&c, &t, T0 + 3 * MS, SL(REQ_C));
	tconn_s(&c, &t, T0 + 4 * MS, SL(RSP_200));
	tconn_close(&c, &t, T0 + 5 * MS);
	craft_close(&c);
	CHECK_EQ(run(c.path), 0);
	CHECK_EQ(S.truncated_packets, 1);
	CHECK_EQ(G.nskip, 1);
	CHECK_EQ(G.nreq, 1);
	if (G.nskip == 1) {
		CHECK_EQ(G.skip[0].reason, FC_PCAP_SKIP_TRUNCATED);
		CHECK_EQ(G.skip[0].seq, 0);
		CHECK_EQ(G.skip[0].bytes_seen, 120 - 54);
	}
	if (G.nreq == 1) {
		/* The cut segment was a whole request: the next segment resyncs. */
		CHECK(strcmp(G.req[0].raw, REQ_C) == 0);
		CHECK_EQ(G.req[0].seq, 1);
	}
	CHECK_EQ(S.gaps, 1);
	CHECK_EQ(S.gap_bytes, (uint64_t)n - (120 - 54));
	craft_remove(&c);
}

/* Captures that start mid-connection (no SYN): direction from the server port. */
static void
test_midstream(void)
{
	struct craft c;
	struct tconn t, u;
	uint32_t hb = (uint32_t)strlen(REQ_B) - 11;

	CHECK_EQ(craft_open(&c, L2_ETH, 65535, false), 0);
	/* Flow 0 starts inside the body of a POST, then a full request; the server's first
	 * bytes are the tail of an older response. */
	tconn_init(&t, CLI, 40020, SRV, 8080);
	tconn_c(&c, &t, T0, REQ_B + hb + 3, 8);
	tconn_s(&c, &t, T0 + 1 * MS, "lo world", 8);
	tconn_s(&c, &t, T0 + 2 * MS, SL(RSP_404));
	tconn_c(&c, &t, T0 + 3 * MS, SL(REQ_A));
	tconn_s(&c, &t, T0 + 4 * MS, SL(RSP_200));
	/* Flow 1 starts exactly at a request boundary: nothing is lost. Server sent first
	 * in the capture order but the port decides. */
	tconn_init(&u, IP(10, 0, 0, 3), 40021, SRV, 8080);
	tconn_c(&c, &u, T0 + 5 * MS, SL(REQ_C));
	tconn_s(&c, &u, T0 + 6 * MS, SL(RSP_500C));
	craft_close(&c);
	{
		struct fc_pcap_opts o;

		fc_pcap_opts_default(&o);
		o.server_ports[0] = 80;
		o.server_ports[1] = 8080;
		o.num_server_ports = 2;
		CHECK_EQ(run_opts(c.path, &o), 0);
	}
	CHECK_EQ(S.flows, 2);
	CHECK_EQ(S.flows_midstream, 2);
	CHECK_EQ(G.nskip, 1);
	CHECK_EQ(G.nreq, 2);
	if (G.nskip == 1) {
		CHECK_EQ(G.skip[0].reason, FC_PCAP_SKIP_MIDSTREAM);
		CHECK_EQ(G.skip[0].conn, 0);
		CHECK_EQ(G.skip[0].seq, 0);
		CHECK_EQ(G.skip[0].bytes_seen, 8);
	}
	if (G.nreq == 2) {
		int a = G.req[0].conn == 0 ? 0 : 1, b = 1 - a;

		CHECK(strcmp(G.req[a].raw, REQ_A) == 0);
		CHECK_EQ(G.req[a].seq, 1);
		/* The server's 404 answers the skipped POST, the 200 answers REQ_A. */
		CHECK_EQ(G.req[a].status, 200);
		CHECK_EQ(G.req[a].cport, 40020);
		CHECK_EQ(G.req[a].sport, 8080);
		CHECK(strcmp(G.req[b].raw, REQ_C) == 0);
		CHECK_EQ(G.req[b].conn, 1);
		CHECK_EQ(G.req[b].status, 500);
	}
	/* With the default port list (80 only) neither flow can be oriented. */
	CHECK_EQ(run(c.path), 0);
	CHECK_EQ(S.flows_ignored, 2);
	CHECK_EQ(G.nreq + G.nskip, 0);
	craft_remove(&c);
}

/* Unterminated at end of capture, too large, parse errors, HEAD and 100-continue. */
static void
test_http_edges(void)
{
	static const char head_req[] = "HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char head_rsp[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
	static const char cont_req[] = "POST /c HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
	static const char cont_100[] = "HTTP/1.1 100 Continue\r\n\r\n";
	static const char big_req[] = "POST /too HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n";
	static char zeros[5000];
	struct craft c;
	struct tconn t, u;
	struct fc_pcap_opts o;

	CHECK_EQ(craft_open(&c, L2_ETH, 65535, false), 0);
	tconn_init(&t, CLI, 40030, SRV, 80);
	tconn_open(&c, &t, T0);
	tconn_c(&c, &t, T0 + 1 * MS, SL(head_req));
	tconn_s(&c, &t, T0 + 2 * MS, SL(head_rsp));       /* no body after a HEAD response */
	tconn_c(&c, &t, T0 + 3 * MS, SL(cont_req));
	tconn_s(&c, &t, T0 + 4 * MS, SL(cont_100));
	tconn_c(&c, &t, T0 + 5 * MS, "abc", 3);
	tconn_s(&c, &t, T0 + 6 * MS, SL(RSP_404));
	tconn_c(&c, &t, T0 + 7 * MS, SL(big_req));        /* too large, body skipped in sync */
	tconn_c(&c, &t, T0 + 7 * MS + 1, zeros, 1400);
	tconn_c(&c, &t, T0 + 7 * MS + 2, zeros, 3600);
	tconn_s(&c, &t, T0 + 8 * MS, SL(RSP_500C));
	tconn_c(&c, &t, T0 + 9 * MS, SL(REQ_C));
	tconn_s(&c, &t, T0 + 10 * MS, SL(RSP_200));
	tconn_c(&c, &t, T0 + 11 * MS, "GET /never-ends HTTP/1.1\r\nHo", 28);
	/* Second flow: not HTTP at all. */
	tconn_init(&u, CLI, 40031, SRV, 80);
	tconn_open(&c, &u, T0 + 12 * MS);
	tconn_c(&c, &u, T0 + 13 * MS, "\x16\x03\x01 binary\n\n", 12);
	craft_close(&c);
	fc_pcap_opts_default(&o);
	o.max_head_bytes = 2048;
	o.max_request_bytes = 4096;
	CHECK_EQ(run_opts(c.path, &o), 0);
	CHECK_EQ(G.nreq, 3);
	CHECK_EQ(G.nskip, 3);
	if (G.nreq == 3 && G.nskip == 3) {
		CHECK(strcmp(G.req[0].method, "HEAD") == 0);
		CHECK_EQ(G.req[0].status, 200);
		CHECK(strcmp(G.req[1].path, "/c") == 0);
		CHECK_EQ(G.req[1].raw_len, strlen(cont_req) + 3);
		CHECK_EQ(G.req[1].status, 404);             /* the final response, not the 100 */
		CHECK_EQ(G.req[1].rsp, 1 * MS);
		CHECK_EQ(G.skip[0].reason, FC_PCAP_SKIP_TOO_LARGE);
		CHECK_EQ(G.skip[0].seq, 2);
		CHECK(strcmp(G.req[2].raw, REQ_C) == 0);
		CHECK_EQ(G.req[2].seq, 3);
		CHECK_EQ(G.req[2].status, 200);             /* still paired: sync was kept */
		/* The order of reports across flows follows settlement; find by conn. */
		for (int i = 1; i < 3; i++) {
			if (G.skip[i].conn == 0) {
				CHECK_EQ(G.skip[i].reason, FC_PCAP_SKIP_UNTERMINATED);
				CHECK_EQ(G.skip[i].seq, 4);
				CHECK_EQ(G.skip[i].bytes_seen, 28);
			} else {
				CHECK_EQ(G.skip[i].reason, FC_PCAP_SKIP_PARSE);
				CHECK_EQ(G.skip[i].conn, 1);
			}
		}
	}
	craft_remove(&c);
}

/* Bad files: empty capture, truncated, garbage, unknown link type, missing file. */
static void
test_bad_files(void)
{
	struct craft c;
	struct stat sb;
	FILE *f;
	int rc;

	/* Empty capture (a header, no packet). */
	CHECK_EQ(craft_open(&c, L2_ETH, 65535, false), 0);
	craft_close(&c);
	CHECK_EQ(run(c.path), 0);
	CHECK_EQ(S.packets, 0);
	CHECK_EQ(G.nreq + G.nskip, 0);
	/* A zero-byte file is not a capture. */
	f = fopen(c.path, "wb");
	fclose(f);
	CHECK_EQ(run(c.path), -EBADMSG);
	CHECK_STR_CONTAINS(E, c.path);
	craft_remove(&c);

	/* Truncated in the middle of the last packet: what came before is kept. */
	CHECK_EQ(craft_open(&c, L2_ETH, 65535, false), 0);
	write_keepalive(&c);
	craft_close(&c);
	stat(c.path, &sb);
	CHECK_EQ(truncate(c.path, sb.st_size - 60), 0); /* cuts the last record (16 + 54 bytes) */
	rc = run(c.path);
	CHECK_EQ(rc, -EBADMSG);
	CHECK_STR_CONTAINS(E, "truncated");
	CHECK_EQ(G.nreq, 3);
	CHECK_EQ(S.packets, 11);
	craft_remove(&c);

	/* Garbage. */
	CHECK_EQ(craft_open(&c, L2_ETH, 65535, false), 0);
	craft_close(&c);
	f = fopen(c.path, "wb");
	for (int i = 0; i < 4096; i++)
		fputc((i * 7919) & 0xff, f);
	fclose(f);
	CHECK_EQ(run(c.path), -EBADMSG);
	CHECK_STR_CONTAINS(E, "not a pcap/pcapng capture");
	craft_remove(&c);

	/* Unknown link type: 802.11 radio. */
	{
		pcap_t *dead = pcap_open_dead(DLT_IEEE802_11_RADIO, 65535);
		pcap_dumper_t *d = pcap_dump_open(dead, c.path);
		struct pcap_pkthdr h = { .caplen = 4, .len = 4 };

		pcap_dump((u_char *)d, &h, (const u_char *)"abcd");
		pcap_dump_close(d);
		pcap_close(dead);
		CHECK_EQ(run(c.path), -EPROTONOSUPPORT);
		CHECK_STR_CONTAINS(E, "unsupported link type IEEE802_11_RADIO (127)");
		craft_remove(&c);
	}
	/* Missing file. */
	CHECK_EQ(run("/nonexistent/capture.pcap"), -ENOENT);
	CHECK_STR_CONTAINS(E, "No such file");
}

/* Non-TCP and non-IP frames are counted, not fatal. Flow table bound and idle timeout. */
static void
test_counters_and_bounds(void)
{
	struct craft c;
	struct tconn t[3];
	struct fc_pcap_opts o;
	uint8_t arp[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06 };

	CHECK_EQ(craft_open(&c, L2_ETH, 65535, false), 0);
	craft_frame(&c, T0, arp, sizeof(arp));
	for (int i = 0; i < 3; i++)
		tconn_init(&t[i], CLI, (uint16_t)(41000 + i), SRV, 80);
	/* Table of 2 flows: flow 0 (least recently active) is evicted when flow 2 starts,
	 * while its request is incomplete. */
	tconn_open(&c, &t[0], T0);
	tconn_c(&c, &t[0], T0 + 1 * MS, "GET /evicted HTTP/1.1\r\n", 23);
	tconn_open(&c, &t[1], T0 + 2 * MS);
	tconn_c(&c, &t[1], T0 + 10 * MS, SL(REQ_A));
	tconn_s(&c, &t[1], T0 + 11 * MS, SL(RSP_200));
	tconn_open(&c, &t[2], T0 + 12 * MS);
	tconn_c(&c, &t[2], T0 + 13 * MS, SL(REQ_B));
	/* Two seconds later (idle timeout 1 s) flow 1 and 2 are closed by idleness:
	 * REQ_B never answered is reported without a status. */
	tconn_init(&t[0], CLI, 41010, SRV, 80);
	tconn_open(&c, &t[0], T0 + 2000 * MS);
	tconn_c(&c, &t[0], T0 + 2001 * MS, SL(REQ_C));
	craft_close(&c);
	fc_pcap_opts_default(&o);
	o.max_flows = 2;
	o.idle_timeout_ns = 1000 * MS;
	CHECK_EQ(run_opts(c.path, &o), 0);
	CHECK_EQ(S.non_ip, 1);
	CHECK_EQ(S.flows, 4);
	CHECK_EQ(S.flows_evicted, 1);
	CHECK_EQ(S.flows_idle, 2);
	CHECK_EQ(G.nskip, 1);
	CHECK_EQ(G.nreq, 3);
	if (G.nskip == 1)
		CHECK_EQ(G.skip[0].reason, FC_PCAP_SKIP_EVICTED);
	if (G.nreq == 3) {
		CHECK(strcmp(G.req[0].raw, REQ_A) == 0);
		CHECK_EQ(G.req[0].status, 200);
		CHECK(strcmp(G.req[1].raw, REQ_B) == 0);
		CHECK(!G.req[1].has_rsp);
		CHECK(strcmp(G.req[2].raw, REQ_C) == 0);
		CHECK_EQ(G.req[2].conn, 3);
		CHECK_EQ(G.req[2].ts, 2001 * MS); /* capture starts with the ARP frame at T0 */
	}
	craft_remove(&c);
}

/* The global memory bound evicts the least recently active flows. */
static void
test_total_bound(void)
{
	static char partial[1000];
	struct craft c;
	struct tconn t[6];
	struct fc_pcap_opts o;

	memcpy(partial, "GET /partial HTTP/1.1\r\nX-Pad: ", 30);
	memset(partial + 30, 'a', sizeof(partial) - 30);
	CHECK_EQ(craft_open(&c, L2_ETH, 65535, false), 0);
	for (int i = 0; i < 6; i++) {
		tconn_init(&t[i], CLI, (uint16_t)(42000 + i), SRV, 80);
		tconn_open(&c, &t[i], T0 + (uint64_t)i * MS);
		tconn_c(&c, &t[i], T0 + (uint64_t)i * MS + 500, partial, sizeof(partial));
	}
	craft_close(&c);
	fc_pcap_opts_default(&o);
	o.max_head_bytes = 1024;
	o.max_request_bytes = 2048;
	o.max_flow_bytes = 4096;
	o.max_total_bytes = 8192;
	CHECK_EQ(run_opts(c.path, &o), 0);
	/* Each flow holds a 2 KiB buffer and its record ring: at most 3 fit in 8 KiB. */
	CHECK(S.flows_evicted >= 3);
	CHECK_EQ(S.skipped[FC_PCAP_SKIP_EVICTED], S.flows_evicted);
	CHECK_EQ(S.skipped[FC_PCAP_SKIP_UNTERMINATED], 6 - S.flows_evicted);
	CHECK(S.peak_buffered_bytes <= 8192 + 4096);
	craft_remove(&c);
}

/* IPv6 with a hop-by-hop extension header, on Ethernet. */
static void
v6_frame(struct craft *c, uint64_t ts, bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
		const char *data, uint32_t len)
{
	static uint8_t f[2048];
	uint8_t *p = f, a[16] = { 0x20, 0x01, 0x0d, 0xb8 }, b[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint16_t plen = (uint16_t)(8 + 20 + len);

	a[15] = 1;
	b[15] = 2;
	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x86\xdd", 14);
	p += 14;
	*p++ = 0x60; *p++ = 0; *p++ = 0; *p++ = 0;
	p = put16(p, plen);
	*p++ = 0;               /* next header: hop-by-hop */
	*p++ = 64;
	memcpy(p, from_client ? a : b, 16);
	memcpy(p + 16, from_client ? b : a, 16);
	p += 32;
	*p++ = 6;               /* hop-by-hop -> TCP */
	*p++ = 0;               /* 8 bytes */
	memset(p, 1, 6);        /* PadN */
	p[0] = 1;
	p[1] = 4;
	p += 6;
	p = put16(p, from_client ? 45000 : 80);
	p = put16(p, from_client ? 80 : 45000);
	p = put32(p, seq);
	p = put32(p, ack);
	*p++ = 5 << 4;
	*p++ = flags;
	p = put16(p, 65535);
	p = put16(p, 0);
	p = put16(p, 0);
	memcpy(p, data, len);
	p += len;
	craft_frame(c, ts, f, (uint32_t)(p - f));
}

static void
test_ipv6(void)
{
	struct craft c;
	char buf[64];

	CHECK_EQ(craft_open(&c, L2_ETH, 65535, false), 0);
	v6_frame(&c, T0, true, TF_SYN, 100, 0, "", 0);
	v6_frame(&c, T0 + 1 * MS, false, TF_SYN | TF_ACK, 900, 101, "", 0);
	v6_frame(&c, T0 + 2 * MS, true, TF_ACK | TF_PSH, 101, 901, REQ_A, (uint32_t)strlen(REQ_A));
	v6_frame(&c, T0 + 3 * MS, false, TF_ACK | TF_PSH, 901, 101 + (uint32_t)strlen(REQ_A), RSP_404,
		(uint32_t)strlen(RSP_404));
	craft_close(&c);
	CHECK_EQ(run(c.path), 0);
	CHECK_EQ(G.nreq, 1);
	if (G.nreq == 1) {
		CHECK(strcmp(G.req[0].raw, REQ_A) == 0);
		CHECK_EQ(G.req[0].status, 404);
		CHECK_EQ(G.req[0].rsp, 1 * MS);
		CHECK_EQ(G.req[0].cport, 45000);
	}
	{
		struct fc_pcap_endpoint ep = { .family = 6, .addr = { 0x20, 0x01, 0x0d, 0xb8 }, .port = 80 };

		ep.addr[15] = 2;
		CHECK(strcmp(fc_pcap_endpoint_str(&ep, buf, sizeof(buf)), "[2001:db8::2]:80") == 0);
		ep.family = 4;
		memcpy(ep.addr, "\xc6\x12\x00\x02", 4);
		CHECK(strcmp(fc_pcap_endpoint_str(&ep, buf, sizeof(buf)), "198.18.0.2:80") == 0);
	}
	CHECK(strcmp(fc_pcap_skip_reason_str(FC_PCAP_SKIP_MIDSTREAM), "mid-stream start") == 0);
	CHECK(strcmp(fc_pcap_skip_reason_str((enum fc_pcap_skip_reason)99), "unknown") == 0);
	craft_remove(&c);
}

/* A whole request lost in the capture: its response is an orphan, the next request
 * re-anchors the pairing and keeps its own capture time. */
static void
test_lost_request(void)
{
	struct craft c;
	struct tconn t;

	CHECK_EQ(craft_open(&c, L2_ETH, 65535, false), 0);
	tconn_init(&t, CLI, 40012, SRV, 80);
	tconn_open(&c, &t, T0);
	tconn_c(&c, &t, T0 + 1 * MS, SL(REQ_A));
	tconn_s(&c, &t, T0 + 2 * MS, SL(RSP_200));
	t.cseq += (uint32_t)strlen(REQ_B);                 /* REQ_B never captured */
	tconn_s(&c, &t, T0 + 4 * MS, SL(RSP_404));         /* ...but its response was */
	tconn_c(&c, &t, T0 + 5 * MS, SL(REQ_C));           /* queued behind the hole */
	tconn_s(&c, &t, T0 + 7 * MS, SL(RSP_500C));        /* its ACK settles the hole */
	tconn_close(&c, &t, T0 + 9 * MS);
	craft_close(&c);
	CHECK_EQ(run(c.path), 0);
	CHECK_EQ(G.nreq, 2);
	CHECK_EQ(G.nskip, 0);
	if (G.nreq == 2) {
		CHECK_EQ(G.req[0].status, 200);
		CHECK(strcmp(G.req[1].raw, REQ_C) == 0);
		CHECK_EQ(G.req[1].seq, 1);
		CHECK_EQ(G.req[1].ts, 5 * MS);
		CHECK_EQ(G.req[1].status, 500);
		CHECK_EQ(G.req[1].rsp, 2 * MS);
	}
	CHECK_EQ(S.gaps, 1);
	CHECK_EQ(S.gap_bytes, strlen(REQ_B));
	CHECK_EQ(S.responses_orphan, 1);
	CHECK_EQ(S.responses, 2);
	craft_remove(&c);
}

/* A hole in the response stream that cannot be skipped: the next response head resyncs
 * and pairs by time. */
static void
test_server_gap(void)
{
	static const char rsp_b[] = "HTTP/1.1 404 NF\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n";
	struct craft c;
	struct tconn t;
	uint32_t cut = (uint32_t)strlen(rsp_b) - 12;

	CHECK_EQ(craft_open(&c, L2_ETH, 65535, false), 0);
	tconn_init(&t, CLI, 40013, SRV, 80);
	tconn_open(&c, &t, T0);
	tconn_c(&c, &t, T0 + 1 * MS, SL(REQ_A));
	tconn_s(&c, &t, T0 + 2 * MS, SL(RSP_200));
	tconn_c(&c, &t, T0 + 3 * MS, SL(REQ_C));
	tconn_s(&c, &t, T0 + 4 * MS, rsp_b, cut);            /* head and part of the body */
	t.sseq += 12;                                         /* the end of the body is lost */
	tconn_c(&c, &t, T0 + 5 * MS, SL(REQ_B));              /* ACKs beyond the hole */
	tconn_s(&c, &t, T0 + 6 * MS, SL(RSP_500C));
	tconn_close(&c, &t, T0 + 9 * MS);
	craft_close(&c);
	CHECK_EQ(run(c.path), 0);
	CHECK_EQ(G.nreq, 3);
	if (G.nreq == 3) {
		CHECK_EQ(G.req[0].status, 200);
		CHECK_EQ(G.req[1].status, 404);     /* its head was seen before the hole */
		CHECK(strcmp(G.req[2].raw, REQ_B) == 0);
		CHECK_EQ(G.req[2].status, 500);
		CHECK_EQ(G.req[2].rsp, 1 * MS);
	}
	CHECK_EQ(S.gaps, 1);
	CHECK_EQ(S.gap_bytes, 12);
	CHECK_EQ(S.responses_unparsed, 1);
	CHECK_EQ(S.responses, 3);
	craft_remove(&c);
}

int
main(void)
{
	test_link_types();
	test_pipelined_and_chunked();
	test_split_retransmit_ooo_overlap();
	test_gaps();
	test_lost_request();
	test_server_gap();
	test_snaplen();
	test_midstream();
	test_http_edges();
	test_bad_files();
	test_counters_and_bounds();
	test_total_bound();
	test_ipv6();
	return fc_test_result("pcap");
}
