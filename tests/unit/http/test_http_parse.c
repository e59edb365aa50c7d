/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless parser tests: canned requests, responses and chunked bodies, each parsed
 * from a copy that ends right before a guard page, and every proper prefix of each valid
 * input must report "need more" (-2), never success or an error. Built twice by meson:
 * plain and with -fsanitize=address,undefined.
 */
#include <stdio.h>
#include <string.h>

#include "fc_http.h"
#include "fc_test.h"
#include "guard.h"

#define S(lit) lit, sizeof(lit) - 1

static int
parse_req_guarded(const char *in, size_t len, struct fc_http_request *req)
{
	struct guard_buf g;
	char *b = guard_copy(&g, in, len);
	int rc;

	if (b == NULL) {
		CHECK(!"guard_copy");
		return -100;
	}
	rc = fc_http_parse_request(b, len, req);
	/* Pointers into the guard buffer become dangling; tests compare them before freeing. */
	if (rc > 0) {
		/* Re-point results to the caller's input so they stay valid after unmapping. */
		size_t i;

		req->method = in + (req->method - b);
		req->path = in + (req->path - b);
		for (i = 0; i < req->num_headers; i++) {
			req->headers[i].name = in + (req->headers[i].name - b);
			req->headers[i].value = in + (req->headers[i].value - b);
		}
	}
	guard_free(&g);
	return rc;
}

static int
parse_rsp_guarded(const char *in, size_t len, bool is_head, struct fc_http_response *rsp)
{
	struct guard_buf g;
	char *b = guard_copy(&g, in, len);
	int rc;

	if (b == NULL) {
		CHECK(!"guard_copy");
		return -100;
	}
	rc = fc_http_parse_response(b, len, is_head, rsp);
	if (rc > 0) {
		size_t i;

		rsp->reason = in + (rsp->reason - b);
		for (i = 0; i < rsp->num_headers; i++) {
			rsp->headers[i].name = in + (rsp->headers[i].name - b);
			rsp->headers[i].value = in + (rsp->headers[i].value - b);
		}
	}
	guard_free(&g);
	return rc;
}

static bool
span_eq(const char *p, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(p, lit, n) == 0;
}

/* Every proper prefix of a complete head must say "need more". */
static void
check_req_prefixes(const char *in, size_t full)
{
	struct fc_http_request req;
	size_t k;

	for (k = 0; k < full; k++) {
		int rc = parse_req_guarded(in, k, &req);

		if (rc != -2) {
			fprintf(stderr, "request prefix %zu/%zu of '%.*s' gave %d\n", k, full, (int)full, in, rc);
			CHECK(rc == -2);
			return;
		}
	}
	fc_test_checks++;
}

static void
check_rsp_prefixes(const char *in, size_t full, bool is_head)
{
	struct fc_http_response rsp;
	size_t k;

	for (k = 0; k < full; k++) {
		int rc = parse_rsp_guarded(in, k, is_head, &rsp);

		if (rc != -2) {
			fprintf(stderr, "response prefix %zu/%zu gave %d\n", k, full, rc);
			CHECK(rc == -2);
			return;
		}
	}
	fc_test_checks++;
}

struct req_case {
	const char *in;
	int expect;             /* header block length, or -1 */
	const char *method;
	const char *path;
	int minor;
	int64_t cl;
	bool chunked;
	bool keep_alive;
	size_t nhdr;
};

