/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Responder: exact rendered bytes, route matching, pipelined requests with bodies (length
 * and chunked) in every segmentation, HEAD, close handling, 400/404 counting, delays, route
 * validation, and a client -> server -> client round trip through both stream parsers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fc_http.h"
#include "fc_test.h"
#include "guard.h"

static char file_path[] = "/tmp/fc_http_body_XXXXXX";
static const char file_body[] = "<html>from a file</html>\n";

static struct fc_http_server *
make_server(void)
{
	struct fc_http_route_spec r[6];
	char err[FC_HTTP_ERRLEN];
	struct fc_http_server *srv;

	memset(r, 0, sizeof(r));
	r[0].path = "/";
	r[0].body = "hello";
	r[0].body_len = 5;
	r[1].path = "/big";
	r[1].body_size = 1000;
	r[1].chunked = true;
	r[1].chunk_size = 300;
	r[2].path = "/static/*";
	r[2].status = 201;
	r[2].headers[0] = "X-Route: static";
	r[2].num_headers = 1;
	r[2].body = "s";
	r[2].body_len = 1;
	r[2].content_type = "application/json";
	r[3].path = "/delay";
	r[3].delay_min_ns = 1000000;
	r[3].delay_max_ns = 3000000;
	r[4].path = "/fixed";
	r[4].status = 503;
	r[4].delay_min_ns = 5000000;
	r[4].delay_max_ns = 5000000;
	r[5].path = "/file";
	r[5].body_file = file_path;
	srv = fc_http_server_create(r, 6, err, sizeof(err));
	if (srv == NULL)
		fprintf(stderr, "server: %s\n", err);
	return srv;
}

struct exp_reply {
	int16_t route;
	uint16_t status;
	bool close;
	const char *bytes;      /* exact response, or NULL to check only the length */
	size_t len;
};

static const char req_stream[] =
	"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
	"POST /static/x?y=1 HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd"
	"PUT /nope HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX: y\r\n\r\n"
	"HEAD /big HTTP/1.1\r\n\r\n"
	"\r\nGET /file HTTP/1.1\r\n\r\n"
	"GET / HTTP/1.0\r\n\r\n";

static const char rsp_root_ka[] =
	"HTTP/1.1 200 OK\r\nServer: flashcrowd\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
	"Connection: keep-alive\r\n\r\nhello";
static const char rsp_root_close[] =
	"HTTP/1.1 200 OK\r\nServer: flashcrowd\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
	"Connection: close\r\n\r\nhello";
static const char rsp_static[] =
	"HTTP/1.1 201 Created\r\nServer: flashcrowd\r\nContent-Type: application/json\r\nContent-Length: 1\r\n"
	"X-Route: static\r\nConnection: keep-alive\r\n\r\ns";
static const char rsp_404[] =
	"HTTP/1.1 404 Not Found\r\nServer: flashcrowd\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
	"Connection: keep-alive\r\n\r\nnot found\n";
static const char rsp_big_head[] =
	"HTTP/1.1 200 OK\r\nServer: flashcrowd\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
	"Connection: keep-alive\r\n\r\n";
static const char rsp_file[] =
	"HTTP/1.1 200 OK\r\nServer: flashcrowd\r\nContent-Type: text/plain\r\nContent-Length: 25\r\n"
	"Connection: keep-alive\r\n\r\n<html>from a file</html>\n";

static const struct exp_reply exp_stream[] = {
	{0, 200, false, rsp_root_ka, sizeof(rsp_root_ka) - 1},
	{2, 201, false, rsp_static, sizeof(rsp_static) - 1},
	{-1, 404, false, rsp_404, sizeof(rsp_404) - 1},
	{1, 200, false, rsp_big_head, sizeof(rsp_big_head) - 1},
	{5, 200, false, rsp_file, sizeof(rsp_file) - 1},
	{0, 200, true, rsp_root_close, sizeof(rsp_root_close) - 1},
};
#define NEXP (sizeof(exp_stream) / sizeof(exp_stream[0]))

