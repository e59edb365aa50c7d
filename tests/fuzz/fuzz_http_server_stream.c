/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the responder's request stream parser, fed whole and in segments whose
 * size comes from the first 2 bytes; both runs must give the same replies and errors.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fc_http.h"

#define REQUIRE(c) do { if (!(c)) __builtin_trap(); } while (0)
#define MAX_REPLIES 512

struct outcome {
	uint16_t status[MAX_REPLIES];
	size_t len[MAX_REPLIES];
	bool close[MAX_REPLIES];
	unsigned n;
	int64_t err;
	uint64_t req_bytes;
};

static struct fc_http_hdr_pool *pool;
static struct fc_http_server *srv;

static void
run(const char *s, size_t len, size_t seg, struct outcome *o)
{
	struct fc_http_server_stats st;
	struct fc_http_server_conn c;
	size_t start = 0;
	bool closed = false;

	memset(o, 0, sizeof(*o));
	memset(&st, 0, sizeof(st));
	fc_http_server_conn_init(&c, pool, &st, 1);
	/* After a reply that closes, the caller stops reading: so does this harness. */
	while (start < len && o->err == 0 && !closed) {
		size_t n = len - start < seg ? len - start : seg, off = 0;
		char *b = malloc(n);

		REQUIRE(b != NULL);
		memcpy(b, s + start, n);
		while (off < n) {
			struct fc_http_server_reply r;
			int64_t k = fc_http_server_feed(srv, &c, b + off, n - off, &r);

			if (k < 0) {
				o->err = k;
				break;
			}
			REQUIRE((size_t)k <= n - off);
			REQUIRE(k > 0 || r.ready);
			off += (size_t)k;
			if (r.ready) {
				REQUIRE(o->n < MAX_REPLIES);
				REQUIRE(r.data != NULL && r.len > 0);
				o->status[o->n] = r.status;
				o->len[o->n] = r.len;
				o->close[o->n] = r.close;
				o->n++;
				if (r.close) {
					closed = true;
					break;
				}
			}
		}
		free(b);
		start += n;
	}
	o->req_bytes = st.req_bytes;
	fc_http_server_conn_release(&c);
	REQUIRE(fc_http_hdr_pool_avail(pool) == 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct outcome a, b;
	size_t seg, len;
	unsigned i;

	if (size < 2 || size > 60000)
		return 0;
	if (srv == NULL) {
		struct fc_http_route_spec r[3];

		memset(r, 0, sizeof(r));
		r[0].path = "/";
		r[0].body_size = 100;
		r[1].path = "/c*";
		r[1].chunked = true;
		r[1].chunk_size = 7;
		r[1].body_size = 20;
		r[2].path = "/e";
		r[2].status = 204;
		srv = fc_http_server_create(r, 3, NULL, 0);
		pool = fc_http_hdr_pool_create(1, 65535);
		REQUIRE(srv != NULL && pool != NULL);
	}
	seg = 1 + (((size_t)data[0] << 8 | data[1]) % 97);
	len = size - 2;
	run((const char *)data + 2, len, len ? len : 1, &a);
	run((const char *)data + 2, len, seg, &b);
	REQUIRE(a.err == b.err && a.n == b.n);
	for (i = 0; i < a.n; i++)
		REQUIRE(a.status[i] == b.status[i] && a.len[i] == b.len[i] && a.close[i] == b.close[i]);
	return 0;
}
