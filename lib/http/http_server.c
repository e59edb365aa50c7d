/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The responder of `flashcrowd serve`: every response is rendered once at creation, in a
 * keep-alive and a close variant, so answering a request is a route lookup and a pointer
 * (the TCP layer sends the bytes zero-copy; a HEAD gets the head prefix of the same bytes).
 * Requests are parsed in place like the client's responses, with the same spill pool for
 * heads split across segments, and request bodies are skipped by length or chunk scan.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc_http.h"
#include "http_private.h"

enum { V_KEEPALIVE = 0, V_CLOSE = 1 };

struct rendered {
	char *buf;
	size_t len;             /* head + body */
	size_t head_len;        /* head only, for HEAD requests */
};

struct srv_route {
	char *path;
	size_t path_len;
	bool prefix;            /* path ended in '*': match on the part before it */
	uint16_t status;
	uint64_t delay_min_ns;
	uint64_t delay_max_ns;
	bool close;             /* always the V_CLOSE variant, then close */
	struct rendered r[2];   /* V_KEEPALIVE, V_CLOSE */
};

struct fc_http_server {
	unsigned nroutes;
	struct srv_route routes[FC_HTTP_MAX_ROUTES];
	struct rendered not_found[2];
	struct rendered bad_request; /* always closes */
};

enum { SV_HEAD = 0, SV_BODY_LEN, SV_BODY_CHUNKED, SV_CLOSED };

