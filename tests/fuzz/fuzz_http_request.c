/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: fc_http_parse_request on arbitrary bytes, with the parser's invariants:
 * spans inside the input, tokens non-empty, framing consistent, and prefix consistency
 * (the head one byte shorter is "need more", trailing bytes change nothing).
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
	struct fc_http_request req, req2;
	char *buf = malloc(size ? size : 1);
	size_t i;
	int rc;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	rc = fc_http_parse_request(buf, size, &req);
	REQUIRE(rc == -1 || rc == -2 || (rc > 0 && (size_t)rc <= size));
	if (rc > 0) {
		REQUIRE(req.method_len > 0 && req.path_len > 0);
		check_span(buf, size, req.method, req.method_len);
		check_span(buf, size, req.path, req.path_len);
		REQUIRE(req.minor_version == 0 || req.minor_version == 1);
		REQUIRE(req.num_headers <= FC_HTTP_MAX_HEADERS);
		for (i = 0; i < req.num_headers; i++) {
			REQUIRE(req.headers[i].name_len > 0);
			check_span(buf, size, req.headers[i].name, req.headers[i].name_len);
			check_span(buf, size, req.headers[i].value, req.headers[i].value_len);
			REQUIRE(memchr(req.headers[i].value, '\r', req.headers[i].value_len) == NULL);
			REQUIRE(memchr(req.headers[i].value, '\n', req.headers[i].value_len) == NULL);
		}
		REQUIRE(!(req.chunked && req.content_length >= 0));
		REQUIRE(fc_http_parse_request(buf, (size_t)rc - 1, &req2) == -2);
		REQUIRE(fc_http_parse_request(buf, (size_t)rc, &req2) == rc);
		REQUIRE(req2.content_length == req.content_length && req2.keep_alive == req.keep_alive);
	}
	free(buf);
	return 0;
}
