/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capture reading, TCP reassembly and HTTP request extraction.
 *
 * Per packet: link layer -> IPv4/IPv6 -> TCP -> flow lookup -> per-direction reassembly
 * -> in-order bytes to the client (request) or server (response) stream parser. Each
 * request start gets a record in a per-flow ring; records are reported strictly in order
 * once settled (complete and answered, skipped, or the flow can no longer answer), so the
 * consumer sees each connection's requests in their original order.
 *
 * Memory is bounded per flow (out-of-order queue, request buffer, response head buffer,
 * record ring) and by the flow count; nothing is proportional to the capture size.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "fc_http.h"
#include "fc_pcap.h"

/* Sequence arithmetic modulo 2^32 (RFC 9293 §3.4). */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

/* Link types libpcap may hand out under two numbers depending on the platform. */
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#define DLT_RAW_ALT1 12 /* DLT_RAW on most BSDs */
#define DLT_RAW_ALT2 14 /* DLT_RAW on OpenBSD */
#define LINKTYPE_RAW 101

/* One out-of-order piece: captured data, or a hole left by a snaplen-truncated packet. */
struct seg {
	struct seg *next;
	uint32_t seq;           /* first sequence number covered */
	uint32_t len;           /* sequence space covered */
	uint64_t ts;            /* capture time of the packet it came from (relative) */
	bool hole;              /* no data: the bytes were cut by the snaplen */
	uint8_t data[];
};

/* One direction of a flow, named by its sender. */
struct dir {
	uint32_t next_seq;      /* next byte expected in order (RCV.NXT) */
	uint32_t fin_seq;       /* sequence number of the FIN */
	uint32_t isn;           /* SYN sequence number */
	uint32_t max_ack;       /* highest ACK this side sent (acknowledges the other side) */
	bool init;              /* next_seq is known */
	bool syn;               /* SYN seen */
	bool fin;               /* FIN seen */
	bool ack_valid;         /* max_ack is set */
	bool midstream;         /* first data seen without the SYN */
	struct seg *ooo;        /* out-of-order queue, sorted, non-overlapping */
	uint32_t ooo_bytes;     /* memory held by ooo (data plus headers) */
};

enum cphase {
	C_START = 0,            /* no data yet */
	C_HEAD,                 /* reading a request head (or waiting for the next request) */
	C_BODY_LEN,             /* Content-Length body */
	C_BODY_CHUNKED,         /* chunked body */
	C_DISCARD_LEN,          /* skipping the body of a skipped request, still in sync */
	C_DISCARD_CHUNKED,      /* same, chunked */
	C_DESYNC,               /* lost the request boundaries; resync on a segment that starts a request */
	C_DEAD,                 /* not HTTP any more (protocol upgrade) */
};

enum sphase {
	S_START = 0,
	S_HEAD,
	S_BODY_LEN,
	S_BODY_CHUNKED,
	S_BODY_CLOSE,
	S_DESYNC,               /* lost the response boundaries: resync on a segment starting "HTTP/1." */
	S_DEAD,                 /* gave up pairing responses on this flow */
};

enum rstate { R_OPEN = 0, R_DONE, R_SKIP };

/* A request start. */
struct rec {
	uint64_t off;           /* absolute offset of its bytes in the client buffer stream */
	uint64_t ts;            /* first byte (relative ns) */
	uint64_t end_ts;        /* last byte */
	uint64_t rsp_ts;        /* first byte of the final response */
	uint64_t bytes_seen;    /* for skips */
	const char *detail;     /* for skips */
	uint32_t len;           /* bytes so far / total */
	uint32_t head_len;
	uint32_t path_off, path_len;
	uint32_t host_off, host_len;
	uint16_t method_len;
	uint16_t status;
	uint8_t state;          /* enum rstate */
	uint8_t reason;         /* enum fc_pcap_skip_reason */
	uint8_t minor;
	bool has_rsp;
	bool is_head;
	bool has_host;
};

struct flow {
	struct flow *hnext;     /* hash chain */
	struct flow *lprev, *lnext; /* activity order, least recent first */
	uint64_t conn_id;
	uint64_t last_ts;       /* absolute ns */
	uint32_t hash;
	uint8_t family;
	bool ignored;           /* no way to tell the server: not processed */
	uint8_t cside;          /* index (0/1) of the client in addr/port/d */
	uint8_t addr[2][16];
	uint16_t port[2];
	struct dir d[2];

	/* client stream */
	uint8_t cphase;
	uint8_t *cbuf;
	size_t ccap, clen;
	uint64_t cbase;         /* absolute offset of cbuf[0] */
	size_t cscan;           /* head bytes already searched for the end of the head */
	uint64_t c_remaining;
	struct fc_http_chunked cchunk;
	struct rec *recs;
	uint32_t rcap;
	uint64_t r_first;       /* oldest record not reported */
	uint64_t r_next;        /* records started */
	uint64_t rsp_idx;       /* next record a final response pairs with */
	uint64_t pair_limit;    /* records at or beyond this index cannot be paired by position */
	uint64_t anchor_idx;    /* record the client resynced on, after a loss */
	uint64_t anchor_ts;     /* its first byte */
	bool resynced;          /* the next record opened is the resync point */
	bool anchor_wait;       /* pairing resumes at anchor_idx with the first response after anchor_ts */
	bool s_lost;            /* response positions lost: the next response pairs by time */

	/* server stream */
	uint8_t sphase;
	uint8_t *sbuf;
	uint32_t scap, slen, sscan;
	uint64_t s_remaining;
	uint64_t s_first_ts;
	struct fc_http_chunked schunk;
};

struct fkey {
	uint8_t addr[2][16];
	uint16_t port[2];
	uint8_t family;
};

struct fc_pcap_extractor {
	struct fc_pcap_opts o;
	struct fc_pcap_stats st;
	struct flow **buckets;
	uint32_t bmask;
	struct flow *flows;     /* max_flows entries, calloc'd (pages touched on use) */
	struct flow *free_list; /* closed flows for reuse */
	uint32_t fresh;         /* flows[fresh..] never used: their pages stay untouched */
	uint32_t nflows;
	struct flow *lru_head, *lru_tail;
	uint64_t buffered;
	int cb_err;             /* first error a callback returned (sticky) */
	bool started;
};

enum close_why { CLOSE_END = 0, CLOSE_IDLE, CLOSE_EVICT, CLOSE_EOF };

static const char *const reason_names[FC_PCAP_SKIP__COUNT] = {
	[FC_PCAP_SKIP_GAP] = "gap",
	[FC_PCAP_SKIP_TRUNCATED] = "truncated",
	[FC_PCAP_SKIP_MIDSTREAM] = "mid-stream start",
	[FC_PCAP_SKIP_PARSE] = "parse error",
	[FC_PCAP_SKIP_UNTERMINATED] = "unterminated at end",
	[FC_PCAP_SKIP_TOO_LARGE] = "too large",
	[FC_PCAP_SKIP_EVICTED] = "evicted",
};

const char *
fc_pcap_skip_reason_str(enum fc_pcap_skip_reason r)
{
	if ((unsigned)r >= FC_PCAP_SKIP__COUNT)
		return "unknown";
	return reason_names[r];
}

char *
fc_pcap_endpoint_str(const struct fc_pcap_endpoint *ep, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (len == 0)
		return buf;
	if (ep->family == 6) {
		inet_ntop(AF_INET6, ep->addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ep->port);
	} else {
		inet_ntop(AF_INET, ep->addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ep->port);
	}
	return buf;
}

void
fc_pcap_opts_default(struct fc_pcap_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->server_ports[0] = 80;
	o->num_server_ports = 1;
	o->max_flows = 65536;
	o->max_ooo_bytes = 256 * 1024;
	o->max_head_bytes = 64 * 1024;
	o->max_request_bytes = 1024 * 1024;
	o->max_pending = 64;
	o->max_flow_bytes = 4 * 1024 * 1024;
	o->idle_timeout_ns = 300ull * 1000000000ull;
	o->max_total_bytes = 1ull << 30;
}

/* ---------------------------------------------------------------------------------- */
/* Memory accounting                                                                   */
/* ---------------------------------------------------------------------------------- */

