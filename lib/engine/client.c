/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP client worker: connections on lib/tcp, requests from the template mix, responses
 * through the lib/http stream parser, latency into this lcore's histograms.
 *
 * Accounting: a request counts as sent when it is first written to a connection (which
 * may still be connecting). Every sent request ends exactly once, as completed (a full
 * response, any status) or as an error: connect (its connection never came up), timeout
 * (no full response within the request timeout, counted from its first send, or before
 * the end-of-run drain bound), reset (the peer reset the connection under it),
 * closed_unanswered (the peer closed the connection before answering it), parse
 * (malformed response). A request the server closed its connection under is first sent
 * again when it may be (RFC 9112 §9.3.2: idempotent, retries left; see close_in_flight());
 * it waits in the retry ring meanwhile, still counted neither completed nor failed. So
 * sent == completed + errors.total after the drain.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "fc_clock.h"
#include "fc_engine.h"

/* The line lib/tcp prefetches for a connection holds what a plain exchange uses. */
_Static_assert(offsetof(struct fc_client_conn, req0) + sizeof(struct fc_client_req) <=
	       RTE_CACHE_LINE_SIZE, "fc_client_conn: the FIFO's first entry beyond line 0");

enum conn_state {
	CONN_FREE = 0,          /**< no TCP connection */
	CONN_CONNECTING,        /**< SYN sent */
	CONN_READY,             /**< established */
};

#define NEW_CONNS_PER_PASS 64           /* bounds SYN bursts when ramping or reconnecting */
#define RECONNECT_BACKOFF_NS 10000000ull /* after a failed or refused connection */
/*
 * Every slot is looked at once per period: a sixteenth of the shorter timeout, within these
 * bounds, so a timeout is counted at most that late (with the 2 s default, 100 ms late; the
 * envelope's 100 ms minimum, 10 ms). Each look is a cache miss with many connections: at
 * 50,000 a fixed 10 ms was 5M slot reads/s, two per request.
 */
#define TIMEOUT_SCAN_PERIOD_MIN_NS 10000000ull
#define TIMEOUT_SCAN_PERIOD_MAX_NS 100000000ull
#define SCAN_PREFETCH 8 /* slots the timeout scan prefetches for its next pass */
#define BACKLOG_MAX (1u << 20)
/* The load generator's request tag: the template's index below, the times the request was
 * sent again above. */
#define TAG_TMPL(tag) ((tag) & 0xffffffu)
#define TAG_ATTEMPTS(tag) ((tag) >> 24)
#define TAG_AGAIN (1u << 24)

static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint32_t
slot_of(const struct fc_client_worker *w, const struct fc_client_conn *cc)
{
	return (uint32_t)(cc - w->conns);
}

/* The slot's TCP connection (NULL when free): held as an id, half a pointer, to keep the
 * slot's hot part in one line. */
static inline struct fc_tcp_conn *
conn_tcp(const struct fc_client_worker *w, const struct fc_client_conn *cc)
{
	return cc->tcp_id ? fc_tcp_conn_of(w->tcp, cc->tcp_id) : NULL;
}

static bool
can_take_request(const struct fc_client_worker *w, const struct fc_client_conn *cc, uint64_t now)
{
	/* Close mode sets `closing` once its one request is written. */
	if (cc->state == CONN_FREE || cc->closing || cc->q_len >= w->rp->pipeline ||
	    (cc->solo && cc->q_len))
		return false;
	return now >= conn_held_until(cc);
}

/*
 * The ready FIFO: slots that can take a request, oldest first, each at most once (in_ready),
 * with the time each became ready. When the port is behind, requests wait here, as a slot
 * index, instead of as built frames in lib/tcp's TX queue (see fc_io_backlogged()); closed
 * loop counts their latency from that time, so the wait is not hidden.
 */
static void
ready_push(struct fc_client_worker *w, struct fc_client_conn *cc, uint64_t at)
{
	uint32_t i = w->ready_head + w->nb_ready;

	if (cc->in_ready)
		return;
	if (i >= w->nb_slots)
		i -= w->nb_slots;
	cc->in_ready = true;
	w->ready[i] = slot_of(w, cc);
	w->ready_at[i] = at;
	w->nb_ready++;
}

/* The oldest ready slot, taken off the FIFO (its in_ready flag is the caller's), and in
 * *@p at (unless NULL) when it became ready. */
static struct fc_client_conn *
ready_pop(struct fc_client_worker *w, uint64_t *at)
{
	struct fc_client_conn *cc = &w->conns[w->ready[w->ready_head]];

	if (at != NULL)
		*at = w->ready_at[w->ready_head];
	if (++w->ready_head == w->nb_slots)
		w->ready_head = 0;
	w->nb_ready--;
	return cc;
}

