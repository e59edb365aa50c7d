/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * HTTP/1.x for the load generator, the responder and the pcap replayer: stateless
 * zero-copy parsers for requests, responses and chunked bodies (picohttpparser style:
 * they return the bytes consumed, -2 for "need more" and -1 for malformed input),
 * request templates rendered once at setup, a weighted request mix, the per-connection
 * response stream parser of the client, and the route table and request stream parser of
 * `flashcrowd serve`.
 *
 * Nothing in this library depends on DPDK. It never reads a clock, never logs, and does
 * not allocate on the hot path: memory is taken only by the setup functions
 * (fc_http_tmpl_init(), fc_http_hdr_pool_create(), fc_http_server_create()).
 *
 * Strictness (RFC 9112): the request/status line and header names must be made of the
 * characters the grammar allows, a CR must be followed by LF (a bare LF is accepted as a
 * line end, like picohttpparser and most servers), obs-fold continuation lines are
 * refused, Content-Length must be all digits and fit in 2^62, duplicated Content-Length
 * headers must agree, and Content-Length together with Transfer-Encoding is an error
 * (RFC 9112 §6.3 lets a recipient treat it as one, and a load generator should flag it).
 */
#ifndef FC_HTTP_H
#define FC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------------------ */
/* Stateless parsers (the contract shared with lib/pcap)                                 */
/* ------------------------------------------------------------------------------------ */

#define FC_HTTP_MAX_HEADERS 64          /**< more headers than this is a parse error */
#define FC_HTTP_MAX_CONTENT_LENGTH (1ull << 62) /**< larger Content-Length values are refused */

/** One header line, pointing into the parsed buffer (not NUL-terminated). */
struct fc_http_header {
	const char *name;       /**< header name as sent (compare case-insensitively) */
	size_t name_len;        /**< length of @p name */
	const char *value;      /**< value without leading/trailing spaces and tabs */
	size_t value_len;       /**< length of @p value (may be 0) */
};

/** A parsed request head. Pointers reference the caller's buffer. */
struct fc_http_request {
	const char *method;     /**< method token, e.g. "GET" */
	size_t method_len;      /**< length of @p method */
	const char *path;       /**< request target as sent */
	size_t path_len;        /**< length of @p path */
	int minor_version;      /**< 0 or 1 (HTTP/1.0 or HTTP/1.1) */
	struct fc_http_header headers[FC_HTTP_MAX_HEADERS]; /**< headers in arrival order */
	size_t num_headers;     /**< entries used in @p headers */
	int64_t content_length; /**< Content-Length, -1 when absent */
	bool chunked;           /**< Transfer-Encoding ends with chunked */
	bool keep_alive;        /**< HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with keep-alive */
};

/**
 * Parse a request line and its headers.
 *
 * Leading empty lines are skipped (RFC 9112 §2.2). A request with a Transfer-Encoding
 * other than one ending in "chunked" is refused because its length cannot be known
 * (RFC 9112 §6.3 rule 4).
 *
 * @param buf   bytes received so far; need not be NUL-terminated, never read past @p len
 * @param len   number of bytes in @p buf
 * @param req   filled on success; partially filled (garbage) otherwise
 * @return the length of the header block including the final empty line (>0),
 *         -2 when @p buf is a valid but incomplete prefix,
 *         -1 when malformed: bad method token, target or version (only HTTP/1.0 and 1.1),
 *         bad header name or value character, CR not followed by LF, obs-fold, more than
 *         FC_HTTP_MAX_HEADERS headers, bad or conflicting Content-Length, Content-Length
 *         together with Transfer-Encoding, or an unsupported Transfer-Encoding.
 */
int fc_http_parse_request(const char *buf, size_t len, struct fc_http_request *req);

/** A parsed response head. Pointers reference the caller's buffer. */
struct fc_http_response {
	int minor_version;      /**< 0 or 1 */
	int status;             /**< status code, 100..599 */
	const char *reason;     /**< reason phrase (may be empty) */
	size_t reason_len;      /**< length of @p reason */
	struct fc_http_header headers[FC_HTTP_MAX_HEADERS]; /**< headers in arrival order */
	size_t num_headers;     /**< entries used in @p headers */
	int64_t content_length; /**< Content-Length, -1 when absent */
	bool chunked;           /**< Transfer-Encoding ends with chunked */
	bool keep_alive;        /**< the connection stays open after this response (false when close-delimited) */
	bool no_body;           /**< 1xx, 204, 304, or a response to HEAD: the body is empty whatever the headers say */
	bool close_delimited;   /**< no length, not chunked, not no_body: the body ends when the server closes */
};

