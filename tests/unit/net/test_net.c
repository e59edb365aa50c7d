/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/net: checksums against known vectors, ARP and ICMP on canned frames in real mbufs. */
#include <errno.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "fc_net.h"
#include "fc_test.h"

static const struct rte_ether_addr our_mac = {{0x02, 0xfc, 0, 0, 0, 1}};
static const struct rte_ether_addr peer_mac = {{0x02, 0xfc, 0, 0, 0, 2}};
#define OUR_IP RTE_BE32(FC_TEST_IPV4(198, 18, 0, 1))
#define PEER_IP RTE_BE32(FC_TEST_IPV4(198, 18, 0, 2))

static void
test_cksum_vectors(void)
{
	/* RFC 1071 §3 example: the one's-complement sum of these words is 0xddf2. */
	static const uint8_t rfc1071[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	CHECK_EQ(rte_be_to_cpu_16(fc_cksum(rfc1071, sizeof(rfc1071))), (uint16_t)~0xddf2);

	/* A captured IPv4 header whose checksum field holds 0xb861. */
	static const uint8_t iph[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	CHECK_EQ(rte_be_to_cpu_16(fc_cksum_ipv4_hdr((const struct rte_ipv4_hdr *)iph)), 0xb861);
	/* Verifying a correct header gives 0. */
	CHECK_EQ(fc_cksum(iph, sizeof(iph)), 0);

	/* Odd length: the last byte is padded with zero. */
	static const uint8_t odd[] = {0x12, 0x34, 0x56};
	CHECK_EQ(rte_be_to_cpu_16(fc_cksum(odd, 3)), (uint16_t)~(0x1234 + 0x5600));

	/* TCP pseudo-header sum agrees with DPDK's independent implementation. */
	uint8_t buf[sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr) + 37];
	memset(buf, 0, sizeof(buf));
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(sizeof(buf));
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = OUR_IP;
	ip->dst_addr = PEER_IP;
	tcp->src_port = rte_cpu_to_be_16(40000);
	tcp->dst_port = rte_cpu_to_be_16(80);
	tcp->data_off = 5 << 4;
	for (unsigned i = 0; i < 37; i++)
		buf[sizeof(buf) - 37 + i] = (uint8_t)(i * 7 + 3);
	uint16_t ours = fc_cksum_ipv4_l4(ip, tcp, sizeof(buf) - sizeof(*ip));
	uint16_t dpdk = rte_ipv4_udptcp_cksum(ip, tcp);
	CHECK_EQ(ours, dpdk);
	tcp->cksum = ours;
	CHECK_EQ(fc_cksum_ipv4_l4(ip, tcp, sizeof(buf) - sizeof(*ip)), 0);
}

static void
test_ip_parse(void)
{
	uint32_t ip;
	uint8_t plen;
	char s[16];

	CHECK_EQ(fc_ip_parse("198.18.0.1/15", &ip, &plen), 0);
	CHECK_EQ(ip, OUR_IP);
	CHECK_EQ(plen, 15);
	CHECK(strcmp(fc_ip_str(ip, s), "198.18.0.1") == 0);
	CHECK_EQ(fc_ip_parse("198.18.0.2", &ip, &plen), 0);
	CHECK_EQ(plen, 32);
	CHECK_EQ(fc_ip_parse("198.18.0.256", &ip, &plen), -EINVAL);
	CHECK_EQ(fc_ip_parse("198.18.0.1/33", &ip, &plen), -EINVAL);
	CHECK_EQ(fc_ip_parse("198.18.0.1x", &ip, &plen), -EINVAL);
	CHECK_EQ(fc_ip_parse("198.18.0.1/15", &ip, NULL), -EINVAL);
	CHECK_EQ(fc_ip_parse("host", &ip, &plen), -EINVAL);
}

static struct rte_mbuf *
canned_arp(struct rte_mempool *mp, uint16_t op, uint32_t tip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, 60);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	memset(eth, 0, 60);
	memset(&eth->dst_addr, 0xff, 6);
	eth->src_addr = peer_mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = 6;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	arp->arp_data.arp_sha = peer_mac;
	arp->arp_data.arp_sip = PEER_IP;
	arp->arp_data.arp_tip = tip;
	if (op == RTE_ARP_OP_REPLY)
		eth->dst_addr = our_mac;
	return m;
}

