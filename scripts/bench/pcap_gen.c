/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark helper for lib/pcap (built by scripts/bench/pcap-extract with cc, and by
 * tests/unit/pcap/meson.build for the perf suite):
 *
 *   pcap_gen gen FILE MB [api] write an Ethernet/IPv4 HTTP capture of about MB megabytes
 *                              ("api": small bodies both ways, the request-heavy case)
 *   pcap_gen extract FILE      extract it on one core, print throughput and counters
 *   pcap_gen selftest MB       both on a temp file, then remove it (meson perf suite)
 *
 * The capture mimics production keep-alive traffic: 512 connections open at once,
 * interleaved; each carries 1..32 requests and then closes (FIN), and a new one takes its
 * place. Requests are GETs with browser-like headers (~400 B) to varied paths, with one
 * POST in 8 carrying a 600 B..8 KiB body; one request in 16 is pipelined behind the
 * previous one. Responses are 200/404/500 with bodies of 300 B..24 KiB, one in 4 chunked,
 * all cut into 1448-byte segments. One segment in 2000 is retransmitted and one in 5000
 * arrives after the following one (reordering). Deterministic (fixed PRNG seed).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "fc_pcap.h"

#define MSS 1448
#define NCONN 512

static uint64_t rng_s = 0x1234567887654321ull;
static bool api_mix;    /* small bodies both ways: the request-heavy worst case */

static uint64_t
rnd(void)
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return rng_s;
}

struct gconn {
	uint32_t cip, sip;
	uint16_t cport;
	uint32_t cseq, sseq;
	int left;               /* requests left */
	bool open;
};

static FILE *out;
static uint64_t now_ns = 1700000000ull * 1000000000ull;
static uint64_t written;
static uint8_t frame[2048];

static void
rec(const uint8_t *f, uint32_t len)
{
	uint32_t h[4];

	h[0] = (uint32_t)(now_ns / 1000000000ull);
	h[1] = (uint32_t)(now_ns % 1000000000ull);
	h[2] = len;
	h[3] = len;
	fwrite(h, 4, 4, out);
	fwrite(f, 1, len, out);
	written += 16 + len;
	now_ns += 2000 + rnd() % 6000;
}