static bool
run_requests(const struct fc_http_server *srv, struct fc_http_hdr_pool *pool, size_t cut)
{
	struct fc_http_server_stats st;
	struct fc_http_server_conn c;
	size_t len = sizeof(req_stream) - 1, seg_start[2] = {0, cut}, seg_end[2] = {cut, len};
	size_t got = 0;
	int s;

	memset(&st, 0, sizeof(st));
	fc_http_server_conn_init(&c, pool, &st, 1);
	for (s = 0; s < 2; s++) {
		struct guard_buf g;
		size_t slen = seg_end[s] - seg_start[s], off = 0;
		char *b = guard_copy(&g, req_stream + seg_start[s], slen);

		if (b == NULL)
			return false;
		while (off < slen) {
			struct fc_http_server_reply r;
			int64_t n = fc_http_server_feed(srv, &c, b + off, slen - off, &r);

			if (n < 0) {
				fprintf(stderr, "cut %zu: feed %lld at %zu\n", cut, (long long)n, seg_start[s] + off);
				guard_free(&g);
				return false;
			}
			off += (size_t)n;
			if (r.ready) {
				const struct exp_reply *e = &exp_stream[got];

				if (got >= NEXP || r.route != e->route || r.status != e->status ||
						r.close != e->close || r.len != e->len ||
						(e->bytes && memcmp(r.data, e->bytes, r.len) != 0)) {
					fprintf(stderr, "cut %zu: reply %zu: route %d status %u close %d len %zu\n",
						cut, got, r.route, r.status, r.close, r.len);
					guard_free(&g);
					return false;
				}
				got++;
			}
		}
		guard_free(&g);
	}
	if (got != NEXP || st.requests != NEXP || st.not_found != 1 || st.req_bytes != len ||
			st.parse_errors != 0) {
		fprintf(stderr, "cut %zu: %zu replies, stats req %llu nf %llu bytes %llu\n", cut, got,
			(unsigned long long)st.requests, (unsigned long long)st.not_found,
			(unsigned long long)st.req_bytes);
		return false;
	}
	/* After Connection: close nothing more is read. */
	{
		struct fc_http_server_reply r;

		if (fc_http_server_feed(srv, &c, "GET", 3, &r) != -EPIPE)
			return false;
	}
	fc_http_server_conn_release(&c);
	return true;
}

static void
test_pipeline(const struct fc_http_server *srv)
{
	struct fc_http_hdr_pool *pool = fc_http_hdr_pool_create(1, 4096);
	size_t k, len = sizeof(req_stream) - 1;
	bool ok = true;

	CHECK(run_requests(srv, pool, len));
	for (k = 0; k < len && ok; k++)
		ok = run_requests(srv, pool, k);
	CHECK(ok);
	CHECK_EQ(fc_http_hdr_pool_avail(pool), 1);

	/* One byte at a time. */
	{
		struct fc_http_server_stats st;
		struct fc_http_server_conn c;
		size_t i, got = 0;

		memset(&st, 0, sizeof(st));
		fc_http_server_conn_init(&c, pool, &st, 1);
		for (i = 0; i < len; i++) {
			struct fc_http_server_reply r;
			int64_t n = fc_http_server_feed(srv, &c, req_stream + i, 1, &r);

			CHECK_EQ(n, 1);
			if (r.ready) {
				CHECK(got < NEXP && r.len == exp_stream[got].len && r.status == exp_stream[got].status);
				got++;
			}
		}
		CHECK_EQ(got, NEXP);
		CHECK_EQ(st.req_bytes, len);
		fc_http_server_conn_release(&c);
	}
	CHECK_EQ(fc_http_hdr_pool_avail(pool), 1);
	fc_http_hdr_pool_free(pool);
}

