/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: fc_http_parse_response and fc_http_chunked_scan on arbitrary bytes. Byte 0
 * selects is_head. Checks the parser's own invariants (spans inside the input, header
 * count, framing flags consistent, the head one byte shorter is "need more", trailing bytes
 * do not change the result) and that scanning a chunked body whole or byte by byte agrees.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fc_http.h"

#define REQUIRE(c) do { if (!(c)) __builtin_trap(); } while (0)

static void
check_span(const char *base, size_t len, const char *p, size_t n)
{
	REQUIRE(p >= base && p + n <= base + len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fc_http_response rsp, rsp2;
	const char *buf;
	bool is_head;
	size_t len, i;
	int rc;

	if (size < 1)
		return 0;
	is_head = data[0] & 1;
	/* A private copy so that reads past the end are caught by ASan. */
	len = size - 1;
	buf = malloc(len ? len : 1);
	if (buf == NULL)
		return 0;
	memcpy((char *)buf, data + 1, len);

	rc = fc_http_parse_response(buf, len, is_head, &rsp);
	REQUIRE(rc == -1 || rc == -2 || (rc > 0 && (size_t)rc <= len));
	if (rc > 0) {
		REQUIRE(rsp.num_headers <= FC_HTTP_MAX_HEADERS);
		REQUIRE(rsp.status >= 100 && rsp.status <= 599);
		REQUIRE(rsp.minor_version == 0 || rsp.minor_version == 1);
		check_span(buf, len, rsp.reason, rsp.reason_len);
		for (i = 0; i < rsp.num_headers; i++) {
			REQUIRE(rsp.headers[i].name_len > 0);
			check_span(buf, len, rsp.headers[i].name, rsp.headers[i].name_len);
			check_span(buf, len, rsp.headers[i].value, rsp.headers[i].value_len);
		}
		REQUIRE(!(rsp.chunked && rsp.content_length >= 0));
		REQUIRE(!(rsp.close_delimited && (rsp.no_body || rsp.chunked || rsp.content_length >= 0)));
		REQUIRE(!(rsp.close_delimited && rsp.keep_alive));
		REQUIRE(rsp.content_length <= (int64_t)FC_HTTP_MAX_CONTENT_LENGTH);
		/* Prefix consistency: one byte less is incomplete, the exact head gives the same. */
		REQUIRE(fc_http_parse_response(buf, (size_t)rc - 1, is_head, &rsp2) == -2);
		REQUIRE(fc_http_parse_response(buf, (size_t)rc, is_head, &rsp2) == rc);
		REQUIRE(rsp2.status == rsp.status && rsp2.content_length == rsp.content_length);
	}

	/* The chunked scanner over the same bytes: whole vs one byte at a time. */
	{
		struct fc_http_chunked a, b;
		int64_t ra, rb = -2;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		ra = fc_http_chunked_scan(&a, buf, len);
		REQUIRE(ra == -1 || ra == -2 || (ra >= 0 && (size_t)ra <= len));
		for (i = 0; i < len; i++) {
			rb = fc_http_chunked_scan(&b, buf + i, 1);
			if (rb != -2)
				break;
		}
		if (ra >= 0)
			REQUIRE(rb == 1 && (int64_t)i + 1 == ra);
		else if (ra == -1)
			REQUIRE(rb == -1);
		else
			REQUIRE(rb == -2);
	}
	free((void *)buf);
	return 0;
}
