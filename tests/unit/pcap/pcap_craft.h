/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capture crafting for the lib/pcap tests and benchmark: Ethernet (optionally VLAN/QinQ),
 * Linux SLL/SLL2 or raw IPv4 frames carrying hand-made TCP segments, written to a pcap
 * file with libpcap (pcap_open_dead + pcap_dump) or to a hand-written pcapng file
 * (libpcap cannot write pcapng). TCP and IP checksums are left wrong on purpose: captures
 * taken with checksum offload look like that, and the extractor must not care.
 */
#ifndef PCAP_CRAFT_H
#define PCAP_CRAFT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

enum craft_l2 { L2_ETH = 0, L2_VLAN, L2_QINQ, L2_SLL, L2_SLL2, L2_RAW, L2_NULL };

struct craft {
	char path[64];
	enum craft_l2 l2;
	uint32_t snaplen;
	pcap_t *dead;
	pcap_dumper_t *dumper;
	FILE *ng;               /* pcapng output when not NULL */
};

/* One TCP connection being written: both sides' next sequence numbers. */
struct tconn {
	uint32_t cip, sip;      /* host order */
	uint16_t cport, sport;
	uint32_t cseq, sseq;    /* next sequence number each side sends */
};

static inline int
craft_dlt(enum craft_l2 l2)
{
	switch (l2) {
	case L2_SLL: return DLT_LINUX_SLL;
	case L2_SLL2: return DLT_LINUX_SLL2;
	case L2_RAW: return DLT_RAW;
	case L2_NULL: return DLT_NULL;
	default: return DLT_EN10MB;
	}
}

static inline void
ng_write(FILE *f, const void *p, size_t n)
{
	if (fwrite(p, 1, n, f) != n)
		abort();
}

static inline void
ng_u32(FILE *f, uint32_t v)
{
	ng_write(f, &v, 4);
}

/* Open a capture in a temp file. pcapng: hand-written blocks, nanosecond resolution. */
static inline int
craft_open(struct craft *c, enum craft_l2 l2, uint32_t snaplen, bool pcapng)
{
	int fd;

	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "/tmp/fc_pcap_test_XXXXXX");
	fd = mkstemp(c->path);
	if (fd < 0)
		return -1;
	close(fd);
	c->l2 = l2;
	c->snaplen = snaplen;
	if (pcapng) {
		uint16_t lt = (uint16_t)craft_dlt(l2), zero16 = 0;

		c->ng = fopen(c->path, "wb");
		if (c->ng == NULL)
			return -1;
		/* Section Header Block. */
		ng_u32(c->ng, 0x0A0D0D0A);
		ng_u32(c->ng, 28);
		ng_u32(c->ng, 0x1A2B3C4D);
		{
			uint16_t v[2] = { 1, 0 };
			int64_t len = -1;

			ng_write(c->ng, v, 4);
			ng_write(c->ng, &len, 8);
		}
		ng_u32(c->ng, 28);
		/* Interface Description Block with if_tsresol = 9 (nanoseconds). */
		ng_u32(c->ng, 1);
		ng_u32(c->ng, 32);
		ng_write(c->ng, &lt, 2);
		ng_write(c->ng, &zero16, 2);
		ng_u32(c->ng, snaplen);
		{
			uint16_t code = 9, olen = 1;
			uint8_t val[4] = { 9, 0, 0, 0 };

			ng_write(c->ng, &code, 2);
			ng_write(c->ng, &olen, 2);
			ng_write(c->ng, val, 4);
			ng_u32(c->ng, 0); /* opt_endofopt */
		}
		ng_u32(c->ng, 32);
		return 0;
	}
	c->dead = pcap_open_dead_with_tstamp_precision(craft_dlt(l2), (int)snaplen,
		PCAP_TSTAMP_PRECISION_NANO);
	if (c->dead == NULL)
		return -1;
	c->dumper = pcap_dump_open(c->dead, c->path);
	return c->dumper ? 0 : -1;
}

static inline void
craft_close(struct craft *c)
{
	if (c->ng) {
		fclose(c->ng);
		c->ng = NULL;
	}
	if (c->dumper) {
		pcap_dump_close(c->dumper);
		c->dumper = NULL;
	}
	if (c->dead) {
		pcap_close(c->dead);
		c->dead = NULL;
	}
}

static inline void
craft_remove(struct craft *c)
{
	unlink(c->path);
}

/* Write one frame of @len wire bytes; at most snaplen of them are stored. */
static inline void
craft_frame(struct craft *c, uint64_t ts_ns, const uint8_t *frame, uint32_t len)
{
	uint32_t cap = len < c->snaplen ? len : c->snaplen;

	if (c->ng) {
		uint32_t pad = (4 - (cap & 3)) & 3, tot = 32 + cap + pad;
		uint8_t zeros[4] = { 0 };

		ng_u32(c->ng, 6);
		ng_u32(c->ng, tot);
		ng_u32(c->ng, 0);
		ng_u32(c->ng, (uint32_t)(ts_ns >> 32));
		ng_u32(c->ng, (uint32_t)ts_ns);
		ng_u32(c->ng, cap);
		ng_u32(c->ng, len);
		ng_write(c->ng, frame, cap);
		ng_write(c->ng, zeros, pad);
		ng_u32(c->ng, tot);
		return;
	}
	struct pcap_pkthdr h;

	h.ts.tv_sec = (time_t)(ts_ns / 1000000000ull);
	h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000ull); /* nanoseconds: NANO dumper */
	h.caplen = cap;
	h.len = len;
	pcap_dump((u_char *)c->dumper, &h, frame);
}

static inline uint8_t *
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static inline uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

