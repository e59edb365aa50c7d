/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/scenario: unit parsing, every envelope bound on both sides with the exact message,
 * all errors gathered at once, JSON loading (unknown fields, bad JSON position), every CLI
 * flag, limits files, the allow-list, thresholds, the request mix, and every ready file in
 * scenarios/ (directory given as argv[1]).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fc_scenario.h"
#include "fc_test.h"

#define NS_S 1000000000ull
#define NS_MS 1000000ull

#define ARGC(a) ((int)(sizeof(a) / sizeof(a[0])))

static char tmpdir[] = "/tmp/fc_scn_XXXXXX";

static const char *
write_tmp(const char *name, const char *text)
{
	static char path[4][256];
	static unsigned slot;
	char *p = path[slot++ % 4];
	FILE *f;

	snprintf(p, 256, "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	if (f == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	return p;
}

static bool
has_error(const struct fc_errors *e, const char *msg)
{
	unsigned i;

	for (i = 0; i < e->count; i++)
		if (strcmp(e->msg[i], msg) == 0)
			return true;
	return false;
}

static void
dump(const struct fc_errors *e)
{
	fc_errors_print(e, stderr);
}

/* Parse argv (with "run" in front), validate with the default limits; return error count. */
static unsigned
run_cli(int argc, char **argv, struct fc_scenario *sc, struct fc_errors *e)
{
	struct fc_limits lim;

	fc_limits_default(&lim);
	fc_errors_init(e);
	fc_scenario_init(sc);
	if (fc_scenario_from_argv(argc, argv, sc, &lim, e) == 0)
		fc_scenario_validate(sc, &lim, e);
	return fc_errors_total(e);
}

/* One flag value against the envelope: expect no error, or exactly @p msg. */
static void
expect_bound(const char *flag, const char *value, const char *msg)
{
	char *argv[] = {"run", "-d", "2h", (char *)flag, (char *)value, "http://198.18.0.2/"};
	struct fc_scenario sc;
	struct fc_errors e;
	unsigned n;

	/* -d 2h comes first so that a ramp-up of 1h fits; a -d under test comes later and wins. */
	n = run_cli(ARGC(argv), argv, &sc, &e);
	if (msg == NULL) {
		if (n != 0) {
			fprintf(stderr, "%s %s: expected no error\n", flag, value);
			dump(&e);
		}
		CHECK_EQ(n, 0);
	} else {
		if (n != 1 || !has_error(&e, msg)) {
			fprintf(stderr, "%s %s: expected exactly \"%s\"\n", flag, value, msg);
			dump(&e);
		}
		CHECK_EQ(n, 1);
		CHECK(has_error(&e, msg));
	}
	fc_scenario_free(&sc);
}

static void
test_bounds(void)
{
	/* connections 1..50000 */
	expect_bound("-c", "0", "load.connections: 0 is below the limit 1");
	expect_bound("-c", "1", NULL);
	expect_bound("-c", "50000", NULL);
	expect_bound("-c", "50001", "load.connections: 50001 is above the limit 50000");
	expect_bound("-c", "100k", "load.connections: 100k is above the limit 50000");
	/* duration 10s..24h */
	expect_bound("-d", "9999ms", "load.duration: 9999ms is below the limit 10s");
	expect_bound("-d", "5s", "load.duration: 5s is below the limit 10s");
	expect_bound("-d", "10s", NULL);
	expect_bound("-d", "24h", NULL);
	expect_bound("-d", "86401s", "load.duration: 86401s is above the limit 24h");
	/* ramp-up 0..3600s (the minimum 0 has no "below") */
	expect_bound("--ramp-up", "0", NULL);
	expect_bound("--ramp-up", "3600s", NULL);
	expect_bound("--ramp-up", "3601s", "load.ramp_up: 3601s is above the limit 1h");
	/* rate 0.1..100000 */
	expect_bound("-R", "0.09", "load.rate: 0.09 is below the limit 0.1");
	expect_bound("-R", "0.1", NULL);
	expect_bound("-R", "100000", NULL);
	expect_bound("-R", "100000.5", "load.rate: 100000.5 is above the limit 100000");
	expect_bound("-R", "250000", "load.rate: 250000 is above the limit 100000");
	/* timeouts 100ms..5m */
	expect_bound("--timeout", "99ms", "timeouts.request: 99ms is below the limit 100ms");
	expect_bound("--timeout", "100ms", NULL);
	expect_bound("--timeout", "5m", NULL);
	expect_bound("--timeout", "301s", "timeouts.request: 301s is above the limit 5m");
	expect_bound("--connect-timeout", "0.099s", "timeouts.connect: 0.099s is below the limit 100ms");
	expect_bound("--connect-timeout", "0.1s", NULL);
	expect_bound("--connect-timeout", "300s", NULL);
	expect_bound("--connect-timeout", "300001ms", "timeouts.connect: 300001ms is above the limit 5m");
	/* cores 1..64 */
	expect_bound("-t", "0", "cores: 0 is below the limit 1");
	expect_bound("-t", "1", NULL);
	expect_bound("-t", "64", NULL);
	expect_bound("-t", "65", "cores: 65 is above the limit 64");
	/* memory 128Mi..512Gi */
	expect_bound("--memory", "134217727", "memory: 134217727 is below the limit 128Mi");
	expect_bound("--memory", "127Mi", "memory: 127Mi is below the limit 128Mi");
	expect_bound("--memory", "128Mi", NULL);
	expect_bound("--memory", "512Gi", NULL);
	expect_bound("--memory", "513Gi", "memory: 513Gi is above the limit 512Gi");
	/* pipeline 1..64 */
	expect_bound("--pipeline", "0", "load.pipeline: 0 is below the limit 1");
	expect_bound("--pipeline", "64", NULL);
	expect_bound("--pipeline", "65", "load.pipeline: 65 is above the limit 64");
}

static void
test_bounds_json(void)
{
	struct fc_scenario sc;
	struct fc_errors e;
	struct fc_limits lim;

	/* JSON numbers: durations are seconds, shown with an s. */
	fc_limits_default(&lim);
	fc_errors_init(&e);
	fc_scenario_init(&sc);
	CHECK_EQ(fc_scenario_load_string(
		"{\"target\": \"http://198.18.0.2/\", \"load\": {\"duration\": 5, \"connections\": 50001,"
		" \"rate\": 250000}, \"timeouts\": {\"connect\": 0.05}, \"memory\": \"1Ti\", \"cores\": 0}",
		"t.json", &sc, &e), 0);
	CHECK_EQ(fc_scenario_validate(&sc, &lim, &e), -EINVAL);
	CHECK(has_error(&e, "load.duration: 5s is below the limit 10s"));
	CHECK(has_error(&e, "load.connections: 50001 is above the limit 50000"));
	CHECK(has_error(&e, "load.rate: 250000 is above the limit 100000"));
	CHECK(has_error(&e, "timeouts.connect: 0.05s is below the limit 100ms"));
	CHECK(has_error(&e, "memory: 1Ti is above the limit 512Gi"));
	CHECK(has_error(&e, "cores: 0 is below the limit 1"));
	CHECK_EQ(e.count, 6);
	fc_scenario_free(&sc);
}

static void
test_all_errors_at_once(void)
{
	char *argv[] = {"run", "-c", "0", "-d", "5s", "-R", "250000", "--timeout", "50ms", "-t", "65",
		"--memory", "1Ti", "--ramp-up", "2h", "--pipeline", "100", "http://10.0.0.1/"};
	struct fc_scenario sc;
	struct fc_errors e;

	CHECK_EQ(run_cli(ARGC(argv), argv, &sc, &e), 9);
	CHECK(has_error(&e, "target.host: 10.0.0.1 is outside the allow-list (198.18.0.0/15, 127.0.0.0/8); add it with --allow 10.0.0.1/32 or an \"allow\" entry"));
	CHECK(has_error(&e, "load.connections: 0 is below the limit 1"));
	CHECK(has_error(&e, "load.duration: 5s is below the limit 10s"));
	CHECK(has_error(&e, "load.ramp_up: 2h is above the limit 1h"));
	CHECK(has_error(&e, "load.rate: 250000 is above the limit 100000"));
	CHECK(has_error(&e, "load.pipeline: 100 is above the limit 64"));
	CHECK(has_error(&e, "timeouts.request: 50ms is below the limit 100ms"));
	CHECK(has_error(&e, "cores: 65 is above the limit 64"));
	CHECK(has_error(&e, "memory: 1Ti is above the limit 512Gi"));
	fc_scenario_free(&sc);

	/* The list is bounded; the rest are counted. */
	fc_errors_init(&e);
	for (int i = 0; i < FC_ERRORS_MAX + 5; i++)
		fc_errors_add(&e, "e%d", i);
	CHECK_EQ(e.count, FC_ERRORS_MAX);
	CHECK_EQ(e.dropped, 5);
	CHECK_EQ(fc_errors_total(&e), FC_ERRORS_MAX + 5);
}

static void
test_units(void)
{
	uint64_t v;
	double r;
	char b[32];

	CHECK_EQ(fc_parse_duration("10s", &v), 0);
	CHECK_EQ(v, 10 * NS_S);
	CHECK_EQ(fc_parse_duration("2m", &v), 0);
	CHECK_EQ(v, 120 * NS_S);
	CHECK_EQ(fc_parse_duration("1h", &v), 0);
	CHECK_EQ(v, 3600 * NS_S);
	CHECK_EQ(fc_parse_duration("250ms", &v), 0);
	CHECK_EQ(v, 250 * NS_MS);
	CHECK_EQ(fc_parse_duration("1.5s", &v), 0);
	CHECK_EQ(v, 1500 * NS_MS);
	CHECK_EQ(fc_parse_duration("10", &v), 0);
	CHECK_EQ(v, 10 * NS_S);
	CHECK_EQ(fc_parse_duration("0.25", &v), 0);
	CHECK_EQ(v, 250 * NS_MS);
	CHECK_EQ(fc_parse_duration("100us", &v), 0);
	CHECK_EQ(v, 100000);
	CHECK_EQ(fc_parse_duration("5ns", &v), 0);
	CHECK_EQ(v, 5);
	CHECK_EQ(fc_parse_duration("", &v), -EINVAL);
	CHECK_EQ(fc_parse_duration("s", &v), -EINVAL);
	CHECK_EQ(fc_parse_duration("-1s", &v), -EINVAL);
	CHECK_EQ(fc_parse_duration("10x", &v), -EINVAL);
	CHECK_EQ(fc_parse_duration("1.s", &v), -EINVAL);
	CHECK_EQ(fc_parse_duration(".5s", &v), -EINVAL);
	CHECK_EQ(fc_parse_duration("10 s", &v), -EINVAL);
	CHECK_EQ(fc_parse_duration("99999999999h", &v), -ERANGE);

	CHECK_EQ(fc_parse_count("100k", &v), 0);
	CHECK_EQ(v, 100000);
	CHECK_EQ(fc_parse_count("1M", &v), 0);
	CHECK_EQ(v, 1000000);
	CHECK_EQ(fc_parse_count("1.5k", &v), 0);
	CHECK_EQ(v, 1500);
	CHECK_EQ(fc_parse_count("2G", &v), 0);
	CHECK_EQ(v, 2000000000);
	CHECK_EQ(fc_parse_count("64", &v), 0);
	CHECK_EQ(v, 64);
	CHECK_EQ(fc_parse_count("1.0001k", &v), -EINVAL);
	CHECK_EQ(fc_parse_count("1.5", &v), -EINVAL);
	CHECK_EQ(fc_parse_count("k", &v), -EINVAL);

	CHECK_EQ(fc_parse_size("128Mi", &v), 0);
	CHECK_EQ(v, 128ull << 20);
	CHECK_EQ(fc_parse_size("512Gi", &v), 0);
	CHECK_EQ(v, 512ull << 30);
	CHECK_EQ(fc_parse_size("1.5Gi", &v), 0);
	CHECK_EQ(v, 3ull << 29);
	CHECK_EQ(fc_parse_size("4096", &v), 0);
	CHECK_EQ(v, 4096);
	CHECK_EQ(fc_parse_size("1k", &v), 0);
	CHECK_EQ(v, 1000);
	CHECK_EQ(fc_parse_size("1KiB", &v), 0);
	CHECK_EQ(v, 1024);
	CHECK_EQ(fc_parse_size("2TiB", &v), 0);
	CHECK_EQ(v, 2ull << 40);
	CHECK_EQ(fc_parse_size("1Xi", &v), -EINVAL);

	CHECK_EQ(fc_parse_rate("0.1", &r), 0);
	CHECK(r == 0.1);
	CHECK_EQ(fc_parse_rate("20k", &r), 0);
	CHECK(r == 20000.0);
	CHECK_EQ(fc_parse_rate("2.5", &r), 0);
	CHECK(r == 2.5);
	CHECK_EQ(fc_parse_rate("1.5M", &r), 0);
	CHECK(r == 1500000.0);
	CHECK_EQ(fc_parse_rate("fast", &r), -EINVAL);

	CHECK(strcmp(fc_fmt_duration(10 * NS_S, b, sizeof(b)), "10s") == 0);
	CHECK(strcmp(fc_fmt_duration(1500 * NS_MS, b, sizeof(b)), "1500ms") == 0);
	CHECK(strcmp(fc_fmt_duration(24 * 3600 * NS_S, b, sizeof(b)), "24h") == 0);
	CHECK(strcmp(fc_fmt_duration(90 * NS_S, b, sizeof(b)), "90s") == 0);
	CHECK(strcmp(fc_fmt_duration(300 * NS_S, b, sizeof(b)), "5m") == 0);
	CHECK(strcmp(fc_fmt_duration(0, b, sizeof(b)), "0s") == 0);
	CHECK(strcmp(fc_fmt_duration(1234, b, sizeof(b)), "1234ns") == 0);
	CHECK(strcmp(fc_fmt_size(128ull << 20, b, sizeof(b)), "128Mi") == 0);
	CHECK(strcmp(fc_fmt_size(512ull << 30, b, sizeof(b)), "512Gi") == 0);
	CHECK(strcmp(fc_fmt_size(1000, b, sizeof(b)), "1000") == 0);

	{
		uint32_t net;
		uint8_t pfx;

		CHECK_EQ(fc_parse_cidr("10.1.2.3/8", &net, &pfx), 0);
		CHECK_EQ(net, htonl(0x0a000000));
		CHECK_EQ(pfx, 8);
		CHECK_EQ(fc_parse_cidr("1.2.3.4", &net, &pfx), 0);
		CHECK_EQ(net, htonl(0x01020304));
		CHECK_EQ(pfx, 32);
		CHECK_EQ(fc_parse_cidr("0.0.0.0/0", &net, &pfx), 0);
		CHECK_EQ(pfx, 0);
		CHECK_EQ(fc_parse_cidr("1.2.3/8", &net, &pfx), -EINVAL);
		CHECK_EQ(fc_parse_cidr("1.2.3.4/33", &net, &pfx), -EINVAL);
		CHECK_EQ(fc_parse_cidr("1.2.3.4/", &net, &pfx), -EINVAL);
		CHECK_EQ(fc_parse_cidr("a.b.c.d/8", &net, &pfx), -EINVAL);
	}

	CHECK(fc_db_url_valid("mysql://db1:3306/app"));
	CHECK(fc_db_url_valid("postgresql://10.0.0.5:5432/x_y"));
	CHECK(fc_db_url_valid("mongodb://m-1.lab:27017/metrics"));
	CHECK(fc_db_url_valid("redis://h:6379/0"));
	CHECK(!fc_db_url_valid("mysql://db1/app"));
	CHECK(!fc_db_url_valid("http://h:1/d"));
	CHECK(!fc_db_url_valid("mysql://h:0/d"));
	CHECK(!fc_db_url_valid("mysql://h:70000/d"));
	CHECK(!fc_db_url_valid("mysql://h:1/"));
	CHECK(!fc_db_url_valid("mysql://h:1/d/e"));
	CHECK(!fc_db_url_valid("mysql://:1/d"));
	CHECK(!fc_db_url_valid("mysql://u@h:1/d"));
}

static void
test_json_load(void)
{
	struct fc_scenario sc;
	struct fc_errors e;
	struct fc_limits lim;
	const char *p;

	fc_limits_default(&lim);

	/* Unknown fields anywhere, named by path; all gathered. */
	fc_errors_init(&e);
	fc_scenario_init(&sc);
	CHECK_EQ(fc_scenario_load_string(
		"{\"target\": \"http://198.18.0.2/\", \"foo\": 1, \"load\": {\"rat\": 5},"
		" \"stages\": [{\"duration\": \"10s\", \"rate\": 5}, {\"durations\": \"1s\", \"rate\": 1}],"
		" \"requests\": [{\"path\": \"/\", \"wieght\": 2}], \"output\": {\"html\": \"x\"}}",
		"t.json", &sc, &e), -EINVAL);
	CHECK(has_error(&e, "foo: unknown field"));
	CHECK(has_error(&e, "load.rat: unknown field"));
	CHECK(has_error(&e, "stages[1].durations: unknown field"));
	CHECK(has_error(&e, "stages[1].duration: missing"));
	CHECK(has_error(&e, "requests[0].wieght: unknown field"));
	CHECK(has_error(&e, "output.html: unknown field"));
	CHECK_EQ(e.count, 6);
	fc_scenario_free(&sc);

	/* Bad JSON: file, line and column. */
	fc_errors_init(&e);
	fc_scenario_init(&sc);
	p = write_tmp("bad.json", "{\n  \"load\": {\n    \"rate\": ,\n  }\n}\n");
	CHECK_EQ(fc_scenario_load_file(p, &sc, &e), -EINVAL);
	CHECK_EQ(e.count, 1);
	{
		char want[300];

		snprintf(want, sizeof(want), "%s:3:13: invalid JSON", p);
		CHECK_STR_CONTAINS(e.msg[0], want);
	}
	fc_scenario_free(&sc);

	/* A missing file. */
	fc_errors_init(&e);
	CHECK_EQ(fc_scenario_load_file("/nonexistent/x.json", &sc, &e), -EINVAL);
	CHECK_STR_CONTAINS(e.msg[0], "/nonexistent/x.json: cannot open: No such file or directory");

	/* Wrong types and values. */
	fc_errors_init(&e);
	fc_scenario_init(&sc);
	CHECK_EQ(fc_scenario_load_string(
		"{\"load\": {\"connections\": \"abc\", \"duration\": \"10 s\", \"rate\": -1, \"keepalive\": 1,"
		" \"model\": \"burst\"}, \"memory\": \"lots\", \"target\": 5, \"thresholds\": [\"p99 < 20\"],"
		" \"allow\": [\"10.0.0.0/40\"], \"port\": {\"local_ip\": \"1.2.3.4\"}}",
		"t.json", &sc, &e), -EINVAL);
	CHECK(has_error(&e, "load.connections: \"abc\" is not a count (a whole number >= 0, suffixes k, M: \"100k\")"));
	CHECK(has_error(&e, "load.duration: \"10 s\" is not a duration (e.g. \"250ms\", \"1.5s\", \"2m\", \"1h\")"));
	CHECK(has_error(&e, "load.rate: -1 is not a rate (requests/s >= 0, e.g. 20000, \"20k\", 0.5)"));
	CHECK(has_error(&e, "load.keepalive: 1 is not true or false"));
	CHECK(has_error(&e, "load.model: must be \"closed\", \"constant\" or \"poisson\""));
	CHECK(has_error(&e, "memory: \"lots\" is not a size (bytes, or \"128Mi\", \"4Gi\")"));
	CHECK(has_error(&e, "target: not a string (a URL like \"http://198.18.0.2/\")"));
	CHECK(has_error(&e, "thresholds[0]: \"p99 < 20\": latency: expected a duration with a unit (\"20ms\", \"500us\", \"1.5s\")"));
	CHECK(has_error(&e, "allow[0]: not an IPv4 CIDR (A.B.C.D/LEN)"));
	CHECK(has_error(&e, "port.local_ip: not A.B.C.D/LEN"));
	CHECK_EQ(e.count, 10);
	fc_scenario_free(&sc);

	/* A full valid file: every field read. */
	fc_errors_init(&e);
	fc_scenario_init(&sc);
	CHECK_EQ(fc_scenario_load_string(
		"{\"target\": \"http://198.18.0.2:8080/x?y=1\","
		" \"load\": {\"model\": \"poisson\", \"rate\": \"20k\", \"connections\": \"1k\", \"duration\": \"2m\","
		"   \"ramp_up\": \"1.5s\", \"pipeline\": 4, \"keepalive\": true},"
		" \"headers\": {\"X-A\": \"1\"},"
		" \"requests\": [{\"method\": \"POST\", \"body\": \"abc\", \"weight\": 3, \"headers\": [\"X-B: 2\"]}],"
		" \"timeouts\": {\"connect\": \"500ms\", \"request\": 3},"
		" \"thresholds\": [\"p99 < 20ms\", \"errors < 1%\"], \"abort_on_fail\": true,"
		" \"output\": {\"json\": \"r.json\", \"hgrm\": \"r.hgrm\", \"latency\": true},"
		" \"cores\": 2, \"memory\": \"1Gi\", \"allow\": [\"10.0.0.0/8\"], \"profile\": \"drivers_cfg/tap.json\","
		" \"port\": {\"iface\": \"veth0\", \"local_ip\": \"198.18.0.1/24\", \"gateway\": \"198.18.0.254\"},"
		" \"eal\": \"--no-huge\", \"embedded\": false}",
		"t.json", &sc, &e), 0);
	dump(&e);
	CHECK_EQ(fc_scenario_validate(&sc, &lim, &e), 0);
	dump(&e);
	CHECK_EQ(sc.target.ip, htonl(0xc6120002));
	CHECK_EQ(sc.target.port, 8080);
	CHECK(strcmp(sc.target.path, "/x?y=1") == 0);
	CHECK_EQ(sc.load.model, FC_LOAD_POISSON);
	CHECK(sc.load.rate == 20000.0);
	CHECK_EQ(sc.load.connections, 1000);
	CHECK_EQ(sc.load.duration_ns, 120 * NS_S);
	CHECK_EQ(sc.load.ramp_up_ns, 1500 * NS_MS);
	CHECK_EQ(sc.load.pipeline, 4);
	CHECK_EQ(sc.num_headers, 1);
	CHECK(strcmp(sc.headers[0], "X-A: 1") == 0);
	CHECK_EQ(sc.num_requests, 1);
	CHECK(strcmp(sc.requests[0].method, "POST") == 0);
	CHECK_EQ(sc.requests[0].weight, 3);
	CHECK_EQ(sc.requests[0].body_len, 3);
	CHECK_EQ(sc.connect_timeout_ns, 500 * NS_MS);
	CHECK_EQ(sc.request_timeout_ns, 3 * NS_S);
	CHECK_EQ(sc.num_thresholds, 2);
	CHECK(sc.abort_on_fail);
	CHECK(strcmp(sc.output.json_path, "r.json") == 0);
	CHECK(strcmp(sc.output.hgrm_path, "r.hgrm") == 0);
	CHECK(sc.output.latency);
	CHECK_EQ(sc.cores, 2);
	CHECK_EQ(sc.memory, 1ull << 30);
	CHECK_EQ(sc.num_allow, 1);
	CHECK(strcmp(sc.profile_path, "drivers_cfg/tap.json") == 0);
	CHECK(strcmp(sc.port.iface, "veth0") == 0);
	CHECK_EQ(sc.port.local_ip, htonl(0xc6120001));
	CHECK_EQ(sc.port.local_prefix, 24);
	CHECK_EQ(sc.port.gateway, htonl(0xc61200fe));
	CHECK(strcmp(sc.eal, "--no-huge") == 0);

	/* The resolved scenario as JSON. */
	{
		cJSON *j = fc_scenario_to_json(&sc);
		cJSON *load = cJSON_GetObjectItem(j, "load");

		CHECK(j != NULL);
		CHECK(strcmp(cJSON_GetObjectItem(load, "model")->valuestring, "poisson") == 0);
		CHECK(strcmp(cJSON_GetObjectItem(load, "duration")->valuestring, "2m") == 0);
		CHECK(strcmp(cJSON_GetObjectItem(load, "ramp_up")->valuestring, "1500ms") == 0);
		CHECK(cJSON_GetObjectItem(load, "rate")->valuedouble == 20000.0);
		CHECK(strcmp(cJSON_GetObjectItem(j, "memory")->valuestring, "1Gi") == 0);
		CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "port"), "local_ip")->valuestring, "198.18.0.1/24") == 0);
		CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "limits"), "widened")));
		CHECK(strcmp(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "allow"), 0)->valuestring, "10.0.0.0/8") == 0);
		cJSON_Delete(j);
	}
	fc_scenario_free(&sc);

	/* Consistency rules. */
	fc_errors_init(&e);
	fc_scenario_init(&sc);
	CHECK_EQ(fc_scenario_load_string(
		"{\"target\": \"http://198.18.0.2/\", \"load\": {\"model\": \"closed\", \"rate\": 100,"
		" \"keepalive\": false, \"pipeline\": 2, \"duration\": \"10s\", \"ramp_up\": \"20s\"},"
		" \"abort_on_fail\": true, \"port\": {\"local_ip\": \"198.18.0.1/24\", \"gateway\": \"10.0.0.1\"}}",
		"t.json", &sc, &e), 0);
	CHECK_EQ(fc_scenario_validate(&sc, &lim, &e), -EINVAL);
	CHECK(has_error(&e, "load.rate: 100 is set but load.model is closed; use constant or poisson"));
	CHECK(has_error(&e, "load.pipeline: 2 needs keep-alive (a close-mode connection carries one request)"));
	CHECK(has_error(&e, "load.ramp_up: 20s is longer than load.duration 10s"));
	CHECK(has_error(&e, "abort_on_fail: set but there are no thresholds to fail"));
	CHECK(has_error(&e, "port.gateway: 10.0.0.1 is outside port.local_ip 198.18.0.1/24"));
	CHECK_EQ(e.count, 5);
	fc_scenario_free(&sc);

	/* An open model needs a rate; header injection in a request is caught by validation. */
	fc_errors_init(&e);
	fc_scenario_init(&sc);
	CHECK_EQ(fc_scenario_load_string(
		"{\"target\": \"http://198.18.0.2/\", \"load\": {\"model\": \"constant\"},"
		" \"requests\": [{\"path\": \"/a\"}, {\"path\": \"/b\", \"headers\": [\"X: a\\r\\nEvil: 1\"]}],"
		" \"headers\": [\"Bad Name: 1\"]}",
		"t.json", &sc, &e), 0);
	CHECK_EQ(fc_scenario_validate(&sc, &lim, &e), -EINVAL);
	CHECK(has_error(&e, "load.rate: missing; the constant model needs a rate (-R)"));
	CHECK(has_error(&e, "requests[1].headers[0]: header \"X\": the value contains CR or LF (header injection refused)"));
	CHECK_STR_CONTAINS(e.count >= 2 ? e.msg[1] : "", "headers[0]: header \"Bad Name: 1\": the name must be a non-empty token");
	CHECK_EQ(e.count, 3);
	fc_scenario_free(&sc);
}

