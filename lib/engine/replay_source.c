/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replay request source: see replay.h. Runs on the worker lcore inside
 * fc_client_worker_poll(); no allocation, no syscall, no logging after init.
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>

#include "fc_replay_source.h"

#define NEW_CONNS_PER_PASS 64   /* bounds SYN bursts, as the load generator does */

static inline const struct fc_replay_run *
run_of(const struct fc_client_worker *w)
{
	return w->rp->source->arg;
}

static bool
is_head(const struct fc_replay_req *r)
{
	return r->method_len == 4 && memcmp(r->data, "HEAD", 4) == 0;
}

static int
replay_init(struct fc_client_worker *w)
{
	const struct fc_replay_run *run = run_of(w);
	struct fc_replay_worker *rw;
	int socket = (int)rte_lcore_to_socket_id(w->lcore);

	rw = rte_zmalloc_socket("fc_replay_w", sizeof(*rw), 64, socket);
	if (rw == NULL)
		return -ENOMEM;
	w->src = rw;
	rw->conns = fc_replay_plan_for_worker(run->plan, w->idx, &rw->nb_conns);
	rw->total = (uint64_t)rw->nb_conns * run->loops;
	rw->active = rte_zmalloc_socket("fc_replay_a", sizeof(uint32_t) * w->nb_slots, 64, socket);
	rw->free = rte_zmalloc_socket("fc_replay_f", sizeof(uint32_t) * w->nb_slots, 64, socket);
	rw->again = rte_zmalloc_socket("fc_replay_again", sizeof(*rw->again) * w->nb_slots, 64,
				       socket);
	rw->lag = fc_hist_create(socket);
	rw->lag_free = fc_hist_create(socket);
	if (rw->active == NULL || rw->free == NULL || rw->again == NULL || rw->lag == NULL ||
	    rw->lag_free == NULL)
		return -ENOMEM;
	/* Pop order low slot first: purely cosmetic, it keeps slot numbers small. */
	for (uint32_t s = 0; s < w->nb_slots; s++)
		rw->free[rw->nb_free++] = w->nb_slots - 1 - s;
	if (rw->total == 0)
		__atomic_store_n(&w->ctl.done, 1, __ATOMIC_RELEASE);
	return 0;
}

static void
replay_fini(struct fc_client_worker *w)
{
	struct fc_replay_worker *rw = w->src;

	if (rw == NULL)
		return;
	/* The histogram is read by the command after the run: it is freed there. */
	rte_free(rw->active);
	rte_free(rw->free);
	rte_free(rw->again);
	rw->active = rw->free = NULL;
	rw->again = NULL;
}

static void
replay_on_result(struct fc_client_worker *w, struct fc_client_conn *cc, uint32_t tag,
		 uint16_t status)
{
	const struct fc_replay_run *run = run_of(w);

	if (run->results != NULL && cc->src_loop < run->result_loops)
		run->results[(uint64_t)cc->src_loop * run->plan->num_reqs + tag] = status;
}

