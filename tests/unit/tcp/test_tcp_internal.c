/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcp internals against reference models: the flow table (open addressing with
 * backward-shift deletion) under random insert/remove, the timer wheel (exact expiry ticks,
 * deadlines beyond one revolution, cancel, a slot fuller than one expiry batch), many
 * concurrent connections over a lossy wire (the wheel and the table under churn), the
 * active opens' port hint, the lazy state timer, the interned callback tables, and that a
 * request-response exchange touches only the TCB's hot lines (a guard page under the
 * rest). And the checksum against DPDK's.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fc_test.h"
#include "tcp_cksum.h"
#include "tcp_internal.h"
#include "tcp_app.h"
#include "tcp_wire.h"

#define MS (1000 * 1000ull)

static struct rte_mempool *mp;

static uint64_t rs = 88172645463325252ull;

static uint32_t
rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs >> 32);
}

static void
test_flow_table(void)
{
	struct fc_tcp_config c = wire_default_cfg(mp, IP_B);
	struct fc_tcp_ctx *ctx;
	static bool in[1025];
	unsigned i, step, present = 0, bad = 0;

	c.max_conns = 1024;
	ctx = fc_tcp_ctx_create(&c, SOCKET_ID_ANY);
	CHECK(ctx != NULL);
	/* Keys chosen from a small space so that probe chains collide a lot. */
	for (i = 1; i <= 1024; i++) {
		struct tcb *t = &ctx->tcbs[i];

		t->remote_ip = 0xc6120000 | (i % 7);
		t->remote_port = (uint16_t)(1000 + i % 13);
		t->local_port = (uint16_t)(2000 + i);
	}
	for (step = 0; step < 200000; step++) {
		unsigned k = 1 + rnd() % 1024;
		struct tcb *t = &ctx->tcbs[k];

		if (in[k]) {
			flow_remove(ctx, t);
			in[k] = false;
			present--;
		} else {
			if (flow_insert(ctx, t) != 0)
				bad++;
			in[k] = true;
			present++;
		}
		if (step % 1000 == 0) {
			for (i = 1; i <= 1024; i++) {
				struct tcb *f = flow_lookup(ctx, ctx->tcbs[i].remote_ip,
					ctx->tcbs[i].remote_port, ctx->tcbs[i].local_port);

				if ((f != NULL) != in[i] || (f != NULL && f != &ctx->tcbs[i]))
					bad++;
			}
		}
	}
	CHECK_EQ(bad, 0);
	{
		unsigned used = 0;

		for (i = 0; i <= ctx->flow_mask; i++)
			used += ctx->flows[i].idx != 0;
		CHECK_EQ(used, present);
	}
	/* Duplicate insert refused. */
	for (i = 1; i <= 1024 && !in[i]; i++)
		;
	if (i <= 1024)
		CHECK_EQ(flow_insert(ctx, &ctx->tcbs[i]), -EEXIST);
	memset(ctx->flows, 0, sizeof(*ctx->flows) * (ctx->flow_mask + 1));
	fc_tcp_ctx_free(ctx);
}

/* A TCB that only waits for its state timer: in TIME_WAIT, expiry closes it. */
static struct tcb *
fake_time_wait(struct fc_tcp_ctx *ctx)
{
	struct tcb *t = tcb_alloc(ctx);

	t->state = FC_TCP_TIME_WAIT;
	t->flags = TF_PASSIVE | TF_APP_GONE;
	return t;
}

/* A context for the timer tests: 1 ms ticks, @slots wheel slots (0: the default). */
static struct fc_tcp_ctx *
timer_ctx(uint32_t max_conns, uint32_t slots)
{
	struct fc_tcp_config c = wire_default_cfg(mp, IP_B);
	struct fc_tcp_ctx *ctx;

	c.max_conns = max_conns;
	c.timer_slots = slots;
	c.timer_res_ns = 1 * MS;
	ctx = fc_tcp_ctx_create(&c, SOCKET_ID_ANY);
	CHECK(ctx != NULL);
	return ctx;
}

