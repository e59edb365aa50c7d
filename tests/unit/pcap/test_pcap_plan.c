/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replay plan tests: filters, header and Host rewrite, port map, speed and max-wait
 * timing, worker assignment, the arena bound, and one end-to-end build from a crafted
 * capture.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc_pcap.h"
#include "fc_test.h"
#include "pcap_craft.h"

#define SEC 1000000000ull
#define MS 1000000ull

/* Make a request as the extractor would report it (raw must outlive the call only). */
static struct fc_pcap_request
mkreq(uint64_t conn, uint32_t seq, uint64_t ts, const char *raw, uint16_t sport)
{
	struct fc_pcap_request r;
	const char *sp = strchr(raw, ' '), *sp2 = strchr(sp + 1, ' ');
	const char *end = strstr(raw, "\r\n\r\n");

	memset(&r, 0, sizeof(r));
	r.conn_id = conn;
	r.seq = seq;
	r.ts_ns = ts;
	r.end_ts_ns = ts;
	r.raw = (const uint8_t *)raw;
	r.raw_len = strlen(raw);
	r.head_len = (size_t)(end + 4 - raw);
	r.method = raw;
	r.method_len = (size_t)(sp - raw);
	r.path = sp + 1;
	r.path_len = (size_t)(sp2 - sp - 1);
	r.has_response = true;
	r.status = 200;
	r.client.family = 4;
	r.client.addr[0] = 10;
	r.client.addr[3] = (uint8_t)(1 + conn);
	r.client.port = (uint16_t)(30000 + conn);
	r.server.family = 4;
	r.server.addr[0] = 10;
	r.server.addr[3] = 200;
	r.server.port = sport;
	return r;
}

