/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Raw replay's capture: frames and timestamps read, the rewrite (MACs, --map-ip, every
 * IPv4 and TCP checksum right whatever the capture held, VLAN tags skipped, a frame cut by
 * the snaplen keeps its L4 checksum), non-Ethernet captures refused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fc_pcap_raw.h"
#include "fc_test.h"
#include "pcap_craft.h"

/* RFC 1071: a region holding its own checksum sums to 0xffff. */
static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t
sum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static void
check_frame(const uint8_t *f, uint32_t len, uint32_t l2, bool l4_ok)
{
	const uint8_t *ip = f + l2, *tcp = ip + 20;
	uint32_t tot = (uint32_t)(ip[2] << 8 | ip[3]);

	CHECK(memcmp(f, "\x02\xaa\xaa\xaa\xaa\xaa", 6) == 0);
	CHECK(memcmp(f + 6, "\x02\xbb\xbb\xbb\xbb\xbb", 6) == 0);
	CHECK(memcmp(ip + 16, "\xc6\x12\x00\x03", 4) == 0); /* 198.18.0.2 mapped to .3 */
	CHECK(memcmp(ip + 12, "\xc6\x12\x00\x01", 4) == 0);
	CHECK_EQ(fold(sum16(ip, 20)), 0xffff);
	if (l4_ok && l2 + tot <= len)
		CHECK_EQ(fold(sum16(ip + 12, 8) + 6 + (tot - 20) + sum16(tcp, tot - 20)), 0xffff);
	else
		CHECK(tcp[16] == 0xde && tcp[17] == 0xad);
}

int
main(void)
{
	static const uint8_t src[6] = {2, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb};
	static const uint8_t dst[6] = {2, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
	struct fc_pcap_ip_map map = {.from = htonl(0xc6120002), .to = htonl(0xc6120003)};
	struct fc_pcap_raw r;
	struct craft c;
	char err[256];

	for (int vlan = 0; vlan < 2; vlan++) {
		CHECK_EQ(craft_open(&c, vlan ? L2_VLAN : L2_ETH, 65535, false), 0);
		craft_tcp(&c, 1000000000ull, 0xc6120001, 0xc6120002, 40000, 80, TF_SYN, 1, 0, NULL, 0);
		craft_tcp(&c, 1250000000ull, 0xc6120001, 0xc6120002, 40000, 80, TF_ACK | TF_PSH, 2, 1,
			  "GET / HTTP/1.1\r\n\r\n", 18);
		craft_close(&c);
		CHECK_EQ(fc_pcap_raw_load(c.path, &r, err, sizeof(err)), 0);
		CHECK_EQ(r.nb_pkts, 2);
		CHECK(!r.truncated);
		CHECK_EQ(r.pkts[0].t_ns, 0);
		CHECK_EQ(r.pkts[1].t_ns, 250000000ull);
		fc_pcap_raw_rewrite(&r, src, dst, &map, 1);
		CHECK_EQ(r.ip_fixed, 2);
		CHECK_EQ(r.l4_fixed, 2);
		for (uint32_t i = 0; i < r.nb_pkts; i++)
			check_frame(r.bytes + r.pkts[i].off, r.pkts[i].len, vlan ? 18 : 14, true);
		fc_pcap_raw_free(&r);
		craft_remove(&c);
	}
	/* Cut by the snaplen: the IPv4 checksum is fixed, the TCP one left as captured. */
	CHECK_EQ(craft_open(&c, L2_ETH, 60, false), 0);
	craft_tcp(&c, 0, 0xc6120001, 0xc6120002, 40000, 80, TF_ACK, 2, 1,
		  "GET /a-long-enough-path HTTP/1.1\r\n\r\n", 36);
	craft_close(&c);
	CHECK_EQ(fc_pcap_raw_load(c.path, &r, err, sizeof(err)), 0);
	CHECK_EQ(r.cut, 1);
	fc_pcap_raw_rewrite(&r, src, dst, &map, 1);
	CHECK_EQ(r.ip_fixed, 1);
	CHECK_EQ(r.l4_fixed, 0);
	check_frame(r.bytes, r.pkts[0].len, 14, false);
	fc_pcap_raw_free(&r);
	craft_remove(&c);

	CHECK_EQ(craft_open(&c, L2_RAW, 65535, false), 0);
	craft_tcp(&c, 0, 0xc6120001, 0xc6120002, 40000, 80, TF_SYN, 1, 0, NULL, 0);
	craft_close(&c);
	CHECK_EQ(fc_pcap_raw_load(c.path, &r, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "--raw replays Ethernet captures only");
	fc_pcap_raw_free(&r);
	craft_remove(&c);

	CHECK_EQ(fc_pcap_raw_load("/nonexistent.pcap", &r, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "/nonexistent.pcap");
	fc_pcap_raw_free(&r);
	return fc_test_result("pcap_raw");
}