/* ns_to_tick() is ceil(ns / timer_res_ns) exactly, by reciprocal, for any resolution. */
static void
test_ns_to_tick(void)
{
	static const uint64_t res[] = {1, 3, 1000, 100 * 1000, 1 * MS, 1000003, 7 * MS + 1,
				       1ull << 40};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned bad = 0;

	for (unsigned r = 0; r < RTE_DIM(res); r++) {
		struct fc_tcp_config c = wire_default_cfg(mp, IP_B);
		struct fc_tcp_ctx *ctx;

		c.max_conns = 4;
		c.timer_res_ns = res[r];
		ctx = fc_tcp_ctx_create(&c, SOCKET_ID_ANY);
		CHECK(ctx != NULL);
		if (ctx == NULL)
			return;
		for (unsigned i = 0; i < 20000; i++) {
			/* Small values, multiples and their neighbours, and random 62-bit ones. */
			uint64_t ns = i < 1000 ? i : i < 4000 ? (i / 3) * res[r] + (i % 3) - 1 :
				(x = x * 6364136223846793005ull + 1442695040888963407ull) >> 2;

			if (ns_to_tick(ctx, ns) != (ns + res[r] - 1) / res[r])
				bad++;
		}
		fc_tcp_ctx_free(ctx);
	}
	CHECK_EQ(bad, 0);
}