static const struct req_case req_cases[] = {
	{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27, "GET", "/", 1, -1, false, true, 1},
	{"GET /x?y=1 HTTP/1.0\r\n\r\n", 23, "GET", "/x?y=1", 0, -1, false, false, 0},
	{"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 42, "GET", "/", 0, -1, false, true, 1},
	{"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", 49, "GET", "/", 0, -1, false, false, 1},
	{"POST /p HTTP/1.1\r\nContent-Length: 5\r\nconnection: CLOSE\r\n\r\n", 58, "POST", "/p", 1, 5, false, false, 2},
	{"GET / HTTP/1.1\nHost: a\n\n", 24, "GET", "/", 1, -1, false, true, 1},
	{"\r\n\nGET / HTTP/1.1\r\n\r\n", 21, "GET", "/", 1, -1, false, true, 0},
	{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 47, "POST", "/", 1, -1, true, true, 1},
	{"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n", 53, "POST", "/", 1, -1, true, true, 1},
	{"PUT / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n", 56, "PUT", "/", 1, 3, false, true, 2},
	{"GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 37, "GET", "/", 1, 0, false, true, 1},
	{"GET / HTTP/1.1\r\nContent-Length: 4611686018427387904\r\n\r\n", 55, "GET", "/", 1, 4611686018427387904LL, false, true, 1},
	{"M-SEARCH * HTTP/1.1\r\nX:\r\n\r\n", 27, "M-SEARCH", "*", 1, -1, false, true, 1},
	/* invalid */
	{"GE T / HTTP/1.1\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"G(T / HTTP/1.1\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{" GET / HTTP/1.1\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET  / HTTP/1.1\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.2\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/2.0\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / http/1.1\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1 \r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\rX\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"\rGET / HTTP/1.1\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nHost : a\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\n: a\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nHost: a\r\n  folded\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nHost a\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nContent-Length: 5a\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nContent-Length:\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nContent-Length: 4611686018427387905\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET /\x01 HTTP/1.1\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
	{"GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", -1, 0, 0, 0, 0, 0, 0, 0},
};

static void
test_requests(void)
{
	size_t i;

	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		const struct req_case *c = &req_cases[i];
		struct fc_http_request req;
		size_t len = strlen(c->in);
		int rc = parse_req_guarded(c->in, len, &req);

		if (rc != c->expect)
			fprintf(stderr, "request case %zu: got %d want %d\n", i, rc, c->expect);
		CHECK_EQ(rc, c->expect);
		if (c->expect < 0 || rc != c->expect)
			continue;
		CHECK(span_eq(req.method, req.method_len, c->method));
		CHECK(span_eq(req.path, req.path_len, c->path));
		CHECK_EQ(req.minor_version, c->minor);
		CHECK_EQ(req.content_length, c->cl);
		CHECK_EQ(req.chunked, c->chunked);
		CHECK_EQ(req.keep_alive, c->keep_alive);
		CHECK_EQ(req.num_headers, c->nhdr);
		check_req_prefixes(c->in, len);
	}

	/* A NUL byte inside a value (string literals cannot carry it in the table). */
	{
		static const char in[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
		struct fc_http_request req;

		CHECK_EQ(parse_req_guarded(in, sizeof(in) - 1, &req), -1);
	}
	/* Trailing bytes (the body or the next request) are not part of the head. */
	{
		static const char in[] = "POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET";
		struct fc_http_request req;

		CHECK_EQ(parse_req_guarded(S(in), &req), 38);
		CHECK_EQ(req.content_length, 2);
	}
	/* Header value trimming and name/value spans. */
	{
		static const char in[] = "GET / HTTP/1.1\r\nX-A:   a b \t\r\nX-B:\t\r\n\r\n";
		struct fc_http_request req;

		CHECK_EQ(parse_req_guarded(S(in), &req), (int)sizeof(in) - 1);
		CHECK_EQ(req.num_headers, 2);
		CHECK(span_eq(req.headers[0].name, req.headers[0].name_len, "X-A"));
		CHECK(span_eq(req.headers[0].value, req.headers[0].value_len, "a b"));
		CHECK(span_eq(req.headers[1].value, req.headers[1].value_len, ""));
	}
	/* Exactly FC_HTTP_MAX_HEADERS headers parse; one more is an error. */
	{
		char buf[4096];
		size_t n = 0, i;
		struct fc_http_request req;

		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "GET / HTTP/1.1\r\n");
		for (i = 0; i < FC_HTTP_MAX_HEADERS; i++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "H%zu: v\r\n", i);
		memcpy(buf + n, "\r\n", 2);
		CHECK_EQ(parse_req_guarded(buf, n + 2, &req), (int)(n + 2));
		CHECK_EQ(req.num_headers, FC_HTTP_MAX_HEADERS);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "H%d: v\r\n\r\n", FC_HTTP_MAX_HEADERS);
		CHECK_EQ(parse_req_guarded(buf, n, &req), -1);
		/* The prefix that stops right after the 64th header is still "need more". */
		CHECK_EQ(parse_req_guarded(buf, n - 2 - 8, &req), -2);
	}
	/* Empty input and a lone CR. */
	{
		struct fc_http_request req;

		CHECK_EQ(parse_req_guarded("", 0, &req), -2);
		CHECK_EQ(parse_req_guarded("\r", 1, &req), -2);
	}
}

struct rsp_case {
	const char *in;
	bool is_head;
	int expect;
	int status;
	int minor;
	const char *reason;
	int64_t cl;
	bool chunked, keep_alive, no_body, close_delimited;
};

static const struct rsp_case rsp_cases[] = {
	{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, 38, 200, 1, "OK", 5, false, true, false, false},
	{"HTTP/1.1 204 No Content\r\n\r\n", false, 27, 204, 1, "No Content", -1, false, true, true, false},
	{"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false, 49, 304, 1, "Not Modified", 10, false, true, true, false},
	{"HTTP/1.1 100 Continue\r\n\r\n", false, 25, 100, 1, "Continue", -1, false, true, true, false},
	{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", true, 40, 200, 1, "OK", 100, false, true, true, false},
	{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true, 47, 200, 1, "OK", -1, true, true, true, false},
	{"HTTP/1.0 200 OK\r\n\r\n", false, 19, 200, 0, "OK", -1, false, false, false, true},
	{"HTTP/1.1 200 OK\r\n\r\n", false, 19, 200, 1, "OK", -1, false, false, false, true},
	{"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", false, 62, 200, 0, "OK", 0, false, true, false, false},
	{"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, 38, 200, 0, "OK", 0, false, false, false, false},
	{"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false, 35, 200, 1, "", 0, false, true, false, false},
	{"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", false, 36, 200, 1, "", 0, false, true, false, false},
	{"HTTP/1.1 404 Not Found\nContent-Length: 0\n\n", false, 42, 404, 1, "Not Found", 0, false, true, false, false},
	{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, 47, 200, 1, "OK", -1, true, true, false, false},
	{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, 44, 200, 1, "OK", -1, false, false, false, true},
	{"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n", false, 57, 200, 1, "OK", 1, false, false, false, false},
	{"HTTP/1.1 599 Weird \t reason\r\nContent-Length: 0\r\n\r\n", false, 50, 599, 1, "Weird \t reason", 0, false, true, false, false},
	/* invalid */
	{"HTTP/1.1 20 OK\r\n\r\n", false, -1, 0, 0, 0, 0, 0, 0, 0, 0},
	{"HTTP/1.1 2000 OK\r\n\r\n", false, -1, 0, 0, 0, 0, 0, 0, 0, 0},
	{"HTTP/1.1 600 X\r\n\r\n", false, -1, 0, 0, 0, 0, 0, 0, 0, 0},
	{"HTTP/1.1 099 X\r\n\r\n", false, -1, 0, 0, 0, 0, 0, 0, 0, 0},
	{"HTTP/2 200 OK\r\n\r\n", false, -1, 0, 0, 0, 0, 0, 0, 0, 0},
	{"HTTP/1.1  200 OK\r\n\r\n", false, -1, 0, 0, 0, 0, 0, 0, 0, 0},
	{"HTTP/1.1 200 O\rK\r\n\r\n", false, -1, 0, 0, 0, 0, 0, 0, 0, 0},
	{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", false, -1, 0, 0, 0, 0, 0, 0, 0, 0},
	{"HTTP/1.1 204 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", false, -1, 0, 0, 0, 0, 0, 0, 0, 0},
	{"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", false, -1, 0, 0, 0, 0, 0, 0, 0, 0},
	{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", false, -1, 0, 0, 0, 0, 0, 0, 0, 0},
	{"HTTP/1.1 200 OK\r\n: x\r\n\r\n", false, -1, 0, 0, 0, 0, 0, 0, 0, 0},
	{"HTTP/1.1 200 OK\r\nX: y\r\n z\r\n\r\n", false, -1, 0, 0, 0, 0, 0, 0, 0, 0},
	{"HTTP/1.1 200 OK\r\r\n\r\n", false, -1, 0, 0, 0, 0, 0, 0, 0, 0},
	{"HTTP/1.1 200OK\r\n\r\n", false, -1, 0, 0, 0, 0, 0, 0, 0, 0},
	{"http/1.1 200 OK\r\n\r\n", false, -1, 0, 0, 0, 0, 0, 0, 0, 0},
};

static void
test_responses(void)
{
	size_t i;

	for (i = 0; i < sizeof(rsp_cases) / sizeof(rsp_cases[0]); i++) {
		const struct rsp_case *c = &rsp_cases[i];
		struct fc_http_response rsp;
		size_t len = strlen(c->in);
		int rc = parse_rsp_guarded(c->in, len, c->is_head, &rsp);

		if (rc != c->expect)
			fprintf(stderr, "response case %zu: got %d want %d\n", i, rc, c->expect);
		CHECK_EQ(rc, c->expect);
		if (c->expect < 0 || rc != c->expect)
			continue;
		CHECK_EQ(rsp.status, c->status);
		CHECK_EQ(rsp.minor_version, c->minor);
		CHECK(span_eq(rsp.reason, rsp.reason_len, c->reason));
		CHECK_EQ(rsp.content_length, c->cl);
		CHECK_EQ(rsp.chunked, c->chunked);
		CHECK_EQ(rsp.keep_alive, c->keep_alive);
		CHECK_EQ(rsp.no_body, c->no_body);
		CHECK_EQ(rsp.close_delimited, c->close_delimited);
		check_rsp_prefixes(c->in, len, c->is_head);
	}
}

/* Scan a whole chunked input at once and in every 1-byte and 2-way split. */
static void
check_chunked(const char *in, size_t len, int64_t expect_end)
{
	struct fc_http_chunked st;
	struct guard_buf g;
	char *b = guard_copy(&g, in, len);
	size_t k, i;
	int64_t rc;

	if (b == NULL) {
		CHECK(!"guard_copy");
		return;
	}
	memset(&st, 0, sizeof(st));
	rc = fc_http_chunked_scan(&st, b, len);
	CHECK_EQ(rc, expect_end);
	if (expect_end > 0) {
		CHECK(fc_http_chunked_done(&st));
		CHECK_EQ(fc_http_chunked_scan(&st, b, len), 0);
	}

	/* Two-way splits: the first part never completes early. */
	for (k = 0; k <= len; k++) {
		int64_t r1, r2, total;

		memset(&st, 0, sizeof(st));
		r1 = fc_http_chunked_scan(&st, b, k);
		if (expect_end > 0 && (int64_t)k < expect_end) {
			if (r1 != -2) {
				fprintf(stderr, "chunked split %zu: first part gave %lld\n", k, (long long)r1);
				CHECK(r1 == -2);
				break;
			}
		}
		if (r1 == -1 || r1 >= 0) {
			total = r1;
		} else {
			r2 = fc_http_chunked_scan(&st, b + k, len - k);
			total = r2 >= 0 ? (int64_t)k + r2 : r2;
		}
		if (total != expect_end) {
			fprintf(stderr, "chunked split %zu: total %lld want %lld\n", k, (long long)total, (long long)expect_end);
			CHECK(total == expect_end);
			break;
		}
	}
	/* One byte at a time. */
	memset(&st, 0, sizeof(st));
	for (i = 0; i < len; i++) {
		rc = fc_http_chunked_scan(&st, b + i, 1);
		if (rc != -2)
			break;
	}
	if (expect_end > 0) {
		CHECK_EQ(rc, 1);
		CHECK_EQ((int64_t)i + 1, expect_end);
	} else {
		CHECK_EQ(rc, expect_end);
	}
	guard_free(&g);
}

static void
test_chunked(void)
{
	check_chunked(S("5\r\nhello\r\n0\r\n\r\n"), 15);
	check_chunked(S("5\r\nhello\r\n0\r\n\r\nHTTP/1.1"), 15);
	check_chunked(S("5;a=b;c\r\nhello\r\n0\r\n\r\n"), 21);
	check_chunked(S("5 ; a=\"x y\"\r\nhello\r\n0\r\n\r\n"), 25);
	check_chunked(S("0\r\nX-T: 1\r\nX-U: 2\r\n\r\n"), 21);
	check_chunked(S("5\nhello\n0\n\n"), 11);
	check_chunked(S("A\r\n0123456789\r\n1\r\nx\r\n000\r\n\r\n"), 28);
	check_chunked(S("00000000000000000000003\r\nabc\r\n0\r\n\r\n"), 35);
	check_chunked(S("5\r\nhel"), -2);
	check_chunked(S("fffffffffffffff\r\nabc"), -2);
	/* malformed */
	check_chunked(S("x\r\n"), -1);
	check_chunked(S("\r\n"), -1);
	check_chunked(S("5\r\nhelloX\r\n0\r\n\r\n"), -1);
	check_chunked(S("5\rX"), -1);
	check_chunked(S("1000000000000000\r\n"), -1);
	check_chunked(S("5\x01\r\n"), -1);
	check_chunked(S("0\r\n\x01\r\n"), -1);
	check_chunked(S("0\r\nX: a\rb\r\n\r\n"), -1);
	check_chunked(S("0\r\n\rX"), -1);
	{
		/* Stays in error after an error. */
		struct fc_http_chunked st;

		memset(&st, 0, sizeof(st));
		CHECK_EQ(fc_http_chunked_scan(&st, S("zz")), -1);
		CHECK_EQ(fc_http_chunked_scan(&st, S("0\r\n\r\n")), -1);
	}
}

static void
test_token_eq(void)
{
	CHECK(fc_http_token_eq(S("Content-LENGTH"), "content-length"));
	CHECK(!fc_http_token_eq(S("Content-Lengt"), "content-length"));
	CHECK(!fc_http_token_eq(S("Content-Lengths"), "content-length"));
	CHECK(fc_http_token_eq("", 0, ""));
}

int
main(void)
{
	test_requests();
	test_responses();
	test_chunked();
	test_token_eq();
	return fc_test_result("http_parse");
}
