/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cost of fc_rate_due() per scheduled request, wall clock (suite perf, not part of the unit
 * run: the figures depend on the machine). A simulated loop pass every 5 us releases what
 * is due, for the constant and Poisson models, each alone and under a ramp plan. The
 * constant model's count is checked against rate x simulated time, so a broken schedule
 * does not print a meaningless figure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "fc_rate.h"
#include "fc_test.h"

#define S 1000000000ull
#define START 123456789ull
#define RATE 100000.0
#define PASS_NS 5000u

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
main(void)
{
	struct fc_rate_plan plan;
	struct fc_rate_sched s;
	const unsigned n = 2000000;
	uint64_t sink = 0;

	fc_rate_plan_ramp(&plan, 0, 1, RATE, 64, 10 * S);
	for (int mode = 0; mode < 4; mode++) {
		struct fc_rate_conf c = {
			.model = mode & 1 ? FC_RATE_POISSON : FC_RATE_CONSTANT,
			.rate = RATE, .start_ns = START, .worker = 0, .n_workers = 1, .seed = 42,
			.plan = mode >= 2 ? &plan : NULL, .catchup_factor = 2.0,
		};

		fc_rate_init(&s, &c);
		uint64_t t0 = wall_ns(), now = START, rel = 0;
		while (rel < n) {
			uint64_t buf[32];
			unsigned k = fc_rate_due(&s, now, buf, 32);

			rel += k;
			sink += k ? buf[0] : 0;
			now += PASS_NS;
		}
		uint64_t t1 = wall_ns();

		printf("due(): %s%s: %.1f ns per request\n", mode & 1 ? "poisson" : "constant",
			mode >= 2 ? " + ramp plan" : "", (double)(t1 - t0) / n);
		if (mode == 0) {
			/* n requests at RATE take n / RATE s, to within a pass and a burst. */
			double sim_s = (double)(now - START) / 1e9, want_s = n / RATE;

			CHECK(sim_s > want_s * 0.999 && sim_s < want_s * 1.001);
		}
	}
	CHECK(sink != 0);
	return fc_test_result("bench_rate");
}
