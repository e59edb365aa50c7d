/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Captured production traffic turned into a replay plan (`flashcrowd replay`).
 *
 * Two layers:
 *  - the **extractor** reads a pcap or pcapng file with libpcap, one packet at a time
 *    (the capture is never loaded whole), reassembles both directions of every TCP
 *    connection, splits the client-to-server stream into HTTP/1.x requests and pairs each
 *    one with the server's response. It reports every request start it sees exactly once:
 *    either extracted (fc_pcap_opts::on_request) or skipped with a reason
 *    (fc_pcap_opts::on_skip), so `requests_seen == requests_extracted + requests_skipped`.
 *  - the **replay plan** collects extracted requests (filters, header and Host rewrite,
 *    port map) into an arena, orders connections by their first request, computes each
 *    request's send time (speed factor, max-wait cap) and spreads connections across
 *    workers.
 *
 * Link types: Ethernet (with 802.1Q/802.1ad VLAN tags, any depth up to 4), Linux cooked
 * SLL and SLL2, raw IP (DLT_RAW, DLT_IPV4, DLT_IPV6) and BSD loopback (DLT_NULL,
 * DLT_LOOP). IPv4 and IPv6 (extension headers skipped; fragments counted and ignored).
 * TCP checksums are never verified: captures taken with checksum offload carry wrong ones.
 *
 * Reassembly follows the receiver's view (RFC 9293 §3.10.7.4): data already received
 * wins over a later copy of the same sequence range (what Linux does for in-order data),
 * segments ahead of the expected sequence wait in a bounded out-of-order queue, and a
 * hole that can no longer be filled (queue full, flow closing, end of capture) becomes a
 * counted gap. Memory is bounded by fc_pcap_opts: flows, out-of-order bytes, buffered
 * request bytes and pending requests per flow. See docs/pcap.md for the design.
 *
 * Nothing here uses DPDK, logs, or exits. Not thread-safe: one extractor per thread.
 */
#ifndef FC_PCAP_H
#define FC_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FC_PCAP_ERRLEN 256              /**< size for the error message buffers below */
#define FC_PCAP_MAX_SERVER_PORTS 16     /**< entries in fc_pcap_opts::server_ports */

/** Why a request start was not extracted. Every skip is reported once. */
enum fc_pcap_skip_reason {
	FC_PCAP_SKIP_GAP = 0,           /**< bytes of the request were lost in the capture (a hole never filled) */
	FC_PCAP_SKIP_TRUNCATED,         /**< a packet of the request was cut by the snaplen (caplen < len) */
	FC_PCAP_SKIP_MIDSTREAM,         /**< the capture started inside the connection, in the middle of this request */
	FC_PCAP_SKIP_PARSE,             /**< not valid HTTP/1.x (fc_http_parse_request or the chunked scanner refused it) */
	FC_PCAP_SKIP_UNTERMINATED,      /**< the connection closed or the capture ended before the request was complete */
	FC_PCAP_SKIP_TOO_LARGE,         /**< head or whole request larger than the configured bound */
	FC_PCAP_SKIP_EVICTED,           /**< the flow was evicted (flow table full) while the request was incomplete */
	FC_PCAP_SKIP__COUNT             /**< number of reasons (array size) */
};

/**
 * @param r  a skip reason
 * @return a short stable lower-case name ("gap", "truncated", "mid-stream start",
 *         "parse error", "unterminated at end", "too large", "evicted"), or "unknown".
 */
const char *fc_pcap_skip_reason_str(enum fc_pcap_skip_reason r);

/** One end of a TCP connection. */
struct fc_pcap_endpoint {
	uint8_t family;         /**< 4 or 6 (IP version) */
	uint8_t addr[16];       /**< network byte order; IPv4 uses the first 4 bytes, the rest is 0 */
	uint16_t port;          /**< host byte order */
};

/**
 * Format an endpoint as "a.b.c.d:port" or "[v6]:port".
 * @param ep   endpoint
 * @param buf  output buffer (64 bytes is always enough)
 * @param len  size of @p buf
 * @return @p buf
 */
