/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/results against independent computations: merging N result files equals one run
 * of all their requests (count exact, percentiles those of the sorted concatenated raw
 * values, exact mean), the Mann-Whitney p-value against a brute-force enumeration, the
 * verdicts of compare, tolerance parsing, and every kind of bad result file.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fc_results.h"
#include "fc_stats.h"
#include "fc_test.h"

static uint64_t rng = 0x853c49e6748fea9bull;

static uint64_t
rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A latency in ns around @p median with a long tail. */
static uint64_t
latency(uint64_t median)
{
	uint64_t v = median / 2 + rnd() % median;

	if (rnd() % 100 == 0)
		v *= 20;
	return v;
}

/* Latencies of odd intervals are scaled by 1 + g_wobble: a run that wanders within itself. */
static double g_wobble;

/*
 * A result document of a run of @p n requests with the given latencies, in @p ivs
 * one-second intervals, starting at @p start_ms. Built with lib/stats as a run builds it.
 */
static char *
make_result(const uint64_t *lat, unsigned n, unsigned ivs, uint64_t start_ms, unsigned conns,
	    bool open_loop)
{
	struct fc_report *r = fc_report_create();
	struct fc_hist *all = fc_hist_create(-1), *iv = fc_hist_create(-1);
	cJSON *sc = cJSON_CreateObject(), *doc;
	char *txt;

	cJSON_AddStringToObject(sc, "target", "http://198.18.0.2/");
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(sc, "load"), "connections", conns);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(sc, "output"), "json", "/tmp/x.json");
	fc_report_set_scenario(r, sc);
	cJSON_Delete(sc);
	r->start_unix_ns = start_ms * 1000000ull;
	r->duration_s = ivs;
	r->open_loop = open_loop;
	r->totals.req_sent = n;
	r->totals.req_completed = n;
	r->totals.status[2] = n;
	fc_report_add_tag(r, "commit", "abc123");
	for (unsigned k = 0; k < ivs; k++) {
		struct fc_report_interval x = { .start_s = k, .t = k + 1 };
		unsigned from = n * k / ivs, to = n * (k + 1) / ivs;

		fc_hist_reset(iv);
		for (unsigned i = from; i < to; i++)
			fc_hist_record(iv, (uint64_t)((double)lat[i] * (1.0 + g_wobble * (k % 2))));
		fc_hist_merge(all, iv);
		x.completed = to - from;
		x.rps = to - from;
		x.connections = conns;
		x.p50_us = fc_hist_percentile(iv, 50) / 1e3;
		x.p90_us = fc_hist_percentile(iv, 90) / 1e3;
		x.p99_us = fc_hist_percentile(iv, 99) / 1e3;
		x.p99_9_us = fc_hist_percentile(iv, 99.9) / 1e3;
		x.max_ns = fc_hist_max(iv);
		x.hist = fc_hist_encode_base64(iv);
		if (open_loop)
			x.hist_uncorrected = fc_hist_encode_base64(iv);
		fc_report_add_interval(r, &x);
	}
	fc_report_set_latency(r, all, open_loop ? all : NULL);
	doc = fc_report_to_json(r);
	txt = cJSON_Print(doc);
	cJSON_Delete(doc);
	fc_report_free(r);
	fc_hist_free(all);
	fc_hist_free(iv);
	return txt;
}

static struct fc_result *
parse(const char *txt, const char *name)
{
	struct fc_result *r = NULL;
	char err[FC_RESULTS_ERR_LEN] = "";

	if (fc_result_parse(txt, name, &r, err, sizeof(err)) != 0)
		fprintf(stderr, "parse %s: %s\n", name, err);
	return r;
}

