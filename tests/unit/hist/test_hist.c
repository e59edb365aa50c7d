/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/hist against independent computations: percentiles from sorted arrays, exact
 * sums in 128-bit integers, a hand-worked .hgrm table, corrected recording worked by
 * hand, and a two-thread double-buffer run where nothing may be lost.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fc_hist.h"
#include "fc_test.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Log-uniform value in [1, 2^bits). */
static uint64_t
rnd_wide(unsigned bits)
{
	unsigned b = 1 + (unsigned)(rnd() % bits);
	uint64_t v = rnd() & ((b == 64 ? ~0ull : (1ull << b) - 1));
	return v ? v : 1;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reference bucket bounds by plain reasoning: below 2048 every value has its own bucket;
 * above, a value with highest bit b (b >= 11) lives in a bucket of width 2^(b-10). */
static void
ref_bucket(uint64_t v, uint64_t *lo, uint64_t *hi)
{
	if (v < 2048) {
		*lo = *hi = v;
		return;
	}
	unsigned b = 63 - (unsigned)__builtin_clzll(v);
	uint64_t w = 1ull << (b - 10);
	*lo = v / w * w;
	*hi = *lo + w - 1;
}

static void
test_buckets(void)
{
	unsigned bad = 0;

	for (int i = 0; i < 200000; i++) {
		uint64_t v = i < 5000 ? (uint64_t)i : rnd_wide(42), lo, hi;
		ref_bucket(v, &lo, &hi);
		if (fc_hist_lowest_equivalent(v) != lo || fc_hist_highest_equivalent(v) != hi)
			bad++;
		if (fc_hist_index(v) >= FC_HIST_COUNTS_LEN)
			bad++;
		/* 3 significant digits: bucket width <= lo/1024 once values leave unit buckets. */
		if (lo >= 2048 && (hi - lo + 1) * 1024 > lo)
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(fc_hist_index(FC_HIST_MAX_TRACKABLE), FC_HIST_COUNTS_LEN - 1);
	CHECK_EQ(fc_hist_highest_equivalent(FC_HIST_MAX_TRACKABLE), FC_HIST_MAX_TRACKABLE);
	/* at least one hour in ns is trackable */
	CHECK(FC_HIST_MAX_TRACKABLE >= 3600ull * 1000000000ull);
	CHECK_EQ(sizeof(struct fc_hist) % 64, 0);
}

/* Percentile ranks in exact integer arithmetic: p given in units of 1/1000 of a percent. */
static const uint64_t pm_list[] = { 1, 1000, 10000, 25000, 50000, 75000, 90000, 99000,
	99900, 99990, 99999, 100000 };

static void
test_percentiles_vs_sorted(unsigned n, unsigned bits)
{
	uint64_t *vals = malloc(n * sizeof(*vals));
	struct fc_hist *h = fc_hist_create(-1);
	fc_hist_u128 sum = 0;
	unsigned bad = 0, badrel = 0;

	CHECK(vals != NULL && h != NULL);
	if (!vals || !h)
		return;
	for (unsigned i = 0; i < n; i++) {
		vals[i] = rnd_wide(bits);
		fc_hist_record(h, vals[i]);
		sum += vals[i];
	}
	qsort(vals, n, sizeof(*vals), cmp_u64);

	CHECK_EQ(fc_hist_count(h), n);
	CHECK(fc_hist_min(h) == vals[0]);
	CHECK(fc_hist_max(h) == vals[n - 1]);
	CHECK(h->sum == sum);
	/* mean: exact sum / n; stdev: two-pass over the sorted data in long double */
	long double mean = (long double)sum / n, m2 = 0;
	for (unsigned i = 0; i < n; i++)
		m2 += ((long double)vals[i] - mean) * ((long double)vals[i] - mean);
	double sd = (double)sqrtl(m2 / n);
	CHECK(fabs(fc_hist_mean(h) - (double)mean) <= 1e-12 * (double)mean);
	CHECK(fabs(fc_hist_stdev(h) - sd) <= 1e-9 * sd);

	double ps[sizeof(pm_list) / sizeof(pm_list[0])];
	uint64_t outs[sizeof(pm_list) / sizeof(pm_list[0])];
	for (unsigned k = 0; k < sizeof(pm_list) / sizeof(pm_list[0]); k++)
		ps[k] = (double)pm_list[k] / 1000.0;
	CHECK_EQ(fc_hist_percentiles(h, ps, outs, sizeof(ps) / sizeof(ps[0])), 0);

	for (unsigned k = 0; k < sizeof(pm_list) / sizeof(pm_list[0]); k++) {
		/* rank = ceil(pm * n / 100000), at least 1 */
		uint64_t rank = (pm_list[k] * n + 99999) / 100000;
		if (rank < 1)
			rank = 1;
		uint64_t x = vals[rank - 1], lo, hi;
		ref_bucket(x, &lo, &hi);
		uint64_t expect = hi < vals[n - 1] ? hi : vals[n - 1];
		uint64_t got = fc_hist_percentile(h, ps[k]);
		if (got != expect || outs[k] != expect) {
			bad++;
			fprintf(stderr, "p%.3f: got %" PRIu64 "/%" PRIu64 " expect %" PRIu64
				" (sorted %" PRIu64 ")\n", ps[k], got, outs[k], expect, x);
		}
		if (fabs((double)got - (double)x) > (double)x / 1024.0)
			badrel++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(badrel, 0);
	CHECK(fc_hist_percentile(h, 0.0) == vals[0]);
	CHECK(fc_hist_percentile(h, 100.0) == vals[n - 1]);
	CHECK(fc_hist_percentile(h, 150.0) == vals[n - 1]);
	free(vals);
	fc_hist_free(h);
}

static void
test_rounding_rank(void)
{
	/* 1000 values 1..1000: p99.9 is the 999th value, not the 1000th (0.999*1000 in
	 * binary floating point is 999.0000000000001). */
	struct fc_hist *h = fc_hist_create(-1);
	for (uint64_t v = 1; v <= 1000; v++)
		fc_hist_record(h, v);
	CHECK_EQ(fc_hist_percentile(h, 99.9), 999);
	CHECK_EQ(fc_hist_percentile(h, 50.0), 500);
	CHECK_EQ(fc_hist_percentile(h, 50.01), 501);
	CHECK_EQ(fc_hist_percentile(h, 0.1), 1);
	CHECK_EQ(fc_hist_percentile(h, 0.11), 2);
	CHECK(fc_hist_mean(h) == 500.5);
	CHECK_EQ(fc_hist_count_between(h, 10, 19), 10);
	CHECK_EQ(fc_hist_count_between(h, 0, 5000), 1000);
	CHECK_EQ(fc_hist_count_between(h, 20, 19), 0);
	/* population stdev of 1..n = sqrt((n^2-1)/12) */
	CHECK(fabs(fc_hist_stdev(h) - sqrt((1000.0 * 1000.0 - 1) / 12.0)) < 1e-9);
	fc_hist_free(h);

	struct fc_hist *e = fc_hist_create(-1);
	CHECK_EQ(fc_hist_percentile(e, 50), 0);
	CHECK_EQ(fc_hist_min(e), 0);
	CHECK_EQ(fc_hist_max(e), 0);
	CHECK(fc_hist_mean(e) == 0.0 && fc_hist_stdev(e) == 0.0);
	fc_hist_free(e);
}

static void
test_clamp_and_huge(void)
{
	struct fc_hist *h = fc_hist_create(-1);
	uint64_t big = 10ull * 3600 * 1000000000ull; /* 10 h, beyond the trackable range */

	fc_hist_record(h, 5);
	fc_hist_record(h, big);
	CHECK_EQ(h->clamped, 1);
	CHECK(fc_hist_max(h) == big);
	CHECK_EQ(h->counts[FC_HIST_COUNTS_LEN - 1], 1);
	/* sum of squares of 3.6e13 overflows 64 bits; the 128-bit one is exact */
	CHECK(h->sumsq == (fc_hist_u128)big * big + 25);
	CHECK(fabs(fc_hist_mean(h) - (double)(big + 5) / 2) < 1.0);
	CHECK(fabs(fc_hist_stdev(h) - (double)(big - 5) / 2) < 1.0);
	CHECK(fc_hist_percentile(h, 100) == big);
	fc_hist_free(h);
}

static void
test_merge(void)
{
	struct fc_hist *all = fc_hist_create(-1), *part[3], *m = fc_hist_create(-1);

	for (int i = 0; i < 3; i++)
		part[i] = fc_hist_create(-1);
	for (int i = 0; i < 300000; i++) {
		uint64_t v = rnd_wide(40);
		fc_hist_record(all, v);
		fc_hist_record(part[i % 3], v);
	}
	for (int i = 0; i < 3; i++)
		CHECK_EQ(fc_hist_merge(m, part[i]), 0);
	CHECK(memcmp(all->counts, m->counts, sizeof(all->counts)) == 0);
	CHECK(all->count == m->count && all->min == m->min && all->max == m->max);
	CHECK(all->sum == m->sum && all->sumsq == m->sumsq);
	CHECK(fc_hist_mean(all) == fc_hist_mean(m));
	CHECK(fc_hist_stdev(all) == fc_hist_stdev(m));
	CHECK(fc_hist_percentile(all, 99.99) == fc_hist_percentile(m, 99.99));
	CHECK_EQ(fc_hist_merge(NULL, m), -EINVAL);
	fc_hist_reset(m);
	CHECK_EQ(fc_hist_count(m), 0);
	CHECK(m->min == UINT64_MAX && m->max == 0 && m->sum == 0);
	for (int i = 0; i < 3; i++)
		fc_hist_free(part[i]);
	fc_hist_free(all);
	fc_hist_free(m);
}

static void
test_corrected(void)
{
	struct fc_hist *h = fc_hist_create(-1);

	/* 1000 with interval 100: 1000, 900, ..., 100 (HdrHistogram keeps k while >= interval) */
	CHECK_EQ(fc_hist_record_corrected(h, 1000, 100), 10);
	CHECK_EQ(fc_hist_count(h), 10);
	CHECK(h->sum == 5500);
	CHECK_EQ(fc_hist_min(h), 100);
	CHECK_EQ(fc_hist_max(h), 1000);
	for (uint64_t v = 100; v <= 1000; v += 100)
		CHECK_EQ(h->counts[fc_hist_index(v)], 1);
	/* 250 with interval 100: 250, 150 (50 < 100 is not added) */
	CHECK_EQ(fc_hist_record_corrected(h, 250, 100), 2);
	CHECK_EQ(h->counts[fc_hist_index(150)], 1);
	CHECK_EQ(h->counts[fc_hist_index(50)], 0);
	/* at or below the interval, or interval 0: no synthetic values */
	CHECK_EQ(fc_hist_record_corrected(h, 100, 100), 1);
	CHECK_EQ(fc_hist_record_corrected(h, 5000, 0), 1);
	CHECK_EQ(fc_hist_count(h), 14);
	fc_hist_free(h);
}

/* The first rows of the .hgrm table for values 1,2,3,4 worked by hand from the percentile
 * iteration rule (levels 0,10,20,...,50, then steps of 5 until 75, then 2.5). */
static const char hgrm_small_head[] =
	"       Value   Percentile   TotalCount 1/(1-Percentile)\n"
	"\n"
	"       1.000     0.000000            1         1.00\n"
	"       1.000     0.100000            1         1.11\n"
	"       1.000     0.200000            1         1.25\n"
	"       2.000     0.300000            2         1.43\n"
	"       2.000     0.400000            2         1.67\n"
	"       2.000     0.500000            2         2.00\n"
	"       3.000     0.550000            3         2.22\n"
	"       3.000     0.600000            3         2.50\n"
	"       3.000     0.650000            3         2.86\n"
	"       3.000     0.700000            3         3.33\n"
	"       3.000     0.750000            3         4.00\n"
	"       4.000     0.775000            4         4.44\n";

static const char hgrm_small_tail[] =
	"       4.000     1.000000            4          inf\n"
	"#[Mean    =        2.500, StdDeviation   =        1.118]\n"
	"#[Max     =        4.000, Total count    =            4]\n"
	"#[Buckets =           32, SubBuckets     =         2048]\n";

static void
test_hgrm_small(void)
{
	struct fc_hist *h = fc_hist_create(-1);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (uint64_t v = 1; v <= 4; v++)
		fc_hist_record(h, v);
	CHECK_EQ(fc_hist_write_hgrm(h, f, 1.0, 5), 0);
	fclose(f);
	CHECK(strncmp(buf, hgrm_small_head, strlen(hgrm_small_head)) == 0);
	CHECK(len > strlen(hgrm_small_tail) &&
	      strcmp(buf + len - strlen(hgrm_small_tail), hgrm_small_tail) == 0);
	if (fc_test_failures)
		fprintf(stderr, "%s", buf);
	free(buf);
	CHECK_EQ(fc_hist_write_hgrm(h, stdout, 0.0, 5), -EINVAL);
	fc_hist_free(h);
}

/*
 * Reference output of HdrHistogram_c's hdr_percentiles_print(h, stdout, 5, 1.0, CLASSIC)
 * for one 2 and ten 4s, as asserted by Homebrew's hdrhistogram_c formula test. Identical
 * except the Buckets count, which depends on the highest trackable value (22 there for
 * 3.6e9, 32 here for 2^42).
 */
static const char hgrm_reference[] =
	"       Value   Percentile   TotalCount 1/(1-Percentile)\n"
	"\n"
	"       2.000     0.000000            1         1.00\n"
	"       4.000     0.100000           11         1.11\n"
	"       4.000     1.000000           11          inf\n"
	"#[Mean    =        3.818, StdDeviation   =        0.575]\n"
	"#[Max     =        4.000, Total count    =           11]\n"
	"#[Buckets =           32, SubBuckets     =         2048]\n";

static void
test_hgrm_reference(void)
{
	struct fc_hist *h = fc_hist_create(-1);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fc_hist_record(h, 2);
	fc_hist_record_n(h, 4, 10);
	CHECK_EQ(fc_hist_write_hgrm(h, f, 1.0, 5), 0);
	fclose(f);
	CHECK(strcmp(buf, hgrm_reference) == 0);
	if (strcmp(buf, hgrm_reference) != 0)
		fprintf(stderr, "%s", buf);
	free(buf);

	/* empty histogram: HdrHistogram prints the single 100% row */
	fc_hist_reset(h);
	buf = NULL;
	f = open_memstream(&buf, &len);
	CHECK_EQ(fc_hist_write_hgrm(h, f, 1000.0, 5), 0);
	fclose(f);
	CHECK_STR_CONTAINS(buf, "\n\n       0.000     1.000000            0          inf\n#[Mean");
	free(buf);
	fc_hist_free(h);
}

/* Parse back a large table: columns monotone, counts consistent, last row 100%. */
static void
test_hgrm_parse(void)
{
	struct fc_hist *h = fc_hist_create(-1);
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const unsigned n = 100000;
	double prev_v = -1, prev_p = -1, last_v = 0, last_p = 0, mean = -1, sd = -1, max = -1;
	uint64_t prev_c = 0, last_c = 0, total = 0;
	unsigned rows = 0, bad = 0, buckets = 0, subb = 0;

	for (unsigned i = 0; i < n; i++)
		fc_hist_record(h, 1000 + rnd_wide(30)); /* >= 1 us */
	CHECK_EQ(fc_hist_write_hgrm(h, f, 1000.0, 5), 0);
	fclose(f);

	line = strtok_r(buf, "\n", &save);
	CHECK(line && strcmp(line, "       Value   Percentile   TotalCount 1/(1-Percentile)") == 0);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		double v, p, inv;
		unsigned long long c;
		if (line[0] == '#') {
			if (sscanf(line, "#[Mean = %lf, StdDeviation = %lf]", &mean, &sd) == 2)
				continue;
			if (sscanf(line, "#[Max = %lf, Total count = %" SCNu64 "]", &max, &total) == 2)
				continue;
			if (sscanf(line, "#[Buckets = %u, SubBuckets = %u]", &buckets, &subb) == 2)
				continue;
			bad++;
			continue;
		}
		if (sscanf(line, "%lf %lf %llu %lf", &v, &p, &c, &inv) != 4 &&
		    !(sscanf(line, "%lf %lf %llu", &v, &p, &c) == 3 && strstr(line, "inf"))) {
			bad++;
			continue;
		}
		if (v < prev_v || p < prev_p || c < prev_c)
			bad++;
		/* the printed percentile has 6 decimals, so 1/(1-p) is checked where that is enough */
		if (p < 0.999 && fabs(inv - 1.0 / (1.0 - p)) > 0.01 * (1.0 / (1.0 - p)))
			bad++;
		prev_v = last_v = v;
		prev_p = last_p = p;
		prev_c = last_c = c;
		rows++;
	}
	CHECK_EQ(bad, 0);
	CHECK(rows > 50);
	CHECK(last_p == 1.0);
	CHECK_EQ(last_c, n);
	CHECK(fabs(last_v - (double)fc_hist_max(h) / 1000.0) < 0.0005);
	CHECK_EQ(total, n);
	CHECK(fabs(mean - fc_hist_mean(h) / 1000.0) < 0.0005);
	CHECK(fabs(sd - fc_hist_stdev(h) / 1000.0) < 0.0005);
	CHECK(fabs(max - (double)fc_hist_max(h) / 1000.0) < 0.0005);
	CHECK_EQ(buckets, 32);
	CHECK_EQ(subb, 2048);
	free(buf);
	fc_hist_free(h);
}

/* Two threads: the writer records 1..N and polls every pass; the reader rotates. */
struct pair_run {
	struct fc_hist_pair pair;
	uint64_t n;
	int done;
};

static void *
writer(void *arg)
{
	struct pair_run *r = arg;

	for (uint64_t i = 1; i <= r->n; i++) {
		struct fc_hist *h = fc_hist_pair_poll(&r->pair);
		fc_hist_record(h, i);
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void
test_pair_threads(void)
{
	struct pair_run r = { .n = 3000000 };
	struct fc_hist *total = fc_hist_create(-1);
	pthread_t t;
	unsigned ok = 0, again = 0;
	uint64_t t0 = now_ns();

	CHECK_EQ(fc_hist_pair_init(&r.pair, -1), 0);
	CHECK(pthread_create(&t, NULL, writer, &r) == 0);
	/* bounded: the writer finishes in well under a second; 20 s is a hard stop */
	while (!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE) && now_ns() - t0 < 20000000000ull) {
		int rc = fc_hist_pair_collect(&r.pair, total, 50000000);
		if (rc == 0)
			ok++;
		else if (rc == -EAGAIN)
			again++;
	}
	pthread_join(t, NULL);
	CHECK_EQ(fc_hist_pair_drain(&r.pair, total), 0);
	printf("pair: %u collections, %u timeouts, %.1f ms\n", ok, again, (now_ns() - t0) / 1e6);
	CHECK(ok > 0);
	CHECK_EQ(fc_hist_count(total), r.n);
	CHECK(total->sum == (fc_hist_u128)r.n * (r.n + 1) / 2);
	CHECK_EQ(fc_hist_min(total), 1);
	CHECK_EQ(fc_hist_max(total), r.n);
	/* every bucket holds exactly its share of 1..N */
	uint64_t bad = 0;
	for (uint64_t v = 1; v <= r.n; v = fc_hist_highest_equivalent(v) + 1) {
		uint64_t lo = fc_hist_lowest_equivalent(v), hi = fc_hist_highest_equivalent(v);
		if (hi > r.n)
			hi = r.n;
		if (total->counts[fc_hist_index(v)] != hi - lo + 1) {
			if (bad++ < 5)
				fprintf(stderr, "bucket %" PRIu64 "..%" PRIu64 ": %" PRIu64 "\n", lo, hi,
					total->counts[fc_hist_index(v)]);
		}
	}
	CHECK_EQ(bad, 0);

	/* no worker polling: a collect times out with -EAGAIN and nothing is lost */
	fc_hist_record(fc_hist_pair_poll(&r.pair), 7);
	CHECK_EQ(fc_hist_pair_collect(&r.pair, total, 1000000), -EAGAIN);
	CHECK_EQ(fc_hist_pair_request(&r.pair), -EBUSY);
	fc_hist_record(fc_hist_pair_poll(&r.pair), 8); /* acks, records into the new copy */
	CHECK_EQ(fc_hist_pair_try_collect(&r.pair, total), 0);
	CHECK_EQ(fc_hist_count(total), r.n + 1);
	CHECK_EQ(fc_hist_pair_drain(&r.pair, total), 0);
	CHECK_EQ(fc_hist_count(total), r.n + 2);
	fc_hist_pair_fini(&r.pair);
	fc_hist_free(total);
}

/* NUMA-local allocation through rte_zmalloc_socket (EAL on --no-huge: no root needed, so
 * an EAL that does not start is a failure). */
static void
test_rte_alloc(void)
{
	int eal = fc_test_eal_init("test_hist", 64);

	CHECK_EQ(eal, 0);
	if (eal != 0)
		return;
	struct fc_hist *h = fc_hist_create(0);
	struct fc_hist_pair p;
	CHECK(h != NULL);
	if (h) {
		CHECK_EQ(h->alloc, 2);
		CHECK_EQ(fc_hist_count(h), 0);
		fc_hist_record(h, 12345);
		CHECK_EQ(fc_hist_percentile(h, 50), 12345); /* bucket top 12351, clamped to max */
		fc_hist_free(h);
	}
	CHECK_EQ(fc_hist_pair_init(&p, 0), 0);
	fc_hist_record(fc_hist_pair_poll(&p), 5);
	CHECK_EQ(fc_hist_pair_drain(&p, NULL), 0);
	fc_hist_pair_fini(&p);
}

int
main(void)
{
	test_buckets();
	test_percentiles_vs_sorted(200000, 42);
	test_percentiles_vs_sorted(1000, 20);
	test_percentiles_vs_sorted(7, 12);
	test_percentiles_vs_sorted(1, 30);
	test_rounding_rank();
	test_clamp_and_huge();
	test_merge();
	test_corrected();
	test_hgrm_small();
	test_hgrm_reference();
	test_hgrm_parse();
	test_pair_threads();
	test_rte_alloc();
	return fc_test_result("hist");
}