static struct rte_mbuf *
canned_ping(struct rte_mempool *mp, uint32_t dst, uint16_t payload, bool good_cksum)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	size_t ip_len = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_icmp_hdr) + payload;
	struct rte_ether_hdr *eth =
		(struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*eth) + ip_len));
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(ip + 1);

	memset(eth, 0, sizeof(*eth) + ip_len);
	eth->dst_addr = our_mac;
	eth->src_addr = peer_mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)ip_len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = PEER_IP;
	ip->dst_addr = dst;
	ip->hdr_checksum = fc_cksum_ipv4_hdr(ip);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_ident = rte_cpu_to_be_16(0x1234);
	icmp->icmp_seq_nb = rte_cpu_to_be_16(7);
	for (unsigned i = 0; i < payload; i++)
		((uint8_t *)(icmp + 1))[i] = (uint8_t)i;
	icmp->icmp_cksum = fc_cksum(icmp, ip_len - sizeof(*ip));
	if (!good_cksum)
		icmp->icmp_cksum ^= 0x0101;
	return m;
}

static void
test_arp_icmp(struct rte_mempool *mp)
{
	struct fc_net_ctx ctx;
	struct fc_net_conf conf = {
		.mac = our_mac, .ip = OUR_IP, .prefix_len = 15, .pool = mp,
		.arp_retry_ns = 100, .arp_max_tries = 3,
	};
	struct rte_mbuf *out[8];
	unsigned start = rte_mempool_avail_count(mp);

	CHECK_EQ(fc_net_init(&ctx, &conf), 0);

	/* ARP request for us: a reply with our MAC, addressed to the asker. */
	CHECK_EQ(fc_net_input(&ctx, canned_arp(mp, RTE_ARP_OP_REQUEST, OUR_IP), 0), FC_NET_CONSUMED);
	CHECK_EQ(fc_net_tx_bulk(&ctx, out, 8), 1);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	CHECK(rte_is_same_ether_addr(&eth->dst_addr, &peer_mac));
	CHECK(rte_is_same_ether_addr(&eth->src_addr, &our_mac));
	CHECK_EQ(rte_be_to_cpu_16(arp->arp_opcode), RTE_ARP_OP_REPLY);
	CHECK(rte_is_same_ether_addr(&arp->arp_data.arp_sha, &our_mac));
	CHECK_EQ(arp->arp_data.arp_sip, OUR_IP);
	CHECK_EQ(arp->arp_data.arp_tip, PEER_IP);
	CHECK_EQ(rte_pktmbuf_pkt_len(out[0]), 60);
	rte_pktmbuf_free(out[0]);
	CHECK_EQ(ctx.stats.arp_rx_request, 1);

	/* ARP request for another address: no reply, counted. */
	fc_net_input(&ctx, canned_arp(mp, RTE_ARP_OP_REQUEST, RTE_BE32(FC_TEST_IPV4(198, 18, 0, 9))), 0);
	CHECK_EQ(fc_net_tx_bulk(&ctx, out, 8), 0);
	CHECK_EQ(ctx.stats.rx_not_ours, 1);

	/* Echo request: reply with swapped addresses, same id/seq/data, valid checksums. */
	CHECK_EQ(fc_net_input(&ctx, canned_ping(mp, OUR_IP, 56, true), 0), FC_NET_CONSUMED);
	CHECK_EQ(fc_net_tx_bulk(&ctx, out, 8), 1);
	eth = rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(ip + 1);
	CHECK(rte_is_same_ether_addr(&eth->dst_addr, &peer_mac));
	CHECK_EQ(ip->src_addr, OUR_IP);
	CHECK_EQ(ip->dst_addr, PEER_IP);
	CHECK_EQ(fc_cksum(ip, sizeof(*ip)), 0);
	CHECK_EQ(icmp->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	CHECK_EQ(rte_be_to_cpu_16(icmp->icmp_seq_nb), 7);
	CHECK_EQ(fc_cksum(icmp, sizeof(*icmp) + 56), 0);
	CHECK_EQ(((uint8_t *)(icmp + 1))[55], 55);
	CHECK_EQ(rte_pktmbuf_pkt_len(out[0]), sizeof(*eth) + sizeof(*ip) + sizeof(*icmp) + 56);
	rte_pktmbuf_free(out[0]);

	/* Bad ICMP checksum, echo for another address, runt, bad IP version: all counted drops. */
	fc_net_input(&ctx, canned_ping(mp, OUR_IP, 8, false), 0);
	fc_net_input(&ctx, canned_ping(mp, PEER_IP, 8, true), 0);
	struct rte_mbuf *runt = rte_pktmbuf_alloc(mp);
	rte_pktmbuf_append(runt, 10);
	fc_net_input(&ctx, runt, 0);
	struct rte_mbuf *badv = canned_ping(mp, OUR_IP, 8, true);
	rte_pktmbuf_mtod_offset(badv, struct rte_ipv4_hdr *, 14)->version_ihl = 0x65;
	fc_net_input(&ctx, badv, 0);
	struct rte_mbuf *badlen = canned_ping(mp, OUR_IP, 8, true);
	rte_pktmbuf_mtod_offset(badlen, struct rte_ipv4_hdr *, 14)->total_length = RTE_BE16(1400);
	fc_net_input(&ctx, badlen, 0);
	CHECK_EQ(fc_net_tx_bulk(&ctx, out, 8), 0);
	CHECK_EQ(ctx.stats.rx_bad_cksum, 1);
	CHECK_EQ(ctx.stats.rx_not_ours, 2);
	CHECK_EQ(ctx.stats.rx_runt, 1);
	CHECK_EQ(ctx.stats.rx_bad_ip, 2);
	CHECK_EQ(ctx.stats.icmp_echo_tx, 1);

	CHECK_EQ(rte_mempool_avail_count(mp), start);
}

static void
test_resolve(struct rte_mempool *mp)
{
	struct fc_net_ctx ctx;
	struct fc_net_conf conf = {
		.mac = our_mac, .ip = OUR_IP, .prefix_len = 15, .pool = mp,
		.arp_retry_ns = 1000, .arp_max_tries = 3,
	};
	struct rte_ether_addr mac;
	struct rte_mbuf *out[8];
	unsigned start = rte_mempool_avail_count(mp);

	fc_net_init(&ctx, &conf);
	/* First call sends a request, then nothing until the retry interval. */
	CHECK_EQ(fc_net_resolve(&ctx, PEER_IP, 0, &mac), -EAGAIN);
	CHECK_EQ(fc_net_resolve(&ctx, PEER_IP, 999, &mac), -EAGAIN);
	CHECK_EQ(fc_net_tx_bulk(&ctx, out, 8), 1);
	struct rte_arp_hdr *arp = rte_pktmbuf_mtod_offset(out[0], struct rte_arp_hdr *, 14);
	CHECK_EQ(rte_be_to_cpu_16(arp->arp_opcode), RTE_ARP_OP_REQUEST);
	CHECK_EQ(arp->arp_data.arp_tip, PEER_IP);
	CHECK(rte_is_broadcast_ether_addr(&rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *)->dst_addr));
	rte_pktmbuf_free(out[0]);
	/* Retries at 1000 and 2000, then a timeout once the third interval passes unanswered. */
	CHECK_EQ(fc_net_resolve(&ctx, PEER_IP, 1000, &mac), -EAGAIN);
	CHECK_EQ(fc_net_resolve(&ctx, PEER_IP, 2000, &mac), -EAGAIN);
	CHECK_EQ(fc_net_resolve(&ctx, PEER_IP, 2999, &mac), -EAGAIN);
	CHECK_EQ(fc_net_resolve(&ctx, PEER_IP, 3000, &mac), -ETIMEDOUT);
	CHECK_EQ(ctx.stats.arp_tx_request, 3);
	CHECK_EQ(fc_net_tx_bulk(&ctx, out, 8), 2);
	rte_pktmbuf_free_bulk(out, 2);

	/* A fresh context: the reply arrives and resolution succeeds. */
	fc_net_init(&ctx, &conf);
	CHECK_EQ(fc_net_resolve(&ctx, PEER_IP, 0, &mac), -EAGAIN);
	fc_net_flush(&ctx);
	fc_net_input(&ctx, canned_arp(mp, RTE_ARP_OP_REPLY, OUR_IP), 10);
	CHECK_EQ(fc_net_resolve(&ctx, PEER_IP, 20, &mac), 0);
	CHECK(rte_is_same_ether_addr(&mac, &peer_mac));

	/* Off-link target without a gateway; with one, the gateway is resolved. */
	uint32_t far = RTE_BE32(FC_TEST_IPV4(198, 51, 100, 1));
	CHECK_EQ(fc_net_resolve(&ctx, far, 30, &mac), -ENETUNREACH);
	ctx.conf.gateway = PEER_IP;
	CHECK_EQ(fc_net_next_hop(&ctx, far), PEER_IP);
	CHECK_EQ(fc_net_resolve(&ctx, far, 30, &mac), 0);
	CHECK_EQ(rte_mempool_avail_count(mp), start);
}

