/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TIME_WAIT on the passive side against hand-built segments (lwIP tcp_helper style): a SYN
 * for a 4-tuple still in TIME_WAIT (RFC 1122 §4.2.2.13, RFC 6191), and a full TCB pool
 * (the oldest TIME_WAIT gives its TCB; a SYN with no TCB to take is counted). The server
 * closes first, as `flashcrowd serve` does for `Connection: close`, so it holds the TIME_WAIT.
 * Last, the same under churn over the in-memory wire with loss.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

#include "fc_test.h"
#include "tcp_internal.h"
#include "tcp_app.h"
#include "tcp_wire.h"

#define MS (1000 * 1000ull)
#define LPORT 80
#define RPORT 40000
#define SYN RTE_TCP_SYN_FLAG
#define ACK RTE_TCP_ACK_FLAG
#define FIN RTE_TCP_FIN_FLAG
#define RST RTE_TCP_RST_FLAG

static struct rte_mempool *mp;
static struct fc_tcp_ctx *S;
static uint64_t now;
static struct app A;

struct raw_seg {
	struct seg_info si;
	unsigned optlen;
	uint8_t opt[40];
};

/* Frames the stack sent since the last call, parsed, with their TCP options. */
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
				r[n].optlen = (p[14 + 20 + 12] >> 4) * 4u - 20;
				memcpy(r[n].opt, p + 14 + 20 + 20, r[n].optlen);
				n++;
			}
			rte_pktmbuf_free(m[i]);
		}
	}
	return n;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The TSopt of a frame (RFC 7323 §3): false when it carries none. */
static bool
ts_of(const struct raw_seg *r, uint32_t *val, uint32_t *ecr)
{
	unsigned i = 0;

	while (i < r->optlen) {
		uint8_t kind = r->opt[i];

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= r->optlen || r->opt[i + 1] < 2)
			break;
		if (kind == 8 && r->opt[i + 1] == 10 && i + 10 <= r->optlen) {
			*val = get_be32(r->opt + i + 2);
			*ecr = get_be32(r->opt + i + 6);
			return true;
		}
		i += r->opt[i + 1];
	}
	return false;
}

/*
 * A segment from the peer IP_A:@rport to our LPORT. With @ts it carries NOP NOP TS(@tsv,
 * @tsecr); a SYN also carries MSS 1460 first.
 */
static void
in_seg(uint16_t rport, uint32_t seq, uint32_t ack, uint8_t flags, bool ts, uint32_t tsv,
       uint32_t tsecr)
{
	uint8_t o[16];
	unsigned n = 0;
	struct rte_mbuf *m;

	if (flags & SYN) {
		o[n++] = 2;
		o[n++] = 4;
		o[n++] = 0x05;
		o[n++] = 0xb4;
	}
	if (ts) {
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 8;
		o[n++] = 10;
		put_be32(o + n, tsv);
		put_be32(o + n + 4, tsecr);
		n += 8;
	}
	m = seg_build(mp, IP_A, rport, IP_B, LPORT, seq, ack, flags, 8192, n ? o : NULL, n,
		NULL, 0);
	fc_tcp_rx_bulk(S, &m, 1, now);
}

/* The state lib/tcp holds for the peer's @rport (CLOSED when it holds none). */
static int
state_of(uint16_t rport)
{
	struct tcb *t = flow_lookup(S, IP_A, rport, LPORT);

	return t != NULL ? t->state : FC_TCP_CLOSED;
}

/* Exactly one frame out, with these fields; returns it in *@r. */
static void
expect_one(struct raw_seg *r, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t dport)
{
	struct raw_seg x[4];

	CHECK_EQ(out_raw(x, 4), 1);
	*r = x[0];
	CHECK_EQ(r->si.flags, flags);
	CHECK_EQ(r->si.seq, seq);
	CHECK_EQ(r->si.ack, ack);
	CHECK_EQ(r->si.len, 0);
	CHECK_EQ(r->si.dport, dport);
}

/* The ISS our SYN-ACK must carry now for a SYN that reopens a TIME_WAIT whose SND.MAX was
 * @old_snd_max: the clock ISN (RFC 6528), raised above the old incarnation (RFC 1122
 * §4.2.2.13 (1)) by Linux's margin. */
static uint32_t
reopen_iss(uint16_t rport, uint32_t old_snd_max)
{
	uint32_t isn = tcp_isn(S, IP_A, rport, LPORT), floor = old_snd_max + 65535 + 2;

	return SEQ_LT(isn, floor) ? floor : isn;
}