/**
 * Parse a status line and its headers.
 *
 * @param buf      bytes received so far; never read past @p len
 * @param len      number of bytes in @p buf
 * @param is_head  the request this answers was HEAD, so the response has no body
 * @param rsp      filled on success
 * @return the length of the header block including the final empty line (>0),
 *         -2 when @p buf is a valid but incomplete prefix,
 *         -1 when malformed: bad version (only HTTP/1.0 and 1.1), status not three digits
 *         in 100..599, bad reason or header character, CR not followed by LF, obs-fold,
 *         too many headers, bad or conflicting Content-Length, or Content-Length together
 *         with Transfer-Encoding.
 */
int fc_http_parse_response(const char *buf, size_t len, bool is_head, struct fc_http_response *rsp);

/**
 * Chunked body scanner state (RFC 9112 §7.1). Zero-initialise before the first call.
 * The layout is part of the contract; the meaning of the fields is private.
 */
#define FC_HTTP_CHUNKED_DONE 11 /**< fc_http_chunked::state once the body has ended */

struct fc_http_chunked {
	uint64_t remaining;     /**< data bytes left in the current chunk (or the size being read) */
	uint8_t state;          /**< private scanner state */
	uint8_t pad[7];         /**< private (pad[0] counts size digits) */
};

/**
 * Find where a chunked body ends, without copying or decoding it. Chunk extensions and
 * trailer fields are skipped.
 *
 * @param st   scanner state, carried across calls
 * @param buf  the next bytes of the body
 * @param len  number of bytes in @p buf
 * @return the bytes consumed up to and including the end of the body (last chunk,
 *         trailers and final CRLF) when the body ends within @p buf (0 when called again
 *         after the end), -2 when all of @p buf was consumed and more is needed,
 *         -1 on malformed input (bad hex size, size above 2^60, missing CRLF after data,
 *         control characters in an extension or trailer).
 */
int64_t fc_http_chunked_scan(struct fc_http_chunked *st, const char *buf, size_t len);

/** @return true when the chunked body scanned by @p st has ended. */
static inline bool
fc_http_chunked_done(const struct fc_http_chunked *st)
{
	return st->state == FC_HTTP_CHUNKED_DONE;
}

/**
 * Case-insensitive comparison of a header name (or any token) with a NUL-terminated
 * lower-case literal.
 *
 * @param s      bytes to compare, @p len long
 * @param len    length of @p s
 * @param lower  lower-case literal
 * @return true when equal ignoring ASCII case
 */
bool fc_http_token_eq(const char *s, size_t len, const char *lower);

/* ------------------------------------------------------------------------------------ */
/* Request templates and the weighted mix (client side, rendered at setup)               */
/* ------------------------------------------------------------------------------------ */

#define FC_HTTP_TMPL_MAX_HEADERS 32     /**< user headers per template */
#define FC_HTTP_MIX_MAX 64              /**< templates in one weighted mix */
#define FC_HTTP_ERRLEN 256              /**< size of the error message buffers below */

/** What a request template is made of; strings are NUL-terminated and copied at init. */
struct fc_http_tmpl_spec {
	const char *method;     /**< method token, NULL for "GET" */
	const char *path;       /**< origin-form target starting with '/', NULL for "/" */
	const char *host;       /**< Host header value ("198.18.0.2" or "198.18.0.2:8080"); NULL to require one in @p headers */
	const char *headers[FC_HTTP_TMPL_MAX_HEADERS]; /**< "Name: value" lines, no CR/LF; a Host line replaces @p host */
	size_t num_headers;     /**< entries used in @p headers */
	const char *body;       /**< request body bytes, may be NULL */
	size_t body_len;        /**< length of @p body; a Content-Length header is added when > 0 or for POST/PUT/PATCH */
	bool close;             /**< add "Connection: close" (one request per connection, CPS tests) */
};

