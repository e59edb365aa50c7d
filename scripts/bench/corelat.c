/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * corelat: the round trip of one cache line between two CPUs, the covariate every
 * two-core benchmark on this VM needs.
 *
 * The embedded pair moves every frame from one core's cache to the other's. On this VM the
 * hypervisor moves the two vCPUs between placements that share a last-level cache (a round
 * trip of about 75 ns) and placements that do not (about 380 ns), and keeps each for seconds
 * to minutes. The pair's requests/s differed by up to 1.6x between the two, so the benchmark
 * scripts probe before and after each run with this, and a ratio of two runs is read with
 * their placements beside it.
 *
 *   corelat [MS=300] [CPU_A=0] [CPU_B=1]
 * Prints the median round trip in ns over MS milliseconds (batches of 1000 round trips).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static _Alignas(64) _Atomic uint64_t line;
static _Atomic int stop;

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int
pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

/* The far side: answer every odd value with the next even one. */
static void *
echo_side(void *arg)
{
	uint64_t v = 1;

	if (pin((int)(intptr_t)arg) != 0)
		return NULL;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (atomic_load_explicit(&line, memory_order_acquire) == v) {
			atomic_store_explicit(&line, v + 1, memory_order_release);
			v += 2;
		}
	}
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	int ms = argc > 1 ? atoi(argv[1]) : 300;
	int cpu_a = argc > 2 ? atoi(argv[2]) : 0, cpu_b = argc > 3 ? atoi(argv[3]) : 1;
	double samples[4096], end;
	unsigned n = 0;
	uint64_t v = 0;
	pthread_t t;

	if (ms < 10 || ms > 60000) {
		fprintf(stderr, "corelat: MS %d is outside [10, 60000]\n", ms);
		return 2;
	}
	if (pthread_create(&t, NULL, echo_side, (void *)(intptr_t)cpu_b) != 0 || pin(cpu_a) != 0) {
		fprintf(stderr, "corelat: cannot run on CPUs %d and %d\n", cpu_a, cpu_b);
		return 1;
	}
	end = now_s() + ms / 1000.0;
	while (n < sizeof(samples) / sizeof(samples[0])) {
		double t0 = now_s();

		if (t0 >= end)
			break;
		for (int i = 0; i < 1000; i++) {
			atomic_store_explicit(&line, v + 1, memory_order_release);
			/* Bounded: the echo side may have failed to pin and exited. */
			for (long spin = 0; atomic_load_explicit(&line, memory_order_acquire) != v + 2;
			     spin++) {
				if (spin > 100000000L) {
					fprintf(stderr, "corelat: no echo from CPU %d\n", cpu_b);
					return 1;
				}
			}
			v += 2;
		}
		samples[n++] = (now_s() - t0) / 1000 * 1e9;
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	qsort(samples, n, sizeof(samples[0]), cmp_double);
	printf("%.0f\n", samples[n / 2]);
	return 0;
}
