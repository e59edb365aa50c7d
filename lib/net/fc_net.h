/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Layer 2/3 of the appliance: Ethernet classification, ARP (answering and resolving),
 * IPv4 and ICMP echo, and the checksum helpers every layer above uses.
 *
 * One struct fc_net_ctx per lcore. Like lib/tcp, this module never touches a port or a
 * clock: frames come in through fc_net_input(), frames to send are queued in the context
 * and drained with fc_net_tx_bulk(), and time is the @p now argument in nanoseconds.
 * IPv4 addresses are in network byte order everywhere in this API.
 */
#ifndef FC_NET_H
#define FC_NET_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define FC_NET_NEIGH_MAX 16     /**< neighbour cache entries per lcore (the appliance has one next hop) */
#define FC_NET_TXQ_SIZE 64      /**< control frames (ARP/ICMP) waiting for the worker's tx_burst */

/** What fc_net_input() did with a frame. */
enum fc_net_verdict {
	FC_NET_CONSUMED = 0,    /**< handled here (ARP, ICMP) or dropped and counted; mbuf released */
	FC_NET_TCP,             /**< IPv4/TCP for our address: the caller hands the mbuf to lib/tcp */
	FC_NET_UDP,             /**< IPv4/UDP for our address: left to the caller (unused today) */
};

/** Per-lcore counters. Written by the owning lcore only; other cores read them relaxed. */
struct fc_net_stats {
	uint64_t rx_frames;        /**< frames passed to fc_net_input */
	uint64_t rx_runt;          /**< too short for the header they claim */
	uint64_t rx_not_ours;      /**< IPv4 or ARP for another address, or another MAC */
	uint64_t rx_bad_ip;        /**< bad version/IHL/length, or IPv4 fragments (not reassembled) */
	uint64_t rx_bad_cksum;     /**< IPv4 or ICMP checksum errors */
	uint64_t rx_other_proto;   /**< ethertypes or IP protocols we do not handle */
	uint64_t arp_rx_request;   /**< ARP requests for our address */
	uint64_t arp_rx_reply;     /**< ARP replies learned */
	uint64_t arp_tx_request;   /**< ARP requests sent (resolution, retries) */
	uint64_t arp_tx_reply;     /**< ARP replies sent */
	uint64_t icmp_echo_rx;     /**< ICMP echo requests for our address */
	uint64_t icmp_echo_tx;     /**< ICMP echo replies sent */
	uint64_t tx_queue_full;    /**< control frames dropped because the tx queue was full */
	uint64_t alloc_fail;       /**< mbuf allocation failures */
};

/** Configuration of one lcore's network context. */
struct fc_net_conf {
	struct rte_ether_addr mac;      /**< our MAC (the port's) */
	uint32_t ip;                    /**< our IPv4 address */
	uint8_t prefix_len;             /**< our subnet, to tell on-link targets from routed ones */
	uint32_t gateway;               /**< next hop for off-link targets, 0 for none */
	struct rte_mempool *pool;       /**< where ARP/ICMP frames we originate are allocated */
	bool tx_ip_cksum_offload;       /**< port computes IPv4 header checksums (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) */
	bool rx_cksum_offload;          /**< port reports checksum status in ol_flags */
	uint64_t arp_retry_ns;          /**< interval between ARP requests while resolving */
	uint32_t arp_max_tries;         /**< requests sent before resolution fails */
};

/** A neighbour cache entry. */
struct fc_net_neigh {
	uint32_t ip;                    /**< network order; 0 = free */
	struct rte_ether_addr mac;      /**< resolved MAC, valid when resolved */
	bool resolved;                  /**< a reply was seen */
	uint32_t tries;                 /**< requests sent so far */
	uint64_t next_try_ns;           /**< when the next request goes out */
};

/** One lcore's L2/L3 state. */
struct fc_net_ctx {
	struct fc_net_conf conf;                        /**< as given to fc_net_init */
	struct fc_net_stats stats;                      /**< counters */
	struct fc_net_neigh neigh[FC_NET_NEIGH_MAX];    /**< neighbour cache */
	uint16_t txq_len;                               /**< frames in txq */
	struct rte_mbuf *txq[FC_NET_TXQ_SIZE];          /**< frames waiting to be sent */
};

