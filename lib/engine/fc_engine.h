/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The load engine: what `run` hands to its workers, the per-lcore worker state and the
 * control words between the control core and the workers.
 *
 * Threading model. Each worker lcore owns one RX/TX queue pair, one lib/net context, one
 * lib/tcp context and its connections; nothing on the hot path is shared or locked. The
 * control core (EAL main lcore) writes exactly two words per worker, `phase` and
 * `target_conns`, and reads the workers' counters (relaxed loads of single-writer words)
 * and latency histograms (the lib/hist epoch flip). The open-loop schedule is computed by
 * each worker from the shared, read-only rate plan (its 1/N share, phase-shifted), so rate
 * changes need no message at all and hold to the nanosecond.
 */
#ifndef FC_ENGINE_H
#define FC_ENGINE_H

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "fc_clock.h"
#include "fc_hist.h"
#include "fc_http.h"
#include "fc_net.h"
#include "fc_rate.h"
#include "fc_stats.h"
#include "fc_tcp.h"
#include "fc_port_io.h"
#include "answer_order.h"

#define FC_PIPE_MAX 16          /**< most requests in flight on one connection */
#define FC_BURST 32             /**< rx/tx burst size */

/** Run phases, written by the control core, read by workers. */
enum fc_phase {
	FC_PHASE_RUN = 0,       /**< connect up to target_conns and send requests */
	FC_PHASE_DRAIN,         /**< send nothing new; wait for answers in flight */
	FC_PHASE_CLOSE,         /**< close every connection (FIN; the control core bounds it) */
	FC_PHASE_EXIT,          /**< leave the loop now; what is still open is aborted */
};

struct fc_client_source;

/** Everything a client worker needs to know about the run (read-only during the run). */
struct fc_run_params {
	uint32_t target_ip;             /**< server, host order */
	uint16_t target_port;           /**< server port */
	const struct fc_http_mix *mix;  /**< request templates */
	bool open_loop;                 /**< wrk2 mode (rate schedule) vs closed loop (wrk) */
	enum fc_rate_model model;       /**< constant or Poisson arrivals */
	const struct fc_rate_plan *plan;/**< rate and connections over time */
	uint64_t start_ns;              /**< t = 0 of the plan on the TSC-ns clock */
	uint32_t nb_workers;            /**< client workers sharing the plan */
	uint32_t max_conns_per_worker;  /**< connection slots per worker */
	uint32_t pipeline;              /**< requests in flight per connection (1 = none) */
	bool close_mode;                /**< one request per connection (CPS) */
	uint64_t think_ns;              /**< closed loop: pause after each response */
	uint64_t connect_timeout_ns;    /**< SYN to ESTABLISHED */
	uint64_t request_timeout_ns;    /**< request sent to response complete */
	uint64_t max_requests;          /**< stop issuing after this many per worker (0 = no limit) */
	uint32_t retries;               /**< times an idempotent request is sent again after the
					  * server closed its connection under it (0 = never) */
	uint64_t seed;                  /**< PRNG seed (mix choice, Poisson) */
	struct fc_tcp_config tcp;       /**< template for each worker's TCP context */
	const struct fc_impair_conf *imp_rx; /**< impair received frames (NULL = none) */
	const struct fc_impair_conf *imp_tx; /**< impair sent frames (NULL = none) */
	const struct fc_client_source *source; /**< where requests come from; NULL = the load
						 * generator (template mix, rate plan, target_conns) */
};

struct fc_client_worker;
struct fc_client_conn;

/**
 * A request source other than the load generator (`replay`). The worker keeps the
 * connections, the HTTP parsing, the timeouts, the accounting and the histograms; the
 * source decides which connections to open and which bytes to write when, through
 * fc_client_open(), fc_client_send() and fc_client_close(). An ops table, as testpmd's
 * struct fwd_engine.
 */
