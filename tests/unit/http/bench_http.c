/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmark (perf suite): cost per request of the hot-path HTTP work on one core,
 * measured with clock_gettime around N iterations:
 *  - fc_http_parse_response on a typical nginx response head (~230 B);
 *  - fc_http_server_feed on a wrk-like GET (route lookup, reply pointer);
 *  - fc_http_client_feed on the responder's 100-byte-body response;
 *  - a full round: template -> server feed -> client feed.
 * Prints ns/op and Mops/s; asserts only that every parse succeeded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fc_http.h"
#include "fc_test.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
report(const char *what, long n, double secs)
{
	printf("%-40s %8.1f ns/op %8.2f Mops/s\n", what, secs * 1e9 / (double)n, (double)n / secs / 1e6);
}

int
main(int argc, char **argv)
{
	static const char nginx[] =
		"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 24 Nov 2026 08:00:00 GMT\r\n"
		"Content-Type: text/html\r\nContent-Length: 615\r\nLast-Modified: Mon, 23 Nov 2026 10:00:00 GMT\r\n"
		"Connection: keep-alive\r\nETag: \"5f5a-267\"\r\nAccept-Ranges: bytes\r\n\r\n";
	long n = argc > 1 ? atol(argv[1]) : 2000000, i, ok = 0;
	struct fc_http_route_spec route = {.path = "/", .body_size = 100};
	struct fc_http_server *srv = fc_http_server_create(&route, 1, NULL, 0);
	struct fc_http_hdr_pool *pool = fc_http_hdr_pool_create(4, 8192);
	struct fc_http_tmpl_spec spec = {.host = "198.18.0.2"};
	struct fc_http_request_tmpl t;
	struct fc_http_server_stats st = {0};
	struct fc_http_server_conn sc;
	struct fc_http_client_parser cp;
	struct fc_http_server_reply rep;
	struct fc_http_client_result res;
	double t0;

	if (srv == NULL || pool == NULL || fc_http_tmpl_init(&t, &spec, NULL, 0) != 0)
		return 1;

	t0 = now_s();
	for (i = 0; i < n; i++) {
		struct fc_http_response rsp;

		ok += fc_http_parse_response(nginx, sizeof(nginx) - 1, false, &rsp) > 0;
	}
	report("parse_response (nginx head, 9 headers)", n, now_s() - t0);
	CHECK_EQ(ok, n);

	fc_http_server_conn_init(&sc, pool, &st, 1);
	ok = 0;
	t0 = now_s();
	for (i = 0; i < n; i++)
		ok += fc_http_server_feed(srv, &sc, t.buf, t.len, &rep) == (int64_t)t.len && rep.ready;
	report("server_feed (GET, 1 route)", n, now_s() - t0);
	CHECK_EQ(ok, n);

	fc_http_client_init(&cp, pool);
	ok = 0;
	t0 = now_s();
	for (i = 0; i < n; i++) {
		fc_http_client_expect(&cp, false);
		ok += fc_http_client_feed(&cp, rep.data, rep.len, &res) == (int64_t)rep.len && res.complete;
	}
	report("client_feed (responder reply, 100 B body)", n, now_s() - t0);
	CHECK_EQ(ok, n);

	ok = 0;
	t0 = now_s();
	for (i = 0; i < n; i++) {
		fc_http_server_feed(srv, &sc, t.buf, t.len, &rep);
		fc_http_client_expect(&cp, false);
		ok += fc_http_client_feed(&cp, rep.data, rep.len, &res) > 0 && res.complete;
	}
	report("round trip (server + client parse)", n, now_s() - t0);
	CHECK_EQ(ok, n);

	fc_http_tmpl_free(&t);
	fc_http_server_free(srv);
	fc_http_hdr_pool_free(pool);
	return fc_test_result("bench_http");
}