static void
test_timer_wheel(void)
{
	static uint64_t due[65];
	unsigned i, bad = 0, armed = 0;
	uint64_t tick;
	/* A small wheel: deadlines span many revolutions. */
	struct fc_tcp_ctx *ctx = timer_ctx(64, 64);

	/* Arm 64 fake TCBs (state TIME_WAIT so that firing releases them) at random
	 * deadlines up to 1000 ticks, cancel some, and check each fires at its exact tick. */
	for (i = 1; i <= 64; i++) {
		struct tcb *t = fake_time_wait(ctx);

		due[i] = 1 + rnd() % 1000;
		tcp_set_rto_timer(ctx, t, due[i] * MS);
		armed++;
		if (i % 5 == 0) {
			tcp_stop_rto_timer(ctx, t);
			due[i] = 0;
			armed--;
		}
	}
	for (tick = 1; tick <= 1100; tick++) {
		unsigned fired = fc_tcp_process(ctx, tick * MS);

		for (i = 1; i <= 64; i++) {
			bool expect_gone = due[i] != 0 && due[i] <= tick;

			if (expect_gone && ctx->tcbs[i].state != FC_TCP_CLOSED)
				bad++;
			if (due[i] != 0 && due[i] > tick && ctx->tcbs[i].state != FC_TCP_TIME_WAIT)
				bad++;
		}
		(void)fired;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(fc_tcp_nb_conns(ctx), 64 - armed);
	/* The cancelled ones never fired: release them by hand through the close path. */
	for (i = 5; i <= 64; i += 5)
		tcb_close(ctx, &ctx->tcbs[i], FC_TCP_CLOSE_NORMAL, false);
	fc_tcp_process(ctx, 1200 * MS);
	CHECK_EQ(fc_tcp_nb_conns(ctx), 0);
	fc_tcp_ctx_free(ctx);
}

/* A crowded slot: more entries due at once than one batch of fc_tcp_process() holds, spread
 * over the slot's ways, beside entries of the same slot a revolution later and stopped
 * ones. Each fires at its tick, the later ones a revolution on, the stopped ones never. */
static void
test_wheel_crowded(void)
{
	struct fc_tcp_ctx *ctx = timer_ctx(300, 64);
	unsigned i, closed;

	if (ctx == NULL)
		return;
	for (i = 1; i <= 300; i++) {
		struct tcb *t = fake_time_wait(ctx);

		/* 1..200 at tick 10, 201..260 at tick 74 (the same slot), 261..300 stopped. */
		tcp_set_rto_timer(ctx, t, (i <= 200 ? 10 : 74) * MS);
		if (i > 260)
			tcp_stop_rto_timer(ctx, t);
	}
	fc_tcp_process(ctx, 9 * MS);
	CHECK_EQ(fc_tcp_nb_conns(ctx), 300);
	fc_tcp_process(ctx, 10 * MS);
	CHECK_EQ(fc_tcp_nb_conns(ctx), 100);
	for (i = 1, closed = 0; i <= 200; i++)
		closed += ctx->tcbs[i].state == FC_TCP_CLOSED;
	CHECK_EQ(closed, 200);
	fc_tcp_process(ctx, 73 * MS);
	CHECK_EQ(fc_tcp_nb_conns(ctx), 100);
	fc_tcp_process(ctx, 74 * MS);
	CHECK_EQ(fc_tcp_nb_conns(ctx), 40);
	for (i = 261; i <= 300; i++)
		tcb_close(ctx, &ctx->tcbs[i], FC_TCP_CLOSE_NORMAL, false);
	fc_tcp_process(ctx, 75 * MS);
	CHECK_EQ(fc_tcp_nb_conns(ctx), 0);
	fc_tcp_ctx_free(ctx);
}

struct many {
	struct app app[200];
	size_t want;
};

static bool
many_done(void *arg)
{
	struct many *m = arg;
	unsigned i;

	for (i = 0; i < 200; i++)
		if (!m->app[i].closed)
			return false;
	return true;
}

static struct app srv[200];
static unsigned nsrv;

static void
srv_connected(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	(void)now;
	(void)user;
	if (nsrv < 200)
		fc_tcp_conn_set_user(c, NULL, &srv[nsrv++]);
	app_on_connected(c, fc_tcp_conn_user(c), now);
	((struct app *)fc_tcp_conn_user(c))->close_on_eof = 1;
}

static const struct fc_tcp_ops srv_ops = {
	.on_connected = srv_connected,
	.on_data = app_on_data,
	.on_eof = app_on_eof,
	.on_closed = app_on_closed,
};

static void
test_many_lossy(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	static struct wire w;
	static struct many m;
	struct fc_tcp_config a = wire_default_cfg(mp, IP_A), b = wire_default_cfg(mp, IP_B);
	static uint8_t data[20000];
	static size_t sent[200];
	unsigned i, ok = 0, closed_ok = 0;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + 7);
	a.max_conns = b.max_conns = 512;
	wire_init(&w, mp, 99);
	w.ctx[0] = fc_tcp_ctx_create(&a, SOCKET_ID_ANY);
	w.ctx[1] = fc_tcp_ctx_create(&b, SOCKET_ID_ANY);
	fc_tcp_listen(w.ctx[1], 80, &srv_ops, NULL);
	w.loss = 0.03;
	w.reorder = 0.05;
	w.reorder_ns = 200 * 1000;
	w.jitter_ns = 30 * 1000;
	memset(&m, 0, sizeof(m));
	for (i = 0; i < 200; i++)
		CHECK(fc_tcp_connect(w.ctx[0], IP_B, 80, &app_ops, &m.app[i], w.now) != NULL);
	while (w.now < 20000 * MS && !many_done(&m)) {
		for (i = 0; i < 200; i++) {
			struct app *x = &m.app[i];

			if (x->conn == NULL || sent[i] == SIZE_MAX)
				continue;
			while (sent[i] < sizeof(data)) {
				int r = fc_tcp_send_copy(x->conn, data + sent[i], sizeof(data) - sent[i]);

				if (r <= 0)
					break;
				sent[i] += (size_t)r;
			}
			if (sent[i] == sizeof(data)) {
				fc_tcp_close(x->conn);
				sent[i] = SIZE_MAX;
			}
		}
		wire_advance(&w, 1 * MS);
	}
	CHECK_EQ(nsrv, 200);
	for (i = 0; i < nsrv; i++) {
		if (srv[i].rx_len == sizeof(data) && memcmp(srv[i].rx, data, sizeof(data)) == 0)
			ok++;
		if (srv[i].closed && srv[i].reason == FC_TCP_CLOSE_NORMAL)
			closed_ok++;
	}
	CHECK_EQ(ok, 200);
	CHECK_EQ(closed_ok, 200);
	for (i = 0; i < 200; i++)
		CHECK_EQ(m.app[i].reason, FC_TCP_CLOSE_NORMAL);
	CHECK(fc_tcp_counters(w.ctx[0])->retransmits > 0);
	printf("200 connections x 20000 B, 3%% loss: done at %.3f s fake time, %lu retransmits\n",
		(double)w.now / 1e9, (unsigned long)fc_tcp_counters(w.ctx[0])->retransmits);
	w.loss = w.reorder = 0;
	wire_advance(&w, 2000 * MS);
	CHECK_EQ(fc_tcp_nb_conns(w.ctx[0]) + fc_tcp_nb_conns(w.ctx[1]), 0);
	wire_flush(&w);
	fc_tcp_ctx_free(w.ctx[0]);
	fc_tcp_ctx_free(w.ctx[1]);
	for (i = 0; i < 200; i++) {
		app_reset(&m.app[i]);
		app_reset(&srv[i]);
	}
	CHECK_EQ(rte_mempool_avail_count(mp), avail0);
}