/* Passive open from @rport, peer ISN @irs (with TSopt @tsv when @ts); returns our ISS and
 * the connection in *@c. */
static uint32_t
open_conn(uint16_t rport, uint32_t irs, bool ts, uint32_t tsv, struct fc_tcp_conn **c)
{
	struct raw_seg r;
	uint32_t iss, val = 0, ecr = 0;
	int before = A.connected;

	in_seg(rport, irs, 0, SYN, ts, tsv, 0);
	CHECK_EQ(out_raw(&r, 1), 1);
	CHECK_EQ(r.si.flags, SYN | ACK);
	CHECK_EQ(r.si.ack, irs + 1);
	CHECK_EQ(ts_of(&r, &val, &ecr), ts);
	iss = r.si.seq;
	in_seg(rport, irs + 1, iss + 1, ACK, ts, tsv, val);
	CHECK_EQ(A.connected, before + 1);
	CHECK_EQ(out_raw(&r, 1), 0);
	CHECK_EQ(state_of(rport), FC_TCP_ESTABLISHED);
	*c = A.conn;
	return iss;
}

/* The server closes @c first (FIN at ISS + 1); the peer ACKs it with its own FIN (TSopt
 * @tsv when @ts): the last ACK goes out, and the server holds TIME_WAIT with RCV.NXT =
 * @irs + 2 and SND.MAX = @iss + 2. */
static void
close_to_tw(struct fc_tcp_conn *c, uint16_t rport, uint32_t irs, uint32_t iss, bool ts,
	    uint32_t tsv)
{
	struct raw_seg r;
	int closed = A.closed;

	CHECK_EQ(fc_tcp_close(c), 0);
	expect_one(&r, FIN | ACK, iss + 1, irs + 1, rport);
	in_seg(rport, irs + 1, iss + 2, FIN | ACK, ts, tsv, 0);
	expect_one(&r, ACK, iss + 2, irs + 2, rport);
	CHECK_EQ(state_of(rport), FC_TCP_TIME_WAIT);
	CHECK_EQ(A.closed, closed + 1);
	CHECK_EQ(A.reason, FC_TCP_CLOSE_NORMAL);
}

static void
start(uint32_t max_conns)
{
	struct fc_tcp_config c = wire_default_cfg(mp, IP_B);

	c.max_conns = max_conns;
	c.time_wait_ns = 1000 * MS;
	now = 10 * MS;
	app_reset(&A);
	S = fc_tcp_ctx_create(&c, SOCKET_ID_ANY);
	CHECK(S != NULL);
	CHECK_EQ(fc_tcp_listen(S, LPORT, &app_ops, &A), 0);
}

static void
stop(unsigned avail0)
{
	struct raw_seg r[8];

	out_raw(r, 8);
	fc_tcp_ctx_free(S);
	S = NULL;
	app_reset(&A);
	CHECK_EQ(rte_mempool_avail_count(mp), avail0);
}

/* RFC 1122 §4.2.2.13: a SYN above RCV.NXT of the TIME_WAIT reopens the 4-tuple, with an ISS
 * above the old incarnation's. */
static void
test_tw_syn_newer_seq(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct fc_tcp_conn *c;
	struct raw_seg r;
	uint32_t iss1, iss2;

	start(16);
	iss1 = open_conn(RPORT, 1000, false, 0, &c);
	close_to_tw(c, RPORT, 1000, iss1, false, 0);
	CHECK_EQ(fc_tcp_nb_conns(S), 1);
	now += 10 * MS;
	in_seg(RPORT, 5000, 0, SYN, false, 0, 0);
	iss2 = reopen_iss(RPORT, iss1 + 2);
	expect_one(&r, SYN | ACK, iss2, 5001, RPORT);
	CHECK(SEQ_GT(iss2, iss1 + 1));
	CHECK_EQ(state_of(RPORT), FC_TCP_SYN_RCVD);
	CHECK_EQ(fc_tcp_counters(S)->time_wait_reuse, 1);
	CHECK_EQ(fc_tcp_counters(S)->time_wait_reclaimed, 0);
	/* The TIME_WAIT's TCB became the new connection's: one in use. */
	CHECK_EQ(fc_tcp_nb_conns(S), 1);
	in_seg(RPORT, 5001, iss2 + 1, ACK, false, 0, 0);
	CHECK_EQ(A.connected, 2);
	CHECK_EQ(state_of(RPORT), FC_TCP_ESTABLISHED);
	CHECK_EQ(out_raw(&r, 1), 0);
	/* A request on the new incarnation is delivered and ACKed in its own sequence space. */
	struct rte_mbuf *m = seg_build(mp, IP_A, RPORT, IP_B, LPORT, 5001, iss2 + 1,
		ACK | RTE_TCP_PSH_FLAG, 8192, NULL, 0, "GET", 3);

	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(A.rx_len, 3);
	expect_one(&r, ACK, iss2 + 1, 5004, RPORT);
	stop(avail0);
}

