/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-core side of the worker/control double buffer (worker side: fc_hist_pair_poll,
 * inline in fc_hist.h). Memory ordering, in one place:
 *  - control: reset idle copy ... store-release req_epoch = e
 *  - worker:  load-acquire req_epoch == e -> record into h[e & 1] -> ... (old copy untouched)
 *             store-release ack_epoch = e (after its last record into h[(e & 1) ^ 1])
 *  - control: load-acquire ack_epoch == e -> read/merge/reset h[(e & 1) ^ 1]
 * Each copy therefore has exactly one owner at a time, and ownership moves only through a
 * release/acquire pair, so there is no data race on the counters and no record is lost.
 */
#include <errno.h>
#include <time.h>

#include <rte_pause.h>

#include "fc_hist.h"

int
fc_hist_pair_init(struct fc_hist_pair *p, int socket_id)
{
	if (p == NULL)
		return -EINVAL;
	p->h[0] = fc_hist_create(socket_id);
	p->h[1] = fc_hist_create(socket_id);
	if (p->h[0] == NULL || p->h[1] == NULL) {
		fc_hist_pair_fini(p);
		return -ENOMEM;
	}
	p->req_epoch = 0;
	p->ack_epoch = 0;
	p->active = p->h[0];
	/* Published to the worker by its launch (rte_eal_remote_launch / pthread_create). */
	return 0;
}

void
fc_hist_pair_fini(struct fc_hist_pair *p)
{
	if (p == NULL)
		return;
	fc_hist_free(p->h[0]);
	fc_hist_free(p->h[1]);
	p->h[0] = p->h[1] = NULL;
	p->active = NULL;
}

int
fc_hist_pair_request(struct fc_hist_pair *p)
{
	uint64_t req = __atomic_load_n(&p->req_epoch, __ATOMIC_RELAXED); /* we are the writer */

	if (__atomic_load_n(&p->ack_epoch, __ATOMIC_ACQUIRE) != req)
		return -EBUSY;
	/* Release: the reset of the copy the worker is about to take is visible to it. */
	__atomic_store_n(&p->req_epoch, req + 1, __ATOMIC_RELEASE);
	return 0;
}

int
fc_hist_pair_try_collect(struct fc_hist_pair *p, struct fc_hist *dst)
{
	uint64_t req = __atomic_load_n(&p->req_epoch, __ATOMIC_RELAXED);
	struct fc_hist *idle;

	/* Acquire: the worker's records into the idle copy happened before its ack. */
	if (__atomic_load_n(&p->ack_epoch, __ATOMIC_ACQUIRE) != req)
		return -EAGAIN;
	idle = p->h[(req & 1) ^ 1];
	if (dst != NULL)
		fc_hist_merge(dst, idle);
	if (idle->count != 0)
		fc_hist_reset(idle);
	return 0;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
fc_hist_pair_collect(struct fc_hist_pair *p, struct fc_hist *dst, uint64_t timeout_ns)
{
	uint64_t deadline;
	unsigned spins = 0;

	if (p == NULL)
		return -EINVAL;
	fc_hist_pair_request(p); /* -EBUSY: an earlier request is still pending, wait for it */
	deadline = mono_ns() + timeout_ns;
	for (;;) {
		if (fc_hist_pair_try_collect(p, dst) == 0)
			return 0;
		/* Read the clock only every 64 spins: the ack normally comes within one pass. */
		if ((++spins & 63) == 0 && mono_ns() >= deadline)
			return -EAGAIN;
		rte_pause();
	}
}

int
fc_hist_pair_drain(struct fc_hist_pair *p, struct fc_hist *dst)
{
	if (p == NULL)
		return -EINVAL;
	/* The worker has stopped and was joined (rte_eal_wait_lcore / pthread_join): the join
	 * orders all its records before this point, so plain reads are race-free. */
	for (int i = 0; i < 2; i++) {
		if (dst != NULL)
			fc_hist_merge(dst, p->h[i]);
		fc_hist_reset(p->h[i]);
	}
	return 0;
}