static void
test_cli_flags(void)
{
	const char *scn = write_tmp("base.json",
		"{\"target\": \"http://198.18.0.9/\", \"load\": {\"connections\": 5, \"duration\": \"20s\"},"
		" \"headers\": [\"X-File: 1\"], \"cores\": 2}");
	char *argv[] = {"run", "-c", "64", "--duration=30s", "-R", "20k", "-t", "2", "-H", "X-A: 1",
		"--header", "X-B: 2", "--timeout", "3s", "--connect-timeout", "1s", "--latency",
		"--ramp-up", "5s", "--scenario", (char *)scn, "--profile", "drivers_cfg/af_packet.json",
		"--json", "out.json", "--hgrm", "out.hgrm", "--eal", "--no-huge -m 512", "--iface", "veth1",
		"--local-ip", "198.18.0.1/24", "--gateway", "198.18.0.254", "--allow", "10.0.0.0/8",
		"--allow", "192.168.1.7", "--threshold", "p99 < 20ms", "--threshold", "errors < 1%",
		"--abort-on-fail", "--pipeline", "2", "--poisson", "--method", "POST", "--body", "hello",
		"--memory", "1Gi", "http://198.18.0.2:8080/index.html"};
	struct fc_scenario sc;
	struct fc_errors e;

	CHECK_EQ(run_cli(ARGC(argv), argv, &sc, &e), 0);
	dump(&e);
	/* Flags win over the file whatever their position; the file's other fields stay. */
	CHECK_EQ(sc.load.connections, 64);
	CHECK_EQ(sc.load.duration_ns, 30 * NS_S);
	CHECK(sc.load.rate == 20000.0);
	CHECK_EQ(sc.load.model, FC_LOAD_POISSON);
	CHECK_EQ(sc.cores, 2);
	CHECK_EQ(sc.num_headers, 3);
	CHECK(sc.num_headers == 3 && strcmp(sc.headers[0], "X-File: 1") == 0);
	CHECK(sc.num_headers == 3 && strcmp(sc.headers[2], "X-B: 2") == 0);
	CHECK_EQ(sc.request_timeout_ns, 3 * NS_S);
	CHECK_EQ(sc.connect_timeout_ns, 1 * NS_S);
	CHECK(sc.output.latency);
	CHECK_EQ(sc.load.ramp_up_ns, 5 * NS_S);
	CHECK(strcmp(sc.source, scn) == 0);
	CHECK(strcmp(sc.profile_path, "drivers_cfg/af_packet.json") == 0);
	CHECK(strcmp(sc.output.json_path, "out.json") == 0);
	CHECK(strcmp(sc.output.hgrm_path, "out.hgrm") == 0);
	CHECK(strcmp(sc.eal, "--no-huge -m 512") == 0);
	CHECK(strcmp(sc.port.iface, "veth1") == 0);
	CHECK_EQ(sc.port.local_ip, htonl(0xc6120001));
	CHECK_EQ(sc.port.local_prefix, 24);
	CHECK_EQ(sc.port.gateway, htonl(0xc61200fe));
	CHECK_EQ(sc.num_allow, 2);
	CHECK_EQ(sc.allow[1].net, htonl(0xc0a80107));
	CHECK_EQ(sc.allow[1].prefix, 32);
	CHECK_EQ(sc.num_thresholds, 2);
	CHECK(sc.abort_on_fail);
	CHECK_EQ(sc.load.pipeline, 2);
	CHECK_EQ(sc.num_requests, 1);
	CHECK(strcmp(sc.requests[0].method, "POST") == 0);
	CHECK(sc.requests[0].body && strcmp(sc.requests[0].body, "hello") == 0);
	CHECK_EQ(sc.memory, 1ull << 30);
	CHECK_EQ(sc.target.ip, htonl(0xc6120002));
	CHECK_EQ(sc.target.port, 8080);
	CHECK(strcmp(sc.target.path, "/index.html") == 0);
	fc_scenario_free(&sc);

	/* --close, --embedded with no URL, --stages. */
	{
		char *a2[] = {"run", "--close", "--embedded", "--stages", "10s:1000:10,20s:5k:50,5s::5"};

		CHECK_EQ(run_cli(ARGC(a2), a2, &sc, &e), 0);
		dump(&e);
		CHECK(!sc.load.keepalive);
		CHECK(sc.embedded);
		CHECK(sc.target.set);
		CHECK(strcmp(sc.target.url, FC_SCENARIO_EMBEDDED_TARGET) == 0);
		CHECK_EQ(sc.num_stages, 3);
		CHECK_EQ(sc.load.model, FC_LOAD_CONSTANT);
		CHECK_EQ(sc.load.duration_ns, 35 * NS_S);
		CHECK(sc.stages[1].rate == 5000.0);
		CHECK_EQ(sc.stages[1].connections, 50);
		/* A stage without a rate keeps the previous one. */
		CHECK(sc.stages[2].rate == 5000.0);
		CHECK_EQ(sc.stages[2].connections, 5);
		fc_scenario_free(&sc);
	}
	/* The close mode renders Connection: close. */
	{
		char *a3[] = {"run", "--close", "http://198.18.0.2/"};
		struct fc_http_mix mix;

		CHECK_EQ(run_cli(ARGC(a3), a3, &sc, &e), 0);
		memset(&mix, 0, sizeof(mix));
		CHECK_EQ(fc_scenario_build_mix(&sc, &mix, &e), 0);
		CHECK_EQ(mix.n, 1);
		CHECK(mix.tmpl[0].close);
		CHECK(mix.n == 1 && mix.tmpl[0].len == strlen("GET / HTTP/1.1\r\nHost: 198.18.0.2\r\nConnection: close\r\n\r\n") &&
			memcmp(mix.tmpl[0].buf, "GET / HTTP/1.1\r\nHost: 198.18.0.2\r\nConnection: close\r\n\r\n", mix.tmpl[0].len) == 0);
		fc_http_mix_free(&mix);
		fc_scenario_free(&sc);
	}
	/* Stages with errors; stages + duration disagreement; stages + ramp-up. */
	{
		char *a4[] = {"run", "--stages", "1s:1000:10,2s:500k:60000", "-d", "10s", "--ramp-up", "1s",
			"http://198.18.0.2/"};

		CHECK_EQ(run_cli(ARGC(a4), a4, &sc, &e), 4);
		CHECK(has_error(&e, "stages[1].rate: 500k is above the limit 100000"));
		CHECK(has_error(&e, "stages[1].connections: 60000 is above the limit 50000"));
		CHECK(has_error(&e, "load.ramp_up: cannot be combined with stages (each stage ramps linearly)"));
		CHECK(has_error(&e, "load.duration: 10s differs from the sum of the stages 3s; give one of them"));
		fc_scenario_free(&sc);
	}
	{
		char *a5[] = {"run", "--stages", "2s:100:10,3s:0:0", "http://198.18.0.2/"};

		CHECK_EQ(run_cli(ARGC(a5), a5, &sc, &e), 1);
		CHECK(has_error(&e, "stages: total duration 5s is below the limit 10s"));
		fc_scenario_free(&sc);
	}
	{
		char *a6[] = {"run", "--stages", "10s:abc:1,x:1:1,10s", "http://198.18.0.2/"};

		CHECK(run_cli(ARGC(a6), a6, &sc, &e) >= 3);
		CHECK(has_error(&e, "stages[0].rate: \"abc\" is not a rate"));
		CHECK(has_error(&e, "--stages: \"x:1:1\" is not DURATION:RATE:CONNECTIONS (e.g. 10s:1000:10)"));
		CHECK(has_error(&e, "stages[2]: give a rate, connections or both (\"10s\")"));
		fc_scenario_free(&sc);
	}
}

