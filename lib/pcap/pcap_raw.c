/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Raw replay's capture in memory and its one rewrite. The checksums are summed here rather
 * than with lib/net's: those take DPDK's header types, and lib/pcap stays free of DPDK so
 * the fuzzers and the benchmark link it alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "fc_pcap_raw.h"

#define ETH_HLEN 14
#define ETYPE_IPV4 0x0800
#define ETYPE_VLAN 0x8100
#define ETYPE_QINQ 0x88a8

static int
grow(struct fc_pcap_raw *r, uint32_t caplen, uint64_t *cap_pk, uint64_t *cap_b)
{
	if (r->nb_pkts == *cap_pk) {
		uint64_t n = *cap_pk ? *cap_pk * 2 : 4096;
		struct fc_pcap_raw_pkt *p = realloc(r->pkts, sizeof(*p) * n);

		if (p == NULL)
			return -ENOMEM;
		r->pkts = p;
		*cap_pk = n;
	}
	if (r->nb_bytes + caplen > *cap_b) {
		uint64_t n = *cap_b ? *cap_b * 2 : 1 << 20;

		while (n < r->nb_bytes + caplen)
			n *= 2;
		uint8_t *b = realloc(r->bytes, n);

		if (b == NULL)
			return -ENOMEM;
		r->bytes = b;
		*cap_b = n;
	}
	return 0;
}

int
fc_pcap_raw_load(const char *path, struct fc_pcap_raw *r, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_open_offline(path, perr);
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t t0 = 0, cap_pk = 0, cap_b = 0;
	int rc, ret = 0;

	memset(r, 0, sizeof(*r));
	if (pc == NULL) {
		snprintf(err, errlen, "%s: %s", path, perr);
		return -EINVAL;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(pcap_datalink(pc));

		snprintf(err, errlen, "%s: link type %s (%d): --raw replays Ethernet captures only",
			 path, name ? name : "unknown", pcap_datalink(pc));
		pcap_close(pc);
		return -EINVAL;
	}
	bool nano = pcap_get_tstamp_precision(pc) == PCAP_TSTAMP_PRECISION_NANO;

	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ull +
			      (uint64_t)h->ts.tv_usec * (nano ? 1 : 1000);

		if (r->nb_pkts == FC_PCAP_RAW_MAX_PACKETS ||
		    r->nb_bytes + h->caplen > FC_PCAP_RAW_MAX_BYTES) {
			snprintf(err, errlen, "%s: more than %u packets or %llu bytes; --raw holds the "
				 "capture in memory", path, FC_PCAP_RAW_MAX_PACKETS, FC_PCAP_RAW_MAX_BYTES);
			ret = -EINVAL;
			break;
		}
		if (h->caplen < ETH_HLEN || h->caplen > FC_PCAP_RAW_MAX_FRAME) {
			r->skipped++;
			continue;
		}
		ret = grow(r, h->caplen, &cap_pk, &cap_b);
		if (ret != 0)
			break;
		if (r->nb_pkts == 0)
			t0 = ts;
		struct fc_pcap_raw_pkt *p = &r->pkts[r->nb_pkts++];

		memset(p, 0, sizeof(*p));
		p->off = r->nb_bytes;
		p->len = h->caplen;
		p->t_ns = ts > t0 ? ts - t0 : 0;
		p->cut = h->caplen < h->len;
		r->cut += p->cut;
		memcpy(r->bytes + r->nb_bytes, data, h->caplen);
		r->nb_bytes += h->caplen;
	}
	if (ret == 0 && rc == -1) {
		/* A capture cut short (tcpdump killed, disk full): what was read is replayed. */
		r->truncated = true;
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(pc));
	}
	pcap_close(pc);
	if (ret == 0 && r->nb_pkts == 0) {
		snprintf(err, errlen, "%s: no Ethernet packet to replay", path);
		ret = -EINVAL;
	}
	return ret;
}

/* RFC 1071 §4.1: 16-bit words in network order. */
static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

/* Folded, complemented, written in network order at @p at. */
static void
put_cksum(uint8_t *at, uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	at[0] = (uint8_t)(sum >> 8);
	at[1] = (uint8_t)sum;
}

static void
map_addr(uint8_t *a, const struct fc_pcap_ip_map *map, unsigned nb_map)
{
	for (unsigned i = 0; i < nb_map; i++)
		if (memcmp(a, &map[i].from, 4) == 0)
			memcpy(a, &map[i].to, 4);
}

static void
rewrite_one(struct fc_pcap_raw_pkt *p, uint8_t *f, const uint8_t src[6], const uint8_t dst[6],
	    const struct fc_pcap_ip_map *map, unsigned nb_map)
{
	uint32_t off = ETH_HLEN, len = p->len;
	uint16_t type = (uint16_t)(f[12] << 8 | f[13]);

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	for (int tags = 0; (type == ETYPE_VLAN || type == ETYPE_QINQ) && tags < 4 && off + 4 <= len;
	     tags++) {
		type = (uint16_t)(f[off + 2] << 8 | f[off + 3]);
		off += 4;
	}
	if (type != ETYPE_IPV4 || off + 20 > len)
		return;
	uint8_t *ip = f + off;
	uint32_t ihl = (uint32_t)(ip[0] & 0xf) * 4;

	if ((ip[0] >> 4) != 4 || ihl < 20 || off + ihl > len)
		return;
	map_addr(ip + 12, map, nb_map);
	map_addr(ip + 16, map, nb_map);
	ip[10] = ip[11] = 0;
	put_cksum(ip + 10, sum16(0, ip, ihl));
	p->ip_fixed = true;

	uint32_t tot = (uint32_t)(ip[2] << 8 | ip[3]);
	uint16_t frag = (uint16_t)(ip[6] << 8 | ip[7]);

	/* The L4 checksum covers the whole segment: only when it is all here and unfragmented. */
	if (p->cut || tot < ihl || off + tot > len || (frag & 0x3fff) != 0)
		return;
	uint8_t *l4 = ip + ihl;
	uint32_t l4_len = tot - ihl, at;

	if (ip[9] == 6 && l4_len >= 20)
		at = 16;
	else if (ip[9] == 17 && l4_len >= 8)
		at = 6;
	else
		return;
	l4[at] = l4[at + 1] = 0;
	/* Pseudo-header, RFC 9293 §3.1: src, dst, zero, protocol, length. */
	uint32_t sum = sum16(sum16(0, ip + 12, 8), l4, l4_len) + ip[9] + l4_len;

	put_cksum(l4 + at, sum);
	if (ip[9] == 17 && l4[at] == 0 && l4[at + 1] == 0)
		l4[at] = l4[at + 1] = 0xff; /* RFC 768: 0 means no checksum */
	p->l4_fixed = true;
}

void
fc_pcap_raw_rewrite(struct fc_pcap_raw *r, const uint8_t src[6], const uint8_t dst[6],
		    const struct fc_pcap_ip_map *map, unsigned nb_map)
{
	r->ip_fixed = r->l4_fixed = 0;
	for (uint32_t i = 0; i < r->nb_pkts; i++) {
		struct fc_pcap_raw_pkt *p = &r->pkts[i];

		rewrite_one(p, r->bytes + p->off, src, dst, map, nb_map);
		r->ip_fixed += p->ip_fixed;
		r->l4_fixed += p->l4_fixed;
	}
}

void
fc_pcap_raw_free(struct fc_pcap_raw *r)
{
	free(r->pkts);
	free(r->bytes);
	memset(r, 0, sizeof(*r));
}
