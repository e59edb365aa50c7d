/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcp against hand-built segments (lwIP tcp_helper style): one context, a fake peer
 * written in the test, exact seq/ack/flags/window of everything the stack transmits.
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>
#include <rte_thash.h>

#include "fc_test.h"
#include "fc_tcp.h"
#include "tcp_app.h"
#include "tcp_wire.h"

#define MS (1000 * 1000ull)
#define US 1000ull
#define LPORT 80
#define RPORT 40000

static struct rte_mempool *mp;
static struct fc_tcp_ctx *S;
static uint64_t now;
static struct app A;

/* Frames the stack sent since the last call, parsed, with their payload appended to
 * @data (when not NULL; at most @cap bytes in all, counted in *@len); returns the number
 * of frames. */
static unsigned
out_data(struct seg_info *si, unsigned max, uint8_t *data, size_t cap, size_t *len)
{
	struct rte_mbuf *m[64];
	unsigned n = 0, i, k;

	while ((k = fc_tcp_tx_bulk(S, m, 64)) > 0) {
		for (i = 0; i < k; i++) {
			if (n < max && seg_parse(m[i], &si[n])) {
				uint32_t plen = si[n].len;

				if (data != NULL && *len + plen <= cap) {
					const void *p = rte_pktmbuf_read(m[i], m[i]->pkt_len - plen,
						plen, data + *len);

					if (p != NULL && p != data + *len)
						memcpy(data + *len, p, plen);
					*len += p != NULL ? plen : 0;
				}
				n++;
			}
			rte_pktmbuf_free(m[i]);
		}
	}
	return n;
}

/* Frames the stack sent since the last call, parsed. */
static unsigned
out(struct seg_info *si, unsigned max)
{
	return out_data(si, max, NULL, 0, NULL);
}

static void
in(uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd, const void *d, unsigned len)
{
	struct rte_mbuf *m = seg_build(mp, IP_A, RPORT, IP_B, LPORT, seq, ack, flags, wnd,
		NULL, 0, d, len);

	fc_tcp_rx_bulk(S, &m, 1, now);
}

static void
in_opts(uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *o,
	unsigned olen)
{
	struct rte_mbuf *m = seg_build(mp, IP_A, RPORT, IP_B, LPORT, seq, ack, flags, wnd,
		o, olen, NULL, 0);

	fc_tcp_rx_bulk(S, &m, 1, now);
}

static void
tick(uint64_t t)
{
	now = t;
	fc_tcp_process(S, now);
}

static void
start(struct fc_tcp_config *c)
{
	struct fc_tcp_config d = wire_default_cfg(mp, IP_B);

	if (c == NULL)
		c = &d;
	now = 0;
	app_reset(&A);
	S = fc_tcp_ctx_create(c, SOCKET_ID_ANY);
	CHECK(S != NULL);
	CHECK_EQ(fc_tcp_listen(S, LPORT, &app_ops, &A), 0);
}

static void
stop(unsigned avail0)
{
	struct seg_info si[8];

	out(si, 8);
	fc_tcp_ctx_free(S);
	S = NULL;
	app_reset(&A);
	CHECK_EQ(rte_mempool_avail_count(mp), avail0);
}

/* Passive handshake: peer ISN 1000, MSS 1000, WS 7, window 8192; returns our ISS. The
 * peer's ACK comes @rtt after our SYN-ACK. */
static uint32_t
handshake(uint64_t rtt)
{
	static const uint8_t o[] = { 2, 4, 0x03, 0xe8, 1, 3, 3, 7 };
	struct seg_info si[4];
	uint32_t iss;

	in_opts(1000, 0, RTE_TCP_SYN_FLAG, 8192, o, sizeof(o));
	CHECK_EQ(out(si, 4), 1);
	CHECK_EQ(si[0].flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	CHECK_EQ(si[0].ack, 1001);
	CHECK_EQ(si[0].mss, 1460);
	CHECK_EQ(si[0].wscale, 0);      /* 65535 needs no shift */
	CHECK_EQ(si[0].wnd, 65535);
	CHECK_EQ(si[0].dport, RPORT);
	iss = si[0].seq;
	now += rtt;
	in(1001, iss + 1, RTE_TCP_ACK_FLAG, 8192 >> 7, NULL, 0);
	CHECK_EQ(A.connected, 1);
	CHECK_EQ(out(si, 4), 0);        /* a pure ACK is not answered */
	return iss;
}

static void
test_passive_open_and_data(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct seg_info si[8];
	struct fc_tcp_conn_info ci;
	uint32_t iss;
	uint8_t buf[3000];

	start(NULL);
	iss = handshake(0);
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.mss, 1000);          /* peer's MSS < ours */
	CHECK_EQ(ci.snd_wscale, 7);
	CHECK_EQ(ci.snd_wnd, 8192);      /* 64 << 7 */
	in(1001, iss + 1, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 64, "hello", 5);
	CHECK_EQ(A.rx_len, 5);
	CHECK(memcmp(A.rx, "hello", 5) == 0);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].flags, RTE_TCP_ACK_FLAG);
	CHECK_EQ(si[0].seq, iss + 1);
	CHECK_EQ(si[0].ack, 1006);
	CHECK_EQ(si[0].wnd, 65535);
	CHECK_EQ(si[0].len, 0);
	/* 3000 bytes leave as three MSS-sized segments, PSH on the last. */
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(fc_tcp_send_copy(A.conn, buf, sizeof(buf)), 3000);
	CHECK_EQ(out(si, 8), 3);
	CHECK_EQ(si[0].seq, iss + 1);
	CHECK_EQ(si[1].seq, iss + 1001);
	CHECK_EQ(si[2].seq, iss + 2001);
	CHECK_EQ(si[0].len + si[1].len + si[2].len, 3000);
	CHECK_EQ(si[0].flags, RTE_TCP_ACK_FLAG);
	CHECK_EQ(si[2].flags, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG);
	CHECK_EQ(si[2].ack, 1006);
	/* Data crossing: ACK of our data plus more data: ACK it once, send nothing else. */
	in(1006, iss + 3001, RTE_TCP_ACK_FLAG, 64, "abc", 3);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].ack, 1009);
	CHECK_EQ(si[0].seq, iss + 3001);
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.snd_una, iss + 3001);
	CHECK_EQ(ci.snd_queued, 0);
	/* Old duplicate: answered with an ACK, not delivered again. */
	in(1001, iss + 3001, RTE_TCP_ACK_FLAG, 64, "hello", 5);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].ack, 1009);
	CHECK_EQ(A.rx_len, 8);
	CHECK_EQ(fc_tcp_counters(S)->dup_segs, 1);
	/* Peer FIN: ACK 1010, on_eof, CLOSE_WAIT; our close sends FIN; its ACK ends it. */
	in(1009, iss + 3001, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 64, NULL, 0);
	CHECK_EQ(A.eof, 1);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].ack, 1010);
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.state, FC_TCP_CLOSE_WAIT);
	CHECK_EQ(fc_tcp_close(A.conn), 0);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].flags, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG);
	CHECK_EQ(si[0].seq, iss + 3001);
	in(1010, iss + 3002, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	CHECK_EQ(A.closed, 1);
	CHECK_EQ(A.reason, FC_TCP_CLOSE_NORMAL);
	CHECK_EQ(fc_tcp_nb_conns(S), 0);
	stop(avail0);
}

/*
 * The output pass of a receive burst waits for fc_tcp_tx_bulk(): a reply the application
 * sends after the burst carries the ACK (one frame, not an ACK and then the data), and a
 * burst nobody answers is still ACKed, once, by the next fc_tcp_tx_bulk().
 */
