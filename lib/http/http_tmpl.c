/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request templates (validated and rendered once at setup), the weighted mix, and the
 * header spill buffer pool used by the stream parsers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc_http.h"
#include "http_private.h"

void
fc_http_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

bool
fc_http_is_token(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		uint8_t c = (uint8_t)s[i];

		if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c) != NULL)
			return false;
	}
	return true;
}

int
fc_http_check_header_line(const char *line, const char *label, struct fc_http_header *out,
		char *err, size_t errlen)
{
	const char *colon = strchr(line, ':');
	const char *v, *vend;
	size_t i;

	if (colon == NULL) {
		fc_http_seterr(err, errlen, "%s \"%.64s\": expected \"Name: value\"", label, line);
		return -EINVAL;
	}
	if (!fc_http_is_token(line, (size_t)(colon - line))) {
		fc_http_seterr(err, errlen,
			"%s \"%.64s\": the name must be a non-empty token (letters, digits, !#$%%&'*+-.^_`|~), no spaces",
			label, line);
		return -EINVAL;
	}
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	vend = v + strlen(v);
	for (i = 0; v + i < vend; i++) {
		uint8_t c = (uint8_t)v[i];

		if (c == '\r' || c == '\n') {
			fc_http_seterr(err, errlen,
				"%s \"%.*s\": the value contains CR or LF (header injection refused)",
				label, (int)(colon - line), line);
			return -EINVAL;
		}
		if (c != '\t' && (c < 0x20 || c == 0x7f)) {
			fc_http_seterr(err, errlen,
				"%s \"%.*s\": the value contains control character 0x%02x",
				label, (int)(colon - line), line, c);
			return -EINVAL;
		}
	}
	while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
		vend--;
	out->name = line;
	out->name_len = (size_t)(colon - line);
	out->value = v;
	out->value_len = (size_t)(vend - v);
	return 0;
}