struct fc_client_source {
	const char *name;       /**< for messages */
	/** Allocate the worker's source state (w->src). @return 0 or -errno. */
	int (*init)(struct fc_client_worker *w);
	/** Phase RUN, once per loop pass: open connections, write the requests that are due. */
	void (*issue)(struct fc_client_worker *w, uint64_t now);
	/**
	 * A request ended: @p status is the response status, or 0 when it ended as an error
	 * (connect, timeout, reset, closed_unanswered, parse). @p tag is what fc_client_send()
	 * was given.
	 */
	void (*on_result)(struct fc_client_worker *w, struct fc_client_conn *cc, uint32_t tag,
			  uint16_t status);
	/**
	 * The server closed @p cc with the request @p tag unanswered (called for each, in
	 * the order they were written, when rp->retries > 0; NULL: never sent again). Return
	 * true when the source will send it again (with fc_client_send()'s @p again set to
	 * @p first_sent): it is then neither a result nor an error yet.
	 */
	bool (*resend)(struct fc_client_worker *w, struct fc_client_conn *cc, uint32_t tag,
		       uint64_t first_sent);
	/** Free w->src (after the loop ended). */
	void (*fini)(struct fc_client_worker *w);
	const void *arg;        /**< shared read-only data of the source (the replay plan) */
};

/**
 * A request whose connection the server closed before it was answered, waiting to be sent
 * again on another connection (the load generator's requests only; RFC 9112 §9.3.2).
 */
struct fc_client_retry {
	uint64_t intended;                      /**< its first intended time (latency base) */
	uint64_t first_sent;                    /**< when it was first written */
	uint32_t tag;                           /**< template index and attempts so far
						  * (FC_RETRY_TAG) */
};

/** One request in flight on a client connection. */
struct fc_client_req {
	uint64_t intended;                      /**< when it should have left (latency base) */
	uint64_t sent_at;                       /**< when it was written */
	uint32_t tag;                           /**< request source's tag */
	uint32_t order_seq;                     /**< its number in the answer order log */
};

/**
 * One client connection slot. A keep-alive exchange without pipelining touches its first
 * cache line only, which the answer order prefetches ahead of the segment: the first
 * request of the FIFO, the connection, its state bits and the parser's hot part. With
 * 50,000 connections every line an exchange touches is a miss. So the worker is found through lib/tcp
 * (fc_tcp_conn_app()), the TCB is held by its 32-bit id, and what only think time,
 * back-off, pipelining, HEAD requests, chunked bodies, split heads, connects and request
 * sources need lives from the second line on. The FIFO restarts at its first entry
 * whenever it empties, so a connection without pipelining never touches the others.
 */
struct fc_client_conn {
	struct fc_client_req req0;              /**< the in-flight FIFO's entry 0 (conn_req()) */
	uint32_t tcp_id;                        /**< fc_tcp_conn_id(), 0 when the slot is free */
	uint8_t q_head;                         /**< FIFO head */
	uint8_t q_len;                          /**< requests in flight */
	uint8_t state;                          /**< enum conn_state (client.c) */
	bool in_ready : 1;                      /**< in the ready FIFO */
	bool closing : 1;                       /**< close requested: send nothing more */
	bool in_free : 1;                       /**< on the free-slot FIFO */
	bool held : 1;                          /**< not_before was set: read it */
	bool solo : 1;                          /**< carries a request sent again: nothing is
						  * pipelined behind it until it is answered */
	struct fc_http_client_parser parser;    /**< response stream state (its hot part in
						  * line 0, the rest in line 1) */
	/* Line 1 on: touched by what a plain keep-alive exchange does not do. */
	uint64_t not_before;                    /**< think time / reconnect back-off (held) */
	struct fc_client_req req_more[FC_PIPE_MAX - 1]; /**< FIFO entries 1.. (pipelining) */
	uint64_t opened_at;                     /**< connect() time, for the connect timeout */
	uint64_t src_base;                      /**< request source: time base of this connection */
	uint32_t src_next;                      /**< request source: next request to write */
	uint32_t src_end;                       /**< request source: one past the last request */
	uint32_t src_loop;                      /**< request source: loop number */
	uint32_t src_reopens;                   /**< request source: times the slot was reopened */
	uint16_t src_port;                      /**< request source: server port to connect to */
	bool src_active;                        /**< request source: slot owned by the source */
	bool src_held;                          /**< request source: the next request was due but
						  * waited for the previous response */
} __rte_cache_aligned;

