/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hashed timer wheel (Varghese & Lauck scheme 6): one slot per tick modulo the wheel size,
 * doubly linked lists threaded through the TCBs, so arm and cancel are O(1). Entries whose
 * tick is more than one revolution away stay in their slot and are skipped until due.
 *
 * A slot is TCP_WHEEL_WAYS lists (by TCB index), walked side by side: a list is a chain of
 * dependent loads, each a miss at 50,000 connections, and the ways' chains overlap theirs.
 *
 * Each TCB has one wheel entry. It carries the earliest of two deadlines: the state timer
 * (rto_tick: retransmission, persist, TIME_WAIT, FIN_WAIT_2, SYN) and the delayed ACK.
 *
 * The state timer is lazy, as BSD's callouts and Linux's sk_reset_timer() are where a
 * timer is re-armed far more often than it fires. Arming it later than the entry's tick
 * only moves rto_tick; stopping it only clears TF_RTO_ON. The entry fires at its tick and
 * tcp_timer_fire() re-arms it at rto_tick, or drops it. A request-response exchange arms
 * the timer on every request and stops it on every response: eagerly, each of those
 * relinked the entry, writing the wheel links of two neighbouring TCBs, cold lines at
 * 50,000 connections. Lazily, the links (the TCB's cold lines) are touched about once an
 * RTO per connection instead of twice a request.
 */
#include "tcp_internal.h"

/* The head of the list for TCB @idx in the slot of @tick. */
static inline uint32_t *
wheel_head(struct fc_tcp_ctx *ctx, uint32_t tick, uint32_t idx)
{
	return &ctx->wheel[(tick & ctx->wheel_mask) * TCP_WHEEL_WAYS + idx % TCP_WHEEL_WAYS];
}

static inline void
wheel_unlink(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	if (t->tm_prev != 0)
		ctx->tcbs[t->tm_prev].tm_next = t->tm_next;
	else
		*wheel_head(ctx, t->tm_tick, t->idx) = t->tm_next;
	if (t->tm_next != 0)
		ctx->tcbs[t->tm_next].tm_prev = t->tm_prev;
	t->tm_next = t->tm_prev = 0;
}

void
timer_cancel(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	if (t->tm_tick == 0)
		return;
	wheel_unlink(ctx, t);
	t->tm_tick = 0;
}

/* Place @t in the slot of @tick (absolute tick; at least the next tick). */
void
timer_arm(struct fc_tcp_ctx *ctx, struct tcb *t, uint64_t tick)
{
	uint32_t *head;

	timer_cancel(ctx, t);
	if (tick <= ctx->cur_tick)
		tick = ctx->cur_tick + 1;
	/* tm_tick == 0 means "not armed": tick 0 is never armed because cur_tick >= 0. */
	t->tm_tick = (uint32_t)tick;
	if (t->tm_tick == 0)
		t->tm_tick = 1;
	head = wheel_head(ctx, t->tm_tick, t->idx);
	t->tm_prev = 0;
	t->tm_next = *head;
	if (t->tm_next != 0)
		ctx->tcbs[t->tm_next].tm_prev = t->idx;
	*head = t->idx;
}

/* Arm the state timer @delay_ns from now; an earlier entry (a delayed ACK, or one kept
 * lazily) stays where it is. */
void
tcp_set_rto_timer(struct fc_tcp_ctx *ctx, struct tcb *t, uint64_t delay_ns)
{
	uint64_t tick = ns_to_tick(ctx, ctx->now_ns + delay_ns);

	if (tick <= ctx->cur_tick)
		tick = ctx->cur_tick + 1;
	t->rto_tick = (uint32_t)tick;
	t->flags |= TF_RTO_ON;
	/* An entry due at or before the deadline fires first, and re-arms at rto_tick. */
	if (t->tm_tick != 0 && (int32_t)(t->tm_tick - (uint32_t)tick) <= 0)
		return;
	timer_arm(ctx, t, tick);
}

/* Lazy: the entry stays, and finds nothing to do when it fires. */
void
tcp_stop_rto_timer(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	(void)ctx;
	t->flags &= ~TF_RTO_ON;
}

/*
 * Take the entries of slot @s due at @target off its lists, into @batch (room for @cap, at
 * least TCP_WHEEL_WAYS). Returns how many; *@more is set when entries were left unvisited
 * for want of room. One step of every way's chain per round, the next entries prefetched.
 */
static unsigned
wheel_collect(struct fc_tcp_ctx *ctx, uint32_t s, uint64_t target, uint32_t *batch,
	      unsigned cap, bool *more)
{
	uint32_t cur[TCP_WHEEL_WAYS];
	unsigned nb = 0, live = 0;

	for (unsigned w = 0; w < TCP_WHEEL_WAYS; w++) {
		cur[w] = ctx->wheel[s * TCP_WHEEL_WAYS + w];
		live += cur[w] != 0;
	}
	while (live > 0 && nb + TCP_WHEEL_WAYS <= cap) {
		live = 0;
		for (unsigned w = 0; w < TCP_WHEEL_WAYS; w++) {
			struct tcb *t;
			uint32_t next;

			if (cur[w] == 0)
				continue;
			t = &ctx->tcbs[cur[w]];
			next = t->tm_next;
			if (next != 0) {
				rte_prefetch0(&ctx->tcbs[next].tm_tick);
				rte_prefetch0(&ctx->tcbs[next].tm_next);
				live++;
			}
			if ((int32_t)(t->tm_tick - (uint32_t)target) <= 0) {
				wheel_unlink(ctx, t);
				t->tm_tick = 0;
				batch[nb++] = cur[w];
			}
			cur[w] = next;
		}
	}
	*more = live > 0;
	return nb;
}

unsigned
fc_tcp_process(struct fc_tcp_ctx *ctx, uint64_t now)
{
	uint64_t target, n, i, first;
	unsigned fired = 0;

	if (now > ctx->now_ns) {
		ctx->now_ns = now;
		ctx->now_us = (uint32_t)(now / 1000);
	}
	/* Called on every poll: the division only once a tick has passed. */
	if (now < (ctx->cur_tick + 1) * ctx->cfg.timer_res_ns)
		target = ctx->cur_tick;
	else
		target = now / ctx->cfg.timer_res_ns;
	if (target > ctx->cur_tick) {
		n = target - ctx->cur_tick;
		if (n > ctx->wheel_mask + 1ull)
			n = ctx->wheel_mask + 1ull;
		first = ctx->cur_tick + 1;
		/* Handlers re-arm at cur_tick + 1 at the earliest, so they never land in the
		 * range being expired. */
		ctx->cur_tick = target;
		ctx->in_burst = 1;
		for (i = 0; i < n; i++) {
			uint32_t s = (uint32_t)(first + i) & ctx->wheel_mask;
			uint32_t batch[64];
			unsigned nb, k;
			bool more;

			/* Collect a bounded batch, then fire: handlers may arm, cancel or close
			 * any TCB, so the slot's lists are re-read after each batch. */
			do {
				nb = wheel_collect(ctx, s, target, batch, RTE_DIM(batch), &more);
				for (k = 0; k < nb; k++) {
					struct tcb *t = &ctx->tcbs[batch[k]];

					if (t->state == FC_TCP_CLOSED)
						continue;
					fired++;
					tcp_timer_fire(ctx, t);
				}
			} while (more);
		}
		tcp_flush_acks(ctx);
		ctx->in_burst = 0;
	}
	tcb_release_dead(ctx);
	return fired;
}
