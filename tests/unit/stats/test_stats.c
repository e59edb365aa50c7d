/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/stats: counter sums (also under a concurrent writer), the JSON report parsed back
 * key by key, the wrk2/h2load summary lines with hand-computed numbers, and Prometheus.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fc_stats.h"
#include "fc_test.h"

static void
fill(struct fc_stats_core *c, uint64_t base)
{
	memset(c, 0, sizeof(*c));
	c->req_sent = base + 100;
	c->req_completed = base + 90;
	for (int k = 0; k < FC_STATS_ERR_MAX; k++)
		c->err[k] = base + k;
	for (int k = 0; k < 6; k++)
		c->status[k] = base * 10 + k;
	c->bytes_rx = base * 1000;
	c->bytes_tx = base * 100;
	c->conn_open = base + 3;
	c->connects = base + 4;
	c->connect_attempts = base + 5;
	c->sched_late = base + 6;
	c->sched_behind = base + 7;
	c->req_retried = base + 8;
}

static void
test_sum(void)
{
	struct fc_stats_core cores[3], tot;

	for (int i = 0; i < 3; i++)
		fill(&cores[i], (uint64_t)(i + 1) * 1000);
	fc_stats_collect(&tot, cores, 3);
	/* bases 1000, 2000, 3000: sums are 6000 + 3 * offset */
	CHECK_EQ(tot.req_sent, 6300);
	CHECK_EQ(tot.req_completed, 6270);
	for (int k = 0; k < FC_STATS_ERR_MAX; k++)
		CHECK_EQ(tot.err[k], 6000 + 3 * k);
	for (int k = 0; k < 6; k++)
		CHECK_EQ(tot.status[k], 60000 + 3 * k);
	CHECK_EQ(tot.bytes_rx, 6000000);
	CHECK_EQ(tot.bytes_tx, 600000);
	CHECK_EQ(tot.conn_open, 6009);
	CHECK_EQ(tot.connects, 6012);
	CHECK_EQ(tot.connect_attempts, 6015);
	CHECK_EQ(tot.sched_late, 6018);
	CHECK_EQ(tot.sched_behind, 6021);
	CHECK_EQ(tot.req_retried, 6024);
	CHECK_EQ(fc_stats_errors_total(&tot), 6 * 6000 + 3 * (0 + 1 + 2 + 3 + 4 + 5));
	CHECK_EQ(sizeof(struct fc_stats_core) % 64, 0);

	struct fc_stats_core c;
	memset(&c, 0, sizeof(c));
	fc_stats_status(&c, 200);
	fc_stats_status(&c, 204);
	fc_stats_status(&c, 302);
	fc_stats_status(&c, 404);
	fc_stats_status(&c, 503);
	fc_stats_status(&c, 101);
	fc_stats_status(&c, 42);
	fc_stats_status(&c, 600);
	CHECK(c.status[0] == 2 && c.status[1] == 1 && c.status[2] == 2 && c.status[3] == 1 &&
	      c.status[4] == 1 && c.status[5] == 1);
	FC_STATS_INC(&c, req_sent);
	fc_stats_add(&c.conn_open, 5);
	fc_stats_sub(&c.conn_open, 2);
	CHECK_EQ(c.req_sent, 1);
	CHECK_EQ(c.conn_open, 3);
	CHECK(strcmp(fc_stats_err_name(FC_STATS_ERR_PARSE), "parse") == 0);
}

/* A worker increments while the control core snapshots: snapshots never go backwards
 * and the final one is exact. */
struct conc {
	struct fc_stats_core st;
	int done;
};

