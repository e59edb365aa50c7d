/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Raw replay's capture: the Ethernet frames of a capture held in memory with their
 * timestamps, and rewritten once for the port they go out of (MACs, mapped IPv4
 * addresses, IPv4/TCP/UDP checksums). Sending is lib/player's. Pure C, like the rest of
 * lib/pcap: it is read before the port exists and tested without one.
 */
#ifndef FC_PCAP_RAW_H
#define FC_PCAP_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FC_PCAP_RAW_MAX_BYTES (1ull << 30)   /**< frame bytes held in memory */
#define FC_PCAP_RAW_MAX_PACKETS (16u << 20)  /**< frames held in memory */
#define FC_PCAP_RAW_MAX_FRAME 2048u          /**< longer frames are skipped (one mbuf each) */

/** One IPv4 address rewrite (--map-ip A=B). */
struct fc_pcap_ip_map {
	uint32_t from;          /**< network order */
	uint32_t to;            /**< network order */
};

/** One frame. */
struct fc_pcap_raw_pkt {
	uint64_t off;           /**< into the byte arena */
	uint64_t t_ns;          /**< offset from the first frame */
	uint32_t len;           /**< captured bytes */
	bool cut;               /**< caplen < wire length: sent as captured, L4 checksum kept */
	bool ip_fixed;          /**< its IPv4 header checksum was recomputed */
	bool l4_fixed;          /**< its TCP/UDP checksum was recomputed */
};

/** A capture in memory. */
struct fc_pcap_raw {
	struct fc_pcap_raw_pkt *pkts; /**< frames in capture order */
	uint32_t nb_pkts;       /**< entries in @p pkts */
	uint8_t *bytes;         /**< frame bytes */
	uint64_t nb_bytes;      /**< bytes used in @p bytes */
	uint64_t skipped;       /**< frames too short or too long to send */
	uint64_t cut;           /**< frames shorter than on the wire */
	uint64_t ip_fixed;      /**< frames whose IPv4 checksum is recomputed, per pass */
	uint64_t l4_fixed;      /**< frames whose TCP/UDP checksum is recomputed, per pass */
	bool truncated;         /**< the file ended inside a record: what came before is kept */
};

/**
 * Read every frame of an Ethernet capture into @p r (zeroed first).
 * @param path    pcap or pcapng file
 * @param r       filled; release with fc_pcap_raw_free() whatever the result
 * @param err     receives the reason on failure, or the warning when truncated
 * @param errlen  size of @p err
 * @return 0 (check r->truncated); -EINVAL when the file cannot be read, is not Ethernet,
 *         holds no frame or is above the bounds (err says which); -ENOMEM
 */
int fc_pcap_raw_load(const char *path, struct fc_pcap_raw *r, char *err, size_t errlen);

/**
 * Rewrite every frame once for sending: source and destination MAC, mapped IPv4
 * addresses, and the checksums (captures taken with offload carry wrong ones: all are
 * fixed, mapped or not; a TCP/UDP one only when the whole unfragmented segment is there).
 * @param r       capture
 * @param src     source MAC (the port's)
 * @param dst     destination MAC
 * @param map     address rewrites
 * @param nb_map  entries in @p map
 */
void fc_pcap_raw_rewrite(struct fc_pcap_raw *r, const uint8_t src[6], const uint8_t dst[6],
			 const struct fc_pcap_ip_map *map, unsigned nb_map);

/** @param r  capture whose memory is released */
void fc_pcap_raw_free(struct fc_pcap_raw *r);

#endif
