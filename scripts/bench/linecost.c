/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What one more cache line costs a step of a walk over memory that does not fit the caches,
 * and whether it matters that the line neighbours one already missed.
 *
 * A random cyclic walk over 1 GiB of 8 KiB blocks: each step loads the block's first line
 * (which names the next block) and then EXTRA more lines at offsets D, 2D, ... of the same
 * block, each load made dependent on the first so that it cannot start before it.
 *   CHAINS=1   one walk: the latency of a step (each miss waits for the last)
 *   CHAINS=16  sixteen walks interleaved: the misses overlap as far as the core's miss
 *              buffers allow, which is how the pair's prefetched receive path runs at 50,000
 *              connections
 * usage: cc -O2 -o linecost linecost.c && ./linecost CHAINS D EXTRA   (e.g. 16 64 1)
 * Prints nanoseconds per step and per walk step (steps / chains).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define MAX_CHAINS 64
#define BLOCK 8192
#define SPAN (UINT64_C(1) << 30)

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	size_t nb = SPAN / BLOCK, steps = 1000000;
	uint64_t pos[MAX_CHAINS], acc = 0;
	unsigned chains, d, extra;
	uint32_t *perm;
	char *buf;
	double t0, dt;

	if (argc != 4) {
		fprintf(stderr, "usage: %s CHAINS D EXTRA\n", argv[0]);
		return 2;
	}
	chains = (unsigned)atoi(argv[1]);
	d = (unsigned)atoi(argv[2]);
	extra = (unsigned)atoi(argv[3]);
	if (chains < 1 || chains > MAX_CHAINS || (uint64_t)d * extra + 8 > BLOCK) {
		fprintf(stderr, "CHAINS 1..%d, D x EXTRA below %d\n", MAX_CHAINS, BLOCK);
		return 2;
	}
	buf = mmap(NULL, SPAN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
		   -1, 0);
	if (buf == MAP_FAILED) {
		buf = mmap(NULL, SPAN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (buf == MAP_FAILED)
			return 1;
		madvise(buf, SPAN, MADV_HUGEPAGE);
	}
	perm = malloc(nb * sizeof(*perm));
	if (perm == NULL)
		return 1;
	for (size_t i = 0; i < nb; i++)
		perm[i] = (uint32_t)i;
	srand(1);
	for (size_t i = nb - 1; i > 0; i--) {
		size_t j = (((size_t)rand() << 16) ^ (size_t)rand()) % (i + 1);
		uint32_t t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	/* Every block is touched (mapped, zero but for its link). */
	for (size_t i = 0; i < nb; i++) {
		for (size_t o = 0; o < BLOCK; o += 4096)
			buf[(size_t)perm[i] * BLOCK + o] = 0;
		*(uint64_t *)(buf + (size_t)perm[i] * BLOCK) = (uint64_t)perm[(i + 1) % nb] * BLOCK;
	}
	for (unsigned k = 0; k < chains; k++)
		pos[k] = (uint64_t)perm[k * (nb / chains)] * BLOCK;
	steps /= chains;
	t0 = now_s();
	for (size_t s = 0; s < steps; s++) {
		for (unsigned k = 0; k < chains; k++) {
			uint64_t next = *(volatile uint64_t *)(buf + pos[k]);

			/* next >> 63 is 0, but the compiler cannot know: each extra load waits
			 * for the first one's line. */
			for (unsigned l = 1; l <= extra; l++)
				acc += *(volatile uint64_t *)(buf + pos[k] + l * d + (next >> 63));
			pos[k] = next + (acc >> 63);
		}
	}
	dt = now_s() - t0;
	printf("chains %u, %u extra lines %u bytes apart: %.1f ns per step, %.1f ns per walk step%s\n",
	       chains, extra, d, dt / (double)(steps * chains) * 1e9, dt / (double)steps * 1e9,
	       acc ? " (acc)" : "");
	return 0;
}
