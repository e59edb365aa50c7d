/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by the lib/http sources; not installed. */
#ifndef HTTP_PRIVATE_H
#define HTTP_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fc_http.h"

struct fc_http_hdr_pool {
	char **free;            /* stack of free buffers */
	char *mem;              /* one allocation for all buffers */
	uint32_t nbufs;
	uint32_t nfree;
	uint32_t buf_size;
};

static inline char *
fc_http_pool_get(struct fc_http_hdr_pool *pool)
{
	return pool && pool->nfree ? pool->free[--pool->nfree] : NULL;
}

static inline void
fc_http_pool_put(struct fc_http_hdr_pool *pool, char *buf)
{
	pool->free[pool->nfree++] = buf;
}

/* Growable buffer for setup-time rendering; oom latches the first allocation failure. */
struct fc_http_sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

void fc_http_sbuf_put(struct fc_http_sbuf *b, const void *data, size_t n);
void fc_http_sbuf_str(struct fc_http_sbuf *b, const char *s);
void fc_http_sbuf_printf(struct fc_http_sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* NUL-terminated copy of n bytes (setup time). */
char *fc_http_memdup_str(const char *s, size_t n);

void fc_http_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool fc_http_is_token(const char *s, size_t len);
/* Validate a "Name: value" line (no CR/LF, token name); fills out with spans into line. */
int fc_http_check_header_line(const char *line, const char *label, struct fc_http_header *out,
		char *err, size_t errlen);

#endif /* HTTP_PRIVATE_H */