static void
test_ack_rides_on_reply(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct seg_info si[8];
	uint32_t iss;

	start(NULL);
	iss = handshake(0);
	in(1001, iss + 1, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 64, "GET", 3);
	CHECK_EQ(fc_tcp_tx_pending(S), 1);     /* the output pass to come */
	CHECK_EQ(fc_tcp_send_copy(A.conn, "200 OK", 6), 6);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].flags, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG);
	CHECK_EQ(si[0].seq, iss + 1);
	CHECK_EQ(si[0].ack, 1004);
	CHECK_EQ(si[0].len, 6);
	CHECK_EQ(fc_tcp_tx_pending(S), 0);
	/* Two bursts and no reply: one cumulative ACK. */
	in(1004, iss + 7, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 64, "a", 1);
	in(1005, iss + 7, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 64, "b", 1);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].flags, RTE_TCP_ACK_FLAG);
	CHECK_EQ(si[0].ack, 1006);
	CHECK_EQ(si[0].len, 0);
	CHECK_EQ(A.rx_len, 5);
	CHECK_EQ(fc_tcp_abort(A.conn), 0);
	CHECK_EQ(out(si, 8), 1);               /* the RST */
	stop(avail0);
}

/* fc_tcp_send_ref(): segments and retransmissions copy from the application's bytes; a
 * contiguous send extends the chunk; past FC_TCP_SEND_REFS chunks the bytes are copied
 * behind them, in order (test_tcp_internal checks that the chunks hold no mbuf). */
static void
test_send_ref(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct fc_tcp_config c = wire_default_cfg(mp, IP_B);
	static uint8_t a[4000], b[600], got[8000];
	struct seg_info si[8];
	struct fc_tcp_conn_info ci;
	size_t glen = 0;
	uint32_t iss;

	for (unsigned i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)(i * 7 + 1);
	for (unsigned i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 13 + 5);
	c.rto_min_ns = 1 * MS;
	c.timestamps = -1;
	start(&c);
	iss = handshake(2 * MS);
	/* 2500 bytes in two contiguous sends (one chunk), each sent at once: 1000 + 200,
	 * then 1000 + 300 (MSS 1000, no Nagle). */
	CHECK_EQ(fc_tcp_send_ref(A.conn, a, 1200), 1200);
	CHECK_EQ(fc_tcp_send_ref(A.conn, a + 1200, 1300), 1300);
	CHECK_EQ(out_data(si, 8, got, sizeof(got), &glen), 4);
	CHECK_EQ(glen, 2500);
	CHECK(memcmp(got, a, 2500) == 0);
	/* ACK into the middle of the third segment, then the RTO: the retransmission
	 * starts at the first unacknowledged byte, read from the chunk. */
	in(1001, iss + 1 + 1500, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.snd_queued, 1000);
	glen = 0;
	tick(now + 200 * MS);
	CHECK_EQ(out_data(si, 8, got, sizeof(got), &glen), 1);
	CHECK_EQ(si[0].seq, iss + 1 + 1500);
	CHECK_EQ(si[0].len, 1000);
	CHECK(memcmp(got, a + 1500, 1000) == 0);
	in(1001, iss + 1 + 2500, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.snd_queued, 0);
	/* Three chunks from two buffers: b, then a (not contiguous with b), then b again:
	 * the third is copied into an mbuf behind the two chunks. */
	CHECK_EQ(fc_tcp_send_ref(A.conn, b, 300), 300);
	CHECK_EQ(fc_tcp_send_ref(A.conn, a, 500), 500);
	CHECK_EQ(fc_tcp_send_ref(A.conn, b + 300, 300), 300);
	CHECK_EQ(fc_tcp_send_copy(A.conn, a + 500, 400), 400); /* behind it, also copied */
	glen = 0;
	CHECK_EQ(out_data(si, 8, got, sizeof(got), &glen), 4); /* each send left at once */
	CHECK_EQ(glen, 1500);
	CHECK(memcmp(got, b, 300) == 0);
	CHECK(memcmp(got + 300, a, 500) == 0);
	CHECK(memcmp(got + 800, b + 300, 300) == 0);
	CHECK(memcmp(got + 1100, a + 500, 400) == 0);
	/* Acknowledging past both chunks into the copied data drops the chunks; the RTO
	 * then resends from the middle of the copied part. */
	in(1001, iss + 1 + 2500 + 900, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	glen = 0;
	tick(now + 200 * MS);
	CHECK_EQ(out_data(si, 8, got, sizeof(got), &glen), 1);
	CHECK_EQ(si[0].seq, iss + 1 + 3400);
	CHECK_EQ(si[0].len, 600);
	CHECK(memcmp(got, b + 400, 200) == 0);
	CHECK(memcmp(got + 200, a + 500, 400) == 0);
	in(1001, iss + 1 + 4000, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.snd_queued, 0);
	/* Refused like fc_tcp_send_copy(). */
	CHECK_EQ(fc_tcp_send_ref(A.conn, NULL, 5), -EINVAL);
	CHECK_EQ(fc_tcp_send_ref(A.conn, a, 0), -EINVAL);
	CHECK_EQ(fc_tcp_shutdown(A.conn), 0);
	CHECK_EQ(fc_tcp_send_ref(A.conn, a, 5), -EPIPE);
	fc_tcp_abort(A.conn);
	stop(avail0);
}

static void
test_fin_wait2_timeout(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct seg_info si[8];
	struct fc_tcp_conn_info ci;
	uint32_t iss;
	uint64_t t0;

	start(NULL);
	iss = handshake(0);
	CHECK_EQ(fc_tcp_close(A.conn), 0);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].flags, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG);
	CHECK_EQ(si[0].seq, iss + 1);
	in(1001, iss + 2, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.state, FC_TCP_FIN_WAIT_2);
	/* Data after close is acknowledged but not delivered. */
	in(1001, iss + 2, RTE_TCP_ACK_FLAG, 64, "late", 4);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].ack, 1005);
	CHECK_EQ(A.rx_len, 0);
	t0 = now;
	tick(t0 + 30000 * MS - 100 * US);
	CHECK_EQ(A.closed, 0);
	tick(t0 + 30000 * MS);                  /* default fin_wait2_ns */
	CHECK_EQ(A.closed, 1);
	CHECK_EQ(A.reason, FC_TCP_CLOSE_TIMEOUT);
	CHECK_EQ(out(si, 8), 0);
	CHECK_EQ(fc_tcp_nb_conns(S), 0);
	stop(avail0);
}