/*
 * The RX hint of an active open: a reply finds its TCB by its local port (ports.tcb, set at
 * connect, cleared at close) without the flow table. An entry that names another
 * connection is only a hint: input_one() checks the 4-tuple and falls back to the table.
 * Six segments per direction arrive in one burst, so the hints are used.
 */
static void
test_port_hint(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	static struct wire w;
	static struct app cl[2];
	static uint8_t data[8000];
	struct fc_tcp_config a = wire_default_cfg(mp, IP_A), b = wire_default_cfg(mp, IP_B);
	struct tcb *t[2];
	uint32_t po[2];
	unsigned i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 5);
	wire_init(&w, mp, 7);
	w.ctx[0] = fc_tcp_ctx_create(&a, SOCKET_ID_ANY);
	w.ctx[1] = fc_tcp_ctx_create(&b, SOCKET_ID_ANY);
	CHECK(w.ctx[0] != NULL && w.ctx[1] != NULL);
	if (w.ctx[0] == NULL || w.ctx[1] == NULL)
		return;
	nsrv = 0;
	fc_tcp_listen(w.ctx[1], 80, &srv_ops, NULL);
	for (i = 0; i < 2; i++) {
		cl[i].conn = fc_tcp_connect(w.ctx[0], IP_B, 80, &app_ops, &cl[i], w.now);
		CHECK(cl[i].conn != NULL);
		if (cl[i].conn == NULL)
			return;
		t[i] = (struct tcb *)cl[i].conn;
		po[i] = t[i]->local_port - w.ctx[0]->cfg.port_min;
		CHECK_EQ(w.ctx[0]->ports.tcb[po[i]], t[i]->idx);
	}
	/* The server's connections are passive: its table stays empty. */
	wire_advance(&w, 10 * MS);
	CHECK_EQ(nsrv, 2);
	for (i = 0; i < w.ctx[1]->ports.nb_ports; i++)
		if (w.ctx[1]->ports.tcb[i] != 0)
			break;
	CHECK_EQ(i, w.ctx[1]->ports.nb_ports);
	/* Connection 0's entry now names connection 1. */
	w.ctx[0]->ports.tcb[po[0]] = t[1]->idx;
	for (i = 0; i < nsrv; i++)
		CHECK_EQ(fc_tcp_send_copy(srv[i].conn, data, sizeof(data)), (int)sizeof(data));
	wire_advance(&w, 100 * MS);
	for (i = 0; i < 2; i++) {
		CHECK_EQ(cl[i].rx_len, sizeof(data));
		CHECK(cl[i].rx_len == sizeof(data) && memcmp(cl[i].rx, data, sizeof(data)) == 0);
	}
	/* Delivered from the first burst, not repaired by retransmission. */
	CHECK_EQ(fc_tcp_counters(w.ctx[1])->retransmits, 0);
	/* At close an entry is cleared when it names its own connection: connection 1's. */
	fc_tcp_close(cl[0].conn);
	fc_tcp_close(cl[1].conn);
	wire_advance(&w, 2000 * MS);
	CHECK_EQ(fc_tcp_nb_conns(w.ctx[0]) + fc_tcp_nb_conns(w.ctx[1]), 0);
	CHECK_EQ(w.ctx[0]->ports.tcb[po[1]], 0);
	CHECK_EQ(w.ctx[0]->ports.tcb[po[0]], t[1]->idx);
	wire_flush(&w);
	fc_tcp_ctx_free(w.ctx[0]);
	fc_tcp_ctx_free(w.ctx[1]);
	for (i = 0; i < 2; i++) {
		app_reset(&cl[i]);
		app_reset(&srv[i]);
	}
	CHECK_EQ(rte_mempool_avail_count(mp), avail0);
}

/* The send queue of fc_tcp_send_ref(): chunks in the TCB, no mbuf, a contiguous send
 * extends the last chunk, and once FC_TCP_SEND_REFS are held (or data was copied) sends
 * are copied into mbufs behind them. The peer's window is 0, so nothing leaves. */