/**
 * Initialise a context. Defaults: ARP retry 1 s, 3 tries.
 *
 * @param ctx   context to fill
 * @param conf  configuration; pool must not be NULL
 * @return 0, or -EINVAL if conf is incomplete
 */
int fc_net_init(struct fc_net_ctx *ctx, const struct fc_net_conf *conf);

/**
 * Classify and handle one received frame (data starting at the Ethernet header).
 * ARP and ICMP echo are answered here; frames not for us are dropped and counted.
 *
 * @param ctx  context
 * @param m    the frame; ownership passes to the callee unless FC_NET_TCP/UDP is returned
 * @param now  current time in ns (updates ARP state)
 * @return an fc_net_verdict. On FC_NET_TCP, m->l2_len and m->l3_len are set.
 */
enum fc_net_verdict fc_net_input(struct fc_net_ctx *ctx, struct rte_mbuf *m, uint64_t now);

/**
 * Start or continue resolving @p ip (or the gateway when ip is off-link); send an ARP
 * request when the retry interval has passed.
 *
 * @param ctx  context
 * @param ip   target address
 * @param now  current time in ns
 * @param mac  filled with the MAC when resolved
 * @return 0 when resolved; -EAGAIN while waiting for a reply; -ETIMEDOUT when
 *         arp_max_tries requests went unanswered; -ENOSPC when the cache is full;
 *         -ENETUNREACH when ip is off-link and no gateway is configured
 */
int fc_net_resolve(struct fc_net_ctx *ctx, uint32_t ip, uint64_t now, struct rte_ether_addr *mac);

/** The next hop for @p ip: ip itself when on-link, else the gateway (0 if none). */
uint32_t fc_net_next_hop(const struct fc_net_ctx *ctx, uint32_t ip);

/**
 * Move queued control frames (ARP/ICMP replies and requests) to @p out.
 *
 * @return number of frames moved (0..max); the caller sends and frees them
 */
uint16_t fc_net_tx_bulk(struct fc_net_ctx *ctx, struct rte_mbuf **out, uint16_t max);

/** Free every queued frame (shutdown). */
void fc_net_flush(struct fc_net_ctx *ctx);

/**
 * Build an ARP request for @p target_ip (exposed for tests and gratuitous ARP).
 * @return the frame, or NULL when the pool is empty
 */
struct rte_mbuf *fc_net_arp_request(const struct fc_net_ctx *ctx, uint32_t target_ip);

/* ---- checksums ---- */

/** Internet checksum (RFC 1071) of @p len bytes, folded and complemented. */
uint16_t fc_cksum(const void *buf, size_t len);

/** IPv4 header checksum, computed over the header with its checksum field taken as 0. */
uint16_t fc_cksum_ipv4_hdr(const struct rte_ipv4_hdr *ip);

/**
 * TCP/UDP checksum over the IPv4 pseudo-header and @p l4 (header + payload, contiguous),
 * with the checksum field inside l4 taken as is (zero it first when computing).
 */
uint16_t fc_cksum_ipv4_l4(const struct rte_ipv4_hdr *ip, const void *l4, size_t l4_len);

/**
 * Finish an outgoing IPv4 frame's IP header checksum: offloaded (sets ol_flags and lengths)
 * when @p offload is true, computed in software otherwise.
 */
void fc_net_ipv4_cksum_out(struct rte_mbuf *m, struct rte_ipv4_hdr *ip, bool offload);

/** Format an IPv4 address (network order) into @p buf (>= 16 bytes); returns buf. */
const char *fc_ip_str(uint32_t ip, char *buf);

/**
 * Parse "A.B.C.D" or "A.B.C.D/LEN".
 * @param s     text
 * @param ip    network-order address out
 * @param plen  prefix length out (32 when absent); may be NULL when no /LEN is accepted
 * @return 0, or -EINVAL
 */
int fc_ip_parse(const char *s, uint32_t *ip, uint8_t *plen);

#endif /* FC_NET_H */