static void
test_cli_errors(void)
{
	struct fc_scenario sc;
	struct fc_errors e;
	struct fc_limits lim;

	{
		char *a[] = {"run", "--bogus", "-x", "http://198.18.0.2/"};

		CHECK_EQ(run_cli(ARGC(a), a, &sc, &e), 2);
		CHECK(has_error(&e, "--bogus: unknown flag (see --help)"));
		CHECK(has_error(&e, "-x: unknown flag (see --help)"));
		fc_scenario_free(&sc);
	}
	{
		char *a[] = {"run", "http://198.18.0.2/", "-c"};

		CHECK_EQ(run_cli(ARGC(a), a, &sc, &e), 1);
		CHECK(has_error(&e, "-c/--connections: missing value"));
		fc_scenario_free(&sc);
	}
	{
		char *a[] = {"run", "--duration"};

		CHECK_EQ(run_cli(ARGC(a), a, &sc, &e), 1);
		CHECK(has_error(&e, "-d/--duration: missing value"));
		fc_scenario_free(&sc);
	}
	{
		char *a[] = {"run", "-c", "many", "-d", "soon", "-R", "fast", "--local-ip", "1.2.3.4",
			"--gateway", "x", "--allow", "1.2.3.4/99", "--threshold", "p99 > ", "--memory", "big",
			"http://198.18.0.2/", "extra"};

		CHECK_EQ(run_cli(ARGC(a), a, &sc, &e), 10);
		CHECK(has_error(&e, "-c/--connections: \"many\" is not a count (e.g. 64, 100k)"));
		CHECK(has_error(&e, "-d/--duration: \"soon\" is not a duration (e.g. 250ms, 10s, 2m, 1h)"));
		CHECK(has_error(&e, "-R/--rate: \"fast\" is not a rate (e.g. 20000, 20k, 0.5)"));
		CHECK(has_error(&e, "--local-ip: \"1.2.3.4\" is not A.B.C.D/LEN"));
		CHECK(has_error(&e, "--gateway: \"x\" is not an IPv4 address"));
		CHECK(has_error(&e, "--allow: \"1.2.3.4/99\" is not an IPv4 CIDR (A.B.C.D/LEN)"));
		CHECK(has_error(&e, "--threshold: \"p99 > \": expected a value after the operator"));
		CHECK(has_error(&e, "--memory: \"big\" is not a size (e.g. 512Mi, 2Gi)"));
		CHECK(has_error(&e, "\"http://198.18.0.2/\": unexpected argument (the target URL is the last argument)"));
		CHECK(has_error(&e, "target: \"extra\" is not a URL (http://A.B.C.D[:PORT][/PATH])"));
		fc_scenario_free(&sc);
	}
	{
		/* Validation after a flag error still gathers the rest, without a second target error. */
		char *a[] = {"run", "-c", "0", "https://198.18.0.2/"};

		fc_limits_default(&lim);
		fc_errors_init(&e);
		fc_scenario_init(&sc);
		CHECK_EQ(fc_scenario_from_argv(ARGC(a), a, &sc, &lim, &e), -EINVAL);
		CHECK_EQ(fc_scenario_validate(&sc, &lim, &e), -EINVAL);
		CHECK_EQ(e.count, 2);
		CHECK(has_error(&e, "target.scheme: https is not supported (http only)"));
		CHECK(has_error(&e, "load.connections: 0 is below the limit 1"));
		fc_scenario_free(&sc);
	}
	{
		char *a[] = {"run", "-c", "10"};

		CHECK_EQ(run_cli(ARGC(a), a, &sc, &e), 1);
		CHECK(has_error(&e, "target: missing; give a URL like http://198.18.0.2/ as the last argument or \"target\" in the scenario"));
		fc_scenario_free(&sc);
	}
	{
		char *a[] = {"run", "-c", "10", "--help", "http://198.18.0.2/"};

		fc_limits_default(&lim);
		fc_errors_init(&e);
		fc_scenario_init(&sc);
		CHECK_EQ(fc_scenario_from_argv(ARGC(a), a, &sc, &lim, &e), FC_SCENARIO_HELP);
		fc_scenario_free(&sc);
	}
	{
		char *a[] = {"run", "--scenario", "/nonexistent.json", "http://198.18.0.2/"};

		CHECK_EQ(run_cli(ARGC(a), a, &sc, &e), 1);
		CHECK_STR_CONTAINS(e.msg[0], "/nonexistent.json: cannot open");
		fc_scenario_free(&sc);
	}
	/* Usage text mentions every flag family. */
	{
		char buf[8192];
		FILE *f = fmemopen(buf, sizeof(buf), "w");

		fc_scenario_usage(f);
		fclose(f);
		CHECK_STR_CONTAINS(buf, "-c, --connections N");
		CHECK_STR_CONTAINS(buf, "--stages LIST");
		CHECK_STR_CONTAINS(buf, "--embedded");
	}
}