static void *
worker(void *arg)
{
	struct conc *c = arg;

	for (uint64_t i = 0; i < 2000000; i++) {
		FC_STATS_INC(&c->st, req_sent);
		fc_stats_add(&c->st.bytes_tx, 3);
		FC_STATS_INC(&c->st, req_completed);
	}
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void
test_concurrent(void)
{
	static struct conc c;
	struct fc_stats_core snap;
	uint64_t prev = 0, backwards = 0, snaps = 0;
	pthread_t t;

	CHECK(pthread_create(&t, NULL, worker, &c) == 0);
	for (int i = 0; i < 10000000 && !__atomic_load_n(&c.done, __ATOMIC_ACQUIRE); i++) {
		fc_stats_snapshot(&snap, &c.st);
		if (snap.req_sent < prev)
			backwards++;
		prev = snap.req_sent;
		snaps++;
	}
	pthread_join(t, NULL);
	fc_stats_snapshot(&snap, &c.st);
	CHECK_EQ(backwards, 0);
	CHECK_EQ(snap.req_sent, 2000000);
	CHECK_EQ(snap.bytes_tx, 6000000);
	printf("concurrent: %" PRIu64 " snapshots\n", snaps);
}

/* Reference bucket top (HdrHistogram highest equivalent value, 3 digits) by plain reasoning. */
static uint64_t
ref_hi(uint64_t v)
{
	if (v < 2048)
		return v;
	unsigned b = 63 - (unsigned)__builtin_clzll(v);
	uint64_t w = 1ull << (b - 10);
	return v / w * w + w - 1;
}

static double
num(const cJSON *root, const char *path)
{
	char buf[128], *save = NULL, *tok;
	const cJSON *o = root;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		o = cJSON_GetObjectItemCaseSensitive(o, tok);
	if (o == NULL || !cJSON_IsNumber(o)) {
		fprintf(stderr, "missing number %s\n", path);
		return NAN;
	}
	return o->valuedouble;
}

#define CHECK_NUM(root, path, expect) do { \
	double got_ = num((root), (path)), exp_ = (double)(expect); \
	fc_test_checks++; \
	if (!(fabs(got_ - exp_) <= 1e-9 * fmax(1.0, fabs(exp_)))) { \
		fc_test_failures++; \
		fprintf(stderr, "%s:%d: %s = %.17g, expected %.17g\n", __FILE__, __LINE__, \
			(path), got_, exp_); \
	} \
} while (0)

/* 1000 requests, latencies 1..1000 us; 2 cores; known errors. */
static struct fc_report *
make_report(bool uncorrected)
{
	struct fc_report *r = fc_report_create();
	struct fc_hist *h = fc_hist_create(-1), *u = fc_hist_create(-1);
	struct fc_stats_core c[2];
	cJSON *sc = cJSON_Parse("{\"target\":\"http://198.18.0.2/\",\"load\":{\"rps\":1000,"
		"\"stages\":[{\"duration\":\"5s\",\"rate\":500}]}}");

	for (uint64_t v = 1; v <= 1000; v++) {
		fc_hist_record(h, v * 1000);
		fc_hist_record(u, v * 500);
	}
	memset(c, 0, sizeof(c));
	c[0].req_sent = 600;
	c[0].req_completed = 600 - 6;
	c[0].err[FC_STATS_ERR_CONNECT] = 1;
	c[0].err[FC_STATS_ERR_TIMEOUT] = 2;
	c[0].err[FC_STATS_ERR_RESET] = 3;
	c[0].status[2] = 590;
	c[0].status[4] = 4;
	c[0].bytes_rx = 524288;
	c[0].bytes_tx = 60000;
	c[0].connects = 32;
	c[0].conn_open = 32;
	c[1].req_sent = 406;
	c[1].req_completed = 406;
	c[1].err[FC_STATS_ERR_PARSE] = 2;
	c[1].err[FC_STATS_ERR_OTHER] = 1;
	c[1].req_sent += 3; /* the 3 errored requests of core 1 */
	c[1].req_completed = 406;
	c[1].status[2] = 400;
	c[1].status[3] = 1;
	c[1].status[5] = 5;
	c[1].bytes_rx = 524288;
	c[1].bytes_tx = 40600;
	c[1].connects = 33;
	c[1].conn_open = 32;

	snprintf(r->url, sizeof(r->url), "http://198.18.0.2/");
	r->threads = 2;
	r->connections = 64;
	r->duration_s = 10.0;
	r->target_rps = 1000;
	r->open_loop = true;
	r->limits_widened = true;
	CHECK_EQ(fc_report_add_core(r, 1, 0, &c[0]), 0);
	CHECK_EQ(fc_report_add_core(r, 2, 0, &c[1]), 0);
	CHECK_EQ(fc_report_sum_cores(r), 0);
	CHECK_EQ(fc_report_set_latency(r, h, uncorrected ? u : NULL), 0);
	CHECK_EQ(fc_report_set_scenario(r, sc), 0);
	CHECK_EQ(fc_report_set_counter(r, "retransmits", 7), 0);
	CHECK_EQ(fc_report_set_counter(r, "resets_rx", 2), 0);
	CHECK_EQ(fc_report_set_counter(r, "resets_tx", 9), 0);
	CHECK_EQ(fc_report_set_counter(r, "resets_tx", 4), 0); /* update in place */
	CHECK_EQ(fc_report_set_counter(r, "syn_retries", 3), 0);
	CHECK_EQ(fc_report_set_counter(r, "", 3), -EINVAL);
	for (int i = 0; i < 40; i++) { /* grows past the first allocation */
		struct fc_report_interval iv = { .t = i + 1, .rps = 90 + 10 * (i % 3),
			.p50_us = 500 + i, .p99_us = 990 + i, .errors = (uint64_t)i % 2,
			.connections = 64 };
		CHECK_EQ(fc_report_add_interval(r, &iv), 0);
	}
	cJSON_Delete(sc); /* the report holds its own copy */
	fc_hist_free(h); /* and its own histograms */
	fc_hist_free(u);
	return r;
}

