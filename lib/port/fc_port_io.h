/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Port I/O: the only code that calls rte_eth_rx_burst() and rte_eth_tx_burst(). A worker's
 * queue pair (struct fc_port_io) with the optional impairment stages (lib/net fc_impair) on
 * the way in and out and the backpressure hold; and plain bursts for the control core's
 * short loops (ARP resolution, `up`, the raw packet player).
 *
 * Backpressure. A port that is full (a NIC ring, or the embedded pair's rte_ring when the
 * peer core is behind) does not lose the frames it refused: they wait in `pending` and go
 * first on the next pass, in order. Callers gather at most fc_io_tx_room() new frames, so
 * while the port is full the frames stay in lib/tcp's TX queue, which holds two per
 * connection. Freeing them instead turns a burst into retransmission timeouts with
 * exponential back-off: with 50,000 connections on the ring pair that was 3.0M refused
 * frames, 3.2M retransmissions and 237k request timeouts in a 20 s run.
 */
#ifndef FC_PORT_IO_H
#define FC_PORT_IO_H

#include <stdint.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "fc_clock.h"
#include "fc_impair.h"
#include "fc_net.h"
#include "fc_tcp.h"

#define FC_IO_BURST 32
/* Frames per receive burst: larger ones measured no faster. */
#define FC_IO_RX_BURST 32
#define FC_IO_PENDING (4 * FC_IO_BURST)   /* frames held while the port is full */

struct fc_port_io {
	uint16_t port_id;               /**< port */
	uint16_t queue;                 /**< queue pair */
	uint16_t nb_pending;            /**< frames in pending[] */
	uint32_t frame_off;             /**< where the last burst's first frame started, from
					  * its mbuf (the guess for prefetching the next ones) */
	struct fc_impair *imp_rx;       /**< impairment of received frames, or NULL */
	struct fc_impair *imp_tx;       /**< impairment of sent frames, or NULL */
	uint64_t tx_refused;            /**< frames freed unsent: pending[] was full, or at exit */
	uint64_t tx_deferred;           /**< frames the port refused once, held for a later pass */
	struct rte_mbuf *pending[FC_IO_PENDING]; /**< refused frames, oldest first */
	bool rx_mark_cksum;             /**< mark received frames IP and L4 checksum good, as
					  * a NIC's RX offload does: set only for the embedded
					  * pair's in-process ring (fc_port_caps.rx_cksum_in_process) */
};

/** Receive up to FC_IO_RX_BURST frames (after impairment) into pkts[FC_IO_RX_BURST]. */
static inline uint16_t
fc_io_rx(struct fc_port_io *io, struct rte_mbuf **pkts, uint64_t now)
{
	if (io->imp_rx == NULL)
		return rte_eth_rx_burst(io->port_id, io->queue, pkts, FC_IO_RX_BURST);

	struct rte_mbuf *raw[FC_IO_RX_BURST];
	uint16_t n = rte_eth_rx_burst(io->port_id, io->queue, raw, FC_IO_RX_BURST);

	return fc_impair_apply(io->imp_rx, raw, n, now, pkts, FC_IO_RX_BURST);
}

/* Frames ahead of the one being parsed whose mbuf header and frame head are prefetched:
 * far enough for a miss to complete before the frame is parsed (4 measured slower). */
#define FC_IO_PREFETCH 8

/* Lines of a frame's head prefetched: a small request or response with its headers is
 * three (each line found cold is a full miss). Without a checksum verdict from the port,
 * lib/tcp sums the whole frame, past these lines for a longer one. */
#define FC_IO_FRAME_LINES 3

/*
 * The mbuf header and the frame head of @p m, prefetched together. Where the frame starts
 * is the header's buf_addr + data_off, but waiting for the header to learn it puts a miss
 * behind a miss: at 50,000 connections the client spent half of fc_io_rx_input on loads of
 * that header (perf annotate). Every frame a port hands us starts at the same offset from
 * its mbuf (the pool's private area and headroom), so the offset of the last burst's first
 * frame is used; a wrong guess costs a useless prefetch, nothing else.
 */
static inline void
fc_io_prefetch_frame(const struct fc_port_io *io, const struct rte_mbuf *m)
{
	const char *d = RTE_PTR_ALIGN_FLOOR((const char *)m + io->frame_off, RTE_CACHE_LINE_SIZE);

	rte_prefetch0(m);
	for (unsigned l = 0; l < FC_IO_FRAME_LINES; l++)
		rte_prefetch0(d + l * RTE_CACHE_LINE_SIZE);
}