/* Fail every request in flight on a connection with one kind of error. */
static void
fail_in_flight(struct fc_client_worker *w, struct fc_client_conn *cc, enum fc_stats_err kind)
{
	const struct fc_client_source *src = w->rp->source;

	if (cc->q_len) {
		for (uint8_t i = 0; i < cc->q_len && src != NULL && src->on_result != NULL; i++)
			src->on_result(w, cc, conn_req(cc, (cc->q_head + i) % FC_PIPE_MAX)->tag, 0);
		fc_stats_add(&w->stats.err[kind], cc->q_len);
		cc->q_len = 0;
		cc->q_head = 0;
	}
}

/* May the load generator's request @p tag be sent again? */
static bool
may_retry(const struct fc_client_worker *w, uint32_t tag)
{
	return w->rp->source == NULL && TAG_ATTEMPTS(tag) < w->rp->retries &&
	       w->rp->mix->tmpl[TAG_TMPL(tag)].idempotent && w->rt_len < w->rt_cap;
}

/*
 * The connection closed under the requests in flight on it (RFC 9112 §9.3.2). The load
 * generator's idempotent ones with retries left go to the retry ring, in their order, to be
 * sent again on other connections; the rest end as errors: reset when the peer sent RST,
 * closed_unanswered when it closed with FIN.
 */
static void
close_in_flight(struct fc_client_worker *w, struct fc_client_conn *cc, bool by_rst)
{
	const struct fc_client_source *src = w->rp->source;
	uint64_t failed = 0;

	for (uint8_t i = 0; i < cc->q_len; i++) {
		const struct fc_client_req *r = conn_req(cc, (cc->q_head + i) % FC_PIPE_MAX);

		if (src != NULL && src->resend != NULL && w->rp->retries > 0 &&
		    src->resend(w, cc, r->tag, r->sent_at)) {
			w->resend_pending++;
			continue;
		}
		if (may_retry(w, r->tag)) {
			struct fc_client_retry *e = &w->retry[(w->rt_head + w->rt_len++) %
							      w->rt_cap];

			e->intended = r->intended;
			e->first_sent = r->sent_at;
			e->tag = r->tag + TAG_AGAIN;
			continue;
		}
		if (src != NULL && src->on_result != NULL)
			src->on_result(w, cc, r->tag, 0);
		failed++;
	}
	fc_stats_add(&w->stats.err[by_rst ? FC_STATS_ERR_RESET : FC_STATS_ERR_CLOSED], failed);
	cc->q_len = 0;
	cc->q_head = 0;
	cc->solo = false;
}

/* The run is over: what still waits to be sent again, in the retry ring or with its
 * request source, was closed unanswered. */
static void
fail_retries(struct fc_client_worker *w)
{
	fc_stats_add(&w->stats.err[FC_STATS_ERR_CLOSED], w->rt_len + w->resend_pending);
	w->rt_len = 0;
	w->resend_pending = 0;
}

static void
on_connected(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	struct fc_client_conn *cc = user;
	struct fc_client_worker *w = fc_tcp_conn_app(c);

	cc->state = CONN_READY;
	FC_STATS_INC(&w->stats, connects);
	fc_stats_add(&w->stats.conn_open, 1);
	/* A stale FIFO entry of the slot's last connection may stand for this one (in_ready):
	 * its time is older, and the closed loop takes the later of it and not_before. Only
	 * then: not_before later than the pass's time holds the request for a pass, which set
	 * on every connect would delay each first request of --close by a pass. */
	if (cc->in_ready)
		conn_hold_until(cc, now);
	ready_push(w, cc, now);
}

static void
record_response(struct fc_client_worker *w, struct fc_client_conn *cc,
		const struct fc_http_client_result *r, uint64_t now)
{
	const struct fc_client_req *q = conn_req(cc, cc->q_head);
	uint64_t intended = q->intended, sent = q->sent_at;
	uint32_t order_seq = q->order_seq;
	struct fc_hist *h = fc_hist_pair_poll(&w->lat);
	const struct fc_client_source *src = w->rp->source;

	if (src != NULL && src->on_result != NULL)
		src->on_result(w, cc, q->tag, r->status);

	cc->q_head = (uint8_t)((cc->q_head + 1) % FC_PIPE_MAX);
	if (--cc->q_len == 0) {
		cc->q_head = 0; /* back to req0, in the line prefetched with the connection */
		cc->solo = false;
	}
	/* Corrected latency counts from when the request should have left (wrk2). */
	fc_hist_record(h, now - intended);
	if (w->rp->open_loop)
		fc_hist_record(fc_hist_pair_poll(&w->lat_unc), now - sent);
	FC_STATS_INC(&w->stats, req_completed);
	fc_answer_order_answered(&w->order, order_seq);
	fc_stats_status(&w->stats, r->status);
	fc_stats_add(&w->stats.bytes_rx, r->header_bytes + r->body_bytes);
	if (!w->rp->open_loop && w->rp->think_ns)
		conn_hold_until(cc, now + w->rp->think_ns);
}

