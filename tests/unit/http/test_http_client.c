/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Client side: request templates (exact rendered bytes, validation errors), the weighted
 * mix, and the response stream parser fed with pipelined responses in every segmentation:
 * whole, one byte at a time, and every 2-way split, each from a guard-page buffer. And
 * the parser's hot part: plain responses, also with the body split, never touch the bytes
 * after FC_HTTP_CLIENT_PARSER_HOT (they sit on a PROT_NONE page), a HEAD request does.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fc_http.h"
#include "fc_test.h"
#include "guard.h"

struct expect_rsp {
	const char *bytes;
	bool is_head;
	uint16_t status;
	uint64_t hdr, body;
	bool keep_alive;
	bool reported;          /* false for interim 1xx (folded into the next one) */
};

/* A pipelined stream: 1xx then 200, chunked, HEAD, 204, 304, Content-Length, bare LF. */
static const struct expect_rsp stream[] = {
	{"HTTP/1.1 100 Continue\r\n\r\n", false, 0, 25, 0, false, false},
	{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, 200, 25 + 38, 5, true, true},
	{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n",
		false, 200, 47, 33, true, true},
	{"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", true, 200, 41, 0, true, true},
	{"HTTP/1.1 204 No Content\r\n\r\n", false, 204, 27, 0, true, true},
	{"HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n", false, 304, 48, 0, true, true},
	{"HTTP/1.1 404 Not Found\nContent-Length: 3\n\nnop", false, 404, 42, 3, true, true},
	{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, 200, 38, 0, true, true},
	{"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n",
		false, 500, 68, 5, false, true},
};
#define NSTREAM (sizeof(stream) / sizeof(stream[0]))

static char big[4096];
static size_t big_len;

static void
build_stream(void)
{
	size_t i;

	big_len = 0;
	for (i = 0; i < NSTREAM; i++) {
		size_t n = strlen(stream[i].bytes);

		memcpy(big + big_len, stream[i].bytes, n);
		big_len += n;
	}
}

/* Feed the stream cut at the given offsets; check every reported response. */
static bool
run_stream(struct fc_http_hdr_pool *pool, const size_t *cuts, size_t ncuts)
{
	struct fc_http_client_parser p;
	struct guard_buf g;
	size_t i, seg, got = 0, start = 0;
	bool ok = true;

	fc_http_client_init(&p, pool);
	for (i = 0; i < NSTREAM; i++)
		if (stream[i].reported)
			fc_http_client_expect(&p, stream[i].is_head);

	for (seg = 0; seg <= ncuts && ok; seg++) {
		size_t end = seg < ncuts ? cuts[seg] : big_len;
		size_t len = end - start;
		char *b = guard_copy(&g, big + start, len);
		size_t off = 0;

		if (b == NULL)
			return false;
		while (off < len) {
			struct fc_http_client_result r;
			int64_t n = fc_http_client_feed(&p, b + off, len - off, &r);

			if (n < 0 || (n == 0 && !r.complete)) {
				fprintf(stderr, "feed error %lld at %zu\n", (long long)n, start + off);
				ok = false;
				break;
			}
			off += (size_t)n;
			if (r.complete) {
				const struct expect_rsp *e;

				while (got < NSTREAM && !stream[got].reported)
					got++;
				if (got == NSTREAM) {
					ok = false;
					break;
				}
				e = &stream[got++];
				if (r.status != e->status || r.header_bytes != e->hdr ||
						r.body_bytes != e->body || r.keep_alive != e->keep_alive) {
					fprintf(stderr, "response %zu: status %u hdr %llu body %llu ka %d\n",
						got - 1, r.status, (unsigned long long)r.header_bytes,
						(unsigned long long)r.body_bytes, r.keep_alive);
					ok = false;
					break;
				}
			}
		}
		guard_free(&g);
		start = end;
	}
	if (ok && (got != NSTREAM || p.in_flight != 0 || p.phase != FC_HTTP_PH_HEADERS)) {
		fprintf(stderr, "stream ended with %zu responses, %u in flight\n", got, p.in_flight);
		ok = false;
	}
	fc_http_client_release(&p);
	return ok;
}