static void
test_rto_exact(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct fc_tcp_config c = wire_default_cfg(mp, IP_B);
	struct seg_info si[8];
	struct fc_tcp_conn_info ci;
	uint32_t iss;
	uint8_t buf[3000] = {0};
	uint64_t t0;

	c.rto_min_ns = 1 * MS;
	start(&c);
	/* Handshake RTT 2 ms: SRTT = 2 ms, RTTVAR = 1 ms, RTO = 2 + 4 * 1 = 6 ms (RFC 6298 §2.2). */
	iss = handshake(2 * MS);
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.srtt_ns, 2 * MS);
	CHECK_EQ(ci.rttvar_ns, 1 * MS);
	CHECK_EQ(ci.rto_ns, 6 * MS);
	t0 = now;
	fc_tcp_send_copy(A.conn, buf, sizeof(buf));
	CHECK_EQ(out(si, 8), 3);
	tick(t0 + 6 * MS - 100 * US);
	CHECK_EQ(out(si, 8), 0);
	tick(t0 + 6 * MS);
	CHECK_EQ(out(si, 8), 1);               /* only the first segment (RFC 6298 §5.4) */
	CHECK_EQ(si[0].seq, iss + 1);
	CHECK_EQ(si[0].len, 1000);
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.rto_ns, 12 * MS);         /* §5.5 back-off */
	CHECK_EQ(ci.cwnd, 1000);              /* RFC 5681 §3.1 loss window */
	CHECK_EQ(ci.ssthresh, 2000);          /* max(3000 / 2, 2 * MSS) */
	tick(t0 + 18 * MS - 100 * US);
	CHECK_EQ(out(si, 8), 0);
	tick(t0 + 18 * MS);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].seq, iss + 1);
	tick(t0 + 42 * MS);
	CHECK_EQ(out(si, 8), 1);
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.rto_ns, 48 * MS);
	CHECK_EQ(ci.retries, 3);
	CHECK_EQ(fc_tcp_counters(S)->rto_fired, 3);
	/* Data from the peer now: our pure ACK carries SND.MAX (iss + 3001), not SND.NXT
	 * (iss + 1001 after go-back-N), or the peer would find it unacceptable. */
	in(1001, iss + 1, RTE_TCP_ACK_FLAG, 64, "xy", 2);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].seq, iss + 3001);
	CHECK_EQ(si[0].ack, 1003);
	CHECK_EQ(si[0].len, 0);
	/* ACK of the first segment: Karn (no sample), go-back-N continues from 1001 with
	 * cwnd 1000 + 1000 (slow start). */
	now = t0 + 43 * MS;
	in(1003, iss + 1001, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	CHECK_EQ(out(si, 8), 2);
	CHECK_EQ(si[0].seq, iss + 1001);
	CHECK_EQ(si[1].seq, iss + 2001);
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.srtt_ns, 2 * MS);         /* unchanged: Karn's rule */
	CHECK_EQ(ci.retries, 0);
	in(1003, iss + 3001, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	CHECK_EQ(out(si, 8), 0);
	fc_tcp_abort(A.conn);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].flags, RTE_TCP_RST_FLAG);
	CHECK_EQ(si[0].seq, iss + 3001);
	stop(avail0);
}

static void
test_fast_retransmit_newreno(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct seg_info si[16];
	struct fc_tcp_conn_info ci;
	uint32_t iss;
	uint8_t buf[5000] = {0};

	start(NULL);
	iss = handshake(1 * MS);
	fc_tcp_send_copy(A.conn, buf, sizeof(buf));
	CHECK_EQ(out(si, 16), 5);             /* IW10 allows all five */
	/* Segment 1 lost; 2, 3, 4 arrive: three duplicate ACKs. */
	in(1001, iss + 1, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	in(1001, iss + 1, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	CHECK_EQ(out(si, 16), 0);
	in(1001, iss + 1, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	CHECK_EQ(out(si, 16), 1);
	CHECK_EQ(si[0].seq, iss + 1);
	CHECK_EQ(si[0].len, 1000);
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.ssthresh, 2500);          /* FlightSize 5000 / 2 */
	CHECK_EQ(ci.cwnd, 2500 + 3 * 1000);   /* RFC 6582 §3.2 step 2 */
	CHECK_EQ(fc_tcp_counters(S)->dupacks, 3);
	CHECK_EQ(fc_tcp_counters(S)->fast_retransmits, 1);
	/* Partial ACK up to segment 4 (segment 5 lost too): retransmit 5 at once. */
	in(1001, iss + 4001, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	CHECK_EQ(out(si, 16), 1);
	CHECK_EQ(si[0].seq, iss + 4001);
	CHECK_EQ(si[0].len, 1000);
	/* Full ACK: leave recovery, cwnd = min(ssthresh, FlightSize + MSS). */
	in(1001, iss + 5001, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.cwnd, 2000);
	CHECK_EQ(ci.snd_una, iss + 5001);
	CHECK_EQ(fc_tcp_counters(S)->retransmits, 2);
	CHECK_EQ(fc_tcp_counters(S)->rto_fired, 0);
	stop(avail0);
}

static void
test_ooo_delivery(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct seg_info si[8];
	uint32_t iss;

	start(NULL);
	iss = handshake(0);
	in(1006, iss + 1, RTE_TCP_ACK_FLAG, 64, "world", 5);
	CHECK_EQ(A.rx_len, 0);
	CHECK_EQ(out(si, 8), 1);               /* immediate duplicate ACK (RFC 5681 §4.2) */
	CHECK_EQ(si[0].ack, 1001);
	in(1011, iss + 1, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 64, "!", 1);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].ack, 1001);
	CHECK_EQ(fc_tcp_counters(S)->ooo_segs, 2);
	in(1001, iss + 1, RTE_TCP_ACK_FLAG, 64, "hello", 5);
	CHECK_EQ(A.rx_len, 11);
	CHECK(memcmp(A.rx, "helloworld!", 11) == 0);
	CHECK_EQ(A.eof, 1);                    /* the queued FIN was processed too */
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].ack, 1013);
	stop(avail0);
}

static void
test_zero_window_persist(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct seg_info si[8];
	struct fc_tcp_conn_info ci;
	uint32_t iss;
	uint64_t t0;

	start(NULL);
	iss = handshake(0);          /* RTO = rto_min = 10 ms */
	in(1001, iss + 1, RTE_TCP_ACK_FLAG, 0, NULL, 0);    /* window closes */
	t0 = now;
	CHECK_EQ(fc_tcp_send_copy(A.conn, "data", 4), 4);
	CHECK_EQ(out(si, 8), 0);
	tick(t0 + 10 * MS);
	CHECK_EQ(out(si, 8), 1);                   /* probe: old seq, no data */
	CHECK_EQ(si[0].seq, iss);
	CHECK_EQ(si[0].len, 0);
	CHECK_EQ(si[0].flags, RTE_TCP_ACK_FLAG);
	in(1001, iss + 1, RTE_TCP_ACK_FLAG, 0, NULL, 0); /* still zero */
	tick(t0 + 30 * MS - 100 * US);
	CHECK_EQ(out(si, 8), 0);
	tick(t0 + 30 * MS);                        /* backed off to 20 ms */
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(fc_tcp_counters(S)->persist_probes, 2);
	in(1001, iss + 1, RTE_TCP_ACK_FLAG, 64, NULL, 0); /* window opens */
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].seq, iss + 1);
	CHECK_EQ(si[0].len, 4);
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.state, FC_TCP_ESTABLISHED);

	/* Our receive side: the app holds the whole window. */
	CHECK_EQ(fc_tcp_recv_hold(A.conn, 65535), 0);
	in(1001, iss + 5, RTE_TCP_ACK_FLAG, 64, "ab", 2);
	CHECK_EQ(A.rx_len, 2);                     /* accepted: window was advertised */
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].ack, 1003);
	CHECK_EQ(si[0].wnd, 65533);               /* right edge does not move left */
	in(1003, iss + 5, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	CHECK_EQ(fc_tcp_recv_release(A.conn, 0), 0);
	out(si, 8);
	/* Fill the rest exactly, the window is then zero. */
	{
		static uint8_t big[1000];
		uint32_t seq = 1003;
		int k;

		for (k = 0; k < 65; k++, seq += 1000)
			in(seq, iss + 5, RTE_TCP_ACK_FLAG, 64, big, 1000);
		in(seq, iss + 5, RTE_TCP_ACK_FLAG, 64, big, 533);
		seq += 533;
		while (out(si, 8) == 8)
			;
		fc_tcp_conn_get_info(A.conn, &ci);
		CHECK_EQ(ci.rcv_wnd, 0);
		CHECK_EQ(ci.rcv_nxt, seq);
		in(seq, iss + 5, RTE_TCP_ACK_FLAG, 64, "z", 1);     /* beyond a zero window */
		CHECK_EQ(out(si, 8), 1);
		CHECK_EQ(si[0].ack, seq);
		CHECK_EQ(si[0].wnd, 0);
		/* A probe with an old sequence number gets the same ACK. */
		in(seq - 1, iss + 5, RTE_TCP_ACK_FLAG, 64, NULL, 0);
		CHECK_EQ(out(si, 8), 1);
		CHECK_EQ(si[0].wnd, 0);
		CHECK_EQ(fc_tcp_recv_release(A.conn, 65535), 0);
		CHECK_EQ(out(si, 8), 1);                   /* window update */
		CHECK_EQ(si[0].wnd, 65535);
		CHECK_EQ(si[0].ack, seq);
	}
	stop(avail0);
}