static void
test_send_ref_queue(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct fc_tcp_config c = wire_default_cfg(mp, IP_B);
	static const char a[200] = "a", b[50] = "b";
	struct fc_tcp_ctx *ctx = fc_tcp_ctx_create(&c, SOCKET_ID_ANY);
	struct tcb *t;
	struct fc_tcp_conn *conn;

	CHECK(ctx != NULL);
	if (ctx == NULL)
		return;
	t = tcb_alloc(ctx);
	t->state = FC_TCP_ESTABLISHED;
	t->flags = TF_VISIBLE;
	t->mss = 1000;
	tcb_set_ops(ctx, t, &app_ops);
	t->snd_una = t->snd_nxt = t->snd_max = t->sq_seq = 1;
	conn = (struct fc_tcp_conn *)t;
	CHECK_EQ(fc_tcp_send_ref(conn, a, 100), 100);
	CHECK_EQ(fc_tcp_send_ref(conn, a + 100, 50), 50);
	CHECK_EQ(t->sq_nref, 1);
	CHECK_EQ(t->sq_ref0_len, 150);
	CHECK(t->sq_head == NULL);
	CHECK_EQ(fc_tcp_send_ref(conn, b, 10), 10);
	CHECK_EQ(t->sq_nref, 2);
	CHECK(*sq_ref_at(t, 1) == (const uint8_t *)b);
	CHECK(t->sq_head == NULL);
	CHECK(!(t->flags2 & TF2_SQ_MBUFS));
	CHECK_EQ(fc_tcp_send_ref(conn, a + 150, 10), 10);   /* a third chunk: copied */
	CHECK_EQ(t->sq_nref, 2);
	CHECK(t->sq_head != NULL);
	CHECK(t->flags2 & TF2_SQ_MBUFS);
	CHECK_EQ(fc_tcp_send_ref(conn, b + 10, 5), 5);      /* behind copied data: copied */
	CHECK_EQ(t->sq_nref, 2);
	CHECK_EQ(*sq_ref_len_at(t, 1), 10);
	CHECK_EQ(t->sq_len, 175);
	CHECK_EQ(fc_tcp_send_space(conn), c.snd_buf ? c.snd_buf - 175 : 256 * 1024 - 175);
	tcb_close(ctx, t, FC_TCP_CLOSE_ABORTED, false);
	CHECK_EQ(t->sq_nref, 0);
	CHECK(t->sq_head == NULL);
	CHECK(!(t->flags2 & TF2_SQ_MBUFS));
	fc_tcp_process(ctx, 1);
	fc_tcp_ctx_free(ctx);
	CHECK_EQ(rte_mempool_avail_count(mp), avail0);
}

/*
 * tcp_raw_cksum() against rte_raw_cksum() on random bytes: every length 0..300 at every
 * alignment 0..7, and all-0xff bytes (the sums that carry most). Then the segment checksum:
 * written by tcp_cksum_ipv4(), accepted by tcp_cksum_ipv4_ok(), refused after one bit flips.
 */
static void
test_cksum(void)
{
	static uint8_t buf[320 + 8];
	unsigned bad = 0, len, off, i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rnd();
	for (len = 0; len <= 300; len++)
		for (off = 0; off < 8; off++)
			bad += tcp_raw_cksum(buf + off, len) != rte_raw_cksum(buf + off, len);
	CHECK_EQ(bad, 0);
	memset(buf, 0xff, sizeof(buf));
	for (len = 0; len <= 300; len++)
		bad += tcp_raw_cksum(buf + 1, len) != rte_raw_cksum(buf + 1, len);
	CHECK_EQ(bad, 0);

	for (len = 20; len <= 200; len += 7) {
		struct {
			struct rte_ipv4_hdr ip;
			uint8_t l4[200];
		} __rte_packed f;
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)f.l4;

		memset(&f, 0, sizeof(f));
		for (i = 0; i < len; i++)
			f.l4[i] = (uint8_t)rnd();
		f.ip.version_ihl = RTE_IPV4_VHL_DEF;
		f.ip.next_proto_id = IPPROTO_TCP;
		f.ip.total_length = rte_cpu_to_be_16((uint16_t)(sizeof(f.ip) + len));
		f.ip.src_addr = rte_cpu_to_be_32(FC_TEST_IPV4(198, 18, 0, 1));
		f.ip.dst_addr = rte_cpu_to_be_32(FC_TEST_IPV4(198, 18, 0, 2));
		th->cksum = 0;
		th->cksum = tcp_cksum_ipv4(&f.ip, th, len);
		{
			uint16_t mine = th->cksum;

			th->cksum = 0;
			CHECK_EQ(mine, rte_ipv4_udptcp_cksum(&f.ip, th));
			th->cksum = mine;
		}
		CHECK(tcp_cksum_ipv4_ok(&f.ip, th, len));
		f.l4[len - 1] ^= 0x10;
		CHECK(!tcp_cksum_ipv4_ok(&f.ip, th, len));
	}
}

