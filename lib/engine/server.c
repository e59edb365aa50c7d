/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP server worker: lib/tcp in passive open, lib/http's responder for routes and
 * pre-rendered responses. Each connection keeps a small FIFO of replies so pipelined
 * requests are answered in order, a reply larger than the send buffer continues when TCP
 * says it is writable, and an injected delay holds a reply (and those behind it) until due.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_malloc.h>

#include "fc_clock.h"
#include "fc_http.h"
#include "fc_server.h"

#define REPLY_QUEUE 64  /* the client parser allows 64 in flight; so do we */

struct srv_reply {
	const char *data;
	uint32_t len;
	uint32_t off;           /* bytes already handed to TCP */
	uint64_t due_ns;        /* not before (delay injection) */
	uint64_t req_done_ns;   /* request completed: service time starts */
	bool close;
};

/* A plain request (its head whole in one segment, answered at once) touches the first cache
 * line only, which lib/tcp and the answer-order log prefetch ahead of the segment: the
 * state and the hot part of the request parser. Its reply goes to TCP straight away
 * (reply_now()); the queue, from the second line on, holds only replies that wait (a delay,
 * a full send buffer, a close, pipelined requests behind one of those) and restarts at q[0]
 * whenever it empties. At 50,000 connections every extra line per request is a DRAM
 * miss, so a plain exchange must not touch a second one. */
#define SRV_HOT_LINES 1

struct srv_conn {
	struct fc_tcp_conn *tcp;
	struct fc_server_worker *w;
	uint8_t q_head, q_len;
	/* One bit each: with reply_seq they fit where the padding before http was. */
	bool in_active : 1;
	bool closing : 1;       /* read no more requests: a close reply was queued, or EOF */
	bool fin_after : 1;     /* the client sent FIN: close once the queue is empty */
	bool replied : 1;       /* a reply went out: the next request answers one (answer_order.h) */
	uint32_t reply_seq;     /* the last reply's number in the answer order log */
	struct fc_http_server_conn http;
	struct srv_reply q[REPLY_QUEUE];
} __rte_aligned(2 * RTE_CACHE_LINE_SIZE);

_Static_assert(offsetof(struct srv_conn, http) + FC_HTTP_SERVER_CONN_HOT <=
	       SRV_HOT_LINES * RTE_CACHE_LINE_SIZE, "srv_conn: hot fields beyond its hot line");

static void
active_push(struct fc_server_worker *w, struct srv_conn *sc)
{
	if (!sc->in_active) {
		sc->in_active = true;
		w->active[w->nb_active++] = (uint32_t)(sc - w->conns);
	}
}

/* A reply was handed to TCP whole: its service time, and its place in the answer order. */
static void
reply_sent(struct fc_server_worker *w, struct srv_conn *sc, uint64_t req_done_ns, uint64_t now)
{
	fc_hist_record(fc_hist_pair_poll(&w->service), now - req_done_ns);
	sc->reply_seq = fc_answer_order_written(&w->order, (uint32_t)(sc - w->conns));
	sc->replied = true;
}

/* Hand due replies to TCP in order; true when the queue is empty. */
static bool
flush_replies(struct fc_server_worker *w, struct srv_conn *sc, uint64_t now)
{
	while (sc->q_len && sc->tcp) {
		struct srv_reply *r = &sc->q[sc->q_head];

		if (now < r->due_ns)
			return false;
		while (r->off < r->len) {
			int n = fc_tcp_send_ref(sc->tcp, r->data + r->off, r->len - r->off);

			if (n <= 0) {
				FC_STATS_INC(&w->stats, send_blocked);
				return false; /* on_writable brings us back */
			}
			r->off += (uint32_t)n;
		}
		reply_sent(w, sc, r->req_done_ns, now);
		sc->q_head = (uint8_t)((sc->q_head + 1) % REPLY_QUEUE);
		if (--sc->q_len == 0)
			sc->q_head = 0; /* back to q[0]: a short queue touches the fewest lines */
		if (r->close) {
			fc_tcp_close(sc->tcp);
			return true;
		}
	}
	if (sc->fin_after && sc->tcp)
		fc_tcp_close(sc->tcp);
	return true;
}

static void
s_connected(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	(void)now;
	struct fc_server_worker *w = user;

	if (w->nb_free == 0) {
		FC_STATS_INC(&w->stats, slots_full);
		fc_tcp_conn_set_user(c, NULL, NULL);
		fc_tcp_abort(c);
		return;
	}
	struct srv_conn *sc = &w->conns[w->free_slots[--w->nb_free]];

	sc->tcp = c;
	sc->q_head = sc->q_len = 0;
	sc->closing = false;
	sc->fin_after = false;
	sc->replied = false;
	fc_http_server_conn_init(&sc->http, w->hdr_pool, &w->http_stats, (uint64_t)(uintptr_t)c);
	fc_tcp_conn_set_user(c, NULL, sc);
	FC_STATS_INC(&w->stats, accepts);
}