/* A SYN at or below RCV.NXT is no newer: TIME_WAIT stays and answers with an ACK of RCV.NXT
 * (RFC 9293 §3.10.7.4: first check below the window, fourth check, a RFC 5961 §4.2
 * challenge ACK, in it). The peer's SYN-SENT answers that ACK with a RST at RCV.NXT, which
 * ends the TIME_WAIT, and its next SYN opens. */
static void
test_tw_syn_older_seq(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct fc_tcp_conn *c;
	struct raw_seg r;
	uint32_t iss1, oow;

	start(16);
	iss1 = open_conn(RPORT, 1000, false, 0, &c);
	close_to_tw(c, RPORT, 1000, iss1, false, 0);
	now += 10 * MS;
	oow = (uint32_t)fc_tcp_counters(S)->out_of_window;
	in_seg(RPORT, 900, 0, SYN, false, 0, 0);
	expect_one(&r, ACK, iss1 + 2, 1002, RPORT);
	CHECK_EQ(fc_tcp_counters(S)->out_of_window, oow + 1);
	CHECK_EQ(state_of(RPORT), FC_TCP_TIME_WAIT);
	CHECK_EQ(fc_tcp_counters(S)->time_wait_reuse, 0);
	/* Equal to RCV.NXT: not above it, so no reopen either (challenge ACK). */
	in_seg(RPORT, 1002, 0, SYN, false, 0, 0);
	expect_one(&r, ACK, iss1 + 2, 1002, RPORT);
	CHECK_EQ(fc_tcp_counters(S)->challenge_acks, 1);
	CHECK_EQ(state_of(RPORT), FC_TCP_TIME_WAIT);
	CHECK_EQ(fc_tcp_counters(S)->time_wait_reuse, 0);
	CHECK_EQ(A.connected, 1);
	/* The RST the ACK draws ends the TIME_WAIT; the SYN again opens a connection. */
	in_seg(RPORT, 1002, 0, RST, false, 0, 0);
	CHECK_EQ(out_raw(&r, 1), 0);
	CHECK_EQ(state_of(RPORT), FC_TCP_CLOSED);
	CHECK_EQ(fc_tcp_nb_conns(S), 0);
	in_seg(RPORT, 900, 0, SYN, false, 0, 0);
	CHECK_EQ(out_raw(&r, 1), 1);
	CHECK_EQ(r.si.flags, SYN | ACK);
	CHECK_EQ(r.si.ack, 901);
	CHECK_EQ(fc_tcp_counters(S)->time_wait_reuse, 0);
	stop(avail0);
}

/* RFC 6191 §2: when the old incarnation used timestamps and the SYN has one, the timestamp
 * decides: older is refused whatever the sequence number, newer is accepted whatever the
 * sequence number, equal falls back on the sequence number. */
