/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A stand-alone driver for the libFuzzer targets, so each one also runs in the unit suite
 * without clang: it replays the files given as arguments, then feeds N deterministic
 * mutations (bit flips, truncations, splices, random bytes) of them to the target.
 * Real coverage-guided fuzzing: scripts/fuzz builds the same targets with -fsanitize=fuzzer.
 *
 * usage: fuzz_X [-n ITERATIONS] [-s SEED] FILE...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define MAX_INPUT (64 * 1024)

static uint64_t rng_state;

static uint64_t
rng(void)
{
	/* splitmix64: deterministic for a seed, good enough to pick mutations. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t
mutate(uint8_t *buf, size_t len, const uint8_t *other, size_t olen)
{
	unsigned kind = (unsigned)(rng() % 6);

	switch (kind) {
	case 0: /* flip a few bits */
		for (unsigned i = 0, n = 1 + rng() % 8; i < n && len; i++)
			buf[rng() % len] ^= (uint8_t)(1u << (rng() % 8));
		break;
	case 1: /* truncate */
		if (len)
			len = rng() % len;
		break;
	case 2: /* overwrite with interesting bytes */
		for (unsigned i = 0, n = 1 + rng() % 4; i < n && len; i++) {
			static const uint8_t magic[] = {0, 0xff, 0x7f, 0x80, '\r', '\n', ':', ' ', '0', '9'};
			buf[rng() % len] = magic[rng() % sizeof(magic)];
		}
		break;
	case 3: /* splice the tail of another input */
		if (olen) {
			size_t at = len ? rng() % len : 0, from = rng() % olen;
			size_t n = olen - from;
			if (at + n > MAX_INPUT)
				n = MAX_INPUT - at;
			memcpy(buf + at, other + from, n);
			len = at + n;
		}
		break;
	case 4: /* duplicate a chunk */
		if (len && len < MAX_INPUT / 2) {
			size_t from = rng() % len, n = 1 + rng() % (len - from);
			memmove(buf + from + n, buf + from, len - from);
			len += n;
		}
		break;
	default: /* random bytes */
		len = rng() % 512;
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rng();
		break;
	}
	return len;
}

int
main(int argc, char **argv)
{
	static uint8_t seeds[64][MAX_INPUT];
	static size_t seed_len[64];
	static uint8_t buf[MAX_INPUT];
	unsigned nseeds = 0;
	long iterations = 20000;
	uint64_t seed = 1;
	int i = 1;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (; i < argc && argv[i][0] == '-'; i += 2) {
		if (i + 1 >= argc)
			break;
		if (strcmp(argv[i], "-n") == 0)
			iterations = atol(argv[i + 1]);
		else if (strcmp(argv[i], "-s") == 0)
			seed = strtoull(argv[i + 1], NULL, 0);
	}
	for (; i < argc && nseeds < 64; i++) {
		FILE *f = fopen(argv[i], "rb");

		if (f == NULL) {
			perror(argv[i]);
			return 1;
		}
		seed_len[nseeds] = fread(seeds[nseeds], 1, MAX_INPUT, f);
		fclose(f);
		LLVMFuzzerTestOneInput(seeds[nseeds], seed_len[nseeds]);
		nseeds++;
	}
	if (nseeds == 0) {
		seed_len[0] = 0;
		nseeds = 1;
	}
	rng_state = seed;
	for (long it = 0; it < iterations; it++) {
		unsigned s = (unsigned)(rng() % nseeds), o = (unsigned)(rng() % nseeds);
		size_t len = seed_len[s];

		memcpy(buf, seeds[s], len);
		for (unsigned k = 0, rounds = 1 + rng() % 3; k < rounds; k++)
			len = mutate(buf, len, seeds[o], seed_len[o]);
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("%s: %u seeds, %ld mutated inputs, no crash\n", argv[0], nseeds, iterations);
	return 0;
}