char *fc_pcap_endpoint_str(const struct fc_pcap_endpoint *ep, char *buf, size_t len);

/**
 * An extracted request, passed to fc_pcap_opts::on_request. Every pointer is valid only
 * during the callback: the consumer copies what it keeps. Requests of one connection are
 * reported in their original order; connections interleave in the order their requests
 * are settled (response seen, or the flow ended), not strictly by time.
 */
struct fc_pcap_request {
	uint64_t conn_id;       /**< original connection: 0-based index of the flow in order of its first packet */
	uint32_t seq;           /**< 0-based number of this request start within the connection (skipped requests take numbers too) */
	uint64_t ts_ns;         /**< first byte of the request, ns after the first packet of the capture */
	uint64_t end_ts_ns;     /**< last byte of the request, same clock */
	const char *method;     /**< method token inside @p raw */
	size_t method_len;      /**< length of @p method */
	const char *path;       /**< request target as sent, inside @p raw */
	size_t path_len;        /**< length of @p path */
	const char *host;       /**< value of the original Host header inside @p raw, NULL when absent */
	size_t host_len;        /**< length of @p host */
	const uint8_t *raw;     /**< the whole request as sent: request line, headers, empty line, body */
	size_t raw_len;         /**< length of @p raw */
	size_t head_len;        /**< bytes of @p raw up to and including the empty line */
	int minor_version;      /**< 0 or 1 */
	bool has_response;      /**< a response to this request was seen in the capture */
	uint16_t status;        /**< captured response status, 0 when none */
	uint64_t rsp_time_ns;   /**< captured response time: first byte of the final response minus the last byte of the request (0 if negative or none) */
	struct fc_pcap_endpoint client; /**< original client (source) */
	struct fc_pcap_endpoint server; /**< original server (destination) */
};

/** A skipped request start, passed to fc_pcap_opts::on_skip. */
struct fc_pcap_skip {
	uint64_t conn_id;       /**< as in fc_pcap_request */
	uint32_t seq;           /**< as in fc_pcap_request */
	uint64_t ts_ns;         /**< first byte seen of the request (or the time of the loss), ns after capture start */
	enum fc_pcap_skip_reason reason; /**< why */
	const char *detail;     /**< static human-readable detail, e.g. "hole of 1460 bytes in the request head" */
	uint64_t bytes_seen;    /**< bytes of the request that were captured before it was given up */
	struct fc_pcap_endpoint client; /**< original client */
	struct fc_pcap_endpoint server; /**< original server */
};

/**
 * Request callback.
 * @param r    the request (valid during the call only)
 * @param arg  fc_pcap_opts::arg
 * @return 0 to continue, or a negative errno value that stops the extraction and is
 *         returned by fc_pcap_extract_file() / fc_pcap_extractor_feed().
 */
typedef int (*fc_pcap_request_cb)(const struct fc_pcap_request *r, void *arg);

/**
 * Skip callback.
 * @param s    the skip (valid during the call only)
 * @param arg  fc_pcap_opts::arg
 * @return 0 to continue, or a negative errno value that stops the extraction.
 */
typedef int (*fc_pcap_skip_cb)(const struct fc_pcap_skip *s, void *arg);