static void
test_filters(void)
{
	struct fc_replay_opts o;
	struct fc_replay_plan *p;
	struct fc_pcap_request r;
	char err[FC_PCAP_ERRLEN];

	fc_replay_opts_default(&o);
	o.allow_url[o.num_allow_url++] = "^/api/";
	o.deny_url[o.num_deny_url++] = "secret";
	o.allow_method[o.num_allow_method++] = "GET";
	o.allow_method[o.num_allow_method++] = "DELETE";
	p = fc_replay_plan_create(&o, err, sizeof(err));
	CHECK(p != NULL);
	if (p == NULL)
		return;
	r = mkreq(0, 0, 0, "GET /api/users HTTP/1.1\r\nHost: a\r\n\r\n", 80);
	CHECK_EQ(fc_replay_plan_add(p, &r), 0);
	r = mkreq(0, 1, 1, "GET /static/x.png HTTP/1.1\r\nHost: a\r\n\r\n", 80);
	CHECK_EQ(fc_replay_plan_add(p, &r), 1);
	r = mkreq(0, 2, 2, "POST /api/login HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 80);
	CHECK_EQ(fc_replay_plan_add(p, &r), 1);
	r = mkreq(0, 3, 3, "DELETE /api/x HTTP/1.1\r\nHost: a\r\n\r\n", 80);
	CHECK_EQ(fc_replay_plan_add(p, &r), 0);
	r = mkreq(0, 4, 4, "GET /api/secret HTTP/1.1\r\nHost: a\r\n\r\n", 80);
	CHECK_EQ(fc_replay_plan_add(p, &r), 1);
	CHECK_EQ(fc_replay_plan_finish(p), 0);
	CHECK_EQ(fc_replay_plan_add(p, &r), -EBUSY);
	CHECK_EQ(p->stats.offered, 5);
	CHECK_EQ(p->stats.added, 2);
	CHECK_EQ(p->stats.filtered_url, 2);
	CHECK_EQ(p->stats.filtered_method, 1);
	CHECK_EQ(p->num_conns, 1);
	CHECK_EQ(p->num_reqs, 2);
	if (p->num_reqs == 2) {
		CHECK(memcmp(p->reqs[0].data, "GET /api/users ", 15) == 0);
		CHECK_EQ(p->reqs[0].path_off, 4);
		CHECK_EQ(p->reqs[0].path_len, 10);
		CHECK_EQ(p->reqs[0].method_len, 3);
		CHECK(memcmp(p->reqs[1].data, "DELETE /api/x ", 14) == 0);
		CHECK_EQ(p->reqs[1].seq, 3);
	}
	fc_replay_plan_free(p);

	/* Invalid options are refused with a reason. */
	fc_replay_opts_default(&o);
	o.deny_url[o.num_deny_url++] = "([unclosed";
	CHECK(fc_replay_plan_create(&o, err, sizeof(err)) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK_STR_CONTAINS(err, "([unclosed");
	fc_replay_opts_default(&o);
	o.set_header[o.num_set_header++] = "no colon here";
	CHECK(fc_replay_plan_create(&o, err, sizeof(err)) == NULL);
	CHECK_STR_CONTAINS(err, "set-header");
	fc_replay_opts_default(&o);
	o.speed = 0;
	CHECK(fc_replay_plan_create(&o, err, sizeof(err)) == NULL);
}

static void
test_rewrite_and_port_map(void)
{
	static const char body_req[] = "POST /f HTTP/1.1\r\nHost: prod.example\r\nUser-Agent: browser\r\n"
		"x-replay: old\r\nContent-Length: 4\r\n\r\nbody";
	static const char expect[] = "POST /f HTTP/1.1\r\nHost: staging:8080\r\nContent-Length: 4\r\n"
		"X-Replay: 1\r\nUser-Agent: fc\r\n\r\nbody";
	static const char expect_orig[] = "POST /f HTTP/1.1\r\nHost: prod.example\r\nContent-Length: 4\r\n"
		"X-Replay: 1\r\nUser-Agent: fc\r\n\r\nbody";
	struct fc_replay_opts o;
	struct fc_replay_plan *p;
	struct fc_pcap_request r;

	fc_replay_opts_default(&o);
	o.set_header[o.num_set_header++] = "X-Replay: 1";
	o.set_header[o.num_set_header++] = "User-Agent:   fc  ";
	o.target_host = "staging:8080";
	o.port_map[o.num_port_map++] = (struct fc_replay_port_map){ .from = 80, .to = 8080 };
	o.port_map[o.num_port_map++] = (struct fc_replay_port_map){ .from = 8443, .to = 9443 };
	p = fc_replay_plan_create(&o, NULL, 0);
	CHECK(p != NULL);
	if (p == NULL)
		return;
	r = mkreq(0, 0, 0, body_req, 80);
	CHECK_EQ(fc_replay_plan_add(p, &r), 0);
	r = mkreq(1, 0, 1, body_req, 8443);
	CHECK_EQ(fc_replay_plan_add(p, &r), 0);
	r = mkreq(2, 0, 2, body_req, 81);
	CHECK_EQ(fc_replay_plan_add(p, &r), 0);
	CHECK_EQ(fc_replay_plan_finish(p), 0);
	CHECK_EQ(p->num_conns, 3);
	if (p->num_conns == 3) {
		CHECK_EQ(p->conns[0].target_port, 8080);
		CHECK_EQ(p->conns[1].target_port, 9443);
		CHECK_EQ(p->conns[2].target_port, 0);
		CHECK_EQ(p->conns[2].server.port, 81);
		CHECK_EQ(p->reqs[0].len, strlen(expect));
		CHECK(p->reqs[0].len == strlen(expect) && memcmp(p->reqs[0].data, expect, strlen(expect)) == 0);
		CHECK_EQ(p->reqs[0].path_off, 5);
	}
	CHECK_EQ(p->stats.arena_bytes, 3 * strlen(expect));
	fc_replay_plan_free(p);

	/* --original-host keeps the captured Host. */
	o.original_host = true;
	p = fc_replay_plan_create(&o, NULL, 0);
	r = mkreq(0, 0, 0, body_req, 80);
	CHECK_EQ(fc_replay_plan_add(p, &r), 0);
	CHECK_EQ(fc_replay_plan_finish(p), 0);
	CHECK(p->reqs[0].len == strlen(expect_orig) &&
		memcmp(p->reqs[0].data, expect_orig, strlen(expect_orig)) == 0);
	fc_replay_plan_free(p);

	/* A Host given with set-header wins over the target host, and appears once. */
	fc_replay_opts_default(&o);
	o.set_header[o.num_set_header++] = "host: explicit";
	o.target_host = "staging";
	p = fc_replay_plan_create(&o, NULL, 0);
	r = mkreq(0, 0, 0, "GET / HTTP/1.1\r\nHost: prod\r\nA: b\r\n\r\n", 80);
	CHECK_EQ(fc_replay_plan_add(p, &r), 0);
	CHECK_EQ(fc_replay_plan_finish(p), 0);
	CHECK(p->reqs[0].len == strlen("GET / HTTP/1.1\r\nA: b\r\nhost: explicit\r\n\r\n") &&
		memcmp(p->reqs[0].data, "GET / HTTP/1.1\r\nA: b\r\nhost: explicit\r\n\r\n", p->reqs[0].len) == 0);
	fc_replay_plan_free(p);

	/* No rewrite at all: the bytes are copied as captured. */
	p = fc_replay_plan_create(NULL, NULL, 0);
	r = mkreq(0, 0, 0, body_req, 80);
	CHECK_EQ(fc_replay_plan_add(p, &r), 0);
	CHECK_EQ(fc_replay_plan_finish(p), 0);
	CHECK(p->reqs[0].len == strlen(body_req) && memcmp(p->reqs[0].data, body_req, strlen(body_req)) == 0);
	fc_replay_plan_free(p);
}

static void
test_timing_and_workers(void)
{
	static const char g[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	struct fc_replay_opts o;
	struct fc_replay_plan *p;
	struct fc_pcap_request r;
	const uint32_t *w;
	size_t n;

	/* Conn 7 (A): requests at 1 s, 11 s, 12 s; conn 3 (B): 6 s, 6.5 s; conn 9 (C): 20 s.
	 * Offered in settlement order, not time order. */
	fc_replay_opts_default(&o);
	o.speed = 2;
	o.max_wait_ns = 2 * SEC;
	p = fc_replay_plan_create(&o, NULL, 0);
	r = mkreq(3, 0, 6 * SEC, g, 80);
	fc_replay_plan_add(p, &r);
	r = mkreq(7, 0, 1 * SEC, g, 80);
	fc_replay_plan_add(p, &r);
	r = mkreq(3, 1, 6 * SEC + 500 * MS, g, 80);
	fc_replay_plan_add(p, &r);
	r = mkreq(7, 1, 11 * SEC, g, 80);
	fc_replay_plan_add(p, &r);
	r = mkreq(9, 0, 20 * SEC, g, 80);
	fc_replay_plan_add(p, &r);
	r = mkreq(7, 2, 12 * SEC, g, 80);
	fc_replay_plan_add(p, &r);
	CHECK_EQ(fc_replay_plan_finish(p), 0);
	CHECK_EQ(p->num_conns, 3);
	CHECK_EQ(p->num_reqs, 6);
	if (p->num_conns == 3 && p->num_reqs == 6) {
		const struct fc_replay_req *a, *b, *c;

		CHECK_EQ(p->conns[0].orig_conn_id, 7);
		CHECK_EQ(p->conns[1].orig_conn_id, 3);
		CHECK_EQ(p->conns[2].orig_conn_id, 9);
		a = &p->reqs[p->conns[0].first_req];
		b = &p->reqs[p->conns[1].first_req];
		c = &p->reqs[p->conns[2].first_req];
		CHECK_EQ(p->conns[0].num_reqs, 3);
		CHECK_EQ(a[0].seq, 0);
		CHECK_EQ(a[1].seq, 1);
		CHECK_EQ(a[2].seq, 2);
		/* Global: gaps 5, 0.5, 4.5, 1, 8 s halved to 2.5, 0.25, 2.25, 0.5, 4 and capped
		 * at 2: sends A0 0, B0 2, B1 2.25, A1 4.25, A2 4.75, C0 6.75. Then per
		 * connection: A1 at most 2 s after A0 (2), A2 at most 2 s after A1 (4). */
		CHECK_EQ(a[0].send_ns, 0);
		CHECK_EQ(b[0].send_ns, 2 * SEC);
		CHECK_EQ(b[1].send_ns, 2 * SEC + 250 * MS);
		CHECK_EQ(a[1].send_ns, 2 * SEC);
		CHECK_EQ(a[2].send_ns, 4 * SEC);
		CHECK_EQ(c[0].send_ns, 6 * SEC + 750 * MS);
		CHECK_EQ(a[1].orig_ts_ns, 11 * SEC);
		CHECK_EQ(p->duration_ns, 6 * SEC + 750 * MS);
	}
	/* Round robin over 2 workers in order of first request. */
	CHECK_EQ(fc_replay_plan_assign(p, 2, FC_REPLAY_ASSIGN_RR), 0);
	w = fc_replay_plan_for_worker(p, 0, &n);
	CHECK_EQ(n, 2);
	if (n == 2) {
		CHECK_EQ(w[0], 0);
		CHECK_EQ(w[1], 2);
	}
	w = fc_replay_plan_for_worker(p, 1, &n);
	CHECK_EQ(n, 1);
	if (n == 1)
		CHECK_EQ(w[0], 1);
	CHECK(fc_replay_plan_for_worker(p, 2, &n) == NULL);
	CHECK_EQ(n, 0);
	/* Hash: every connection lands on exactly one worker, consistently. */
	CHECK_EQ(fc_replay_plan_assign(p, 4, FC_REPLAY_ASSIGN_HASH), 0);
	{
		unsigned seen[3] = { 0 };

		for (unsigned k = 0; k < 4; k++) {
			w = fc_replay_plan_for_worker(p, k, &n);
			for (size_t i = 0; i < n; i++) {
				CHECK(w[i] < 3);
				CHECK_EQ(p->conns[w[i]].worker, k);
				seen[w[i]]++;
			}
		}
		CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
	}
	CHECK_EQ(fc_replay_plan_assign(p, 0, FC_REPLAY_ASSIGN_RR), -EINVAL);
	fc_replay_plan_free(p);

	/* Speed 1, no cap: the original offsets, rebased on the first request. */
	p = fc_replay_plan_create(NULL, NULL, 0);
	r = mkreq(0, 0, 3 * SEC, g, 80);
	fc_replay_plan_add(p, &r);
	r = mkreq(0, 1, 10 * SEC, g, 80);
	fc_replay_plan_add(p, &r);
	CHECK_EQ(fc_replay_plan_finish(p), 0);
	CHECK_EQ(p->reqs[0].send_ns, 0);
	CHECK_EQ(p->reqs[1].send_ns, 7 * SEC);
	fc_replay_plan_free(p);

	/* Arena bound: what does not fit is dropped and counted. */
	fc_replay_opts_default(&o);
	o.max_arena_bytes = 2 * strlen(g) + 5;
	p = fc_replay_plan_create(&o, NULL, 0);
	for (uint32_t i = 0; i < 4; i++) {
		r = mkreq(0, i, i, g, 80);
		CHECK_EQ(fc_replay_plan_add(p, &r), i < 2 ? 0 : 1);
	}
	CHECK_EQ(p->stats.dropped_arena, 2);
	CHECK_EQ(p->stats.arena_bytes, 2 * strlen(g));
	CHECK(p->stats.memory_bytes >= p->stats.arena_bytes);
	fc_replay_plan_free(p);
}

/* End to end: capture -> extractor -> plan. */
static void
test_build(void)
{
	static const char r1[] = "GET /one HTTP/1.1\r\nHost: prod\r\n\r\n";
	static const char r2[] = "GET /two HTTP/1.1\r\nHost: prod\r\n\r\n";
	static const char r3[] = "GET /three HTTP/1.1\r\nHost: prod\r\n\r\n";
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	static const char nf[] = "HTTP/1.1 404 NF\r\nContent-Length: 0\r\n\r\n";
	const uint64_t t0 = 1700000000ull * SEC;
	struct fc_replay_opts o;
	struct fc_replay_plan *p;
	struct fc_pcap_stats st;
	struct craft c;
	struct tconn a, b;
	char err[FC_PCAP_ERRLEN];

	CHECK_EQ(craft_open(&c, L2_ETH, 65535, false), 0);
	tconn_init(&a, 0x0a000001, 50000, 0x0a000002, 80);
	tconn_init(&b, 0x0a000003, 50001, 0x0a000002, 80);
	tconn_open(&c, &b, t0);          /* b connects first but sends later */
	tconn_open(&c, &a, t0 + 1 * MS);
	tconn_c(&c, &a, t0 + 10 * MS, r1, sizeof(r1) - 1);
	tconn_s(&c, &a, t0 + 11 * MS, ok, sizeof(ok) - 1);
	tconn_c(&c, &b, t0 + 20 * MS, r3, sizeof(r3) - 1);
	tconn_c(&c, &a, t0 + 30 * MS, r2, sizeof(r2) - 1);
	tconn_s(&c, &a, t0 + 32 * MS, nf, sizeof(nf) - 1);
	tconn_s(&c, &b, t0 + 40 * MS, ok, sizeof(ok) - 1);
	tconn_close(&c, &a, t0 + 50 * MS);
	tconn_close(&c, &b, t0 + 60 * MS);
	craft_close(&c);

	fc_replay_opts_default(&o);
	o.speed = 10;
	o.target_host = "198.18.0.2";
	p = fc_replay_plan_build(c.path, NULL, &o, &st, err, sizeof(err));
	CHECK(p != NULL);
	if (p != NULL) {
		CHECK_EQ(st.requests_extracted, 3);
		CHECK_EQ(p->num_conns, 2);
		CHECK_EQ(p->num_reqs, 3);
		/* Connection a has the first request, although b connected first. */
		CHECK_EQ(p->conns[0].orig_conn_id, 1);
		CHECK_EQ(p->conns[0].client.port, 50000);
		CHECK_EQ(p->conns[0].num_reqs, 2);
		CHECK_EQ(p->conns[1].orig_conn_id, 0);
		CHECK(memcmp(p->reqs[0].data, "GET /one HTTP/1.1\r\nHost: 198.18.0.2\r\n\r\n", p->reqs[0].len) == 0);
		CHECK_EQ(p->reqs[0].orig_status, 200);
		CHECK_EQ(p->reqs[0].orig_rsp_ns, 1 * MS);
		CHECK_EQ(p->reqs[1].orig_status, 404);
		CHECK_EQ(p->reqs[1].send_ns, 2 * MS);   /* 20 ms after the first, at x10 */
		CHECK_EQ(p->reqs[2].send_ns, 1 * MS);   /* b's request, 10 ms after, at x10 */
		CHECK_EQ(p->reqs[2].orig_ts_ns, 20 * MS);
		fc_replay_plan_free(p);
	}
	/* Errors carry through. */
	CHECK(fc_replay_plan_build("/nonexistent.pcap", NULL, NULL, NULL, err, sizeof(err)) == NULL);
	CHECK_EQ(errno, ENOENT);
	craft_remove(&c);
}

/* A plan with no request left: nothing captured, or every request filtered out. It
 * finishes empty; the fuzzer found it sorting a NULL array (UB even for 0 entries). */
static void
test_empty_plan(void)
{
	struct fc_replay_opts o;
	struct fc_replay_plan *p;
	struct fc_pcap_request r;
	char err[FC_PCAP_ERRLEN];

	fc_replay_opts_default(&o);
	p = fc_replay_plan_create(&o, err, sizeof(err));
	CHECK(p != NULL);
	if (p == NULL)
		return;
	CHECK_EQ(fc_replay_plan_finish(p), 0);
	CHECK_EQ(p->num_reqs, 0);
	CHECK_EQ(p->num_conns, 0);
	fc_replay_plan_free(p);

	o.allow_method[o.num_allow_method++] = "PUT";
	p = fc_replay_plan_create(&o, err, sizeof(err));
	CHECK(p != NULL);
	if (p == NULL)
		return;
	r = mkreq(0, 0, 0, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 80);
	CHECK_EQ(fc_replay_plan_add(p, &r), 1);
	CHECK_EQ(fc_replay_plan_finish(p), 0);
	CHECK_EQ(p->num_reqs, 0);
	fc_replay_plan_free(p);
}

int
main(void)
{
	test_empty_plan();
	test_filters();
	test_rewrite_and_port_map();
	test_timing_and_workers();
	test_build();
	return fc_test_result("pcap_plan");
}
