/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/rate on a simulated clock: counts against rate x time, exact integer times,
 * worker interleaving, Poisson moments, burst bounds with and without stalls, ramps
 * against their analytic area, stages and live rate changes.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fc_rate.h"
#include "fc_test.h"

#define S 1000000000ull
#define MS 1000000ull
#define START 123456789ull

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static struct fc_rate_conf
conf_fixed(enum fc_rate_model m, double rate, uint32_t k, uint32_t n)
{
	return (struct fc_rate_conf){ .model = m, .rate = rate, .start_ns = START,
		.worker = k, .n_workers = n, .seed = 42 };
}

/* Requests of all workers intended in [START, START + dur). */
static uint64_t
count_until(const struct fc_rate_conf *base, uint32_t n_workers, uint64_t dur)
{
	uint64_t total = 0;

	for (uint32_t k = 0; k < n_workers; k++) {
		struct fc_rate_conf c = *base;
		struct fc_rate_sched s;

		c.worker = k;
		c.n_workers = n_workers;
		if (fc_rate_init(&s, &c) != 0)
			return UINT64_MAX;
		for (uint64_t guard = 0; guard < 100000000ull; guard++) {
			uint64_t t = fc_rate_next(&s);
			if (t >= START + dur)
				break;
			total++;
		}
	}
	return total;
}

static void
test_counts(void)
{
	static const double rates[] = { 0.1, 1, 1000, 100000 };
	struct fc_rate_plan plan;

	for (unsigned r = 0; r < 4; r++) {
		uint64_t expect = (uint64_t)llround(rates[r] * 10);
		for (uint32_t n = 1; n <= 4; n += 3) {
			struct fc_rate_conf c = conf_fixed(FC_RATE_CONSTANT, rates[r], 0, n);
			uint64_t got = count_until(&c, n, 10 * S);
			if (got != expect)
				fprintf(stderr, "rate %g N=%u: %" PRIu64 " != %" PRIu64 "\n",
					rates[r], n, got, expect);
			CHECK_EQ(got, expect);
			/* the same through a constant plan */
			CHECK_EQ(fc_rate_plan_init(&plan, rates[r], 1), 0);
			c.plan = &plan;
			CHECK_EQ(count_until(&c, n, 10 * S), expect);
		}
	}
}

static void
test_exact_times(void)
{
	struct fc_rate_conf c = conf_fixed(FC_RATE_CONSTANT, 3.0, 0, 1);
	struct fc_rate_sched s;
	uint64_t bad = 0;

	CHECK_EQ(fc_rate_init(&s, &c), 0);
	/* 3 req/s: interval 333333333.33 ns; summing rounded intervals would drift by 1 ns
	 * every 3 requests. Intended i = START + floor(i * 1e9 / 3), for 3 million requests. */
	for (uint64_t i = 0; i < 3000000; i++) {
		uint64_t t = fc_rate_next(&s);
		if (t != START + i * 1000000000ull / 3)
			bad++;
	}
	CHECK_EQ(bad, 0);

	/* 0.1 req/s: one request every 10 s exactly */
	c = conf_fixed(FC_RATE_CONSTANT, 0.1, 0, 1);
	CHECK_EQ(fc_rate_init(&s, &c), 0);
	CHECK(fc_rate_next(&s) == START);
	CHECK(fc_rate_next(&s) == START + 10 * S);
	CHECK(fc_rate_peek(&s) == START + 20 * S);
}

static void
test_interleave(void)
{
	enum { N = 4, PER = 2500 };
	static uint64_t all[N * PER], single[N * PER];
	struct fc_rate_sched s;
	unsigned bad = 0;

	for (uint32_t k = 0; k < N; k++) {
		struct fc_rate_conf c = conf_fixed(FC_RATE_CONSTANT, 1000, k, N);
		CHECK_EQ(fc_rate_init(&s, &c), 0);
		for (unsigned i = 0; i < PER; i++)
			all[k * PER + i] = fc_rate_next(&s);
		/* each worker at rate/N: its own gaps are N ms */
		CHECK(all[k * PER + 1] - all[k * PER] == N * MS);
		CHECK(all[k * PER] == START + k * MS); /* phase shift of 1/rate per worker */
	}
	struct fc_rate_conf c1 = conf_fixed(FC_RATE_CONSTANT, 1000, 0, 1);
	CHECK_EQ(fc_rate_init(&s, &c1), 0);
	for (unsigned i = 0; i < N * PER; i++)
		single[i] = fc_rate_next(&s);
	qsort(all, N * PER, sizeof(all[0]), cmp_u64);
	for (unsigned i = 0; i < N * PER; i++)
		if (all[i] != single[i] || (i && all[i] == all[i - 1]))
			bad++;
	CHECK_EQ(bad, 0);
}