/* Methods that may be sent again after the connection closed under them (RFC 9110 §9.2.2). */
static bool
is_idempotent(const struct fc_replay_req *r)
{
	static const char *const m[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"};

	for (unsigned i = 0; i < RTE_DIM(m); i++)
		if (r->method_len == strlen(m[i]) && memcmp(r->data, m[i], r->method_len) == 0)
			return true;
	return false;
}

/*
 * The server closed the connection with request @p tag unanswered (RFC 9112 §9.3.2): an
 * idempotent one goes again on the connection that replaces it, in the captured order
 * (src_next moves back to the earliest such), at most rp->retries closes per plan
 * connection.
 */
static bool
replay_resend(struct fc_client_worker *w, struct fc_client_conn *cc, uint32_t tag,
	      uint64_t first_sent)
{
	const struct fc_replay_run *run = run_of(w);
	struct fc_replay_worker *rw = w->src;
	struct fc_replay_again *g = &rw->again[cc - w->conns];
	unsigned bit = tag % FC_PIPE_MAX;

	if (g->episode != cc->src_reopens + 1) {
		g->episode = cc->src_reopens + 1;
		g->attempts++;
	}
	if (g->end < cc->src_next)
		g->end = cc->src_next;
	if (g->attempts > w->rp->retries || !is_idempotent(&run->plan->reqs[tag])) {
		g->mask &= (uint16_t)~(1u << bit);
		return false;
	}
	if (tag < cc->src_next)
		cc->src_next = tag;
	g->mask |= (uint16_t)(1u << bit);
	g->first[bit] = first_sent;
	return true;
}

/* Due time of the next request of a connection slot. */
static inline uint64_t
next_due(const struct fc_replay_run *run, const struct fc_client_conn *cc)
{
	return cc->src_base + run->plan->reqs[cc->src_next].send_ns;
}

/* Start the next plan connection of this worker on a free slot. */
static bool
start_next(struct fc_client_worker *w, struct fc_replay_worker *rw, uint64_t now)
{
	const struct fc_replay_run *run = run_of(w);
	const struct fc_replay_conn *pc = &run->plan->conns[rw->conns[rw->cursor % rw->nb_conns]];
	uint32_t loop = (uint32_t)(rw->cursor / rw->nb_conns);
	uint64_t base = run->start_ns + loop * run->period_ns;
	uint64_t first = base + run->plan->reqs[pc->first_req].send_ns;

	if (now + run->lead_ns < first)
		return false;
	if (rw->nb_free == 0) {
		rw->slot_waits++;
		return false;
	}
	struct fc_client_conn *cc = &w->conns[rw->free[--rw->nb_free]];

	cc->src_base = base;
	cc->src_next = pc->first_req;
	cc->src_end = pc->first_req + pc->num_reqs;
	cc->src_loop = loop;
	cc->src_reopens = 0;
	cc->src_port = pc->target_port ? pc->target_port : run->default_port;
	cc->src_active = true;
	cc->src_held = false;
	cc->held = false;
	memset(&rw->again[cc - w->conns], 0, sizeof(rw->again[0]));
	/* A refused open leaves the slot free with a back-off; the pass below retries it. */
	(void)fc_client_open(w, cc, cc->src_port, now);
	rw->active[rw->nb_active++] = (uint32_t)(cc - w->conns);
	rw->cursor++;
	return true;
}

/* Write what is due on one connection. */
static void
service(struct fc_client_worker *w, struct fc_replay_worker *rw, struct fc_client_conn *cc,
	uint64_t now)
{
	const struct fc_replay_run *run = run_of(w);
	struct fc_replay_again *g = &rw->again[cc - w->conns];

	while (cc->src_next < cc->src_end) {
		const struct fc_replay_req *r = &run->plan->reqs[cc->src_next];
		uint64_t due = cc->src_base + r->send_ns, again = 0;
		unsigned bit = cc->src_next % FC_PIPE_MAX;

		if (cc->src_next < g->end) {
			/* Unanswered before a server close: again if it may be, else skipped (it
			 * was counted as an error then). */
			if (!(g->mask & (1u << bit))) {
				cc->src_next++;
				continue;
			}
			again = g->first[bit];
		}
		if (now < due)
			break;
		/* Keep the capture's pipelining, and only that: wait for the response otherwise.
		 * A request sent again goes alone. */
		if (cc->q_len > 0 && (!run->pipelined[cc->src_next] || again)) {
			cc->src_held = true;
			break;
		}
		if (r->len > w->rp->tcp.snd_buf) {
			rw->too_large++;
			cc->src_next++;
			continue;
		}
		int rc = fc_client_send(w, cc, r->data, r->len, is_head(r), cc->src_next,
					again ? again : now, again, now);

		if (rc == 0)
			break;
		if (again) {
			g->mask &= (uint16_t)~(1u << bit);
		} else {
			fc_hist_record(rw->lag, now - due);
			if (cc->src_held)
				rw->held++;
			else
				fc_hist_record(rw->lag_free, now - due);
		}
		cc->src_held = false;
		cc->src_next++;
		if (rc < 0)
			break;
	}
}

static void
replay_issue(struct fc_client_worker *w, uint64_t now)
{
	const struct fc_replay_run *run = run_of(w);
	struct fc_replay_worker *rw = w->src;

	for (unsigned k = 0; k < NEW_CONNS_PER_PASS && rw->cursor < rw->total; k++)
		if (!start_next(w, rw, now))
			break;

	for (uint32_t i = 0; i < rw->nb_active; i++) {
		struct fc_client_conn *cc = &w->conns[rw->active[i]];

		if (cc->state == 0 /* free */) {
			bool left = cc->src_next < cc->src_end;

			if (!left) {
				/* Finished: give the slot back. */
				cc->src_active = false;
				rw->free[rw->nb_free++] = rw->active[i];
				rw->active[i--] = rw->active[--rw->nb_active];
				continue;
			}
			/* Closed under us (server close, reset, timeout) with requests left: open
			 * it again, but only when the next request is due (after a first try
			 * ahead), so a dead target costs one connect error per request. */
			if (now < conn_held_until(cc) ||
			    now + (cc->src_reopens ? 0 : run->lead_ns) < next_due(run, cc))
				continue;
			cc->src_reopens++;
			rw->reopens++;
			if (fc_client_open(w, cc, cc->src_port, now) != 0)
				continue;
		}
		if (cc->closing)
			continue;
		service(w, rw, cc, now);
		if (cc->src_next == cc->src_end && cc->q_len == 0)
			fc_client_close(w, cc);
	}
	if (rw->cursor == rw->total && rw->nb_active == 0 &&
	    !__atomic_load_n(&w->ctl.done, __ATOMIC_RELAXED))
		__atomic_store_n(&w->ctl.done, 1, __ATOMIC_RELEASE);
}

const struct fc_client_source fc_replay_source_ops = {
	.name = "replay",
	.init = replay_init,
	.issue = replay_issue,
	.on_result = replay_on_result,
	.resend = replay_resend,
	.fini = replay_fini,
};