static void
on_data(struct fc_tcp_conn *c, void *user, struct rte_mbuf *m, uint64_t now)
{
	struct fc_client_conn *cc = user;
	struct fc_client_worker *w = fc_tcp_conn_app(c);
	bool reuse = true;

	/* Segments counted, not followed to a NULL next: a one-segment response never loads
	 * its header's second line (fc_tcp_mbuf_free()). */
	struct rte_mbuf *seg = m;

	for (uint16_t k = m->nb_segs; k > 0; k--, seg = k ? seg->next : NULL) {
		const char *p = rte_pktmbuf_mtod(seg, const char *);
		size_t len = seg->data_len;

		while (len > 0) {
			struct fc_http_client_result r = {0};
			int64_t n = fc_http_client_feed(&cc->parser, p, len, &r);

			if (n < 0) {
				/* The response that broke is the head of the FIFO; the ones behind it
				 * on this connection cannot be framed any more either. */
				fail_in_flight(w, cc, FC_STATS_ERR_PARSE);
				fc_tcp_mbuf_free(m);
				fc_tcp_abort(c);
				return;
			}
			/* The parser refuses a response with no request in flight (-EPROTO), so
			 * a complete one always has its FIFO entry. */
			if (r.complete) {
				record_response(w, cc, &r, now);
				if (!r.keep_alive)
					reuse = false;
			}
			p += n;
			len -= (size_t)n;
		}
	}
	fc_tcp_mbuf_free(m);
	if (!reuse || w->rp->close_mode) {
		/* The server will close, or one request per connection: close our side once
		 * nothing is in flight; what is still in flight when it closes is sent again
		 * or fails (close_in_flight()). */
		cc->closing = true;
		if (cc->q_len == 0)
			fc_tcp_close(c);
		return;
	}
	if (can_take_request(w, cc, now))
		ready_push(w, cc, now);
}

static void
on_eof(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	struct fc_client_conn *cc = user;
	struct fc_client_worker *w = fc_tcp_conn_app(c);
	struct fc_http_client_result r = {0};

	if (fc_http_client_eof(&cc->parser, &r) == 0 && r.complete && cc->q_len)
		record_response(w, cc, &r, now);
	/* Whatever is still in flight was cut off by the server's close. */
	close_in_flight(w, cc, false);
	cc->closing = true;
	fc_tcp_close(c);
}

/* A slot became free: to the back of the FIFO open_conn() takes from (once). */
static void
free_push(struct fc_client_worker *w, struct fc_client_conn *cc)
{
	uint32_t i = w->free_head + w->free_len;

	if (cc->in_free)
		return;
	if (i >= w->nb_slots)
		i -= w->nb_slots;
	w->free_fifo[i] = (uint32_t)(cc - w->conns);
	w->free_len++;
	cc->in_free = true;
}

static struct fc_client_conn *
free_pop(struct fc_client_worker *w)
{
	struct fc_client_conn *cc = &w->conns[w->free_fifo[w->free_head]];

	if (++w->free_head == w->nb_slots)
		w->free_head = 0;
	w->free_len--;
	cc->in_free = false;
	return cc;
}

static void
on_closed(struct fc_tcp_conn *c, void *user, enum fc_tcp_close_reason reason, uint64_t now)
{
	struct fc_client_conn *cc = user;
	struct fc_client_worker *w = fc_tcp_conn_app(c);

	if (cc->state == CONN_CONNECTING) {
		/* Never came up: its queued requests fail as connect errors. */
		fail_in_flight(w, cc, reason == FC_TCP_CLOSE_ABORTED && w->ctl.phase >= FC_PHASE_CLOSE ?
			       FC_STATS_ERR_TIMEOUT : FC_STATS_ERR_CONNECT);
		conn_hold_until(cc, now + RECONNECT_BACKOFF_NS);
	} else {
		fc_stats_sub(&w->stats.conn_open, 1);
		/* Aborted by us (timeout, stop), or reset or closed by the peer mid-request. */
		if (reason == FC_TCP_CLOSE_ABORTED || reason == FC_TCP_CLOSE_TIMEOUT)
			fail_in_flight(w, cc, FC_STATS_ERR_TIMEOUT);
		else
			close_in_flight(w, cc, reason == FC_TCP_CLOSE_RESET);
		if (reason == FC_TCP_CLOSE_RESET)
			conn_hold_until(cc, now + RECONNECT_BACKOFF_NS);
	}
	fc_http_client_release(&cc->parser);
	cc->tcp_id = 0;
	cc->state = CONN_FREE;
	cc->closing = false;
	cc->solo = false;
	w->nb_used--;
	free_push(w, cc);
}