/* The test: merge of N runs equals one run of N x requests. */
static void
test_merge_exact(void)
{
	enum { N = 4, R = 30000, IV = 10 };
	uint64_t *raw = malloc(N * R * sizeof(*raw)), *sorted = malloc(N * R * sizeof(*raw));
	struct fc_result *in[N], *m;
	char err[FC_RESULTS_ERR_LEN] = "", name[16];
	cJSON *merged = NULL;
	char *txt;
	fc_hist_u128 sum = 0;

	for (unsigned i = 0; i < N * R; i++) {
		raw[i] = latency(100000 + 20000 * (i / R)); /* each run a little slower */
		sum += raw[i];
	}
	for (unsigned f = 0; f < N; f++) {
		/* Repeat runs one after the other, 12 s apart (10 s runs + 2 s between). */
		txt = make_result(raw + f * R, R, IV, 1767323045000ull + f * 12000ull, 8, true);
		snprintf(name, sizeof(name), "run%u.json", f);
		in[f] = parse(txt, name);
		CHECK(in[f] != NULL);
		free(txt);
		if (in[f] == NULL)
			return;
	}
	CHECK_EQ(fc_results_merge(in, N, false, &merged, err, sizeof(err)), 0);
	if (merged == NULL) {
		fprintf(stderr, "merge: %s\n", err);
		return;
	}
	txt = cJSON_Print(merged);
	m = parse(txt, "merged.json");
	free(txt);
	CHECK(m != NULL);
	if (m != NULL) {
		static const double ps[] = { 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100 };
		const cJSON *lat = cJSON_GetObjectItemCaseSensitive(m->root, "latency_us");
		unsigned bad = 0;

		memcpy(sorted, raw, N * R * sizeof(*raw));
		qsort(sorted, N * R, sizeof(*sorted), cmp_u64);
		CHECK_EQ(fc_hist_count(m->latency), N * R);
		CHECK_EQ(m->completed, N * R);
		CHECK_EQ(m->sent, N * R);
		CHECK_EQ(fc_hist_min(m->latency), sorted[0]);
		CHECK_EQ(fc_hist_max(m->latency), sorted[N * R - 1]);
		CHECK(m->latency->sum == sum);
		CHECK(fabs(cJSON_GetObjectItemCaseSensitive(lat, "mean")->valuedouble -
			   (double)sum / (N * R) / 1e3) < 1e-9 * (double)sum / (N * R));
		for (unsigned k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
			/* rank = ceil(p/100 * n) in exact integer arithmetic (p in 1/100 %) */
			uint64_t pm = (uint64_t)llround(ps[k] * 100), n = N * R;
			uint64_t rank = (pm * n + 9999) / 10000, x, hi, want;

			rank = rank < 1 ? 1 : rank;
			x = sorted[rank - 1];
			hi = fc_hist_highest_equivalent(x);
			want = hi < sorted[n - 1] ? hi : sorted[n - 1];
			if (fc_hist_percentile(m->latency, ps[k]) != want) {
				fprintf(stderr, "p%g: %lu, want %lu\n", ps[k],
					(unsigned long)fc_hist_percentile(m->latency, ps[k]),
					(unsigned long)want);
				bad++;
			}
		}
		CHECK_EQ(bad, 0);
		/* The printed percentile agrees with the histogram's. */
		CHECK(fabs(cJSON_GetObjectItemCaseSensitive(lat, "p99")->valuedouble -
			   fc_hist_percentile(m->latency, 99) / 1e3) < 1e-9);
		/* Sequential runs: N x 10 intervals, none folded onto another; the span is
		 * 3 x 12 s + 10 s. */
		CHECK_EQ(m->n_iv, N * IV);
		CHECK(fabs(m->duration_s - 46.0) < 1e-9);
		CHECK(m->latency_uncorrected != NULL);
		char *meta = cJSON_Print(cJSON_GetObjectItemCaseSensitive(m->root, "meta"));

		CHECK(meta != NULL);
		if (meta != NULL)
			CHECK_STR_CONTAINS(meta, "\"commit\":\t\"abc123\"");
		cJSON_free(meta);
		fc_result_free(m);
	}
	cJSON_Delete(merged);

	/* Generators side by side: same start, intervals add up slot by slot. */
	{
		struct fc_result *side[2];
		char *t0 = make_result(raw, R, IV, 1767323045000ull, 8, false);
		char *t1 = make_result(raw + R, R, IV, 1767323045300ull, 8, false);

		side[0] = parse(t0, "gen0.json");
		side[1] = parse(t1, "gen1.json");
		free(t0);
		free(t1);
		merged = NULL;
		CHECK(side[0] && side[1]);
		if (side[0] && side[1] &&
		    fc_results_merge(side, 2, false, &merged, err, sizeof(err)) == 0) {
			char *t = cJSON_Print(merged);

			m = parse(t, "side.json");
			free(t);
			CHECK(m != NULL);
			if (m) {
				CHECK_EQ(m->n_iv, IV);
				CHECK_EQ(m->iv[3].completed, 2 * (R / IV));
				CHECK(fabs(m->iv[3].rps - 2.0 * (R / IV)) < 1e-9);
				/* 10.3 s of wall clock for 2 x R requests */
				CHECK(fabs(m->duration_s - 10.3) < 1e-9);
				fc_result_free(m);
			}
		}
		cJSON_Delete(merged);
		fc_result_free(side[0]);
		fc_result_free(side[1]);
	}
	for (unsigned f = 0; f < N; f++)
		fc_result_free(in[f]);
	free(raw);
	free(sorted);
}