static const char *
std_reason(unsigned status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

/* Render one response; the body (may be empty) is framed by length or chunks. */
static int
render(struct rendered *out, unsigned status, const char *reason, const char *ctype,
		const struct fc_http_header *hdr, size_t nhdr, const char *body, size_t body_len,
		bool chunked, uint32_t chunk_size, bool close)
{
	struct fc_http_sbuf b = {0};
	struct fc_http_response rsp;
	bool bodyless = status == 204 || status == 304;
	size_t i;
	int rc;

	fc_http_sbuf_printf(&b, "HTTP/1.1 %u %s\r\nServer: flashcrowd\r\n", status, reason);
	if (!bodyless) {
		fc_http_sbuf_printf(&b, "Content-Type: %s\r\n", ctype);
		if (chunked)
			fc_http_sbuf_str(&b, "Transfer-Encoding: chunked\r\n");
		else
			fc_http_sbuf_printf(&b, "Content-Length: %zu\r\n", body_len);
	}
	for (i = 0; i < nhdr; i++) {
		fc_http_sbuf_put(&b, hdr[i].name, hdr[i].name_len);
		fc_http_sbuf_str(&b, ": ");
		fc_http_sbuf_put(&b, hdr[i].value, hdr[i].value_len);
		fc_http_sbuf_str(&b, "\r\n");
	}
	fc_http_sbuf_str(&b, close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n");
	out->head_len = b.len;
	if (!bodyless) {
		if (chunked) {
			size_t off = 0, step = chunk_size ? chunk_size : body_len;

			while (off < body_len) {
				size_t n = body_len - off < step ? body_len - off : step;

				fc_http_sbuf_printf(&b, "%zx\r\n", n);
				fc_http_sbuf_put(&b, body + off, n);
				fc_http_sbuf_str(&b, "\r\n");
				off += n;
			}
			fc_http_sbuf_str(&b, "0\r\n\r\n");
		} else if (body_len) {
			fc_http_sbuf_put(&b, body, body_len);
		}
	}
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	/* Self-check: what we serve must parse with the client's parser. */
	rc = fc_http_parse_response(b.p, b.len, false, &rsp);
	if (rc != (int)out->head_len || rsp.keep_alive == close) {
		free(b.p);
		return -EINVAL;
	}
	out->buf = b.p;
	out->len = b.len;
	return 0;
}

static void
free_rendered(struct rendered *r)
{
	free(r->buf);
	r->buf = NULL;
}

void
fc_http_server_free(struct fc_http_server *srv)
{
	unsigned i;

	if (srv == NULL)
		return;
	for (i = 0; i < srv->nroutes; i++) {
		free(srv->routes[i].path);
		free_rendered(&srv->routes[i].r[0]);
		free_rendered(&srv->routes[i].r[1]);
	}
	free_rendered(&srv->not_found[0]);
	free_rendered(&srv->not_found[1]);
	free_rendered(&srv->bad_request);
	free(srv);
}

static char *
read_file(const char *path, size_t *len, int *err)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL) {
		*err = errno == ENOENT ? ENOENT : EIO;
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		*err = EIO;
		return NULL;
	}
	if ((unsigned long)n > FC_HTTP_MAX_FILE_SIZE) {
		fclose(f);
		*err = EINVAL;
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		*err = buf ? EIO : ENOMEM;
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int
build_route(struct srv_route *rt, const struct fc_http_route_spec *s, unsigned idx, char *err,
		size_t errlen)
{
	struct fc_http_header hdr[FC_HTTP_ROUTE_MAX_HEADERS];
	unsigned status = s->status ? s->status : 200;
	const char *reason = s->reason ? s->reason : std_reason(status);
	const char *ctype = s->content_type ? s->content_type : "text/plain";
	char *owned = NULL;
	const char *body = s->body;
	size_t body_len = s->body_len, i, plen;
	int rc, v;

	if (s->path == NULL || (s->path[0] != '/' && strcmp(s->path, "*") != 0)) {
		fc_http_seterr(err, errlen, "route %u: path must start with '/' or be \"*\"", idx);
		return -EINVAL;
	}
	for (i = 0; s->path[i]; i++) {
		if ((unsigned char)s->path[i] <= 0x20 || s->path[i] == 0x7f ||
				(s->path[i] == '*' && s->path[i + 1] != '\0')) {
			fc_http_seterr(err, errlen, "route %u: path \"%.64s\": bad character at offset %zu ('*' only at the end)",
				idx, s->path, i);
			return -EINVAL;
		}
	}
	if (status < 200 || status > 599) {
		fc_http_seterr(err, errlen, "route %u: status %u is not a final status (200..599)", idx, status);
		return -EINVAL;
	}
	for (i = 0; reason[i]; i++) {
		if (reason[i] != '\t' && ((unsigned char)reason[i] < 0x20 || reason[i] == 0x7f)) {
			fc_http_seterr(err, errlen, "route %u: reason contains a control character", idx);
			return -EINVAL;
		}
	}
	if (s->num_headers > FC_HTTP_ROUTE_MAX_HEADERS) {
		fc_http_seterr(err, errlen, "route %u: %zu headers, at most %d", idx, s->num_headers,
			FC_HTTP_ROUTE_MAX_HEADERS);
		return -EINVAL;
	}
	{
		char line[300];

		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		if (fc_http_header_check(line, err, errlen))
			return -EINVAL;
	}
	for (i = 0; i < s->num_headers; i++) {
		char label[48];

		snprintf(label, sizeof(label), "route %u header %zu", idx, i);
		if (fc_http_check_header_line(s->headers[i], label, &hdr[i], err, errlen))
			return -EINVAL;
		if (fc_http_token_eq(hdr[i].name, hdr[i].name_len, "content-length") ||
				fc_http_token_eq(hdr[i].name, hdr[i].name_len, "transfer-encoding") ||
				fc_http_token_eq(hdr[i].name, hdr[i].name_len, "connection")) {
			fc_http_seterr(err, errlen, "%s: %.*s is set by the responder itself", label,
				(int)hdr[i].name_len, hdr[i].name);
			return -EINVAL;
		}
	}
	if (s->delay_min_ns > s->delay_max_ns) {
		fc_http_seterr(err, errlen, "route %u: delay min is above max", idx);
		return -EINVAL;
	}
	if (s->body_file) {
		int e = 0;

		owned = read_file(s->body_file, &body_len, &e);
		if (owned == NULL) {
			fc_http_seterr(err, errlen, "route %u: body file %s: %s", idx, s->body_file,
				e == EINVAL ? "larger than 16 MiB" : strerror(e));
			return -e;
		}
		body = owned;
	} else if (body == NULL) {
		static const char pattern[] = "flashcrowd-0123456789-abcdefghijklmnopqrstuvwxyz\n";

		if (s->body_size > FC_HTTP_MAX_BODY_SIZE) {
			fc_http_seterr(err, errlen, "route %u: body size %u is above the limit 1 MiB", idx,
				s->body_size);
			return -EINVAL;
		}
		body_len = s->body_size;
		owned = malloc(body_len + 1);
		if (owned == NULL)
			return -ENOMEM;
		for (i = 0; i < body_len; i++)
			owned[i] = pattern[i % (sizeof(pattern) - 1)];
		body = owned;
	} else if (body_len > FC_HTTP_MAX_FILE_SIZE) {
		fc_http_seterr(err, errlen, "route %u: body larger than 16 MiB", idx);
		return -EINVAL;
	}
	if ((status == 204 || status == 304) && (body_len || s->chunked)) {
		free(owned);
		fc_http_seterr(err, errlen, "route %u: a %u response has no body", idx, status);
		return -EINVAL;
	}

	plen = strlen(s->path);
	rt->prefix = s->path[plen - 1] == '*';
	rt->path_len = rt->prefix ? plen - 1 : plen;
	rt->path = fc_http_memdup_str(s->path, rt->path_len);
	rt->status = (uint16_t)status;
	rt->delay_min_ns = s->delay_min_ns;
	rt->delay_max_ns = s->delay_max_ns;
	rt->close = s->close;
	rc = rt->path ? 0 : -ENOMEM;
	for (v = 0; v < 2 && rc == 0; v++)
		rc = render(&rt->r[v], status, reason, ctype, hdr, s->num_headers, body, body_len,
			s->chunked, s->chunk_size, v == V_CLOSE);
	free(owned);
	if (rc)
		fc_http_seterr(err, errlen, "route %u: cannot render the response (%s)", idx, strerror(-rc));
	return rc;
}

struct fc_http_server *
fc_http_server_create(const struct fc_http_route_spec *routes, unsigned n, char *err, size_t errlen)
{
	static const char nf[] = "not found\n", br[] = "bad request\n";
	struct fc_http_server *srv;
	unsigned i;
	int rc = 0;

	if (n > FC_HTTP_MAX_ROUTES) {
		fc_http_seterr(err, errlen, "%u routes, at most %d", n, FC_HTTP_MAX_ROUTES);
		errno = EINVAL;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return NULL;
	for (i = 0; i < n && rc == 0; i++) {
		rc = build_route(&srv->routes[i], &routes[i], i, err, errlen);
		srv->nroutes = i + 1;
	}
	if (rc == 0)
		rc = render(&srv->not_found[V_KEEPALIVE], 404, "Not Found", "text/plain", NULL, 0, nf,
			sizeof(nf) - 1, false, 0, false);
	if (rc == 0)
		rc = render(&srv->not_found[V_CLOSE], 404, "Not Found", "text/plain", NULL, 0, nf,
			sizeof(nf) - 1, false, 0, true);
	if (rc == 0)
		rc = render(&srv->bad_request, 400, "Bad Request", "text/plain", NULL, 0, br,
			sizeof(br) - 1, false, 0, true);
	if (rc) {
		fc_http_server_free(srv);
		errno = -rc;
		return NULL;
	}
	return srv;
}

/* ---- per-connection request stream ---- */

void
fc_http_server_conn_init(struct fc_http_server_conn *c, struct fc_http_hdr_pool *pool,
		struct fc_http_server_stats *stats, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->pool = pool;
	c->stats = stats;
	c->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
	c->phase = SV_HEAD;
}

static void
conn_drop_spill(struct fc_http_server_conn *c)
{
	if (c->spill_len) {
		fc_http_pool_put(c->pool, c->spill);
		c->spill = NULL;
	}
	c->spill_len = 0;
}

void
fc_http_server_conn_release(struct fc_http_server_conn *c)
{
	conn_drop_spill(c);
	c->phase = SV_CLOSED;
}

static int
match_route(const struct fc_http_server *srv, const char *path, size_t len)
{
	const char *q = memchr(path, '?', len);
	unsigned i;

	if (q)
		len = (size_t)(q - path);
	for (i = 0; i < srv->nroutes; i++) {
		const struct srv_route *rt = &srv->routes[i];

		if (rt->prefix ? len >= rt->path_len : len == rt->path_len) {
			if (memcmp(path, rt->path, rt->path_len) == 0)
				return (int)i;
		}
	}
	return -1;
}

static uint64_t
next_rand(struct fc_http_server_conn *c)
{
	/* xorshift64*: enough to spread delays, one multiply per request. */
	uint64_t x = c->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	c->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

static void
give_reply(const struct fc_http_server *srv, struct fc_http_server_conn *c,
		struct fc_http_server_reply *reply)
{
	int v = c->pending_close ? V_CLOSE : V_KEEPALIVE;
	const struct rendered *r;

	reply->ready = true;
	reply->close = c->pending_close;
	reply->route = c->pending_route;
	if (c->pending_route >= 0) {
		const struct srv_route *rt = &srv->routes[c->pending_route];
		uint64_t span = rt->delay_max_ns - rt->delay_min_ns;

		r = &rt->r[v];
		reply->status = rt->status;
		reply->delay_ns = rt->delay_min_ns;
		if (span)
			reply->delay_ns += span == UINT64_MAX ? next_rand(c) : next_rand(c) % (span + 1);
	} else {
		r = &srv->not_found[v];
		reply->status = 404;
		reply->delay_ns = 0;
		c->stats->not_found++;
	}
	reply->data = r->buf;
	reply->len = c->pending_head ? r->head_len : r->len;
	/* Read by the control core while the worker runs (serve's live line). */
	__atomic_store_n(&c->stats->requests, c->stats->requests + 1, __ATOMIC_RELAXED);
	c->stats->resp_bytes += reply->len;
	c->phase = c->pending_close ? SV_CLOSED : SV_HEAD;
}

static void
bad_request(const struct fc_http_server *srv, struct fc_http_server_conn *c,
		struct fc_http_server_reply *reply)
{
	conn_drop_spill(c);
	reply->ready = true;
	reply->close = true;
	reply->route = -1;
	reply->status = 400;
	reply->delay_ns = 0;
	reply->data = srv->bad_request.buf;
	reply->len = srv->bad_request.len;
	c->stats->parse_errors++;
	c->stats->resp_bytes += reply->len;
	c->phase = SV_CLOSED;
}

/* After a parsed head: note the route and how the body is framed. */
static void
start_request(const struct fc_http_server *srv, struct fc_http_server_conn *c,
		const struct fc_http_request *req)
{
	c->pending_route = (int16_t)match_route(srv, req->path, req->path_len);
	c->pending_close = !req->keep_alive ||
		(c->pending_route >= 0 && srv->routes[c->pending_route].close);
	/* Methods are case-sensitive (RFC 9110 §9.1). */
	c->pending_head = req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0;
	if (req->chunked) {
		memset(&c->chunk, 0, sizeof(c->chunk));
		c->phase = SV_BODY_CHUNKED;
	} else if (req->content_length > 0) {
		c->remaining = (uint64_t)req->content_length;
		c->phase = SV_BODY_LEN;
	} else {
		c->remaining = 0;
		c->phase = SV_BODY_LEN;
	}
}

int64_t
fc_http_server_feed(const struct fc_http_server *srv, struct fc_http_server_conn *c,
		const char *buf, size_t len, struct fc_http_server_reply *reply)
{
	size_t off = 0;

	reply->ready = false;
	if (c->phase == SV_CLOSED)
		return -EPIPE;

	while (off < len || (c->phase == SV_BODY_LEN && c->remaining == 0)) {
		size_t avail = len - off;

		switch (c->phase) {
		case SV_HEAD: {
			struct fc_http_request req;
			int rc;

			/* spill_len, not spill: the pointer is on the cold side of the struct. A
			 * spill buffer always holds something (a head is spilled only when bytes
			 * of it are left over). */
			if (c->spill_len == 0) {
				rc = fc_http_parse_request(buf + off, avail, &req);
				if (rc == -1)
					goto bad;
				if (rc == -2) {
					if (avail > c->pool->buf_size) {
						c->stats->too_large++;
						goto bad;
					}
					c->spill = fc_http_pool_get(c->pool);
					if (c->spill == NULL) {
						c->stats->no_spill++;
						c->phase = SV_CLOSED;
						return -ENOBUFS;
					}
					memcpy(c->spill, buf + off, avail);
					c->spill_len = (uint16_t)avail;
					off = len;
					break;
				}
				start_request(srv, c, &req);
				off += (size_t)rc;
			} else {
				size_t old = c->spill_len, room = c->pool->buf_size - old;
				size_t n = avail < room ? avail : room;

				memcpy(c->spill + old, buf + off, n);
				rc = fc_http_parse_request(c->spill, old + n, &req);
				if (rc == -1)
					goto bad;
				if (rc == -2) {
					if (n < avail || old + n == c->pool->buf_size) {
						c->stats->too_large++;
						goto bad;
					}
					c->spill_len = (uint16_t)(old + n);
					off = len;
					break;
				}
				/* req points into the spill buffer: route it before giving it back. */
				start_request(srv, c, &req);
				conn_drop_spill(c);
				off += (size_t)rc - old;
			}
			break;
		}
		case SV_BODY_LEN: {
			size_t n = avail;

			if ((uint64_t)n > c->remaining)
				n = (size_t)c->remaining;
			c->remaining -= n;
			off += n;
			if (c->remaining == 0) {
				give_reply(srv, c, reply);
				c->stats->req_bytes += off;
				return (int64_t)off;
			}
			break;
		}
		case SV_BODY_CHUNKED: {
			int64_t r = fc_http_chunked_scan(&c->chunk, buf + off, avail);

			if (r == -1)
				goto bad;
			if (r == -2) {
				off = len;
				break;
			}
			off += (size_t)r;
			give_reply(srv, c, reply);
			c->stats->req_bytes += off;
			return (int64_t)off;
		}
		default:
			return -EPIPE;
		}
	}
	c->stats->req_bytes += off;
	return (int64_t)off;
bad:
	bad_request(srv, c, reply);
	c->stats->req_bytes += len;
	return (int64_t)len;
}