static void
mem_add(struct fc_pcap_extractor *x, int64_t delta)
{
	x->buffered += (uint64_t)delta;
	if (x->buffered > x->st.peak_buffered_bytes)
		x->st.peak_buffered_bytes = x->buffered;
}

/* Grow a byte buffer to hold at least @need bytes (doubling, at most @max). */
static int
buf_reserve(struct fc_pcap_extractor *x, uint8_t **buf, size_t *cap, size_t need, size_t max)
{
	size_t ncap;
	uint8_t *nb;

	if (need <= *cap)
		return 0;
	if (need > max)
		return -ENOSPC;
	ncap = *cap ? *cap : 2048;
	while (ncap < need)
		ncap *= 2;
	if (ncap > max)
		ncap = max;
	nb = realloc(*buf, ncap);
	if (nb == NULL)
		return -ENOMEM;
	mem_add(x, (int64_t)(ncap - *cap));
	*buf = nb;
	*cap = ncap;
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Reporting                                                                           */
/* ---------------------------------------------------------------------------------- */

static uint64_t
rel_ts(const struct fc_pcap_extractor *x, uint64_t ts)
{
	return ts >= x->st.first_ts_ns ? ts - x->st.first_ts_ns : 0;
}

static void
fill_ep(const struct flow *f, unsigned side, struct fc_pcap_endpoint *ep)
{
	ep->family = f->family;
	memcpy(ep->addr, f->addr[side], 16);
	ep->port = f->port[side];
}

static struct rec *
rec_at(struct flow *f, uint64_t idx)
{
	return &f->recs[idx % f->rcap];
}

static void
report(struct fc_pcap_extractor *x, struct flow *f, uint64_t idx, struct rec *r)
{
	int rc = 0;

	if (r->state == R_SKIP) {
		struct fc_pcap_skip s;

		x->st.requests_skipped++;
		x->st.skipped[r->reason]++;
		if (x->o.on_skip == NULL || x->cb_err)
			return;
		memset(&s, 0, sizeof(s));
		s.conn_id = f->conn_id;
		s.seq = (uint32_t)idx;
		s.ts_ns = r->ts;
		s.reason = (enum fc_pcap_skip_reason)r->reason;
		s.detail = r->detail;
		s.bytes_seen = r->bytes_seen;
		fill_ep(f, f->cside, &s.client);
		fill_ep(f, f->cside ^ 1u, &s.server);
		rc = x->o.on_skip(&s, x->o.arg);
	} else {
		struct fc_pcap_request q;
		const uint8_t *raw = f->cbuf + (r->off - f->cbase);

		x->st.requests_extracted++;
		if (x->o.on_request == NULL || x->cb_err)
			return;
		memset(&q, 0, sizeof(q));
		q.conn_id = f->conn_id;
		q.seq = (uint32_t)idx;
		q.ts_ns = r->ts;
		q.end_ts_ns = r->end_ts;
		q.raw = raw;
		q.raw_len = r->len;
		q.head_len = r->head_len;
		q.method = (const char *)raw;
		q.method_len = r->method_len;
		q.path = (const char *)raw + r->path_off;
		q.path_len = r->path_len;
		if (r->has_host) {
			q.host = (const char *)raw + r->host_off;
			q.host_len = r->host_len;
		}
		q.minor_version = r->minor;
		q.has_response = r->has_rsp;
		q.status = r->has_rsp ? r->status : 0;
		q.rsp_time_ns = r->has_rsp && r->rsp_ts > r->end_ts ? r->rsp_ts - r->end_ts : 0;
		fill_ep(f, f->cside, &q.client);
		fill_ep(f, f->cside ^ 1u, &q.server);
		rc = x->o.on_request(&q, x->o.arg);
	}
	if (rc < 0 && x->cb_err == 0)
		x->cb_err = rc;
}

/* Can a response still arrive for record @idx? */
static bool
can_pair(const struct flow *f, uint64_t idx)
{
	const struct dir *sd = &f->d[f->cside ^ 1u];

	if (f->sphase == S_DEAD || idx < f->rsp_idx)
		return false;
	if (idx >= f->pair_limit && !(f->anchor_wait && idx >= f->anchor_idx))
		return false;
	if (sd->fin && sd->init && sd->next_seq == sd->fin_seq)
		return false;
	return true;
}

/* Drop client-buffer bytes no record needs any more. */
static void
cbuf_compact(struct flow *f)
{
	uint64_t live;
	size_t dead;

	live = f->cbase + f->clen;
	for (uint64_t i = f->r_first; i < f->r_next; i++) {
		struct rec *r = rec_at(f, i);

		if (r->state != R_SKIP) {
			live = r->off;
			break;
		}
	}
	dead = (size_t)(live - f->cbase);
	if (dead == 0)
		return;
	if (dead < f->clen)
		memmove(f->cbuf, f->cbuf + dead, f->clen - dead);
	f->clen -= dead;
	f->cbase += dead;
}

/*
 * Report settled records in order. @force: also report complete records still waiting
 * for a response (flow ending, or a bound reached); @max_force limits how many of those.
 */
static void
emit(struct fc_pcap_extractor *x, struct flow *f, bool force, unsigned max_force)
{
	bool any = false;

	while (f->r_first < f->r_next) {
		struct rec *r = rec_at(f, f->r_first);

		if (r->state == R_OPEN)
			break;
		if (r->state == R_DONE && !r->has_rsp && can_pair(f, f->r_first)) {
			if (!force || max_force == 0)
				break;
			max_force--;
		}
		report(x, f, f->r_first, r);
		f->r_first++;
		any = true;
	}
	if (any)
		cbuf_compact(f);
}

/* ---------------------------------------------------------------------------------- */
/* Client stream: requests                                                             */
/* ---------------------------------------------------------------------------------- */

static bool
is_upper(uint8_t c)
{
	return c >= 'A' && c <= 'Z';
}

/*
 * Does @p start with a request line? Used only where the boundary is unknown (capture
 * started mid-connection, or after a loss): an upper-case method token, a space, a
 * target starting with '/', '*' or a letter, and, when the line end is in view, an
 * "HTTP/1.x" version at its end.
 */
static bool
looks_like_request(const uint8_t *p, size_t n)
{
	size_t i = 0, lim = n < 8192 ? n : 8192;
	const uint8_t *nl;

	while (i < lim && i < 16 && is_upper(p[i]))
		i++;
	if (i < 3 || i >= lim || p[i] != ' ' || i + 1 >= lim)
		return false;
	if (!(p[i + 1] == '/' || p[i + 1] == '*' || (p[i + 1] | 0x20) == 'h'))
		return false;
	nl = memchr(p, '\n', lim);
	if (nl != NULL) {
		size_t e = (size_t)(nl - p);

		if (e > 0 && p[e - 1] == '\r')
			e--;
		if (e < i + 10 || memcmp(p + e - 8, "HTTP/1.", 7) != 0 || p[e - 9] != ' ')
			return false;
	}
	return true;
}

static struct rec *
cur_rec(struct flow *f)
{
	if (f->r_next == f->r_first)
		return NULL;
	struct rec *r = rec_at(f, f->r_next - 1);
	return r->state == R_OPEN ? r : NULL;
}

/* Start a record; the ring grows to max_pending + 1, beyond which the oldest is forced out. */
static struct rec *
rec_open(struct fc_pcap_extractor *x, struct flow *f, uint64_t ts)
{
	struct rec *r;

	if (f->r_next - f->r_first >= f->rcap) {
		uint32_t limit = x->o.max_pending + 1;

		if (f->rcap < limit) {
			uint32_t ncap = f->rcap ? f->rcap * 2 : 4;
			struct rec *nr;

			if (ncap > limit)
				ncap = limit;
			nr = malloc((size_t)ncap * sizeof(*nr));
			if (nr != NULL) {
				for (uint64_t i = f->r_first; i < f->r_next; i++)
					nr[i % ncap] = *rec_at(f, i);
				free(f->recs);
				mem_add(x, (int64_t)(ncap - f->rcap) * (int64_t)sizeof(*nr));
				f->recs = nr;
				f->rcap = ncap;
			}
		}
		if (f->r_next - f->r_first >= f->rcap)
			emit(x, f, true, 1);
		if (f->r_next - f->r_first >= f->rcap)
			return NULL; /* only when the ring could not be allocated at all */
	}
	r = rec_at(f, f->r_next++);
	memset(r, 0, sizeof(*r));
	r->state = R_OPEN;
	r->off = f->cbase + f->clen;
	r->ts = ts;
	x->st.requests_seen++;
	return r;
}

static void
rec_skip(struct fc_pcap_extractor *x, struct flow *f, struct rec *r,
		enum fc_pcap_skip_reason why, const char *detail)
{
	if (r->state != R_OPEN)
		return;
	if (r->bytes_seen < r->len)
		r->bytes_seen = r->len;
	/* The open record is always the last thing in the buffer: drop its bytes. */
	if (r->off >= f->cbase && r->off <= f->cbase + f->clen)
		f->clen = (size_t)(r->off - f->cbase);
	r->state = R_SKIP;
	r->reason = (uint8_t)why;
	r->detail = detail;
	r->len = 0;
	emit(x, f, false, 0);
}

static void
rec_done(struct fc_pcap_extractor *x, struct flow *f, struct rec *r, uint64_t ts)
{
	r->state = R_DONE;
	r->end_ts = ts;
	emit(x, f, false, 0);
}

/* The client side lost its request boundaries: responses after this point cannot be
 * paired by position any more. */
static void
client_desync(struct flow *f)
{
	f->cphase = C_DESYNC;
	if (f->pair_limit > f->r_next)
		f->pair_limit = f->r_next;
}

/* Append request bytes; bounded by max_flow_bytes (older answered-or-not requests are
 * reported early to make room). */
static int
cbuf_append(struct fc_pcap_extractor *x, struct flow *f, const uint8_t *p, size_t n)
{
	while (f->clen + n > x->o.max_flow_bytes && f->r_first < f->r_next &&
			rec_at(f, f->r_first)->state != R_OPEN) {
		emit(x, f, true, 1);
	}
	if (buf_reserve(x, &f->cbuf, &f->ccap, f->clen + n, x->o.max_flow_bytes) < 0)
		return -1;
	memcpy(f->cbuf + f->clen, p, n);
	f->clen += n;
	return 0;
}

/* Find the end of a head: returns the offset just past "\n\r\n" or "\n\n", or 0. */
static size_t
head_end(const uint8_t *b, size_t from, size_t len)
{
	size_t i = from;

	while (i < len) {
		const uint8_t *nl = memchr(b + i, '\n', len - i);
		size_t k;

		if (nl == NULL)
			return 0;
		k = (size_t)(nl - b) + 1;
		if (k < len && b[k] == '\n')
			return k + 1;
		if (k + 1 < len && b[k] == '\r' && b[k + 1] == '\n')
			return k + 2;
		i = k;
	}
	return 0;
}

static void
fill_head(struct rec *r, const uint8_t *base, const struct fc_http_request *q, uint32_t hl)
{
	const char *b = (const char *)base;

	r->head_len = hl;
	/* The parser skips leading empty lines; the record starts at the method. */
	r->method_len = (uint16_t)q->method_len;
	r->path_off = (uint32_t)(q->path - b);
	r->path_len = (uint32_t)q->path_len;
	r->minor = (uint8_t)q->minor_version;
	r->is_head = fc_http_token_eq(q->method, q->method_len, "head");
	for (size_t i = 0; i < q->num_headers; i++) {
		if (fc_http_token_eq(q->headers[i].name, q->headers[i].name_len, "host")) {
			r->has_host = true;
			r->host_off = (uint32_t)(q->headers[i].value - b);
			r->host_len = (uint32_t)q->headers[i].value_len;
			break;
		}
	}
}

static void
client_data(struct fc_pcap_extractor *x, struct flow *f, const uint8_t *p, size_t n,
		uint64_t ts, bool seg_start)
{
	unsigned guard = 0;

	while (n > 0 && guard++ < 100000) {
		struct rec *r;
		size_t k;
		int64_t c;

		switch (f->cphase) {
		case C_DEAD:
			return;
		case C_START:
			if (f->d[f->cside].midstream && !looks_like_request(p, n)) {
				r = rec_open(x, f, ts);
				if (r != NULL) {
					r->bytes_seen = n;
					rec_skip(x, f, r, FC_PCAP_SKIP_MIDSTREAM,
						"the capture starts inside this request");
				}
				f->cphase = C_DESYNC;
				return;
			}
			f->cphase = C_HEAD;
			break;
		case C_DESYNC:
			if (!seg_start || !looks_like_request(p, n))
				return;
			f->cphase = C_HEAD;
			f->resynced = true;
			break;
		case C_DISCARD_LEN:
			k = n < f->c_remaining ? n : (size_t)f->c_remaining;
			f->c_remaining -= k;
			p += k;
			n -= k;
			if (f->c_remaining == 0)
				f->cphase = C_HEAD;
			break;
		case C_DISCARD_CHUNKED:
			c = fc_http_chunked_scan(&f->cchunk, (const char *)p, n);
			if (c == -2)
				return;
			if (c < 0) {
				client_desync(f);
				return;
			}
			p += c;
			n -= (size_t)c;
			f->cphase = C_HEAD;
			break;
		case C_HEAD: {
			struct fc_http_request q;
			size_t have, take, end;
			int hl;

			r = cur_rec(f);
			if (r == NULL) {
				/* Empty lines between requests are allowed (RFC 9112 §2.2). */
				while (n > 0 && (*p == '\r' || *p == '\n')) {
					p++;
					n--;
				}
				if (n == 0)
					return;
				r = rec_open(x, f, ts);
				if (r == NULL)
					return;
				f->cscan = 0;
				if (f->resynced) {
					f->resynced = false;
					if (f->pair_limit != UINT64_MAX) {
						f->anchor_idx = f->r_next - 1;
						f->anchor_ts = ts;
						f->anchor_wait = true;
					}
				}
			}
			have = r->len;
			take = x->o.max_head_bytes - have;
			if (take > n)
				take = n;
			if (cbuf_append(x, f, p, take) < 0) {
				rec_skip(x, f, r, FC_PCAP_SKIP_TOO_LARGE, "no buffer space for the request");
				client_desync(f);
				return;
			}
			r->len += (uint32_t)take;
			/* A head that arrives whole (the common case) is parsed at once; only a
			 * head split across segments is searched for its end first, so that it
			 * is parsed once and not once per segment. */
			if (have == 0) {
				hl = fc_http_parse_request((const char *)f->cbuf + (r->off - f->cbase), r->len, &q);
				end = hl == -2 ? 0 : r->len;
			} else {
				end = head_end(f->cbuf + (r->off - f->cbase), f->cscan > 3 ? f->cscan - 3 : 0, r->len);
				hl = 0;
			}
			if (end == 0) {
				if (r->len >= x->o.max_head_bytes) {
					rec_skip(x, f, r, FC_PCAP_SKIP_TOO_LARGE, "request head above max_head_bytes");
					client_desync(f);
					return;
				}
				f->cscan = r->len;
				p += take;
				n -= take;
				break;
			}
			if (have != 0)
				hl = fc_http_parse_request((const char *)f->cbuf + (r->off - f->cbase), end, &q);
			if (hl <= 0) {
				rec_skip(x, f, r, FC_PCAP_SKIP_PARSE, "malformed request head");
				client_desync(f);
				return;
			}
			/* Give back what follows the head: it is body or the next request. */
			{
				size_t excess = r->len - (size_t)hl;

				if (excess > take) {
					rec_skip(x, f, r, FC_PCAP_SKIP_PARSE, "malformed request head");
					client_desync(f);
					return;
				}
				f->clen -= excess;
				r->len = (uint32_t)hl;
				p += take - excess;
				n -= take - excess;
			}
			fill_head(r, f->cbuf + (r->off - f->cbase), &q, (uint32_t)hl);
			if (q.chunked) {
				memset(&f->cchunk, 0, sizeof(f->cchunk));
				f->cphase = C_BODY_CHUNKED;
			} else if (q.content_length > 0) {
				if ((uint64_t)q.content_length + (uint64_t)hl > x->o.max_request_bytes) {
					rec_skip(x, f, r, FC_PCAP_SKIP_TOO_LARGE, "request body above max_request_bytes");
					f->c_remaining = (uint64_t)q.content_length;
					f->cphase = C_DISCARD_LEN;
				} else {
					f->c_remaining = (uint64_t)q.content_length;
					f->cphase = C_BODY_LEN;
				}
			} else {
				rec_done(x, f, r, ts);
			}
			break;
		}
		case C_BODY_LEN:
			r = cur_rec(f);
			k = n < f->c_remaining ? n : (size_t)f->c_remaining;
			if (r == NULL || cbuf_append(x, f, p, k) < 0) {
				if (r != NULL)
					rec_skip(x, f, r, FC_PCAP_SKIP_TOO_LARGE, "no buffer space for the request");
				f->cphase = C_DISCARD_LEN;
				break;
			}
			r->len += (uint32_t)k;
			f->c_remaining -= k;
			p += k;
			n -= k;
			if (f->c_remaining == 0) {
				f->cphase = C_HEAD;
				rec_done(x, f, r, ts);
			}
			break;
		case C_BODY_CHUNKED:
			r = cur_rec(f);
			c = fc_http_chunked_scan(&f->cchunk, (const char *)p, n);
			if (c == -1 || r == NULL) {
				if (r != NULL)
					rec_skip(x, f, r, FC_PCAP_SKIP_PARSE, "malformed chunked body");
				client_desync(f);
				return;
			}
			k = c == -2 ? n : (size_t)c;
			if (r->len + k > x->o.max_request_bytes || cbuf_append(x, f, p, k) < 0) {
				rec_skip(x, f, r, FC_PCAP_SKIP_TOO_LARGE, "request body above max_request_bytes");
				f->cphase = c == -2 ? C_DISCARD_CHUNKED : C_HEAD;
				p += k;
				n -= k;
				break;
			}
			r->len += (uint32_t)k;
			p += k;
			n -= k;
			if (c >= 0) {
				f->cphase = C_HEAD;
				rec_done(x, f, r, ts);
			}
			break;
		}
		seg_start = false;
	}
}

static void
client_gap(struct fc_pcap_extractor *x, struct flow *f, uint64_t len, enum fc_pcap_skip_reason why,
		uint64_t ts)
{
	struct rec *r = cur_rec(f);
	const char *detail = why == FC_PCAP_SKIP_TRUNCATED ?
		"bytes of the request were cut by the capture snaplen" :
		"bytes of the request are missing from the capture";

	(void)ts;
	switch (f->cphase) {
	case C_START:
	case C_DESYNC:
		f->cphase = C_DESYNC;
		return;
	case C_DEAD:
		return;
	case C_HEAD:
		if (r != NULL)
			rec_skip(x, f, r, why, detail);
		client_desync(f);
		return;
	case C_BODY_LEN:
		if (r != NULL)
			rec_skip(x, f, r, why, detail);
		/* A hole inside a Content-Length body keeps the boundaries: stay in sync. */
		if (len <= f->c_remaining) {
			f->c_remaining -= len;
			f->cphase = f->c_remaining ? C_DISCARD_LEN : C_HEAD;
		} else {
			client_desync(f);
		}
		return;
	case C_DISCARD_LEN:
		if (len <= f->c_remaining) {
			f->c_remaining -= len;
			f->cphase = f->c_remaining ? C_DISCARD_LEN : C_HEAD;
		} else {
			client_desync(f);
		}
		return;
	case C_BODY_CHUNKED:
		if (r != NULL)
			rec_skip(x, f, r, why, detail);
		client_desync(f);
		return;
	case C_DISCARD_CHUNKED:
		client_desync(f);
		return;
	}
}

/* ---------------------------------------------------------------------------------- */
/* Server stream: responses                                                            */
/* ---------------------------------------------------------------------------------- */

static void
server_dead(struct fc_pcap_extractor *x, struct flow *f)
{
	if (f->sphase != S_DEAD)
		x->st.responses_unparsed++;
	f->sphase = S_DEAD;
	f->slen = 0;
	emit(x, f, false, 0);
}

static void
pair(struct fc_pcap_extractor *x, struct flow *f, uint16_t status, uint64_t ts)
{
	uint64_t idx = f->rsp_idx;

	if (f->s_lost) {
		/*
		 * Responses were lost (or the capture began inside one): positions are unknown.
		 * A client that waits for each response has one request outstanding, the latest
		 * one that started before this response did: that is the one it answers.
		 */
		uint64_t lo = f->rsp_idx > f->r_first ? f->rsp_idx : f->r_first, found = UINT64_MAX;

		for (uint64_t i = f->r_next; i-- > lo;) {
			if (rec_at(f, i)->ts <= ts) {
				found = i;
				break;
			}
		}
		/* Records already reported started earlier still: the newest of them. */
		if (found == UINT64_MAX && f->r_first > f->rsp_idx)
			found = f->r_first - 1;
		f->s_lost = false;
		if (found == UINT64_MAX) {
			x->st.responses_orphan++;
			return;
		}
		f->rsp_idx = idx = found;
		f->pair_limit = UINT64_MAX;
		f->anchor_wait = false;
	}
	if (idx >= f->pair_limit) {
		/*
		 * Past a client-side loss, positions are unknown. Without pipelining a client
		 * waits for each response before the next request, so the first response that
		 * starts after the resync request started is that request's: pairing resumes
		 * there. Responses before it answered requests lost in the hole.
		 */
		if (f->anchor_wait && f->anchor_idx < f->r_next && ts >= f->anchor_ts) {
			f->rsp_idx = idx = f->anchor_idx;
			f->pair_limit = UINT64_MAX;
			f->anchor_wait = false;
		} else {
			x->st.responses_orphan++;
			return;
		}
	}
	if (idx >= f->r_next) {
		x->st.responses_orphan++;
		return;
	}
	f->rsp_idx++;
	x->st.responses++;
	if (idx >= f->r_first) {
		struct rec *r = rec_at(f, idx);

		r->has_rsp = true;
		r->status = status;
		r->rsp_ts = ts;
		emit(x, f, false, 0);
	}
}

static void server_lost(struct fc_pcap_extractor *x, struct flow *f);

static bool
starts_http(const uint8_t *p, size_t n)
{
	return n >= 7 && memcmp(p, "HTTP/1.", 7) == 0;
}

static void
server_data(struct fc_pcap_extractor *x, struct flow *f, const uint8_t *p, size_t n,
		uint64_t ts, bool seg_start)
{
	unsigned guard = 0;

	while (n > 0 && guard++ < 100000) {
		size_t k;
		int64_t c;

		switch (f->sphase) {
		case S_DEAD:
		case S_BODY_CLOSE:
			return;
		case S_START:
			if (f->d[f->cside ^ 1u].midstream && !starts_http(p, n)) {
				/* The capture starts inside a response: pair the next one by time. */
				f->sphase = S_DESYNC;
				f->s_lost = true;
				return;
			}
			f->sphase = S_HEAD;
			break;
		case S_DESYNC:
			if (!seg_start || !starts_http(p, n))
				return;
			f->sphase = S_HEAD;
			break;
		case S_BODY_LEN:
			k = n < f->s_remaining ? n : (size_t)f->s_remaining;
			f->s_remaining -= k;
			p += k;
			n -= k;
			if (f->s_remaining == 0)
				f->sphase = S_HEAD;
			break;
		case S_BODY_CHUNKED:
			c = fc_http_chunked_scan(&f->schunk, (const char *)p, n);
			if (c == -2)
				return;
			if (c < 0) {
				server_lost(x, f);
				return;
			}
			p += c;
			n -= (size_t)c;
			f->sphase = S_HEAD;
			break;
		case S_HEAD: {
			struct fc_http_response rsp;
			size_t take, end, cap = f->scap;
			bool is_head = false;
			int hl;

			if (f->rsp_idx >= f->r_first && f->rsp_idx < f->r_next)
				is_head = rec_at(f, f->rsp_idx)->is_head;
			if (f->slen == 0) {
				while (n > 0 && (*p == '\r' || *p == '\n')) {
					p++;
					n--;
				}
				if (n == 0)
					return;
				f->s_first_ts = ts;
				/* Zero-copy when the head is whole in this piece (the common case). */
				hl = fc_http_parse_response((const char *)p, n, is_head, &rsp);
				if (hl == -1) {
					server_lost(x, f);
					return;
				}
				if (hl > 0) {
					p += hl;
					n -= (size_t)hl;
					goto have_head;
				}
				f->sscan = 0;
			}
			/* A head split across segments: keep it until its end is seen. */
			take = x->o.max_head_bytes - f->slen;
			if (take > n)
				take = n;
			if (buf_reserve(x, &f->sbuf, &cap, f->slen + take, x->o.max_head_bytes) < 0) {
				server_dead(x, f);
				return;
			}
			f->scap = (uint32_t)cap;
			memcpy(f->sbuf + f->slen, p, take);
			f->slen += (uint32_t)take;
			end = head_end(f->sbuf, f->sscan > 3 ? f->sscan - 3 : 0, f->slen);
			if (end == 0) {
				if (f->slen >= x->o.max_head_bytes) {
					server_lost(x, f);
					return;
				}
				f->sscan = f->slen;
				p += take;
				n -= take;
				break;
			}
			hl = fc_http_parse_response((const char *)f->sbuf, end, is_head, &rsp);
			if (hl <= 0 || f->slen - (size_t)hl > take) {
				server_lost(x, f);
				return;
			}
			p += take - (f->slen - (size_t)hl);
			n -= take - (f->slen - (size_t)hl);
			f->slen = 0;
have_head:
			if (rsp.status < 200 && rsp.status != 101)
				break; /* interim response: the final one follows (RFC 9110 §15.2) */
			pair(x, f, (uint16_t)rsp.status, f->s_first_ts);
			if (rsp.status == 101) {
				/* Upgraded: neither side speaks HTTP/1.x any more. */
				f->sphase = S_DEAD;
				if (cur_rec(f) == NULL)
					f->cphase = C_DEAD;
				emit(x, f, false, 0);
				return;
			}
			if (rsp.no_body) {
				f->sphase = S_HEAD;
			} else if (rsp.chunked) {
				memset(&f->schunk, 0, sizeof(f->schunk));
				f->sphase = S_BODY_CHUNKED;
			} else if (rsp.content_length >= 0) {
				f->s_remaining = (uint64_t)rsp.content_length;
				f->sphase = f->s_remaining ? S_BODY_LEN : S_HEAD;
			} else {
				f->sphase = S_BODY_CLOSE;
			}
			break;
		}
		}
		seg_start = false;
	}
}

/* The response stream lost its place (a hole it cannot skip): resync on the next
 * segment that starts a response head, and pair that one by time (see pair()). */
static void
server_lost(struct fc_pcap_extractor *x, struct flow *f)
{
	if (!f->s_lost)
		x->st.responses_unparsed++;
	f->s_lost = true;
	f->sphase = S_DESYNC;
	f->slen = 0;
}

static void
server_gap(struct fc_pcap_extractor *x, struct flow *f, uint64_t len)
{
	switch (f->sphase) {
	case S_BODY_LEN:
		/* A hole inside a Content-Length body keeps the boundaries. */
		if (len <= f->s_remaining) {
			f->s_remaining -= len;
			f->sphase = f->s_remaining ? S_BODY_LEN : S_HEAD;
			return;
		}
		server_lost(x, f);
		return;
	case S_BODY_CLOSE:
	case S_DEAD:
		return;
	default:
		server_lost(x, f);
		return;
	}
}

/* ---------------------------------------------------------------------------------- */
/* Reassembly                                                                          */
/* ---------------------------------------------------------------------------------- */

static void
deliver(struct fc_pcap_extractor *x, struct flow *f, unsigned side, const uint8_t *p, size_t n,
		uint64_t ts, bool seg_start)
{
	if (side == f->cside) {
		x->st.payload_bytes_c2s += n;
		client_data(x, f, p, n, ts, seg_start);
	} else {
		x->st.payload_bytes_s2c += n;
		server_data(x, f, p, n, ts, seg_start);
	}
}

static void
stream_gap(struct fc_pcap_extractor *x, struct flow *f, unsigned side, uint64_t len,
		enum fc_pcap_skip_reason why, uint64_t ts)
{
	if (len == 0)
		return;
	x->st.gaps++;
	x->st.gap_bytes += len;
	if (side == f->cside)
		client_gap(x, f, len, why, ts);
	else
		server_gap(x, f, len);
}

/* Deliver in-order bytes [seq, seq + wire) of which the first @cap were captured. */
static void
deliver_piece(struct fc_pcap_extractor *x, struct flow *f, unsigned side, const uint8_t *p,
		uint32_t cap, uint32_t wire, uint64_t ts, bool seg_start)
{
	if (cap > 0)
		deliver(x, f, side, p, cap, ts, seg_start);
	if (wire > cap)
		stream_gap(x, f, side, wire - cap, FC_PCAP_SKIP_TRUNCATED, ts);
	f->d[side].next_seq += wire;
}

static void
seg_free(struct fc_pcap_extractor *x, struct dir *d, struct seg *s)
{
	uint32_t sz = (uint32_t)sizeof(*s) + (s->hole ? 0 : s->len);

	d->ooo_bytes -= sz;
	mem_add(x, -(int64_t)sz);
	free(s);
}

#define TS_OWN UINT64_MAX /* drain_ooo: stamp each piece with its own capture time */

/* Deliver queued segments that the in-order point has reached. When a retransmission
 * filled the hole they are stamped with @ts, the time it was filled: that is when the
 * bytes became usable in order. When the hole was given up (TS_OWN), each keeps the time
 * it was captured. */
static void
drain_ooo(struct fc_pcap_extractor *x, struct flow *f, unsigned side, uint64_t fill_ts)
{
	struct dir *d = &f->d[side];
	struct seg *s;

	while ((s = d->ooo) != NULL && SEQ_LEQ(s->seq, d->next_seq)) {
		uint32_t end = s->seq + s->len;
		uint64_t ts = fill_ts == TS_OWN ? s->ts : fill_ts;

		d->ooo = s->next;
		if (SEQ_LT(d->next_seq, end)) {
			uint32_t off = d->next_seq - s->seq;

			if (s->hole)
				deliver_piece(x, f, side, NULL, 0, s->len - off, ts, false);
			else
				deliver_piece(x, f, side, s->data + off, s->len - off, s->len - off,
					ts, off == 0);
		}
		seg_free(x, d, s);
	}
}

/* Queue [seq, seq + len) keeping bytes already queued (first copy wins). */
static int
ooo_insert(struct fc_pcap_extractor *x, struct dir *d, uint32_t seq, uint32_t len,
		const uint8_t *data, uint64_t ts)
{
	struct seg **pp = &d->ooo;
	uint32_t s = seq, e = seq + len;
	bool overlapped = false;

	while (SEQ_LT(s, e)) {
		struct seg *cur = *pp, *n;
		uint32_t piece_end;

		if (cur != NULL && SEQ_LEQ(cur->seq + cur->len, s)) {
			pp = &cur->next;
			continue;
		}
		piece_end = (cur == NULL || SEQ_LEQ(e, cur->seq)) ? e : cur->seq;
		if (SEQ_LT(s, piece_end)) {
			uint32_t plen = piece_end - s;
			uint32_t sz = (uint32_t)sizeof(*n) + (data ? plen : 0);

			n = malloc(sz);
			if (n == NULL)
				return -ENOMEM;
			n->seq = s;
			n->len = plen;
			n->ts = ts;
			n->hole = data == NULL;
			if (data != NULL)
				memcpy(n->data, data + (s - seq), plen);
			n->next = cur;
			*pp = n;
			pp = &n->next;
			d->ooo_bytes += sz;
			mem_add(x, sz);
			s = piece_end;
			continue;
		}
		/* s is inside cur: that range is already held. */
		overlapped = true;
		s = cur->seq + cur->len;
		pp = &cur->next;
	}
	if (overlapped)
		x->st.overlaps++;
	return 0;
}

/* Declare the hole before the first queued segment lost, and move on. */
static void
force_first_hole(struct fc_pcap_extractor *x, struct flow *f, unsigned side, uint64_t ts)
{
	struct dir *d = &f->d[side];

	if (d->ooo == NULL)
		return;
	if (SEQ_LT(d->next_seq, d->ooo->seq)) {
		uint32_t hole = d->ooo->seq - d->next_seq;

		stream_gap(x, f, side, hole, FC_PCAP_SKIP_GAP, ts);
		d->next_seq = d->ooo->seq;
	}
	drain_ooo(x, f, side, TS_OWN);
}

static void
seg_in(struct fc_pcap_extractor *x, struct flow *f, unsigned side, uint32_t seq,
		const uint8_t *p, uint32_t cap, uint32_t wire, uint64_t ts)
{
	struct dir *d = &f->d[side];
	uint32_t end = seq + wire;

	if (SEQ_LEQ(end, d->next_seq)) {
		x->st.retransmits++;
		return;
	}
	if (SEQ_LT(seq, d->next_seq)) {
		/* RFC 9293 §3.10.7.4: only the new part of a segment is accepted. */
		uint32_t off = d->next_seq - seq;

		x->st.overlaps++;
		seq += off;
		wire -= off;
		if (cap > off) {
			p += off;
			cap -= off;
		} else {
			cap = 0;
		}
	}
	if (seq == d->next_seq) {
		deliver_piece(x, f, side, p, cap, wire, ts, true);
		if (d->ooo != NULL)
			drain_ooo(x, f, side, ts);
		return;
	}
	/* Ahead of a hole: queue, within the per-direction bound. */
	x->st.ooo_segments++;
	while (d->ooo != NULL && d->ooo_bytes + cap + 2 * sizeof(struct seg) > x->o.max_ooo_bytes)
		force_first_hole(x, f, side, ts);
	if (SEQ_LT(seq, d->next_seq) || seq == d->next_seq) {
		seg_in(x, f, side, seq, p, cap, wire, ts);
		return;
	}
	if (d->ooo_bytes + cap + 2 * sizeof(struct seg) > x->o.max_ooo_bytes) {
		/* The segment alone exceeds the bound: the hole before it is lost. */
		stream_gap(x, f, side, seq - d->next_seq, FC_PCAP_SKIP_GAP, ts);
		d->next_seq = seq;
		deliver_piece(x, f, side, p, cap, wire, ts, true);
		return;
	}
	if (cap > 0 && ooo_insert(x, d, seq, cap, p, ts) < 0)
		return;
	if (wire > cap && ooo_insert(x, d, seq + cap, wire - cap, NULL, ts) < 0)
		return;
}

/* ---------------------------------------------------------------------------------- */
/* Flow table                                                                          */
/* ---------------------------------------------------------------------------------- */

static uint32_t
key_hash(const struct fkey *k)
{
	uint64_t w[4], h = 0x9e3779b97f4a7c15ull ^ k->family;

	memcpy(w, k->addr, sizeof(w));
	for (int i = 0; i < 4; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	h ^= ((uint64_t)k->port[0] << 16) | k->port[1];
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return (uint32_t)h;
}

static void
lru_unlink(struct fc_pcap_extractor *x, struct flow *f)
{
	if (f->lprev)
		f->lprev->lnext = f->lnext;
	else
		x->lru_head = f->lnext;
	if (f->lnext)
		f->lnext->lprev = f->lprev;
	else
		x->lru_tail = f->lprev;
	f->lprev = f->lnext = NULL;
}

static void
lru_append(struct fc_pcap_extractor *x, struct flow *f)
{
	f->lprev = x->lru_tail;
	f->lnext = NULL;
	if (x->lru_tail)
		x->lru_tail->lnext = f;
	else
		x->lru_head = f;
	x->lru_tail = f;
}

/* Data the other side acknowledged but the capture never showed is a hole too. */
static void
tail_gap(struct fc_pcap_extractor *x, struct flow *f, unsigned side)
{
	struct dir *d = &f->d[side], *o = &f->d[side ^ 1u];
	uint32_t limit, hole;

	if (!d->init)
		return;
	if (d->fin)
		limit = d->fin_seq;
	else if (o->ack_valid)
		limit = o->max_ack;
	else
		return;
	if (!SEQ_LT(d->next_seq, limit))
		return;
	hole = limit - d->next_seq;
	if (!d->fin && hole == 1)
		return; /* the ACK of a FIN we did not capture */
	if (hole > (1u << 30))
		return;
	stream_gap(x, f, side, hole, FC_PCAP_SKIP_GAP, f->last_ts >= x->st.first_ts_ns ?
		rel_ts(x, f->last_ts) : 0);
	d->next_seq = limit;
}

static void
flow_close(struct fc_pcap_extractor *x, struct flow *f, enum close_why why)
{
	struct flow **pp;

	if (!f->ignored) {
		unsigned order[2] = { f->cside, f->cside ^ 1u };

		for (int i = 0; i < 2; i++) {
			unsigned side = order[i];
			struct dir *d = &f->d[side];

			while (d->ooo != NULL)
				force_first_hole(x, f, side, rel_ts(x, f->last_ts));
			tail_gap(x, f, side);
		}
		struct rec *r = cur_rec(f);
		if (r != NULL)
			rec_skip(x, f, r, why == CLOSE_EVICT ? FC_PCAP_SKIP_EVICTED : FC_PCAP_SKIP_UNTERMINATED,
				why == CLOSE_EVICT ? "flow evicted from a full flow table" :
				why == CLOSE_IDLE ? "the connection went idle before the request ended" :
				why == CLOSE_EOF ? "the capture ended before the request did" :
				"the connection closed before the request ended");
		f->sphase = S_DEAD;
		emit(x, f, true, ~0u);
	}
	for (int side = 0; side < 2; side++) {
		while (f->d[side].ooo != NULL) {
			struct seg *s = f->d[side].ooo;

			f->d[side].ooo = s->next;
			seg_free(x, &f->d[side], s);
		}
	}
	mem_add(x, -(int64_t)(f->ccap + f->scap + (size_t)f->rcap * sizeof(struct rec)));
	free(f->cbuf);
	free(f->sbuf);
	free(f->recs);
	for (pp = &x->buckets[f->hash & x->bmask]; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == f) {
			*pp = f->hnext;
			break;
		}
	}
	lru_unlink(x, f);
	memset(f, 0, sizeof(*f));
	f->hnext = x->free_list;
	x->free_list = f;
	x->nflows--;
}

static bool
is_server_port(const struct fc_pcap_extractor *x, uint16_t port)
{
	for (unsigned i = 0; i < x->o.num_server_ports; i++)
		if (x->o.server_ports[i] == port)
			return true;
	return false;
}

static struct flow *
flow_lookup(struct fc_pcap_extractor *x, const struct fkey *k, uint32_t h)
{
	for (struct flow *f = x->buckets[h & x->bmask]; f != NULL; f = f->hnext) {
		if (f->hash == h && f->port[0] == k->port[0] && f->port[1] == k->port[1] &&
				f->family == k->family && memcmp(f->addr, k->addr, sizeof(k->addr)) == 0)
			return f;
	}
	return NULL;
}

static struct flow *
flow_new(struct fc_pcap_extractor *x, const struct fkey *k, uint32_t h)
{
	struct flow *f;

	if (x->free_list == NULL && x->fresh == x->o.max_flows) {
		x->st.flows_evicted++;
		flow_close(x, x->lru_head, CLOSE_EVICT);
	}
	if (x->free_list != NULL) {
		f = x->free_list;
		x->free_list = f->hnext;
	} else {
		f = &x->flows[x->fresh++];
	}
	memset(f, 0, sizeof(*f));
	memcpy(f->addr, k->addr, sizeof(k->addr));
	f->port[0] = k->port[0];
	f->port[1] = k->port[1];
	f->family = k->family;
	f->hash = h;
	f->conn_id = x->st.flows++;
	f->pair_limit = UINT64_MAX;
	f->hnext = x->buckets[h & x->bmask];
	x->buckets[h & x->bmask] = f;
	lru_append(x, f);
	x->nflows++;
	return f;
}

/* ---------------------------------------------------------------------------------- */
/* Packets                                                                             */
/* ---------------------------------------------------------------------------------- */

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void
tcp_input(struct fc_pcap_extractor *x, uint64_t ts, uint8_t family, const uint8_t *src,
		const uint8_t *dst, const uint8_t *th, uint32_t cap, uint32_t wire)
{
	struct fkey k;
	struct flow *f;
	uint16_t sport, dport;
	uint32_t seq, ack, hlen, pcap_len, pwire;
	uint8_t flags;
	unsigned side;
	int alen = family == 6 ? 16 : 4;
	int cmp;

	if (cap < 20 || wire < 20) {
		x->st.malformed++;
		return;
	}
	sport = be16(th);
	dport = be16(th + 2);
	seq = be32(th + 4);
	ack = be32(th + 8);
	hlen = (uint32_t)(th[12] >> 4) * 4;
	flags = th[13];
	if (hlen < 20 || hlen > wire) {
		x->st.malformed++;
		return;
	}
	x->st.tcp_segments++;
	pwire = wire - hlen;
	pcap_len = cap > hlen ? cap - hlen : 0;
	if (pcap_len > pwire)
		pcap_len = pwire;

	/* Canonical key: the lower (address, port) first, so both directions meet. */
	memset(&k, 0, sizeof(k));
	k.family = family;
	cmp = memcmp(src, dst, (size_t)alen);
	if (cmp == 0)
		cmp = sport < dport ? -1 : (sport > dport);
	if (cmp <= 0) {
		memcpy(k.addr[0], src, (size_t)alen);
		memcpy(k.addr[1], dst, (size_t)alen);
		k.port[0] = sport;
		k.port[1] = dport;
		side = 0;
	} else {
		memcpy(k.addr[0], dst, (size_t)alen);
		memcpy(k.addr[1], src, (size_t)alen);
		k.port[0] = dport;
		k.port[1] = sport;
		side = 1;
	}
	uint32_t h = key_hash(&k);

	f = flow_lookup(x, &k, h);
	if (f != NULL && (flags & TH_SYN) && !(flags & TH_RST) && f->d[side].syn &&
			seq != f->d[side].isn && !f->ignored) {
		/* A new SYN on the same 4-tuple: the old connection is over (port reuse). */
		flow_close(x, f, CLOSE_END);
		f = NULL;
	}
	if (f == NULL) {
		/* Pure ACKs, FINs and RSTs of a connection we do not track start nothing. */
		if ((flags & TH_RST) || (!(flags & TH_SYN) && pwire == 0))
			return;
		f = flow_new(x, &k, h);
		if ((flags & TH_SYN) && !(flags & TH_ACK)) {
			f->cside = (uint8_t)side;
		} else if (flags & TH_SYN) {
			f->cside = (uint8_t)(side ^ 1u); /* SYN-ACK: the sender is the server */
		} else if (is_server_port(x, dport)) {
			f->cside = (uint8_t)side;
		} else if (is_server_port(x, sport)) {
			f->cside = (uint8_t)(side ^ 1u);
		} else {
			f->ignored = true;
			x->st.flows_ignored++;
		}
		if (!(flags & TH_SYN) && !f->ignored)
			x->st.flows_midstream++;
	}
	f->last_ts = ts;
	if (f != x->lru_tail) {
		lru_unlink(x, f);
		lru_append(x, f);
	}
	if (f->ignored)
		return;

	struct dir *d = &f->d[side];
	uint32_t data_seq = seq;

	if (flags & TH_SYN) {
		if (!d->syn) {
			d->syn = true;
			d->isn = seq;
			if (!d->init) {
				d->init = true;
				d->next_seq = seq + 1;
			}
		}
		data_seq = seq + 1; /* the SYN occupies one sequence number (RFC 9293 §3.4) */
	}
	if ((flags & TH_ACK) && !(flags & TH_RST)) {
		struct dir *me = d;

		if (!me->ack_valid || SEQ_LT(me->max_ack, ack))
			me->max_ack = ack;
		me->ack_valid = true;

		/* The receiver acknowledged bytes the capture never showed: they will not be
		 * retransmitted, so the hole before the queued data is capture loss. Settle it
		 * now rather than at close, so the stream (and response pairing) moves on. */
		struct dir *o = &f->d[side ^ 1u];

		while (o->ooo != NULL && o->init && SEQ_LT(o->next_seq, ack))
			force_first_hole(x, f, side ^ 1u, rel_ts(x, ts));
	}
	if (!d->init && pwire > 0) {
		d->init = true;
		d->midstream = true;
		d->next_seq = data_seq;
	}
	if (pwire > 0)
		seg_in(x, f, side, data_seq, th + hlen, pcap_len, pwire, rel_ts(x, ts));
	if ((flags & TH_FIN) && !d->init) {
		d->init = true;
		d->midstream = true;
		d->next_seq = data_seq;
	}
	if (flags & TH_FIN) {
		d->fin = true;
		d->fin_seq = data_seq + pwire;
	}
	if (flags & TH_RST) {
		flow_close(x, f, CLOSE_END);
		return;
	}
	if (f->d[0].fin && f->d[1].fin && f->d[0].next_seq == f->d[0].fin_seq &&
			f->d[1].next_seq == f->d[1].fin_seq) {
		flow_close(x, f, CLOSE_END);
		return;
	}
	if (flags & TH_FIN)
		emit(x, f, false, 0); /* a server FIN settles requests still waiting */
}

static void
ip_input(struct fc_pcap_extractor *x, uint64_t ts, const uint8_t *p, uint32_t cap, uint32_t wire)
{
	if (cap < 1) {
		x->st.malformed++;
		return;
	}
	if ((p[0] >> 4) == 4) {
		uint32_t ihl, tot;
		uint16_t frag;

		if (cap < 20) {
			x->st.malformed++;
			return;
		}
		ihl = (uint32_t)(p[0] & 0x0f) * 4;
		tot = be16(p + 2);
		frag = be16(p + 6);
		/* TSO captures carry a total length of 0: trust the frame length then. */
		if (tot == 0)
			tot = wire;
		if (ihl < 20 || ihl > cap || tot < ihl || tot > wire) {
			x->st.malformed++;
			return;
		}
		if (frag & 0x3fff) {
			x->st.ip_fragments++;
			return;
		}
		if (p[9] != 6) {
			x->st.non_tcp++;
			return;
		}
		if (cap > tot)
			cap = tot; /* Ethernet padding */
		tcp_input(x, ts, 4, p + 12, p + 16, p + ihl, cap - ihl, tot - ihl);
		return;
	}
	if ((p[0] >> 4) == 6) {
		uint32_t off = 40, plen;
		uint8_t nh;

		if (cap < 40) {
			x->st.malformed++;
			return;
		}
		plen = be16(p + 4);
		if (plen == 0)
			plen = wire >= 40 ? wire - 40 : 0; /* jumbogram or TSO */
		if (40 + plen > wire) {
			x->st.malformed++;
			return;
		}
		nh = p[6];
		for (int i = 0; i < 8; i++) {
			uint32_t elen;

			if (nh != 0 && nh != 43 && nh != 60 && nh != 51 && nh != 44)
				break;
			if (nh == 44) {
				x->st.ip_fragments++;
				return;
			}
			if (off + 8 > cap) {
				x->st.malformed++;
				return;
			}
			elen = nh == 51 ? ((uint32_t)p[off + 1] + 2) * 4 : ((uint32_t)p[off + 1] + 1) * 8;
			nh = p[off];
			off += elen;
		}
		if (nh != 6) {
			x->st.non_tcp++;
			return;
		}
		if (off > cap || off > 40 + plen) {
			x->st.malformed++;
			return;
		}
		if (cap > 40 + plen)
			cap = 40 + plen;
		tcp_input(x, ts, 6, p + 8, p + 24, p + off, cap - off, 40 + plen - off);
		return;
	}
	x->st.non_ip++;
}

static bool
dlt_supported(int dlt)
{
	/* DLT_RAW is 12 or 14 depending on the platform; both mean raw IP in a file. */
	if (dlt == DLT_RAW_ALT1 || dlt == DLT_RAW_ALT2)
		return true;
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case LINKTYPE_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return true;
	default:
		return false;
	}
}