static uint32_t
mkseg(uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport, uint8_t flags,
		uint32_t seq, uint32_t ack, const uint8_t *p, uint32_t n)
{
	uint8_t *f = frame;
	uint16_t tot = (uint16_t)(40 + n);

	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	f += 14;
	f[0] = 0x45; f[1] = 0; f[2] = (uint8_t)(tot >> 8); f[3] = (uint8_t)tot;
	f[4] = 0; f[5] = 1; f[6] = 0x40; f[7] = 0; f[8] = 64; f[9] = 6; f[10] = 0; f[11] = 0;
	for (int i = 0; i < 4; i++) {
		f[12 + i] = (uint8_t)(sip >> (24 - 8 * i));
		f[16 + i] = (uint8_t)(dip >> (24 - 8 * i));
	}
	f += 20;
	f[0] = (uint8_t)(sport >> 8); f[1] = (uint8_t)sport;
	f[2] = (uint8_t)(dport >> 8); f[3] = (uint8_t)dport;
	for (int i = 0; i < 4; i++) {
		f[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
		f[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	f[12] = 5 << 4; f[13] = flags; f[14] = 0xff; f[15] = 0xff;
	f[16] = 0; f[17] = 0; f[18] = 0; f[19] = 0;
	f += 20;
	memcpy(f, p, n);
	return 54 + n;
}

/* Send a byte stream from one side in MSS segments (with rare retransmit/reorder). */
static void
stream(struct gconn *c, bool client, const uint8_t *p, uint32_t n)
{
	uint32_t *seq = client ? &c->cseq : &c->sseq;
	uint32_t ack = client ? c->sseq : c->cseq;
	uint32_t sip = client ? c->cip : c->sip, dip = client ? c->sip : c->cip;
	uint16_t sport = client ? c->cport : 80, dport = client ? 80 : c->cport;
	uint32_t off = 0;

	while (off < n) {
		uint32_t k = n - off < MSS ? n - off : MSS;
		uint32_t len;

		if (off + k < n && rnd() % 5000 == 0) {
			/* Reorder: the next segment first, then this one. */
			uint32_t k2 = n - off - k < MSS ? n - off - k : MSS;

			len = mkseg(sip, dip, sport, dport, 0x18, *seq + k, ack, p + off + k, k2);
			rec(frame, len);
			len = mkseg(sip, dip, sport, dport, 0x18, *seq, ack, p + off, k);
			rec(frame, len);
			*seq += k + k2;
			off += k + k2;
			continue;
		}
		len = mkseg(sip, dip, sport, dport, 0x18, *seq, ack, p + off, k);
		rec(frame, len);
		if (rnd() % 2000 == 0)
			rec(frame, len); /* retransmission */
		*seq += k;
		off += k;
	}
}

static void
ctl(struct gconn *c, bool client, uint8_t flags)
{
	uint32_t len;

	if (client)
		len = mkseg(c->cip, c->sip, c->cport, 80, flags, c->cseq, c->sseq, NULL, 0);
	else
		len = mkseg(c->sip, c->cip, 80, c->cport, flags, c->sseq, c->cseq, NULL, 0);
	rec(frame, len);
}

static const char *paths[] = {
	"/", "/api/v1/users", "/api/v1/orders", "/static/app.js", "/static/style.css",
	"/images/logo.png", "/search", "/cart", "/checkout", "/api/v2/items",
};

static uint32_t
mkreq(uint8_t *b, bool post, uint32_t *body_len)
{
	int n;

	*body_len = post ? (api_mix ? 100 + (uint32_t)(rnd() % 900) : 600 + (uint32_t)(rnd() % 7600)) : 0;
	n = sprintf((char *)b,
		"%s %s?id=%llu&page=%u HTTP/1.1\r\nHost: shop.example.com\r\n"
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0\r\n"
		"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
		"Accept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\n"
		"Cookie: session=%016llx; theme=dark\r\n%s%u\r\n\r\n",
		post ? "POST" : "GET", paths[rnd() % 10], (unsigned long long)(rnd() % 1000000),
		(unsigned)(rnd() % 50), (unsigned long long)rnd(),
		"Content-Length: ", *body_len);
	memset(b + n, 'p', *body_len);
	return (uint32_t)n + *body_len;
}

static uint32_t
mkrsp(uint8_t *b)
{
	static const int codes[] = { 200, 200, 200, 200, 200, 200, 404, 500 };
	int code = codes[rnd() % 8];
	uint32_t body = api_mix ? 50 + (uint32_t)(rnd() % 700) : 300 + (uint32_t)(rnd() % 24000);
	bool chunked = rnd() % 4 == 0;
	int n;

	if (!chunked) {
		n = sprintf((char *)b, "HTTP/1.1 %d X\r\nServer: nginx\r\nContent-Type: text/html\r\n"
			"Content-Length: %u\r\n\r\n", code, body);
		memset(b + n, 'r', body);
		return (uint32_t)n + body;
	}
	n = sprintf((char *)b, "HTTP/1.1 %d X\r\nServer: nginx\r\nContent-Type: text/html\r\n"
		"Transfer-Encoding: chunked\r\n\r\n", code);
	for (uint32_t left = body; left > 0;) {
		uint32_t k = left < 4000 ? left : 4000;

		n += sprintf((char *)b + n, "%x\r\n", k);
		memset(b + n, 'c', k);
		n += (int)k;
		n += sprintf((char *)b + n, "\r\n");
		left -= k;
	}
	n += sprintf((char *)b + n, "0\r\n\r\n");
	return (uint32_t)n;
}

static int
gen(const char *path, uint64_t mb)
{
	static struct gconn conns[NCONN];
	static uint8_t req[16384], req2[16384], rsp[32768], rsp2[32768];
	uint32_t hdr[6] = { 0xa1b23c4d, 0x00040002, 0, 0, 65535, 1 }; /* nanosecond pcap */
	uint64_t target = mb * 1000000ull, nreq = 0, port = 1024;

	out = fopen(path, "wb");
	if (out == NULL) {
		perror(path);
		return 1;
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	fwrite(hdr, 4, 6, out);
	written = 24;
	while (written < target) {
		struct gconn *c = &conns[rnd() % NCONN];
		uint32_t blen, n, n2 = 0, r1, r2 = 0;

		if (!c->open) {
			c->cip = 0x0a000000u | (uint32_t)(rnd() % 60000 + 1);
			c->sip = 0xc6120002u;
			c->cport = (uint16_t)(1024 + port++ % 60000);
			c->cseq = (uint32_t)rnd();
			c->sseq = (uint32_t)rnd();
			c->left = 1 + (int)(rnd() % 32);
			c->open = true;
			ctl(c, true, 0x02);
			c->cseq++;
			ctl(c, false, 0x12);
			c->sseq++;
			ctl(c, true, 0x10);
		}
		n = mkreq(req, rnd() % 8 == 0, &blen);
		if (c->left > 1 && rnd() % 16 == 0) {
			/* Pipelined: two requests back to back, then two responses. */
			n2 = mkreq(req2, false, &blen);
			memcpy(req + n, req2, n2);
			c->left--;
			nreq++;
		}
		stream(c, true, req, n + n2);
		r1 = mkrsp(rsp);
		if (n2) {
			r2 = mkrsp(rsp2);
			memcpy(rsp + r1, rsp2, r2);
		}
		ctl(c, false, 0x10);
		stream(c, false, rsp, r1 + r2);
		ctl(c, true, 0x10);
		nreq++;
		if (--c->left == 0) {
			ctl(c, true, 0x11);
			c->cseq++;
			ctl(c, false, 0x11);
			c->sseq++;
			ctl(c, true, 0x10);
			c->open = false;
		}
	}
	fclose(out);
	fprintf(stderr, "wrote %s: %.1f MB, %llu requests\n", path, written / 1e6,
		(unsigned long long)nreq);
	return 0;
}

static uint64_t n_req, n_bytes;

static int
count_req(const struct fc_pcap_request *r, void *arg)
{
	(void)arg;
	n_req++;
	n_bytes += r->raw_len;
	return 0;
}

/* CPU time of this process (user + sys): on a shared box the wall clock also counts the
 * time other processes ran. */
static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int
extract(const char *path)
{
	struct fc_pcap_opts o;
	struct fc_pcap_extractor *x;
	const struct fc_pcap_stats *st;
	struct timespec a, b;
	char err[FC_PCAP_ERRLEN];
	double s, cpu;
	int rc;

	fc_pcap_opts_default(&o);
	o.on_request = count_req;
	x = fc_pcap_extractor_create(&o);
	if (x == NULL)
		return 1;
	cpu = cpu_seconds();
	clock_gettime(CLOCK_MONOTONIC, &a);
	rc = fc_pcap_extract_file(x, path, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &b);
	cpu = cpu_seconds() - cpu;
	if (rc < 0) {
		fprintf(stderr, "extract: %s\n", err);
		return 1;
	}
	st = fc_pcap_extractor_stats(x);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;

	/* File size = captured bytes + 16-byte record headers + 24-byte file header. */
	printf("file_mb=%.1f seconds=%.3f mb_per_s=%.1f cpu_s=%.3f mb_per_cpu_s=%.1f packets=%llu pps=%.0f requests=%llu "
		"skipped=%llu responses=%llu retransmits=%llu overlaps=%llu ooo=%llu gaps=%llu "
		"flows=%llu peak_buffered_kb=%.1f\n",
		(double)(st->bytes + 16 * st->packets + 24) / 1e6, s,
		(double)(st->bytes + 16 * st->packets + 24) / 1e6 / s, cpu,
		(double)(st->bytes + 16 * st->packets + 24) / 1e6 / cpu,
		(unsigned long long)st->packets, (double)st->packets / s,
		(unsigned long long)st->requests_extracted, (unsigned long long)st->requests_skipped,
		(unsigned long long)st->responses, (unsigned long long)st->retransmits,
		(unsigned long long)st->overlaps, (unsigned long long)st->ooo_segments,
		(unsigned long long)st->gaps, (unsigned long long)st->flows,
		(double)st->peak_buffered_bytes / 1024);
	fc_pcap_extractor_free(x);
	return n_req == st->requests_extracted ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "gen") == 0) {
		api_mix = argc == 5 && strcmp(argv[4], "api") == 0;
		return gen(argv[2], strtoull(argv[3], NULL, 10));
	}
	if (argc == 3 && strcmp(argv[1], "extract") == 0)
		return extract(argv[2]);
	if (argc == 3 && strcmp(argv[1], "selftest") == 0) {
		/* The meson perf suite: generate, extract, check, remove. */
		char path[] = "/tmp/fc_pcap_gen_XXXXXX";
		int fd = mkstemp(path), rc;

		if (fd < 0)
			return 1;
		close(fd);
		rc = gen(path, strtoull(argv[2], NULL, 10));
		if (rc == 0)
			rc = extract(path);
		unlink(path);
		return rc;
	}
	fprintf(stderr, "usage: pcap_gen gen FILE MB [api] | pcap_gen extract FILE | pcap_gen selftest MB\n");
	return 2;
}