/** Extractor options. Start from fc_pcap_opts_default(). */
struct fc_pcap_opts {
	uint16_t server_ports[FC_PCAP_MAX_SERVER_PORTS]; /**< for flows seen without their SYN: the side using one of these ports is the server */
	unsigned num_server_ports;      /**< entries used in @p server_ports (default 1: port 80) */
	uint32_t max_flows;             /**< flows tracked at once (default 65536); when full, the least recently active flow is evicted */
	uint32_t max_ooo_bytes;         /**< out-of-order bytes queued per direction (default 256 KiB); beyond, the hole becomes a gap */
	uint32_t max_head_bytes;        /**< largest request head (default 64 KiB) */
	uint32_t max_request_bytes;     /**< largest whole request, head and body (default 1 MiB) */
	uint32_t max_pending;           /**< complete requests per flow waiting for their response (default 64; beyond, the oldest is reported without response) */
	uint64_t max_flow_bytes;        /**< request bytes buffered per flow (default 4 MiB, at least max_request_bytes) */
	uint64_t idle_timeout_ns;       /**< a flow idle this long in capture time is closed (default 300 s) */
	uint64_t max_total_bytes;       /**< bound on all buffered bytes together (default 1 GiB): above it, the least recently active flows are evicted */
	fc_pcap_request_cb on_request;  /**< called for each extracted request (may be NULL) */
	fc_pcap_skip_cb on_skip;        /**< called for each skipped request start (may be NULL) */
	void *arg;                      /**< passed to both callbacks */
};

/**
 * Fill @p o with the defaults documented in struct fc_pcap_opts, no callbacks.
 * @param o  options to fill
 */
void fc_pcap_opts_default(struct fc_pcap_opts *o);

/** Extraction counters. */
struct fc_pcap_stats {
	uint64_t packets;               /**< packets read */
	uint64_t bytes;                 /**< captured bytes of those packets (caplen sum) */
	uint64_t wire_bytes;            /**< original length sum */
	uint64_t non_ip;                /**< frames that are not IPv4/IPv6 (ARP, LLDP, ...) */
	uint64_t non_tcp;               /**< IP packets that are not TCP */
	uint64_t ip_fragments;          /**< IP fragments (not reassembled, ignored) */
	uint64_t malformed;             /**< bad or too short L2/L3/L4 headers */
	uint64_t truncated_packets;     /**< packets with caplen < len */
	uint64_t tcp_segments;          /**< TCP segments processed */
	uint64_t flows;                 /**< flows created (= conn ids handed out) */
	uint64_t flows_midstream;       /**< flows first seen without their SYN */
	uint64_t flows_evicted;         /**< flows evicted because the flow table (max_flows) or max_total_bytes was full */
	uint64_t flows_idle;            /**< flows closed by the idle timeout */
	uint64_t flows_ignored;         /**< flows where neither side could be told to be the server (no SYN, no server port) */
	uint64_t gaps;                  /**< holes in a stream (capture loss or snaplen) */
	uint64_t gap_bytes;             /**< bytes missing in those holes */
	uint64_t retransmits;           /**< segments whose data was entirely received already */
	uint64_t overlaps;              /**< segments partly overlapping data already received (first copy kept) */
	uint64_t ooo_segments;          /**< segments queued because they arrived ahead of a hole */
	uint64_t payload_bytes_c2s;     /**< in-order client-to-server bytes delivered */
	uint64_t payload_bytes_s2c;     /**< in-order server-to-client bytes delivered */
	uint64_t requests_seen;         /**< request starts seen = extracted + skipped */
	uint64_t requests_extracted;    /**< requests passed to on_request */
	uint64_t requests_skipped;      /**< request starts passed to on_skip */
	uint64_t skipped[FC_PCAP_SKIP__COUNT]; /**< requests_skipped by reason */
	uint64_t responses;             /**< final responses paired with a request */
	uint64_t responses_orphan;      /**< responses with no request seen to pair with */
	uint64_t responses_unparsed;    /**< times a response stream lost its boundaries (a hole it could not skip); the next response head is paired by time */
	uint64_t peak_buffered_bytes;   /**< highest total of bytes held (request buffers, out-of-order queues, response heads) */
	uint64_t first_ts_ns;           /**< timestamp of the first packet (ns since the epoch) */
	uint64_t last_ts_ns;            /**< timestamp of the last packet */
};

struct fc_pcap_extractor;

