/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bring-up for `run`: either a port from a drivers_cfg profile, or the embedded pair: two
 * in-process ports joined by rings (queue i to queue i), client workers on one side and
 * server workers running our own HTTP responder on the other. Also picks the lcore layout.
 */
#ifndef FC_APP_PAIR_H
#define FC_APP_PAIR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fc_net.h"
#include "fc_platform.h"
#include "fc_server.h"

#define FC_MAX_WORKERS 64

/*
 * Minimum RTO on both sides of the embedded pair. The in-process ring loses nothing (a full
 * ring holds what it refuses, port_io.h), so a retransmission there is always spurious:
 * with thousands of connections in closed loop the requests queue for tens of ms, the RTT
 * is steady, RTTVAR shrinks and an RTO of SRTT + a few ms fires on any jitter. Linux's
 * floor of 200 ms keeps that from happening; runs on a real port keep 10 ms, for loss.
 */
#define FC_PAIR_RTO_MIN_NS 200000000ull

/* The embedded pair's name for fc_ring_pair_create() and fc_ring_pair_rx_ring(). */
#define FC_PAIR_RING_NAME "fcpair"

/* Embedded pair ring sizes (frames per queue, fc_pair_up): responses, and the most the
 * request rings hold, beyond the requests in flight, for SYNs, ACKs and FINs. */
#define FC_PAIR_RESPONSE_RING 1024
#define FC_PAIR_REQUEST_RING_MAX 65536u
#define FC_PAIR_RING_SPARE 4096
#define FC_PORT_RTO_MIN_NS 10000000ull  /**< minimum RTO on a real port, or under --impair */
/*
 * TIME_WAIT of the client in close mode on the embedded pair (not under --impair). Each
 * closed connection keeps its source port for TIME_WAIT, so 55,536 ports cap the rate at
 * ports / TIME_WAIT: 555k connections/s with the 100 ms used on real ports, where both
 * cores sat a third busy. The ring neither delays nor duplicates a frame (there is no old
 * segment to wait out) and loses none (the final ACK gets through), so 20 ms is ample and
 * lifts the cap to 2.8M/s.
 */
#define FC_PAIR_TIME_WAIT_NS 20000000ull

struct fc_pair_opts {
	const char *prog;               /**< argv[0] */
	bool embedded;                  /**< the in-process pair */
	const char *profile;            /**< drivers_cfg profile (port mode) */
	const char *iface;              /**< --iface */
	uint32_t local_ip;              /**< network order; 0 = default (198.18.0.1 embedded) */
	uint8_t local_prefix;           /**< prefix length */
	uint32_t gateway;               /**< network order, 0 = none */
	const char *eal;                /**< --eal override */
	unsigned nb_clients;            /**< client workers (queue pairs) */
	uint32_t target_ip;             /**< network order: the embedded server's address */
	uint32_t server_max_conns;      /**< TCBs per server worker */
	uint32_t requests_in_flight;    /**< the most one client worker has outstanding
					  * (connections x pipeline): the embedded pair's request
					  * rings hold that many */
	bool impaired;                  /**< --impair injects loss: the embedded pair keeps the
					  * quick RTO (FC_PORT_RTO_MIN_NS), not FC_PAIR_RTO_MIN_NS */
	uint32_t min_mbufs;             /**< mbufs in the pool at least (the embedded pair: one
					  * pool for both sides; raises the profile's count
					  * for many connections); 0 = the profile's */
	bool cpus_from_end;             /**< place workers from the last CPU down (serve), so a
					  * second process (run) on the same box takes the others */
};

struct fc_pair {
	bool embedded;                          /**< in-process pair */
	bool eal_up;                            /**< EAL initialised */
	bool hugepages;                         /**< EAL runs on 2 MiB hugepages (the profile's
						  * eal_hugepages), not on 4 KiB pages */
	uint64_t rto_min_ns;                    /**< minimum RTO for both sides of the embedded
						  * pair: FC_PAIR_RTO_MIN_NS, or FC_PORT_RTO_MIN_NS
						  * under --impair */
	struct fc_profile profile;              /**< client port profile */
	struct fc_port client;                  /**< client port */
	struct fc_port server;                  /**< embedded server port */
	uint16_t client_port;                   /**< client port id */
	uint32_t local_ip;                      /**< network order */
	uint8_t prefix_len;                     /**< our prefix */
	uint32_t gateway;                       /**< network order */
	unsigned nb_clients;                    /**< client workers */
	unsigned client_lcores[FC_MAX_WORKERS]; /**< their lcores */
	unsigned nb_servers;                    /**< embedded server workers */
	struct fc_server_worker *servers;       /**< embedded server workers (launched) */
	struct fc_http_server *http;            /**< embedded responder */
};

/** @return FC_EXIT_OK, FC_EXIT_INPUT or FC_EXIT_RUNTIME (message printed). */
int fc_pair_up(struct fc_pair *p, const struct fc_pair_opts *o);

/**
 * Point a worker's queue pair at queue @p queue of the client's port or, on the embedded
 * pair, of the server's (@p server), and say whether its frames are marked checksum-good
 * on receipt (an in-process ring with rx_cksum on).
 */
void fc_pair_io_init(const struct fc_pair *p, struct fc_port_io *io, bool server, unsigned queue);

/** Net configuration of the client side. */
void fc_pair_net_conf(const struct fc_pair *p, struct fc_net_conf *c);

/**
 * ARP-resolve @p ip (network order; the gateway when off-link) from the main lcore before
 * the workers start: requests go out on queue 0, replies are read from every queue (with
 * several queues a NIC's RSS or af_packet's fanout may deliver them to any of them).
 *
 * @param p         port (client side)
 * @param ip        address to resolve
 * @param wait_ns   give up after this long (0: only a signal stops it)
 * @param patient   keep asking once a second instead of giving up after 3 requests (a
 *                  server waiting for its client)
 * @param mac       the answer
 * @return 0; -ETIMEDOUT (no reply: 3 requests 1 s apart), -ENETUNREACH (off-link, no
 *         gateway), -EINTR (stopped by a signal or by wait_ns before an answer)
 */
int fc_pair_resolve(const struct fc_pair *p, uint32_t ip, uint64_t wait_ns, bool patient,
		    struct rte_ether_addr *mac);

/** RSS state of a multi-queue port, for lib/tcp's RSS-aware source-port choice. */
struct fc_pair_rss {
	uint8_t key[52];                /**< Toeplitz key as the port uses it */
	uint16_t reta[512];             /**< redirection table: entry -> queue */
	uint16_t reta_size;             /**< entries in reta */
};

/**
 * With RSS on and more than one queue, read the port's key and RETA into @p rss and point
 * @p tc at them, so each worker's connections use source ports whose replies hash to its
 * own queue. Leaves @p tc untouched otherwise (single queue, ring, memif).
 * @return 0, or -errno when the port does not report its key or table
 */
int fc_pair_rss_conf(const struct fc_pair *p, struct fc_pair_rss *rss, struct fc_tcp_config *tc);

/** Stop the embedded server workers and wait for them (their counters are final after it). */
void fc_pair_stop_servers(struct fc_pair *p);

/** Stop the embedded servers (fc_pair_stop_servers()) and print one line of their counters
 * (requests, connections, TCP drops). */
void fc_pair_print_server(struct fc_pair *p, FILE *f);

/** Stop embedded servers, close ports, release EAL. Safe on a partial bring-up. */
void fc_pair_down(struct fc_pair *p);

#endif