/* The lazy state timer (tcp_timer.c): re-armed later, it fires at the new deadline, not at
 * the wheel entry's; re-armed earlier, at the earlier one; stopped, it never fires, and armed
 * again after the stop, at the new deadline. Fake TIME_WAIT TCBs, whose expiry closes them. */
static void
test_lazy_rto(void)
{
	struct fc_tcp_ctx *ctx = timer_ctx(4, 0);
	struct tcb *t[4];
	/* Expected expiry tick of each; the arming happens at ticks 0 and 5. */
	static const uint64_t want[4] = { 25, 8, 0, 30 };
	uint64_t gone[4] = { 0 };
	unsigned i;

	if (ctx == NULL)
		return;
	for (i = 0; i < 4; i++) {
		t[i] = fake_time_wait(ctx);
		tcp_set_rto_timer(ctx, t[i], 10 * MS);
	}
	fc_tcp_process(ctx, 5 * MS);
	tcp_set_rto_timer(ctx, t[0], 20 * MS);   /* later: the entry stays at tick 10 */
	CHECK_EQ(t[0]->tm_tick, 10);
	tcp_set_rto_timer(ctx, t[1], 3 * MS);    /* earlier: moved to tick 8 */
	CHECK_EQ(t[1]->tm_tick, 8);
	tcp_stop_rto_timer(ctx, t[2]);           /* stopped: the entry stays, inert */
	CHECK_EQ(t[2]->tm_tick, 10);
	tcp_stop_rto_timer(ctx, t[3]);
	tcp_set_rto_timer(ctx, t[3], 25 * MS);   /* stopped, then armed later again */
	for (uint64_t tick = 6; tick <= 40; tick++) {
		fc_tcp_process(ctx, tick * MS);
		for (i = 0; i < 4; i++)
			if (gone[i] == 0 && t[i]->state == FC_TCP_CLOSED)
				gone[i] = tick;
	}
	for (i = 0; i < 4; i++)
		CHECK_EQ(gone[i], want[i]);
	/* The stopped one left the wheel when its entry came due. */
	CHECK_EQ(t[2]->tm_tick, 0);
	CHECK_EQ(t[2]->state, FC_TCP_TIME_WAIT);
	tcb_close(ctx, t[2], FC_TCP_CLOSE_NORMAL, false);
	fc_tcp_process(ctx, 41 * MS);
	CHECK_EQ(fc_tcp_nb_conns(ctx), 0);
	fc_tcp_ctx_free(ctx);
}

/*
 * The TCB's cold lines under a guard page: each context's TCB array is moved to a mapping
 * where TCB 1's hot lines (TCB_HOT_LINES) end a page and the next page is PROT_NONE. A
 * keep-alive exchange (request and response sent by reference, as the client and server
 * send them) must never fault there. The fault handler records the address and lifts the
 * protection, so a touch fails the check instead of the process.
 */
struct guard {
	uint8_t *map;           /* two pages */
	struct tcb *orig;       /* the context's own array */
};

static struct guard guards[2];
static long page_size;
static volatile sig_atomic_t cold_touches;
static volatile uintptr_t cold_addr;

static void
cold_fault(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	cold_touches++;
	cold_addr = (uintptr_t)si->si_addr;
	for (unsigned i = 0; i < 2; i++)
		if (guards[i].map != NULL)
			mprotect(guards[i].map + page_size, (size_t)page_size,
				 PROT_READ | PROT_WRITE);
}

static struct tcb *
guard_tcbs(struct fc_tcp_ctx *ctx, struct guard *g)
{
	struct tcb *moved;

	g->map = mmap(NULL, 2 * (size_t)page_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED) {
		g->map = NULL;
		return NULL;
	}
	moved = (struct tcb *)(g->map + page_size - TCB_HOT_LINES * RTE_CACHE_LINE_SIZE) - 1;
	memcpy(moved, ctx->tcbs, 2 * sizeof(*moved));
	g->orig = ctx->tcbs;
	ctx->tcbs = moved;
	return &moved[1];
}