/**
 * Create an extractor (allocates the flow table).
 * @param o  options (copied); NULL for the defaults with no callbacks
 * @return the extractor, or NULL with errno EINVAL (a bound is 0, max_flows above 2^24,
 *         max_head_bytes below 16, max_request_bytes below max_head_bytes, max_flow_bytes
 *         below max_request_bytes, max_total_bytes below max_flow_bytes, max_pending
 *         above 2^20, more than FC_PCAP_MAX_SERVER_PORTS ports) or ENOMEM.
 */
struct fc_pcap_extractor *fc_pcap_extractor_create(const struct fc_pcap_opts *o);

/**
 * Free an extractor without reporting its unfinished flows (call fc_pcap_extractor_finish()
 * first to report them).
 * @param x  extractor, NULL is fine
 */
void fc_pcap_extractor_free(struct fc_pcap_extractor *x);

/**
 * Feed one captured packet. Packets must come in capture order.
 * @param x        extractor
 * @param dlt      libpcap link type (DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, ...)
 * @param ts_ns    capture timestamp in ns since the epoch
 * @param pkt      captured bytes
 * @param caplen   bytes in @p pkt
 * @param wirelen  original length (>= caplen; smaller values are taken as caplen)
 * @return 0 (also for packets that are skipped and counted), -EPROTONOSUPPORT for an
 *         unsupported link type, or the negative value a callback returned.
 */
int fc_pcap_extractor_feed(struct fc_pcap_extractor *x, int dlt, uint64_t ts_ns,
		const uint8_t *pkt, uint32_t caplen, uint32_t wirelen);

/**
 * End of capture: flush every flow still open (holes become gaps, incomplete requests are
 * skipped as unterminated, pending requests are reported with what was seen).
 * @param x  extractor
 * @return 0, or the negative value a callback returned.
 */
int fc_pcap_extractor_finish(struct fc_pcap_extractor *x);

/**
 * @param x  extractor
 * @return its counters (live; valid until fc_pcap_extractor_free()).
 */
const struct fc_pcap_stats *fc_pcap_extractor_stats(const struct fc_pcap_extractor *x);

/**
 * Read a whole capture file (pcap or pcapng) through @p x, streaming, then
 * fc_pcap_extractor_finish(). A file that ends in the middle of a packet record keeps
 * what was read before and returns -EBADMSG.
 * @param x       extractor
 * @param path    capture file
 * @param err     receives a human-readable reason on failure (may be NULL)
 * @param errlen  size of @p err
 * @return 0, -ENOENT or another -errno when the file cannot be opened, -EBADMSG when it
 *         is not a capture or is truncated/corrupt, -EPROTONOSUPPORT for an unsupported
 *         link type (named in @p err), or the negative value a callback returned.
 */
int fc_pcap_extract_file(struct fc_pcap_extractor *x, const char *path, char *err, size_t errlen);

/**
 * Same as fc_pcap_extract_file() on an open stream (for example fmemopen()).
 * The stream is closed by this call in every case.
 * @param x       extractor
 * @param fp      stream positioned at the capture's file header
 * @param err     reason on failure (may be NULL)
 * @param errlen  size of @p err
 * @return as fc_pcap_extract_file().
 */
int fc_pcap_extract_fp(struct fc_pcap_extractor *x, FILE *fp, char *err, size_t errlen);

/* ------------------------------------------------------------------------------------ */
/* Replay plan                                                                           */
/* ------------------------------------------------------------------------------------ */

#define FC_REPLAY_MAX_LIST 32           /**< entries in each list of fc_replay_opts */

/** A port mapping: flows to original server port @p from go to target port @p to. */
struct fc_replay_port_map {
	uint16_t from;          /**< original destination port */
	uint16_t to;            /**< target port */
};