static void
test_sws_override(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct seg_info si[8];
	uint8_t buf[3000] = {0};
	uint32_t iss;
	uint64_t t0;

	start(NULL);
	iss = handshake(0);                 /* MSS 1000, max window seen 8192, RTO 10 ms */
	/* The peer's window drops to 128 bytes (1 << 7): below an MSS and below half the
	 * largest window, so sender SWS avoidance holds the data... */
	in(1001, iss + 1, RTE_TCP_ACK_FLAG, 1, NULL, 0);
	t0 = now;
	CHECK_EQ(fc_tcp_send_copy(A.conn, buf, sizeof(buf)), 3000);
	CHECK_EQ(out(si, 8), 0);
	/* ...until the override timeout (one RTO) sends what the window allows. */
	tick(t0 + 10 * MS - 100 * US);
	CHECK_EQ(out(si, 8), 0);
	tick(t0 + 10 * MS);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].seq, iss + 1);
	CHECK_EQ(si[0].len, 128);
	/* The window update that was "lost" arrives with the ACK: full-size segments again. */
	in(1001, iss + 129, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	CHECK_EQ(out(si, 8), 3);
	CHECK_EQ(si[0].seq, iss + 129);
	CHECK_EQ(si[0].len, 1000);
	CHECK_EQ(si[2].len, 872);
	stop(avail0);
}

static void
test_rst_unknown_and_5961(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct fc_tcp_config c = wire_default_cfg(mp, IP_B);
	struct seg_info si[8];
	struct rte_mbuf *m;
	uint32_t iss;

	c.challenge_ack_limit = 5;
	start(&c);
	/* RFC 9293 §3.10.7.1: ACK for nothing -> <SEQ=SEG.ACK><CTL=RST>. */
	m = seg_build(mp, IP_A, 1234, IP_B, 81, 500, 777, RTE_TCP_ACK_FLAG, 100, NULL, 0, "x", 1);
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].flags, RTE_TCP_RST_FLAG);
	CHECK_EQ(si[0].seq, 777);
	CHECK_EQ(si[0].dport, 1234);
	/* SYN for nothing -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
	m = seg_build(mp, IP_A, 1234, IP_B, 81, 500, 0, RTE_TCP_SYN_FLAG, 100, NULL, 0, NULL, 0);
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].flags, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
	CHECK_EQ(si[0].seq, 0);
	CHECK_EQ(si[0].ack, 501);
	/* RST for nothing: silence. */
	m = seg_build(mp, IP_A, 1234, IP_B, 81, 500, 0, RTE_TCP_RST_FLAG, 0, NULL, 0, NULL, 0);
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(out(si, 8), 0);
	CHECK_EQ(fc_tcp_counters(S)->unknown_flow, 3);
	CHECK_EQ(fc_tcp_counters(S)->rst_tx, 2);

	iss = handshake(0);
	/* RFC 5961 §3.2: in-window but not exact RST -> challenge ACK. */
	in(1001 + 100, 0, RTE_TCP_RST_FLAG, 0, NULL, 0);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].flags, RTE_TCP_ACK_FLAG);
	CHECK_EQ(si[0].seq, iss + 1);
	CHECK_EQ(si[0].ack, 1001);
	CHECK_EQ(A.closed, 0);
	/* Out of window RST: dropped silently. */
	in(1001 + 100000, 0, RTE_TCP_RST_FLAG, 0, NULL, 0);
	CHECK_EQ(out(si, 8), 0);
	/* RFC 5961 §4.2: SYN on an established connection -> challenge ACK. */
	in(5000, 0, RTE_TCP_SYN_FLAG, 100, NULL, 0);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].flags, RTE_TCP_ACK_FLAG);
	CHECK_EQ(si[0].ack, 1001);
	CHECK_EQ(fc_tcp_counters(S)->challenge_acks, 2);
	/* RFC 5961 §5.2: ACK for data never sent -> ACK, dropped. */
	in(1001, iss + 100, RTE_TCP_ACK_FLAG, 64, "q", 1);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].ack, 1001);
	CHECK_EQ(A.rx_len, 0);
	CHECK_EQ(A.closed, 0);
	/* RFC 5961 §7: at most challenge_ack_limit (here 5) per second. */
	{
		int k, sent = 0;

		/* Frames collected after each burst, as a worker loop does: bursts between two
		 * fc_tcp_tx_bulk() calls share one output pass (one ACK). */
		for (k = 0; k < 10; k++) {
			in(5000, 0, RTE_TCP_SYN_FLAG, 100, NULL, 0);
			sent += (int)out(si, 8);
		}
		/* 3 sent this second already (RST, SYN, bad ACK above) + 2 = 5 */
		CHECK_EQ(sent, 2);
		CHECK_EQ(fc_tcp_counters(S)->challenge_ack_limited, 8);
		now += 1000 * MS;
		in(5000, 0, RTE_TCP_SYN_FLAG, 100, NULL, 0);
		CHECK_EQ(out(si, 8), 1);
	}
	/* Exact RST resets. */
	in(1001, 0, RTE_TCP_RST_FLAG, 0, NULL, 0);
	CHECK_EQ(A.closed, 1);
	CHECK_EQ(A.reason, FC_TCP_CLOSE_RESET);
	CHECK_EQ(out(si, 8), 0);
	CHECK_EQ(fc_tcp_counters(S)->rst_rx, 1);
	stop(avail0);
}

static void
test_hostile(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	const struct fc_tcp_counters *k;
	struct seg_info si[8];
	struct rte_mbuf *m;
	uint8_t *p;
	static const uint8_t bogus[] = { 2, 0, 0, 0 };     /* option length 0 */
	static const uint8_t past[] = { 1, 1, 8, 12 };     /* length past the header */

	start(NULL);
	k = fc_tcp_counters(S);
	/* Bad TCP checksum. */
	m = seg_build(mp, IP_A, RPORT, IP_B, LPORT, 1, 0, RTE_TCP_SYN_FLAG, 100, NULL, 0, NULL, 0);
	rte_pktmbuf_mtod(m, uint8_t *)[14 + 20 + 16] ^= 0xff;
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(k->cksum_errors, 1);
	/* Bad IP checksum. */
	m = seg_build(mp, IP_A, RPORT, IP_B, LPORT, 1, 0, RTE_TCP_SYN_FLAG, 100, NULL, 0, NULL, 0);
	rte_pktmbuf_mtod(m, uint8_t *)[14 + 10] ^= 0x1;
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(k->cksum_errors, 2);
	/* NIC said bad. */
	m = seg_build(mp, IP_A, RPORT, IP_B, LPORT, 1, 0, RTE_TCP_SYN_FLAG, 100, NULL, 0, NULL, 0);
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(k->cksum_errors, 3);
	/* Truncated: 40 bytes. */
	m = seg_build(mp, IP_A, RPORT, IP_B, LPORT, 1, 0, RTE_TCP_SYN_FLAG, 100, NULL, 0, NULL, 0);
	rte_pktmbuf_trim(m, m->pkt_len - 40);
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(k->bad_headers, 1);
	/* IP total length beyond the frame. */
	m = seg_build(mp, IP_A, RPORT, IP_B, LPORT, 1, 0, RTE_TCP_SYN_FLAG, 100, NULL, 0, "abc", 3);
	rte_pktmbuf_trim(m, 2);
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(k->bad_headers, 2);
	/* Data offset below 5. */
	m = seg_build(mp, IP_A, RPORT, IP_B, LPORT, 1, 0, RTE_TCP_SYN_FLAG, 100, NULL, 0, NULL, 0);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	p[14 + 20 + 12] = 0x40;
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(k->bad_headers, 3);
	/* Bogus options. */
	m = seg_build(mp, IP_A, RPORT, IP_B, LPORT, 1, 0, RTE_TCP_SYN_FLAG, 100, bogus, 4, NULL, 0);
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(k->bad_headers, 4);
	m = seg_build(mp, IP_A, RPORT, IP_B, LPORT, 1, 0, RTE_TCP_SYN_FLAG, 100, past, 4, NULL, 0);
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(k->bad_headers, 5);
	/* Fragment. */
	m = seg_build(mp, IP_A, RPORT, IP_B, LPORT, 1, 0, RTE_TCP_SYN_FLAG, 100, NULL, 0, NULL, 0);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	p[14 + 6] = 0x20; /* MF */
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(k->ip_frags, 1);
	/* Not our address. */
	m = seg_build(mp, IP_A, RPORT, IP_B + 1, LPORT, 1, 0, RTE_TCP_SYN_FLAG, 100, NULL, 0, NULL, 0);
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(k->not_for_us, 1);
	CHECK_EQ(out(si, 8), 0);
	CHECK_EQ(fc_tcp_nb_conns(S), 0);
	CHECK_EQ(k->rx_frames, 10);
	stop(avail0);
}

