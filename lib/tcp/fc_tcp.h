/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Userspace TCP/IP stack for one lcore (RFC 9293 with RFC 2018, 5961, 6298, 6582, 6928, 7323).
 *
 * One context (struct fc_tcp_ctx) per lcore: a preallocated TCB pool, a flow table, a hashed
 * timer wheel, a source-port allocator and a bounded TX queue. No locks, no clock and no I/O:
 * the worker loop feeds received frames with fc_tcp_rx_bulk(), fires timers with
 * fc_tcp_process(), and drains the frames to transmit with fc_tcp_tx_bulk(), then calls
 * sends them itself (lib/port). Time is always a parameter: @c now is in nanoseconds on any
 * monotonic base (tests use a fake clock starting at 0).
 *
 * A context talks to exactly one L2 next hop: every frame it builds goes from
 * fc_tcp_config::local_mac to fc_tcp_config::next_hop_mac (the caller resolved it by ARP).
 *
 * Byte order: every IPv4 address and port in this API is in HOST byte order
 * (e.g. RTE_IPV4(198,18,0,1)). Frames on the wire are in network order, of course.
 *
 * Applications receive events through a table of callbacks (struct fc_tcp_ops). Callbacks run
 * inside fc_tcp_rx_bulk(), fc_tcp_process() or an fc_tcp_* call of the application, on the
 * same lcore; they may call any fc_tcp_* function on any connection of the same context.
 *
 * Connection life time: a handle (struct fc_tcp_conn *) is valid from fc_tcp_connect() (or
 * from on_connected for an accepted connection) until on_closed returns. on_closed is called
 * exactly once for each such connection, whatever the cause, including fc_tcp_abort().
 * Passive connections that never reach ESTABLISHED are never shown to the application.
 *
 * Counters are plain per-context uint64_t written only by the owning lcore; another core may
 * read them at any time (each load is a single aligned 64-bit load, so values are never torn,
 * but a snapshot of several counters is not atomic as a whole).
 */
#ifndef FC_TCP_H
#define FC_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct fc_tcp_ctx;
struct fc_tcp_conn;

/** Why a connection ended, given to fc_tcp_ops::on_closed. */
enum fc_tcp_close_reason {
	FC_TCP_CLOSE_NORMAL = 0, /**< both FINs exchanged and acked (or RST-close option used) */
	FC_TCP_CLOSE_RESET,      /**< peer sent an acceptable RST (incl. connection refused) */
	FC_TCP_CLOSE_TIMEOUT,    /**< a retry limit (SYN, data, FIN, persist) was exceeded */
	FC_TCP_CLOSE_ABORTED,    /**< fc_tcp_abort() or fc_tcp_ctx_free() */
};

/** RFC 9293 §3.3.2 connection states. */
enum fc_tcp_state {
	FC_TCP_CLOSED = 0,   /**< not in use */
	FC_TCP_LISTEN,       /**< (listeners only; never a connection state) */
	FC_TCP_SYN_SENT,     /**< active open, SYN sent */
	FC_TCP_SYN_RCVD,     /**< SYN received, SYN-ACK sent */
	FC_TCP_ESTABLISHED,  /**< data transfer */
	FC_TCP_FIN_WAIT_1,   /**< we closed, our FIN not yet acked */
	FC_TCP_FIN_WAIT_2,   /**< our FIN acked, waiting for the peer's FIN */
	FC_TCP_CLOSE_WAIT,   /**< peer closed, we may still send */
	FC_TCP_CLOSING,      /**< simultaneous close: both FINs sent, ours not acked */
	FC_TCP_LAST_ACK,     /**< peer closed first, our FIN not yet acked */
	FC_TCP_TIME_WAIT,    /**< 2MSL wait (duration from fc_tcp_config::time_wait_ns) */
};

/**
 * Application callbacks. Fill with designated initialisers; NULL members are skipped
 * (except that without on_data, received payload is dropped after being acknowledged).
 * Each gets @c now: the time given to the lib/tcp call that delivers the event
 * (fc_tcp_rx_bulk(), fc_tcp_process(), fc_tcp_connect()), or the latest such time for an
 * event delivered by a call that takes none (fc_tcp_abort(), fc_tcp_abort_all(),
 * fc_tcp_ctx_free()). Callbacks never need to read a clock.
 */
