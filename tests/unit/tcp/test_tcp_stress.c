/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Seeded stress over the in-memory wire: for each seed, random MSS, windows, delayed ACK,
 * offload, loss/duplication/reordering rates and application back-pressure (receive-window
 * holds), sending by copy, by reference or both; data flows both ways at once, then one side
 * (random) closes. Every run must be byte-exact both ways, end with both sides closed
 * normally, and leave the pool as it found it.
 */
#include <stdlib.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fc_test.h"
#include "fc_tcp.h"
#include "tcp_app.h"
#include "tcp_wire.h"

#define MS (1000 * 1000ull)
#define NSEEDS 200

static struct rte_mempool *mp;
static struct wire w;

static uint64_t rs;

static uint32_t
rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs >> 32);
}

struct side {
	struct app app;
	const uint8_t *data;
	const uint8_t *twin; /* the same bytes at another address */
	size_t len, sent;
	int hold;           /* app applies back-pressure */
	int mode;           /* 0 fc_tcp_send_copy, 1 fc_tcp_send_ref, 2 either, per call */
};

static struct side cs, ss;

static void
hold_on_data(struct fc_tcp_conn *c, void *user, struct rte_mbuf *m, uint64_t now)
{
	struct side *s = user;
	uint32_t n = m->pkt_len;

	app_on_data(c, &s->app, m, now);
	/* Hold what arrived, release it later from the main loop. */
	if (s->hold)
		fc_tcp_recv_hold(c, n);
}

static void
s_connected(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	app_on_connected(c, &((struct side *)user)->app, now);
}

static void
s_eof(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	app_on_eof(c, &((struct side *)user)->app, now);
}

static void
s_closed(struct fc_tcp_conn *c, void *user, enum fc_tcp_close_reason r, uint64_t now)
{
	app_on_closed(c, &((struct side *)user)->app, r, now);
}

static const struct fc_tcp_ops ops = {
	.on_connected = s_connected,
	.on_data = hold_on_data,
	.on_eof = s_eof,
	.on_closed = s_closed,
};

static void
pump_side(struct side *s)
{
	while (s->app.conn != NULL && s->sent < s->len) {
		size_t left = s->len - s->sent;
		int r;

		if (s->mode == 0 || (s->mode == 2 && rnd() % 2)) {
			r = fc_tcp_send_copy(s->app.conn, s->data + s->sent, left);
		} else {
			/* Random pieces, from either copy of the data: a piece from the same
			 * buffer continues the last chunk, one from the twin starts a new one
			 * (or is copied once the queue holds FC_TCP_SEND_REFS). */
			const uint8_t *src = (rnd() % 3 ? s->data : s->twin) + s->sent;

			r = fc_tcp_send_ref(s->app.conn, src, RTE_MIN(left, (size_t)1 + rnd() % 30000));
		}

		if (r <= 0)
			break;
		s->sent += (size_t)r;
	}
	if (s->app.conn != NULL && s->hold && (rnd() % 4) == 0)
		fc_tcp_recv_release(s->app.conn, rnd() % 20000);
}