static void
check_latency(const cJSON *root, const char *key, uint64_t unit_ns)
{
	/* values unit*1..unit*1000 ns: the k-th smallest is k*unit */
	static const struct { const char *k; unsigned rank; } pk[] = {
		{ "p50", 500 }, { "p75", 750 }, { "p90", 900 }, { "p99", 990 },
		{ "p99_9", 999 }, { "p99_99", 1000 },
	};
	char path[64];
	uint64_t max = 1000 * unit_ns;

	for (size_t i = 0; i < sizeof(pk) / sizeof(pk[0]); i++) {
		uint64_t hi = ref_hi(pk[i].rank * unit_ns);
		snprintf(path, sizeof(path), "%s.%s", key, pk[i].k);
		CHECK_NUM(root, path, (hi < max ? hi : max) / 1e3);
	}
	snprintf(path, sizeof(path), "%s.min", key);
	CHECK_NUM(root, path, unit_ns / 1e3);
	snprintf(path, sizeof(path), "%s.max", key);
	CHECK_NUM(root, path, max / 1e3);
	snprintf(path, sizeof(path), "%s.mean", key);
	CHECK_NUM(root, path, 500.5 * unit_ns / 1e3);
	snprintf(path, sizeof(path), "%s.stdev", key);
	CHECK_NUM(root, path, sqrt((1000.0 * 1000.0 - 1) / 12.0) * unit_ns / 1e3);
	snprintf(path, sizeof(path), "%s.count", key);
	CHECK_NUM(root, path, 1000);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void
test_json(void)
{
	struct fc_report *r = make_report(true);
	char path[] = "/tmp/fc_stats_json_XXXXXX";
	int fd = mkstemp(path);
	char *txt;
	cJSON *root;

	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(fc_report_write_json(r, path), 0);
	txt = slurp(path);
	root = txt ? cJSON_Parse(txt) : NULL;
	CHECK(root != NULL);
	if (root == NULL)
		goto out;

	/* totals: sent 600 + 409, completed 594 + 406 */
	CHECK_NUM(root, "requests.sent", 1009);
	CHECK_NUM(root, "requests.completed", 1000);
	CHECK_NUM(root, "requests.errors.connect", 1);
	CHECK_NUM(root, "requests.errors.timeout", 2);
	CHECK_NUM(root, "requests.errors.reset", 3);
	CHECK_NUM(root, "requests.errors.parse", 2);
	CHECK_NUM(root, "requests.errors.other", 1);
	CHECK_NUM(root, "requests.errors.total", 9);
	/* the accounting invariant holds in what we report */
	CHECK(num(root, "requests.sent") ==
	      num(root, "requests.completed") + num(root, "requests.errors.total"));
	CHECK_NUM(root, "status.2xx", 990);
	CHECK_NUM(root, "status.3xx", 1);
	CHECK_NUM(root, "status.4xx", 4);
	CHECK_NUM(root, "status.5xx", 5);
	CHECK_NUM(root, "throughput.rps", 100.0);
	CHECK_NUM(root, "throughput.rx_bytes_per_s", 104857.6);
	CHECK_NUM(root, "transfer.rx_bytes", 1048576);
	CHECK_NUM(root, "transfer.tx_bytes", 100600);
	check_latency(root, "latency_us", 1000);
	check_latency(root, "latency_uncorrected_us", 500);
	CHECK_NUM(root, "tcp.connects", 65); /* not set: from the counters */
	CHECK_NUM(root, "tcp.retransmits", 7);
	CHECK_NUM(root, "tcp.resets_rx", 2);
	CHECK_NUM(root, "tcp.resets_tx", 4);
	CHECK_NUM(root, "tcp.syn_retries", 3);
	CHECK_NUM(root, "duration_s", 10);
	CHECK_NUM(root, "target_rps", 1000);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "limits_widened")));
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "open_loop")));

	const cJSON *iv = cJSON_GetObjectItemCaseSensitive(root, "intervals");
	CHECK(cJSON_IsArray(iv) && cJSON_GetArraySize(iv) == 40);
	unsigned bad = 0;
	for (int i = 0; i < cJSON_GetArraySize(iv); i++) {
		const cJSON *x = cJSON_GetArrayItem(iv, i);
		if (num(x, "t") != i + 1 || num(x, "rps") != 90 + 10 * (i % 3) ||
		    num(x, "p50_us") != 500 + i || num(x, "p99_us") != 990 + i ||
		    num(x, "errors") != i % 2 || num(x, "connections") != 64)
			bad++;
		/* the 6 live keys, start_s, completed, p90_us, p99_9_us, max_us (no hist: none set) */
		if (cJSON_GetArraySize(x) != 11)
			bad++;
	}
	CHECK_EQ(bad, 0);

	const cJSON *pc = cJSON_GetObjectItemCaseSensitive(root, "per_core");
	CHECK(cJSON_IsArray(pc) && cJSON_GetArraySize(pc) == 2);
	const cJSON *c0 = cJSON_GetArrayItem(pc, 0), *c1 = cJSON_GetArrayItem(pc, 1);
	CHECK_NUM(c0, "lcore", 1);
	CHECK_NUM(c0, "socket", 0);
	CHECK_NUM(c0, "sent", 600);
	CHECK_NUM(c0, "completed", 594);
	CHECK_NUM(c0, "errors", 6);
	CHECK_NUM(c0, "rps", 59.4);
	CHECK_NUM(c0, "rx_bytes", 524288);
	CHECK_NUM(c0, "tx_bytes", 60000);
	CHECK_NUM(c0, "connects", 32);
	CHECK_NUM(c0, "connections", 32);
	CHECK_NUM(c1, "lcore", 2);
	CHECK_NUM(c1, "sent", 409);
	CHECK_NUM(c1, "errors", 3);
	CHECK_NUM(c1, "connects", 33);

	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(root, "scenario");
	CHECK(cJSON_IsObject(sc));
	CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sc, "target")),
		"http://198.18.0.2/") == 0);
	CHECK_NUM(sc, "load.rps", 1000);

	/* exactly the top-level keys of the contract (plus the documented extras) */
	static const char *const top[] = { "format", "meta", "histograms", "requests", "status",
		"throughput", "transfer",
		"latency_us", "latency_uncorrected_us", "tcp", "intervals", "per_core",
		"duration_s", "open_loop", "target_rps", "limits_widened", "scenario" };
	CHECK_EQ(cJSON_GetArraySize(root), sizeof(top) / sizeof(top[0]));
	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		CHECK(cJSON_HasObjectItem(root, top[i]));
	cJSON_Delete(root);

	/* closed loop: no uncorrected histogram, no key */
	fc_report_free(r);
	r = make_report(false);
	root = fc_report_to_json(r);
	CHECK(root && !cJSON_HasObjectItem(root, "latency_uncorrected_us"));
	CHECK(root && cJSON_HasObjectItem(root, "latency_us"));
	cJSON_Delete(root);

	/* empty report: every contract key present, zeros */
	fc_report_free(r);
	r = fc_report_create();
	root = fc_report_to_json(r);
	CHECK_NUM(root, "latency_us.p99", 0);
	CHECK_NUM(root, "requests.errors.total", 0);
	CHECK_NUM(root, "tcp.resets_tx", 0);
	CHECK_NUM(root, "throughput.rps", 0);
	cJSON_Delete(root);
	CHECK(fc_report_write_json(r, "/nonexistent-dir/x.json") == -ENOENT);