struct fc_tcp_ops {
	/** Active open: SYN-ACK received. Passive open: the handshake completed (the accept
	 * event); @p user is the listener's user pointer until fc_tcp_conn_set_user(). */
	void (*on_connected)(struct fc_tcp_conn *c, void *user, uint64_t now);
	/** In-order payload. The callee OWNS @p m and must free it with fc_tcp_mbuf_free()
	 * or rte_pktmbuf_free() (or keep it). m's data starts at the payload; m->pkt_len is
	 * the payload length (> 0); m may be a chain of m->nb_segs segments. */
	void (*on_data)(struct fc_tcp_conn *c, void *user, struct rte_mbuf *m, uint64_t now);
	/** The peer sent FIN: no more data will come (the connection may still send). */
	void (*on_eof)(struct fc_tcp_conn *c, void *user, uint64_t now);
	/** Send-buffer space became available after an fc_tcp_send*() returned -EAGAIN or
	 * accepted only part of the data. */
	void (*on_writable)(struct fc_tcp_conn *c, void *user, uint64_t now);
	/** The connection is over; the handle is invalid after this returns. */
	void (*on_closed)(struct fc_tcp_conn *c, void *user, enum fc_tcp_close_reason reason,
			  uint64_t now);
};

/**
 * Context configuration. Every numeric member left at 0 takes the documented default, so
 * `struct fc_tcp_config cfg = { .pool = mp, .local_ip = ..., ... }` is a valid start.
 */