static void
test_merge_refuses(void)
{
	uint64_t lat[1000];
	struct fc_result *in[2];
	char err[FC_RESULTS_ERR_LEN] = "";
	cJSON *out = NULL;
	char *a, *b;

	for (unsigned i = 0; i < 1000; i++)
		lat[i] = latency(50000);
	a = make_result(lat, 1000, 10, 1767323045000ull, 8, false);
	b = make_result(lat, 1000, 10, 1767323045000ull, 16, false);
	in[0] = parse(a, "a.json");
	in[1] = parse(b, "b.json");
	CHECK(in[0] && in[1]);
	if (in[0] && in[1]) {
		CHECK_EQ(fc_results_merge(in, 2, false, &out, err, sizeof(err)), -EXDEV);
		CHECK_STR_CONTAINS(err, "a.json and b.json: different scenarios: load.connections: 8 vs 16");
		CHECK_STR_CONTAINS(err, "--force");
		CHECK_EQ(fc_results_merge(in, 2, true, &out, err, sizeof(err)), 0);
		CHECK(out != NULL);
		if (out) {
			char *t = cJSON_PrintUnformatted(out);

			CHECK_STR_CONTAINS(t, "\"scenarios_differ\":[{\"file\":\"b.json\"");
			free(t);
		}
		cJSON_Delete(out);
		out = NULL;
	}
	fc_result_free(in[1]);
	/* A different histogram layout (as a file from another build would state it). */
	{
		char *c = strdup(a), *p = strstr(c, "\"significant_digits\":\t3");

		CHECK(p != NULL);
		if (p) {
			p[strlen("\"significant_digits\":\t")] = '2';
			in[1] = parse(c, "c.json");
			CHECK(in[1] != NULL);
			if (in[1]) {
				CHECK_EQ(fc_results_merge(in, 2, true, &out, err, sizeof(err)), -EXDEV);
				CHECK_STR_CONTAINS(err, "different histogram layouts: "
						   "histograms.layout.significant_digits: 3 vs 2");
				fc_result_free(in[1]);
			}
		}
		free(c);
	}
	fc_result_free(in[0]);
	free(a);
	free(b);
}

static void
expect_bad(const char *txt, int want, const char *needle)
{
	struct fc_result *r = NULL;
	char err[FC_RESULTS_ERR_LEN] = "";

	CHECK_EQ(fc_result_parse(txt, "bad.json", &r, err, sizeof(err)), want);
	CHECK(r == NULL);
	CHECK_STR_CONTAINS(err, needle);
}

/* Replace the first occurrence of @p from with @p to. */
static char *
patched(const char *txt, const char *from, const char *to)
{
	const char *p = strstr(txt, from);
	char *s;

	if (p == NULL)
		return strdup("");
	s = malloc(strlen(txt) + strlen(to) + 1);
	memcpy(s, txt, (size_t)(p - txt));
	strcpy(s + (p - txt), to);
	strcat(s, p + strlen(from));
	return s;
}

