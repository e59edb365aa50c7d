/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Open-loop request schedules (wrk2-style constant rate, or Poisson arrivals) and load
 * plans (linear ramp-up, k6-style stages) that change the rate and the connection count
 * during a run.
 *
 * A schedule yields the *intended* send time of each request, in nanoseconds on the
 * caller's clock; time is always a parameter, never read here. Latency in open-loop mode
 * is measured from the intended time, so a late send shows up as latency instead of
 * silently lowering the rate (coordinated omission).
 *
 * Exactness. A fixed constant rate is kept as an integer in micro-requests per second and
 * the i-th intended time is computed from i (start + j*1e15/rate_micro, 128-bit), never by
 * summing rounded intervals, so there is no drift over any run length. Under a plan the
 * rate r(t) is piecewise linear; the cumulative count L(t) = integral of r is piecewise
 * quadratic, and request j is intended at the time where L(t) crosses j (solved in closed
 * form per segment), so ramps are smooth and the count at any t equals the area under the
 * plan, to less than one request. In both modes global request 0 is at t = 0 and the
 * number of requests intended in [0, T) is ceil(L(T)) (rate x T at a constant rate).
 *
 * Sharing among N workers. Worker k of N takes the global requests j = k, k+N, k+2N, ...
 * of the one global schedule. The union of all workers is therefore exactly the global
 * schedule: each worker runs at rate/N, and workers are phase-shifted by 1/rate from each
 * other instead of firing in lockstep. With Poisson arrivals each worker runs an
 * independent Poisson process at rate/N (its own PRNG stream derived from the seed and
 * k); the superposition of independent Poisson processes is a Poisson process at the
 * total rate.
 *
 * Catch-up. When a worker falls behind (a stall, a slow loop pass), fc_rate_due() never
 * releases more than @c max_burst requests per call, and with @c catchup_factor f > 1 a
 * token bucket (depth max_burst, filled at f times this worker's current rate) limits
 * releases to f times the scheduled pace once the bucket is empty (wrk2 catches up at 2x).
 * On schedule the bucket stays full, so pacing changes nothing. Late requests are never
 * dropped: they keep their intended times, and latency is measured from those.
 */
#ifndef FC_RATE_H
#define FC_RATE_H

#include <stdbool.h>
#include <stdint.h>

#define FC_RATE_NEVER UINT64_MAX       /**< intended time when no request will ever be due */
#define FC_RATE_PLAN_MAX 64            /**< points in a plan (start point + stages) */
#define FC_RATE_MIN 0.000001           /**< smallest nonzero fixed rate (1 micro-request/s) */
#define FC_RATE_DEFAULT_BURST 32       /**< max_burst used when the configuration says 0 */
#define FC_RATE_LATE_NS 1000000ull     /**< a release this much after its intended time counts as late */

/** Arrival process. */
enum fc_rate_model {
	FC_RATE_CONSTANT = 0,  /**< evenly spaced (wrk2) */
	FC_RATE_POISSON,       /**< exponential inter-arrivals, seeded PRNG */
};

/** One breakpoint of a piecewise-linear plan. */
struct fc_rate_point {
	uint64_t t_ns;         /**< time since the start of the run */
	double rate;           /**< total target rate at t_ns (req/s) */
	double conns;          /**< total target connections at t_ns */
	double cum;            /**< requests scheduled in [0, t_ns): integral of rate */
};

/**
 * Piecewise-linear rate and connection targets over time. Between two points both are
 * interpolated linearly; after the last point they hold the last values. Immutable once
 * built, so all workers may share one plan read-only.
 */
struct fc_rate_plan {
	uint32_t n;                                /**< points in use (>= 1 once initialised) */
	struct fc_rate_point pt[FC_RATE_PLAN_MAX]; /**< points, t_ns strictly increasing except for steps */
};

/**
 * Start a plan at t = 0 with the given rate and connections.
 * @param plan plan to initialise.
 * @param start_rate rate at t = 0 (req/s, >= 0).
 * @param start_conns connections at t = 0.
 * @return 0, or -EINVAL (NULL, negative or non-finite rate).
 */
int fc_rate_plan_init(struct fc_rate_plan *plan, double start_rate, uint32_t start_conns);

/**
 * Append a k6-style stage: go linearly from the previous point's targets to these over
 * @p duration_ns. A duration of 0 is a step change.
 * @param plan plan.
 * @param duration_ns stage length.
 * @param target_rate rate at the end of the stage (req/s, >= 0).
 * @param target_conns connections at the end of the stage.
 * @return 0, -EINVAL (bad value or uninitialised plan), -ENOSPC (FC_RATE_PLAN_MAX points).
 */
int fc_rate_plan_add_stage(struct fc_rate_plan *plan, uint64_t duration_ns, double target_rate,
		uint32_t target_conns);

/**
 * Linear ramp-up then hold: init(start_rate, start_conns) + stage(ramp_ns, rate, conns).
 * With ramp_ns == 0 the plan is constant at (rate, conns).
 * @param plan plan to initialise.
 * @param start_rate rate at t = 0 (0 for a ramp from nothing).
 * @param start_conns connections at t = 0.
 * @param rate target rate reached at ramp_ns.
 * @param conns target connections reached at ramp_ns.
 * @param ramp_ns ramp duration.
 * @return 0 or -EINVAL.
 */
int fc_rate_plan_ramp(struct fc_rate_plan *plan, double start_rate, uint32_t start_conns,
		double rate, uint32_t conns, uint64_t ramp_ns);

/**
 * Targets at time t: rate interpolated linearly, connections interpolated linearly and
 * rounded up (so a ramp towards a nonzero target never asks for 0 mid-way).
 * @param plan plan.
 * @param t_ns time since the start of the run.
 * @param rate out: total target rate (req/s), may be NULL.
 * @param conns out: total target connections, may be NULL.
 * @return 0, or -EINVAL for an uninitialised plan.
 */
int fc_rate_plan_at(const struct fc_rate_plan *plan, uint64_t t_ns, double *rate, uint32_t *conns);

/**
 * Expected number of requests in [0, t): the integral of the rate.
 * @param plan plan.
 * @param t_ns time since the start of the run.
 * @return requests (fractional), 0 for an uninitialised plan.
 */
double fc_rate_plan_integral(const struct fc_rate_plan *plan, uint64_t t_ns);

/** @param plan plan. @return time of its last point (end of the last stage), 0 if empty. */
uint64_t fc_rate_plan_duration(const struct fc_rate_plan *plan);

/** Schedule configuration. */
struct fc_rate_conf {
	enum fc_rate_model model;        /**< constant or Poisson */
	double rate;                     /**< total req/s over all workers when plan is NULL (> 0) */
	const struct fc_rate_plan *plan; /**< rate over time, or NULL for the fixed @c rate */
	uint64_t start_ns;               /**< intended time of t = 0 on the caller's clock */
	uint32_t worker;                 /**< this worker's index k, 0 <= k < n_workers */
	uint32_t n_workers;              /**< N workers sharing the rate (0 is taken as 1) */
	uint64_t seed;                   /**< Poisson PRNG seed (same seed => same schedule) */
	uint32_t max_burst;              /**< most requests fc_rate_due() releases per call; 0 = default */
	double catchup_factor;           /**< > 1: pace late requests at most this x the schedule; 0 = off */
};

/** One worker's schedule. Owned and used by one thread. Fields are internal. */
struct fc_rate_sched {
	enum fc_rate_model model;        /**< arrival process */
	const struct fc_rate_plan *plan; /**< NULL in fixed-rate mode */
	uint64_t anchor_ns;              /**< fixed mode: intended time of global index 0 */
	uint64_t rate_micro;             /**< fixed mode: total rate in micro-requests/s (0 = paused) */
	uint64_t start_ns;               /**< plan mode: time of plan t = 0 */
	uint32_t worker;                 /**< k */
	uint32_t n_workers;              /**< N */
	uint64_t i;                      /**< index of this worker's next request */
	double lambda;                   /**< plan mode: cumulative-count target of the next request */
	double poisson_t;                /**< fixed Poisson: ns after anchor of the next request */
	uint64_t rng;                    /**< splitmix64 state */
	uint32_t seg;                    /**< plan cursor: segment of the last solved time */
	uint64_t next_ns;                /**< intended time of the next request (FC_RATE_NEVER if none) */
	uint64_t switch_ns;              /**< pending fc_rate_set_rate(): takes effect at this time */
	double switch_rate;              /**< pending new rate (< 0: none pending) */
	uint32_t max_burst;              /**< per-call cap */
	double catchup_factor;           /**< pacing factor, 0 = off */
	double tokens;                   /**< pacing: releases allowed now (token bucket) */
	uint64_t last_now;               /**< pacing: time of the previous fc_rate_due() */
	uint64_t issued;                 /**< requests released by fc_rate_due() */
	uint64_t late;                   /**< released more than FC_RATE_LATE_NS after their intended time */
	uint64_t max_lag_ns;             /**< largest (release time - intended time) seen */
};


/**
 * Initialise a schedule.
 * @param s schedule.
 * @param conf configuration.
 * @return 0, or -EINVAL (NULL, worker >= n_workers, fixed rate < FC_RATE_MIN or not finite,
 *   catchup_factor in (0, 1], unknown model).
 */
int fc_rate_init(struct fc_rate_sched *s, const struct fc_rate_conf *conf);

/**
 * Intended time of this worker's next request, without consuming it.
 * @param s schedule.
 * @return time in ns, or FC_RATE_NEVER when the rate stays 0 for ever.
 */
uint64_t fc_rate_peek(const struct fc_rate_sched *s);

/**
 * Consume and return the next intended time (no pacing, no cap: the raw schedule).
 * @param s schedule.
 * @return time in ns, or FC_RATE_NEVER.
 */
uint64_t fc_rate_next(struct fc_rate_sched *s);

/**
 * Release the requests due by @p now: those whose intended time is <= now, at most
 * min(max, max_burst) of them, and with catch-up pacing when configured. Requests not
 * released stay due for the next call (never dropped).
 * @param s schedule.
 * @param now current time (ns, same clock as start_ns).
 * @param intended out: intended times of the released requests (may be NULL).
 * @param max room in @p intended.
 * @return number of requests released.
 */
unsigned fc_rate_due(struct fc_rate_sched *s, uint64_t now, uint64_t *intended, unsigned max);

/**
 * True when requests remain due at @p now after the last fc_rate_due() (the worker is
 * behind schedule; count it).
 * @param s schedule.
 * @param now current time.
 * @return whether the next intended time is <= now.
 */
bool fc_rate_behind(const struct fc_rate_sched *s, uint64_t now);

/**
 * Change to a fixed total rate at time @p at_ns (live rate change, vegeta #689); drops a
 * plan. The control core publishes (rate, at_ns) and every worker applies the same pair,
 * so the new schedule is one global schedule anchored at at_ns and worker phase shifts
 * stay interleaved. Requests of the old schedule intended before at_ns are kept; the new
 * schedule's first request of worker k is at at_ns + k/rate (constant model).
 * @param s schedule.
 * @param at_ns time the new rate takes effect (may be in the past or the future).
 * @param rate new total rate (req/s): 0 pauses (no request after at_ns), else >= FC_RATE_MIN.
 * @return 0 or -EINVAL.
 */
int fc_rate_set_rate(struct fc_rate_sched *s, uint64_t at_ns, double rate);

#endif /* FC_RATE_H */