struct fc_tcp_config {
	struct rte_mempool *pool;        /**< mbufs for built frames and copied data (required;
					  * data room >= 128 + 54 bytes of headers + mss) */
	struct rte_ether_addr local_mac; /**< source MAC of every frame */
	struct rte_ether_addr next_hop_mac; /**< destination MAC of every frame */
	uint32_t local_ip;               /**< our IPv4 address, host byte order (required) */
	uint32_t max_conns;              /**< TCB pool size incl. TIME_WAIT; default 1024. When
					  * every TCB is in use, a new connection takes the one of
					  * the oldest TIME_WAIT */
	uint16_t mss;                    /**< MSS we advertise and cap at; default 1460 */
	uint16_t ip_ttl;                 /**< TTL of our packets; default 64 */
	uint32_t rcv_wnd;                /**< receive window in bytes; default 65535; above 65535
					  * window scaling (RFC 7323) is offered; max 1 GiB */
	uint32_t snd_buf;                /**< per-connection send buffer limit; default 256 KiB */
	uint32_t init_cwnd_segs;         /**< initial window in segments; default 10 (RFC 6928) */
	uint64_t rto_min_ns;             /**< lower bound of RTO; default 200 ms (RFC 6298 says
					  * 1 s; LANs want less; tests use ms) */
	uint64_t rto_init_ns;            /**< RTO before any RTT sample; default 1 s (RFC 6298 §2.1) */
	uint64_t rto_max_ns;             /**< upper bound of backed-off RTO; default 60 s */
	uint8_t syn_retries;             /**< SYN retransmissions before TIMEOUT; default 5 */
	uint8_t synack_retries;          /**< SYN-ACK retransmissions; default 4 */
	uint8_t data_retries;            /**< retransmissions of one segment (data or FIN) and
					  * zero-window probes without any ACK; default 10 */
	uint64_t time_wait_ns;           /**< TIME_WAIT length; default 1 s (short on purpose, for
					  * high connection rates; RFC 9293 says 2 MSL = 4 min).
					  * Shorter when the pool runs out (max_conns) */
	uint64_t fin_wait2_ns;           /**< FIN_WAIT_2 timeout after fc_tcp_close() (not after
					  * fc_tcp_shutdown()); default 30 s */
	bool rst_close;                  /**< fc_tcp_close() sends RST instead of FIN (CPS tests);
					  * on_closed then reports FC_TCP_CLOSE_NORMAL */
	bool delayed_ack;                /**< RFC 9293 §3.8.6.3 delayed ACK (default off: ACK at
					  * the next fc_tcp_tx_bulk() after each rx burst, for
					  * latency) */
	uint64_t delack_ns;              /**< delayed-ACK timeout; default 40 ms */
	bool tx_cksum_offload;           /**< leave IP+TCP checksums to the NIC (sets ol_flags,
					  * l2/l3 len and the pseudo-header sum) */
	int8_t timestamps;               /**< RFC 7323 timestamps: 0 = default (on), > 0 on,
					  * < 0 off. When agreed, every segment carries TSopt (12 bytes
					  * taken from the payload, RFC 6691) and TSecr gives RTT samples
					  * for retransmitted data (RFC 7323 §4) */
	int8_t sack;                     /**< RFC 2018 SACK: 0 = default (on), > 0 on, < 0 off.
					  * When agreed, ACKs report out-of-order data in SACK blocks */
	uint32_t ooo_max_segs;           /**< out-of-order segments held per connection; default
					  * enough for a full receive window of MSS-sized segments
					  * (rcv_wnd / mss + 1), at least 64, at most 255 */
	uint32_t syn_backlog;            /**< max connections in SYN_RCVD per context; default
					  * max_conns / 2; further SYNs are dropped and counted */
	uint64_t timer_res_ns;           /**< timer wheel tick; default 1 ms */
	void *app;                       /**< the application's context, for its callbacks
					  * (fc_tcp_conn_app()); lib/tcp never reads it */
	uint32_t timer_slots;            /**< wheel slots (power of 2); default 4096 */
	uint32_t txq_size;               /**< internal TX queue (power of 2); default two frames
					  * per connection (2 * max_conns), at least 4096 */
	uint16_t port_min;               /**< first local port for fc_tcp_connect(); default 10000 */
	uint16_t port_max;               /**< last local port; default 65535 */
	uint32_t isn_secret;             /**< secret for RFC 6528 ISNs (fixed => reproducible) */
	uint32_t challenge_ack_limit;    /**< RFC 5961 §7: challenge ACKs per second per context;
					  * default 1000; UINT32_MAX = unlimited */
	/* RSS-aware source ports (multi-queue NICs). Used when rss_key != NULL. The NIC is
	 * assumed to hash the RX 4-tuple of the REPLY (src = server, dst = us) with Toeplitz
	 * over (src ip, dst ip, src port, dst port) as rte_softrss() does, and to pick the queue
	 * as reta[hash % reta_size]. */
	const uint8_t *rss_key;          /**< 40-byte Toeplitz key (copied) */
	uint16_t nb_queues;              /**< RX queues of the port */
	uint16_t queue_id;               /**< this context's RX queue */
	uint16_t reta_size;              /**< RETA entries (power of 2, <= 512); default 128 */
	const uint16_t *reta;            /**< RETA (copied); NULL => entry i = i % nb_queues */
};