static void
test_poisson(void)
{
	const unsigned n = 400000;
	struct fc_rate_conf c = conf_fixed(FC_RATE_POISSON, 1000, 0, 1);
	struct fc_rate_sched s, s2;
	double sum = 0, sumsq = 0;
	uint64_t prev;

	CHECK_EQ(fc_rate_init(&s, &c), 0);
	prev = fc_rate_next(&s);
	for (unsigned i = 0; i < n; i++) {
		uint64_t t = fc_rate_next(&s);
		double g = (double)(t - prev);
		sum += g;
		sumsq += g * g;
		prev = t;
	}
	double mean = sum / n, var = sumsq / n - mean * mean;
	printf("poisson: mean gap %.1f ns (1e6), var/mean^2 %.4f (1)\n", mean, var / (mean * mean));
	/* standard error of the mean: 1e6/sqrt(4e5) = 0.16%; of the variance ~0.45% */
	CHECK(fabs(mean - 1e6) < 0.01 * 1e6);
	CHECK(fabs(var / (mean * mean) - 1.0) < 0.03);

	/* same seed, same schedule; another worker, another stream */
	CHECK_EQ(fc_rate_init(&s, &c), 0);
	CHECK_EQ(fc_rate_init(&s2, &c), 0);
	CHECK(fc_rate_next(&s) == fc_rate_next(&s2));
	c.worker = 1;
	c.n_workers = 2;
	CHECK_EQ(fc_rate_init(&s2, &c), 0);
	CHECK(fc_rate_peek(&s2) != fc_rate_peek(&s));

	/* 4 workers at 10000 total for 10 s: count ~ Poisson(100000), sd 316 (0.3%) */
	c = conf_fixed(FC_RATE_POISSON, 10000, 0, 4);
	uint64_t cnt = count_until(&c, 4, 10 * S);
	printf("poisson: 4 workers, 10 s at 10000/s: %" PRIu64 "\n", cnt);
	CHECK(cnt > 98500 && cnt < 101500);

	/* Poisson through a ramp plan: count follows the area (0.5*20000*10 = 100000) */
	struct fc_rate_plan plan;
	CHECK_EQ(fc_rate_plan_ramp(&plan, 0, 1, 20000, 10, 10 * S), 0);
	c.plan = &plan;
	cnt = count_until(&c, 2, 10 * S);
	CHECK(cnt > 98500 && cnt < 101500);
}

/* Simulate a worker loop polling every `step` ns, with an optional stall; histogram the
 * release times per 1 ms window. Returns the largest window count. */
static uint64_t
simulate(struct fc_rate_sched *s, uint64_t dur, uint64_t step, uint64_t stall_at,
		uint64_t stall_len, uint64_t *released, uint64_t *max_per_call)
{
	uint64_t *win = calloc(dur / MS + 2, sizeof(*win)), worst = 0, total = 0;
	uint64_t buf[64];

	*max_per_call = 0;
	for (uint64_t now = START; now < START + dur; now += step) {
		if (now >= START + stall_at && now < START + stall_at + stall_len)
			continue;
		unsigned n = fc_rate_due(s, now, buf, 64);
		for (unsigned i = 0; i < n; i++)
			CHECK(buf[i] <= now);
		win[(now - START) / MS] += n;
		total += n;
		if (n > *max_per_call)
			*max_per_call = n;
	}
	for (uint64_t w = 0; w <= dur / MS; w++)
		if (win[w] > worst)
			worst = win[w];
	free(win);
	*released = total;
	return worst;
}