static void
test_syn_flood_bounded(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct fc_tcp_config c = wire_default_cfg(mp, IP_B);
	struct seg_info si[8];
	int i;

	c.max_conns = 64;
	c.syn_backlog = 16;
	start(&c);
	for (i = 0; i < 100; i++) {
		struct rte_mbuf *m = seg_build(mp, IP_A, (uint16_t)(1000 + i), IP_B, LPORT, 7, 0,
			RTE_TCP_SYN_FLAG, 100, NULL, 0, NULL, 0);

		fc_tcp_rx_bulk(S, &m, 1, now);
		while (out(si, 8) > 0)
			;
	}
	CHECK_EQ(fc_tcp_nb_conns(S), 16);
	CHECK_EQ(fc_tcp_counters(S)->syn_drops, 84);
	/* SYN-ACK retries run out (4 with back-off: 100+200+400+800+1600 ms, cap 2 s). */
	for (now = 0; now <= 4000 * MS; now += 10 * MS) {
		fc_tcp_process(S, now);
		while (out(si, 8) > 0)
			;
	}
	CHECK_EQ(fc_tcp_nb_conns(S), 0);
	CHECK_EQ(A.connected, 0);
	CHECK_EQ(A.closed, 0);               /* never shown to the application */
	stop(avail0);
}

static void
test_syn_retries(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct seg_info si[8];
	struct app ca = {0};
	struct fc_tcp_conn *c;
	uint64_t times[8];
	unsigned n = 0;

	start(NULL);
	c = fc_tcp_connect(S, IP_A, 8080, &app_ops, &ca, now);
	CHECK(c != NULL);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].flags, RTE_TCP_SYN_FLAG);
	CHECK_EQ(si[0].mss, 1460);
	CHECK_EQ(si[0].wscale, 0);
	for (now = 0; now <= 6000 * MS && n < 8; now += 100 * US) {
		fc_tcp_process(S, now);
		if (out(si, 8) == 1) {
			CHECK_EQ(si[0].flags, RTE_TCP_SYN_FLAG);
			times[n++] = now;
		}
		if (ca.closed)
			break;
	}
	/* RTO 100 ms doubling, capped at 2 s; 5 retransmissions, then TIMEOUT. */
	CHECK_EQ(n, 5);
	CHECK_EQ(times[0], 100 * MS);
	CHECK_EQ(times[1], 300 * MS);
	CHECK_EQ(times[2], 700 * MS);
	CHECK_EQ(times[3], 1500 * MS);
	CHECK_EQ(times[4], 3100 * MS);
	CHECK_EQ(ca.closed, 1);
	CHECK_EQ(ca.reason, FC_TCP_CLOSE_TIMEOUT);
	CHECK_EQ(now, 5100 * MS);
	CHECK_EQ(fc_tcp_counters(S)->conn_timeouts, 1);
	app_reset(&ca);
	stop(avail0);
}

static void
test_wscale_and_ts(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct fc_tcp_config c = wire_default_cfg(mp, IP_B);
	struct seg_info si[8];
	struct app ca = {0};
	struct fc_tcp_conn *conn;
	struct fc_tcp_conn_info ci;
	/* SYN-ACK options: MSS 1400, WS 2, SACK-permitted, timestamps. */
	static const uint8_t o[] = { 2, 4, 0x05, 0x78, 1, 3, 3, 2, 4, 2, 8, 10, 0, 0, 0, 9, 0, 0,
		0, 0, 1, 1 };
	struct rte_mbuf *m;

	c.rcv_wnd = 256 * 1024;
	c.timestamps = true;
	start(&c);
	conn = fc_tcp_connect(S, IP_A, 8080, &app_ops, &ca, now);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].wscale, 3);           /* 262144 >> 3 fits 16 bits, >> 2 does not */
	CHECK_EQ(si[0].wnd, 65535);          /* SYN windows are not scaled */
	CHECK(si[0].ts);
	m = seg_build(mp, IP_A, 8080, IP_B, si[0].sport, 9000, si[0].seq + 1,
		RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 30000, o, sizeof(o), NULL, 0);
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(ca.connected, 1);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].flags, RTE_TCP_ACK_FLAG);
	CHECK_EQ(si[0].ack, 9001);
	CHECK_EQ(si[0].wnd, 262144 >> 3);
	CHECK(si[0].ts);
	fc_tcp_conn_get_info(conn, &ci);
	CHECK_EQ(ci.mss, 1400 - 12);         /* RFC 6691: TSopt is in every segment */
	CHECK_EQ(ci.snd_wnd, 30000);         /* from the SYN-ACK, unscaled */
	CHECK_EQ(ci.snd_wscale, 2);
	CHECK_EQ(ci.rcv_wscale, 3);
	fc_tcp_abort(conn);
	app_reset(&ca);
	stop(avail0);
}

/* Microsoft RSS verification suite, IPv4 with TCP ports: the key most NICs (Intel ixgbe,
 * i40e, ice) ship as default. */
static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};
/* Mellanox mlx5 PMD default key (rss_hash_default_key in drivers/net/mlx5). */
static const uint8_t mlx5_key[40] = {
	0x2c, 0xc6, 0x81, 0xd1, 0x5b, 0xdb, 0xf4, 0xf7, 0xfc, 0xa2, 0x83, 0x19, 0xdb, 0x1a,
	0x3e, 0x94, 0x6b, 0x9e, 0x38, 0xd9, 0x2c, 0x9c, 0x03, 0xd1, 0xad, 0x99, 0x44, 0xa7,
	0xd9, 0x56, 0x3d, 0x59, 0x06, 0x3c, 0x25, 0xf3, 0xfc, 0x1f, 0xdc, 0x2a,
};

static uint32_t
reply_hash(const uint8_t *key, uint32_t srv, uint32_t us, uint16_t sport, uint16_t lport)
{
	struct rte_ipv4_tuple t = { .src_addr = srv, .dst_addr = us, .sport = sport,
		.dport = lport };

	return rte_softrss((uint32_t *)&t, RTE_THASH_V4_L4_LEN, key);
}