static void
test_tw_syn_timestamps(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct fc_tcp_conn *c;
	struct raw_seg r;
	uint32_t iss1, iss2, iss3, val, ecr;

	start(16);
	iss1 = open_conn(RPORT, 1000, true, 100, &c);
	close_to_tw(c, RPORT, 1000, iss1, true, 200); /* TS.Recent = 200 */
	now += 10 * MS;
	/* Older timestamp, sequence number far above RCV.NXT: refused, ACK with TSecr 200. */
	in_seg(RPORT, 1000000, 0, SYN, true, 150, 0);
	expect_one(&r, ACK, iss1 + 2, 1002, RPORT);
	CHECK(ts_of(&r, &val, &ecr));
	CHECK_EQ(ecr, 200);
	CHECK_EQ(val, now / MS);
	CHECK_EQ(state_of(RPORT), FC_TCP_TIME_WAIT);
	/* Equal timestamp, sequence number below RCV.NXT: refused. */
	in_seg(RPORT, 1001, 0, SYN, true, 200, 0);
	expect_one(&r, ACK, iss1 + 2, 1002, RPORT);
	CHECK_EQ(state_of(RPORT), FC_TCP_TIME_WAIT);
	CHECK_EQ(fc_tcp_counters(S)->time_wait_reuse, 0);
	/* Newer timestamp, sequence number below the old one's: accepted. */
	in_seg(RPORT, 500, 0, SYN, true, 201, 0);
	iss2 = reopen_iss(RPORT, iss1 + 2);
	expect_one(&r, SYN | ACK, iss2, 501, RPORT);
	CHECK(ts_of(&r, &val, &ecr));
	CHECK_EQ(ecr, 201);
	CHECK_EQ(fc_tcp_counters(S)->time_wait_reuse, 1);
	in_seg(RPORT, 501, iss2 + 1, ACK, true, 201, val);
	CHECK_EQ(A.connected, 2);
	CHECK_EQ(out_raw(&r, 1), 0);
	c = A.conn;
	/* Back to TIME_WAIT (TS.Recent 300), then an equal timestamp with a sequence number
	 * above RCV.NXT (502): accepted. */
	now += 10 * MS;
	close_to_tw(c, RPORT, 500, iss2, true, 300);
	now += 10 * MS;
	in_seg(RPORT, 600, 0, SYN, true, 300, 0);
	iss3 = reopen_iss(RPORT, iss2 + 2);
	expect_one(&r, SYN | ACK, iss3, 601, RPORT);
	CHECK_EQ(fc_tcp_counters(S)->time_wait_reuse, 2);
	in_seg(RPORT, 601, iss3 + 1, ACK, true, 300, 0);
	CHECK_EQ(A.connected, 3);
	c = A.conn;
	/* And when the new SYN has no timestamp, the sequence number alone decides. */
	now += 10 * MS;
	close_to_tw(c, RPORT, 600, iss3, true, 400);
	now += 10 * MS;
	in_seg(RPORT, 601, 0, SYN, false, 0, 0);
	expect_one(&r, ACK, iss3 + 2, 602, RPORT);
	CHECK_EQ(state_of(RPORT), FC_TCP_TIME_WAIT);
	in_seg(RPORT, 700, 0, SYN, false, 0, 0);
	expect_one(&r, SYN | ACK, reopen_iss(RPORT, iss3 + 2), 701, RPORT);
	CHECK(!ts_of(&r, &val, &ecr));
	CHECK_EQ(fc_tcp_counters(S)->time_wait_reuse, 3);
	stop(avail0);
}

/* Every TCB in use: a new SYN takes the TCB of the oldest TIME_WAIT, whose 4-tuple is then
 * unknown; the younger ones stay. */
static void
test_tw_reclaim_oldest(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct fc_tcp_conn *c;
	struct raw_seg r;
	uint32_t iss[5];
	unsigned i;

	start(3);
	for (i = 0; i < 3; i++) {
		iss[i] = open_conn((uint16_t)(RPORT + i), 1000 * (i + 1), false, 0, &c);
		close_to_tw(c, (uint16_t)(RPORT + i), 1000 * (i + 1), iss[i], false, 0);
		now += 1 * MS;
	}
	CHECK_EQ(fc_tcp_nb_conns(S), 3);
	in_seg(RPORT + 3, 7000, 0, SYN, false, 0, 0);
	CHECK_EQ(out_raw(&r, 1), 1);
	CHECK_EQ(r.si.flags, SYN | ACK);
	CHECK_EQ(r.si.ack, 7001);
	CHECK_EQ(r.si.dport, RPORT + 3);
	iss[3] = r.si.seq;
	CHECK_EQ(fc_tcp_counters(S)->time_wait_reclaimed, 1);
	CHECK_EQ(fc_tcp_counters(S)->syn_no_slot, 0);
	CHECK_EQ(fc_tcp_counters(S)->syn_drops, 0);
	CHECK_EQ(fc_tcp_nb_conns(S), 3);
	CHECK_EQ(state_of(RPORT), FC_TCP_CLOSED);
	CHECK_EQ(state_of(RPORT + 1), FC_TCP_TIME_WAIT);
	CHECK_EQ(state_of(RPORT + 2), FC_TCP_TIME_WAIT);
	/* The first peer's FIN again: no connection any more, the listener answers RST at the
	 * segment's ACK (RFC 9293 §3.10.7.2). The second's: its TIME_WAIT ACKs it. */
	in_seg(RPORT, 1001, iss[0] + 2, FIN | ACK, false, 0, 0);
	expect_one(&r, RST, iss[0] + 2, 0, RPORT);
	in_seg(RPORT + 1, 2001, iss[1] + 2, FIN | ACK, false, 0, 0);
	expect_one(&r, ACK, iss[1] + 2, 2002, RPORT + 1);
	in_seg(RPORT + 3, 7001, iss[3] + 1, ACK, false, 0, 0);
	CHECK_EQ(A.connected, 4);
	CHECK_EQ(state_of(RPORT + 3), FC_TCP_ESTABLISHED);
	/* The next SYN takes the next oldest: the second's. */
	in_seg(RPORT + 4, 9000, 0, SYN, false, 0, 0);
	CHECK_EQ(out_raw(&r, 1), 1);
	CHECK_EQ(r.si.flags, SYN | ACK);
	CHECK_EQ(r.si.ack, 9001);
	CHECK_EQ(fc_tcp_counters(S)->time_wait_reclaimed, 2);
	CHECK_EQ(state_of(RPORT + 1), FC_TCP_CLOSED);
	CHECK_EQ(state_of(RPORT + 2), FC_TCP_TIME_WAIT);
	CHECK_EQ(state_of(RPORT + 4), FC_TCP_SYN_RCVD);
	stop(avail0);
}

