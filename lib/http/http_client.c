/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Client response stream parser. Heads that arrive whole are parsed in place (zero
 * copy); a head split across segments is gathered in a buffer borrowed from the per-core
 * spill pool and re-parsed as bytes arrive, so idle connections hold no buffer. Bodies are
 * never copied: Content-Length bodies are counted down, chunked ones are scanned.
 */
#include <errno.h>
#include <string.h>

#include "fc_http.h"
#include "http_private.h"

void
fc_http_client_init(struct fc_http_client_parser *p, struct fc_http_hdr_pool *pool)
{
	memset(p, 0, sizeof(*p));
	p->pool = pool;
	p->phase = FC_HTTP_PH_HEADERS;
}

int
fc_http_client_expect(struct fc_http_client_parser *p, bool is_head)
{
	if (p->in_flight >= 64)
		return -ENOBUFS;
	if (is_head) {
		p->head_fifo |= 1ull << p->in_flight;
		p->heads++;
	}
	p->in_flight++;
	return 0;
}

static void
drop_spill(struct fc_http_client_parser *p)
{
	/* A held buffer always has bytes in it: spill_len tells without reading spill. */
	if (p->spill_len) {
		fc_http_pool_put(p->pool, p->spill);
		p->spill = NULL;
	}
	p->spill_len = 0;
}

void
fc_http_client_release(struct fc_http_client_parser *p)
{
	drop_spill(p);
	p->phase = FC_HTTP_PH_ERROR;
}

static int64_t
fail(struct fc_http_client_parser *p, int err)
{
	drop_spill(p);
	p->phase = FC_HTTP_PH_ERROR;
	return -err;
}

static void
complete(struct fc_http_client_parser *p, struct fc_http_client_result *res)
{
	res->complete = true;
	res->status = p->status;
	res->keep_alive = p->keep_alive;
	res->header_bytes = p->hdr_bytes;
	res->body_bytes = p->body_bytes;
	p->phase = FC_HTTP_PH_HEADERS;
	p->hdr_bytes = 0;
	p->body_bytes = 0;
}

/* Count a head's bytes; false past 4 GiB in one response (only a flood of interim 1xx
 * heads gets there). */
static bool
add_head_bytes(struct fc_http_client_parser *p, uint32_t n)
{
	if (n > UINT32_MAX - p->hdr_bytes)
		return false;
	p->hdr_bytes += n;
	return true;
}

/*
 * Parse the next head from buf (or from the spill buffer plus buf). Returns the bytes of
 * buf used (>= 0) with *done set when the head is complete, or a negative errno.
 */
static int64_t
take_head(struct fc_http_client_parser *p, const char *buf, size_t len,
		struct fc_http_response *rsp, bool *done)
{
	bool is_head = p->heads && (p->head_fifo & 1);
	int rc;

	*done = false;
	if (p->spill_len == 0) {
		rc = fc_http_parse_response(buf, len, is_head, rsp);
		if (rc > 0) {
			*done = true;
			return add_head_bytes(p, (uint32_t)rc) ? rc : -EMSGSIZE;
		}
		if (rc == -1)
			return -EBADMSG;
		if (len > p->pool->buf_size)
			return -EMSGSIZE;
		p->spill = fc_http_pool_get(p->pool);
		if (p->spill == NULL)
			return -ENOBUFS;
		memcpy(p->spill, buf, len);
		p->spill_len = (uint16_t)len;
		return (int64_t)len;
	} else {
		size_t old = p->spill_len;
		size_t room = p->pool->buf_size - old;
		size_t n = len < room ? len : room;

		memcpy(p->spill + old, buf, n);
		rc = fc_http_parse_response(p->spill, old + n, is_head, rsp);
		if (rc == -1)
			return -EBADMSG;
		if (rc == -2) {
			if (n < len || old + n == p->pool->buf_size)
				return -EMSGSIZE;
			p->spill_len = (uint16_t)(old + n);
			return (int64_t)n;
		}
		/* The head ends inside the new bytes (the old prefix alone was incomplete).
		 * rsp points into the spill buffer: the caller reads only scalars from it. */
		*done = true;
		drop_spill(p);
		if (!add_head_bytes(p, (uint32_t)rc))
			return -EMSGSIZE;
		return (int64_t)((size_t)rc - old);
	}
}

