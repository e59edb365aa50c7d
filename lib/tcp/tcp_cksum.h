/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RFC 1071 sum of the TCP segment, eight bytes per step. DPDK 22.11's rte_raw_cksum()
 * adds one 16-bit word per step, with each addition waiting for the previous one: ~90 dependent
 * additions per small segment, once to send it and once to verify it, which was about a
 * tenth of a keep-alive request's cost on each core of the embedded pair.
 */
#ifndef TCP_CKSUM_H
#define TCP_CKSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_ip.h>

/*
 * Folded 16-bit ones' complement sum of @len bytes, in host order of the 16-bit words: the
 * value rte_raw_cksum() returns. The sum of 32-bit words folds to the sum of their 16-bit
 * halves (2^16 = 1 modulo 2^16 - 1, RFC 1071 §2(C)), so words of any width give the same
 * result; two accumulators halve the dependency chain. An odd last byte counts as the first
 * byte of a zero-padded word.
 */
static inline uint16_t
tcp_raw_cksum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t a = 0, b = 0;
	uint32_t w;

	for (; len >= 16; p += 16, len -= 16) {
		uint64_t x, y;

		memcpy(&x, p, 8);
		memcpy(&y, p + 8, 8);
		a += (x & 0xffffffffu) + (x >> 32);
		b += (y & 0xffffffffu) + (y >> 32);
	}
	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&w, p, 4);
		a += w;
	}
	if (len >= 2) {
		uint16_t h;

		memcpy(&h, p, 2);
		b += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t h = 0;

		memcpy(&h, p, 1);
		b += h;
	}
	a += b;
	/* Fold 64 -> 16 bits, end-around carry each time. */
	a = (a & 0xffffffffu) + (a >> 32);
	a = (a & 0xffffffffu) + (a >> 32);
	a = (a & 0xffff) + (a >> 16);
	a = (a & 0xffff) + (a >> 16);
	return (uint16_t)a;
}

/* Folded sum of a contiguous IPv4 TCP segment and its pseudo-header. */
static inline uint16_t
tcp_sum_ipv4(const struct rte_ipv4_hdr *ip, const void *l4, size_t l4_len)
{
	uint32_t s = (uint32_t)tcp_raw_cksum(l4, l4_len) + rte_ipv4_phdr_cksum(ip, 0);

	return (uint16_t)((s & 0xffff) + (s >> 16));
}

/* The TCP checksum field of an IPv4 segment whose checksum field is zero (what
 * rte_ipv4_udptcp_cksum() returns), for a segment contiguous in memory. */
static inline uint16_t
tcp_cksum_ipv4(const struct rte_ipv4_hdr *ip, const void *l4, size_t l4_len)
{
	uint16_t c = (uint16_t)~tcp_sum_ipv4(ip, l4, l4_len);

	return c == 0 ? 0xffff : c;
}

/* True when a contiguous IPv4 TCP segment's checksum is right. */
static inline int
tcp_cksum_ipv4_ok(const struct rte_ipv4_hdr *ip, const void *l4, size_t l4_len)
{
	return tcp_sum_ipv4(ip, l4, l4_len) == 0xffff;
}

#endif /* TCP_CKSUM_H */