static void
test_bad_files(void)
{
	uint64_t lat[500];
	char *good, *s;
	struct fc_result *r = NULL;
	char err[FC_RESULTS_ERR_LEN];

	for (unsigned i = 0; i < 500; i++)
		lat[i] = latency(70000);
	good = make_result(lat, 500, 10, 1767323045000ull, 8, true);

	expect_bad("", -EINVAL, "bad.json: not a complete JSON document");
	s = strndup(good, strlen(good) / 2);
	expect_bad(s, -EINVAL, "truncated?");
	free(s);
	expect_bad("{\"a\": 1}", -EINVAL, "bad.json: not a flashcrowd result file");
	expect_bad("[1, 2]", -EINVAL, "not a flashcrowd result file");
	expect_bad("{x}", -EINVAL, "bad.json: not JSON (invalid at byte");
	s = patched(good, "\"format\":\t1", "\"format\":\t2");
	expect_bad(s, -EPROTONOSUPPORT, "bad.json: format: 2 is not supported (this flashcrowd reads format 1)");
	free(s);
	s = patched(good, "\"v2\":\t\"", "\"v2\":\t\"AAAA");
	expect_bad(s, -EINVAL, "bad.json: histograms.corrected.v2: ");
	free(s);
	s = patched(good, "\"count\":\t500,\n\t\t\t\"min_ns\"", "\"count\":\t501,\"min_ns\"");
	expect_bad(s, -EINVAL, "histograms.corrected: the histogram holds 500 values, count says 501");
	free(s);
	s = patched(good, "\"completed\":\t500", "\"completed\":\t-5");
	expect_bad(s, -EINVAL, "bad.json: requests.completed: -5 is not a count");
	free(s);
	s = patched(good, "\"hist\":\t\"", "\"hist\":\t\"%%");
	expect_bad(s, -EINVAL, "bad.json: intervals[0].hist: ");
	free(s);
	s = patched(good, "\"open_loop\":\ttrue", "\"open_loop\":\t1");
	expect_bad(s, -EINVAL, "open_loop: missing or not true/false");
	free(s);
	CHECK_EQ(fc_result_load("/nonexistent/r.json", &r, err, sizeof(err)), -ENOENT);
	CHECK_STR_CONTAINS(err, "/nonexistent/r.json: cannot open: No such file or directory");
	free(good);
}

/* Two-sided exact p by enumerating every split of the pooled values (no ties). */
static double
brute_p(const double *x, unsigned nx, const double *y, unsigned ny)
{
	double pool[20], u_obs = 0, mu = nx * ny / 2.0;
	unsigned n = nx + ny, hits = 0, total = 0;

	for (unsigned i = 0; i < nx; i++)
		for (unsigned j = 0; j < ny; j++)
			u_obs += x[i] > y[j];
	memcpy(pool, x, nx * sizeof(double));
	memcpy(pool + nx, y, ny * sizeof(double));
	for (unsigned mask = 0; mask < (1u << n); mask++) {
		double u = 0;

		if ((unsigned)__builtin_popcount(mask) != nx)
			continue;
		for (unsigned i = 0; i < n; i++)
			for (unsigned j = 0; j < n; j++)
				if ((mask >> i & 1) && !(mask >> j & 1))
					u += pool[i] > pool[j];
		total++;
		hits += fabs(u - mu) >= fabs(u_obs - mu) - 1e-9;
	}
	return (double)hits / total;
}