/** Per-context counters (BSD tcpstat style). Written by the owning lcore only. */
struct fc_tcp_counters {
	uint64_t rx_frames;        /**< frames given to fc_tcp_rx_bulk() */
	uint64_t rx_segs;          /**< valid TCP segments handed to a connection or listener */
	uint64_t rx_data_segs;     /**< segments carrying payload */
	uint64_t rx_bytes;         /**< payload bytes delivered in order */
	uint64_t tx_segs;          /**< segments queued for transmission */
	uint64_t tx_data_segs;     /**< of which carried payload (incl. retransmissions) */
	uint64_t tx_bytes;         /**< payload bytes sent (incl. retransmissions) */
	uint64_t connects;         /**< fc_tcp_connect() calls that sent a SYN */
	uint64_t connected;        /**< active opens that reached ESTABLISHED */
	uint64_t accepts;          /**< passive opens that reached ESTABLISHED */
	uint64_t closed;           /**< connections closed normally */
	uint64_t drops;            /**< connections dropped on error (RST, timeout, abort) */
	uint64_t conn_timeouts;    /**< connections ended by a retry limit */
	uint64_t retransmits;      /**< segments retransmitted (RTO and fast) */
	uint64_t rto_fired;        /**< retransmission timer expirations */
	uint64_t fast_retransmits; /**< fast retransmits (3 dupacks, NewReno partial ack) */
	uint64_t dupacks;          /**< duplicate ACKs received */
	uint64_t ooo_segs;         /**< out-of-order segments queued */
	uint64_t ooo_drops;        /**< out-of-order segments dropped (queue full) */
	uint64_t dup_segs;         /**< fully duplicate data segments received */
	uint64_t rst_rx;           /**< RST segments accepted */
	uint64_t rst_tx;           /**< RST segments sent */
	uint64_t challenge_acks;   /**< RFC 5961 challenge ACKs sent */
	uint64_t persist_probes;   /**< zero-window probes sent */
	uint64_t cksum_errors;     /**< bad IPv4 or TCP checksum */
	uint64_t bad_headers;      /**< truncated or malformed IPv4/TCP headers, bogus options */
	uint64_t ip_frags;         /**< IPv4 fragments (dropped) */
	uint64_t not_for_us;       /**< wrong destination IP or not TCP */
	uint64_t unknown_flow;     /**< segments for no connection and no listener */
	uint64_t out_of_window;    /**< unacceptable segments (answered with an ACK) */
	uint64_t syn_drops;        /**< SYNs dropped (backlog or pool full) */
	uint64_t pool_full;        /**< TCB pool exhausted */
	uint64_t mbuf_alloc_fails; /**< mempool empty when building a frame */
	uint64_t txq_drops;        /**< frames dropped because the TX queue was full */
	uint64_t time_wait_reuse;  /**< SYNs that reopened a 4-tuple held in TIME_WAIT
				     (newer sequence number or timestamp, RFC 1122 §4.2.2.13,
				     RFC 6191) */
	uint64_t time_wait_reclaimed; /**< TIME_WAITs ended early because every TCB was in
				     use: the oldest gave its TCB to a new connection */
	uint64_t syn_no_slot;      /**< SYNs dropped for want of a connection slot (every TCB
				     in use, none in TIME_WAIT to reclaim); also in syn_drops */
	uint64_t challenge_ack_limited; /**< challenge ACKs not sent (RFC 5961 §7 rate limit) */
};

/**
 * Create a context. Allocates everything (TCB pool, flow table, wheel, TX queue) up front
 * on @p socket_id with rte_zmalloc_socket().
 *
 * @param cfg Configuration (copied).
 * @param socket_id NUMA socket for the memory, or SOCKET_ID_ANY.
 * @return The context, or NULL with errno set: EINVAL (bad or missing config field),
 *   ENOMEM (allocation failed).
 */
struct fc_tcp_ctx *fc_tcp_ctx_create(const struct fc_tcp_config *cfg, int socket_id);

/**
 * Destroy a context: aborts every connection without sending anything (each gets on_closed
 * with FC_TCP_CLOSE_ABORTED), frees every mbuf it holds, then the context. NULL is a no-op.
 *
 * @param ctx Context.
 */
void fc_tcp_ctx_free(struct fc_tcp_ctx *ctx);

/**
 * Feed received frames. The stack takes ownership of every mbuf (frees, keeps or hands it
 * to on_data). Frames start at the Ethernet header and are expected to be IPv4/TCP; anything
 * else is counted and freed.
 *
 * The answer to the burst (one cumulative ACK per connection) is built by the next
 * fc_tcp_tx_bulk(), not here: data the application sends in between, in a callback or
 * after this call returns, carries the ACK, so a request answering a response is one
 * segment, not an ACK and then the data.
 *
 * @param ctx Context.
 * @param pkts Frames.
 * @param n Number of frames.
 * @param now Current time in ns.
 * @return Number of frames consumed (always @p n).
 */
uint16_t fc_tcp_rx_bulk(struct fc_tcp_ctx *ctx, struct rte_mbuf **pkts, uint16_t n,
	uint64_t now);

/**
 * Advance the timer wheel to @p now and run expired timers (RTO, persist, delayed ACK,
 * TIME_WAIT, FIN_WAIT_2), and release connections closed since the last call. Call it once
 * per worker loop pass; calling it often is cheap when no tick elapsed.
 *
 * @param ctx Context.
 * @param now Current time in ns (must not go backwards).
 * @return Number of timers that fired.
 */
unsigned fc_tcp_process(struct fc_tcp_ctx *ctx, uint64_t now);

