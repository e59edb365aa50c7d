/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory latency and parallelism of this machine, the limits the pair meets with 50,000
 * connections (docs/benchmarks.md reads the pair's figures with it): a random cyclic chain
 * of cache lines over SIZE MiB (2 MiB hugepages when available), walked as one dependent
 * chain (latency per line) and as K independent chains at once (lines per ns the core keeps
 * in flight).
 *
 *   cc -O2 -o memlat scripts/bench/memlat.c && ./memlat [SIZE_MIB=1024] [ROWS=4]
 *
 * Local tool, no network, no DPDK. Prints one line per chain count (1, 8, 16, 32; the first
 * ROWS of them).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define LINE 64
#define STEPS 20000000u
#define MAX_CHAINS 32

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Walk @k chains of @steps / @k steps each, starting at @start[]; ns per line. */
static double
walk(char **start, unsigned k, char **sink)
{
	char *p[MAX_CHAINS];
	double t0;

	for (unsigned c = 0; c < k; c++)
		p[c] = start[c];
	t0 = now_s();
	for (unsigned i = 0; i < STEPS / k; i++)
		for (unsigned c = 0; c < k; c++)
			p[c] = *(char **)p[c];
	for (unsigned c = 0; c < k; c++)
		sink[c] = p[c];
	return (now_s() - t0) * 1e9 / (double)(STEPS / k * k);
}

int
main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoull(argv[1], NULL, 0) : 1024, size = mib << 20;
	size_t n = size / LINE;
	unsigned rows = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 4;
	int huge = 1;
	static const unsigned ks[] = { 1, 8, 16, 32 };
	char *start[MAX_CHAINS], *sink[MAX_CHAINS], *buf;
	uint32_t *order;

	if (mib == 0 || mib > 65536) {
		fprintf(stderr, "SIZE_MIB: %zu is outside 1..65536\n", mib);
		return 2;
	}
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
		   -1, 0);
	if (buf == MAP_FAILED) {
		huge = 0;
		buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	order = malloc(n * sizeof(*order));
	if (buf == MAP_FAILED || order == NULL) {
		perror("memlat: allocation");
		return 1;
	}
	/* One random cycle through every line (Fisher-Yates), so no prefetcher can guess. */
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rnd() % (i + 1);
		uint32_t t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		*(char **)(buf + (size_t)order[i] * LINE) = buf + (size_t)order[(i + 1) % n] * LINE;
	for (unsigned x = 0; x < sizeof(ks) / sizeof(ks[0]) && x < rows; x++) {
		unsigned k = ks[x];

		for (unsigned c = 0; c < k; c++)
			start[c] = buf + (size_t)order[c * (n / k)] * LINE;
		printf("%zu MiB (%s pages), %2u chain%s: %6.1f ns per line\n", mib,
		       huge ? "2 MiB" : "4 KiB", k, k > 1 ? "s" : " ", walk(start, k, sink));
	}
	free(order);
	munmap(buf, size);
	return sink[0] == NULL;
}