static void
test_mann_whitney(void)
{
	/* scipy.stats.mannwhitneyu's documented example: U = 17, exact p = 0.1111 */
	const double males[] = { 19, 22, 16, 29, 24 }, females[] = { 20, 11, 17, 12 };
	const double lo[] = { 1, 2, 3, 4, 5 }, hi[] = { 6, 7, 8, 9, 10 };
	double u, p;
	unsigned bad = 0;

	p = fc_mann_whitney_p(males, 5, females, 4, &u);
	CHECK(u == 17.0);
	CHECK(fabs(p - 1.0 / 9.0) < 1e-12);
	/* complete separation of 5 + 5: 2 / C(10,5) */
	CHECK(fabs(fc_mann_whitney_p(lo, 5, hi, 5, NULL) - 2.0 / 252.0) < 1e-12);
	/* 3 + 3 can never reach p < 0.1: why repeat runs need 4 or more per side */
	CHECK(fabs(fc_mann_whitney_p(lo, 3, hi, 3, NULL) - 0.1) < 1e-12);
	/* identical samples */
	CHECK(fc_mann_whitney_p(lo, 5, lo, 5, NULL) == 1.0);
	CHECK(fc_mann_whitney_p(lo, 0, lo, 5, NULL) == 1.0);
	/* random samples without ties against the enumeration */
	for (int round = 0; round < 60; round++) {
		double x[10], y[10];
		unsigned nx = 2 + (unsigned)(rnd() % 7), ny = 2 + (unsigned)(rnd() % 7);

		for (unsigned i = 0; i < nx; i++)
			x[i] = (double)(rnd() % 1000000) + 0.25;
		for (unsigned i = 0; i < ny; i++)
			y[i] = (double)(rnd() % 1000000) + 0.5 + (round % 2) * 300000;
		if (fabs(fc_mann_whitney_p(x, nx, y, ny, NULL) - brute_p(x, nx, y, ny)) > 1e-9)
			bad++;
	}
	CHECK_EQ(bad, 0);
	/* Large samples (normal approximation): a clear shift is tiny p, none is large p. */
	{
		double a[200], b[200];

		for (int i = 0; i < 200; i++) {
			a[i] = 100 + (double)(rnd() % 1000) / 100.0;
			b[i] = a[i] + 3.0;
		}
		CHECK(fc_mann_whitney_p(a, 200, b, 200, NULL) < 1e-6);
		CHECK(fc_mann_whitney_p(a, 100, a + 100, 100, NULL) > 0.01);
	}
	/* Ties: the normal approximation with the tie correction, close to the exact value
	 * a brute force over midranks would give (here: identical multisets -> p = 1). */
	{
		const double t1[] = { 1, 1, 2, 2, 3, 3 }, t2[] = { 1, 2, 3, 1, 2, 3 };

		CHECK(fc_mann_whitney_p(t1, 6, t2, 6, NULL) == 1.0);
	}
}