static void
test_limits(void)
{
	const char *lf = write_tmp("limits.json",
		"{\"connections\": {\"max\": 200000}, \"rate\": {\"max\": \"5M\"}, \"duration\": {\"min\": \"1s\","
		" \"max\": \"72h\"}, \"memory\": {\"max\": \"1Ti\"}}");
	char *a[] = {"run", "--limits", (char *)lf, "-c", "150000", "-R", "4M", "-d", "2s", "--memory", "1Ti",
		"http://198.18.0.2/"};
	char *b[] = {"run", "--limits", (char *)lf, "-c", "250000", "-d", "73h", "http://198.18.0.2/"};
	struct fc_scenario sc;
	struct fc_errors e;
	struct fc_limits lim;
	cJSON *j;

	CHECK_EQ(run_cli(ARGC(a), a, &sc, &e), 0);
	dump(&e);
	CHECK(sc.limits_widened);
	CHECK(strcmp(sc.limits_path, lf) == 0);
	j = fc_scenario_to_json(&sc);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "limits"), "widened")));
	cJSON_Delete(j);
	fc_scenario_free(&sc);

	CHECK_EQ(run_cli(ARGC(b), b, &sc, &e), 2);
	CHECK(has_error(&e, "load.connections: 250000 is above the limit 200000"));
	CHECK(has_error(&e, "load.duration: 73h is above the limit 72h"));
	fc_scenario_free(&sc);

	fc_limits_default(&lim);
	fc_errors_init(&e);
	lf = write_tmp("badlimits.json", "{\"conns\": {\"max\": 5}, \"rate\": {\"min\": 10, \"max\": 1, \"avg\": 2},"
		" \"cores\": {\"max\": \"x\"}}");
	CHECK_EQ(fc_limits_load(lf, &lim, &e), -EINVAL);
	CHECK(has_error(&e, "conns: unknown field"));
	CHECK(has_error(&e, "rate.avg: unknown field"));
	CHECK(has_error(&e, "rate: min is above max"));
	CHECK(has_error(&e, "cores.max: \"x\" is not a count (a whole number >= 0, suffixes k, M: \"100k\")"));
	CHECK(!lim.widened);
}

