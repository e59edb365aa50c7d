/* SPDX-License-Identifier: BSD-3-Clause */
/* Ethernet classification, ARP (RFC 826) and ICMP echo (RFC 792) for one lcore. */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_icmp.h>

#include "fc_net.h"

#define ARP_RETRY_DEFAULT_NS 1000000000ull
#define ARP_TRIES_DEFAULT 3

int
fc_net_init(struct fc_net_ctx *ctx, const struct fc_net_conf *conf)
{
	if (ctx == NULL || conf == NULL || conf->pool == NULL || conf->ip == 0 ||
	    conf->prefix_len > 32)
		return -EINVAL;
	memset(ctx, 0, sizeof(*ctx));
	ctx->conf = *conf;
	if (ctx->conf.arp_retry_ns == 0)
		ctx->conf.arp_retry_ns = ARP_RETRY_DEFAULT_NS;
	if (ctx->conf.arp_max_tries == 0)
		ctx->conf.arp_max_tries = ARP_TRIES_DEFAULT;
	return 0;
}

static void
txq_push(struct fc_net_ctx *ctx, struct rte_mbuf *m)
{
	if (ctx->txq_len == FC_NET_TXQ_SIZE) {
		ctx->stats.tx_queue_full++;
		rte_pktmbuf_free(m);
		return;
	}
	ctx->txq[ctx->txq_len++] = m;
}

uint16_t
fc_net_tx_bulk(struct fc_net_ctx *ctx, struct rte_mbuf **out, uint16_t max)
{
	uint16_t n = ctx->txq_len < max ? ctx->txq_len : max;

	memcpy(out, ctx->txq, n * sizeof(*out));
	memmove(ctx->txq, ctx->txq + n, (ctx->txq_len - n) * sizeof(*out));
	ctx->txq_len -= n;
	return n;
}

void
fc_net_flush(struct fc_net_ctx *ctx)
{
	for (uint16_t i = 0; i < ctx->txq_len; i++)
		rte_pktmbuf_free(ctx->txq[i]);
	ctx->txq_len = 0;
}

static struct fc_net_neigh *
neigh_find(struct fc_net_ctx *ctx, uint32_t ip)
{
	for (unsigned i = 0; i < FC_NET_NEIGH_MAX; i++)
		if (ctx->neigh[i].ip == ip)
			return &ctx->neigh[i];
	return NULL;
}

/* Learn or refresh a mapping (RFC 826 "merge" step: update an entry we already hold). */
static void
neigh_learn(struct fc_net_ctx *ctx, uint32_t ip, const struct rte_ether_addr *mac, bool create)
{
	struct fc_net_neigh *n = neigh_find(ctx, ip);

	if (n == NULL && create)
		n = neigh_find(ctx, 0);
	if (n == NULL)
		return;
	n->ip = ip;
	n->mac = *mac;
	n->resolved = true;
}

static void
arp_fill(struct rte_mbuf *m, const struct rte_ether_addr *src_mac, uint32_t src_ip,
	 const struct rte_ether_addr *dst_mac, uint32_t dst_ip, uint16_t op,
	 const struct rte_ether_addr *eth_dst)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	eth->dst_addr = *eth_dst;
	eth->src_addr = *src_mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	arp->arp_data.arp_sha = *src_mac;
	arp->arp_data.arp_sip = src_ip;
	arp->arp_data.arp_tha = *dst_mac;
	arp->arp_data.arp_tip = dst_ip;
	/* Pad to the Ethernet minimum; some peers drop runts. */
	m->data_len = m->pkt_len = RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN;
	memset((uint8_t *)(arp + 1), 0, m->data_len - sizeof(*eth) - sizeof(*arp));
}

struct rte_mbuf *
fc_net_arp_request(const struct fc_net_ctx *ctx, uint32_t target_ip)
{
	static const struct rte_ether_addr zero;
	struct rte_ether_addr bcast;
	struct rte_mbuf *m = rte_pktmbuf_alloc(ctx->conf.pool);

	if (m == NULL)
		return NULL;
	memset(&bcast, 0xff, sizeof(bcast));
	arp_fill(m, &ctx->conf.mac, ctx->conf.ip, &zero, target_ip, RTE_ARP_OP_REQUEST, &bcast);
	return m;
}