int64_t
fc_http_client_feed(struct fc_http_client_parser *p, const char *buf, size_t len,
		struct fc_http_client_result *res)
{
	size_t off = 0;

	res->complete = false;
	if (p->phase == FC_HTTP_PH_ERROR)
		return -EPIPE;

	while (off < len) {
		size_t avail = len - off;

		switch (p->phase) {
		case FC_HTTP_PH_HEADERS: {
			struct fc_http_response rsp;
			bool done;
			int64_t n;

			if (p->in_flight == 0)
				return fail(p, EPROTO);
			n = take_head(p, buf + off, avail, &rsp, &done);
			if (n < 0)
				return fail(p, (int)-n);
			off += (size_t)n;
			if (!done)
				break;
			if (rsp.status == 101)
				return fail(p, EPROTO);
			/* Interim responses precede the final one (RFC 9110 §15.2). */
			if (rsp.status < 200)
				break;
			p->cur_is_head = false;
			if (p->heads) {
				p->cur_is_head = p->head_fifo & 1;
				p->heads -= p->cur_is_head;
				p->head_fifo >>= 1;
			}
			p->in_flight--;
			p->status = (uint16_t)rsp.status;
			p->keep_alive = rsp.keep_alive;
			if (rsp.no_body) {
				complete(p, res);
				return (int64_t)off;
			}
			if (rsp.chunked) {
				memset(&p->chunk, 0, sizeof(p->chunk));
				p->phase = FC_HTTP_PH_BODY_CHUNKED;
			} else if (rsp.content_length >= 0) {
				if (rsp.content_length == 0) {
					complete(p, res);
					return (int64_t)off;
				}
				p->remaining = (uint64_t)rsp.content_length;
				p->phase = FC_HTTP_PH_BODY_LENGTH;
			} else {
				p->phase = FC_HTTP_PH_BODY_CLOSE;
			}
			break;
		}
		case FC_HTTP_PH_BODY_LENGTH: {
			size_t n = avail;

			if ((uint64_t)n > p->remaining)
				n = (size_t)p->remaining;
			p->remaining -= n;
			p->body_bytes += n;
			off += n;
			if (p->remaining == 0) {
				complete(p, res);
				return (int64_t)off;
			}
			break;
		}
		case FC_HTTP_PH_BODY_CHUNKED: {
			int64_t r = fc_http_chunked_scan(&p->chunk, buf + off, avail);

			if (r == -1)
				return fail(p, EBADMSG);
			if (r == -2) {
				p->body_bytes += avail;
				off = len;
				break;
			}
			p->body_bytes += (uint64_t)r;
			off += (size_t)r;
			complete(p, res);
			return (int64_t)off;
		}
		case FC_HTTP_PH_BODY_CLOSE:
			p->body_bytes += avail;
			off = len;
			break;
		default:
			return fail(p, EPIPE);
		}
	}
	return (int64_t)off;
}

int
fc_http_client_eof(struct fc_http_client_parser *p, struct fc_http_client_result *res)
{
	res->complete = false;
	if (p->phase == FC_HTTP_PH_BODY_CLOSE) {
		/* RFC 9112 §6.3 rule 8: the close ends the body. */
		complete(p, res);
		p->phase = FC_HTTP_PH_ERROR;
		return p->in_flight ? -EPIPE : 0;
	}
	if (p->phase == FC_HTTP_PH_HEADERS && p->spill_len == 0 && p->in_flight == 0) {
		p->phase = FC_HTTP_PH_ERROR;
		return 0;
	}
	drop_spill(p);
	p->phase = FC_HTTP_PH_ERROR;
	return -EPIPE;
}