static void
test_errors(const struct fc_http_server *srv)
{
	struct fc_http_hdr_pool *pool = fc_http_hdr_pool_create(1, 64);
	struct fc_http_server_stats st;
	struct fc_http_server_conn c, d;
	struct fc_http_server_reply r;
	static const char bad[] = "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n";
	static const char rsp_400[] =
		"HTTP/1.1 400 Bad Request\r\nServer: flashcrowd\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
		"Connection: close\r\n\r\nbad request\n";

	memset(&st, 0, sizeof(st));
	fc_http_server_conn_init(&c, pool, &st, 1);
	CHECK_EQ(fc_http_server_feed(srv, &c, bad, sizeof(bad) - 1, &r), (int64_t)sizeof(bad) - 1);
	CHECK(r.ready);
	CHECK(r.close);
	CHECK_EQ(r.status, 400);
	CHECK(r.len == sizeof(rsp_400) - 1 && memcmp(r.data, rsp_400, r.len) == 0);
	CHECK_EQ(st.parse_errors, 1);
	CHECK_EQ(fc_http_server_feed(srv, &c, "GET / HTTP/1.1\r\n\r\n", 18, &r), -EPIPE);

	/* A head above the 64-byte spill buffer is a 400 too. */
	fc_http_server_conn_init(&c, pool, &st, 1);
	CHECK_EQ(fc_http_server_feed(srv, &c, "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n", 60, &r), 60);
	CHECK(!r.ready);
	CHECK_EQ(fc_http_hdr_pool_avail(pool), 0);
	/* The pool is empty now: another split head is refused. */
	fc_http_server_conn_init(&d, pool, &st, 1);
	CHECK_EQ(fc_http_server_feed(srv, &d, "GET /", 5, &r), -ENOBUFS);
	CHECK_EQ(st.no_spill, 1);
	CHECK_EQ(fc_http_server_feed(srv, &c, "X-Pad: bbbbbbbbbbbbbbbbbb\r\n\r\n", 29, &r), 29);
	CHECK(r.ready);
	CHECK_EQ(r.status, 400);
	CHECK_EQ(st.too_large, 1);
	CHECK_EQ(st.parse_errors, 2);
	CHECK_EQ(fc_http_hdr_pool_avail(pool), 1);

	/* A bad chunked request body. */
	fc_http_server_conn_init(&c, pool, &st, 1);
	{
		static const char in[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";

		CHECK_EQ(fc_http_server_feed(srv, &c, in, sizeof(in) - 1, &r), (int64_t)sizeof(in) - 1);
		CHECK(r.ready && r.status == 400 && r.close);
	}
	/* Unsupported Transfer-Encoding in a request: 400 (RFC 9112 §6.3). */
	fc_http_server_conn_init(&c, pool, &st, 1);
	{
		static const char in[] = "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n";

		CHECK_EQ(fc_http_server_feed(srv, &c, in, sizeof(in) - 1, &r), (int64_t)sizeof(in) - 1);
		CHECK(r.ready && r.status == 400);
	}
	CHECK_EQ(st.parse_errors, 4);
	fc_http_hdr_pool_free(pool);
}

static void
test_delay(const struct fc_http_server *srv)
{
	struct fc_http_hdr_pool *pool = fc_http_hdr_pool_create(1, 1024);
	struct fc_http_server_stats st;
	struct fc_http_server_conn c;
	struct fc_http_server_reply r;
	static const char in[] = "GET /delay HTTP/1.1\r\n\r\n", in2[] = "GET /fixed?x HTTP/1.1\r\n\r\n";
	uint64_t lo = UINT64_MAX, hi = 0, sum = 0;
	int i, n = 2000;

	memset(&st, 0, sizeof(st));
	fc_http_server_conn_init(&c, pool, &st, 42);
	for (i = 0; i < n; i++) {
		fc_http_server_feed(srv, &c, in, sizeof(in) - 1, &r);
		if (!r.ready)
			break;
		lo = r.delay_ns < lo ? r.delay_ns : lo;
		hi = r.delay_ns > hi ? r.delay_ns : hi;
		sum += r.delay_ns;
	}
	CHECK_EQ(i, n);
	CHECK(lo >= 1000000 && lo < 1010000);
	CHECK(hi <= 3000000 && hi > 2990000);
	/* The mean of a uniform [1, 3] ms is 2 ms; 2000 draws land within 3%. */
	CHECK(sum / (uint64_t)n > 1940000 && sum / (uint64_t)n < 2060000);
	fc_http_server_feed(srv, &c, in2, sizeof(in2) - 1, &r);
	CHECK(r.ready);
	CHECK_EQ(r.delay_ns, 5000000);
	CHECK_EQ(r.status, 503);
	CHECK_EQ(r.route, 4);
	fc_http_hdr_pool_free(pool);
}

static void
test_route_errors(void)
{
	struct fc_http_route_spec r;
	char err[FC_HTTP_ERRLEN];

#define EXPECT_BAD(setup, eno, text) do { \
		memset(&r, 0, sizeof(r)); \
		r.path = "/"; \
		setup; \
		errno = 0; \
		CHECK(fc_http_server_create(&r, 1, err, sizeof(err)) == NULL); \
		CHECK_EQ(errno, eno); \
		CHECK_STR_CONTAINS(err, text); \
	} while (0)

	EXPECT_BAD(r.path = "x", EINVAL, "route 0: path must start with '/' or be \"*\"");
	EXPECT_BAD(r.path = "/a*b", EINVAL, "'*' only at the end");
	EXPECT_BAD(r.status = 99, EINVAL, "route 0: status 99 is not a final status (200..599)");
	EXPECT_BAD(r.status = 101, EINVAL, "status 101 is not a final status");
	EXPECT_BAD((r.status = 204, r.body_size = 1), EINVAL, "route 0: a 204 response has no body");
	EXPECT_BAD((r.headers[0] = "Content-Length: 3", r.num_headers = 1), EINVAL, "Content-Length is set by the responder itself");
	EXPECT_BAD((r.headers[0] = "X: a\nb", r.num_headers = 1), EINVAL, "header injection refused");
	EXPECT_BAD(r.body_size = FC_HTTP_MAX_BODY_SIZE + 1, EINVAL, "body size 1048577 is above the limit 1 MiB");
	EXPECT_BAD(r.body_file = "/nonexistent/body", ENOENT, "body file /nonexistent/body");
	EXPECT_BAD((r.delay_min_ns = 2, r.delay_max_ns = 1), EINVAL, "delay min is above max");
	EXPECT_BAD(r.content_type = "text/\r\nX: y", EINVAL, "CR or LF");

	/* 1 MiB exactly is fine, and 204 renders with neither body nor length. */
	memset(&r, 0, sizeof(r));
	r.path = "*";
	r.body_size = FC_HTTP_MAX_BODY_SIZE;
	{
		struct fc_http_server *srv = fc_http_server_create(&r, 1, err, sizeof(err));

		CHECK(srv != NULL);
		fc_http_server_free(srv);
	}
	memset(&r, 0, sizeof(r));
	r.path = "*";
	r.status = 204;
	{
		struct fc_http_server *srv = fc_http_server_create(&r, 1, err, sizeof(err));
		struct fc_http_hdr_pool *pool = fc_http_hdr_pool_create(1, 256);
		struct fc_http_server_stats st = {0};
		struct fc_http_server_conn c;
		struct fc_http_server_reply rep;
		static const char exp[] = "HTTP/1.1 204 No Content\r\nServer: flashcrowd\r\nConnection: keep-alive\r\n\r\n";

		CHECK(srv != NULL);
		fc_http_server_conn_init(&c, pool, &st, 0);
		/* "*" matches any path. */
		fc_http_server_feed(srv, &c, "GET /any/thing HTTP/1.1\r\n\r\n", 27, &rep);
		CHECK(rep.ready && rep.len == sizeof(exp) - 1 && memcmp(rep.data, exp, rep.len) == 0);
		fc_http_server_free(srv);
		fc_http_hdr_pool_free(pool);
	}
}