/** Plan options. Start from fc_replay_opts_default(); strings are copied at create. */
struct fc_replay_opts {
	double speed;           /**< time scale: 2 replays twice as fast (gaps halved); > 0, default 1 */
	uint64_t max_wait_ns;   /**< cap on any idle gap, 0 = no cap (applied to the global timeline, then within each connection) */
	const char *allow_url[FC_REPLAY_MAX_LIST]; /**< POSIX extended regexes; when any is given, a request target must match one */
	unsigned num_allow_url; /**< entries used in @p allow_url */
	const char *deny_url[FC_REPLAY_MAX_LIST];  /**< POSIX extended regexes; a request target matching one is filtered out */
	unsigned num_deny_url;  /**< entries used in @p deny_url */
	const char *allow_method[FC_REPLAY_MAX_LIST]; /**< when any is given, only these methods (case-sensitive) are kept */
	unsigned num_allow_method; /**< entries used in @p allow_method */
	const char *set_header[FC_REPLAY_MAX_LIST]; /**< "Name: value": replaces every header of that name (case-insensitive) or is added; a Host here wins over @p target_host */
	unsigned num_set_header; /**< entries used in @p set_header */
	const char *target_host; /**< Host value to send ("staging:8080"); NULL keeps the original Host */
	bool original_host;     /**< keep the original Host even when @p target_host is set */
	struct fc_replay_port_map port_map[FC_REPLAY_MAX_LIST]; /**< original server port -> target port */
	unsigned num_port_map;  /**< entries used in @p port_map */
	uint64_t max_arena_bytes; /**< bound on stored request bytes (default 1 GiB); requests beyond are dropped and counted */
};

/**
 * Fill @p o with the defaults: speed 1, no cap, no filters, no rewrite, 1 GiB arena.
 * @param o  options to fill
 */
void fc_replay_opts_default(struct fc_replay_opts *o);

/** One request of the plan. */
struct fc_replay_req {
	const uint8_t *data;    /**< request bytes to send, after rewrite (in the plan's arena) */
	uint32_t len;           /**< length of @p data */
	uint32_t seq;           /**< fc_pcap_request::seq */
	uint16_t method_len;    /**< the method is data[0 .. method_len) */
	uint16_t orig_status;   /**< captured status, 0 when none */
	uint32_t path_off;      /**< request target at data[path_off .. path_off + path_len) */
	uint32_t path_len;      /**< length of the request target */
	uint64_t orig_ts_ns;    /**< original offset from the capture start */
	uint64_t orig_rsp_ns;   /**< captured response time (0 when none) */
	uint64_t send_ns;       /**< scheduled send time, ns after the replay start (speed and max-wait applied) */
};

/** One connection of the plan: replayed as one new connection, requests in order. */
struct fc_replay_conn {
	uint64_t orig_conn_id;  /**< fc_pcap_request::conn_id */
	struct fc_pcap_endpoint client; /**< original client */
	struct fc_pcap_endpoint server; /**< original server */
	uint16_t target_port;   /**< mapped port, 0 when no mapping applies (use the target URL's port) */
	uint32_t worker;        /**< worker chosen by fc_replay_plan_assign() */
	uint32_t first_req;     /**< index of its first request in fc_replay_plan::reqs */
	uint32_t num_reqs;      /**< number of requests */
};

/** How fc_replay_plan_assign() spreads connections. */
enum fc_replay_assign {
	FC_REPLAY_ASSIGN_RR = 0, /**< round robin in order of first request (balanced counts) */
	FC_REPLAY_ASSIGN_HASH,   /**< hash of the original client and server endpoints (stable across captures) */
};

/** Plan counters. */
struct fc_replay_plan_stats {
	uint64_t offered;       /**< requests given to fc_replay_plan_add() */
	uint64_t added;         /**< requests kept in the plan */
	uint64_t filtered_url;  /**< dropped by allow/deny URL */
	uint64_t filtered_method; /**< dropped by the method list */
	uint64_t dropped_arena; /**< dropped because the arena bound was reached */
	uint64_t arena_bytes;   /**< request bytes stored */
	uint64_t memory_bytes;  /**< total memory held by the plan (arena, arrays) */
};

/**
 * The plan. Read-only for consumers once fc_replay_plan_finish() returned 0: iterate
 * @p conns, and for each its requests reqs[first_req .. first_req + num_reqs).
 */