/**
 * Take frames to transmit out of the internal TX queue, oldest first. The caller owns
 * them: it hands them to the port (lib/port), and should hold those the NIC refused for
 * its next burst and ask for fewer frames meanwhile. First runs the output pass that the
 * receive bursts since the last call asked for (their ACKs), even when @p max is 0.
 *
 * @param ctx Context.
 * @param out Array of at least @p max entries.
 * @param max Maximum number of frames.
 * @return Number of frames written to @p out.
 */
uint16_t fc_tcp_tx_bulk(struct fc_tcp_ctx *ctx, struct rte_mbuf **out, uint16_t max);

/**
 * Frames waiting in the internal TX queue. A caller whose port is full leaves them there
 * (fc_tcp_tx_bulk() with a smaller @p max) rather than dropping them.
 *
 * @param ctx Context.
 * @return Number of frames queued, plus one while an output pass is due (see
 *         fc_tcp_rx_bulk()): not 0 means fc_tcp_tx_bulk() has work.
 */
uint32_t fc_tcp_tx_pending(const struct fc_tcp_ctx *ctx);

/**
 * Passive open (RFC 9293 §3.10.1 OPEN, passive). Accepted connections start with the
 * listener's @p ops and @p user; on_connected is the accept event.
 *
 * @param ctx Context.
 * @param port Local port (host order).
 * @param ops Callbacks (pointer kept: must outlive the listener and its connections).
 * @param user Opaque pointer given to the callbacks.
 * @return 0, -EINVAL (port 0 or ops NULL), -EADDRINUSE (already listening),
 *   -ENOSPC (listener table full, FC_TCP_MAX_LISTENERS).
 */
int fc_tcp_listen(struct fc_tcp_ctx *ctx, uint16_t port, const struct fc_tcp_ops *ops,
	void *user);

/** Maximum number of listening ports per context. */
#define FC_TCP_MAX_LISTENERS 16

/**
 * Stop listening on @p port. Existing connections are not affected.
 *
 * @param ctx Context.
 * @param port Local port (host order).
 * @return 0, or -ENOENT when not listening on it.
 */
int fc_tcp_unlisten(struct fc_tcp_ctx *ctx, uint16_t port);

/**
 * Active open: picks a local port (LRU order; RSS-aware when configured), sends the SYN at
 * the next fc_tcp_tx_bulk(). Data may be queued with fc_tcp_send*() right away; it leaves
 * once the connection is established.
 *
 * @param ctx Context.
 * @param remote_ip Server address (host order).
 * @param remote_port Server port (host order).
 * @param ops Callbacks (pointer kept).
 * @param user Opaque pointer given to the callbacks.
 * @param now Current time in ns (for the ISN and the SYN timer).
 * @return The connection, or NULL with errno: EINVAL (bad argument), EADDRNOTAVAIL (no
 *   free local port, or none that maps to this queue), ENOMEM (TCB pool or mempool empty).
 */
struct fc_tcp_conn *fc_tcp_connect(struct fc_tcp_ctx *ctx, uint32_t remote_ip,
	uint16_t remote_port, const struct fc_tcp_ops *ops, void *user, uint64_t now);

/**
 * Zero-copy send. On success the stack owns @p m (its data is referenced by the
 * retransmission queue and by indirect mbufs in transmitted frames, never copied except
 * for small pieces); @p m's data, from its data offset, is the payload; it may be a chain.
 *
 * @param c Connection.
 * @param m Payload mbuf (pkt_len > 0).
 * @return m->pkt_len (all accepted), or, leaving @p m to the caller: -EINVAL (empty),
 *   -ENOTCONN (closed), -EPIPE (write side already shut down),
 *   -EAGAIN (send buffer cannot take the whole mbuf; on_writable follows).
 */
int fc_tcp_send(struct fc_tcp_conn *c, struct rte_mbuf *m);

/**
 * Copying send: copies up to the free send-buffer space into mbufs of the context's pool.
 *
 * @param c Connection.
 * @param p Data.
 * @param len Length in bytes.
 * @return Bytes accepted (1..len; fewer than len means the buffer is full and on_writable
 *   follows), or -EINVAL, -ENOTCONN, -EPIPE, -EAGAIN (nothing accepted), -ENOMEM (mempool
 *   empty).
 */
