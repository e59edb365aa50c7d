/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless HTTP/1.x head parsers and the chunked body scanner. Each call re-parses from
 * the start of the buffer; the caller keeps the bytes until the head is complete. That
 * keeps the parser free of per-connection state and lets lib/pcap and the fuzzers call
 * it on any slice. Grammar references are to RFC 9112 (HTTP/1.1) and RFC 9110.
 */
#include <limits.h>
#include <string.h>

#include "fc_http.h"

/* tchar (RFC 9110 §5.6.2): the characters of method names and header names. */
static const uint8_t tchar_tab[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1,
	['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,
	['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
	['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
	['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
	['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
	['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
	['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
	['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
	['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static inline bool
is_tchar(uint8_t c)
{
	return tchar_tab[c] != 0;
}

/* field-vchar, SP and HTAB (RFC 9110 §5.5), with obs-text; also the reason phrase set. */
static inline bool
is_field_char(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Request target: visible ASCII; obs-text is tolerated because real clients (and
 * captures that lib/pcap replays) send raw UTF-8 paths and common servers accept them. */
static inline bool
is_target_char(uint8_t c)
{
	return c > 0x20 && c != 0x7f;
}

/*
 * Word-at-a-time scans (SWAR): skip 8 bytes per step while none of them can end the span.
 * The bit tricks may flag a byte that is fine (borrow propagation), never miss one, so a
 * flagged word is finished byte by byte. Loads stay inside [p, end).
 */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static inline uint64_t
load8(const char *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
	return x;
}

/*
 * High bit of each byte < n (n <= 128) or equal to 0x7f; bytes >= 0x80 never match
 * (obs-text is fine). Little-endian: the lowest flagged byte is always a true match.
 */
static inline uint64_t
word_lt_or_del(uint64_t x, uint64_t n)
{
	uint64_t d = x ^ (0x7f * ONES);

	return (((x - n * ONES) & ~x) | ((d - ONES) & ~d)) & HIGHS;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FIRST_FLAGGED(m) ((size_t)__builtin_ctzll(m) / 8)
#else
#define FIRST_FLAGGED(m) ((size_t)0)
#endif

/* End of a run of field characters (value, reason phrase): stops at CR, LF, controls, DEL. */
static inline const char *
scan_field(const char *p, const char *end)
{
	for (;;) {
		uint64_t m;

		while (end - p >= 8) {
			m = word_lt_or_del(load8(p), 0x20);
			if (m) {
				p += FIRST_FLAGGED(m);
				break;
			}
			p += 8;
		}
		if (p == end || !is_field_char((uint8_t)*p))
			return p;
		p++;    /* a tab, or a byte of a short tail */
	}
}

/* End of a request target: stops at SP, controls, DEL. */
static inline const char *
scan_target(const char *p, const char *end)
{
	for (;;) {
		uint64_t m;

		while (end - p >= 8) {
			m = word_lt_or_del(load8(p), 0x21);
			if (m) {
				p += FIRST_FLAGGED(m);
				break;
			}
			p += 8;
		}
		if (p == end || !is_target_char((uint8_t)*p))
			return p;
		p++;
	}
}

/* End of a token (method, header name): four table lookups per step where possible. */
static inline const char *
scan_token(const char *p, const char *end)
{
	while (end - p >= 4 && (tchar_tab[(uint8_t)p[0]] & tchar_tab[(uint8_t)p[1]] &
			tchar_tab[(uint8_t)p[2]] & tchar_tab[(uint8_t)p[3]]))
		p += 4;
	while (p != end && is_tchar((uint8_t)*p))
		p++;
	return p;
}

bool
fc_http_token_eq(const char *s, size_t len, const char *lower)
{
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t c = (uint8_t)s[i];

		if (lower[i] == '\0')
			return false;
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + ('a' - 'A'));
		if (c != (uint8_t)lower[i])
			return false;
	}
	return lower[i] == '\0';
}

/*
 * Case-insensitive equality with a lower-case literal of known length, by (overlapping)
 * word loads. OR-ing 0x20 lower-cases letters; the only other byte it maps onto a letter
 * or '-' of our literals is CR (onto '-'), which never occurs in a name or value here.
 */
static inline bool
ieq(const char *s, size_t len, const char *lower, size_t llen)
{
	if (len != llen)
		return false;
	if (len >= 8)
		return (load8(s) | 0x20 * ONES) == load8(lower) &&
			(load8(s + len - 8) | 0x20 * ONES) == load8(lower + len - 8);
	if (len >= 4) {
		uint32_t a, b, c, d;

		memcpy(&a, s, 4);
		memcpy(&b, s + len - 4, 4);
		memcpy(&c, lower, 4);
		memcpy(&d, lower + len - 4, 4);
		return (a | 0x20202020u) == c && (b | 0x20202020u) == d;
	}
	return fc_http_token_eq(s, len, lower);
}

#define IEQ(s, len, lit) ieq((s), (len), lit, sizeof(lit) - 1)

/* Parse status: the cursor-based helpers below return one of these. */
#define P_OK 0
#define P_ERR (-1)
#define P_MORE (-2)

/* Consume one line end at *pp: CRLF, or a bare LF. */
static int
eat_eol(const char **pp, const char *end)
{
	const char *p = *pp;

	if (p == end)
		return P_MORE;
	if (*p == '\n') {
		*pp = p + 1;
		return P_OK;
	}
	if (*p != '\r')
		return P_ERR;
	if (p + 1 == end)
		return P_MORE;
	if (p[1] != '\n')
		return P_ERR;
	*pp = p + 2;
	return P_OK;
}

/* "HTTP/1.0" or "HTTP/1.1" (RFC 9112 §2.3); other versions are refused. */
static int
parse_version(const char **pp, const char *end, int *minor)
{
	static const char prefix[] = "HTTP/1.";
	const char *p = *pp;
	size_t i;

	for (i = 0; i < sizeof(prefix) - 1; i++, p++) {
		if (p == end)
			return P_MORE;
		if (*p != prefix[i])
			return P_ERR;
	}
	if (p == end)
		return P_MORE;
	if (*p != '0' && *p != '1')
		return P_ERR;
	*minor = *p - '0';
	*pp = p + 1;
	return P_OK;
}

/* Header fields up to and including the empty line (RFC 9112 §5). */
static int
parse_headers(const char **pp, const char *end, struct fc_http_header *hdr, size_t *num)
{
	const char *p = *pp;
	size_t n = 0;

	for (;;) {
		const char *name, *value, *vend;
		int rc;

		if (p == end)
			return P_MORE;
		if (*p == '\r' || *p == '\n') {
			rc = eat_eol(&p, end);
			if (rc != P_OK)
				return rc;
			break;
		}
		/* obs-fold (a line starting with SP/HTAB) is refused, RFC 9112 §5.2 allows it. */
		if (n == FC_HTTP_MAX_HEADERS)
			return P_ERR;
		name = p;
		p = scan_token(p, end);
		if (p == end)
			return P_MORE;
		/* No whitespace between name and colon: RFC 9112 §5.1 says reject. */
		if (*p != ':' || p == name)
			return P_ERR;
		hdr[n].name = name;
		hdr[n].name_len = (size_t)(p - name);
		p++;
		while (p != end && (*p == ' ' || *p == '\t'))
			p++;
		value = p;
		p = scan_field(p, end);
		if (p == end)
			return P_MORE;
		vend = p;
		while (vend != value && (vend[-1] == ' ' || vend[-1] == '\t'))
			vend--;
		rc = eat_eol(&p, end);
		if (rc != P_OK)
			return rc;
		hdr[n].value = value;
		hdr[n].value_len = (size_t)(vend - value);
		n++;
	}
	*num = n;
	*pp = p;
	return P_OK;
}

/* What the framing headers say, gathered in one pass. */
struct framing {
	int64_t content_length;
	bool has_te;
	bool te_chunked;        /* the final coding is chunked */
	bool conn_close;
	bool conn_keep_alive;
};

static inline bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Walk a comma-separated list; calls back with each trimmed, non-empty element. */
#define FOR_EACH_LIST_ELEM(v, vlen, e, elen, body) do { \
	size_t i_ = 0; \
	while (i_ < (vlen)) { \
		size_t s_ = i_, t_; \
		while (i_ < (vlen) && (v)[i_] != ',') \
			i_++; \
		t_ = i_; \
		while (s_ < t_ && is_ows((v)[s_])) \
			s_++; \
		while (t_ > s_ && is_ows((v)[t_ - 1])) \
			t_--; \
		if (t_ > s_) { \
			const char *e = (v) + s_; \
			size_t elen = t_ - s_; \
			body \
		} \
		i_++; \
	} \
} while (0)

static int
parse_framing(const struct fc_http_header *hdr, size_t num, struct framing *f)
{
	size_t i;

	f->content_length = -1;
	f->has_te = false;
	f->te_chunked = false;
	f->conn_close = false;
	f->conn_keep_alive = false;

	for (i = 0; i < num; i++) {
		const struct fc_http_header *h = &hdr[i];

		if (IEQ(h->name, h->name_len, "content-length")) {
			uint64_t v = 0;
			size_t k;

			/* RFC 9112 §6.3 rule 5: an invalid or conflicting length is unrecoverable. */
			if (h->value_len == 0)
				return P_ERR;
			for (k = 0; k < h->value_len; k++) {
				uint8_t c = (uint8_t)h->value[k];

				if (c < '0' || c > '9')
					return P_ERR;
				v = v * 10 + (c - '0');
				if (v > FC_HTTP_MAX_CONTENT_LENGTH)
					return P_ERR;
			}
			if (f->content_length >= 0 && (uint64_t)f->content_length != v)
				return P_ERR;
			f->content_length = (int64_t)v;
		} else if (IEQ(h->name, h->name_len, "transfer-encoding")) {
			/* chunked must be the final coding and appear once (RFC 9112 §6.1);
			 * a later Transfer-Encoding header continues the list. */
			FOR_EACH_LIST_ELEM(h->value, h->value_len, e, elen, {
				if (f->te_chunked)
					return P_ERR;
				f->te_chunked = IEQ(e, elen, "chunked");
				f->has_te = true;
			});
			if (!f->has_te)
				return P_ERR;
		} else if (IEQ(h->name, h->name_len, "connection")) {
			FOR_EACH_LIST_ELEM(h->value, h->value_len, e, elen, {
				if (IEQ(e, elen, "close"))
					f->conn_close = true;
				else if (IEQ(e, elen, "keep-alive"))
					f->conn_keep_alive = true;
			});
		}
	}
	/* Both framings at once is how request smuggling starts: refuse it. */
	if (f->has_te && f->content_length >= 0)
		return P_ERR;
	return P_OK;
}

static bool
keep_alive_for(int minor, const struct framing *f)
{
	if (f->conn_close)
		return false;
	return minor >= 1 || f->conn_keep_alive;
}

int
fc_http_parse_request(const char *buf, size_t len, struct fc_http_request *req)
{
	const char *p = buf, *end, *start;
	struct framing f;
	int rc;

	if (len > INT_MAX)
		len = INT_MAX;
	end = buf + len;

	/* RFC 9112 §2.2: ignore empty lines before the request line. */
	while (p != end && (*p == '\r' || *p == '\n')) {
		rc = eat_eol(&p, end);
		if (rc != P_OK)
			return rc;
	}

	start = p;
	p = scan_token(p, end);
	if (p == end)
		return P_MORE;
	if (*p != ' ' || p == start)
		return P_ERR;
	req->method = start;
	req->method_len = (size_t)(p - start);
	p++;

	start = p;
	p = scan_target(p, end);
	if (p == end)
		return P_MORE;
	if (*p != ' ' || p == start)
		return P_ERR;
	req->path = start;
	req->path_len = (size_t)(p - start);
	p++;

	rc = parse_version(&p, end, &req->minor_version);
	if (rc != P_OK)
		return rc;
	rc = eat_eol(&p, end);
	if (rc != P_OK)
		return rc;
	rc = parse_headers(&p, end, req->headers, &req->num_headers);
	if (rc != P_OK)
		return rc;
	if (parse_framing(req->headers, req->num_headers, &f) != P_OK)
		return P_ERR;
	/* RFC 9112 §6.3 rule 4: a request whose length we cannot tell gets a 400. */
	if (f.has_te && !f.te_chunked)
		return P_ERR;
	req->content_length = f.content_length;
	req->chunked = f.te_chunked;
	req->keep_alive = keep_alive_for(req->minor_version, &f);
	return (int)(p - buf);
}

int
fc_http_parse_response(const char *buf, size_t len, bool is_head, struct fc_http_response *rsp)
{
	const char *p = buf, *end, *start;
	struct framing f;
	int rc, i, status = 0;

	if (len > INT_MAX)
		len = INT_MAX;
	end = buf + len;

	rc = parse_version(&p, end, &rsp->minor_version);
	if (rc != P_OK)
		return rc;
	if (p == end)
		return P_MORE;
	if (*p != ' ')
		return P_ERR;
	p++;
	for (i = 0; i < 3; i++, p++) {
		if (p == end)
			return P_MORE;
		if (*p < '0' || *p > '9')
			return P_ERR;
		status = status * 10 + (*p - '0');
	}
	if (status < 100 || status > 599)
		return P_ERR;
	rsp->status = status;
	if (p == end)
		return P_MORE;
	/* The reason phrase may be empty; tolerate a missing SP before the line end too. */
	if (*p == ' ') {
		p++;
		start = p;
		p = scan_field(p, end);
		if (p == end)
			return P_MORE;
		rsp->reason = start;
		rsp->reason_len = (size_t)(p - start);
	} else {
		rsp->reason = p;
		rsp->reason_len = 0;
	}
	rc = eat_eol(&p, end);
	if (rc != P_OK)
		return rc;
	rc = parse_headers(&p, end, rsp->headers, &rsp->num_headers);
	if (rc != P_OK)
		return rc;
	if (parse_framing(rsp->headers, rsp->num_headers, &f) != P_OK)
		return P_ERR;

	rsp->content_length = f.content_length;
	/* RFC 9112 §6.3 rule 4: a response whose final coding is not chunked runs to close. */
	rsp->chunked = f.te_chunked;
	rsp->no_body = is_head || status < 200 || status == 204 || status == 304;
	rsp->close_delimited = !rsp->no_body && !rsp->chunked && rsp->content_length < 0;
	rsp->keep_alive = keep_alive_for(rsp->minor_version, &f) && !rsp->close_delimited;
	return (int)(p - buf);
}

/* Chunked scanner states; FC_HTTP_CHUNKED_DONE (11) is public. */
enum {
	CK_SIZE_START = 0,      /* first hex digit of a chunk size */
	CK_SIZE,                /* more hex digits */
	CK_EXT,                 /* chunk extension, skipped */
	CK_SIZE_LF,             /* CR seen after the size line */
	CK_DATA,                /* chunk data, remaining bytes */
	CK_DATA_CR,             /* CRLF after the data */
	CK_DATA_LF,
	CK_TRAILER_START,       /* start of a trailer line, or the final empty line */
	CK_TRAILER_END_LF,      /* CR of the final empty line seen */
	CK_TRAILER_LINE,        /* inside a trailer field, skipped */
	CK_TRAILER_LINE_LF,
	CK_DONE,                /* == FC_HTTP_CHUNKED_DONE */
	CK_SIZE_WS,             /* BWS after the size */
	CK_ERROR,
};

_Static_assert(CK_DONE == FC_HTTP_CHUNKED_DONE, "public done state");

/* Chunk sizes are capped at 15 significant hex digits (2^60): plenty, and overflow-free. */
#define CK_MAX_DIGITS 15

static inline int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int64_t
fc_http_chunked_scan(struct fc_http_chunked *st, const char *buf, size_t len)
{
	size_t i = 0;

	if (st->state == CK_DONE)
		return 0;
	if (st->state == CK_ERROR)
		return -1;

	while (i < len) {
		uint8_t c = (uint8_t)buf[i];
		int h;

		switch (st->state) {
		case CK_DATA: {
			size_t n = len - i;

			if ((uint64_t)n > st->remaining)
				n = (size_t)st->remaining;
			st->remaining -= n;
			i += n;
			if (st->remaining == 0)
				st->state = CK_DATA_CR;
			continue;
		}
		case CK_SIZE_START:
			h = hexval(c);
			if (h < 0)
				goto bad;
			st->remaining = (uint64_t)h;
			st->pad[0] = h != 0;
			st->state = CK_SIZE;
			break;
		case CK_SIZE:
			h = hexval(c);
			if (h >= 0) {
				if (st->remaining != 0 || h != 0)
					st->pad[0]++;
				if (st->pad[0] > CK_MAX_DIGITS)
					goto bad;
				st->remaining = st->remaining * 16 + (uint64_t)h;
			} else if (c == ';') {
				st->state = CK_EXT;
			} else if (c == ' ' || c == '\t') {
				st->state = CK_SIZE_WS;
			} else if (c == '\r') {
				st->state = CK_SIZE_LF;
			} else if (c == '\n') {
				goto size_line_end;
			} else {
				goto bad;
			}
			break;
		case CK_SIZE_WS:
			if (c == ';')
				st->state = CK_EXT;
			else if (c == '\r')
				st->state = CK_SIZE_LF;
			else if (c == '\n')
				goto size_line_end;
			else if (c != ' ' && c != '\t')
				goto bad;
			break;
		case CK_EXT:
			if (c == '\r')
				st->state = CK_SIZE_LF;
			else if (c == '\n')
				goto size_line_end;
			else if (!is_field_char(c))
				goto bad;
			break;
		case CK_SIZE_LF:
			if (c != '\n')
				goto bad;
size_line_end:
			/* A zero size is the last chunk; trailers follow (RFC 9112 §7.1.2). */
			st->state = st->remaining ? CK_DATA : CK_TRAILER_START;
			break;
		case CK_DATA_CR:
			if (c == '\r')
				st->state = CK_DATA_LF;
			else if (c == '\n')
				st->state = CK_SIZE_START;
			else
				goto bad;
			break;
		case CK_DATA_LF:
			if (c != '\n')
				goto bad;
			st->state = CK_SIZE_START;
			break;
		case CK_TRAILER_START:
			if (c == '\r') {
				st->state = CK_TRAILER_END_LF;
			} else if (c == '\n') {
				st->state = CK_DONE;
				return (int64_t)(i + 1);
			} else if (is_tchar(c)) {
				st->state = CK_TRAILER_LINE;
			} else {
				goto bad;
			}
			break;
		case CK_TRAILER_END_LF:
			if (c != '\n')
				goto bad;
			st->state = CK_DONE;
			return (int64_t)(i + 1);
		case CK_TRAILER_LINE:
			if (c == '\r')
				st->state = CK_TRAILER_LINE_LF;
			else if (c == '\n')
				st->state = CK_TRAILER_START;
			else if (!is_field_char(c))
				goto bad;
			break;
		case CK_TRAILER_LINE_LF:
			if (c != '\n')
				goto bad;
			st->state = CK_TRAILER_START;
			break;
		default:
			goto bad;
		}
		i++;
	}
	return -2;
bad:
	st->state = CK_ERROR;
	return -1;
}