static void
test_allow_list(void)
{
	struct fc_scenario sc;
	struct fc_errors e;

	{
		char *a[] = {"run", "http://10.0.0.1/"};

		CHECK_EQ(run_cli(ARGC(a), a, &sc, &e), 1);
		CHECK(has_error(&e, "target.host: 10.0.0.1 is outside the allow-list (198.18.0.0/15, 127.0.0.0/8); add it with --allow 10.0.0.1/32 or an \"allow\" entry"));
		fc_scenario_free(&sc);
	}
	{
		char *a[] = {"run", "--allow", "10.0.0.0/8", "http://10.0.0.1/"};

		CHECK_EQ(run_cli(ARGC(a), a, &sc, &e), 0);
		fc_scenario_free(&sc);
	}
	{
		char *a[] = {"run", "--allow", "10.0.0.0/24", "http://10.0.1.1/"};

		CHECK_EQ(run_cli(ARGC(a), a, &sc, &e), 1);
		CHECK(has_error(&e, "target.host: 10.0.1.1 is outside the allow-list (198.18.0.0/15, 127.0.0.0/8, 10.0.0.0/24); add it with --allow 10.0.1.1/32 or an \"allow\" entry"));
		fc_scenario_free(&sc);
	}
	fc_scenario_init(&sc);
	/* Edges of the default networks. */
	CHECK(fc_scenario_target_allowed(&sc, htonl(0xc6120000)));  /* 198.18.0.0 */
	CHECK(fc_scenario_target_allowed(&sc, htonl(0xc613ffff)));  /* 198.19.255.255 */
	CHECK(!fc_scenario_target_allowed(&sc, htonl(0xc611ffff))); /* 198.17.255.255 */
	CHECK(!fc_scenario_target_allowed(&sc, htonl(0xc6140000))); /* 198.20.0.0 */
	CHECK(fc_scenario_target_allowed(&sc, htonl(0x7f000001)));  /* 127.0.0.1 */
	CHECK(!fc_scenario_target_allowed(&sc, htonl(0x80000001))); /* 128.0.0.1 */
	/* The embedded pair is always allowed: no allow-list error even for another address. */
	{
		char *a[] = {"run", "--embedded", "http://10.9.9.9/"};

		CHECK_EQ(run_cli(ARGC(a), a, &sc, &e), 0);
		fc_scenario_free(&sc);
	}
	/* URL forms. */
	{
		struct fc_scenario_target t;

		fc_errors_init(&e);
		CHECK_EQ(fc_scenario_set_target("https://198.18.0.2/", &t, &e), -EINVAL);
		CHECK(has_error(&e, "target.scheme: https is not supported (http only)"));
		CHECK_EQ(fc_scenario_set_target("http://198.18.0.2:0/", &t, &e), -EINVAL);
		CHECK(has_error(&e, "target.port: 0 is not a port (1..65535)"));
		CHECK_EQ(fc_scenario_set_target("http://198.18.0.2:65536/", &t, &e), -EINVAL);
		CHECK(has_error(&e, "target.port: 65536 is not a port (1..65535)"));
		CHECK_EQ(fc_scenario_set_target("http://[::1]/", &t, &e), -EINVAL);
		CHECK(has_error(&e, "target.host: IPv6 is not supported, give an IPv4 address"));
		CHECK_EQ(fc_scenario_set_target("http://198.18.0/", &t, &e), -EINVAL);
		CHECK(has_error(&e, "target.host: 198.18.0 is not an IPv4 address"));
		CHECK_EQ(fc_scenario_set_target("HTTP://198.18.0.2:65535?q=1", &t, &e), 0);
		CHECK_EQ(t.port, 65535);
		CHECK(strcmp(t.path, "/?q=1") == 0);
		CHECK_EQ(fc_scenario_set_target("http://127.0.0.1", &t, &e), 0);
		CHECK_EQ(t.port, 80);
		CHECK(strcmp(t.path, "/") == 0);
		CHECK(strcmp(t.host, "127.0.0.1") == 0);
	}
}