/** A request rendered once into one contiguous buffer; the hot path only copies it. */
struct fc_http_request_tmpl {
	char *buf;              /**< request line, headers, empty line and body (malloc'd) */
	size_t len;             /**< total bytes in @p buf */
	size_t head_len;        /**< bytes of the head (through the empty line) */
	bool is_head;           /**< method is HEAD: the response carries no body */
	bool close;             /**< the request carries Connection: close */
	bool idempotent;        /**< GET, HEAD, PUT, DELETE, OPTIONS or TRACE (RFC 9110 §9.2.2):
				  * may be sent again after the connection closed under it */
};

/**
 * Validate a template spec and render it. Setup-time only (allocates).
 *
 * @param t     template to fill; release with fc_http_tmpl_free()
 * @param spec  method, path, host, headers and body
 * @param err   receives a human-readable reason on failure (may be NULL)
 * @param errlen size of @p err
 * @return 0, -EINVAL when a field is invalid (bad method token, path not starting with
 *         '/' or holding spaces or control characters, header without "Name: value" shape,
 *         bad header name, CR/LF or control characters in a value, more than
 *         FC_HTTP_TMPL_MAX_HEADERS headers, no Host at all, a user Content-Length or
 *         Transfer-Encoding header, which the template computes itself), or -ENOMEM.
 */
int fc_http_tmpl_init(struct fc_http_request_tmpl *t, const struct fc_http_tmpl_spec *spec,
		char *err, size_t errlen);

/**
 * Check one "Name: value" header line as fc_http_tmpl_init() would.
 * @param line    NUL-terminated line, no CR/LF
 * @param err     reason on failure, e.g. `header "X-A": the value contains CR or LF
 *                (header injection refused)` (may be NULL)
 * @param errlen  size of @p err
 * @return 0, or -EINVAL (no colon, bad name token, CR/LF or control character in the value).
 */
int fc_http_header_check(const char *line, char *err, size_t errlen);

/**
 * Release the buffer of a template (safe on a zeroed or already freed template).
 * @param t  template
 */
void fc_http_tmpl_free(struct fc_http_request_tmpl *t);

/** A weighted mix of templates; picking is deterministic for a given random value. */
struct fc_http_mix {
	struct fc_http_request_tmpl tmpl[FC_HTTP_MIX_MAX]; /**< the templates, owned by the mix */
	uint64_t cum[FC_HTTP_MIX_MAX]; /**< cumulative weights */
	uint64_t total;         /**< sum of the weights */
	uint32_t n;             /**< templates in use */
};

/**
 * Add a template with a weight to a zero-initialised mix.
 *
 * @param mix     the mix
 * @param spec    template spec, rendered with fc_http_tmpl_init()
 * @param weight  relative weight, >= 1
 * @param err     reason on failure (may be NULL)
 * @param errlen  size of @p err
 * @return the template index (>= 0), -EINVAL (bad spec or weight 0), -ENOSPC (mix full),
 *         -EOVERFLOW (weights sum above 2^62), -ENOMEM.
 */
int fc_http_mix_add(struct fc_http_mix *mix, const struct fc_http_tmpl_spec *spec, uint64_t weight,
		char *err, size_t errlen);

/**
 * Pick a template: index i is chosen with probability weight_i / total.
 *
 * @param mix  a mix with at least one template
 * @param rnd  a uniformly distributed 64-bit random value from the caller's PRNG
 * @return the template index (0 when the mix has a single entry or is empty)
 */