static void
rss_case(const uint8_t *key, uint16_t nq, uint16_t q, uint32_t srv, uint16_t sport)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct fc_tcp_config c = wire_default_cfg(mp, IP_B);
	struct app ca = {0};
	struct fc_tcp_conn_info ci;
	int i, good = 0;

	c.rss_key = key;
	c.nb_queues = nq;
	c.queue_id = q;
	c.max_conns = 512;
	start(&c);
	for (i = 0; i < 200; i++) {
		struct fc_tcp_conn *conn = fc_tcp_connect(S, srv, sport, &app_ops, &ca, now);

		if (conn == NULL)
			break;
		fc_tcp_conn_get_info(conn, &ci);
		/* Default RETA: entry i -> queue i % nq, indexed by hash % 128. */
		if ((reply_hash(key, srv, IP_B, sport, ci.local_port) % 128) % nq == q)
			good++;
	}
	CHECK_EQ(i, 200);
	CHECK_EQ(good, 200);
	app_reset(&ca);
	stop(avail0);
}

static void
test_rss_ports(void)
{
	struct rte_ipv4_tuple t = {
		.src_addr = IPV4U(66, 9, 149, 187), .dst_addr = IPV4U(161, 142, 100, 80),
		.sport = 2794, .dport = 1766,
	};

	/* The tuple layout and rte_softrss agree with the published test vector. */
	CHECK_EQ(rte_softrss((uint32_t *)&t, RTE_THASH_V4_L4_LEN, ms_key), 0x51ccc178);
	rss_case(ms_key, 4, 2, IP_A, 80);
	rss_case(ms_key, 2, 0, IPV4U(198, 18, 7, 9), 8080);
	rss_case(mlx5_key, 8, 5, IP_A, 443);
	rss_case(mlx5_key, 3, 1, IP_A, 80);
}

/* ---- RFC 7323 timestamps and RFC 2018 SACK: exact option bytes ---- */

struct raw_seg {
	struct seg_info si;
	unsigned iplen;        /* IPv4 total length */
	unsigned optlen;       /* TCP option bytes */
	uint8_t opt[40];
};