static void
guard_arm(bool on)
{
	for (unsigned i = 0; i < 2; i++)
		mprotect(guards[i].map + page_size, (size_t)page_size,
			 on ? PROT_NONE : PROT_READ | PROT_WRITE);
}

static struct tcb *
guard_undo(struct fc_tcp_ctx *ctx, struct guard *g)
{
	memcpy(g->orig, ctx->tcbs, 2 * sizeof(struct tcb));
	ctx->tcbs = g->orig;
	munmap(g->map, 2 * (size_t)page_size);
	g->map = NULL;
	return &ctx->tcbs[1];
}

static const char rr_req[] = "GET /x HTTP/1.1\r\nHost: t\r\n\r\n";
static const char rr_rsp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

struct rr_app {
	struct fc_tcp_conn *conn;
	size_t bytes;
	unsigned answers;
	bool server;
};

static struct rr_app rr[2];

static void
rr_connected(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	(void)now;
	struct rr_app *a = user != NULL ? user : &rr[1];

	if (user == NULL)
		fc_tcp_conn_set_user(c, NULL, a);
	a->conn = c;
}

static void
rr_data(struct fc_tcp_conn *c, void *user, struct rte_mbuf *m, uint64_t now)
{
	(void)now;
	struct rr_app *a = user;

	a->bytes += m->pkt_len;
	fc_tcp_mbuf_free(m);
	if (a->server && a->bytes >= sizeof(rr_req) - 1) {
		a->bytes -= sizeof(rr_req) - 1;
		fc_tcp_send_ref(c, rr_rsp, sizeof(rr_rsp) - 1);
	} else if (!a->server && a->bytes >= sizeof(rr_rsp) - 1) {
		a->bytes -= sizeof(rr_rsp) - 1;
		a->answers++;
	}
}

static void
rr_closed(struct fc_tcp_conn *c, void *user, enum fc_tcp_close_reason r, uint64_t now)
{
	(void)now;
	(void)c;
	(void)r;
	((struct rr_app *)user)->conn = NULL;
}

static const struct fc_tcp_ops rr_ops = {
	.on_connected = rr_connected,
	.on_data = rr_data,
	.on_closed = rr_closed,
};

/* @n request-response exchanges on rr[0].conn; true when each was answered. */
static bool
rr_exchange(struct wire *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned before = rr[0].answers;

		if (fc_tcp_send_ref(rr[0].conn, rr_req, sizeof(rr_req) - 1) !=
				(int)sizeof(rr_req) - 1)
			return false;
		for (unsigned k = 0; k < 100 && rr[0].answers == before; k++)
			wire_advance(w, w->step_ns);
		if (rr[0].answers != before + 1)
			return false;
	}
	return true;
}