static const struct fc_tcp_ops client_ops = {
	.on_connected = on_connected,
	.on_data = on_data,
	.on_eof = on_eof,
	.on_closed = on_closed,
};

/*
 * Write one request on a connection. intended: when it should have left. again: when it
 * was first written, for a request sent again (not counted as sent a second time, and its
 * latency and timeout still run from then), else 0.
 * Returns 1 written, 0 not now, -1 written but failed (counted as an error, and as sent
 * unless again).
 */
static int
write_request(struct fc_client_worker *w, struct fc_client_conn *cc, const void *buf, uint32_t len,
	      bool is_head, uint32_t tag, uint64_t intended, uint64_t again, uint64_t now)
{
	struct fc_tcp_conn *c = conn_tcp(w, cc);

	if (fc_tcp_send_space(c) < len)
		return 0;
	if (fc_http_client_expect(&cc->parser, is_head) != 0)
		return 0;
	if (fc_tcp_send_ref(c, buf, len) != (int)len) {
		/* Space was checked; only an empty mempool gets here. */
		if (again == 0)
			fc_stats_add(&w->stats.req_sent, 1);
		fc_stats_add(&w->stats.err[FC_STATS_ERR_OTHER], 1);
		if (w->rp->source != NULL && w->rp->source->on_result != NULL)
			w->rp->source->on_result(w, cc, tag, 0);
		cc->closing = true;
		fc_tcp_abort(c);
		return -1;
	}
	struct fc_client_req *q = conn_req(cc, (cc->q_head + cc->q_len) % FC_PIPE_MAX);

	q->intended = intended;
	q->sent_at = again ? again : now;
	q->tag = tag;
	q->order_seq = fc_answer_order_written(&w->order, slot_of(w, cc));
	cc->q_len++;
	if (again == 0)
		FC_STATS_INC(&w->stats, req_sent);
	fc_stats_add(&w->stats.bytes_tx, len);
	return 1;
}

/* The load generator: one request of the template mix. */
static bool
send_request(struct fc_client_worker *w, struct fc_client_conn *cc, uint64_t intended, uint64_t now)
{
	const struct fc_http_mix *mix = w->rp->mix;
	uint32_t k = mix->n > 1 ? fc_http_mix_pick(mix, rng_next(&w->rng)) : 0;
	const struct fc_http_request_tmpl *t = &mix->tmpl[k];
	int rc = write_request(w, cc, t->buf, t->len, t->is_head, k, intended, 0, now);

	if (rc <= 0)
		return rc < 0;
	if (t->close || w->rp->close_mode)
		cc->closing = true; /* no second request on it */
	return true;
}

int
fc_client_send(struct fc_client_worker *w, struct fc_client_conn *cc, const void *buf,
	       uint32_t len, bool is_head, uint32_t tag, uint64_t intended, uint64_t again,
	       uint64_t now)
{
	int rc;

	if (cc->state == CONN_FREE || cc->closing || cc->q_len >= FC_PIPE_MAX ||
	    (cc->solo && cc->q_len) || (again && cc->q_len))
		return 0;
	rc = write_request(w, cc, buf, len, is_head, tag, intended, again, now);
	if (rc != 0 && again) {
		FC_STATS_INC(&w->stats, req_retried);
		cc->solo = rc > 0;
		if (w->rp->source != NULL)
			w->resend_pending--;
	}
	return rc;
}

void
fc_client_close(struct fc_client_worker *w, struct fc_client_conn *cc)
{
	if (cc->state == CONN_FREE || cc->closing)
		return;
	cc->closing = true;
	if (cc->state == CONN_CONNECTING)
		fc_tcp_abort(conn_tcp(w, cc));
	else
		fc_tcp_close(conn_tcp(w, cc));
}

int
fc_client_open(struct fc_client_worker *w, struct fc_client_conn *cc, uint16_t port, uint64_t now)
{
	memset(&cc->parser, 0, sizeof(cc->parser));
	fc_http_client_init(&cc->parser, w->hdr_pool);
	cc->q_head = cc->q_len = 0;
	cc->closing = false;
	cc->held = false;
	/* in_ready stays as it is: a stale entry may still be in the ready FIFO, and the
	 * flag keeps each slot there at most once (the FIFO holds nb_slots entries). */
	cc->opened_at = now;
	cc->state = CONN_CONNECTING;
	FC_STATS_INC(&w->stats, connect_attempts);
	struct fc_tcp_conn *c = fc_tcp_connect(w->tcp, w->rp->target_ip, port, &client_ops, cc, now);

	cc->tcp_id = c != NULL ? fc_tcp_conn_id(c) : 0;
	if (c == NULL) {
		cc->state = CONN_FREE;
		conn_hold_until(cc, now + RECONNECT_BACKOFF_NS);
		free_push(w, cc);
		return -EAGAIN;
	}
	w->nb_used++;
	return 0;
}