/*
 * A reply due now, with nothing queued ahead of it and the connection kept, goes to TCP at
 * once: the queue (the slot's second line on) is not touched. True when TCP took it whole;
 * otherwise *sent is what it took, and the caller queues the rest.
 */
static bool
reply_now(struct fc_server_worker *w, struct srv_conn *sc,
	  const struct fc_http_server_reply *rep, uint64_t now, uint32_t *sent)
{
	int n;

	*sent = 0;
	if (sc->q_len != 0 || rep->delay_ns != 0 || rep->close)
		return false;
	n = fc_tcp_send_ref(sc->tcp, rep->data, rep->len);
	if (n == (int)rep->len) {
		reply_sent(w, sc, now, now);
		return true;
	}
	*sent = n > 0 ? (uint32_t)n : 0;
	return false;
}

/* Queue a reply, of which TCP already took @p sent bytes; false when the queue is full. */
static bool
queue_reply(struct fc_server_worker *w, struct srv_conn *sc,
	    const struct fc_http_server_reply *rep, uint64_t now, uint32_t sent)
{
	struct srv_reply *r;

	if (sc->q_len == REPLY_QUEUE)
		return false;
	r = &sc->q[(sc->q_head + sc->q_len++) % REPLY_QUEUE];
	r->data = rep->data;
	r->len = (uint32_t)rep->len;
	r->off = sent;
	r->req_done_ns = now;
	r->due_ns = now + rep->delay_ns;
	r->close = rep->close;
	if (rep->delay_ns)
		FC_STATS_INC(&w->stats, delayed);
	if (rep->close)
		sc->closing = true;
	return true;
}

static void
s_data(struct fc_tcp_conn *c, void *user, struct rte_mbuf *m, uint64_t now)
{
	struct srv_conn *sc = user;
	struct fc_server_worker *w;

	if (sc == NULL || sc->closing) {
		fc_tcp_mbuf_free(m);
		return;
	}
	w = sc->w;
	/* Segments counted, not followed to a NULL next: a one-segment request never loads its
	 * header's second line (fc_tcp_mbuf_free()). */
	struct rte_mbuf *seg = m;

	for (uint16_t k = m->nb_segs; k > 0 && !sc->closing; k--, seg = k ? seg->next : NULL) {
		const char *p = rte_pktmbuf_mtod(seg, const char *);
		size_t len = seg->data_len;

		while (len > 0) {
			struct fc_http_server_reply rep = {0};
			int64_t n = fc_http_server_feed(w->http, &sc->http, p, len, &rep);

			if (n < 0) {
				/* Closing already, or no spill buffer: nothing more to read here. */
				if (n == -ENOBUFS)
					fc_tcp_abort(c);
				sc->closing = true;
				break;
			}
			if (rep.ready) {
				/* The first request of a connection answers no reply. */
				if (sc->replied)
					fc_answer_order_answered(&w->order, sc->reply_seq);
				uint32_t sent;

				if (!reply_now(w, sc, &rep, now, &sent) &&
				    !queue_reply(w, sc, &rep, now, sent)) {
					FC_STATS_INC(&w->stats, replies_dropped);
					fc_tcp_mbuf_free(m);
					fc_tcp_abort(c);
					return;
				}
			}
			p += n;
			len -= (size_t)n;
		}
	}
	fc_tcp_mbuf_free(m);
	if (sc->tcp && !flush_replies(w, sc, now))
		active_push(w, sc);
}

static void
s_writable(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	struct srv_conn *sc = user;

	(void)c;
	if (sc && !flush_replies(sc->w, sc, now))
		active_push(sc->w, sc);
}

static void
s_eof(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	struct srv_conn *sc = user;

	if (sc == NULL) {
		fc_tcp_close(c);
		return;
	}
	/* The client sends nothing more: answer what it asked, then FIN after the data. */
	sc->closing = true;
	sc->fin_after = true;
	if (flush_replies(sc->w, sc, now) == false)
		active_push(sc->w, sc);
}

static void
s_closed(struct fc_tcp_conn *c, void *user, enum fc_tcp_close_reason reason, uint64_t now)
{
	(void)now;
	struct srv_conn *sc = user;

	(void)c;
	(void)reason;
	if (sc == NULL)
		return;
	fc_http_server_conn_release(&sc->http);
	sc->tcp = NULL;
	sc->q_len = 0;
	sc->w->free_slots[sc->w->nb_free++] = (uint32_t)(sc - sc->w->conns);
}

static const struct fc_tcp_ops server_ops = {
	.on_connected = s_connected,
	.on_data = s_data,
	.on_writable = s_writable,
	.on_eof = s_eof,
	.on_closed = s_closed,
};

static void
service_active(struct fc_server_worker *w, uint64_t now)
{
	uint32_t n = w->nb_active;

	w->nb_active = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct srv_conn *sc = &w->conns[w->active[i]];

		sc->in_active = false;
		if (sc->tcp && sc->q_len && !flush_replies(w, sc, now))
			active_push(w, sc);
	}
}