static inline uint32_t
fc_http_mix_pick(const struct fc_http_mix *mix, uint64_t rnd)
{
	/* Multiply-shift maps rnd onto [0, total) without the bias of a modulo. */
	__extension__ unsigned __int128 prod = (unsigned __int128)rnd * mix->total;
	uint64_t x = (uint64_t)(prod >> 64);
	uint32_t lo = 0, hi = mix->n ? mix->n - 1 : 0;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (x < mix->cum[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/**
 * Free every template of a mix and zero it.
 * @param mix  the mix
 */
void fc_http_mix_free(struct fc_http_mix *mix);

/* ------------------------------------------------------------------------------------ */
/* Header spill buffers shared by the stream parsers                                     */
/* ------------------------------------------------------------------------------------ */

/**
 * A per-core pool of buffers that hold a response or request head while it is split
 * across TCP segments. Heads that arrive whole (the common case) are parsed in place and
 * take no buffer, so a connection costs only its small parser state; a connection borrows
 * a buffer only while a head is incomplete. Single-threaded: one pool per lcore.
 */
struct fc_http_hdr_pool;

/**
 * Create a pool. Setup-time only.
 * @param nbufs     number of buffers (how many connections may hold a split head at once)
 * @param buf_size  size of each buffer: the largest head accepted (e.g. 8192)
 * @return the pool, or NULL with errno EINVAL (zero size or count, buf_size above 65535)
 *         or ENOMEM.
 */
struct fc_http_hdr_pool *fc_http_hdr_pool_create(uint32_t nbufs, uint32_t buf_size);

/** @param pool  pool to free (NULL is fine); no buffer may be borrowed any more. */
void fc_http_hdr_pool_free(struct fc_http_hdr_pool *pool);

/** @return buffers currently available in @p pool (for tests and leak checks). */
uint32_t fc_http_hdr_pool_avail(const struct fc_http_hdr_pool *pool);

/* ------------------------------------------------------------------------------------ */
/* Client: per-connection response stream parser                                        */
/* ------------------------------------------------------------------------------------ */

/** Phases of fc_http_client_parser. */
enum fc_http_client_phase {
	FC_HTTP_PH_HEADERS = 0, /**< waiting for (the rest of) a status line and headers */
	FC_HTTP_PH_BODY_LENGTH, /**< reading a Content-Length body */
	FC_HTTP_PH_BODY_CHUNKED,/**< reading a chunked body */
	FC_HTTP_PH_BODY_CLOSE,  /**< reading a body that ends when the server closes */
	FC_HTTP_PH_ERROR,       /**< a protocol error happened; the connection must be closed */
};

/**
 * Response stream state of one client connection (72 bytes plus an optional borrowed
 * spill buffer). Responses are matched to requests in order (RFC 9112 §9.3.2), so the
 * parser keeps a FIFO of "was HEAD" bits of the requests in flight.
 *
 * What a plain response (a head in one piece, a Content-Length body, no HEAD request in
 * flight) reads and writes comes first, in FC_HTTP_CLIENT_PARSER_HOT bytes, so that an
 * application can keep it in one cache line with its own per-connection state: with tens
 * of thousands of connections every line a response touches is a miss. The HEAD FIFO,
 * the chunked scanner and the spill buffer follow.
 */
struct fc_http_client_parser {
	uint64_t remaining;             /**< body bytes left (length phase) */
	uint64_t body_bytes;            /**< body bytes of the response being read so far */
	uint32_t hdr_bytes;             /**< head bytes of the response being read (interim
					  * 1xx heads included; more than 4 GiB is an error) */
	uint16_t status;                /**< status of the response being read */
	uint16_t spill_len;             /**< bytes in @p spill; 0 when none is held */
	uint8_t phase;                  /**< enum fc_http_client_phase */
	uint8_t in_flight;              /**< requests sent and not answered yet (<= 64) */
	uint8_t heads;                  /**< HEAD requests among them: head_fifo is read only
					  * when this is not 0 */
	bool keep_alive;                /**< the response being read allows reuse */
	bool cur_is_head;               /**< the response being read answers a HEAD */
	/* Cold: HEAD requests, chunked bodies and split heads only. */
	uint64_t head_fifo;             /**< bit i: i-th request in flight was HEAD */
	struct fc_http_chunked chunk;   /**< chunked scanner (chunked phase) */
	struct fc_http_hdr_pool *pool;  /**< where spill buffers come from */
	char *spill;                    /**< borrowed buffer holding a split head, or NULL */
};

/** Bytes at the start of struct fc_http_client_parser that a plain response touches. */
#define FC_HTTP_CLIENT_PARSER_HOT (offsetof(struct fc_http_client_parser, cur_is_head) + 1)

/** A complete response, as reported by fc_http_client_feed(). */
struct fc_http_client_result {
	bool complete;          /**< a final response ended at the returned offset */
	uint16_t status;        /**< its status code */
	bool keep_alive;        /**< the connection may carry another request afterwards */
	uint64_t header_bytes;  /**< bytes of its status line and headers (interim 1xx included) */
	uint64_t body_bytes;    /**< bytes of its body as sent (chunk framing included) */
};

/**
 * Initialise the parser of a new connection.
 * @param p     parser state
 * @param pool  spill buffer pool of this lcore (must outlive the connection)
 */
void fc_http_client_init(struct fc_http_client_parser *p, struct fc_http_hdr_pool *pool);

/**
 * Record that a request was sent on the connection, so its response can be matched.
 * @param p        parser
 * @param is_head  the request is HEAD
 * @return 0, or -ENOBUFS when 64 requests are already in flight.
 */
int fc_http_client_expect(struct fc_http_client_parser *p, bool is_head);

/**
 * Consume response bytes as they arrive, in any segmentation. Stops right after each
 * complete final response so the caller can record it, then calls again with the rest:
 *
 *     while (len > 0) { n = feed(p, buf, len, &r); if (n < 0) error; if (r.complete) ...;
 *                       buf += n; len -= n; }
 *
 * Interim 1xx responses (100, 103) are consumed and not reported (their head bytes count
 * in the final response's header_bytes).
 *
 * @param p    parser
 * @param buf  received bytes
 * @param len  number of bytes
 * @param res  res->complete is set when a response ended at the returned offset
 * @return the bytes consumed (all of @p len unless a response completed), or
 *         -EBADMSG malformed response, -EPROTO response with no request in flight or a
 *         101 Switching Protocols we never ask for, -EMSGSIZE head larger than a spill
 *         buffer, -ENOBUFS no spill buffer free, -EPIPE called after an error.
 *         After an error the parser is in FC_HTTP_PH_ERROR; close the connection.
 */
int64_t fc_http_client_feed(struct fc_http_client_parser *p, const char *buf, size_t len,
		struct fc_http_client_result *res);

/**
 * The server closed the connection (FIN). Completes a close-delimited body.
 * @param p    parser
 * @param res  res->complete is set when that ended a response
 * @return 0 when the close is clean (idle, or a close-delimited body ended), -EPIPE when a
 *         response was cut short or requests are still in flight unanswered.
 */
int fc_http_client_eof(struct fc_http_client_parser *p, struct fc_http_client_result *res);

/**
 * Return a borrowed spill buffer and forget any partial response (connection closed,
 * reset or timed out). The parser can be reused after fc_http_client_init().
 * @param p  parser
 */
void fc_http_client_release(struct fc_http_client_parser *p);

/* ------------------------------------------------------------------------------------ */
/* Server: route table with pre-rendered responses, request stream parser                */
/* ------------------------------------------------------------------------------------ */

#define FC_HTTP_MAX_ROUTES 64           /**< routes per server */
#define FC_HTTP_ROUTE_MAX_HEADERS 16    /**< extra headers per route */
#define FC_HTTP_MAX_BODY_SIZE (1u << 20) /**< generated bodies: 0..1 MiB */
#define FC_HTTP_MAX_FILE_SIZE (16u << 20) /**< file bodies: up to 16 MiB */

/** One route of `flashcrowd serve`, as configured. Strings are copied at creation. */
struct fc_http_route_spec {
	const char *path;       /**< exact path (query ignored); ending in '*': prefix match; "*": catch-all */
	uint16_t status;        /**< status code, 0 for 200 */
	const char *reason;     /**< reason phrase, NULL for the standard one */
	const char *content_type; /**< NULL for "text/plain" */
	const char *headers[FC_HTTP_ROUTE_MAX_HEADERS]; /**< extra "Name: value" lines */
	size_t num_headers;     /**< entries in @p headers */
	const char *body;       /**< literal body, or NULL */
	size_t body_len;        /**< length of @p body */
	uint32_t body_size;     /**< when @p body and @p body_file are NULL: a generated body of this many bytes */
	const char *body_file;  /**< file whose content is the body, read once at creation */
	bool chunked;           /**< send the body with Transfer-Encoding: chunked */
	uint32_t chunk_size;    /**< bytes per chunk, 0 = the whole body in one chunk */
	uint64_t delay_min_ns;  /**< response delay: fixed when min == max, else uniform in [min, max] */
	uint64_t delay_max_ns;  /**< upper bound of the delay */
	bool close;             /**< answer with "Connection: close" and close the connection
				  * after the response, as servers do after some errors and at
				  * their keep-alive limit: requests pipelined behind it go
				  * unanswered */
};

/** The responder: routes with responses rendered once; read-only after creation, shared by lcores. */
struct fc_http_server;

/**
 * Validate the routes and render every response (keep-alive and close variants), plus
 * the built-in 404 and 400 responses. Setup-time only.
 *
 * @param routes  route specs
 * @param n       number of routes, 0..FC_HTTP_MAX_ROUTES (0 answers 404 to everything)
 * @param err     reason on failure, naming the route (may be NULL)
 * @param errlen  size of @p err
 * @return the server, or NULL with errno EINVAL (bad path, status outside 100..599 or
 *         1xx/204/304 with a body, bad header, body above the size limits, delay min > max,
 *         too many routes), ENOENT/EIO (body file unreadable) or ENOMEM.
 */
struct fc_http_server *fc_http_server_create(const struct fc_http_route_spec *routes, unsigned n,
		char *err, size_t errlen);

/** @param srv  server to free (NULL is fine) */
void fc_http_server_free(struct fc_http_server *srv);

/** Per-lcore responder counters; written only by the owning lcore. */
struct fc_http_server_stats {
	uint64_t requests;      /**< complete requests answered (including 404) */
	uint64_t not_found;     /**< requests answered 404 */
	uint64_t parse_errors;  /**< malformed requests answered 400 (connection then closed) */
	uint64_t too_large;     /**< request heads above the spill buffer size (counted in parse_errors too) */
	uint64_t no_spill;      /**< split heads refused because the spill pool was empty */
	uint64_t req_bytes;     /**< request bytes consumed */
	uint64_t resp_bytes;    /**< response bytes handed out */
};

/**
 * Per-connection request stream state. A request whose head arrives whole, with no body
 * or a Content-Length one, and no random delay touches only the members before @p rng
 * (FC_HTTP_SERVER_CONN_HOT bytes), so a server can keep them on one cache line with its own
 * per-connection state and the rest further on.
 */
struct fc_http_server_conn {
	uint64_t remaining;             /**< request body bytes left */
	struct fc_http_server_stats *stats; /**< this lcore's counters */
	uint16_t spill_len;             /**< bytes in @p spill (0: no spill buffer held) */
	uint8_t phase;                  /**< private: head, body by length, chunked body, closed */
	bool pending_close;             /**< the request being read asked for close */
	bool pending_head;              /**< the request being read is HEAD */
	int16_t pending_route;          /**< route of the request being read (-1: 404) */
	/* What a plain request does not touch. */
	uint64_t rng;                   /**< xorshift state for random delays */
	struct fc_http_chunked chunk;   /**< chunked request body scanner */
	struct fc_http_hdr_pool *pool;  /**< spill buffers for split request heads */
	char *spill;                    /**< borrowed buffer holding a split head, or NULL */
};

/** Bytes of struct fc_http_server_conn that a plain request touches (see above). */
#define FC_HTTP_SERVER_CONN_HOT offsetof(struct fc_http_server_conn, rng)

/** What to send for one complete request. */
struct fc_http_server_reply {
	bool ready;             /**< a request completed at the returned offset */
	const char *data;       /**< pre-rendered response bytes (read-only, owned by the server) */
	size_t len;             /**< bytes to send */
	bool close;             /**< close the connection after sending (Connection: close or error) */
	uint64_t delay_ns;      /**< hold the response this long before sending */
	uint16_t status;        /**< status code sent */
	int16_t route;          /**< route index, -1 for the built-in 404/400 */
};

/**
 * Initialise a connection.
 * @param c      state
 * @param pool   spill pool of this lcore
 * @param stats  counters of this lcore
 * @param seed   random delay seed (e.g. from the connection's 4-tuple); any value
 */
void fc_http_server_conn_init(struct fc_http_server_conn *c, struct fc_http_hdr_pool *pool,
		struct fc_http_server_stats *stats, uint64_t seed);

/**
 * Consume request bytes in any segmentation. Stops right after each complete request
 * (head and body) so the caller can send its reply, then calls again with the rest, as
 * fc_http_client_feed(). A malformed request yields the 400 reply with close set.
 *
 * @param srv    server
 * @param c      connection state
 * @param buf    received bytes
 * @param len    number of bytes
 * @param reply  reply->ready is set when a request completed
 * @return bytes consumed, or -EPIPE (the connection is closing: a close reply or a 400
 *         was already given), -ENOBUFS (no spill buffer for a split head; counted).
 */
int64_t fc_http_server_feed(const struct fc_http_server *srv, struct fc_http_server_conn *c,
		const char *buf, size_t len, struct fc_http_server_reply *reply);

/**
 * Return a borrowed spill buffer (connection closed or reset).
 * @param c  connection state
 */
void fc_http_server_conn_release(struct fc_http_server_conn *c);

#endif /* FC_HTTP_H */