static void
arp_input(struct fc_net_ctx *ctx, struct rte_mbuf *m)
{
	struct rte_arp_hdr *arp;

	if (m->data_len < sizeof(struct rte_ether_hdr) + sizeof(*arp)) {
		ctx->stats.rx_runt++;
		goto drop;
	}
	arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
	if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4) {
		ctx->stats.rx_other_proto++;
		goto drop;
	}
	uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
	bool for_us = arp->arp_data.arp_tip == ctx->conf.ip;

	/* RFC 826: update a known sender; add it only when the packet is for us. */
	if (arp->arp_data.arp_sip != 0)
		neigh_learn(ctx, arp->arp_data.arp_sip, &arp->arp_data.arp_sha, for_us);
	if (!for_us) {
		ctx->stats.rx_not_ours++;
		goto drop;
	}
	if (op == RTE_ARP_OP_REPLY) {
		ctx->stats.arp_rx_reply++;
		goto drop;
	}
	if (op != RTE_ARP_OP_REQUEST) {
		ctx->stats.rx_other_proto++;
		goto drop;
	}
	ctx->stats.arp_rx_request++;
	/* Answer in place: the request's buffer becomes the reply. */
	struct rte_ether_addr req_mac = arp->arp_data.arp_sha;
	uint32_t req_ip = arp->arp_data.arp_sip;

	rte_pktmbuf_reset(m);
	arp_fill(m, &ctx->conf.mac, ctx->conf.ip, &req_mac, req_ip, RTE_ARP_OP_REPLY, &req_mac);
	ctx->stats.arp_tx_reply++;
	txq_push(ctx, m);
	return;
drop:
	rte_pktmbuf_free(m);
}

static void
icmp_input(struct fc_net_ctx *ctx, struct rte_mbuf *m, struct rte_ether_hdr *eth,
	   struct rte_ipv4_hdr *ip, size_t ihl, size_t ip_len)
{
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	size_t icmp_len = ip_len - ihl;

	if (icmp_len < sizeof(*icmp)) {
		ctx->stats.rx_runt++;
		goto drop;
	}
	/* Echo is answered in place, so the message must sit in the first segment. */
	if (sizeof(*eth) + ip_len > m->data_len) {
		ctx->stats.rx_bad_ip++;
		goto drop;
	}
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
		ctx->stats.rx_other_proto++;
		goto drop;
	}
	if (fc_cksum(icmp, icmp_len) != 0) {
		ctx->stats.rx_bad_cksum++;
		goto drop;
	}
	ctx->stats.icmp_echo_rx++;

	/* RFC 792: the reply swaps addresses and echoes the data; reuse the buffer. */
	struct rte_ether_addr tmp = eth->src_addr;
	eth->src_addr = ctx->conf.mac;
	eth->dst_addr = tmp;
	ip->dst_addr = ip->src_addr;
	ip->src_addr = ctx->conf.ip;
	ip->time_to_live = 64;
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = fc_cksum(icmp, icmp_len);
	/* Trim Ethernet padding so the reply is exactly as long as the request's datagram. */
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - sizeof(*eth) - ip_len));
	m->ol_flags = 0;
	fc_net_ipv4_cksum_out(m, ip, ctx->conf.tx_ip_cksum_offload);
	ctx->stats.icmp_echo_tx++;
	txq_push(ctx, m);
	return;
drop:
	rte_pktmbuf_free(m);
}

