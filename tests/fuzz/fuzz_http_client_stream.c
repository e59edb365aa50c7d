/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the client response stream parser. The first 8 bytes are HEAD bits for 64
 * requests in flight and the next 2 give a segment size; the rest is the response stream.
 * The stream is fed whole and again in segments (each segment copied to its own buffer so
 * ASan sees over-reads), and both runs must report the same responses, the same error and
 * the same end-of-stream verdict: segmentation must never change what is parsed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fc_http.h"

#define REQUIRE(c) do { if (!(c)) __builtin_trap(); } while (0)
#define MAX_RESULTS 256

struct outcome {
	struct fc_http_client_result r[MAX_RESULTS];
	unsigned n;
	int64_t err;
	int eof;
};

static struct fc_http_hdr_pool *pool;

static void
run(const uint8_t *bits, const char *s, size_t len, size_t seg, struct outcome *o)
{
	struct fc_http_client_parser p;
	struct fc_http_client_result eofr;
	size_t start = 0;
	int i;

	memset(o, 0, sizeof(*o));
	fc_http_client_init(&p, pool);
	for (i = 0; i < 64; i++)
		REQUIRE(fc_http_client_expect(&p, (bits[i / 8] >> (i % 8)) & 1) == 0);
	while (start < len && o->err == 0) {
		size_t n = len - start < seg ? len - start : seg, off = 0;
		char *b = malloc(n);

		REQUIRE(b != NULL);
		memcpy(b, s + start, n);
		while (off < n) {
			struct fc_http_client_result r;
			int64_t k = fc_http_client_feed(&p, b + off, n - off, &r);

			if (k < 0) {
				o->err = k;
				break;
			}
			REQUIRE((size_t)k <= n - off);
			REQUIRE(k > 0 || r.complete);
			off += (size_t)k;
			if (r.complete) {
				REQUIRE(o->n < MAX_RESULTS);
				o->r[o->n++] = r;
			}
		}
		free(b);
		start += n;
	}
	if (o->err == 0) {
		o->eof = fc_http_client_eof(&p, &eofr);
		if (eofr.complete) {
			REQUIRE(o->n < MAX_RESULTS);
			o->r[o->n++] = eofr;
		}
	}
	fc_http_client_release(&p);
	REQUIRE(fc_http_hdr_pool_avail(pool) == 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct outcome a, b;
	size_t seg, len;
	unsigned i;

	if (size < 10 || size > 60000)
		return 0;
	if (pool == NULL) {
		pool = fc_http_hdr_pool_create(1, 65535);
		REQUIRE(pool != NULL);
	}
	seg = 1 + (((size_t)data[8] << 8 | data[9]) % 97);
	len = size - 10;
	run(data, (const char *)data + 10, len, len ? len : 1, &a);
	run(data, (const char *)data + 10, len, seg, &b);
	REQUIRE(a.err == b.err);
	REQUIRE(a.eof == b.eof);
	REQUIRE(a.n == b.n);
	for (i = 0; i < a.n; i++) {
		REQUIRE(a.r[i].status == b.r[i].status);
		REQUIRE(a.r[i].header_bytes == b.r[i].header_bytes);
		REQUIRE(a.r[i].body_bytes == b.r[i].body_bytes);
		REQUIRE(a.r[i].keep_alive == b.r[i].keep_alive);
		REQUIRE(a.r[i].status >= 200 && a.r[i].status <= 599);
	}
	return 0;
}