int fc_tcp_send_copy(struct fc_tcp_conn *c, const void *p, size_t len);

/**
 * Send by reference: the send queue records @p p and the length it accepts, and copies from
 * there each time it builds a segment (retransmissions included), so an acknowledgement
 * frees nothing and the send queue touches no mbuf. For data that does not change while it
 * is in flight: pre-rendered requests and responses.
 *
 * The caller keeps the bytes unchanged and readable until they are acknowledged or
 * on_closed returns. A send that continues the previous chunk (@p p right after it) extends
 * it; once the queue holds copied data or FC_TCP_SEND_REFS chunks, the bytes are copied as
 * fc_tcp_send_copy() does.
 *
 * @param c Connection.
 * @param p Data.
 * @param len Length in bytes.
 * @return As fc_tcp_send_copy().
 */
int fc_tcp_send_ref(struct fc_tcp_conn *c, const void *p, size_t len);

/** Chunks a send queue holds by reference (fc_tcp_send_ref()), inside the TCB: a
 * request-response connection has one in flight, a pipelined one a few. */
#define FC_TCP_SEND_REFS 2

/**
 * Free space in the send buffer (bytes fc_tcp_send_copy() would accept now).
 *
 * @param c Connection.
 * @return Bytes.
 */
uint32_t fc_tcp_send_space(const struct fc_tcp_conn *c);

/**
 * Half-close (RFC 9293 §3.10.4): send FIN after the queued data; receiving continues
 * (on_data, on_eof) until on_closed.
 *
 * @param c Connection.
 * @return 0 (also when already shut down), -ENOTCONN (closed).
 */
int fc_tcp_shutdown(struct fc_tcp_conn *c);

/**
 * Close: like fc_tcp_shutdown() but later payload is acknowledged and discarded instead of
 * delivered. With fc_tcp_config::rst_close, sends RST instead (on_closed with NORMAL is called
 * before this returns).
 *
 * @param c Connection.
 * @return 0, -ENOTCONN (closed).
 */
int fc_tcp_close(struct fc_tcp_conn *c);

/**
 * Abort (RFC 9293 §3.10.5): send RST (unless in SYN_SENT), drop queued data; on_closed with
 * FC_TCP_CLOSE_ABORTED is called before this returns.
 *
 * @param c Connection.
 * @return 0, -ENOTCONN (already closed).
 */
int fc_tcp_abort(struct fc_tcp_conn *c);

/**
 * fc_tcp_abort() every connection the application still holds (shown to it, on_closed not
 * yet called): for a worker that stops, so that no peer keeps a connection until its own
 * timeout. The RSTs wait in the TX queue for the next fc_tcp_tx_bulk().
 *
 * @param ctx Context.
 * @return connections aborted
 */
unsigned fc_tcp_abort_all(struct fc_tcp_ctx *ctx);

/**
 * Hold back receive window: the application has @p bytes of delivered payload it has not
 * consumed yet. The advertised window shrinks by the held amount (to zero if need be: the
 * peer then probes, RFC 9293 §3.8.6.1).
 *
 * @param c Connection.
 * @param bytes Bytes to add to the held amount.
 * @return 0, -ENOTCONN.
 */
int fc_tcp_recv_hold(struct fc_tcp_conn *c, uint32_t bytes);

/**
 * Release held receive window (see fc_tcp_recv_hold()). Sends a window update when the
 * window opens by at least one MSS or half the buffer (RFC 9293 §3.8.6.2.2 SWS avoidance).
 *
 * @param c Connection.
 * @param bytes Bytes consumed (capped at the held amount).
 * @return 0, -ENOTCONN.
 */
int fc_tcp_recv_release(struct fc_tcp_conn *c, uint32_t bytes);

/** @return The user pointer of @p c. */
void *fc_tcp_conn_user(const struct fc_tcp_conn *c);

/**
 * @return cfg.app of the context that owns @p c. A callback finds its worker this way
 * without keeping a pointer to it in every connection's state (a cache line per
 * connection is what many connections cost).
 */
void *fc_tcp_conn_app(const struct fc_tcp_conn *c);

/**
 * A connection's number in its context: 1 to cfg.max_conns, stable while it is open, and
 * reused after on_closed(). Half the size of a pointer in the application's state.
 */