static void
test_serial(void)
{
	/* A trend: every point next to a similar one. About the mean 5.5, the products of
	 * neighbours sum to 57.75 and the squares to 82.5. */
	const double trend[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	const double alt[] = { 1, 9, 1, 9, 1, 9, 1, 9 };
	const double flat[] = { 4, 4, 4, 4 };

	CHECK(fabs(fc_lag1_autocorr(trend, 10, NULL, 0) - 57.75 / 82.5) < 1e-12);
	CHECK(fc_lag1_autocorr(alt, 8, alt, 8) == 0.0);   /* negative: clamped to 0 */
	CHECK(fc_lag1_autocorr(flat, 4, flat, 2) == 0.0); /* constant, too short */
}

static void
test_tolerance(void)
{
	struct fc_tolerance t;
	char err[FC_RESULTS_ERR_LEN] = "";

	fc_tolerance_default(&t);
	CHECK(t.pct[FC_CMP_P99] == 5.0);
	CHECK_EQ(fc_tolerance_parse("p99=10%", &t, err, sizeof(err)), 0);
	CHECK(t.pct[FC_CMP_P99] == 10.0 && t.pct[FC_CMP_P50] == 5.0);
	CHECK_EQ(fc_tolerance_parse("3,p99.9=20%,errors=0", &t, err, sizeof(err)), 0);
	CHECK(t.pct[FC_CMP_RPS] == 3.0 && t.pct[FC_CMP_P999] == 20.0 && t.pct[FC_CMP_ERRORS] == 0);
	CHECK_EQ(fc_tolerance_parse("p999=7%", &t, err, sizeof(err)), 0);
	CHECK(t.pct[FC_CMP_P999] == 7.0);
	CHECK_EQ(fc_tolerance_parse("150%", &t, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "tolerance: \"150%\": 150% is above the limit 100%");
	CHECK_EQ(fc_tolerance_parse("p99=-1%", &t, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "-1% is below the limit 0%");
	CHECK_EQ(fc_tolerance_parse("p42=5%", &t, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "unknown metric \"p42\"");
	CHECK_EQ(fc_tolerance_parse("fast", &t, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "\"fast\" is not a percentage");
	CHECK_EQ(fc_tolerance_parse("", &t, err, sizeof(err)), -EINVAL);
	CHECK_EQ(fc_tolerance_parse("5%,", &t, err, sizeof(err)), 0);
}

static void
test_compare(void)
{
	enum { R = 20000 };
	uint64_t *a = malloc(R * sizeof(*a)), *b = malloc(R * sizeof(*b));
	struct fc_result *ra, *rb, *rc;
	struct fc_tolerance tol;
	struct fc_cmp c;
	char *ta, *tb, *tc;

	for (unsigned i = 0; i < R; i++) {
		a[i] = latency(100000);
		b[i] = a[i] * 12 / 10; /* 20% slower */
	}
	ta = make_result(a, R, 10, 1767323045000ull, 8, false);
	tb = make_result(b, R, 10, 1767323060000ull, 8, false);
	tc = make_result(a, R, 10, 1767323075000ull, 16, false);
	ra = parse(ta, "a.json");
	rb = parse(tb, "b.json");
	rc = parse(tc, "c.json");
	CHECK(ra && rb && rc);
	fc_tolerance_default(&tol);
	if (ra && rb && rc) {
		/* against itself: same everywhere */
		CHECK_EQ(fc_results_compare(&ra, 1, &ra, 1, &tol, 0, &c), 0);
		CHECK_EQ(c.worse, 0);
		CHECK_EQ(c.better, 0);
		for (int m = 0; m < FC_CMP_N; m++)
			CHECK(c.rows[m].verdict == FC_VERDICT_SAME && !c.rows[m].significant);
		CHECK(!c.over_runs);
		CHECK(c.alpha == FC_CMP_ALPHA_INTERVALS);
		CHECK_EQ(c.rows[FC_CMP_P50].n_base, 10);
		CHECK(c.scenario_diff[0] == '\0');
		/* 20% slower: latency worse, throughput the same */
		CHECK_EQ(fc_results_compare(&ra, 1, &rb, 1, &tol, 0, &c), 0);
		CHECK(c.rows[FC_CMP_P50].verdict == FC_VERDICT_WORSE);
		CHECK(c.rows[FC_CMP_P90].verdict == FC_VERDICT_WORSE);
		CHECK(fabs(c.rows[FC_CMP_P50].change_pct - 20.0) < 1.0);
		CHECK(c.rows[FC_CMP_RPS].verdict == FC_VERDICT_SAME);
		CHECK(c.worse >= 2);
		CHECK(c.rows[FC_CMP_P50].noise_pct < 5.0); /* steady intervals: the tolerance rules */
		CHECK(c.rows[FC_CMP_P50].threshold_pct == 5.0);
		/* Runs that wander by half their value from one interval to the next: a 20% shift
		 * is inside the noise band (2 x the robust spread), so "same", whatever p says. */
		{
			struct fc_result *wa, *wb;
			char *twa, *twb;

			g_wobble = 0.5;
			twa = make_result(a, R, 10, 1767323045000ull, 8, false);
			twb = make_result(b, R, 10, 1767323060000ull, 8, false);
			g_wobble = 0;
			wa = parse(twa, "wa.json");
			wb = parse(twb, "wb.json");
			CHECK(wa && wb);
			if (wa && wb) {
				CHECK_EQ(fc_results_compare(&wa, 1, &wb, 1, &tol, 0, &c), 0);
				CHECK(c.rows[FC_CMP_P50].noise_pct > 20.0);
				CHECK(c.rows[FC_CMP_P50].threshold_pct ==
				      FC_CMP_NOISE_K * c.rows[FC_CMP_P50].noise_pct);
				CHECK(c.rows[FC_CMP_P50].verdict == FC_VERDICT_SAME);
			}
			fc_result_free(wa);
			fc_result_free(wb);
			free(twa);
			free(twb);
		}
		/* A 10% regression between two steady runs is not hidden by the default rule
		 * (tolerance 5%, alpha 0.01, noise band). */
		{
			uint64_t *b10 = malloc(R * sizeof(*b10));
			struct fc_result *r10;
			char *t10;

			for (unsigned i = 0; i < R; i++)
				b10[i] = a[i] * 11 / 10;
			t10 = make_result(b10, R, 10, 1767323060000ull, 8, false);
			r10 = parse(t10, "b10.json");
			CHECK(r10 != NULL);
			if (r10) {
				CHECK_EQ(fc_results_compare(&ra, 1, &r10, 1, &tol, 0, &c), 0);
				CHECK(c.rows[FC_CMP_P50].verdict == FC_VERDICT_WORSE);
				CHECK(c.rows[FC_CMP_P90].verdict == FC_VERDICT_WORSE);
				CHECK(fabs(c.rows[FC_CMP_P50].change_pct - 10.0) < 1.0);
			}
			fc_result_free(r10);
			free(t10);
			free(b10);
		}
		/* ... unless the tolerance allows it */
		CHECK_EQ(fc_tolerance_parse("25%", &tol, NULL, 0), 0);
		CHECK_EQ(fc_results_compare(&ra, 1, &rb, 1, &tol, 0, &c), 0);
		CHECK_EQ(c.worse, 0);
		fc_tolerance_default(&tol);
		/* the other way round: better */
		CHECK_EQ(fc_results_compare(&rb, 1, &ra, 1, &tol, 0, &c), 0);
		CHECK(c.rows[FC_CMP_P50].verdict == FC_VERDICT_BETTER);
		CHECK_EQ(c.worse, 0);
		/* different scenarios: a warning naming the field */
		CHECK_EQ(fc_results_compare(&ra, 1, &rc, 1, &tol, 0, &c), 0);
		CHECK_STR_CONTAINS(c.scenario_diff, "c.json: load.connections: 8 vs 16");
		/* repeat runs: over runs, 2 + 2 */
		{
			struct fc_result *bs[2] = { ra, rc }, *ns[2] = { rb, rb };

			CHECK_EQ(fc_results_compare(bs, 2, ns, 2, &tol, 0, &c), 0);
			CHECK(c.over_runs);
			CHECK(c.alpha == FC_CMP_ALPHA_RUNS);
			CHECK_EQ(c.rows[FC_CMP_P50].n_base, 2);
			/* 2 + 2 runs cannot be significant (p >= 1/3): same, as benchstat says */
			CHECK(c.rows[FC_CMP_P50].verdict == FC_VERDICT_SAME);
		}
		{
			char *buf = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&buf, &len);
			cJSON *j;

			CHECK_EQ(fc_results_compare(&ra, 1, &rb, 1, &tol, 0, &c), 0);
			CHECK_EQ(fc_cmp_print(&c, f), 0);
			fclose(f);
			CHECK_STR_CONTAINS(buf, "worse");
			CHECK_STR_CONTAINS(buf, "~ (p=");
			free(buf);
			j = fc_cmp_to_json(&c);
			buf = cJSON_PrintUnformatted(j);
			CHECK_STR_CONTAINS(buf, "\"metric\":\"p50\"");
			CHECK_STR_CONTAINS(buf, "\"verdict\":\"worse\"");
			free(buf);
			cJSON_Delete(j);
		}
	}
	fc_result_free(ra);
	fc_result_free(rb);
	fc_result_free(rc);
	free(ta);
	free(tb);
	free(tc);
	free(a);
	free(b);
}

int
main(void)
{
	test_merge_exact();
	test_merge_refuses();
	test_bad_files();
	test_mann_whitney();
	test_serial();
	test_tolerance();
	test_compare();
	return fc_test_result("results");
}