out:
	free(txt);
	unlink(path);
	fc_report_free(r);
}

static void
test_summary(void)
{
	struct fc_report *r = make_report(true);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	r->latency_spectrum = true; /* --latency */
	CHECK_EQ(fc_report_print_summary(r, f), 0);
	fclose(f);
	/* wrk2 layout */
	CHECK(strncmp(buf, "Running 10s test @ http://198.18.0.2/\n"
		"  2 threads and 64 connections\n", 69) == 0);
	CHECK_STR_CONTAINS(buf, "\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n");
	/* mean 500.5 us, stdev 288.67 us, max 1 ms; within mean +- stdev: 212..789 us = 57.8% */
	CHECK_STR_CONTAINS(buf, "\n    Latency   500.50us  288.67us   1.00ms   57.80%\n");
	/* per-thread Req/Sec from the intervals: 45 (x14), 50 (x13), 55 (x13): mean 49.875,
	 * sample stdev sqrt(674.375/39) = 4.158, within [45.72, 54.03]: the 13 fifties */
	CHECK_STR_CONTAINS(buf, "\n    Req/Sec    49.88      4.16    55.00     32.50%\n");
	CHECK_STR_CONTAINS(buf, "\n  Latency Distribution (HdrHistogram - Recorded Latency)\n"
		" 50.000%  500.22us\n"
		" 75.000%  750.08us\n"
		" 90.000%    0.90ms\n"
		" 99.000%    0.99ms\n"
		" 99.900%    1.00ms\n"
		" 99.990%    1.00ms\n"
		" 99.999%    1.00ms\n"
		"100.000%    1.00ms\n"
		"\n  Detailed Percentile spectrum:\n"
		"       Value   Percentile   TotalCount 1/(1-Percentile)\n\n"
		"       0.001     0.000000            1         1.00\n");
	CHECK_STR_CONTAINS(buf, "#[Mean    =        0.500, StdDeviation   =        0.289]\n"
		"#[Max     =        1.000, Total count    =         1000]\n"
		"#[Buckets =           32, SubBuckets     =         2048]\n"
		"----------------------------------------------------------\n");
	CHECK_STR_CONTAINS(buf, "  Latency Distribution (HdrHistogram - Uncorrected Latency "
		"(measured without taking delayed starts into account))\n 50.000%  250.11us\n");
	CHECK_STR_CONTAINS(buf, "\n  1000 requests in 10.00s, 1.00MB read\n"
		"  Socket errors: connect 1, read 5, write 1, timeout 2\n"
		"  Non-2xx or 3xx responses: 9\n"
		"Requests/sec:    100.00\n"
		"Transfer/sec:    102.40KB\n");
	/* h2load: done 1009, succeeded 991, failed 18 (9 errors + 9 4xx/5xx) */
	CHECK_STR_CONTAINS(buf, "\nrequests: 1009 total, 1009 started, 1009 done, 991 succeeded, "
		"18 failed, 9 errored, 2 timeout\n"
		"status codes: 990 2xx, 1 3xx, 4 4xx, 5 5xx\n");
	CHECK_STR_CONTAINS(buf, "limits envelope widened");
	if (fc_test_failures || getenv("FC_TEST_VERBOSE"))
		fputs(buf, stderr);
	free(buf);

	/* duration formatting as wrk: 120 s prints as 2m; no errors, no socket error line */
	r->duration_s = 120;
	memset(&r->totals.err, 0, sizeof(r->totals.err));
	r->totals.status[4] = r->totals.status[5] = 0;
	f = open_memstream(&buf, &len);
	CHECK_EQ(fc_report_print_summary(r, f), 0);
	fclose(f);
	CHECK(strncmp(buf, "Running 2m test @ ", 18) == 0);
	CHECK_STR_CONTAINS(buf, "  1000 requests in 2.00m, 1.00MB read\n");
	CHECK(strstr(buf, "Socket errors") == NULL);
	CHECK(strstr(buf, "Non-2xx") == NULL);
	free(buf);

	/* Without --latency: the percentile list, not the detailed spectrum (wrk2 prints the
	 * spectrum only with --latency). */
	r->latency_spectrum = false;
	f = open_memstream(&buf, &len);
	CHECK_EQ(fc_report_print_summary(r, f), 0);
	fclose(f);
	CHECK_STR_CONTAINS(buf, " 99.999%    1.00ms\n");
	CHECK(strstr(buf, "Detailed Percentile spectrum") == NULL);
	free(buf);
	fc_report_free(r);
}