static void
test_bursts(void)
{
	struct fc_rate_sched s;
	struct fc_rate_conf c;
	uint64_t rel, per_call, worst;

	/* on schedule: 1000/s and 100000/s, polled every 7 us: never above 2x per ms */
	static const double rates[] = { 1000, 100000 };
	for (unsigned r = 0; r < 2; r++) {
		double per_ms = rates[r] / 1000;
		c = conf_fixed(FC_RATE_CONSTANT, rates[r], 0, 1);
		c.catchup_factor = 2.0;
		CHECK_EQ(fc_rate_init(&s, &c), 0);
		worst = simulate(&s, 2 * S, 7000, 0, 0, &rel, &per_call);
		CHECK(worst <= 2 * per_ms);
		CHECK(worst >= per_ms);
		CHECK(rel == (uint64_t)(rates[r] * 2)); /* 2 s, all released */
	}

	/* a 50 ms stall at 100000/s: 5000 requests late. Burst cap 32 per call, catch-up at 2x:
	 * no 1 ms window above 2x target plus the bucket depth, and nothing dropped. */
	c = conf_fixed(FC_RATE_CONSTANT, 100000, 0, 1);
	c.catchup_factor = 2.0;
	c.max_burst = 32;
	CHECK_EQ(fc_rate_init(&s, &c), 0);
	worst = simulate(&s, 1 * S, 5000, 200 * MS, 50 * MS, &rel, &per_call);
	printf("stall: worst 1 ms window %" PRIu64 " (target 100), late %" PRIu64
		", max lag %.1f ms\n", worst, s.late, s.max_lag_ns / 1e6);
	CHECK(worst <= 200 + 32);
	CHECK(per_call <= 32);
	CHECK(s.late > 4000);
	CHECK(!fc_rate_behind(&s, START + 1 * S - 5000)); /* caught up well before the end */
	/* every intended time < end was released (the last poll is at end - step) */
	CHECK(rel == 100000 - 1 || rel == 100000);
	CHECK_EQ(rel, s.issued);

	/* without pacing only the per-call cap holds */
	c.catchup_factor = 0;
	CHECK_EQ(fc_rate_init(&s, &c), 0);
	worst = simulate(&s, 1 * S, 5000, 200 * MS, 50 * MS, &rel, &per_call);
	CHECK(per_call == 32);
	CHECK(rel >= 100000 - 1);
}