/* Every TCB in use and none in TIME_WAIT: the SYN is dropped, silently on the wire and
 * counted (syn_no_slot, syn_drops); once one connection waits in TIME_WAIT, the same SYN
 * gets its TCB. */
static void
test_syn_no_slot_counted(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct fc_tcp_conn *c[2];
	struct raw_seg r;
	uint32_t iss0;

	start(2);
	iss0 = open_conn(RPORT, 1000, false, 0, &c[0]);
	open_conn(RPORT + 1, 2000, false, 0, &c[1]);
	in_seg(RPORT + 2, 3000, 0, SYN, false, 0, 0);
	CHECK_EQ(out_raw(&r, 1), 0);
	CHECK_EQ(fc_tcp_counters(S)->syn_no_slot, 1);
	CHECK_EQ(fc_tcp_counters(S)->syn_drops, 1);
	CHECK_EQ(fc_tcp_counters(S)->pool_full, 1);
	CHECK_EQ(state_of(RPORT + 2), FC_TCP_CLOSED);
	now += 200 * MS; /* its retransmission */
	in_seg(RPORT + 2, 3000, 0, SYN, false, 0, 0);
	CHECK_EQ(out_raw(&r, 1), 0);
	CHECK_EQ(fc_tcp_counters(S)->syn_no_slot, 2);
	close_to_tw(c[0], RPORT, 1000, iss0, false, 0);
	now += 400 * MS;
	in_seg(RPORT + 2, 3000, 0, SYN, false, 0, 0);
	CHECK_EQ(out_raw(&r, 1), 1);
	CHECK_EQ(r.si.flags, SYN | ACK);
	CHECK_EQ(r.si.ack, 3001);
	CHECK_EQ(fc_tcp_counters(S)->syn_no_slot, 2);
	CHECK_EQ(fc_tcp_counters(S)->time_wait_reclaimed, 1);
	CHECK_EQ(state_of(RPORT), FC_TCP_CLOSED);
	stop(avail0);
}

/* An application that opens its next connection from on_closed, as a CPS client does. */
static struct fc_tcp_conn *reconnect_got;
static int reconnect_errno, reconnect_calls;

static void
reconnect_on_closed(struct fc_tcp_conn *c, void *user, enum fc_tcp_close_reason r, uint64_t now)
{
	(void)now;
	app_on_closed(c, user, r, now);
	reconnect_calls++;
	errno = 0;
	reconnect_got = fc_tcp_connect(S, IP_A, RPORT, &app_ops, user, now);
	reconnect_errno = errno;
}

static const struct fc_tcp_ops reconnect_ops = {
	.on_connected = app_on_connected, .on_data = app_on_data, .on_eof = app_on_eof,
	.on_closed = reconnect_on_closed,
};

/*
 * Active close with one TCB: the connection that enters TIME_WAIT calls on_closed, whose
 * connect finds the pool full. It must not take the TCB that is entering TIME_WAIT (the
 * input path still works on it): ENOMEM, counted as pool_full. A connect after the segment
 * is done takes it (the oldest TIME_WAIT) and sends its SYN.
 */