/* Client template -> server -> response -> client stream parser, for each route. */
static void
test_round_trip(const struct fc_http_server *srv)
{
	static const struct {
		const char *path;
		const char *method;
		uint16_t status;
		uint64_t body;          /* body bytes as sent, framing included */
	} cases[] = {
		{"/", "GET", 200, 5},
		/* 1000 bytes in chunks of 300, 300, 300, 100: sizes "12c" x3 and "64", CRLFs, last chunk. */
		{"/big", "GET", 200, 1000 + 3 * (3 + 2 + 2) + (2 + 2 + 2) + 5},
		{"/big", "HEAD", 200, 0},
		{"/static/a", "POST", 201, 1},
		{"/missing", "GET", 404, 10},
		{"/file", "GET", 200, sizeof(file_body) - 1},
	};
	struct fc_http_hdr_pool *pool = fc_http_hdr_pool_create(2, 4096);
	struct fc_http_server_stats st = {0};
	struct fc_http_server_conn sc;
	struct fc_http_client_parser cp;
	size_t i;

	fc_http_server_conn_init(&sc, pool, &st, 7);
	fc_http_client_init(&cp, pool);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fc_http_request_tmpl t;
		struct fc_http_tmpl_spec spec = {0};
		struct fc_http_server_reply rep;
		struct fc_http_client_result res;
		char err[FC_HTTP_ERRLEN];

		spec.method = cases[i].method;
		spec.path = cases[i].path;
		spec.host = "198.18.0.2";
		if (strcmp(cases[i].method, "POST") == 0) {
			spec.body = "payload";
			spec.body_len = 7;
		}
		CHECK_EQ(fc_http_tmpl_init(&t, &spec, err, sizeof(err)), 0);
		CHECK_EQ(fc_http_server_feed(srv, &sc, t.buf, t.len, &rep), (int64_t)t.len);
		CHECK(rep.ready);
		CHECK_EQ(fc_http_client_expect(&cp, t.is_head), 0);
		CHECK_EQ(fc_http_client_feed(&cp, rep.data, rep.len, &res), (int64_t)rep.len);
		CHECK(res.complete);
		CHECK_EQ(res.status, cases[i].status);
		CHECK_EQ(res.body_bytes, cases[i].body);
		CHECK_EQ(res.header_bytes + res.body_bytes, rep.len);
		CHECK(res.keep_alive);
		fc_http_tmpl_free(&t);
	}
	fc_http_client_release(&cp);
	fc_http_server_conn_release(&sc);
	fc_http_hdr_pool_free(pool);
}

int
main(void)
{
	struct fc_http_server *srv;
	int fd = mkstemp(file_path);

	if (fd < 0 || write(fd, file_body, sizeof(file_body) - 1) != (ssize_t)sizeof(file_body) - 1) {
		perror("temp file");
		return 1;
	}
	close(fd);
	srv = make_server();
	CHECK(srv != NULL);
	if (srv) {
		test_pipeline(srv);
		test_errors(srv);
		test_delay(srv);
		test_round_trip(srv);
		fc_http_server_free(srv);
	}
	test_route_errors();
	unlink(file_path);
	return fc_test_result("http_server");
}