static void
test_ramp(void)
{
	struct fc_rate_plan plan;
	struct fc_rate_conf c = { .model = FC_RATE_CONSTANT, .start_ns = START, .n_workers = 1 };
	struct fc_rate_sched s;
	double r;
	uint32_t conns;

	/* 0 -> 1000 req/s over 10 s, then hold: area(t) = 50 t^2 for t <= 10, 5000 + 1000 (t-10) */
	CHECK_EQ(fc_rate_plan_ramp(&plan, 0, 1, 1000, 64, 10 * S), 0);
	c.plan = &plan;
	CHECK(fabs(fc_rate_plan_integral(&plan, 5 * S) - 1250.0) < 1e-6);
	CHECK(fabs(fc_rate_plan_integral(&plan, 10 * S) - 5000.0) < 1e-6);
	CHECK(fabs(fc_rate_plan_integral(&plan, 20 * S) - 15000.0) < 1e-6);
	CHECK_EQ(fc_rate_plan_at(&plan, 5 * S, &r, &conns), 0);
	CHECK(fabs(r - 500.0) < 1e-9);
	CHECK_EQ(conns, 33); /* 1 + 63/2 = 32.5, rounded up */
	CHECK_EQ(fc_rate_plan_at(&plan, 30 * S, &r, &conns), 0);
	CHECK(r == 1000.0 && conns == 64);
	CHECK_EQ(fc_rate_plan_duration(&plan), 10 * S);

	/* counts: requests j = 0,1,... at area j, so count in [0,t) = ceil(area(t)) */
	CHECK_EQ(count_until(&c, 1, 5 * S), 1250);
	CHECK_EQ(count_until(&c, 1, 10 * S), 5000);
	CHECK_EQ(count_until(&c, 3, 20 * S), 15000);

	/* exact times inside the ramp: t_j = sqrt(j / 50) s; gaps shrink smoothly */
	CHECK_EQ(fc_rate_init(&s, &c), 0);
	uint64_t prev = 0, prev_gap = UINT64_MAX, bad = 0, bad_gap = 0;
	for (uint64_t j = 0; j < 5000; j++) {
		uint64_t t = fc_rate_next(&s) - START;
		double expect = sqrt((double)j / 50.0) * 1e9;
		if (fabs((double)t - expect) > 2.0)
			bad++;
		if (j >= 2) {
			if (t - prev > prev_gap + 1)
				bad_gap++;
			prev_gap = t - prev;
		} else if (j == 1) {
			prev_gap = t - prev;
		}
		prev = t;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(bad_gap, 0);
	/* after the ramp: constant 1 ms gaps */
	uint64_t t1 = fc_rate_next(&s), t2 = fc_rate_next(&s);
	CHECK(t1 - START == 10 * S);
	CHECK(t2 - t1 == MS);

	/* ramp from a start rate: 100 -> 300 over 4 s: area 800 */
	CHECK_EQ(fc_rate_plan_ramp(&plan, 100, 10, 300, 10, 4 * S), 0);
	CHECK_EQ(count_until(&c, 2, 4 * S), 800);
}

static void
test_stages(void)
{
	struct fc_rate_plan plan;
	struct fc_rate_conf c = { .model = FC_RATE_CONSTANT, .start_ns = START, .n_workers = 1 };
	struct fc_rate_sched s;
	double r;
	uint32_t conns;

	CHECK_EQ(fc_rate_plan_init(&plan, 0, 0), 0);
	CHECK_EQ(fc_rate_plan_add_stage(&plan, 10 * S, 100, 10), 0);  /* ramp up */
	CHECK_EQ(fc_rate_plan_add_stage(&plan, 10 * S, 100, 10), 0);  /* hold */
	CHECK_EQ(fc_rate_plan_add_stage(&plan, 0, 200, 20), 0);       /* step */
	CHECK_EQ(fc_rate_plan_add_stage(&plan, 5 * S, 200, 20), 0);   /* hold */
	CHECK_EQ(fc_rate_plan_add_stage(&plan, 5 * S, 0, 0), 0);      /* ramp down */
	c.plan = &plan;

	CHECK_EQ(fc_rate_plan_at(&plan, 5 * S, &r, &conns), 0);
	CHECK(fabs(r - 50) < 1e-9 && conns == 5);
	CHECK_EQ(fc_rate_plan_at(&plan, 15 * S, &r, &conns), 0);
	CHECK(r == 100 && conns == 10);
	CHECK_EQ(fc_rate_plan_at(&plan, 20 * S, &r, &conns), 0);
	CHECK(r == 200 && conns == 20); /* at the step: the value after it */
	CHECK_EQ(fc_rate_plan_at(&plan, 27500 * MS, &r, &conns), 0);
	CHECK(fabs(r - 100) < 1e-9 && conns == 10);
	CHECK_EQ(fc_rate_plan_at(&plan, 40 * S, &r, &conns), 0);
	CHECK(r == 0 && conns == 0);
	CHECK_EQ(fc_rate_plan_duration(&plan), 30 * S);

	/* areas: 500 + 1000 + 1000 + 500 = 3000 */
	CHECK(fabs(fc_rate_plan_integral(&plan, 30 * S) - 3000) < 1e-6);
	CHECK_EQ(count_until(&c, 1, 20 * S), 1500);
	CHECK_EQ(count_until(&c, 1, 25 * S), 2500);
	/* request j is intended where the area reaches j (j = 0 at t = 0), so a plan whose
	 * area ends at exactly 3000 has requests 0..3000, the last one at its end */
	CHECK_EQ(count_until(&c, 2, 60 * S), 3001);
	/* after the plan ends at rate 0 no request is ever due */
	CHECK_EQ(fc_rate_init(&s, &c), 0);
	uint64_t last = 0, n = 0;
	for (uint64_t t; (t = fc_rate_next(&s)) != FC_RATE_NEVER && n < 10000; n++)
		last = t;
	CHECK_EQ(n, 3001);
	/* at the very end of a ramp to 0 the root is where the rate vanishes, and the
	 * discriminant's rounding moves it by a few ns depending on the compiler's FP code */
	if (last != START + 30 * S)
		printf("stages: last request %.0f ns before the end\n",
			(double)(START + 30 * S) - (double)last);
	CHECK(last <= START + 30 * S && last >= START + 30 * S - 1000);
	CHECK(fc_rate_due(&s, UINT64_MAX - 1, NULL, 64) == 0);

	/* full plan */
	CHECK_EQ(fc_rate_plan_init(&plan, 1, 1), 0);
	int rc = 0;
	for (int i = 0; i < FC_RATE_PLAN_MAX - 1; i++)
		rc |= fc_rate_plan_add_stage(&plan, S, 1, 1);
	CHECK_EQ(rc, 0);
	CHECK_EQ(fc_rate_plan_add_stage(&plan, S, 1, 1), -ENOSPC);
	CHECK_EQ(fc_rate_plan_add_stage(&plan, S, -1, 1), -EINVAL);
	CHECK_EQ(fc_rate_plan_add_stage(&plan, S, NAN, 1), -EINVAL);
}

static void
test_set_rate(void)
{
	enum { N = 2 };
	uint64_t times[40000];
	unsigned cnt = 0;

	/* 1000/s, switched to 2000/s at 5 s by both workers: union = 5000 + 10000 in 10 s,
	 * with the same interleave as one global schedule restarted at 5 s */
	for (uint32_t k = 0; k < N; k++) {
		struct fc_rate_conf c = conf_fixed(FC_RATE_CONSTANT, 1000, k, N);
		struct fc_rate_sched s;
		CHECK_EQ(fc_rate_init(&s, &c), 0);
		/* the worker has consumed up to 2 s when it sees the change */
		while (fc_rate_peek(&s) < START + 2 * S)
			fc_rate_next(&s);
		CHECK_EQ(fc_rate_set_rate(&s, START + 5 * S, 2000), 0);
		for (uint64_t t = START; cnt < 40000;) {
			t = fc_rate_next(&s);
			if (t >= START + 10 * S)
				break;
			if (t >= START + 2 * S)
				times[cnt++] = t;
		}
	}
	qsort(times, cnt, sizeof(times[0]), cmp_u64);
	CHECK_EQ(cnt, 3000 + 10000);
	unsigned bad = 0;
	for (unsigned i = 0; i < cnt; i++) {
		uint64_t expect = i < 3000 ? START + 2 * S + i * MS : START + 5 * S + (i - 3000) * (MS / 2);
		if (times[i] != expect)
			bad++;
	}
	CHECK_EQ(bad, 0);

	/* pause with rate 0, effective immediately */
	struct fc_rate_conf c = conf_fixed(FC_RATE_CONSTANT, 1000, 0, 1);
	struct fc_rate_sched s;
	CHECK_EQ(fc_rate_init(&s, &c), 0);
	CHECK_EQ(fc_rate_set_rate(&s, START, 0), 0);
	CHECK(fc_rate_peek(&s) == FC_RATE_NEVER);
	CHECK_EQ(fc_rate_set_rate(&s, START + S, 1), 0);
	CHECK(fc_rate_peek(&s) == START + S);
	CHECK_EQ(fc_rate_set_rate(&s, START, -1), -EINVAL);
}

static void
test_invalid(void)
{
	struct fc_rate_sched s;
	struct fc_rate_conf c = conf_fixed(FC_RATE_CONSTANT, 0, 0, 1);

	CHECK_EQ(fc_rate_init(&s, &c), -EINVAL);
	c.rate = 1e-9;
	CHECK_EQ(fc_rate_init(&s, &c), -EINVAL);
	c.rate = 10;
	c.worker = 3;
	c.n_workers = 3;
	CHECK_EQ(fc_rate_init(&s, &c), -EINVAL);
	c.worker = 0;
	c.catchup_factor = 0.5;
	CHECK_EQ(fc_rate_init(&s, &c), -EINVAL);
	c.catchup_factor = 0;
	c.model = (enum fc_rate_model)7;
	CHECK_EQ(fc_rate_init(&s, &c), -EINVAL);
	CHECK_EQ(fc_rate_plan_at(NULL, 0, NULL, NULL), -EINVAL);
}

int
main(void)
{
	test_counts();
	test_exact_times();
	test_interleave();
	test_poisson();
	test_bursts();
	test_ramp();
	test_stages();
	test_set_rate();
	test_invalid();
	return fc_test_result("rate");
}