/* A resolver for the tests: names in a fixed table; counts its calls. */
static unsigned fake_resolver_calls;

static int
fake_resolve(const char *name, uint32_t *ip, char *why, size_t len)
{
	static const struct { const char *name, *addr; } table[] = {
		{"bench.test", "198.18.0.2"},
		{"outside.test", "192.0.2.1"},
	};

	fake_resolver_calls++;
	for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(name, table[i].name) == 0) {
			inet_pton(AF_INET, table[i].addr, ip);
			return 0;
		}
	}
	snprintf(why, len, "Name or service not known");
	return -ENOENT;
}

/* argv through the CLI and validation with fake_resolve; returns the error count. */
static unsigned
run_cli_fake(int argc, char **argv, struct fc_scenario *sc, struct fc_errors *e)
{
	struct fc_limits lim;

	fc_limits_default(&lim);
	fc_errors_init(e);
	fc_scenario_init(sc);
	sc->resolve = fake_resolve;
	if (fc_scenario_from_argv(argc, argv, sc, &lim, e) == 0)
		fc_scenario_validate(sc, &lim, e);
	return fc_errors_total(e);
}

/* The request the mix renders for @p sc, compared with @p want. */
static bool
mix_is(const struct fc_scenario *sc, const char *want)
{
	struct fc_http_mix mix;
	struct fc_errors e;
	bool same;

	memset(&mix, 0, sizeof(mix));
	fc_errors_init(&e);
	if (fc_scenario_build_mix(sc, &mix, &e) != 0 || mix.n != 1)
		return false;
	same = mix.tmpl[0].len == strlen(want) && memcmp(mix.tmpl[0].buf, want, mix.tmpl[0].len) == 0;
	if (!same)
		fprintf(stderr, "mix: %.*s\n", (int)mix.tmpl[0].len, (const char *)mix.tmpl[0].buf);
	fc_http_mix_free(&mix);
	return same;
}