_Static_assert(offsetof(struct fc_client_conn, parser) + FC_HTTP_CLIENT_PARSER_HOT <=
	       RTE_CACHE_LINE_SIZE, "fc_client_conn: the parser's hot part beyond line 0");

/** Think time and back-off: not_before is on the slot's second line, read only if set. */
static inline void
conn_hold_until(struct fc_client_conn *cc, uint64_t t)
{
	cc->not_before = t;
	cc->held = true;
}

/** When the slot may send or connect again (0: now). */
static inline uint64_t
conn_held_until(const struct fc_client_conn *cc)
{
	return cc->held ? cc->not_before : 0;
}

/** Entry @p i (0..FC_PIPE_MAX-1) of a slot's in-flight FIFO. */
static inline struct fc_client_req *
conn_req(struct fc_client_conn *cc, unsigned i)
{
	return i == 0 ? &cc->req0 : &cc->req_more[i - 1];
}

/** Per-worker control words: each on its own cache line, one writer each. */
struct fc_worker_ctl {
	alignas(64) uint32_t phase;             /**< written by control: enum fc_phase */
	uint32_t target_conns;                  /**< written by control: connections wanted */
	alignas(64) uint32_t exited;            /**< written by worker: loop left */
	uint32_t open_conns;                    /**< written by worker: TCBs in use */
	uint32_t done;                          /**< written by worker: its request source has
						  * nothing left to send or wait for */
};

/** A client worker lcore. */
struct fc_client_worker {
	unsigned idx;                           /**< 0..nb_workers-1 */
	unsigned lcore;                         /**< EAL lcore id */
	struct fc_port_io io;                   /**< its queue pair (and impairment) */
	const struct fc_run_params *rp;         /**< run parameters */
	struct fc_worker_ctl ctl;               /**< control words */
	struct fc_stats_core stats;             /**< counters (single writer: this worker) */
	struct fc_hist_pair lat;                /**< latency (corrected in open loop) */
	struct fc_hist_pair lat_unc;            /**< open loop: from the actual send */
	struct fc_net_ctx net;                  /**< L2/L3 */
	struct fc_tcp_ctx *tcp;                 /**< L4 */
	struct fc_http_hdr_pool *hdr_pool;      /**< spill buffers for split response heads */
	struct fc_rate_sched sched;             /**< open-loop schedule */
	struct fc_client_conn *conns;           /**< connection slots */
	unsigned slot_lines;                    /**< lines of a slot prefetched ahead of its
						  * response: 1, or 2 with pipelining */
	uint32_t nb_slots;                      /**< slots allocated */
	uint32_t nb_used;                       /**< slots with a TCP connection */
	uint32_t *ready;                        /**< FIFO of slots that can take a request */
	uint64_t *ready_at;                     /**< per FIFO entry: when its slot became ready */
	uint32_t ready_head;                    /**< FIFO: oldest entry */
	uint32_t nb_ready;                      /**< FIFO: entries */
	uint64_t *backlog;                      /**< open loop: intended times waiting for a connection */
	uint32_t bl_head;                       /**< ring head */
	uint32_t bl_len;                        /**< ring length */
	uint32_t bl_cap;                        /**< ring capacity (power of two) */
	uint64_t backlog_unsent;                /**< due requests never sent (run ended, backlog full) */
	struct fc_client_retry *retry;          /**< requests to send again, in their order */
	uint32_t rt_head;                       /**< retry ring head */
	uint32_t rt_len;                        /**< retry ring length */
	uint32_t rt_cap;                        /**< retry ring capacity (every request that can
						  * be in flight at once) */
	uint64_t resend_pending;                /**< requests a request source took back to send
						  * again (fc_client_source::resend), not yet sent */
	uint64_t issued;                        /**< requests issued (max_requests) */
	struct fc_answer_order order;           /**< slots in the order requests were written,
						  * for the prefetch ahead of the responses */
	uint32_t scan_pos;                      /**< timeout scan cursor */
	uint64_t scan_last;                     /**< timeout scan: time the cursor is at */
	uint64_t scan_period_ns;                /**< timeout scan: every slot once per period */
	uint32_t *free_fifo;                    /**< free slots, in the order they were freed */
	uint32_t free_head;                     /**< free_fifo: oldest entry */
	uint32_t free_len;                      /**< free_fifo: entries */
	uint64_t rng;                           /**< PRNG for the mix */
	uint64_t close_started;                 /**< CLOSE phase: when connections were closed */
	void *src;                              /**< request source state (rp->source) */
	fc_clock_fn clock;                      /**< bounds the final flush (set before init;
						  * NULL: fc_clock_ns) */
};