static void
test_tw_reclaim_not_from_on_closed(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct fc_tcp_conn *c;
	struct fc_tcp_conn_info ci;
	struct raw_seg r;
	uint32_t iss;
	uint16_t lport;

	start(1);
	reconnect_got = NULL;
	reconnect_calls = 0;
	c = fc_tcp_connect(S, IP_A, RPORT, &reconnect_ops, &A, now);
	CHECK(c != NULL);
	CHECK_EQ(out_raw(&r, 1), 1);
	CHECK_EQ(r.si.flags, SYN);
	iss = r.si.seq;
	lport = r.si.sport;
	struct rte_mbuf *m = seg_build(mp, IP_A, RPORT, IP_B, lport, 7000, iss + 1, SYN | ACK,
		8192, NULL, 0, NULL, 0);

	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(A.connected, 1);
	expect_one(&r, ACK, iss + 1, 7001, RPORT);
	CHECK_EQ(fc_tcp_close(c), 0);
	expect_one(&r, FIN | ACK, iss + 1, 7001, RPORT);
	/* The peer ACKs our FIN with its own: TIME_WAIT, on_closed, connect from it. */
	m = seg_build(mp, IP_A, RPORT, IP_B, lport, 7001, iss + 2, FIN | ACK, 8192, NULL, 0,
		NULL, 0);
	fc_tcp_rx_bulk(S, &m, 1, now);
	CHECK_EQ(reconnect_calls, 1);
	CHECK(reconnect_got == NULL);
	CHECK_EQ(reconnect_errno, ENOMEM);
	CHECK_EQ(fc_tcp_counters(S)->pool_full, 1);
	CHECK_EQ(fc_tcp_counters(S)->time_wait_reclaimed, 0);
	expect_one(&r, ACK, iss + 2, 7002, RPORT);
	struct tcb *t = flow_lookup(S, IP_A, RPORT, lport);

	CHECK(t != NULL && t->state == FC_TCP_TIME_WAIT);
	/* Outside the callback the TIME_WAIT gives its TCB. */
	c = fc_tcp_connect(S, IP_A, RPORT, &app_ops, &A, now);
	CHECK(c != NULL);
	CHECK_EQ(fc_tcp_counters(S)->time_wait_reclaimed, 1);
	CHECK_EQ(out_raw(&r, 1), 1);
	CHECK_EQ(r.si.flags, SYN);
	fc_tcp_conn_get_info(c, &ci);
	CHECK_EQ(ci.state, FC_TCP_SYN_SENT);
	CHECK(flow_lookup(S, IP_A, RPORT, lport) == NULL || r.si.sport == lport);
	stop(avail0);
}

/* ---- churn over the in-memory wire ---- */

static struct wire w;
static struct {
	int open, started, done, normal;
	int srv_closed;
} ch;
static const char ch_req[] = "GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
static const char ch_rsp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

static void
ch_cli_connected(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	(void)now;
	(void)user;
	fc_tcp_send_ref(c, ch_req, sizeof(ch_req) - 1);
}

static void
ch_cli_data(struct fc_tcp_conn *c, void *user, struct rte_mbuf *m, uint64_t now)
{
	(void)now;
	(void)c;
	(void)user;
	fc_tcp_mbuf_free(m);
}

static void
ch_cli_eof(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	(void)now;
	(void)user;
	fc_tcp_close(c);
}

static void
ch_cli_closed(struct fc_tcp_conn *c, void *user, enum fc_tcp_close_reason r, uint64_t now)
{
	(void)now;
	(void)c;
	(void)user;
	ch.open--;
	ch.done++;
	ch.normal += r == FC_TCP_CLOSE_NORMAL;
}

static void
ch_srv_data(struct fc_tcp_conn *c, void *user, struct rte_mbuf *m, uint64_t now)
{
	(void)now;
	(void)user;
	fc_tcp_mbuf_free(m);
	fc_tcp_send_ref(c, ch_rsp, sizeof(ch_rsp) - 1);
	fc_tcp_close(c); /* Connection: close: the server closes first and holds TIME_WAIT */
}

static void
ch_srv_closed(struct fc_tcp_conn *c, void *user, enum fc_tcp_close_reason r, uint64_t now)
{
	(void)now;
	(void)c;
	(void)user;
	(void)r;
	ch.srv_closed++;
}

