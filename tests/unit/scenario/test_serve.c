/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `flashcrowd serve` configuration: defaults, flags, the routes file (scenarios/serve/ as
 * argv[1]), envelope and route errors, and the server built from it answering requests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc_scenario.h"
#include "fc_test.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof(a[0])))

static bool
has_error(const struct fc_errors *e, const char *msg)
{
	unsigned i;

	for (i = 0; i < e->count; i++)
		if (strcmp(e->msg[i], msg) == 0)
			return true;
	return false;
}

/* Send one request to a fresh connection; return the reply. */
static struct fc_http_server_reply
ask(const struct fc_http_server *srv, const char *req)
{
	static struct fc_http_hdr_pool *pool;
	struct fc_http_server_stats st = {0};
	struct fc_http_server_conn c;
	struct fc_http_server_reply r;

	if (pool == NULL)
		pool = fc_http_hdr_pool_create(1, 4096);
	fc_http_server_conn_init(&c, pool, &st, 3);
	memset(&r, 0, sizeof(r));
	fc_http_server_feed(srv, &c, req, strlen(req), &r);
	fc_http_server_conn_release(&c);
	return r;
}

static void
test_defaults(void)
{
	struct fc_serve_conf c;
	struct fc_limits lim;
	struct fc_errors e;
	struct fc_http_server *srv;
	struct fc_http_server_reply r;
	char *argv[] = {"serve"};

	fc_limits_default(&lim);
	fc_errors_init(&e);
	fc_serve_init(&c);
	CHECK_EQ(fc_serve_from_argv(ARGC(argv), argv, &c, &e), 0);
	CHECK_EQ(fc_serve_validate(&c, &lim, &e), 0);
	CHECK_EQ(c.num_routes, 1);
	CHECK(strcmp(c.routes[0].path, "*") == 0);
	CHECK_EQ(c.routes[0].body_size, FC_SERVE_DEFAULT_BODY);
	srv = fc_serve_create_server(&c, &e);
	CHECK(srv != NULL);
	r = ask(srv, "GET /anything HTTP/1.1\r\n\r\n");
	CHECK(r.ready);
	CHECK_EQ(r.status, 200);
	/* head + 100-byte body */
	CHECK(r.len > 100 && memcmp(r.data + r.len - 100, "flashcrowd-", 11) == 0);
	fc_http_server_free(srv);
	fc_serve_free(&c);
}

static void
test_flags(void)
{
	struct fc_serve_conf c;
	struct fc_limits lim;
	struct fc_errors e;
	struct fc_http_server *srv;
	struct fc_http_server_reply r;
	char *argv[] = {"serve", "--status", "503", "--body", "down\n", "-H", "Retry-After: 5",
		"--content-type", "text/html", "--delay", "1ms:2ms", "-c", "1000", "-t", "2", "--memory",
		"1Gi", "--profile", "drivers_cfg/memif.json", "--iface", "veth0", "--local-ip",
		"198.18.0.2/24", "--gateway", "198.18.0.1", "--eal", "--no-huge"};
	static const char exp[] =
		"HTTP/1.1 503 Service Unavailable\r\nServer: flashcrowd\r\nContent-Type: text/html\r\n"
		"Content-Length: 5\r\nRetry-After: 5\r\nConnection: keep-alive\r\n\r\ndown\n";

	fc_limits_default(&lim);
	fc_errors_init(&e);
	fc_serve_init(&c);
	CHECK_EQ(fc_serve_from_argv(ARGC(argv), argv, &c, &e), 0);
	fc_errors_print(&e, stderr);
	CHECK_EQ(fc_serve_validate(&c, &lim, &e), 0);
	fc_errors_print(&e, stderr);
	CHECK_EQ(c.num_routes, 1);
	CHECK_EQ(c.connections, 1000);
	CHECK_EQ(c.cores, 2);
	CHECK_EQ(c.memory, 1ull << 30);
	CHECK(strcmp(c.profile_path, "drivers_cfg/memif.json") == 0);
	CHECK(strcmp(c.port.iface, "veth0") == 0);
	CHECK_EQ(c.port.local_prefix, 24);
	CHECK(strcmp(c.eal, "--no-huge") == 0);
	CHECK_EQ(c.routes[0].delay_min_ns, 1000000);
	CHECK_EQ(c.routes[0].delay_max_ns, 2000000);
	srv = fc_serve_create_server(&c, &e);
	CHECK(srv != NULL);
	if (srv) {
		r = ask(srv, "GET / HTTP/1.1\r\n\r\n");
		CHECK(r.len == sizeof(exp) - 1 && memcmp(r.data, exp, r.len) == 0);
		CHECK(r.delay_ns >= 1000000 && r.delay_ns <= 2000000);
	}
	fc_http_server_free(srv);
	fc_serve_free(&c);

	/* Errors: unknown flag, bad values, envelope. */
	{
		char *a[] = {"serve", "--bogus"};

		fc_errors_init(&e);
		fc_serve_init(&c);
		CHECK_EQ(fc_serve_from_argv(ARGC(a), a, &c, &e), -EINVAL);
		CHECK(has_error(&e, "--bogus: unknown flag (see --help)"));
		fc_serve_free(&c);
	}
	{
		char *a[] = {"serve", "--status", "99", "--delay", "5ms:1ms", "--body-size", "lots"};

		fc_errors_init(&e);
		fc_serve_init(&c);
		CHECK_EQ(fc_serve_from_argv(ARGC(a), a, &c, &e), -EINVAL);
		CHECK(has_error(&e, "--status: \"99\" is not a final status (200..599)"));
		CHECK(has_error(&e, "--delay: min 5ms is above max"));
		CHECK(has_error(&e, "--body-size: \"lots\" is not a size (e.g. 100, 16Ki, 1Mi)"));
		fc_serve_free(&c);
	}
	{
		char *a[] = {"serve", "-c", "60000", "-t", "0", "--memory", "64Mi", "--body-size", "2Mi"};

		fc_errors_init(&e);
		fc_serve_init(&c);
		CHECK_EQ(fc_serve_from_argv(ARGC(a), a, &c, &e), 0);
		CHECK_EQ(fc_serve_validate(&c, &lim, &e), -EINVAL);
		CHECK(has_error(&e, "connections: 60000 is above the limit 50000"));
		CHECK(has_error(&e, "cores: 0 is below the limit 1"));
		CHECK(has_error(&e, "memory: 64Mi is below the limit 128Mi"));
		CHECK(has_error(&e, "routes[0].body_size: 2Mi is above the limit 1Mi"));
		CHECK_EQ(e.count, 4);
		fc_serve_free(&c);
	}
	{
		char *a[] = {"serve", "-H", "Content-Length: 4"};

		fc_errors_init(&e);
		fc_serve_init(&c);
		CHECK_EQ(fc_serve_from_argv(ARGC(a), a, &c, &e), 0);
		CHECK_EQ(fc_serve_validate(&c, &lim, &e), -EINVAL);
		CHECK(e.count == 1 && strstr(e.msg[0], "routes: route 0 header 0: Content-Length is set by the responder itself"));
		fc_serve_free(&c);
	}
	{
		char *a[] = {"serve", "-h"};

		fc_errors_init(&e);
		fc_serve_init(&c);
		CHECK_EQ(fc_serve_from_argv(ARGC(a), a, &c, &e), FC_SCENARIO_HELP);
		fc_serve_free(&c);
	}
}

