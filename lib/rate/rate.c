/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Open-loop schedules and load plans. See fc_rate.h for the model; the notes here are
 * about the arithmetic.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "fc_rate.h"

__extension__ typedef unsigned __int128 u128;

#define NS_PER_S 1e9
/* ns per request at 1 micro-request/s, so interval_ns = NS_X_MICRO / rate_micro */
#define NS_X_MICRO 1000000000000000ull

/* ---------------------------------------------------------------- plans */

static bool
rate_ok(double r)
{
	return isfinite(r) && r >= 0.0;
}

int
fc_rate_plan_init(struct fc_rate_plan *plan, double start_rate, uint32_t start_conns)
{
	if (plan == NULL || !rate_ok(start_rate))
		return -EINVAL;
	plan->n = 1;
	plan->pt[0] = (struct fc_rate_point){ .t_ns = 0, .rate = start_rate,
		.conns = start_conns, .cum = 0.0 };
	return 0;
}

int
fc_rate_plan_add_stage(struct fc_rate_plan *plan, uint64_t duration_ns, double target_rate,
		uint32_t target_conns)
{
	const struct fc_rate_point *prev;

	if (plan == NULL || plan->n == 0 || plan->n > FC_RATE_PLAN_MAX || !rate_ok(target_rate))
		return -EINVAL;
	if (plan->n == FC_RATE_PLAN_MAX)
		return -ENOSPC;
	prev = &plan->pt[plan->n - 1];
	if (prev->t_ns + duration_ns < prev->t_ns)
		return -EINVAL; /* wraps */
	/* Trapezoid: the exact area under a linear rate. */
	plan->pt[plan->n] = (struct fc_rate_point){
		.t_ns = prev->t_ns + duration_ns,
		.rate = target_rate,
		.conns = target_conns,
		.cum = prev->cum + (prev->rate + target_rate) * 0.5 * ((double)duration_ns / NS_PER_S),
	};
	plan->n++;
	return 0;
}

int
fc_rate_plan_ramp(struct fc_rate_plan *plan, double start_rate, uint32_t start_conns,
		double rate, uint32_t conns, uint64_t ramp_ns)
{
	int rc;

	if (ramp_ns == 0)
		return fc_rate_plan_init(plan, rate, conns);
	rc = fc_rate_plan_init(plan, start_rate, start_conns);
	if (rc == 0)
		rc = fc_rate_plan_add_stage(plan, ramp_ns, rate, conns);
	return rc;
}

/* Last point whose time is <= t (the later one of a step). */
static uint32_t
plan_seg(const struct fc_rate_plan *plan, uint64_t t_ns, uint32_t from)
{
	uint32_t i = from < plan->n ? from : 0;

	if (plan->pt[i].t_ns > t_ns)
		i = 0;
	while (i + 1 < plan->n && plan->pt[i + 1].t_ns <= t_ns)
		i++;
	return i;
}

int
fc_rate_plan_at(const struct fc_rate_plan *plan, uint64_t t_ns, double *rate, uint32_t *conns)
{
	const struct fc_rate_point *a, *b;
	double r, c;
	uint32_t i;

	if (plan == NULL || plan->n == 0 || plan->n > FC_RATE_PLAN_MAX)
		return -EINVAL;
	i = plan_seg(plan, t_ns, 0);
	a = &plan->pt[i];
	if (i + 1 == plan->n) {
		r = a->rate;
		c = a->conns;
	} else {
		double w;

		b = &plan->pt[i + 1];
		w = (double)(t_ns - a->t_ns) / (double)(b->t_ns - a->t_ns);
		r = a->rate + (b->rate - a->rate) * w;
		c = a->conns + (b->conns - a->conns) * w;
	}
	if (rate != NULL)
		*rate = r;
	if (conns != NULL)
		*conns = (uint32_t)ceil(c - 1e-9); /* 1e-9: 63.9999999 from rounding is 64 */
	return 0;
}

/* L(t) inside segment i, x ns after its start. */
static double
seg_integral(const struct fc_rate_plan *plan, uint32_t i, double x)
{
	const struct fc_rate_point *a = &plan->pt[i];
	double r0 = a->rate / NS_PER_S, slope = 0.0;

	if (i + 1 < plan->n) {
		const struct fc_rate_point *b = &plan->pt[i + 1];
		slope = (b->rate - a->rate) / NS_PER_S / (double)(b->t_ns - a->t_ns);
	}
	return a->cum + r0 * x + 0.5 * slope * x * x;
}

double
fc_rate_plan_integral(const struct fc_rate_plan *plan, uint64_t t_ns)
{
	uint32_t i;

	if (plan == NULL || plan->n == 0 || plan->n > FC_RATE_PLAN_MAX)
		return 0.0;
	i = plan_seg(plan, t_ns, 0);
	return seg_integral(plan, i, (double)(t_ns - plan->pt[i].t_ns));
}