int
fc_pcap_extractor_feed(struct fc_pcap_extractor *x, int dlt, uint64_t ts_ns,
		const uint8_t *pkt, uint32_t caplen, uint32_t wirelen)
{
	uint32_t off = 0;
	uint16_t type = 0;
	bool by_version = false;

	if (!dlt_supported(dlt))
		return -EPROTONOSUPPORT;
	if (wirelen < caplen)
		wirelen = caplen;
	if (!x->started) {
		x->started = true;
		x->st.first_ts_ns = ts_ns;
	}
	x->st.packets++;
	x->st.bytes += caplen;
	x->st.wire_bytes += wirelen;
	if (caplen < wirelen)
		x->st.truncated_packets++;
	if (ts_ns > x->st.last_ts_ns)
		x->st.last_ts_ns = ts_ns;
	else
		ts_ns = x->st.last_ts_ns; /* merged captures may step back: keep time monotonic */

	/* Close flows idle for too long, in capture time. */
	while (x->lru_head != NULL && ts_ns - x->lru_head->last_ts > x->o.idle_timeout_ns) {
		x->st.flows_idle++;
		flow_close(x, x->lru_head, CLOSE_IDLE);
	}

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			goto runt;
		type = be16(pkt + 12);
		off = 14;
		/* 802.1Q, 802.1ad and the old QinQ tag, up to 4 deep. */
		for (int i = 0; i < 4 && (type == 0x8100 || type == 0x88a8 || type == 0x9100); i++) {
			if (caplen < off + 4)
				goto runt;
			type = be16(pkt + off + 2);
			off += 4;
		}
		break;
	case DLT_LINUX_SLL:
		if (caplen < 16)
			goto runt;
		type = be16(pkt + 14);
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			goto runt;
		type = be16(pkt);
		off = 20;
		break;
	case DLT_NULL:
	case DLT_LOOP: {
		uint32_t af;

		if (caplen < 4)
			goto runt;
		/* DLT_NULL is in the capturing host's order: accept both. */
		af = dlt == DLT_LOOP ? be32(pkt) : (uint32_t)pkt[0] | ((uint32_t)pkt[1] << 8) |
			((uint32_t)pkt[2] << 16) | ((uint32_t)pkt[3] << 24);
		if (dlt == DLT_NULL && (af & 0xffff) == 0)
			af = be32(pkt);
		off = 4;
		if (af == 2)
			type = 0x0800;
		else if (af == 10 || af == 24 || af == 28 || af == 30)
			type = 0x86dd;
		else
			type = 0;
		break;
	}
	default: /* raw IP */
		by_version = true;
		break;
	}
	if (!by_version && type != 0x0800 && type != 0x86dd) {
		x->st.non_ip++;
		return x->cb_err;
	}
	ip_input(x, ts_ns, pkt + off, caplen - off, wirelen - off);
	/* The global memory bound: give up the least recently active flows first. */
	while (x->buffered > x->o.max_total_bytes && x->lru_head != NULL) {
		x->st.flows_evicted++;
		flow_close(x, x->lru_head, CLOSE_EVICT);
	}
	return x->cb_err;