uint32_t fc_tcp_conn_id(const struct fc_tcp_conn *c);

/** @return the connection numbered @p id (fc_tcp_conn_id()), or NULL if out of range. */
struct fc_tcp_conn *fc_tcp_conn_of(struct fc_tcp_ctx *ctx, uint32_t id);

/**
 * Replace the user pointer (and optionally the callbacks) of a connection, typically in
 * on_connected of an accepted connection.
 *
 * @param c Connection.
 * @param ops New callbacks, or NULL to keep the current ones.
 * @param user New user pointer.
 */
void fc_tcp_conn_set_user(struct fc_tcp_conn *c, const struct fc_tcp_ops *ops, void *user);

/**
 * Prefetch what a segment of the connection will touch in the TCB (its request-response
 * lines), for an application that knows which connection will be answered next.
 */
void fc_tcp_conn_prefetch(const struct fc_tcp_conn *c);

/**
 * Free a packet, as rte_pktmbuf_free() does. For the usual packet, one direct segment
 * referenced once, it reads only the mbuf header's first cache line: a segment count of 1
 * means there is no next segment, so the second line (m->next) is not loaded. The frames
 * lib/tcp builds touch only the first line too (tcp_output.c, mbuf_reset_line0()), so a
 * frame the other core built costs its receiver one header line, not two.
 */
static inline void
fc_tcp_mbuf_free(struct rte_mbuf *m)
{
	if (likely(m->nb_segs == 1 && RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1)) {
		RTE_ASSERT(m->next == NULL);
		rte_mempool_put(m->pool, m);
	} else {
		rte_pktmbuf_free(m);
	}
}

/** Snapshot of a connection, for tests and diagnostics. */
struct fc_tcp_conn_info {
	enum fc_tcp_state state;  /**< current state */
	uint32_t remote_ip;       /**< host order */
	uint16_t remote_port;     /**< host order */
	uint16_t local_port;      /**< host order */
	uint32_t snd_una;         /**< oldest unacknowledged sequence number */
	uint32_t snd_nxt;         /**< next sequence number to send */
	uint32_t snd_wnd;         /**< peer's window (scaled) */
	uint32_t rcv_nxt;         /**< next expected sequence number */
	uint32_t rcv_wnd;         /**< window we advertise now */
	uint32_t cwnd;            /**< congestion window, bytes */
	uint32_t ssthresh;        /**< slow-start threshold, bytes */
	uint32_t mss;             /**< effective send MSS: payload of a full segment (the peer's
				   * MSS less 12 bytes when timestamps are on, RFC 6691) */
	uint64_t rto_ns;          /**< current RTO incl. back-off */
	uint64_t srtt_ns;         /**< smoothed RTT (0 before the first sample) */
	uint64_t rttvar_ns;       /**< RTT variance */
	uint32_t snd_queued;      /**< bytes queued (unacked + unsent) */
	uint32_t ooo_segs;        /**< out-of-order segments held */
	uint8_t snd_wscale;       /**< shift applied to the peer's window */
	uint8_t rcv_wscale;       /**< shift we apply to ours */
	uint8_t retries;          /**< consecutive retransmissions of the head segment */
};

/**
 * Fill @p info about @p c.
 *
 * @param c Connection.
 * @param info Output.
 * @return 0.
 */
int fc_tcp_conn_get_info(const struct fc_tcp_conn *c, struct fc_tcp_conn_info *info);

/** @return The context's counters (stable pointer, readable from another core). */
const struct fc_tcp_counters *fc_tcp_counters(const struct fc_tcp_ctx *ctx);

/** @return Number of TCBs in use (including TIME_WAIT and closing ones). */
uint32_t fc_tcp_nb_conns(const struct fc_tcp_ctx *ctx);

/** @return sizeof(struct tcb), the per-connection control block. */
size_t fc_tcp_tcb_size(void);

/**
 * Memory held per connection slot: TCB plus flow-table share, in bytes, computed from the
 * context's actual allocations divided by max_conns.
 *
 * @param ctx Context.
 * @return Bytes per connection (TCB + flow table + port allocator, excluding fixed parts).
 */
size_t fc_tcp_bytes_per_conn(const struct fc_tcp_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* FC_TCP_H */