enum fc_net_verdict
fc_net_input(struct fc_net_ctx *ctx, struct rte_mbuf *m, uint64_t now)
{
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;

	(void)now;
	ctx->stats.rx_frames++;
	/* Only the first segment is parsed: headers must sit in it (true for every PMD here). */
	if (m->data_len < sizeof(*eth)) {
		ctx->stats.rx_runt++;
		goto drop;
	}
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	if (!rte_is_same_ether_addr(&eth->dst_addr, &ctx->conf.mac) &&
	    !rte_is_broadcast_ether_addr(&eth->dst_addr)) {
		ctx->stats.rx_not_ours++;
		goto drop;
	}
	switch (rte_be_to_cpu_16(eth->ether_type)) {
	case RTE_ETHER_TYPE_ARP:
		arp_input(ctx, m);
		return FC_NET_CONSUMED;
	case RTE_ETHER_TYPE_IPV4:
		break;
	default:
		ctx->stats.rx_other_proto++;
		goto drop;
	}

	if (m->data_len < sizeof(*eth) + sizeof(*ip)) {
		ctx->stats.rx_runt++;
		goto drop;
	}
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	size_t ihl = (size_t)(ip->version_ihl & 0x0f) * 4;
	size_t ip_len = rte_be_to_cpu_16(ip->total_length);

	/* The datagram may continue in further segments (an mbuf chain from the ring pair, or a
	 * PMD's scatter RX): check the total length against the whole frame, and only the
	 * IP header against the first segment. */
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || ip_len < ihl ||
	    sizeof(*eth) + ihl > m->data_len || sizeof(*eth) + ip_len > rte_pktmbuf_pkt_len(m)) {
		ctx->stats.rx_bad_ip++;
		goto drop;
	}
	if (ip->dst_addr != ctx->conf.ip) {
		ctx->stats.rx_not_ours++;
		goto drop;
	}
	/* Fragments are not reassembled: the appliance's peers use MSS-sized segments. */
	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
		ctx->stats.rx_bad_ip++;
		goto drop;
	}
	if (ctx->conf.rx_cksum_offload &&
	    (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD) {
		/* verified by the NIC */
	} else if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
		   fc_cksum(ip, ihl) != 0) {
		ctx->stats.rx_bad_cksum++;
		goto drop;
	}
	/* Say so on the mbuf, as a NIC would: lib/tcp then does not sum the header again.
	 * (Not l2_len/l3_len: nothing reads them, lib/tcp parses the header itself, and they
	 * are on the header's second line, which a received frame otherwise never touches.) */
	m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_RX_IP_CKSUM_MASK) | RTE_MBUF_F_RX_IP_CKSUM_GOOD;

	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		return FC_NET_TCP;
	case IPPROTO_UDP:
		return FC_NET_UDP;
	case IPPROTO_ICMP:
		icmp_input(ctx, m, eth, ip, ihl, ip_len);
		return FC_NET_CONSUMED;
	default:
		ctx->stats.rx_other_proto++;
		goto drop;
	}
drop:
	rte_pktmbuf_free(m);
	return FC_NET_CONSUMED;
}

uint32_t
fc_net_next_hop(const struct fc_net_ctx *ctx, uint32_t ip)
{
	uint32_t mask = ctx->conf.prefix_len == 0 ? 0 :
		rte_cpu_to_be_32(~0u << (32 - ctx->conf.prefix_len));

	if ((ip & mask) == (ctx->conf.ip & mask))
		return ip;
	return ctx->conf.gateway;
}

int
fc_net_resolve(struct fc_net_ctx *ctx, uint32_t ip, uint64_t now, struct rte_ether_addr *mac)
{
	uint32_t hop = fc_net_next_hop(ctx, ip);
	struct fc_net_neigh *n;

	if (hop == 0)
		return -ENETUNREACH;
	n = neigh_find(ctx, hop);
	if (n == NULL) {
		n = neigh_find(ctx, 0);
		if (n == NULL)
			return -ENOSPC;
		memset(n, 0, sizeof(*n));
		n->ip = hop;
		n->next_try_ns = now;
	}
	if (n->resolved) {
		*mac = n->mac;
		return 0;
	}
	if (now < n->next_try_ns)
		return -EAGAIN;
	if (n->tries >= ctx->conf.arp_max_tries)
		return -ETIMEDOUT;
	struct rte_mbuf *m = fc_net_arp_request(ctx, hop);

	if (m == NULL) {
		ctx->stats.alloc_fail++;
		return -EAGAIN;
	}
	n->tries++;
	n->next_try_ns = now + ctx->conf.arp_retry_ns;
	ctx->stats.arp_tx_request++;
	txq_push(ctx, m);
	return -EAGAIN;
}