#define TF_FIN 0x01
#define TF_SYN 0x02
#define TF_RST 0x04
#define TF_PSH 0x08
#define TF_ACK 0x10

/* Build and write one IPv4/TCP segment. Returns the frame length. */
static inline uint32_t
craft_tcp(struct craft *c, uint64_t ts_ns, uint32_t sip, uint32_t dip, uint16_t sport,
		uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack, const void *payload,
		uint32_t plen)
{
	static uint8_t f[70000];
	uint8_t *p = f, *ip;
	uint32_t len;

	switch (c->l2) {
	case L2_ETH:
	case L2_VLAN:
	case L2_QINQ:
		memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
		p += 12;
		if (c->l2 == L2_QINQ) {
			p = put16(p, 0x88a8);
			p = put16(p, 100);
		}
		if (c->l2 != L2_ETH) {
			p = put16(p, 0x8100);
			p = put16(p, 42);
		}
		p = put16(p, 0x0800);
		break;
	case L2_SLL:
		p = put16(p, 0);        /* packet type: to us */
		p = put16(p, 1);        /* ARPHRD_ETHER */
		p = put16(p, 6);
		memcpy(p, "\x02\x00\x00\x00\x00\x01\x00\x00", 8);
		p += 8;
		p = put16(p, 0x0800);
		break;
	case L2_SLL2:
		p = put16(p, 0x0800);
		p = put16(p, 0);
		p = put32(p, 3);        /* interface index */
		p = put16(p, 1);
		*p++ = 0;
		*p++ = 6;
		memcpy(p, "\x02\x00\x00\x00\x00\x01\x00\x00", 8);
		p += 8;
		break;
	case L2_RAW:
		break;
	case L2_NULL:
		/* BSD loopback: the address family in the capturing host's byte order (LE here). */
		memcpy(p, "\x02\x00\x00\x00", 4);
		p += 4;
		break;
	}
	ip = p;
	*p++ = 0x45;
	*p++ = 0;
	p = put16(p, (uint16_t)(20 + 20 + plen));
	p = put16(p, 1);
	p = put16(p, 0x4000);
	*p++ = 64;
	*p++ = 6;
	p = put16(p, 0xbeef);   /* wrong IP checksum on purpose */
	p = put32(p, sip);
	p = put32(p, dip);
	p = put16(p, sport);
	p = put16(p, dport);
	p = put32(p, seq);
	p = put32(p, ack);
	*p++ = 5 << 4;
	*p++ = flags;
	p = put16(p, 65535);
	p = put16(p, 0xdead);   /* wrong TCP checksum on purpose (offload capture) */
	p = put16(p, 0);
	if (plen)
		memcpy(p, payload, plen);
	p += plen;
	(void)ip;
	len = (uint32_t)(p - f);
	craft_frame(c, ts_ns, f, len);
	return len;
}

static inline void
tconn_init(struct tconn *t, uint32_t cip, uint16_t cport, uint32_t sip, uint16_t sport)
{
	t->cip = cip;
	t->sip = sip;
	t->cport = cport;
	t->sport = sport;
	t->cseq = 1000000 + cport * 7u;
	t->sseq = 5000000 + cport * 11u;
}

/* Three-way handshake at ts, ts+1us, ts+2us. */
static inline void
tconn_open(struct craft *c, struct tconn *t, uint64_t ts)
{
	craft_tcp(c, ts, t->cip, t->sip, t->cport, t->sport, TF_SYN, t->cseq, 0, NULL, 0);
	t->cseq++;
	craft_tcp(c, ts + 1000, t->sip, t->cip, t->sport, t->cport, TF_SYN | TF_ACK, t->sseq, t->cseq, NULL, 0);
	t->sseq++;
	craft_tcp(c, ts + 2000, t->cip, t->sip, t->cport, t->sport, TF_ACK, t->cseq, t->sseq, NULL, 0);
}

/* Client sends bytes (one segment), advancing its sequence. */
static inline void
tconn_c(struct craft *c, struct tconn *t, uint64_t ts, const void *data, uint32_t len)
{
	craft_tcp(c, ts, t->cip, t->sip, t->cport, t->sport, TF_ACK | TF_PSH, t->cseq, t->sseq, data, len);
	t->cseq += len;
}

static inline void
tconn_s(struct craft *c, struct tconn *t, uint64_t ts, const void *data, uint32_t len)
{
	craft_tcp(c, ts, t->sip, t->cip, t->sport, t->cport, TF_ACK | TF_PSH, t->sseq, t->cseq, data, len);
	t->sseq += len;
}

/* Client segment at an explicit offset from the client's current sequence (no advance). */
static inline void
tconn_c_at(struct craft *c, struct tconn *t, uint64_t ts, uint32_t off, const void *data, uint32_t len)
{
	craft_tcp(c, ts, t->cip, t->sip, t->cport, t->sport, TF_ACK | TF_PSH, t->cseq + off, t->sseq, data, len);
}

/* FIN from both sides and the last ACK. */
static inline void
tconn_close(struct craft *c, struct tconn *t, uint64_t ts)
{
	craft_tcp(c, ts, t->cip, t->sip, t->cport, t->sport, TF_FIN | TF_ACK, t->cseq, t->sseq, NULL, 0);
	t->cseq++;
	craft_tcp(c, ts + 1000, t->sip, t->cip, t->sport, t->cport, TF_FIN | TF_ACK, t->sseq, t->cseq, NULL, 0);
	t->sseq++;
	craft_tcp(c, ts + 2000, t->cip, t->sip, t->cport, t->sport, TF_ACK, t->cseq, t->sseq, NULL, 0);
}

#endif /* PCAP_CRAFT_H */