uint64_t
fc_rate_plan_duration(const struct fc_rate_plan *plan)
{
	if (plan == NULL || plan->n == 0 || plan->n > FC_RATE_PLAN_MAX)
		return 0;
	return plan->pt[plan->n - 1].t_ns;
}

/*
 * First t (ns after plan start) with L(t) = target, moving the cursor *seg forward only
 * (targets only grow). Within a segment L is quadratic: L = cum + b x + a x^2 with
 * b = r0, a = (r1 - r0) / (2 D); x = 2 d / (b + sqrt(b^2 + 4 a d)) with d = target - cum
 * is the root that is stable for a of either sign and for b = 0 (ramp from nothing).
 */
static uint64_t
plan_solve(const struct fc_rate_plan *plan, uint32_t *seg, double target)
{
	uint32_t i = *seg;
	const struct fc_rate_point *p;
	double d, x;

	while (i + 1 < plan->n && plan->pt[i + 1].cum < target)
		i++;
	*seg = i;
	p = &plan->pt[i];
	d = target - p->cum;
	if (d < 0.0)
		d = 0.0;
	if (i + 1 == plan->n) {
		double r = p->rate / NS_PER_S;

		if (d == 0.0)
			return p->t_ns;
		if (!(r > 0.0))
			return FC_RATE_NEVER;
		x = d / r;
	} else {
		const struct fc_rate_point *q = &plan->pt[i + 1];
		double dur = (double)(q->t_ns - p->t_ns);
		double b = p->rate / NS_PER_S;
		double a = (q->rate - p->rate) / NS_PER_S / (2.0 * dur);
		double disc = b * b + 4.0 * a * d, den;

		if (disc < 0.0)
			disc = 0.0;
		den = b + sqrt(disc);
		x = den > 0.0 ? 2.0 * d / den : 0.0;
		if (x > dur)
			x = dur;
	}
	if (x >= 1.8e19 - (double)p->t_ns)
		return FC_RATE_NEVER;
	return p->t_ns + (uint64_t)llround(x);
}

/* ------------------------------------------------------------ schedules */

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Exp(1) draw: -ln(U) with U uniform in (0, 1], never 0, so the log is finite. */
static double
exp1(uint64_t *s)
{
	double u = ((double)(splitmix64(s) >> 11) + 1.0) * 0x1.0p-53;

	return -log(u);
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? FC_RATE_NEVER : a + b;
}

/* Intended time of this worker's request s->i under the current mode (and draws for Poisson). */
static uint64_t
compute_next(struct fc_rate_sched *s)
{
	const uint64_t n = s->n_workers;

	if (s->plan != NULL) {
		uint64_t t;

		if (s->model == FC_RATE_CONSTANT)
			s->lambda = (double)s->worker + (double)s->i * (double)n;
		else
			s->lambda += (double)n * exp1(&s->rng);
		t = plan_solve(s->plan, &s->seg, s->lambda);
		return t == FC_RATE_NEVER ? t : add_sat(s->start_ns, t);
	}
	if (s->rate_micro == 0)
		return FC_RATE_NEVER;
	if (s->model == FC_RATE_CONSTANT) {
		/* Global index j = k + i*N; exact integer time, computed from j, no drift. */
		u128 j = (u128)s->worker + (u128)s->i * n;
		u128 off = j * NS_X_MICRO / s->rate_micro;

		if (off >= FC_RATE_NEVER)
			return FC_RATE_NEVER;
		return add_sat(s->anchor_ns, (uint64_t)off);
	}
	/* Poisson at rate/N: mean gap N / rate, accumulated in double from the anchor. */
	s->poisson_t += exp1(&s->rng) * (double)n * ((double)NS_X_MICRO / (double)s->rate_micro);
	if (s->poisson_t >= 1.8e19)
		return FC_RATE_NEVER;
	return add_sat(s->anchor_ns, (uint64_t)llround(s->poisson_t));
}

static int
micro_of(double rate, uint64_t *out)
{
	double m;

	if (!isfinite(rate) || rate < 0.0)
		return -EINVAL;
	m = nearbyint(rate * 1e6);
	if (m >= 1.8e19 || (rate > 0.0 && m < 1.0))
		return -EINVAL;
	*out = (uint64_t)m;
	return 0;
}

/* Switch to the fixed rate stored in switch_rate, anchored at switch_ns. */
static void
apply_switch(struct fc_rate_sched *s)
{
	uint64_t micro = 0;

	micro_of(s->switch_rate, &micro); /* validated by fc_rate_set_rate */
	s->plan = NULL;
	s->rate_micro = micro;
	s->anchor_ns = s->switch_ns;
	s->i = 0;
	s->poisson_t = 0.0;
	s->switch_rate = -1.0;
	s->next_ns = compute_next(s);
}

static void
advance(struct fc_rate_sched *s)
{
	s->i++;
	s->next_ns = compute_next(s);
	if (s->switch_rate >= 0.0 && s->next_ns >= s->switch_ns)
		apply_switch(s);
}