static void
test_hot_lines(void)
{
	unsigned avail0 = rte_mempool_avail_count(mp);
	static struct wire w;
	struct fc_tcp_config a = wire_default_cfg(mp, IP_A), b = wire_default_cfg(mp, IP_B);
	struct sigaction sa = { 0 }, old;
	struct tcb *t[2];

	page_size = sysconf(_SC_PAGESIZE);
	a.max_conns = b.max_conns = 1;
	wire_init(&w, mp, 11);
	w.ctx[0] = fc_tcp_ctx_create(&a, SOCKET_ID_ANY);
	w.ctx[1] = fc_tcp_ctx_create(&b, SOCKET_ID_ANY);
	CHECK(w.ctx[0] != NULL && w.ctx[1] != NULL);
	if (w.ctx[0] == NULL || w.ctx[1] == NULL)
		return;
	memset(rr, 0, sizeof(rr));
	rr[1].server = true;
	CHECK_EQ(fc_tcp_listen(w.ctx[1], 80, &rr_ops, NULL), 0);
	CHECK(fc_tcp_connect(w.ctx[0], IP_B, 80, &rr_ops, &rr[0], w.now) != NULL);
	wire_advance(&w, 1 * MS);
	CHECK(rr[0].conn != NULL && rr[1].conn != NULL);
	if (rr[0].conn == NULL || rr[1].conn == NULL)
		return;
	/* Two exchanges unguarded: the first RTT sample and window settle. */
	CHECK(rr_exchange(&w, 2));

	sa.sa_sigaction = cold_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	for (unsigned i = 0; i < 2; i++) {
		t[i] = guard_tcbs(w.ctx[i], &guards[i]);
		CHECK(t[i] != NULL);
		if (t[i] == NULL)
			return;
		rr[i].conn = (struct fc_tcp_conn *)t[i];
	}
	/* The guard itself: a read of a cold field faults, once, and is recorded. */
	guard_arm(true);
	cold_touches = 0;
	CHECK_EQ(*(volatile uint32_t *)&t[0]->iss, t[0]->iss);
	CHECK_EQ(cold_touches, 1);
	/* Well inside the SYN's RTO (the wheel entry that then comes due reads its links). */
	guard_arm(true);
	cold_touches = 0;
	CHECK(rr_exchange(&w, 40));
	CHECK_EQ(cold_touches, 0);
	if (cold_touches != 0) {
		for (unsigned i = 0; i < 2; i++)
			if (cold_addr >= (uintptr_t)t[i] && cold_addr < (uintptr_t)(t[i] + 1))
				printf("  side %u touched TCB offset %zu\n", i,
				       (size_t)(cold_addr - (uintptr_t)t[i]));
	}
	guard_arm(false);
	sigaction(SIGSEGV, &old, NULL);
	for (unsigned i = 0; i < 2; i++)
		rr[i].conn = (struct fc_tcp_conn *)guard_undo(w.ctx[i], &guards[i]);

	/* Still a working connection: more exchanges past the RTO, then a close. */
	wire_advance(&w, 150 * MS);
	CHECK(rr_exchange(&w, 3));
	fc_tcp_abort(rr[0].conn);
	wire_advance(&w, 10 * MS);
	CHECK(rr[0].conn == NULL && rr[1].conn == NULL);
	wire_flush(&w);
	fc_tcp_ctx_free(w.ctx[0]);
	fc_tcp_ctx_free(w.ctx[1]);
	CHECK_EQ(rte_mempool_avail_count(mp), avail0);
}

/* Callback tables by index (tcb.ops_i): the context interns TCP_OPS_TAB - 1 of them, a TCB
 * whose table did not fit keeps it in its cold pointer; either way tcb_ops() returns it. */
static void
test_ops_table(void)
{
	struct fc_tcp_config c = wire_default_cfg(mp, IP_B);
	static struct fc_tcp_ops tabs[TCP_OPS_TAB + 4];
	struct fc_tcp_ctx *ctx;
	struct tcb *t[RTE_DIM(tabs)];
	unsigned i, bad = 0;

	c.max_conns = RTE_DIM(tabs) + 1;
	ctx = fc_tcp_ctx_create(&c, SOCKET_ID_ANY);
	CHECK(ctx != NULL);
	if (ctx == NULL)
		return;
	for (i = 0; i < RTE_DIM(tabs); i++) {
		t[i] = fake_time_wait(ctx);
		tcb_set_ops(ctx, t[i], &tabs[i]);
	}
	for (i = 0; i < RTE_DIM(tabs); i++) {
		bad += tcb_ops(ctx, t[i]) != &tabs[i];
		/* Interned while the table had room, after that by the cold pointer. */
		bad += (t[i]->ops_i != 0) != (i < TCP_OPS_TAB - 1);
	}
	/* A second TCB with an interned table shares its index. */
	tcb_set_ops(ctx, t[RTE_DIM(tabs) - 1], &tabs[3]);
	bad += t[RTE_DIM(tabs) - 1]->ops_i != t[3]->ops_i;
	bad += tcb_ops(ctx, t[RTE_DIM(tabs) - 1]) != &tabs[3];
	CHECK_EQ(bad, 0);
	for (i = 0; i < RTE_DIM(tabs); i++)
		tcb_close(ctx, t[i], FC_TCP_CLOSE_NORMAL, false);
	fc_tcp_process(ctx, 1);
	CHECK_EQ(fc_tcp_nb_conns(ctx), 0);
	fc_tcp_ctx_free(ctx);
}

int
main(int argc, char **argv)
{
	(void)argc;
	if (fc_test_eal_init(argv[0], 256) < 0)
		return 1;
	mp = rte_pktmbuf_pool_create("tcp_int", 32767, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (mp == NULL)
		return 1;
	test_flow_table();
	test_ns_to_tick();
	test_timer_wheel();
	test_wheel_crowded();
	test_many_lossy();
	test_port_hint();
	test_send_ref_queue();
	test_lazy_rto();
	test_ops_table();
	test_hot_lines();
	test_cksum();
	return fc_test_result("test_tcp_internal");
}
