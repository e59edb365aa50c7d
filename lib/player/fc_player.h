/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The raw-packet player of `flashcrowd replay --raw`: the frames of a capture held by
 * lib/pcap (fc_pcap_raw, already rewritten for the port) sent on one port queue in
 * capture order, each at its captured offset divided by the speed, on a fixed packet
 * grid, or as fast as the queue takes them, the whole capture once per loop. One sender:
 * the schedule is one timeline. Frames the queue refuses are sent first on the next pass,
 * so the order holds. Received frames are dropped (the port must be drained).
 *
 * Time is a parameter of fc_player_poll(); fc_player_main() is the lcore loop around it.
 */
#ifndef FC_PLAYER_H
#define FC_PLAYER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>
#include <rte_mbuf.h>

#include "fc_hist.h"
#include "fc_pcap_raw.h"

#define FC_PLAYER_BURST 32              /**< frames per tx burst */

/** The player's settings. */
struct fc_player_conf {
	const struct fc_pcap_raw *cap;  /**< frames, rewritten (fc_pcap_raw_rewrite()) */
	uint16_t port;                  /**< port id */
	uint16_t queue;                 /**< its queue, rx and tx */
	struct rte_mempool *pool;       /**< mbufs for the frames */
	double speed;                   /**< time scale of the captured timeline (> 0) */
	double pps;                     /**< fixed packet rate, 0 = captured timeline */
	bool topspeed;                  /**< no schedule at all */
	uint32_t loops;                 /**< passes through the capture (>= 1) */
	const volatile sig_atomic_t *stop; /**< set by a signal: stop sending; may be NULL */
};

/** A player and what it did. */
struct fc_player {
	struct fc_player_conf conf;     /**< settings */
	struct fc_hist *lag;            /**< send time minus due time per frame (not topspeed) */
	uint64_t period_ns;             /**< one loop: the capture plus one mean frame gap */
	uint64_t total;                 /**< frames to send: frames x loops */
	double intended_s;              /**< first due time to the last one, 0 at top speed */
	uint64_t bound_ns;              /**< the run stops this long after start, whatever is left */
	uint64_t start_ns;              /**< frame 0 is due then */
	uint64_t next;                  /**< frames handed to the queue */
	uint64_t sent;                  /**< frames the queue took */
	uint64_t bytes;                 /**< their bytes */
	uint64_t refused;               /**< frames the queue refused (sent later) */
	uint64_t nomem;                 /**< times no mbuf was free */
	uint64_t ip_fixed;              /**< sent frames whose IPv4 checksum was recomputed */
	uint64_t l4_fixed;              /**< sent frames whose TCP/UDP checksum was recomputed */
	uint64_t end_ns;                /**< when the queue last took a frame */
	struct rte_mbuf *pending[FC_PLAYER_BURST]; /**< built, not yet taken */
	uint32_t pending_idx[FC_PLAYER_BURST]; /**< their frames in the capture */
	unsigned nb_pending;            /**< entries in @p pending */
};

/**
 * Set up a player: compute the schedule and allocate the lag histogram.
 * @param p     player to fill
 * @param conf  settings (copied)
 * @return 0; -EINVAL (empty capture, no loop, speed <= 0); -ENOMEM
 */
int fc_player_init(struct fc_player *p, const struct fc_player_conf *conf);

/**
 * One pass: drain the receive queue, build the frames that are due, send them.
 * @param p    player
 * @param now  current time, ns (fc_now_ns())
 * @return true while there is more to send
 */
bool fc_player_poll(struct fc_player *p, uint64_t now);

/**
 * The lcore function: starts 10 ms ahead, polls until done, stopped or past the bound,
 * then frees what was built and not sent.
 * @param arg  struct fc_player
 * @return 0
 */
int fc_player_main(void *arg);

/**
 * The summary as text lines.
 * @param p  player after the run
 * @param f  stream
 */
void fc_player_print(const struct fc_player *p, FILE *f);

/**
 * The summary as a JSON object (packets, rates, lag, rewrites).
 * @param p  player after the run
 * @return a new object, or NULL without memory
 */
cJSON *fc_player_json(const struct fc_player *p);

/** @param p  player whose histogram is freed */
void fc_player_fini(struct fc_player *p);

#endif