bool
fc_server_worker_poll(struct fc_server_worker *w, uint64_t now)
{
	uint16_t moved = 0;

	fc_hist_pair_poll(&w->service);
	/* No new requests while the port has not taken the replies already built: they wait
	 * in the client's ring, unread, not as built frames going cold here (port_io.h). */
	if (!fc_io_backlogged(&w->io, w->tcp)) {
		/* The slots and TCBs of the requests to come. */
		fc_answer_order_prefetch(&w->order, w->conns, sizeof(*w->conns), SRV_HOT_LINES,
					 offsetof(struct srv_conn, tcp));
		moved = fc_io_rx_input(&w->io, &w->net, w->tcp, now);
	} else {
		FC_STATS_INC(&w->stats, rx_held);
	}
	fc_tcp_process(w->tcp, now);
	if (w->nb_active)
		service_active(w, now);
	moved = (uint16_t)(moved + fc_io_flush(&w->io, &w->net, w->tcp, now));
	return moved > 0;
}

int
fc_server_worker_main(void *arg)
{
	struct fc_server_worker *w = arg;

	while (__atomic_load_n(&w->ctl.phase, __ATOMIC_ACQUIRE) != FC_PHASE_EXIT) {
		uint64_t t0 = fc_clock_cycles();

		if (fc_server_worker_poll(w, fc_tsc_to_ns(t0)))
			fc_stats_add(&w->stats.busy_cycles, fc_clock_cycles() - t0);
	}
	fc_io_flush_final(&w->io, &w->net, w->tcp, w->clock);
	fc_io_tx_discard(&w->io);
	__atomic_store_n(&w->ctl.exited, 1, __ATOMIC_RELEASE);
	return 0;
}

int
fc_server_worker_init(struct fc_server_worker *w, const struct fc_http_server *http,
		      const struct fc_tcp_config *tcp_tmpl, const struct fc_net_conf *netconf,
		      const struct rte_ether_addr *peer_mac, uint32_t max_conns, int socket)
{
	struct fc_tcp_config tc = *tcp_tmpl;
	int rc;

	w->http = http;
	if (w->clock == NULL)
		w->clock = fc_clock_ns;
	rc = fc_net_init(&w->net, netconf);
	if (rc)
		return rc;
	tc.pool = netconf->pool;
	tc.local_mac = netconf->mac;
	tc.next_hop_mac = *peer_mac;
	tc.local_ip = rte_be_to_cpu_32(netconf->ip);
	tc.max_conns = max_conns;
	tc.tx_cksum_offload = netconf->tx_ip_cksum_offload;
	w->tcp = fc_tcp_ctx_create(&tc, socket);
	if (w->tcp == NULL)
		return -errno;
	w->nb_slots = max_conns;
	/* 128-byte aligned, and the slot a multiple of 128: its two hot lines are one 128-byte
	 * pair, which this CPU's L2 fetches together (the client's slots do the same). */
	w->conns = rte_zmalloc_socket("fc_srv_conns", sizeof(*w->conns) * max_conns, 128, socket);
	w->free_slots = rte_malloc_socket("fc_srv_free", sizeof(uint32_t) * max_conns, 64, socket);
	w->active = rte_malloc_socket("fc_srv_active", sizeof(uint32_t) * max_conns, 64, socket);
	w->hdr_pool = fc_http_hdr_pool_create(max_conns < 4096 ? max_conns : 4096, 8192);
	if (w->conns == NULL || w->free_slots == NULL || w->active == NULL || w->hdr_pool == NULL)
		return -ENOMEM;
	for (uint32_t s = 0; s < max_conns; s++) {
		w->conns[s].w = w;
		w->free_slots[s] = max_conns - 1 - s;
	}
	w->nb_free = max_conns;
	if (fc_hist_pair_init(&w->service, socket) != 0)
		return -ENOMEM;
	/* One reply in flight per connection: with pipelining the log is too short, and its
	 * verdict turns the prefetch off if that makes it wrong. */
	if (fc_answer_order_init(&w->order, max_conns, 1, socket) != 0)
		return -ENOMEM;
	return fc_tcp_listen(w->tcp, w->listen_port, &server_ops, w);
}

void
fc_server_worker_fini(struct fc_server_worker *w)
{
	/* Connections still open when the server stops: an RST each, so that the clients do
	 * not keep them (a kernel client would wait for its keep-alive timeout). The worker's
	 * lcore has returned, so its queue is ours. */
	if (w->tcp != NULL && fc_tcp_abort_all(w->tcp) > 0)
		fc_io_flush_final(&w->io, &w->net, w->tcp, w->clock);
	fc_tcp_ctx_free(w->tcp);
	w->tcp = NULL;
	fc_net_flush(&w->net);
	fc_port_io_fini(&w->io);
	fc_http_hdr_pool_free(w->hdr_pool);
	rte_free(w->conns);
	rte_free(w->free_slots);
	rte_free(w->active);
	fc_answer_order_free(&w->order);
	fc_hist_pair_fini(&w->service);
}