/**
 * One worker pass's input: a burst from the port, each frame to lib/net (ARP, ICMP,
 * address and checksum checks), the TCP segments to lib/tcp in one call. With many
 * connections in flight every frame is cold (another core or the NIC wrote it), so each
 * frame's mbuf header and head are prefetched a few frames ahead of the one being parsed,
 * as DPDK's l3fwd does.
 *
 * @param io   the queue pair
 * @param net  lib/net context of the worker
 * @param tcp  lib/tcp context of the worker
 * @param now  the pass's time (ns)
 * @return frames received
 */
static inline uint16_t
fc_io_rx_input(struct fc_port_io *io, struct fc_net_ctx *net, struct fc_tcp_ctx *tcp,
	       uint64_t now)
{
	struct rte_mbuf *pkts[FC_IO_RX_BURST], *segs[FC_IO_RX_BURST];
	uint16_t n = fc_io_rx(io, pkts, now), k = 0, i;

	if (n == 0)
		return 0;
	for (i = 0; i < n && i < FC_IO_PREFETCH; i++)
		fc_io_prefetch_frame(io, pkts[i]);
	io->frame_off = (uint32_t)(rte_pktmbuf_mtod(pkts[0], const char *) - (const char *)pkts[0]);
	for (i = 0; i < n; i++) {
		if (i + FC_IO_PREFETCH < n)
			fc_io_prefetch_frame(io, pkts[i + FC_IO_PREFETCH]);
		if (io->rx_mark_cksum)
			pkts[i]->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		if (fc_net_input(net, pkts[i], now) == FC_NET_TCP)
			segs[k++] = pkts[i];
	}
	if (k)
		fc_tcp_rx_bulk(tcp, segs, k, now);
	return n;
}

/*
 * Frames built and not yet taken by the port beyond which a worker builds no more: the
 * client issues no request, the server reads no request. Work then waits upstream in its
 * smallest form (a ready slot, an unread request in the peer's ring) instead of as frames
 * in lib/tcp's TX queue: with 50,000 connections on the embedded pair that queue held
 * 46,000 responses for 11 ms each, every one cold again by the time it was sent.
 */
#define FC_IO_BACKLOG_MAX (2 * FC_IO_PENDING)

/** True when the worker should build no more frames this pass (FC_IO_BACKLOG_MAX). */
static inline bool
fc_io_backlogged(const struct fc_port_io *io, const struct fc_tcp_ctx *tcp)
{
	return fc_tcp_tx_pending(tcp) + io->nb_pending >= FC_IO_BACKLOG_MAX;
}

/** How many new frames the next fc_io_tx() can take without freeing any. */
static inline uint16_t
fc_io_tx_room(const struct fc_port_io *io)
{
	return (uint16_t)(FC_IO_PENDING - io->nb_pending);
}

/* Send the held frames; true when none is left. */
static inline int
fc_io_tx_retry(struct fc_port_io *io)
{
	uint16_t n = io->nb_pending, sent;

	if (n == 0)
		return 1;
	sent = rte_eth_tx_burst(io->port_id, io->queue, io->pending, n);
	if (sent > 0 && sent < n)
		memmove(io->pending, io->pending + sent, sizeof(io->pending[0]) * (n - sent));
	io->nb_pending = (uint16_t)(n - sent);
	return io->nb_pending == 0;
}

/**
 * Send frames (through impairment) after those already held. What the port refuses is
 * held for the next call; only what does not fit in the hold (more than fc_io_tx_room())
 * is freed and counted in tx_refused. Call it with n == 0 too: it retries the held frames
 * and releases impaired frames that are now due.
 */
static inline void
fc_io_tx(struct fc_port_io *io, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	struct rte_mbuf *imp[4 * FC_IO_BURST];
	uint16_t sent = 0, left, keep;
	int clear = fc_io_tx_retry(io);

	if (io->imp_tx != NULL) {
		/* While the port is full, the impairment stage keeps what the hold cannot. */
		n = fc_impair_apply(io->imp_tx, pkts, n, now, imp,
				    clear ? (uint16_t)RTE_DIM(imp) : fc_io_tx_room(io));
		pkts = imp;
	}
	if (clear && n > 0)
		sent = rte_eth_tx_burst(io->port_id, io->queue, pkts, n);
	left = (uint16_t)(n - sent);
	if (left == 0)
		return;
	keep = left < fc_io_tx_room(io) ? left : fc_io_tx_room(io);
	memcpy(io->pending + io->nb_pending, pkts + sent, sizeof(pkts[0]) * keep);
	io->nb_pending = (uint16_t)(io->nb_pending + keep);
	io->tx_deferred += keep;
	if (keep < left) {
		io->tx_refused += left - keep;
		rte_pktmbuf_free_bulk(pkts + sent + keep, left - keep);
	}
}

