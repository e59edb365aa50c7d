/* SPDX-License-Identifier: BSD-3-Clause */
/* The HTTP server worker (serve, and the server half of the embedded pair). */
#ifndef FC_SERVER_H
#define FC_SERVER_H

#include <stdint.h>

#include "fc_clock.h"
#include "fc_engine.h"

struct fc_http_server;
struct srv_conn;

/** Server worker counters beside lib/http's (single writer: the worker). */
struct fc_server_stats {
	alignas(64) uint64_t accepts;    /**< connections accepted */
	uint64_t slots_full;             /**< connections refused: no slot (reset) */
	uint64_t replies_dropped;        /**< replies refused: pipeline queue full (connection reset) */
	uint64_t send_blocked;           /**< replies that waited for send space */
	uint64_t delayed;                /**< replies held by delay injection */
	uint64_t rx_held;                /**< loop passes that read no request: the port had not
					  * taken the frames already built (fc_io_backlogged()) */
	uint64_t busy_cycles;            /**< TSC cycles of loop passes that moved frames */
};

struct fc_server_worker {
	unsigned idx;                           /**< index among server workers */
	unsigned lcore;                         /**< EAL lcore */
	struct fc_port_io io;                   /**< queue pair (and impairment) */
	uint16_t listen_port;                   /**< TCP port */
	struct fc_worker_ctl ctl;               /**< phase (RUN until EXIT) */
	struct fc_server_stats stats;           /**< worker counters */
	struct fc_http_server_stats http_stats; /**< responder counters */
	struct fc_http_hdr_pool *hdr_pool;      /**< spill buffers for split request heads */
	struct fc_hist_pair service;            /**< service time: request complete to response queued */
	struct fc_net_ctx net;                  /**< L2/L3 */
	struct fc_tcp_ctx *tcp;                 /**< L4 */
	const struct fc_http_server *http;      /**< routes and rendered responses (shared, read-only) */
	struct srv_conn *conns;                 /**< connection slots (server.c) */
	uint32_t nb_slots;                      /**< connection slots */
	uint32_t *free_slots;                   /**< stack of free slots */
	uint32_t nb_free;                       /**< entries on it */
	uint32_t *active;                       /**< slots with replies waiting (time or space) */
	uint32_t nb_active;                     /**< entries */
	struct fc_answer_order order;           /**< slots in the order replies were sent, for
						  * the prefetch ahead of the requests answering them */
	fc_clock_fn clock;                      /**< bounds the final flush (set before init;
						  * NULL: fc_clock_ns) */
};

/**
 * Set up a server worker's contexts and start listening.
 * @return 0, -ENOMEM, -EINVAL
 */
int fc_server_worker_init(struct fc_server_worker *w, const struct fc_http_server *http,
			  const struct fc_tcp_config *tcp_tmpl, const struct fc_net_conf *netconf,
			  const struct rte_ether_addr *peer_mac, uint32_t max_conns, int socket);

/** The server loop; runs until phase EXIT. */
int fc_server_worker_main(void *arg);

/**
 * One loop pass.
 * @return whether the pass received or sent a frame
 */
bool fc_server_worker_poll(struct fc_server_worker *w, uint64_t now);

/** Free the contexts (after the loop ended). */
void fc_server_worker_fini(struct fc_server_worker *w);

#endif