runt:
	x->st.malformed++;
	return x->cb_err;
}

/* ---------------------------------------------------------------------------------- */
/* Lifecycle and files                                                                 */
/* ---------------------------------------------------------------------------------- */

struct fc_pcap_extractor *
fc_pcap_extractor_create(const struct fc_pcap_opts *o)
{
	struct fc_pcap_extractor *x;
	uint32_t nb = 1;

	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (o != NULL)
		x->o = *o;
	else
		fc_pcap_opts_default(&x->o);
	if (x->o.max_flows == 0 || x->o.max_flows > (1u << 24) || x->o.max_ooo_bytes == 0 ||
			x->o.max_head_bytes < 16 || x->o.max_request_bytes < x->o.max_head_bytes ||
			x->o.max_pending == 0 || x->o.max_pending > (1u << 20) ||
			x->o.max_flow_bytes < x->o.max_request_bytes || x->o.idle_timeout_ns == 0 ||
			x->o.max_total_bytes < x->o.max_flow_bytes ||
			x->o.num_server_ports > FC_PCAP_MAX_SERVER_PORTS) {
		free(x);
		errno = EINVAL;
		return NULL;
	}
	while (nb < x->o.max_flows * 2u)
		nb *= 2;
	x->buckets = calloc(nb, sizeof(*x->buckets));
	x->flows = calloc(x->o.max_flows, sizeof(*x->flows));
	if (x->buckets == NULL || x->flows == NULL) {
		free(x->buckets);
		free(x->flows);
		free(x);
		errno = ENOMEM;
		return NULL;
	}
	x->bmask = nb - 1;
	return x;
}