/*
 * Open a connection on the free slot freed longest ago whose back-off is over. Slots in
 * back-off go to the back again; each entry is looked at once per call. (A scan of the slot
 * array from a cursor, a division per slot, was the client's hottest loop in close mode.)
 */
static struct fc_client_conn *
open_conn(struct fc_client_worker *w, uint64_t now)
{
	for (uint32_t n = w->free_len; n > 0; n--) {
		struct fc_client_conn *cc = free_pop(w);

		if (cc->state != CONN_FREE)
			continue; /* taken by a request source meanwhile */
		if (now < conn_held_until(cc)) {
			free_push(w, cc);
			continue;
		}
		return fc_client_open(w, cc, w->rp->target_port, now) == 0 ? cc : NULL;
	}
	return NULL;
}

static bool
may_issue(const struct fc_client_worker *w)
{
	return w->rp->max_requests == 0 || w->issued < w->rp->max_requests;
}

/*
 * The oldest request the server closed its connection under, sent again on @p cc, which
 * has nothing in flight: alone on it until it is answered, so that a server that closes
 * after every response still answers each one. Same returns as write_request().
 */
static int
send_retry(struct fc_client_worker *w, struct fc_client_conn *cc, uint64_t now)
{
	const struct fc_client_retry *e = &w->retry[w->rt_head];
	const struct fc_http_request_tmpl *t = &w->rp->mix->tmpl[TAG_TMPL(e->tag)];
	int rc = fc_client_send(w, cc, t->buf, (uint32_t)t->len, t->is_head, e->tag, e->intended,
				e->first_sent, now);

	if (rc == 0)
		return 0;
	w->rt_head = (w->rt_head + 1) % w->rt_cap;
	w->rt_len--;
	if (rc > 0 && (t->close || w->rp->close_mode))
		cc->closing = true;
	return rc;
}

/* Requests to send again go first, oldest first, each on an idle ready connection. */
static void
issue_retries(struct fc_client_worker *w, uint64_t now)
{
	for (uint32_t n = w->nb_ready; n > 0 && w->rt_len > 0; n--) {
		if (fc_io_backlogged(&w->io, w->tcp)) {
			FC_STATS_INC(&w->stats, held_for_port);
			break;
		}
		uint64_t at;
		struct fc_client_conn *cc = ready_pop(w, &at);

		cc->in_ready = false;
		if (!can_take_request(w, cc, now))
			continue; /* the issue loops put it back when it can */
		if (cc->q_len != 0) {
			ready_push(w, cc, at); /* busy: another request's turn */
			continue;
		}
		if (send_retry(w, cc, now) == 0) {
			ready_push(w, cc, at);
			break;
		}
	}
}

/*
 * Closed loop: each connection sends as soon as it can (after think time), oldest ready
 * first, while the port keeps up. Latency counts from when the connection became ready
 * (or its think time ended), like wrk's from the write that may wait in a socket buffer.
 */
static void
issue_closed_loop(struct fc_client_worker *w, uint64_t now)
{
	uint32_t n = w->nb_ready;

	for (; n > 0; n--) {
		if (fc_io_backlogged(&w->io, w->tcp)) {
			FC_STATS_INC(&w->stats, held_for_port);
			break;
		}
		uint64_t at;
		struct fc_client_conn *cc = ready_pop(w, &at);

		cc->in_ready = false;
		if (at < conn_held_until(cc))
			at = conn_held_until(cc);
		while (may_issue(w) && can_take_request(w, cc, now) && send_request(w, cc, at, now))
			w->issued++;
		if (cc->state != CONN_FREE && !cc->closing && cc->q_len < w->rp->pipeline &&
		    now < conn_held_until(cc))
			ready_push(w, cc, at); /* thinking: look again next pass */
	}
}