static void
test_host_names(void)
{
	struct fc_scenario_target t;
	struct fc_scenario sc;
	struct fc_errors e;
	char why[128];
	uint32_t ip = 0;

	/* Form: a name is accepted by the parser and left for validation to resolve. */
	fc_errors_init(&e);
	CHECK_EQ(fc_scenario_set_target("http://localhost:8080/x?y=1", &t, &e), 0);
	CHECK(t.named && !t.resolved && t.ip == 0);
	CHECK(strcmp(t.host, "localhost") == 0 && t.port == 8080 && strcmp(t.path, "/x?y=1") == 0);
	CHECK_EQ(fc_scenario_set_target("http://Bench-1.example.test./", &t, &e), 0);
	CHECK(t.named && strcmp(t.host, "Bench-1.example.test.") == 0);
	CHECK_EQ(fc_scenario_set_target("http://198.18.0.2/", &t, &e), 0);
	CHECK(!t.named && t.resolved && t.ip == htonl(0xc6120002));
	CHECK_EQ(fc_errors_total(&e), 0);
	CHECK_EQ(fc_scenario_set_target("http://-bad.test/", &t, &e), -EINVAL);
	CHECK(has_error(&e, "target.host: -bad.test is neither an IPv4 address nor a host name (letters, digits, '-' and '.')"));
	CHECK_EQ(fc_scenario_set_target("http://bad-.test/", &t, &e), -EINVAL);
	CHECK(has_error(&e, "target.host: bad-.test is neither an IPv4 address nor a host name (letters, digits, '-' and '.')"));
	CHECK_EQ(fc_scenario_set_target("http://a..test/", &t, &e), -EINVAL);
	CHECK(has_error(&e, "target.host: a..test is neither an IPv4 address nor a host name (letters, digits, '-' and '.')"));
	CHECK_EQ(fc_scenario_set_target("http://under_score.test/", &t, &e), -EINVAL);
	CHECK(has_error(&e, "target.host: under_score.test is neither an IPv4 address nor a host name (letters, digits, '-' and '.')"));
	CHECK_EQ(fc_scenario_set_target("http://a.0x7f.1/", &t, &e), -EINVAL);
	CHECK(has_error(&e, "target.host: a.0x7f.1 is neither an IPv4 address nor a host name (letters, digits, '-' and '.')"));
	CHECK_EQ(fc_scenario_set_target("http://1234567890/", &t, &e), -EINVAL);
	CHECK(has_error(&e, "target.host: 1234567890 is not an IPv4 address"));
	/* A label of 64 characters is too long (RFC 1123: 63). */
	CHECK_EQ(fc_scenario_set_target("http://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.t/", &t, &e), -EINVAL);

	/* The real resolver, on a name every /etc/hosts has. */
	CHECK_EQ(fc_scenario_resolve_ipv4("localhost", &ip, why, sizeof(why)), 0);
	CHECK_EQ(ip, htonl(0x7f000001));
	/* Numeric forms getaddrinfo() would take are refused: only dotted quads are addresses. */
	CHECK_EQ(fc_scenario_resolve_ipv4("0x7f000001", &ip, why, sizeof(why)), -EINVAL);
	CHECK(strcmp(why, "a numeric address, not a name: write it as a dotted quad") == 0);
	CHECK_EQ(fc_scenario_resolve_ipv4("2130706433", &ip, why, sizeof(why)), -EINVAL);

	/* The CLI with the real resolver: localhost is 127.0.0.1 (allowed), Host keeps the name. */
	{
		char *a[] = {"run", "http://localhost/"};
		char *b[] = {"run", "http://localhost:8080/p"};

		CHECK_EQ(run_cli(ARGC(a), a, &sc, &e), 0);
		dump(&e);
		CHECK(sc.target.resolved && sc.target.ip == htonl(0x7f000001));
		CHECK(mix_is(&sc, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
		fc_scenario_free(&sc);
		CHECK_EQ(run_cli(ARGC(b), b, &sc, &e), 0);
		CHECK(sc.target.ip == htonl(0x7f000001) && sc.target.port == 8080);
		CHECK(mix_is(&sc, "GET /p HTTP/1.1\r\nHost: localhost:8080\r\n\r\n"));
		fc_scenario_free(&sc);
	}
	/* A name outside the allow-list: checked on the address, the message names both. */
	{
		char *a[] = {"run", "http://outside.test/"};
		char *b[] = {"run", "--allow", "192.0.2.0/24", "http://outside.test/"};

		CHECK_EQ(run_cli_fake(ARGC(a), a, &sc, &e), 1);
		CHECK(has_error(&e, "target.host: outside.test (resolved to 192.0.2.1) is outside the allow-list (198.18.0.0/15, 127.0.0.0/8); add it with --allow 192.0.2.1/32 or an \"allow\" entry"));
		fc_scenario_free(&sc);
		CHECK_EQ(run_cli_fake(ARGC(b), b, &sc, &e), 0);
		CHECK(sc.target.ip == htonl(0xc0000201));
		fc_scenario_free(&sc);
	}
	/* A name that does not resolve: one error naming the field and the value. */
	{
		char *a[] = {"run", "-c", "5", "http://nope.test/"};

		CHECK_EQ(run_cli_fake(ARGC(a), a, &sc, &e), 1);
		CHECK(has_error(&e, "target.host: nope.test does not resolve to an IPv4 address (Name or service not known)"));
		CHECK(!sc.target.resolved);
		fc_scenario_free(&sc);
	}
	/* Resolved once: a second validation does not ask the resolver again. */
	{
		char *a[] = {"run", "http://bench.test:81/"};
		struct fc_limits lim;

		fake_resolver_calls = 0;
		CHECK_EQ(run_cli_fake(ARGC(a), a, &sc, &e), 0);
		CHECK_EQ(fake_resolver_calls, 1);
		fc_limits_default(&lim);
		CHECK_EQ(fc_scenario_validate(&sc, &lim, &e), 0);
		CHECK_EQ(fake_resolver_calls, 1);
		CHECK(sc.target.ip == htonl(0xc6120002));
		CHECK(mix_is(&sc, "GET / HTTP/1.1\r\nHost: bench.test:81\r\n\r\n"));
		fc_scenario_free(&sc);
	}
	/* The same from a scenario file's "target". */
	{
		struct fc_limits lim;

		fc_limits_default(&lim);
		fc_errors_init(&e);
		fc_scenario_init(&sc);
		sc.resolve = fake_resolve;
		CHECK_EQ(fc_scenario_load_string("{\"target\": \"http://bench.test/a\"}", "t.json", &sc, &e), 0);
		CHECK_EQ(fc_scenario_validate(&sc, &lim, &e), 0);
		CHECK(sc.target.ip == htonl(0xc6120002));
		CHECK(mix_is(&sc, "GET /a HTTP/1.1\r\nHost: bench.test\r\n\r\n"));
		fc_scenario_free(&sc);
	}
}

static uint64_t
fake_percentile(void *ctx, double p)
{
	(void)ctx;
	/* 25.3 ms at p99 and above, 4 ms below. */
	return p >= 99 ? 25300000ull : 4000000ull;
}

static void
test_thresholds(void)
{
	struct fc_threshold th;
	struct fc_metrics m = {
		.requests = 1000, .errors = 1, .rps = 999.5, .min_ns = 100000, .max_ns = 90000000,
		.mean_ns = 3500000, .percentile = fake_percentile,
	};
	char msg[128], err[128];

	CHECK_EQ(fc_threshold_parse("p99 < 20ms", &th, err, sizeof(err)), 0);
	CHECK_EQ(th.metric, FC_TH_PERCENTILE);
	CHECK(th.percentile == 99.0);
	CHECK_EQ(th.op, FC_TH_LT);
	CHECK(th.value == 20e6);
	CHECK_EQ(fc_threshold_eval(&th, &m, msg, sizeof(msg)), 0);
	CHECK(strcmp(msg, "p99 < 20ms: 25.300ms, failed") == 0);

	CHECK_EQ(fc_threshold_parse("p50<5ms", &th, err, sizeof(err)), 0);
	CHECK_EQ(fc_threshold_eval(&th, &m, msg, sizeof(msg)), 1);
	CHECK(strcmp(msg, "p50<5ms: 4.000ms, ok") == 0);

	CHECK_EQ(fc_threshold_parse("p99.9 <= 25.3ms", &th, err, sizeof(err)), 0);
	CHECK(th.percentile == 99.9);
	CHECK_EQ(th.op, FC_TH_LE);
	CHECK_EQ(fc_threshold_eval(&th, &m, msg, sizeof(msg)), 1);

	CHECK_EQ(fc_threshold_parse("errors < 1%", &th, err, sizeof(err)), 0);
	CHECK(th.percent);
	CHECK(th.value == 0.01);
	CHECK_EQ(fc_threshold_eval(&th, &m, msg, sizeof(msg)), 1);
	CHECK(strcmp(msg, "errors < 1%: 0.100%, ok") == 0);
	CHECK_EQ(fc_threshold_parse("errors < 0.05%", &th, err, sizeof(err)), 0);
	CHECK_EQ(fc_threshold_eval(&th, &m, msg, sizeof(msg)), 0);
	CHECK_EQ(fc_threshold_parse("errors <= 1", &th, err, sizeof(err)), 0);
	CHECK(!th.percent);
	CHECK_EQ(fc_threshold_eval(&th, &m, msg, sizeof(msg)), 1);
	CHECK(strcmp(msg, "errors <= 1: 1, ok") == 0);

	CHECK_EQ(fc_threshold_parse("rps > 1000", &th, err, sizeof(err)), 0);
	CHECK_EQ(th.metric, FC_TH_RPS);
	CHECK_EQ(th.op, FC_TH_GT);
	CHECK_EQ(fc_threshold_eval(&th, &m, msg, sizeof(msg)), 0);
	CHECK(strcmp(msg, "rps > 1000: 999.5, failed") == 0);
	CHECK_EQ(fc_threshold_parse("rps >= 0.9k", &th, err, sizeof(err)), 0);
	CHECK_EQ(fc_threshold_eval(&th, &m, msg, sizeof(msg)), 1);

	CHECK_EQ(fc_threshold_parse("max < 100ms", &th, err, sizeof(err)), 0);
	CHECK_EQ(fc_threshold_eval(&th, &m, msg, sizeof(msg)), 1);
	CHECK(strcmp(msg, "max < 100ms: 90.000ms, ok") == 0);
	CHECK_EQ(fc_threshold_parse("avg < 3ms", &th, err, sizeof(err)), 0);
	CHECK_EQ(th.metric, FC_TH_MEAN);
	CHECK_EQ(fc_threshold_eval(&th, &m, msg, sizeof(msg)), 0);
	CHECK_EQ(fc_threshold_parse("min > 50us", &th, err, sizeof(err)), 0);
	CHECK_EQ(fc_threshold_eval(&th, &m, msg, sizeof(msg)), 1);
	CHECK(strcmp(msg, "min > 50us: 100.000us, ok") == 0);

	/* No requests: the error ratio is 0. */
	m.requests = 0;
	m.errors = 0;
	CHECK_EQ(fc_threshold_parse("errors < 1%", &th, err, sizeof(err)), 0);
	CHECK_EQ(fc_threshold_eval(&th, &m, msg, sizeof(msg)), 1);
	m.percentile = NULL;
	CHECK_EQ(fc_threshold_parse("p99 < 1s", &th, err, sizeof(err)), 0);
	CHECK_EQ(fc_threshold_eval(&th, &m, msg, sizeof(msg)), -EINVAL);

	CHECK_EQ(fc_threshold_parse("p99 < 20", &th, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "with a unit");
	CHECK_EQ(fc_threshold_parse("p0 < 1ms", &th, err, sizeof(err)), -EINVAL);
	CHECK_EQ(fc_threshold_parse("p101 < 1ms", &th, err, sizeof(err)), -EINVAL);
	CHECK_EQ(fc_threshold_parse("foo < 1", &th, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "unknown metric");
	CHECK_EQ(fc_threshold_parse("p99 20ms", &th, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "operator");
	CHECK_EQ(fc_threshold_parse("errors < 150%", &th, err, sizeof(err)), -EINVAL);
	CHECK_EQ(fc_threshold_parse("", &th, err, sizeof(err)), -EINVAL);
}

static void
test_mix_from_file(const char *dir)
{
	char path[512];
	struct fc_scenario sc;
	struct fc_errors e;
	struct fc_limits lim;
	struct fc_http_mix mix;
	static const char post[] =
		"POST /api/items HTTP/1.1\r\nHost: 198.18.0.2:8080\r\nUser-Agent: flashcrowd\r\nAccept: */*\r\n"
		"Content-Type: application/json\r\nContent-Length: 25\r\n\r\n{\"name\":\"widget\",\"qty\":1}";

	snprintf(path, sizeof(path), "%s/weighted-mix.json", dir);
	fc_limits_default(&lim);
	fc_errors_init(&e);
	fc_scenario_init(&sc);
	CHECK_EQ(fc_scenario_load_file(path, &sc, &e), 0);
	CHECK_EQ(fc_scenario_validate(&sc, &lim, &e), 0);
	dump(&e);
	memset(&mix, 0, sizeof(mix));
	CHECK_EQ(fc_scenario_build_mix(&sc, &mix, &e), 0);
	CHECK_EQ(mix.n, 4);
	CHECK_EQ(mix.total, 100);
	CHECK(mix.n == 4 && mix.tmpl[3].is_head);
	CHECK(mix.n == 4 && mix.tmpl[2].len == sizeof(post) - 1 && memcmp(mix.tmpl[2].buf, post, sizeof(post) - 1) == 0);
	CHECK(mix.n == 4 && strstr(mix.tmpl[1].buf, "X-Request-Kind: list\r\n") != NULL);
	fc_http_mix_free(&mix);
	fc_scenario_free(&sc);
}

static void
test_scenarios_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned files = 0;

	CHECK(d != NULL);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char path[512];
		struct fc_scenario sc;
		struct fc_errors e;
		struct fc_limits lim;

		if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fc_limits_default(&lim);
		fc_errors_init(&e);
		fc_scenario_init(&sc);
		fc_scenario_load_file(path, &sc, &e);
		if (fc_errors_total(&e) == 0)
			fc_scenario_validate(&sc, &lim, &e);
		if (fc_errors_total(&e)) {
			fprintf(stderr, "%s:\n", path);
			dump(&e);
		}
		CHECK_EQ(fc_errors_total(&e), 0);
		fc_scenario_free(&sc);
		files++;
	}
	closedir(d);
	CHECK(files >= 6);
	printf("validated %u scenario files in %s\n", files, dir);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "scenarios";

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_units();
	test_bounds();
	test_bounds_json();
	test_all_errors_at_once();
	test_json_load();
	test_cli_flags();
	test_cli_errors();
	test_limits();
	test_allow_list();
	test_host_names();
	test_thresholds();
	test_mix_from_file(dir);
	test_scenarios_dir(dir);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	return fc_test_result("scenario");
}