static const struct fc_tcp_ops ch_cli_ops = {
	.on_connected = ch_cli_connected, .on_data = ch_cli_data, .on_eof = ch_cli_eof,
	.on_closed = ch_cli_closed,
};
static const struct fc_tcp_ops ch_srv_ops = { .on_data = ch_srv_data, .on_closed = ch_srv_closed };

/*
 * 2000 connections, 16 at a time, one request each, the server closing first, over a wire
 * that loses 2% of frames (seed @seed): the server has 32 TCBs and 1 s of TIME_WAIT, so its
 * TIME_WAITs give their TCBs hundreds of times, and the client's 40 source ports come back
 * so soon that some SYNs find their 4-tuple still in TIME_WAIT. Every connection must end
 * normally on the client, no SYN may be dropped for want of a TCB, and every mbuf must come
 * back.
 */
static void
test_tw_churn(uint64_t seed)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct fc_tcp_config a = wire_default_cfg(mp, IP_A), b = wire_default_cfg(mp, IP_B);
	const struct fc_tcp_counters *sc;

	a.port_min = 40000;
	a.port_max = 40039;
	b.max_conns = 32;
	b.time_wait_ns = 1000 * MS;
	memset(&ch, 0, sizeof(ch));
	wire_init(&w, mp, seed);
	w.ctx[0] = fc_tcp_ctx_create(&a, SOCKET_ID_ANY);
	w.ctx[1] = fc_tcp_ctx_create(&b, SOCKET_ID_ANY);
	CHECK(w.ctx[0] != NULL && w.ctx[1] != NULL);
	CHECK_EQ(fc_tcp_listen(w.ctx[1], LPORT, &ch_srv_ops, NULL), 0);
	w.loss = 0.02;
	while (ch.done < 2000 && w.now < 120000 * MS) {
		while (ch.open < 16 && ch.started < 2000 &&
		       fc_tcp_connect(w.ctx[0], IP_B, LPORT, &ch_cli_ops, NULL, w.now) != NULL) {
			ch.open++;
			ch.started++;
		}
		wire_advance(&w, 1 * MS);
	}
	sc = fc_tcp_counters(w.ctx[1]);
	printf("churn (seed %lu): %d connections in %.3f s fake time, %d normal; server: %lu "
	       "TIME_WAITs ended early for a TCB, %lu reopened by a newer SYN, %lu SYNs dropped "
	       "for want of a TCB, %lu retransmissions\n", (unsigned long)seed, ch.done,
	       (double)w.now / 1e9, ch.normal, (unsigned long)sc->time_wait_reclaimed, (unsigned long)sc->time_wait_reuse,
	       (unsigned long)sc->syn_no_slot, (unsigned long)sc->retransmits);
	CHECK_EQ(ch.done, 2000);
	CHECK_EQ(ch.normal, 2000);
	CHECK_EQ(ch.srv_closed, 2000);
	CHECK(sc->time_wait_reclaimed > 100);
	CHECK(sc->time_wait_reuse > 0);
	CHECK_EQ(sc->syn_no_slot, 0);
	CHECK(fc_tcp_counters(w.ctx[0])->retransmits > 0); /* the loss was felt */
	/* Whatever still waits in TIME_WAIT ends; both contexts empty. */
	w.loss = 0;
	wire_advance(&w, 2000 * MS);
	CHECK_EQ(fc_tcp_nb_conns(w.ctx[0]), 0);
	CHECK_EQ(fc_tcp_nb_conns(w.ctx[1]), 0);
	wire_flush(&w);
	fc_tcp_ctx_free(w.ctx[0]);
	fc_tcp_ctx_free(w.ctx[1]);
	CHECK_EQ(rte_mempool_avail_count(mp), avail0);
}

int
main(int argc, char **argv)
{
	(void)argc;
	if (fc_test_eal_init(argv[0], 256) < 0)
		return FC_TEST_SKIP;
	mp = rte_pktmbuf_pool_create("tcp_tw", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (mp == NULL)
		return 1;
	test_tw_syn_newer_seq();
	test_tw_syn_older_seq();
	test_tw_syn_timestamps();
	test_tw_reclaim_oldest();
	test_syn_no_slot_counted();
	test_tw_reclaim_not_from_on_closed();
	for (uint64_t seed = 20; seed < 25; seed++)
		test_tw_churn(seed);
	return fc_test_result("test_tcp_tw");
}