static void
test_prometheus(void)
{
	struct fc_stats_core c[2];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fill(&c[0], 1);
	fill(&c[1], 2);
	CHECK_EQ(fc_stats_write_prometheus(f, c, 2), 0);
	fclose(f);
	CHECK_STR_CONTAINS(buf, "# TYPE flashcrowd_requests_sent_total counter\n"
		"flashcrowd_requests_sent_total{core=\"0\"} 101\n"
		"flashcrowd_requests_sent_total{core=\"1\"} 102\n");
	CHECK_STR_CONTAINS(buf, "# TYPE flashcrowd_connections_open gauge\n");
	CHECK_STR_CONTAINS(buf, "flashcrowd_request_errors_total{core=\"1\",kind=\"parse\"} 6\n");
	CHECK_STR_CONTAINS(buf, "flashcrowd_responses_total{core=\"0\",class=\"2xx\"} 12\n");
	CHECK_STR_CONTAINS(buf, "flashcrowd_rx_bytes_total{core=\"1\"} 2000\n");
	CHECK_STR_CONTAINS(buf, "flashcrowd_request_errors_total{core=\"0\",kind=\"closed_unanswered\"} 4\n");
	CHECK_STR_CONTAINS(buf, "flashcrowd_requests_retried_total{core=\"1\"} 10\n");
	/* every sample line is "name{labels} integer" */
	unsigned bad = 0, samples = 0;
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned long long v;
		char name[128];
		if (l[0] == '#')
			continue;
		samples++;
		if (sscanf(l, "%127[a-z_]{%*[^}]} %llu", name, &v) != 2)
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(samples, 2 * 9 + 2 * 6 + 2 * 6);
	free(buf);
	CHECK_EQ(fc_stats_write_prometheus(NULL, c, 2), -EINVAL);
}

int
main(void)
{
	test_sum();
	test_concurrent();
	test_json();
	test_summary();
	test_prometheus();
	return fc_test_result("stats");
}