/**
 * Allocate and initialise a client worker's contexts (on @p socket).
 * @return 0, -ENOMEM, -EINVAL
 */
int fc_client_worker_init(struct fc_client_worker *w, const struct fc_run_params *rp,
			  const struct fc_net_conf *netconf, const struct rte_ether_addr *peer_mac,
			  int socket);

/** The worker loop; runs until phase EXIT. lcore function signature. */
int fc_client_worker_main(void *arg);

/**
 * One loop pass (the health check drives it from the main lcore).
 * @return whether the pass received or sent a frame
 */
bool fc_client_worker_poll(struct fc_client_worker *w, uint64_t now);

/**
 * Abort the connections still open, each with an RST, and send those out, so that the peer
 * does not keep them until its own timeout (nor the next context to take that local port
 * meet them there). on_closed counts each request still in flight as a timeout. A run's
 * workers closed theirs at FC_PHASE_CLOSE, so these are the ones whose close did not finish
 * in time, or the health check's after a timeout. Call after the loop has ended (the queue
 * is then the caller's), before reading the TCP counters for the report.
 */
void fc_client_worker_abort_open(struct fc_client_worker *w);

/** Abort what is left (fc_client_worker_abort_open), free the contexts. Call after the
 * loop has ended. */
void fc_client_worker_fini(struct fc_client_worker *w);

/**
 * Request sources: start a TCP connection on the free slot @p cc (state FREE).
 * @param w     worker
 * @param cc    a free slot of @p w
 * @param port  server port (host order); the server address is rp->target_ip
 * @param now   TSC-ns clock
 * @return 0, or -EAGAIN when the TCP context refused (no TCB or port; the slot stays
 *         free with a back-off in not_before).
 */
int fc_client_open(struct fc_client_worker *w, struct fc_client_conn *cc, uint16_t port,
		   uint64_t now);

/**
 * Request sources: write one request on a connection (established or still connecting).
 * @param w         worker
 * @param cc        connection
 * @param buf       request bytes, sent by reference (fc_tcp_send_ref): unchanged and
 *                  readable until the worker is finalised
 * @param len       their length
 * @param is_head   the request is HEAD (its response has no body)
 * @param tag       handed back to fc_client_source::on_result
 * @param intended  when it should have left (latency counts from here)
 * @param again     0 for a new request; for one sent again after a server close
 *                  (fc_client_source::resend), when it was first written: not counted as
 *                  sent a second time, and nothing is pipelined behind it
 * @param now       TSC-ns clock
 * @return 1 written (counted as sent), 0 not now (send buffer full or 64 in flight:
 *         try later), -1 written but failed (counted as sent and as an error; the
 *         connection is being aborted).
 */
int fc_client_send(struct fc_client_worker *w, struct fc_client_conn *cc, const void *buf,
		   uint32_t len, bool is_head, uint32_t tag, uint64_t intended, uint64_t again,
		   uint64_t now);

/**
 * Request sources: close a connection gracefully (FIN) once nothing more will be written.
 * @param w   worker
 * @param cc  connection (not free)
 */
void fc_client_close(struct fc_client_worker *w, struct fc_client_conn *cc);

/** Requests in flight on the worker's connections. */
uint64_t fc_client_in_flight(const struct fc_client_worker *w);

#endif