static void
test_file(const char *dir)
{
	struct fc_serve_conf c;
	struct fc_limits lim;
	struct fc_errors e;
	struct fc_http_server *srv;
	struct fc_http_server_reply r;
	char path[512];
	char *argv[] = {"serve", "--routes", path, "--body-size", "7"};

	snprintf(path, sizeof(path), "%s/serve/routes.json", dir);
	fc_limits_default(&lim);
	fc_errors_init(&e);
	fc_serve_init(&c);
	CHECK_EQ(fc_serve_from_argv(ARGC(argv), argv, &c, &e), 0);
	CHECK_EQ(fc_serve_validate(&c, &lim, &e), 0);
	fc_errors_print(&e, stderr);
	/* 7 routes from the file + the catch-all made by --body-size. */
	CHECK_EQ(c.num_routes, 8);
	CHECK_EQ(c.connections, 50000);
	CHECK_EQ(c.routes[1].body_size, 1u << 20);
	CHECK_EQ(c.routes[3].delay_min_ns, 1000000);
	CHECK_EQ(c.routes[3].delay_max_ns, 5000000);
	CHECK_EQ(c.routes[6].delay_min_ns, 10000000);
	CHECK_EQ(c.routes[6].delay_max_ns, 10000000);
	srv = fc_serve_create_server(&c, &e);
	CHECK(srv != NULL);
	if (srv) {
		r = ask(srv, "GET /api/v1/items?x=1 HTTP/1.1\r\n\r\n");
		CHECK_EQ(r.route, 4);
		CHECK(r.len > 11 && memcmp(r.data + r.len - 11, "{\"ok\":true}", 11) == 0);
		r = ask(srv, "GET /empty HTTP/1.1\r\n\r\n");
		CHECK_EQ(r.status, 204);
		r = ask(srv, "GET /nothing-here HTTP/1.1\r\n\r\n");
		CHECK_EQ(r.route, 7);
		CHECK(r.len > 7 && memcmp(r.data + r.len - 7, "flashcr", 7) == 0);
		r = ask(srv, "GET /chunked HTTP/1.1\r\n\r\n");
		CHECK(r.len > 65536 && memcmp(r.data + r.len - 5, "0\r\n\r\n", 5) == 0);
	}
	fc_http_server_free(srv);
	fc_serve_free(&c);

	/* A bad file: unknown fields, bad values, one error each. */
	{
		FILE *f;
		char tmp[] = "/tmp/fc_serve_XXXXXX";
		int fd = mkstemp(tmp);

		f = fd >= 0 ? fdopen(fd, "w") : NULL;
		CHECK(f != NULL);
		if (f == NULL)
			return;
		fputs("{\"routes\": [{\"path\": \"/\", \"status\": 99, \"colour\": 1},"
			" {\"status\": 200, \"body\": \"x\", \"body_size\": 5, \"delay\": {\"min\": \"5ms\", \"max\": \"1ms\"}}],"
			" \"workers\": 2}", f);
		fclose(f);
		fc_errors_init(&e);
		fc_serve_init(&c);
		CHECK_EQ(fc_serve_load_file(tmp, &c, &e), -EINVAL);
		CHECK(has_error(&e, "workers: unknown field"));
		CHECK(has_error(&e, "routes[0].colour: unknown field"));
		CHECK(has_error(&e, "routes[0].status: 99 is not a final status (200..599)"));
		CHECK(has_error(&e, "routes[1].path: missing"));
		CHECK(has_error(&e, "routes[1].delay: min is above max"));
		CHECK(has_error(&e, "routes[1]: give one of body, body_size, body_file"));
		CHECK_EQ(e.count, 6);
		fc_serve_free(&c);
		remove(tmp);
	}
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "scenarios";

	test_defaults();
	test_flags();
	test_file(dir);
	{
		char buf[4096];
		FILE *f = fmemopen(buf, sizeof(buf), "w");

		fc_serve_usage(f);
		fclose(f);
		CHECK_STR_CONTAINS(buf, "--delay D|MIN:MAX");
	}
	return fc_test_result("serve");
}