static void
test_stream(void)
{
	struct fc_http_hdr_pool *pool = fc_http_hdr_pool_create(2, 8192);
	size_t cuts[4096], k;
	bool ok;

	CHECK(pool != NULL);
	if (pool == NULL)
		return;
	build_stream();
	CHECK(run_stream(pool, NULL, 0));
	CHECK_EQ(fc_http_hdr_pool_avail(pool), 2);

	for (k = 0; k + 1 < big_len; k++)
		cuts[k] = k + 1;
	CHECK(run_stream(pool, cuts, big_len - 1));
	CHECK_EQ(fc_http_hdr_pool_avail(pool), 2);

	ok = true;
	for (k = 1; k < big_len && ok; k++) {
		cuts[0] = k;
		ok = run_stream(pool, cuts, 1);
		if (!ok)
			fprintf(stderr, "2-way split at %zu failed\n", k);
	}
	CHECK(ok);
	CHECK_EQ(fc_http_hdr_pool_avail(pool), 2);
	fc_http_hdr_pool_free(pool);
}

static int64_t
feed_str(struct fc_http_client_parser *p, const char *s, struct fc_http_client_result *r)
{
	return fc_http_client_feed(p, s, strlen(s), r);
}

static void
test_stream_errors(void)
{
	struct fc_http_hdr_pool *pool = fc_http_hdr_pool_create(1, 64);
	struct fc_http_client_parser p, q;
	struct fc_http_client_result r;

	/* Nothing in flight: unsolicited bytes. */
	fc_http_client_init(&p, pool);
	CHECK_EQ(feed_str(&p, "HTTP/1.1 200 OK\r\n\r\n", &r), -EPROTO);
	CHECK_EQ(feed_str(&p, "x", &r), -EPIPE);

	/* Malformed head. */
	fc_http_client_init(&p, pool);
	fc_http_client_expect(&p, false);
	CHECK_EQ(feed_str(&p, "HTTP/1.1 2x0 OK\r\n\r\n", &r), -EBADMSG);
	CHECK_EQ(p.phase, FC_HTTP_PH_ERROR);

	/* Malformed head after a split: the spill buffer goes back to the pool. */
	fc_http_client_init(&p, pool);
	fc_http_client_expect(&p, false);
	CHECK_EQ(feed_str(&p, "HTTP/1.1 200 OK\r\n", &r), 17);
	CHECK_EQ(fc_http_hdr_pool_avail(pool), 0);
	CHECK_EQ(feed_str(&p, "Content-Length: 1\r\nContent-Length: 2\r\n\r\n", &r), -EBADMSG);
	CHECK_EQ(fc_http_hdr_pool_avail(pool), 1);

	/* Both framings. */
	fc_http_client_init(&p, pool);
	fc_http_client_expect(&p, false);
	CHECK_EQ(feed_str(&p, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", &r), -EBADMSG);

	/* Bad chunk framing. */
	fc_http_client_init(&p, pool);
	fc_http_client_expect(&p, false);
	CHECK_EQ(feed_str(&p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", &r), -EBADMSG);

	/* 101 is never requested. */
	fc_http_client_init(&p, pool);
	fc_http_client_expect(&p, false);
	CHECK_EQ(feed_str(&p, "HTTP/1.1 101 Switching Protocols\r\n\r\n", &r), -EPROTO);

	/* A head larger than the 64-byte spill buffer. */
	fc_http_client_init(&p, pool);
	fc_http_client_expect(&p, false);
	CHECK_EQ(feed_str(&p, "HTTP/1.1 200 OK\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &r), -EMSGSIZE);
	fc_http_client_init(&p, pool);
	fc_http_client_expect(&p, false);
	CHECK_EQ(feed_str(&p, "HTTP/1.1 200 OK\r\nX-Long: aaaaaaaaaaaaaa", &r), 39);
	CHECK_EQ(feed_str(&p, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &r), -EMSGSIZE);
	CHECK_EQ(fc_http_hdr_pool_avail(pool), 1);

	/* Pool exhausted: a second connection with a split head gets -ENOBUFS. */
	fc_http_client_init(&p, pool);
	fc_http_client_init(&q, pool);
	fc_http_client_expect(&p, false);
	fc_http_client_expect(&q, false);
	CHECK_EQ(feed_str(&p, "HTTP/1.1 200", &r), 12);
	CHECK_EQ(feed_str(&q, "HTTP/1.1 200", &r), -ENOBUFS);
	fc_http_client_release(&p);
	CHECK_EQ(fc_http_hdr_pool_avail(pool), 1);

	/* In-flight limit. */
	fc_http_client_init(&p, pool);
	for (int i = 0; i < 64; i++)
		CHECK_EQ(fc_http_client_expect(&p, i == 5), 0);
	CHECK_EQ(fc_http_client_expect(&p, false), -ENOBUFS);

	/* Close-delimited body ends at EOF; a cut Content-Length body is an error. */
	fc_http_client_init(&p, pool);
	fc_http_client_expect(&p, false);
	CHECK_EQ(feed_str(&p, "HTTP/1.0 200 OK\r\n\r\nabcdef", &r), 25);
	CHECK(!r.complete);
	CHECK_EQ(feed_str(&p, "gh", &r), 2);
	CHECK_EQ(fc_http_client_eof(&p, &r), 0);
	CHECK(r.complete);
	CHECK_EQ(r.status, 200);
	CHECK_EQ(r.body_bytes, 8);
	CHECK_EQ(r.header_bytes, 19);
	CHECK(!r.keep_alive);

	fc_http_client_init(&p, pool);
	fc_http_client_expect(&p, false);
	CHECK_EQ(feed_str(&p, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", &r), 41);
	CHECK_EQ(fc_http_client_eof(&p, &r), -EPIPE);
	CHECK(!r.complete);

	fc_http_client_init(&p, pool);
	CHECK_EQ(fc_http_client_eof(&p, &r), 0);
	fc_http_client_init(&p, pool);
	fc_http_client_expect(&p, false);
	CHECK_EQ(fc_http_client_eof(&p, &r), -EPIPE);
	CHECK_EQ(fc_http_hdr_pool_avail(pool), 1);
	fc_http_hdr_pool_free(pool);
}

static void
test_templates(void)
{
	struct fc_http_request_tmpl t;
	struct fc_http_tmpl_spec s;
	char err[FC_HTTP_ERRLEN];
	static const char exp1[] = "GET / HTTP/1.1\r\nHost: 198.18.0.2\r\n\r\n";
	static const char exp2[] =
		"POST /api/v1?x=1 HTTP/1.1\r\nHost: 198.18.0.2:8080\r\nX-Token: abc  def\r\n"
		"Accept: */*\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{\"a\":1}";

	memset(&s, 0, sizeof(s));
	s.host = "198.18.0.2";
	CHECK_EQ(fc_http_tmpl_init(&t, &s, err, sizeof(err)), 0);
	CHECK_EQ(t.len, sizeof(exp1) - 1);
	CHECK(t.buf && memcmp(t.buf, exp1, t.len) == 0);
	CHECK_EQ(t.head_len, t.len);
	CHECK(!t.close);
	CHECK(!t.is_head);
	fc_http_tmpl_free(&t);

	memset(&s, 0, sizeof(s));
	s.method = "POST";
	s.path = "/api/v1?x=1";
	s.host = "198.18.0.2:8080";
	s.headers[0] = "X-Token:  abc  def ";
	s.headers[1] = "Accept: */*";
	s.num_headers = 2;
	s.body = "{\"a\":1}";
	s.body_len = 7;
	s.close = true;
	CHECK_EQ(fc_http_tmpl_init(&t, &s, err, sizeof(err)), 0);
	CHECK_EQ(t.len, sizeof(exp2) - 1);
	CHECK(t.buf && memcmp(t.buf, exp2, t.len) == 0);
	CHECK_EQ(t.head_len, sizeof(exp2) - 1 - 7);
	CHECK(t.close);
	fc_http_tmpl_free(&t);

	/* A Host header replaces the target host; POST with no body says Content-Length: 0. */
	memset(&s, 0, sizeof(s));
	s.method = "POST";
	s.host = "198.18.0.2";
	s.headers[0] = "host: example.test";
	s.num_headers = 1;
	CHECK_EQ(fc_http_tmpl_init(&t, &s, err, sizeof(err)), 0);
	CHECK(t.buf && strncmp(t.buf, "POST / HTTP/1.1\r\nhost: example.test\r\nContent-Length: 0\r\n\r\n", t.len) == 0);
	fc_http_tmpl_free(&t);

	/* Connection: close given as a header also marks the template close. */
	memset(&s, 0, sizeof(s));
	s.method = "HEAD";
	s.host = "h";
	s.headers[0] = "Connection: close";
	s.num_headers = 1;
	CHECK_EQ(fc_http_tmpl_init(&t, &s, err, sizeof(err)), 0);
	CHECK(t.close);
	CHECK(t.is_head);
	fc_http_tmpl_free(&t);

	/* Errors. */
	memset(&s, 0, sizeof(s));
	s.host = "h";
	s.headers[0] = "X-Evil: a\r\nInjected: 1";
	s.num_headers = 1;
	CHECK_EQ(fc_http_tmpl_init(&t, &s, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "header 0 \"X-Evil\": the value contains CR or LF (header injection refused)");
	s.headers[0] = "Bad Name: x";
	CHECK_EQ(fc_http_tmpl_init(&t, &s, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "the name must be a non-empty token");
	s.headers[0] = "NoColon";
	CHECK_EQ(fc_http_tmpl_init(&t, &s, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "expected \"Name: value\"");
	s.headers[0] = "X: a\x01";
	CHECK_EQ(fc_http_tmpl_init(&t, &s, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "control character 0x01");
	s.headers[0] = "Content-Length: 5";
	CHECK_EQ(fc_http_tmpl_init(&t, &s, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "computed from the body");
	s.num_headers = 0;
	s.method = "G T";
	CHECK_EQ(fc_http_tmpl_init(&t, &s, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "method \"G T\" is not a valid token");
	s.method = NULL;
	s.path = "noslash";
	CHECK_EQ(fc_http_tmpl_init(&t, &s, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "must start with '/'");
	s.path = "/a b";
	CHECK_EQ(fc_http_tmpl_init(&t, &s, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "space or control character at offset 2");
	s.path = NULL;
	s.host = "a\r\nb";
	CHECK_EQ(fc_http_tmpl_init(&t, &s, err, sizeof(err)), -EINVAL);
	s.host = NULL;
	CHECK_EQ(fc_http_tmpl_init(&t, &s, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "no Host");
}

static void
test_mix(void)
{
	struct fc_http_mix mix;
	struct fc_http_tmpl_spec s;
	char err[FC_HTTP_ERRLEN];
	unsigned counts[3] = {0};
	uint64_t i;

	memset(&mix, 0, sizeof(mix));
	memset(&s, 0, sizeof(s));
	s.host = "h";
	s.path = "/a";
	CHECK_EQ(fc_http_mix_add(&mix, &s, 1, err, sizeof(err)), 0);
	s.path = "/b";
	CHECK_EQ(fc_http_mix_add(&mix, &s, 3, err, sizeof(err)), 1);
	s.path = "/c";
	CHECK_EQ(fc_http_mix_add(&mix, &s, 4, err, sizeof(err)), 2);
	CHECK_EQ(fc_http_mix_add(&mix, &s, 0, err, sizeof(err)), -EINVAL);
	CHECK_EQ(mix.total, 8);

	/* Evenly spaced random values land in proportion exactly: 1/8, 3/8, 4/8. */
	for (i = 0; i < 8192; i++)
		counts[fc_http_mix_pick(&mix, i << 51)]++;
	CHECK_EQ(counts[0], 1024);
	CHECK_EQ(counts[1], 3072);
	CHECK_EQ(counts[2], 4096);
	/* Boundaries: the last value of a slot and the first of the next. */
	CHECK_EQ(fc_http_mix_pick(&mix, (1ull << 61) - 1), 0);
	CHECK_EQ(fc_http_mix_pick(&mix, 1ull << 61), 1);
	CHECK_EQ(fc_http_mix_pick(&mix, UINT64_MAX), 2);
	CHECK(memcmp(mix.tmpl[2].buf, "GET /c ", 7) == 0);
	fc_http_mix_free(&mix);
	CHECK_EQ(mix.n, 0);
}

/*
 * A parser whose bytes from FC_HTTP_CLIENT_PARSER_HOT on lie on a PROT_NONE page: any
 * access beyond the hot part faults. Plain keep-alive responses must stay in it, since the
 * client keeps that part in the one cache line a response touches (engine.h).
 */
static void
test_hot_part(void)
{
	static const char rsp[] = "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 10\r\n\r\n"
				  "0123456789";
	const size_t hot_end = (FC_HTTP_CLIENT_PARSER_HOT + 7) & ~(size_t)7;
	struct fc_http_hdr_pool *pool = fc_http_hdr_pool_create(1, 256);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct fc_http_client_parser *p;
	struct fc_http_client_result r;

	CHECK(pool != NULL && map != MAP_FAILED);
	if (pool == NULL || map == MAP_FAILED)
		return;
	CHECK(FC_HTTP_CLIENT_PARSER_HOT <= 32);
	p = (struct fc_http_client_parser *)(map + page - hot_end);
	fc_http_client_init(p, pool);
	CHECK_EQ(mprotect(map + page, page, PROT_NONE), 0);
	for (int round = 0; round < 3; round++) {
		CHECK_EQ(fc_http_client_expect(p, false), 0);
		CHECK_EQ(fc_http_client_expect(p, false), 0);
		/* Whole, then the body split off and split again. */
		CHECK_EQ(feed_str(p, rsp, &r), (int64_t)strlen(rsp));
		CHECK(r.complete && r.status == 200 && r.body_bytes == 10 && r.keep_alive);
		CHECK_EQ(r.header_bytes, strlen(rsp) - 10);
		CHECK_EQ(fc_http_client_feed(p, rsp, strlen(rsp) - 6, &r), (int64_t)strlen(rsp) - 6);
		CHECK(!r.complete);
		CHECK_EQ(feed_str(p, "456", &r), 3);
		CHECK(!r.complete);
		CHECK_EQ(feed_str(p, "789", &r), 3);
		CHECK(r.complete && r.body_bytes == 10 && r.header_bytes == strlen(rsp) - 10);
	}
	CHECK_EQ(p->in_flight, 0);
	/* A HEAD request is what reads the cold FIFO of HEAD bits: with the page readable
	 * again, HEAD then GET in one pipeline are told apart. */
	CHECK_EQ(mprotect(map + page, page, PROT_READ | PROT_WRITE), 0);
	CHECK_EQ(fc_http_client_expect(p, true), 0);
	CHECK_EQ(fc_http_client_expect(p, false), 0);
	CHECK_EQ(p->heads, 1);
	CHECK_EQ(feed_str(p, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", &r), 39);
	CHECK(r.complete && r.body_bytes == 0);
	CHECK_EQ(p->heads, 0);
	CHECK_EQ(feed_str(p, rsp, &r), (int64_t)strlen(rsp));
	CHECK(r.complete && r.body_bytes == 10);
	fc_http_client_release(p);
	munmap(map, 2 * page);
	fc_http_hdr_pool_free(pool);
}

int
main(void)
{
	test_hot_part();
	test_templates();
	test_mix();
	test_stream();
	test_stream_errors();
	return fc_test_result("http_client");
}