/**
 * One worker pass's output: lib/net's frames (ARP, ICMP), then lib/tcp's, as many as the
 * port can take (what it cannot stays queued in lib/tcp), through fc_io_tx().
 * @return frames taken from lib/net and lib/tcp
 */
static inline uint16_t
fc_io_flush(struct fc_port_io *io, struct fc_net_ctx *net, struct fc_tcp_ctx *tcp, uint64_t now)
{
	struct rte_mbuf *tx[FC_IO_PENDING];
	uint16_t room = fc_io_tx_room(io);
	uint16_t n = fc_net_tx_bulk(net, tx, room < FC_IO_BURST ? room : FC_IO_BURST);

	n = (uint16_t)(n + fc_tcp_tx_bulk(tcp, tx + n, (uint16_t)(room - n)));
	fc_io_tx(io, tx, n, now);
	return n;
}

/* How long the end of a worker loop keeps trying a full port with its last frames. */
#define FC_IO_FINAL_FLUSH_NS 100000000ull

/**
 * At the end of a worker loop: send the last FINs, ACKs and RSTs, retrying a full port for
 * up to FC_IO_FINAL_FLUSH_NS (the peer may already have stopped reading). With 20,000
 * connections closing at once, a bound of 1000 passes (~100 us) left a full ring of final
 * ACKs unsent.
 * @param io     the queue pair
 * @param net    lib/net context
 * @param tcp    lib/tcp context
 * @param clock  the clock that bounds the wait (fc_clock_ns, or a test's)
 */
static inline void
fc_io_flush_final(struct fc_port_io *io, struct fc_net_ctx *net, struct fc_tcp_ctx *tcp,
		  fc_clock_fn clock)
{
	uint64_t start = clock(), now = start;

	for (;;) {
		fc_io_flush(io, net, tcp, now);
		if ((io->nb_pending == 0 && fc_tcp_tx_pending(tcp) == 0) ||
		    now - start >= FC_IO_FINAL_FLUSH_NS)
			break;
		now = clock();
	}
}

/** Free the held frames (counted in tx_refused): the port is going away. */
static inline void
fc_io_tx_discard(struct fc_port_io *io)
{
	io->tx_refused += io->nb_pending;
	rte_pktmbuf_free_bulk(io->pending, io->nb_pending);
	io->nb_pending = 0;
}

/**
 * A plain receive burst, for the control core's short loops (no impairment, no hold).
 * @param port   port id
 * @param queue  receive queue
 * @param pkts   where to put the frames
 * @param n      at most this many
 * @return frames received
 */
static inline uint16_t
fc_port_rx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(port, queue, pkts, n);
}

/**
 * A plain send burst, for the control core's short loops. What the port refuses stays the
 * caller's.
 * @param port   port id
 * @param queue  send queue
 * @param pkts   frames
 * @param n      how many
 * @return frames the port took
 */
static inline uint16_t
fc_port_tx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_burst(port, queue, pkts, n);
}

/**
 * A plain send burst that frees what the port refuses.
 * @return frames the port took
 */
static inline uint16_t
fc_port_tx_burst_or_free(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = n ? rte_eth_tx_burst(port, queue, pkts, n) : 0;

	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	return sent;
}

/**
 * Create the impairment stages a worker's queue pair asks for (none when both are NULL).
 * Each direction and each worker draws its own sequence from @p seed.
 * @param io      the queue pair
 * @param rx      impairment of received frames, or NULL
 * @param tx      impairment of sent frames, or NULL
 * @param pool    mempool for duplicated frames
 * @param seed    PRNG seed
 * @param socket  NUMA socket
 * @return 0, or -ENOMEM / -EINVAL (fc_impair_create's errno)
 */
int fc_port_io_impair(struct fc_port_io *io, const struct fc_impair_conf *rx,
		      const struct fc_impair_conf *tx, struct rte_mempool *pool, uint64_t seed,
		      int socket);

/** Free the held frames and the impairment stages. @param io the queue pair */
void fc_port_io_fini(struct fc_port_io *io);

#endif