/* Open loop: due requests go to the backlog, the backlog to connections that can take one. */
static void
issue_open_loop(struct fc_client_worker *w, uint64_t now)
{
	uint64_t due[64];
	unsigned n;

	while ((n = fc_rate_due(&w->sched, now, due, 64)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			if (!may_issue(w))
				break;
			if (w->bl_len == w->bl_cap) {
				w->backlog_unsent++;
				continue;
			}
			w->backlog[(w->bl_head + w->bl_len++) & (w->bl_cap - 1)] = due[i];
			w->issued++;
		}
		if (n < 64)
			break;
	}
	if (fc_rate_behind(&w->sched, now))
		FC_STATS_INC(&w->stats, sched_behind);

	/* Oldest ready connection first; while the port is behind, due requests wait in the
	 * backlog with their intended times (their latency counts from those). */
	while (w->bl_len > 0 && w->nb_ready > 0) {
		if (fc_io_backlogged(&w->io, w->tcp)) {
			FC_STATS_INC(&w->stats, held_for_port);
			break;
		}
		struct fc_client_conn *cc = &w->conns[w->ready[w->ready_head]];
		uint64_t intended = w->backlog[w->bl_head & (w->bl_cap - 1)];

		if (!can_take_request(w, cc, now) || !send_request(w, cc, intended, now)) {
			ready_pop(w, NULL)->in_ready = false;
			continue;
		}
		if (intended < now)
			FC_STATS_INC(&w->stats, sched_late);
		w->bl_head++;
		w->bl_len--;
		if (!can_take_request(w, cc, now))
			ready_pop(w, NULL)->in_ready = false;
	}
}

/*
 * Keep the number of connections at the target: open missing ones, close surplus idle ones.
 * None is opened once the request budget is spent: the health check's one request in close
 * mode used to leave a second, unused connection open, which its freed context never
 * closed. The server kept it, and the run's first connection on the same port got an ACK
 * for it instead of a SYN-ACK: a reset, and a SYN retransmitted 200 ms later (the 200 ms
 * maximum latency of every embedded run with two or more connections).
 */
static void
manage_conns(struct fc_client_worker *w, bool fresh, uint64_t now)
{
	uint32_t target = __atomic_load_n(&w->ctl.target_conns, __ATOMIC_RELAXED);

	if (target > w->nb_slots)
		target = w->nb_slots;
	for (unsigned k = 0; k < NEW_CONNS_PER_PASS && w->nb_used < target && may_issue(w); k++) {
		struct fc_client_conn *cc = open_conn(w, now);

		if (cc == NULL)
			break;
		/* A request to send again takes the new connection first; else, in closed
		 * loop, the first request rides along with the handshake. */
		if (w->rt_len > 0)
			send_retry(w, cc, now);
		else if (fresh && !w->rp->open_loop && may_issue(w) && send_request(w, cc, now, now))
			w->issued++;
	}
	if (w->nb_used > target) {
		uint32_t surplus = w->nb_used - target;

		for (uint32_t s = 0; s < w->nb_slots && surplus > 0; s++) {
			struct fc_client_conn *cc = &w->conns[s];

			if (cc->state == CONN_READY && !cc->closing && cc->q_len == 0) {
				cc->closing = true;
				fc_tcp_close(conn_tcp(w, cc));
				surplus--;
			}
		}
	}
}

/* What the timeout scan is paced by. */
static inline uint64_t
shorter_timeout_ns(const struct fc_run_params *rp)
{
	return RTE_MIN(rp->connect_timeout_ns, rp->request_timeout_ns);
}

/*
 * Request and connect timeouts become counted errors. Paced by time, not by loop pass:
 * 64 slots on every pass read over a hundred cache lines per pass at 50,000 connections,
 * whatever the traffic; now each slot is read once per scan_period_ns.
 */
static void
scan_timeouts(struct fc_client_worker *w, uint64_t now)
{
	uint64_t due;

	due = (now - w->scan_last) * w->nb_slots / w->scan_period_ns;
	if (due == 0)
		return;
	if (due >= w->nb_slots) {
		due = w->nb_slots;
		w->scan_last = now;
	} else {
		w->scan_last += due * w->scan_period_ns / w->nb_slots;
	}
	for (uint64_t k = 0; k < due; k++) {
		struct fc_client_conn *cc = &w->conns[w->scan_pos];

		w->scan_pos = (w->scan_pos + 1) % w->nb_slots;
		if (cc->state == CONN_CONNECTING && now - cc->opened_at > w->rp->connect_timeout_ns) {
			fail_in_flight(w, cc, FC_STATS_ERR_CONNECT);
			fc_tcp_abort(conn_tcp(w, cc));
		} else if (cc->state == CONN_READY && cc->q_len &&
			   now - conn_req(cc, cc->q_head)->sent_at > w->rp->request_timeout_ns) {
			fail_in_flight(w, cc, FC_STATS_ERR_TIMEOUT);
			fc_tcp_abort(conn_tcp(w, cc));
		}
	}
	/* The slots the next pass will read, which are cold (the state and the FIFO's first
	 * entry in line 0, opened_at in line 1): at 50,000 connections these loads were 40% of
	 * the loop's own samples. */
	for (uint64_t k = 0, pos = w->scan_pos; k < due && k < SCAN_PREFETCH; k++) {
		rte_prefetch0(&w->conns[pos]);
		rte_prefetch0((const char *)&w->conns[pos] + RTE_CACHE_LINE_SIZE);
		if (++pos == w->nb_slots)
			pos = 0;
	}
}