int
fc_rate_init(struct fc_rate_sched *s, const struct fc_rate_conf *c)
{
	uint64_t micro = 0;

	if (s == NULL || c == NULL)
		return -EINVAL;
	if (c->model != FC_RATE_CONSTANT && c->model != FC_RATE_POISSON)
		return -EINVAL;
	if (c->n_workers > 0 && c->worker >= c->n_workers)
		return -EINVAL;
	if (c->n_workers == 0 && c->worker != 0)
		return -EINVAL;
	if (c->catchup_factor != 0.0 && !(c->catchup_factor > 1.0 && isfinite(c->catchup_factor)))
		return -EINVAL;
	if (c->plan != NULL) {
		if (c->plan->n == 0 || c->plan->n > FC_RATE_PLAN_MAX)
			return -EINVAL;
	} else if (micro_of(c->rate, &micro) != 0 || micro == 0) {
		return -EINVAL;
	}

	memset(s, 0, sizeof(*s));
	s->model = c->model;
	s->plan = c->plan;
	s->anchor_ns = c->start_ns;
	s->start_ns = c->start_ns;
	s->rate_micro = micro;
	s->worker = c->worker;
	s->n_workers = c->n_workers ? c->n_workers : 1;
	/* Independent stream per worker: mix the worker index into the seed. */
	s->rng = c->seed ^ (0xd1b54a32d192ed03ull * (c->worker + 1));
	splitmix64(&s->rng);
	s->max_burst = c->max_burst ? c->max_burst : FC_RATE_DEFAULT_BURST;
	s->catchup_factor = c->catchup_factor;
	s->tokens = s->max_burst;
	s->last_now = c->start_ns;
	s->switch_rate = -1.0;
	s->lambda = 0.0;
	s->next_ns = compute_next(s);
	return 0;
}

uint64_t
fc_rate_peek(const struct fc_rate_sched *s)
{
	return s->next_ns;
}

uint64_t
fc_rate_next(struct fc_rate_sched *s)
{
	uint64_t t = s->next_ns;

	if (t != FC_RATE_NEVER)
		advance(s);
	return t;
}

/* This worker's current rate in requests per ns (for the pacing token bucket). */
static double
worker_rate_per_ns(const struct fc_rate_sched *s, uint64_t now)
{
	double r;

	if (s->plan != NULL) {
		const struct fc_rate_plan *p = s->plan;
		uint64_t t = now > s->start_ns ? now - s->start_ns : 0;
		/* start from the solver's cursor: now is near the next intended time */
		uint32_t i = plan_seg(p, t, s->seg);

		if (i + 1 == p->n)
			r = p->pt[i].rate;
		else
			r = p->pt[i].rate + (p->pt[i + 1].rate - p->pt[i].rate) *
				((double)(t - p->pt[i].t_ns) / (double)(p->pt[i + 1].t_ns - p->pt[i].t_ns));
	} else {
		r = (double)s->rate_micro / 1e6;
	}
	return r / NS_PER_S / (double)s->n_workers;
}

unsigned
fc_rate_due(struct fc_rate_sched *s, uint64_t now, uint64_t *intended, unsigned max)
{
	unsigned cap = max < s->max_burst ? max : s->max_burst, n = 0;

	if (s->catchup_factor > 0.0) {
		double r = worker_rate_per_ns(s, now);
		double dt = now > s->last_now ? (double)(now - s->last_now) : 0.0;

		s->tokens += dt * s->catchup_factor * r;
		if (s->tokens > s->max_burst)
			s->tokens = s->max_burst;
		if (now > s->last_now)
			s->last_now = now;
		if (s->tokens < (double)cap)
			cap = (unsigned)s->tokens;
	}
	while (n < cap && s->next_ns <= now) {
		uint64_t t = s->next_ns, lag = now - t;

		if (intended != NULL)
			intended[n] = t;
		if (lag > FC_RATE_LATE_NS)
			s->late++;
		if (lag > s->max_lag_ns)
			s->max_lag_ns = lag;
		n++;
		advance(s);
	}
	if (s->catchup_factor > 0.0)
		s->tokens -= n;
	s->issued += n;
	return n;
}

bool
fc_rate_behind(const struct fc_rate_sched *s, uint64_t now)
{
	return s->next_ns <= now;
}

int
fc_rate_set_rate(struct fc_rate_sched *s, uint64_t at_ns, double rate)
{
	uint64_t micro;

	if (s == NULL || micro_of(rate, &micro) != 0)
		return -EINVAL;
	s->switch_ns = at_ns;
	s->switch_rate = rate;
	/* The pending request, if intended at or after at_ns, belongs to the old schedule's
	 * future: replace it now. Otherwise it and any others before at_ns stay due. */
	if (s->next_ns >= at_ns)
		apply_switch(s);
	return 0;
}