/* Like out(), keeping the raw TCP options and the IPv4 length of each frame. */
static unsigned
out_raw(struct raw_seg *r, unsigned max)
{
	struct rte_mbuf *m[64];
	unsigned n = 0, i, k;

	while ((k = fc_tcp_tx_bulk(S, m, 64)) > 0) {
		for (i = 0; i < k; i++) {
			uint8_t buf[128];
			const uint8_t *p = rte_pktmbuf_read(m[i], 0,
				RTE_MIN(m[i]->pkt_len, 14u + 20 + 60), buf);

			if (n < max && p != NULL && seg_parse(m[i], &r[n].si)) {
				unsigned doff = (p[14 + 20 + 12] >> 4) * 4u;

				r[n].iplen = (unsigned)(p[14 + 2] << 8 | p[14 + 3]);
				r[n].optlen = doff - 20;
				memcpy(r[n].opt, p + 14 + 20 + 20, r[n].optlen);
				n++;
			}
			rte_pktmbuf_free(m[i]);
		}
	}
	return n;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* NOP NOP TS(val, ecr) at @p; returns 12. */
static unsigned
exp_ts(uint8_t *p, uint32_t val, uint32_t ecr)
{
	p[0] = 1;
	p[1] = 1;
	p[2] = 8;
	p[3] = 10;
	put_be32(p + 4, val);
	put_be32(p + 8, ecr);
	return 12;
}

/* NOP NOP SACK with @n (left, right) pairs from @b; returns its length. */
static unsigned
exp_sack(uint8_t *p, const uint32_t *b, unsigned n)
{
	unsigned i;

	p[0] = 1;
	p[1] = 1;
	p[2] = 5;
	p[3] = (uint8_t)(2 + 8 * n);
	for (i = 0; i < 2 * n; i++)
		put_be32(p + 4 + 4 * i, b[i]);
	return 4 + 8 * n;
}

static bool
opts_eq(const struct raw_seg *r, const uint8_t *want, unsigned len)
{
	return r->optlen == len && memcmp(r->opt, want, len) == 0;
}

static uint8_t pattern[8192];

/* Peer data at @seq (payload pattern[seq - 1001...]) with TSopt (@tsval, ecr 1) or none. */
static void
in_data_ts(uint32_t seq, uint32_t ack, unsigned len, bool ts, uint32_t tsval)
{
	uint8_t o[12];
	struct rte_mbuf *m;

	exp_ts(o, tsval, 1);
	m = seg_build(mp, IP_A, RPORT, IP_B, LPORT, seq, ack, RTE_TCP_ACK_FLAG, 64,
		ts ? o : NULL, ts ? 12 : 0, pattern + (seq - 1001), len);
	fc_tcp_rx_bulk(S, &m, 1, now);
}

static void
test_ts_active_exact(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct fc_tcp_config c = wire_default_cfg(mp, IP_B);
	/* Linux's layout: MSS, SACK-permitted + TS (no padding), NOP + WS. TSval in ms. */
	static const uint8_t syn_o[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 5, 0, 0, 0, 0,
		1, 3, 3, 0 };
	static const uint8_t synack_o[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x03, 0x09,
		0, 0, 0, 5, 1, 3, 3, 2 };
	uint8_t want[40], d[3000];
	struct raw_seg r[8];
	struct app ca = {0};
	struct fc_tcp_conn *conn;
	struct fc_tcp_conn_info ci;
	struct rte_mbuf *m;
	uint16_t lp;
	uint32_t iss, b[2];
	unsigned i, n;

	for (i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)i;
	start(&c);                           /* defaults: timestamps and SACK on */
	now = 5 * MS;
	conn = fc_tcp_connect(S, IP_A, RPORT, &app_ops, &ca, now);
	CHECK_EQ(out_raw(r, 8), 1);
	CHECK(opts_eq(&r[0], syn_o, sizeof(syn_o)));
	CHECK_EQ(r[0].iplen, 60);
	iss = r[0].si.seq;
	lp = r[0].si.sport;
	now = 7 * MS;
	m = seg_build(mp, IP_A, RPORT, IP_B, lp, 5000, iss + 1,
		RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 30000, synack_o, sizeof(synack_o), NULL, 0);
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(ca.connected, 1);
	CHECK_EQ(out_raw(r, 8), 1);
	CHECK_EQ(r[0].si.ack, 5001);
	CHECK_EQ(r[0].si.flags, RTE_TCP_ACK_FLAG);
	CHECK(opts_eq(&r[0], want, exp_ts(want, 7, 777)));
	CHECK_EQ(r[0].iplen, 52);
	fc_tcp_conn_get_info(conn, &ci);
	CHECK_EQ(ci.mss, 1448);              /* RFC 6691: 1460 - 12 */
	CHECK_EQ(ci.srtt_ns, 2 * MS);        /* SYN timed in us */
	CHECK_EQ(ci.snd_wscale, 2);

	/* Full segments fill the 1500-byte MTU exactly, options included. */
	tick(10 * MS);                       /* sends use the time of the last call */
	CHECK_EQ(fc_tcp_send_copy(conn, d, sizeof(d)), (int)sizeof(d));
	n = out_raw(r, 8);
	CHECK_EQ(n, 3);
	CHECK_EQ(r[0].si.len, 1448);
	CHECK_EQ(r[0].iplen, 1500);
	CHECK_EQ(r[1].si.len, 1448);
	CHECK_EQ(r[1].iplen, 1500);
	CHECK_EQ(r[2].si.len, 104);
	CHECK_EQ(r[2].iplen, 20 + 32 + 104);
	for (i = 0; i < n; i++)
		CHECK(opts_eq(&r[i], want, exp_ts(want, 10, 777)));

	/* RTO at 10 + 10 ms (the floor); back-off to 20 ms. */
	tick(20 * MS);
	CHECK_EQ(out_raw(r, 8), 1);
	CHECK_EQ(r[0].si.seq, iss + 1);
	CHECK(opts_eq(&r[0], want, exp_ts(want, 20, 777)));
	fc_tcp_conn_get_info(conn, &ci);
	CHECK_EQ(ci.rto_ns, 20 * MS);
	/* The ACK echoes the retransmission's TSval: Karn forbids a seq-timed sample, TSecr
	 * gives 3 ms (RFC 7323 §4.1): SRTT 2000 - 250 + 375 us, RTTVAR 1000 - 250 + 250 us,
	 * RTO 2125 + 4000 us up to the 10 ms floor; the back-off is gone. */
	now = 23 * MS;
	exp_ts(want, 780, 20);
	m = seg_build(mp, IP_A, RPORT, IP_B, lp, 5001, iss + 1 + 3000, RTE_TCP_ACK_FLAG, 30000,
		want, 12, NULL, 0);
	fc_tcp_rx_bulk(S, &m, 1, now);
	fc_tcp_conn_get_info(conn, &ci);
	CHECK_EQ(ci.snd_una, iss + 1 + 3000);
	CHECK_EQ(ci.srtt_ns, 2125 * US);
	CHECK_EQ(ci.rttvar_ns, 1000 * US);
	CHECK_EQ(ci.rto_ns, 10 * MS);
	CHECK_EQ(out_raw(r, 8), 0);

	/* TS.Recent (RFC 7323 §4.3): from in-order segments only, never backwards. */
	now = 24 * MS;
	exp_ts(want, 790, 20);
	m = seg_build(mp, IP_A, RPORT, IP_B, lp, 5001, iss + 3001, RTE_TCP_ACK_FLAG, 30000,
		want, 12, "abcde", 5);
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(out_raw(r, 8), 1);
	CHECK_EQ(r[0].si.ack, 5006);
	CHECK(opts_eq(&r[0], want, exp_ts(want, 24, 790)));
	exp_ts(want, 800, 20);               /* out of order: echo stays 790, SACK reports it */
	m = seg_build(mp, IP_A, RPORT, IP_B, lp, 5011, iss + 3001, RTE_TCP_ACK_FLAG, 30000,
		want, 12, "klmno", 5);
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(out_raw(r, 8), 1);
	CHECK_EQ(r[0].si.ack, 5006);
	b[0] = 5011;
	b[1] = 5016;
	n = exp_ts(want, 24, 790);
	n += exp_sack(want + n, b, 1);
	CHECK(opts_eq(&r[0], want, n));
	CHECK_EQ(n, 24);
	exp_ts(want, 700, 20);               /* an older TSval fills the hole: no regression */
	m = seg_build(mp, IP_A, RPORT, IP_B, lp, 5006, iss + 3001, RTE_TCP_ACK_FLAG, 30000,
		want, 12, "fghij", 5);
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(out_raw(r, 8), 1);
	CHECK_EQ(r[0].si.ack, 5016);
	CHECK(opts_eq(&r[0], want, exp_ts(want, 24, 790)));
	CHECK_EQ(ca.rx_len, 15);
	CHECK(memcmp(ca.rx, "abcdefghijklmno", 15) == 0);
	fc_tcp_abort(conn);
	app_reset(&ca);
	stop(avail0);
}

/* Passive open with the peer's SYN options @o; checks our SYN-ACK options against @synack
 * and returns our ISS. Peer ISN 1000, window 64 << 7, clock at 1 ms. */
static uint32_t
handshake_opts(const uint8_t *o, unsigned olen, const uint8_t *synack, unsigned slen,
	bool ts)
{
	struct raw_seg r[4];
	uint8_t a[12];
	uint32_t iss;
	struct rte_mbuf *m;

	now = 1 * MS;
	in_opts(1000, 0, RTE_TCP_SYN_FLAG, 8192, o, olen);
	CHECK_EQ(out_raw(r, 4), 1);
	CHECK_EQ(r[0].si.flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	CHECK(opts_eq(&r[0], synack, slen));
	iss = r[0].si.seq;
	exp_ts(a, 101, 1);
	m = seg_build(mp, IP_A, RPORT, IP_B, LPORT, 1001, iss + 1, RTE_TCP_ACK_FLAG, 64,
		ts ? a : NULL, ts ? 12 : 0, NULL, 0);
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(A.connected, 1);
	CHECK_EQ(out_raw(r, 4), 0);
	return iss;
}

/* One out-of-order arrival and the exact options of the ACK it triggers. */
static void
sack_step(uint32_t iss, uint32_t seq, unsigned len, bool ts, uint32_t ack,
	const uint32_t *blocks, unsigned nb)
{
	struct raw_seg r[4];
	uint8_t want[40];
	unsigned n = 0;

	in_data_ts(seq, iss + 1, len, ts, 102);
	CHECK_EQ(out_raw(r, 4), 1);
	CHECK_EQ(r[0].si.ack, ack);
	CHECK_EQ(r[0].si.len, 0);
	if (ts)
		n = exp_ts(want, (uint32_t)(now / MS), 101);
	if (nb > 0)
		n += exp_sack(want + n, blocks, nb);
	CHECK(opts_eq(&r[0], want, n));
	CHECK_EQ(r[0].iplen, 40 + n);
}

static void
test_sack_blocks(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	static const uint8_t syn_ts[] = { 2, 4, 0x03, 0xe8, 4, 2, 8, 10, 0, 0, 0, 100, 0, 0, 0, 0,
		1, 3, 3, 7 };
	static const uint8_t synack_ts[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0,
		100, 1, 3, 3, 0 };
	static const uint8_t syn_nots[] = { 2, 4, 0x03, 0xe8, 1, 1, 4, 2, 1, 3, 3, 7 };
	static const uint8_t synack_nots[] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 0 };
	static const uint8_t synack_nosack[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 0 };
	struct fc_tcp_config c = wire_default_cfg(mp, IP_B);
	struct fc_tcp_conn_info ci;
	struct raw_seg r[8];
	uint8_t want[40];
	uint32_t iss;
	unsigned i, n;

	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 3);

	/* With timestamps: 3 blocks fit (12 + 4 + 24 = 40 bytes). */
	start(NULL);
	iss = handshake_opts(syn_ts, sizeof(syn_ts), synack_ts, sizeof(synack_ts), true);
	now = 2 * MS;
	{
		const uint32_t b1[] = { 1201, 1301 };
		const uint32_t b2[] = { 1401, 1501, 1201, 1301 };
		const uint32_t b3[] = { 1201, 1501 };                 /* 1301 joins them */
		const uint32_t b4[] = { 1601, 1701, 1201, 1501 };
		const uint32_t b5[] = { 1801, 1901, 1601, 1701, 1201, 1501 };
		const uint32_t b6[] = { 2001, 2101, 1801, 1901, 1601, 1701 }; /* newest 3 of 4 */
		const uint32_t b7[] = { 1201, 1501, 2001, 2101, 1801, 1901 }; /* duplicate: first */

		sack_step(iss, 1201, 100, true, 1001, b1, 1);
		sack_step(iss, 1401, 100, true, 1001, b2, 2);
		sack_step(iss, 1301, 100, true, 1001, b3, 1);
		sack_step(iss, 1601, 100, true, 1001, b4, 2);
		sack_step(iss, 1801, 100, true, 1001, b5, 3);
		sack_step(iss, 2001, 100, true, 1001, b6, 3);
		sack_step(iss, 1251, 50, true, 1001, b7, 3);
	}
	CHECK_EQ(A.rx_len, 0);
	CHECK_EQ(fc_tcp_counters(S)->dup_segs, 1);
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.ooo_segs, 6);
	CHECK_EQ(ci.mss, 1000 - 12);
	/* The hole at 1001 fills: ACK 1501, the rest newest first, TSecr from that segment. */
	now = 3 * MS;
	in_data_ts(1001, iss + 1, 200, true, 110);
	CHECK_EQ(out_raw(r, 4), 1);
	CHECK_EQ(r[0].si.ack, 1501);
	{
		const uint32_t b[] = { 2001, 2101, 1801, 1901, 1601, 1701 };

		n = exp_ts(want, 3, 110);
		n += exp_sack(want + n, b, 3);
		CHECK(opts_eq(&r[0], want, n));
	}
	CHECK_EQ(A.rx_len, 500);
	CHECK(memcmp(A.rx, pattern, 500) == 0);
	/* Our data beside 3 blocks: 988 - 28 = 960 bytes each, frames of MSS + 40 at most. */
	CHECK_EQ(fc_tcp_send_copy(A.conn, pattern, 3000), 3000);
	n = out_raw(r, 8);
	CHECK_EQ(n, 4);
	for (i = 0; i < n; i++) {
		CHECK_EQ(r[i].si.len, i < 3 ? 960u : 120u);
		CHECK_EQ(r[i].optlen, 40);
		CHECK_EQ(r[i].si.ack, 1501);
		CHECK(r[i].iplen <= 1040);
	}
	CHECK_EQ(r[0].iplen, 1040);
	/* Everything arrives: no more blocks. */
	in_data_ts(1501, iss + 1, 500, true, 111);
	in_data_ts(1701, iss + 1, 100, true, 112);
	in_data_ts(1901, iss + 1, 100, true, 113);
	out_raw(r, 8);
	in_data_ts(2101, iss + 1, 10, true, 114);
	CHECK_EQ(out_raw(r, 8), 1);
	CHECK_EQ(r[0].si.ack, 2111);
	CHECK(opts_eq(&r[0], want, exp_ts(want, 3, 114)));
	CHECK_EQ(A.rx_len, 1110);
	CHECK(memcmp(A.rx, pattern, 1110) == 0);
	stop(avail0);

	/* Without timestamps: 4 blocks (4 + 32 bytes), newest first. */
	avail0 = rte_mempool_avail_count(mp);
	start(NULL);
	iss = handshake_opts(syn_nots, sizeof(syn_nots), synack_nots, sizeof(synack_nots), false);
	now = 2 * MS;
	{
		const uint32_t b1[] = { 1101, 1201 };
		const uint32_t b2[] = { 1301, 1401, 1101, 1201 };
		const uint32_t b3[] = { 1501, 1601, 1301, 1401, 1101, 1201 };
		const uint32_t b4[] = { 1701, 1801, 1501, 1601, 1301, 1401, 1101, 1201 };
		const uint32_t b5[] = { 1901, 2001, 1701, 1801, 1501, 1601, 1301, 1401 };

		sack_step(iss, 1101, 100, false, 1001, b1, 1);
		sack_step(iss, 1301, 100, false, 1001, b2, 2);
		sack_step(iss, 1501, 100, false, 1001, b3, 3);
		sack_step(iss, 1701, 100, false, 1001, b4, 4);
		sack_step(iss, 1901, 100, false, 1001, b5, 4);
	}
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.mss, 1000);
	CHECK_EQ(ci.ooo_segs, 5);
	stop(avail0);

	/* Both off here: the peer's offers are declined, ACKs carry no options. */
	avail0 = rte_mempool_avail_count(mp);
	c.sack = -1;
	c.timestamps = -1;
	start(&c);
	iss = handshake_opts(syn_ts, sizeof(syn_ts), synack_nosack, sizeof(synack_nosack), false);
	now = 2 * MS;
	sack_step(iss, 1201, 100, false, 1001, NULL, 0);
	fc_tcp_conn_get_info(A.conn, &ci);
	CHECK_EQ(ci.mss, 1000);
	stop(avail0);
}