static void
one_run(uint64_t seed)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct fc_tcp_config a = wire_default_cfg(mp, IP_A), b = wire_default_cfg(mp, IP_B);
	static uint8_t d1[300000], d2[200000], t1[300000], t2[200000];
	size_t i;
	int closer;
	uint64_t limit;

	rs = seed * 0x9e3779b97f4a7c15ull + 1;
	for (i = 0; i < sizeof(d1); i++)
		d1[i] = (uint8_t)(rnd() >> 24);
	for (i = 0; i < sizeof(d2); i++)
		d2[i] = (uint8_t)(rnd() >> 24);
	a.mss = (uint16_t)(536 + rnd() % 1000);
	b.mss = (uint16_t)(536 + rnd() % 1000);
	a.rcv_wnd = 4096 + rnd() % 300000;
	b.rcv_wnd = 4096 + rnd() % 300000;
	a.delayed_ack = rnd() % 3 == 0;
	b.delayed_ack = rnd() % 3 == 0;
	a.delack_ns = b.delack_ns = 2 * MS;
	a.tx_cksum_offload = b.tx_cksum_offload = rnd() % 2;
	a.timestamps = b.timestamps = rnd() % 2 ? 1 : -1;
	a.rto_min_ns = b.rto_min_ns = (1 + rnd() % 20) * MS;
	a.data_retries = b.data_retries = 30;
	a.ooo_max_segs = b.ooo_max_segs = 4 + rnd() % 60;
	/* Either side may refuse SACK or timestamps (then neither uses them). */
	a.sack = rnd() % 2 ? 1 : -1;
	b.sack = rnd() % 4 ? 1 : -1;
	b.timestamps = rnd() % 4 ? a.timestamps : -1;
	wire_init(&w, mp, seed + 1);
	w.ctx[0] = fc_tcp_ctx_create(&a, SOCKET_ID_ANY);
	w.ctx[1] = fc_tcp_ctx_create(&b, SOCKET_ID_ANY);
	w.mark_cksum_good = a.tx_cksum_offload;
	memset(&cs, 0, sizeof(cs));
	memset(&ss, 0, sizeof(ss));
	memcpy(t1, d1, sizeof(d1));
	memcpy(t2, d2, sizeof(d2));
	cs.data = d1;
	cs.twin = t1;
	cs.len = 50000 + rnd() % (sizeof(d1) - 50000);
	cs.mode = (int)(rnd() % 3);
	ss.data = d2;
	ss.twin = t2;
	ss.mode = (int)(rnd() % 3);
	ss.len = rnd() % sizeof(d2);
	cs.hold = rnd() % 3 == 0;
	ss.hold = rnd() % 3 == 0;
	fc_tcp_listen(w.ctx[1], 80, &ops, &ss);
	CHECK(fc_tcp_connect(w.ctx[0], IP_B, 80, &ops, &cs, 0) != NULL);
	w.loss = (rnd() % 6) / 100.0;
	w.dup = (rnd() % 4) / 100.0;
	w.reorder = (rnd() % 20) / 100.0;
	w.reorder_ns = 100 * 1000 + rnd() % 500000;
	w.delay_ns = 20 * 1000 + rnd() % 2000000;
	w.jitter_ns = rnd() % 100000;
	limit = 600000 * MS;
	while (w.now < limit && (ss.app.rx_len < cs.len || cs.app.rx_len < ss.len)) {
		pump_side(&cs);
		pump_side(&ss);
		wire_advance(&w, 1 * MS);
		if (getenv("STRESS_DEBUG") && cs.app.conn && ss.app.conn && w.now % (100 * MS) == 0) {
			struct fc_tcp_conn_info x, y;

			fc_tcp_conn_get_info(cs.app.conn, &x);
			fc_tcp_conn_get_info(ss.app.conn, &y);
			printf("t=%.1f c: st %d una %u nxt %u wnd %u cwnd %u rto %lu rnxt %u rwnd %u q %u r %u | "
				"s: st %d una %u nxt %u wnd %u cwnd %u rto %lu rnxt %u rwnd %u q %u r %u\n",
				(double)w.now / 1e9, x.state, x.snd_una, x.snd_nxt, x.snd_wnd, x.cwnd,
				(unsigned long)x.rto_ns, x.rcv_nxt, x.rcv_wnd, x.snd_queued, x.retries,
				y.state, y.snd_una, y.snd_nxt, y.snd_wnd, y.cwnd,
				(unsigned long)y.rto_ns, y.rcv_nxt, y.rcv_wnd, y.snd_queued, y.retries);
		}
		if (cs.app.closed || ss.app.closed)
			break;
	}
	CHECK_EQ(ss.app.rx_len, cs.len);
	CHECK(ss.app.rx_len == cs.len && (cs.len == 0 || memcmp(ss.app.rx, d1, cs.len) == 0));
	CHECK_EQ(cs.app.rx_len, ss.len);
	CHECK(cs.app.rx_len == ss.len && (ss.len == 0 || memcmp(cs.app.rx, d2, ss.len) == 0));
	/* Close from a random side; the other closes on EOF. */
	cs.hold = ss.hold = 0;
	if (cs.app.conn)
		fc_tcp_recv_release(cs.app.conn, UINT32_MAX);
	if (ss.app.conn)
		fc_tcp_recv_release(ss.app.conn, UINT32_MAX);
	closer = rnd() % 2;
	cs.app.close_on_eof = ss.app.close_on_eof = 1;
	if (closer == 0 && cs.app.conn)
		fc_tcp_close(cs.app.conn);
	else if (ss.app.conn)
		fc_tcp_close(ss.app.conn);
	while (w.now < limit + 120000 * MS && !(cs.app.closed && ss.app.closed))
		wire_advance(&w, 1 * MS);
	CHECK_EQ(cs.app.reason, FC_TCP_CLOSE_NORMAL);
	CHECK_EQ(ss.app.reason, FC_TCP_CLOSE_NORMAL);
	CHECK(cs.app.closed == 1 && ss.app.closed == 1);
	if (fc_test_failures)
		printf("seed %lu: mss %u/%u wnd %u/%u loss %.2f dup %.2f reo %.2f delay %lu "
			"len %zu/%zu hold %d/%d -> rx %zu/%zu t %.3f\n", (unsigned long)seed,
			a.mss, b.mss, a.rcv_wnd, b.rcv_wnd, w.loss, w.dup, w.reorder,
			(unsigned long)w.delay_ns, cs.len, ss.len, cs.hold, ss.hold,
			ss.app.rx_len, cs.app.rx_len, (double)w.now / 1e9);
	wire_flush(&w);
	fc_tcp_ctx_free(w.ctx[0]);
	fc_tcp_ctx_free(w.ctx[1]);
	app_reset(&cs.app);
	app_reset(&ss.app);
	CHECK_EQ(rte_mempool_avail_count(mp), avail0);
}

int
main(int argc, char **argv)
{
	uint64_t s, first = 1, n = NSEEDS;

	if (argc > 1)
		first = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		n = strtoull(argv[2], NULL, 0);
	if (fc_test_eal_init(argv[0], 256) < 0)
		return 1;
	mp = rte_pktmbuf_pool_create("tcp_stress", 32767, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (mp == NULL)
		return 1;
	for (s = first; s < first + n; s++) {
		unsigned f0 = fc_test_failures;

		one_run(s);
		if (fc_test_failures != f0)
			break;
	}
	return fc_test_result("test_tcp_stress");
}