static void
close_all(struct fc_client_worker *w)
{
	for (uint32_t s = 0; s < w->nb_slots; s++)
		fc_client_close(w, &w->conns[s]);
}

bool
fc_client_worker_poll(struct fc_client_worker *w, uint64_t now)
{
	uint32_t phase = __atomic_load_n(&w->ctl.phase, __ATOMIC_ACQUIRE);
	uint16_t moved;

	fc_hist_pair_poll(&w->lat);
	fc_hist_pair_poll(&w->lat_unc);
	/* The slots and TCBs of the responses to come. */
	fc_answer_order_prefetch_ids(&w->order, w->conns, sizeof(*w->conns), w->slot_lines,
				     offsetof(struct fc_client_conn, tcp_id), w->tcp);
	moved = fc_io_rx_input(&w->io, &w->net, w->tcp, now);
	fc_tcp_process(w->tcp, now);

	if (phase == FC_PHASE_RUN && w->rp->source != NULL) {
		w->rp->source->issue(w, now);
	} else if (phase == FC_PHASE_RUN) {
		manage_conns(w, true, now);
		issue_retries(w, now);
		if (w->rp->open_loop)
			issue_open_loop(w, now);
		else
			issue_closed_loop(w, now);
	} else if (phase == FC_PHASE_DRAIN && w->rt_len > 0) {
		/* Nothing new, but what the server closed under still goes again. */
		manage_conns(w, false, now);
		issue_retries(w, now);
	} else if (phase >= FC_PHASE_CLOSE && w->close_started == 0) {
		w->close_started = now;
		fail_retries(w);
		close_all(w);
	}
	scan_timeouts(w, now);
	moved = (uint16_t)(moved + fc_io_flush(&w->io, &w->net, w->tcp, now));
	/* Slots, not TCBs: a connection in TIME_WAIT is done as far as the run is concerned. */
	__atomic_store_n(&w->ctl.open_conns, w->nb_used, __ATOMIC_RELAXED);
	return moved > 0;
}

int
fc_client_worker_main(void *arg)
{
	struct fc_client_worker *w = arg;

	while (__atomic_load_n(&w->ctl.phase, __ATOMIC_ACQUIRE) != FC_PHASE_EXIT) {
		uint64_t t0 = fc_clock_cycles();

		/* Cycles per request = busy cycles / requests: passes that moved no frame are
		 * idle polling, not cost. */
		if (fc_client_worker_poll(w, fc_tsc_to_ns(t0)))
			fc_stats_add(&w->stats.busy_cycles, fc_clock_cycles() - t0);
	}
	/* Send the last FINs/RSTs we queued. */
	fc_io_flush_final(&w->io, &w->net, w->tcp, w->clock);
	/* Counted in tx_refused before the control core reads the counters for the report. */
	fc_io_tx_discard(&w->io);
	__atomic_store_n(&w->ctl.exited, 1, __ATOMIC_RELEASE);
	return 0;
}

uint64_t
fc_client_in_flight(const struct fc_client_worker *w)
{
	uint64_t n = 0;

	for (uint32_t s = 0; s < w->nb_slots; s++)
		n += w->conns[s].q_len;
	return n + w->rt_len + w->resend_pending;
}

