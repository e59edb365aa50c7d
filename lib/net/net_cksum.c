/* SPDX-License-Identifier: BSD-3-Clause */
/* Checksums (RFC 1071) and address helpers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "fc_net.h"

/* Sum 16-bit words in network order into a 32-bit accumulator, RFC 1071 §4.1. */
static uint32_t
cksum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t
cksum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return rte_cpu_to_be_16((uint16_t)~sum);
}

uint16_t
fc_cksum(const void *buf, size_t len)
{
	return cksum_fold(cksum_add(0, buf, len));
}

uint16_t
fc_cksum_ipv4_hdr(const struct rte_ipv4_hdr *ip)
{
	size_t hlen = (size_t)(ip->version_ihl & 0x0f) * 4;
	uint32_t sum = cksum_add(0, ip, hlen);

	/* Take the checksum field as zero without writing to the header. */
	sum -= rte_be_to_cpu_16(ip->hdr_checksum);
	sum = (sum & 0xffff) + (sum >> 16);
	return cksum_fold(sum);
}

uint16_t
fc_cksum_ipv4_l4(const struct rte_ipv4_hdr *ip, const void *l4, size_t l4_len)
{
	uint32_t sum = 0;

	/* Pseudo-header, RFC 9293 §3.1: src, dst, zero, protocol, TCP length. */
	sum = cksum_add(sum, &ip->src_addr, 4);
	sum = cksum_add(sum, &ip->dst_addr, 4);
	sum += ip->next_proto_id;
	sum += (uint32_t)l4_len;
	sum = cksum_add(sum, l4, l4_len);
	return cksum_fold(sum);
}

void
fc_net_ipv4_cksum_out(struct rte_mbuf *m, struct rte_ipv4_hdr *ip, bool offload)
{
	ip->hdr_checksum = 0;
	if (offload) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
		m->l2_len = sizeof(struct rte_ether_hdr);
		m->l3_len = (ip->version_ihl & 0x0f) * 4;
	} else {
		ip->hdr_checksum = fc_cksum_ipv4_hdr(ip);
	}
}

const char *
fc_ip_str(uint32_t ip, char *buf)
{
	const uint8_t *b = (const uint8_t *)&ip;

	snprintf(buf, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	return buf;
}

int
fc_ip_parse(const char *s, uint32_t *ip, uint8_t *plen)
{
	unsigned a[4];
	unsigned len = 32;
	int n = 0;
	char tail;

	if (s == NULL)
		return -EINVAL;
	if (sscanf(s, "%3u.%3u.%3u.%3u%n", &a[0], &a[1], &a[2], &a[3], &n) != 4)
		return -EINVAL;
	if (s[n] == '/') {
		char *end;

		if (plen == NULL || s[n + 1] < '0' || s[n + 1] > '9')
			return -EINVAL;
		len = (unsigned)strtoul(s + n + 1, &end, 10);
		if (*end != '\0' || len > 32)
			return -EINVAL;
	} else if (sscanf(s + n, "%c", &tail) == 1) {
		return -EINVAL;
	}
	for (int i = 0; i < 4; i++)
		if (a[i] > 255)
			return -EINVAL;
	uint8_t *b = (uint8_t *)ip;
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)a[i];
	if (plen)
		*plen = (uint8_t)len;
	return 0;
}
