/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hashed timer wheel (Varghese & Lauck scheme 6): one slot per tick modulo the wheel size,
 * doubly linked lists threaded through the TCBs, so arm and cancel are O(1). Entries whose
 * tick is more than one revolution away stay in their slot and are skipped until due.
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

static inline void
wheel_unlink(struct fc_tcp_ctx *ctx, struct tcb *t)
{
	if (t->tm_prev != 0)
		ctx->tcbs[t->tm_prev].tm_next = t->tm_next;
	else
		ctx->wheel[t->tm_tick & ctx->wheel_mask] = t->tm_next;
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
	uint32_t s;

	timer_cancel(ctx, t);
	if (tick <= ctx->cur_tick)
		tick = ctx->cur_tick + 1;
	/* tm_tick == 0 means "not armed": tick 0 is never armed because cur_tick >= 0. */
	t->tm_tick = (uint32_t)tick;
	if (t->tm_tick == 0)
		t->tm_tick = 1;
	s = t->tm_tick & ctx->wheel_mask;
	t->tm_prev = 0;
	t->tm_next = ctx->wheel[s];
	if (t->tm_next != 0)
		ctx->tcbs[t->tm_next].tm_prev = t->idx;
	ctx->wheel[s] = t->idx;
}

/* Arm the state timer @delay_ns from now, keeping an earlier delayed-ACK deadline. */
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

unsigned
fc_tcp_process(struct fc_tcp_ctx *ctx, uint64_t now)
{
	uint64_t target, n, i, first;
	unsigned fired = 0;

	if (now > ctx->now_ns) {
		ctx->now_ns = now;
		ctx->now_us = (uint32_t)(now / 1000);
	}
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

			/* Collect a bounded batch, then fire: handlers may arm, cancel or close
			 * any TCB, so the slot list is re-read after each batch. */
			do {
				uint32_t idx = ctx->wheel[s];

				nb = 0;
				while (idx != 0 && nb < RTE_DIM(batch)) {
					struct tcb *t = &ctx->tcbs[idx];
					uint32_t next = t->tm_next;

					if ((int32_t)(t->tm_tick - (uint32_t)target) <= 0) {
						wheel_unlink(ctx, t);
						t->tm_tick = 0;
						batch[nb++] = idx;
					}
					idx = next;
				}
				for (k = 0; k < nb; k++) {
					struct tcb *t = &ctx->tcbs[batch[k]];

					if (t->state == FC_TCP_CLOSED)
						continue;
					fired++;
					tcp_timer_fire(ctx, t);
				}
			} while (nb == RTE_DIM(batch));
		}
		tcp_flush_acks(ctx);
		ctx->in_burst = 0;
	}
	tcb_release_dead(ctx);
	return fired;
}
