/* SPDX-License-Identifier: BSD-3-Clause */
/* The control core: drives the run's phases, publishes targets, collects and reports. */
#ifndef FC_CONTROL_H
#define FC_CONTROL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fc_clock.h"
#include "fc_engine.h"
#include "fc_stats.h"

/** Live metrics of one interval, handed to the threshold check. */
struct fc_live {
	double t_s;             /**< seconds since the start */
	double rps;             /**< completed per second, this interval */
	double p50_us, p90_us, p99_us, p999_us, max_us; /**< cumulative latency so far */
	double mean_us;         /**< cumulative mean */
	uint64_t sent, completed, errors; /**< cumulative */
	uint64_t connections;   /**< open now */
	const struct fc_hist *latency; /**< cumulative latency histogram so far */
};

/**
 * Threshold hook: return true when the run must stop now (abort_on_fail), and write a
 * line into @p why. NULL = no thresholds.
 */
typedef bool (*fc_control_abort_fn)(void *arg, const struct fc_live *live, char *why, size_t len);

struct fc_control {
	struct fc_client_worker *workers;  /**< client workers */
	unsigned nb_workers;               /**< how many */
	const struct fc_run_params *rp;    /**< run parameters */
	uint64_t duration_ns;              /**< load phase length (end of the plan) */
	uint64_t drain_ns;                 /**< longest wait for answers in flight */
	uint64_t close_ns;                 /**< longest wait for FIN handshakes */
	uint64_t interval_ns;              /**< report interval (1 s) */
	struct fc_report *report;          /**< filled: intervals, latency */
	fc_control_abort_fn abort_fn;      /**< threshold hook */
	void *abort_arg;                   /**< its argument */
	FILE *out;                         /**< live progress (stdout) */
	bool tty;                          /**< progress bar when out is a terminal */
	bool quiet;                        /**< no live lines */
	const volatile sig_atomic_t *stop; /**< set by a signal: end the load phase now (NULL:
					     * none) */
	fc_clock_fn clock;                 /**< its clock (NULL: fc_clock_ns) */
	void (*sleep_until)(uint64_t t);   /**< wait until clock() reaches t (NULL: nanosleep
					     * on the real clock); a test's fake clock jumps */
	bool stop_when_done;               /**< end the load phase early once every worker's
					     * request source is done (ctl.done) */
	/* results */
	bool aborted;                      /**< a threshold stopped the run */
	bool interrupted;                  /**< SIGINT/SIGTERM stopped the run */
	char abort_why[256];               /**< the threshold's message */
	double elapsed_s;                  /**< measured load-phase length */
	uint64_t drain_left;               /**< requests still in flight when the drain bound hit */
};

/**
 * Run the load phase, the drain and the close, then stop the workers (already launched on
 * their lcores) and merge their histograms into c->report.
 * @return 0, or -ENOMEM
 */
int fc_control_run(struct fc_control *c);

#endif