/* A TCP frame whose payload sits in a second segment (what the ring pair delivers when the
 * sender built a chain) is IPv4/TCP for us, not a bad datagram. */
static void
test_chained_frame(struct rte_mempool *mp)
{
	struct fc_net_ctx ctx;
	struct fc_net_conf conf = {.mac = our_mac, .ip = OUR_IP, .prefix_len = 15, .pool = mp};
	unsigned start = rte_mempool_avail_count(mp);
	struct rte_mbuf *h = rte_pktmbuf_alloc(mp), *p = rte_pktmbuf_alloc(mp);
	size_t hl = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_append(h, (uint16_t)hl);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

	fc_net_init(&ctx, &conf);
	memset(eth, 0, hl);
	eth->dst_addr = our_mac;
	eth->src_addr = peer_mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(hl - sizeof(*eth) + 300));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = PEER_IP;
	ip->dst_addr = OUR_IP;
	ip->hdr_checksum = fc_cksum_ipv4_hdr(ip);
	memset(rte_pktmbuf_append(p, 300), 'x', 300);
	CHECK_EQ(rte_pktmbuf_chain(h, p), 0);
	CHECK_EQ(fc_net_input(&ctx, h, 0), FC_NET_TCP);
	CHECK_EQ(ctx.stats.rx_bad_ip, 0);
	rte_pktmbuf_free(h);

	/* The same frame truncated: the IP length claims more than the chain holds. */
	h = rte_pktmbuf_alloc(mp);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(h, (uint16_t)hl);
	memset(eth, 0, hl);
	eth->dst_addr = our_mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(hl - sizeof(*eth) + 300));
	ip->next_proto_id = IPPROTO_TCP;
	ip->dst_addr = OUR_IP;
	ip->hdr_checksum = fc_cksum_ipv4_hdr(ip);
	CHECK_EQ(fc_net_input(&ctx, h, 0), FC_NET_CONSUMED);
	CHECK_EQ(ctx.stats.rx_bad_ip, 1);
	CHECK_EQ(rte_mempool_avail_count(mp), start);
}

int
main(int argc, char **argv)
{
	(void)argc;
	if (fc_test_eal_init(argv[0], 64) < 0)
		return 1;
	struct rte_mempool *mp = rte_pktmbuf_pool_create("net_test", 255, 0, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL) {
		fprintf(stderr, "mempool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	test_cksum_vectors();
	test_ip_parse();
	test_arp_icmp(mp);
	test_resolve(mp);
	test_chained_frame(mp);
	return fc_test_result("net");
}