int
fc_client_worker_init(struct fc_client_worker *w, const struct fc_run_params *rp,
		      const struct fc_net_conf *netconf, const struct rte_ether_addr *peer_mac,
		      int socket)
{
	struct fc_tcp_config tc = rp->tcp;
	int rc;

	w->rp = rp;
	if (w->clock == NULL)
		w->clock = fc_clock_ns;
	w->rng = rp->seed ^ (0x51ed2701ull * (w->idx + 1));
	rc = fc_net_init(&w->net, netconf);
	if (rc)
		return rc;
	tc.pool = netconf->pool;
	tc.local_mac = netconf->mac;
	tc.next_hop_mac = *peer_mac;
	tc.local_ip = rte_be_to_cpu_32(netconf->ip);
	tc.queue_id = w->io.queue;
	tc.app = w;
	/* A slot's hot part is one line; pipelining also uses the FIFO behind it. */
	w->slot_lines = rp->pipeline > 1 ? 2 : 1;
	w->tcp = fc_tcp_ctx_create(&tc, socket);
	if (w->tcp == NULL)
		return -errno;
	w->nb_slots = rp->max_conns_per_worker ? rp->max_conns_per_worker : 1;
	w->scan_period_ns = shorter_timeout_ns(rp) / 16;
	w->scan_period_ns = RTE_MAX(w->scan_period_ns, TIMEOUT_SCAN_PERIOD_MIN_NS);
	w->scan_period_ns = RTE_MIN(w->scan_period_ns, TIMEOUT_SCAN_PERIOD_MAX_NS);
	/* 128-byte aligned: this CPU's L2 fetches lines in 128-byte pairs, so with pipelining a
	 * slot's two hot lines are one fetch, not two (with 64, where the allocator put the
	 * array decided). */
	w->conns = rte_zmalloc_socket("fc_conns", sizeof(*w->conns) * w->nb_slots, 128, socket);
	w->ready = rte_zmalloc_socket("fc_ready", sizeof(*w->ready) * w->nb_slots, 64, socket);
	w->ready_at = rte_zmalloc_socket("fc_ready_at", sizeof(*w->ready_at) * w->nb_slots, 64,
					 socket);
	if (fc_answer_order_init(&w->order, w->nb_slots,
				 RTE_MIN(rp->pipeline, (uint32_t)FC_PIPE_MAX), socket) != 0)
		return -ENOMEM;
	w->free_fifo = rte_malloc_socket("fc_free", sizeof(*w->free_fifo) * w->nb_slots, 64, socket);
	if (rp->source == NULL && rp->retries > 0) {
		w->rt_cap = RTE_MAX(64u, w->nb_slots * RTE_MIN(rp->pipeline, (uint32_t)FC_PIPE_MAX));
		w->retry = rte_malloc_socket("fc_retry", sizeof(*w->retry) * w->rt_cap, 64, socket);
		if (w->retry == NULL)
			return -ENOMEM;
	}
	w->bl_cap = BACKLOG_MAX;
	w->backlog = rp->open_loop ?
		rte_zmalloc_socket("fc_backlog", sizeof(*w->backlog) * w->bl_cap, 64, socket) : NULL;
	/* One spill buffer per connection at worst: heads split across segments are rare. */
	w->hdr_pool = fc_http_hdr_pool_create(w->nb_slots < 4096 ? w->nb_slots : 4096, 8192);
	if (w->conns == NULL || w->ready == NULL || w->ready_at == NULL || w->free_fifo == NULL ||
	    w->hdr_pool == NULL ||
	    (rp->open_loop && w->backlog == NULL))
		return -ENOMEM;
	for (uint32_t s = 0; s < w->nb_slots; s++)
		free_push(w, &w->conns[s]);
	if (fc_hist_pair_init(&w->lat, socket) != 0 || fc_hist_pair_init(&w->lat_unc, socket) != 0)
		return -ENOMEM;
	rc = fc_port_io_impair(&w->io, rp->imp_rx, rp->imp_tx, netconf->pool, rp->seed + w->idx,
			       socket);
	if (rc)
		return rc;
	if (rp->source != NULL) {
		rc = rp->source->init(w);
		if (rc)
			return rc;
	}
	if (rp->open_loop) {
		struct fc_rate_conf rc2 = {
			.model = rp->model, .plan = rp->plan, .start_ns = rp->start_ns,
			.worker = w->idx, .n_workers = rp->nb_workers, .seed = rp->seed + w->idx,
		};
		rc = fc_rate_init(&w->sched, &rc2);
		if (rc)
			return rc;
	}
	return 0;
}

void
fc_client_worker_abort_open(struct fc_client_worker *w)
{
	if (w->tcp != NULL && fc_tcp_abort_all(w->tcp) > 0)
		fc_io_flush_final(&w->io, &w->net, w->tcp, w->clock);
}

void
fc_client_worker_fini(struct fc_client_worker *w)
{
	/* Requests still due but never written: reported, not counted as sent. */
	w->backlog_unsent += w->bl_len;
	w->bl_len = 0;
	fail_retries(w);
	__atomic_store_n(&w->ctl.phase, FC_PHASE_EXIT, __ATOMIC_RELEASE);
	fc_client_worker_abort_open(w);
	fc_tcp_ctx_free(w->tcp);
	w->tcp = NULL;
	fc_net_flush(&w->net);
	fc_port_io_fini(&w->io);
	fc_http_hdr_pool_free(w->hdr_pool);
	rte_free(w->conns);
	rte_free(w->ready);
	rte_free(w->ready_at);
	fc_answer_order_free(&w->order);
	rte_free(w->free_fifo);
	rte_free(w->backlog);
	rte_free(w->retry);
	fc_hist_pair_fini(&w->lat);
	fc_hist_pair_fini(&w->lat_unc);
	if (w->rp != NULL && w->rp->source != NULL && w->rp->source->fini != NULL)
		w->rp->source->fini(w);
}