void
fc_http_sbuf_put(struct fc_http_sbuf *b, const void *data, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;

		while (cap < b->len + n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (np == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

char *
fc_http_memdup_str(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

void
fc_http_sbuf_str(struct fc_http_sbuf *b, const char *s)
{
	fc_http_sbuf_put(b, s, strlen(s));
}

void
fc_http_sbuf_printf(struct fc_http_sbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->oom = true;
		return;
	}
	fc_http_sbuf_put(b, tmp, (size_t)n);
}

int
fc_http_header_check(const char *line, char *err, size_t errlen)
{
	struct fc_http_header h;

	return fc_http_check_header_line(line, "header", &h, err, errlen);
}

static bool
method_implies_body(const char *m)
{
	return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0;
}

int
fc_http_tmpl_init(struct fc_http_request_tmpl *t, const struct fc_http_tmpl_spec *spec,
		char *err, size_t errlen)
{
	const char *method = spec->method ? spec->method : "GET";
	const char *path = spec->path ? spec->path : "/";
	struct fc_http_header hdr[FC_HTTP_TMPL_MAX_HEADERS];
	struct fc_http_request req;
	struct fc_http_sbuf b = {0};
	bool user_host = false;
	size_t i;
	int rc;

	memset(t, 0, sizeof(*t));
	if (!fc_http_is_token(method, strlen(method))) {
		fc_http_seterr(err, errlen, "method \"%.32s\" is not a valid token", method);
		return -EINVAL;
	}
	if (path[0] != '/') {
		fc_http_seterr(err, errlen, "path \"%.64s\" must start with '/'", path);
		return -EINVAL;
	}
	for (i = 0; path[i]; i++) {
		uint8_t c = (uint8_t)path[i];

		if (c <= 0x20 || c == 0x7f) {
			fc_http_seterr(err, errlen,
				"path \"%.64s\" contains a space or control character at offset %zu (percent-encode it)",
				path, i);
			return -EINVAL;
		}
	}
	if (spec->num_headers > FC_HTTP_TMPL_MAX_HEADERS) {
		fc_http_seterr(err, errlen, "%zu headers, at most %d", spec->num_headers,
			FC_HTTP_TMPL_MAX_HEADERS);
		return -EINVAL;
	}
	for (i = 0; i < spec->num_headers; i++) {
		char label[32];

		snprintf(label, sizeof(label), "header %zu", i);
		rc = fc_http_check_header_line(spec->headers[i], label, &hdr[i], err, errlen);
		if (rc)
			return rc;
		if (fc_http_token_eq(hdr[i].name, hdr[i].name_len, "host"))
			user_host = true;
		if (fc_http_token_eq(hdr[i].name, hdr[i].name_len, "content-length") ||
				fc_http_token_eq(hdr[i].name, hdr[i].name_len, "transfer-encoding")) {
			fc_http_seterr(err, errlen,
				"header %zu \"%.*s\": computed from the body, do not set it", i,
				(int)hdr[i].name_len, hdr[i].name);
			return -EINVAL;
		}
	}
	if (!user_host && (spec->host == NULL || spec->host[0] == '\0')) {
		fc_http_seterr(err, errlen, "no Host: give the target host or a Host header");
		return -EINVAL;
	}
	if (!user_host) {
		struct fc_http_header h;
		char line[300];

		snprintf(line, sizeof(line), "Host: %s", spec->host);
		rc = fc_http_check_header_line(line, "host", &h, err, errlen);
		if (rc)
			return rc;
	}
	if (spec->body_len && spec->body == NULL) {
		fc_http_seterr(err, errlen, "body_len %zu with no body", spec->body_len);
		return -EINVAL;
	}

	fc_http_sbuf_printf(&b, "%s %s HTTP/1.1\r\n", method, path);
	if (!user_host)
		fc_http_sbuf_printf(&b, "Host: %s\r\n", spec->host);
	for (i = 0; i < spec->num_headers; i++) {
		fc_http_sbuf_put(&b, hdr[i].name, hdr[i].name_len);
		fc_http_sbuf_str(&b, ": ");
		fc_http_sbuf_put(&b, hdr[i].value, hdr[i].value_len);
		fc_http_sbuf_str(&b, "\r\n");
	}
	if (spec->body_len > 0 || method_implies_body(method))
		fc_http_sbuf_printf(&b, "Content-Length: %zu\r\n", spec->body_len);
	if (spec->close)
		fc_http_sbuf_str(&b, "Connection: close\r\n");
	fc_http_sbuf_str(&b, "\r\n");
	t->head_len = b.len;
	if (spec->body_len)
		fc_http_sbuf_put(&b, spec->body, spec->body_len);
	if (b.oom) {
		free(b.p);
		fc_http_seterr(err, errlen, "out of memory rendering the request");
		return -ENOMEM;
	}

	/* Self-check with our own parser: what we send must be what a strict server accepts. */
	rc = fc_http_parse_request(b.p, b.len, &req);
	if (rc != (int)t->head_len) {
		free(b.p);
		fc_http_seterr(err, errlen, "the rendered request does not parse (%d)", rc);
		return -EINVAL;
	}
	t->buf = b.p;
	t->len = b.len;
	t->is_head = strcmp(method, "HEAD") == 0;
	t->close = !req.keep_alive;
	t->idempotent = false;
	for (const char *const *m = (const char *const[]){"GET", "HEAD", "PUT", "DELETE",
			"OPTIONS", "TRACE", NULL}; *m != NULL; m++)
		t->idempotent |= strcmp(method, *m) == 0;
	return 0;
}

void
fc_http_tmpl_free(struct fc_http_request_tmpl *t)
{
	free(t->buf);
	t->buf = NULL;
	t->len = 0;
	t->head_len = 0;
}

int
fc_http_mix_add(struct fc_http_mix *mix, const struct fc_http_tmpl_spec *spec, uint64_t weight,
		char *err, size_t errlen)
{
	int rc;

	if (weight == 0) {
		fc_http_seterr(err, errlen, "weight must be at least 1");
		return -EINVAL;
	}
	if (mix->n >= FC_HTTP_MIX_MAX) {
		fc_http_seterr(err, errlen, "at most %d requests in a mix", FC_HTTP_MIX_MAX);
		return -ENOSPC;
	}
	if (weight > (1ull << 62) || mix->total + weight > (1ull << 62)) {
		fc_http_seterr(err, errlen, "weights add up to more than 2^62");
		return -EOVERFLOW;
	}
	rc = fc_http_tmpl_init(&mix->tmpl[mix->n], spec, err, errlen);
	if (rc)
		return rc;
	mix->total += weight;
	mix->cum[mix->n] = mix->total;
	return (int)mix->n++;
}

void
fc_http_mix_free(struct fc_http_mix *mix)
{
	uint32_t i;

	for (i = 0; i < mix->n; i++)
		fc_http_tmpl_free(&mix->tmpl[i]);
	memset(mix, 0, sizeof(*mix));
}

/* ---- spill buffer pool ---- */

struct fc_http_hdr_pool *
fc_http_hdr_pool_create(uint32_t nbufs, uint32_t buf_size)
{
	struct fc_http_hdr_pool *pool;
	uint32_t i;

	if (nbufs == 0 || buf_size == 0 || buf_size > UINT16_MAX) {
		errno = EINVAL;
		return NULL;
	}
	pool = calloc(1, sizeof(*pool));
	if (pool == NULL)
		return NULL;
	pool->free = calloc(nbufs, sizeof(char *));
	pool->mem = malloc((size_t)nbufs * buf_size);
	if (pool->free == NULL || pool->mem == NULL) {
		free(pool->free);
		free(pool->mem);
		free(pool);
		errno = ENOMEM;
		return NULL;
	}
	pool->nbufs = nbufs;
	pool->buf_size = buf_size;
	for (i = 0; i < nbufs; i++)
		pool->free[i] = pool->mem + (size_t)i * buf_size;
	pool->nfree = nbufs;
	return pool;
}

void
fc_http_hdr_pool_free(struct fc_http_hdr_pool *pool)
{
	if (pool == NULL)
		return;
	free(pool->free);
	free(pool->mem);
	free(pool);
}

uint32_t
fc_http_hdr_pool_avail(const struct fc_http_hdr_pool *pool)
{
	return pool->nfree;
}