/* Peer ACK with one SACK block (NOP NOP SACK 10) or none when @l == @r. */
static void
in_sack_ack(uint32_t ack, uint16_t wnd, uint32_t l, uint32_t r)
{
	uint8_t o[12];
	unsigned n = 0;

	if (l != r) {
		const uint32_t b[] = { l, r };

		n = exp_sack(o, b, 1);
	}
	in_opts(1001, ack, RTE_TCP_ACK_FLAG, wnd, o, n);
}

/* With SACK, duplicate ACKs count when they SACK data above the cumulative ACK (RFC 6675
 * §2), whatever their window; D-SACK-only ones (RFC 2883) and block-less ones do not. */
static void
test_sack_dupacks(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	static const uint8_t syn_nots[] = { 2, 4, 0x03, 0xe8, 1, 1, 4, 2, 1, 3, 3, 7 };
	static const uint8_t synack_nots[] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 0 };
	const struct fc_tcp_counters *k;
	struct seg_info si[8];
	uint32_t iss, d;
	int i;

	for (i = 0; i < (int)sizeof(pattern); i++)
		pattern[i] = (uint8_t)i;
	start(NULL);
	k = fc_tcp_counters(S);
	iss = handshake_opts(syn_nots, sizeof(syn_nots), synack_nots, sizeof(synack_nots), false);
	d = iss + 1;
	CHECK_EQ(fc_tcp_send_copy(A.conn, pattern, 4000), 4000);
	CHECK_EQ(out(si, 8), 4);
	CHECK_EQ(si[3].seq, d + 3000);
	in_sack_ack(d + 1000, 64, 0, 0);             /* first segment acked */
	CHECK_EQ(out(si, 8), 0);
	for (i = 0; i < 3; i++)                      /* D-SACK of a duplicate below the ACK */
		in_sack_ack(d + 1000, 64, d, d + 1000);
	for (i = 0; i < 3; i++)                      /* no block at all */
		in_sack_ack(d + 1000, 64, 0, 0);
	CHECK_EQ(out(si, 8), 0);
	CHECK_EQ(k->dupacks, 0);
	CHECK_EQ(k->fast_retransmits, 0);
	for (i = 0; i < 3; i++)                      /* real SACKs, growing window */
		in_sack_ack(d + 1000, (uint16_t)(64 + i), d + 2000, d + 2000 + 1000u * (i + 1) / 3);
	CHECK_EQ(k->dupacks, 3);
	CHECK_EQ(k->fast_retransmits, 1);
	CHECK_EQ(out(si, 8), 1);
	CHECK_EQ(si[0].seq, d + 1000);
	CHECK_EQ(si[0].len, 1000);
	stop(avail0);
}

static void
test_sizes(void)
{
	struct fc_tcp_config c = wire_default_cfg(mp, IP_B);
	struct fc_tcp_ctx *x;

	CHECK(fc_tcp_tcb_size() <= 256);
	c.max_conns = 50000;
	x = fc_tcp_ctx_create(&c, SOCKET_ID_ANY);
	CHECK(x != NULL);
	if (x != NULL) {
		printf("sizeof(struct tcb) = %zu, bytes per connection slot = %zu\n",
			fc_tcp_tcb_size(), fc_tcp_bytes_per_conn(x));
		CHECK(fc_tcp_bytes_per_conn(x) <= 352);
	}
	fc_tcp_ctx_free(x);
	c.pool = NULL;
	errno = 0;
	CHECK(fc_tcp_ctx_create(&c, SOCKET_ID_ANY) == NULL);
	CHECK_EQ(errno, EINVAL);
}

int
main(int argc, char **argv)
{
	(void)argc;
	if (fc_test_eal_init(argv[0], 256) < 0)
		return 1;
	mp = rte_pktmbuf_pool_create("tcp_seg", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (mp == NULL)
		return 1;
	test_passive_open_and_data();
	test_ack_rides_on_reply();
	test_send_ref();
	test_rto_exact();
	test_fin_wait2_timeout();
	test_fast_retransmit_newreno();
	test_ooo_delivery();
	test_zero_window_persist();
	test_sws_override();
	test_rst_unknown_and_5961();
	test_hostile();
	test_syn_flood_bounded();
	test_syn_retries();
	test_wscale_and_ts();
	test_ts_active_exact();
	test_sack_blocks();
	test_sack_dupacks();
	test_rss_ports();
	test_sizes();
	return fc_test_result("test_tcp_seg");
}