struct fc_replay_plan {
	struct fc_replay_conn *conns;   /**< connections in order of their first request */
	uint32_t num_conns;             /**< entries in @p conns */
	struct fc_replay_req *reqs;     /**< requests grouped by connection, original order inside */
	uint32_t num_reqs;              /**< entries in @p reqs */
	uint64_t duration_ns;           /**< send time of the last request (loop period base) */
	struct fc_replay_plan_stats stats; /**< counters */
	void *priv;                     /**< private state */
};

/**
 * Create an empty plan.
 * @param o       options (copied); NULL for the defaults
 * @param err     reason on failure (may be NULL)
 * @param errlen  size of @p err
 * @return the plan, or NULL with errno EINVAL (speed <= 0 or not finite, a regex that
 *         does not compile, a set_header without "Name: value", a bad target_host, a port
 *         map with port 0, a list longer than FC_REPLAY_MAX_LIST) or ENOMEM.
 */
struct fc_replay_plan *fc_replay_plan_create(const struct fc_replay_opts *o, char *err, size_t errlen);

/**
 * Offer an extracted request: filters, rewrite, copy into the arena.
 * @param p  plan (not finished yet)
 * @param r  request from the extractor
 * @return 0 when kept, 1 when filtered or dropped (counted), -EBUSY after finish,
 *         -ENOMEM.
 */
int fc_replay_plan_add(struct fc_replay_plan *p, const struct fc_pcap_request *r);

/**
 * Adapter usable as fc_pcap_opts::on_request with arg = the plan.
 * @param r    request
 * @param arg  struct fc_replay_plan *
 * @return 0, or -ENOMEM (which stops the extraction).
 */
int fc_replay_plan_on_request(const struct fc_pcap_request *r, void *arg);

/**
 * Order connections by first request and compute send times. Then the plan is read-only.
 * Timing: the original offsets are rebased on the first request, divided by the speed,
 * and every gap between consecutive requests of the whole capture is capped at
 * max_wait_ns; then, within each connection, a request is sent no later than
 * max_wait_ns after the previous one of that connection.
 * @param p  plan
 * @return 0, -EBUSY when already finished, -ENOMEM.
 */
int fc_replay_plan_finish(struct fc_replay_plan *p);

/**
 * Assign connections to workers (may be called again with another count).
 * @param p         finished plan
 * @param nworkers  number of workers, 1..1024
 * @param mode      round robin or hash
 * @return 0, -EINVAL (bad count or mode, plan not finished), -ENOMEM.
 */
int fc_replay_plan_assign(struct fc_replay_plan *p, unsigned nworkers, enum fc_replay_assign mode);

/**
 * Connections of one worker, in order of first request.
 * @param p       plan after fc_replay_plan_assign()
 * @param worker  worker index < nworkers
 * @param n       receives the number of entries
 * @return an array of indexes into p->conns (owned by the plan), or NULL with *n = 0
 *         when @p worker is out of range or the plan was not assigned.
 */
const uint32_t *fc_replay_plan_for_worker(const struct fc_replay_plan *p, unsigned worker, size_t *n);

/**
 * Free a plan and its arena.
 * @param p  plan, NULL is fine
 */
void fc_replay_plan_free(struct fc_replay_plan *p);

/**
 * Convenience: extract @p path into a new finished plan.
 * @param path    capture file
 * @param po      extractor options (callbacks are replaced; NULL for defaults)
 * @param ro      plan options (NULL for defaults)
 * @param st      receives the extraction counters (may be NULL)
 * @param err     reason on failure (may be NULL)
 * @param errlen  size of @p err
 * @return the plan, or NULL with errno set to the positive value of the
 *         fc_pcap_extract_file() / fc_replay_plan_create() error.
 */
struct fc_replay_plan *fc_replay_plan_build(const char *path, const struct fc_pcap_opts *po,
		const struct fc_replay_opts *ro, struct fc_pcap_stats *st, char *err, size_t errlen);

#endif /* FC_PCAP_H */