void
fc_pcap_extractor_free(struct fc_pcap_extractor *x)
{
	if (x == NULL)
		return;
	for (uint32_t i = 0; i < x->fresh; i++) {
		struct flow *f = &x->flows[i];

		for (int side = 0; side < 2; side++) {
			while (f->d[side].ooo != NULL) {
				struct seg *s = f->d[side].ooo;

				f->d[side].ooo = s->next;
				free(s);
			}
		}
		free(f->cbuf);
		free(f->sbuf);
		free(f->recs);
	}
	free(x->flows);
	free(x->buckets);
	free(x);
}

int
fc_pcap_extractor_finish(struct fc_pcap_extractor *x)
{
	while (x->lru_head != NULL)
		flow_close(x, x->lru_head, CLOSE_EOF);
	return x->cb_err;
}

const struct fc_pcap_stats *
fc_pcap_extractor_stats(const struct fc_pcap_extractor *x)
{
	return &x->st;
}

static void
set_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, fmt, a, b);
}

static int
run_pcap(struct fc_pcap_extractor *x, pcap_t *pc, const char *name, char *err, size_t errlen)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;
	int dlt = pcap_datalink(pc);
	int rc = 0;

	if (!dlt_supported(dlt)) {
		const char *n = pcap_datalink_val_to_name(dlt);
		char num[32];

		snprintf(num, sizeof(num), "%d", dlt);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: unsupported link type %s (%s); supported: "
				"EN10MB (Ethernet, VLAN), LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP",
				name, n ? n : "unknown", num);
		pcap_close(pc);
		return -EPROTONOSUPPORT;
	}
	for (;;) {
		int r = pcap_next_ex(pc, &hdr, &data);

		if (r == 1) {
			uint64_t ts = (uint64_t)hdr->ts.tv_sec * 1000000000ull + (uint64_t)hdr->ts.tv_usec;

			rc = fc_pcap_extractor_feed(x, dlt, ts, data, hdr->caplen, hdr->len);
			if (rc < 0)
				break;
			continue;
		}
		if (r == PCAP_ERROR_BREAK)
			break;
		if (r == PCAP_ERROR) {
			set_err(err, errlen, "%s: corrupt or truncated capture: %s", name, pcap_geterr(pc));
			rc = -EBADMSG;
		}
		break;
	}
	pcap_close(pc);
	if (x->cb_err)
		return x->cb_err;
	{
		int frc = fc_pcap_extractor_finish(x);

		if (rc == 0)
			rc = frc;
	}
	return rc;
}

int
fc_pcap_extract_file(struct fc_pcap_extractor *x, const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc;
	FILE *fp;

	/* Open the file ourselves first so a missing file gets its real errno. */
	fp = fopen(path, "rb");
	if (fp == NULL) {
		int e = errno;

		set_err(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	/* libpcap reads record by record through stdio: a large buffer turns thousands of
	 * 4 KiB read() calls into a few 1 MiB ones (half the CPU time on a cached file). */
	setvbuf(fp, NULL, _IOFBF, 1u << 20);
	ebuf[0] = '\0';
	pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (pc == NULL) {
		fclose(fp);
		set_err(err, errlen, "%s: not a pcap/pcapng capture: %s", path, ebuf);
		return -EBADMSG;
	}
	return run_pcap(x, pc, path, err, errlen);
}

int
fc_pcap_extract_fp(struct fc_pcap_extractor *x, FILE *fp, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc;

	ebuf[0] = '\0';
	pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (pc == NULL) {
		fclose(fp);
		set_err(err, errlen, "%s: not a pcap/pcapng capture: %s", "(stream)", ebuf);
		return -EBADMSG;
	}
	return run_pcap(x, pc, "(stream)", err, errlen);
}
