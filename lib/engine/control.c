/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control core. It never busy-polls: it sleeps between 10 ms ticks, so on a 2-core box
 * it can share a CPU with a worker. Per tick it publishes each worker's connection target
 * (single-writer words); per interval it flips the workers' histograms (lib/hist epochs),
 * merges the idle copies, sums the counters, prints the live line and checks thresholds.
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include <rte_launch.h>
#include <rte_lcore.h>

#include "fc_clock.h"
#include "fc_control.h"

#define TICK_NS 10000000ull

/* The real clock's wait (fc_control::sleep_until when left NULL). */
static void
real_sleep_until(uint64_t t_ns)
{
	uint64_t now = fc_now_ns();

	if (t_ns > now) {
		const struct timespec ts = {
			.tv_sec = (time_t)((t_ns - now) / 1000000000ull),
			.tv_nsec = (long)((t_ns - now) % 1000000000ull),
		};
		nanosleep(&ts, NULL);
	}
}

static void
publish_targets(struct fc_control *c, uint64_t t)
{
	double rate;
	uint32_t conns;

	if (c->rp->plan == NULL)
		return; /* a request source (replay) opens its own connections */
	fc_rate_plan_at(c->rp->plan, t, &rate, &conns);
	for (unsigned i = 0; i < c->nb_workers; i++) {
		/* Share the total: the first (conns % N) workers take one more. */
		uint32_t share = conns / c->nb_workers + (i < conns % c->nb_workers ? 1 : 0);

		__atomic_store_n(&c->workers[i].ctl.target_conns, share, __ATOMIC_RELAXED);
	}
}

static void
set_phase(struct fc_control *c, enum fc_phase p)
{
	for (unsigned i = 0; i < c->nb_workers; i++)
		__atomic_store_n(&c->workers[i].ctl.phase, p, __ATOMIC_RELEASE);
}

static void
sum_stats(const struct fc_control *c, struct fc_stats_core *tot)
{
	memset(tot, 0, sizeof(*tot));
	for (unsigned i = 0; i < c->nb_workers; i++) {
		struct fc_stats_core snap;

		fc_stats_snapshot(&snap, &c->workers[i].stats);
		fc_stats_sum(tot, &snap);
	}
}

static uint64_t
in_flight(const struct fc_stats_core *s)
{
	uint64_t done = s->req_completed + fc_stats_errors_total(s);

	return s->req_sent > done ? s->req_sent - done : 0;
}

/* Flip every worker's histograms and merge what they recorded since the last flip. */
static void
collect_histograms(struct fc_control *c, struct fc_hist *dst, struct fc_hist *dst_unc)
{
	for (unsigned i = 0; i < c->nb_workers; i++) {
		fc_hist_pair_request(&c->workers[i].lat);
		fc_hist_pair_request(&c->workers[i].lat_unc);
	}
	for (unsigned i = 0; i < c->nb_workers; i++) {
		struct fc_client_worker *w = &c->workers[i];

		/* Bounded: a worker acknowledges at its next loop pass (microseconds). What a
		 * stalled worker holds stays in its idle copy and joins a later interval. */
		for (unsigned tries = 0; tries < 50; tries++) {
			if (fc_hist_pair_try_collect(&w->lat, dst) == 0)
				break;
			c->sleep_until(c->clock() + 1000000ull);
		}
		for (unsigned tries = 0; tries < 50; tries++) {
			if (fc_hist_pair_try_collect(&w->lat_unc, dst_unc) == 0)
				break;
			c->sleep_until(c->clock() + 1000000ull);
		}
	}
}

/* Every worker's request source has nothing left (replay). */
static bool
all_done(const struct fc_control *c)
{
	for (unsigned i = 0; i < c->nb_workers; i++)
		if (!__atomic_load_n(&c->workers[i].ctl.done, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

static void
print_live(struct fc_control *c, const struct fc_live *l)
{
	double total_s = c->duration_ns / 1e9;

	if (c->quiet)
		return;
	if (c->tty) {
		char bar[21];
		int fill = total_s > 0 ? (int)(20 * l->t_s / total_s) : 20;

		fill = fill > 20 ? 20 : fill;
		memset(bar, '#', (size_t)fill);
		memset(bar + fill, '.', (size_t)(20 - fill));
		bar[20] = '\0';
		fprintf(c->out, "[%s] ", bar);
	}
	fprintf(c->out, "%5.0fs/%.0fs  rps %9.0f  p50 %8.0fus  p99 %8.0fus  errors %6lu  conns %6lu\n",
		l->t_s, total_s, l->rps, l->p50_us, l->p99_us, (unsigned long)l->errors,
		(unsigned long)l->connections);
	fflush(c->out);
}

/* What the result file and the .hlog keep of an interval besides the live figures: its
 * own percentiles and its histograms in HdrHistogram's encoding (issue 22). */
static void
interval_extras(const struct fc_control *c, struct fc_report_interval *ri,
		const struct fc_hist *iv, const struct fc_hist *iv_unc, uint64_t from_ns,
		const struct fc_stats_core *cur, const struct fc_stats_core *prev)
{
	ri->start_s = from_ns / 1e9;
	ri->completed = cur->req_completed - prev->req_completed;
	ri->p90_us = fc_hist_percentile(iv, 90.0) / 1e3;
	ri->p99_9_us = fc_hist_percentile(iv, 99.9) / 1e3;
	ri->max_ns = fc_hist_max(iv);
	ri->hist = fc_hist_encode_base64(iv);
	if (c->rp->open_loop) {
		ri->hist_uncorrected = fc_hist_encode_base64(iv_unc);
		ri->max_uncorrected_ns = fc_hist_max(iv_unc);
	}
}

/* Wall clock at the monotonic instant @p mono_ns (the result file's meta.start_time). */
static uint64_t
unix_ns_at(uint64_t mono_ns)
{
	struct timespec ts;
	uint64_t now = fc_now_ns(), wall;

	clock_gettime(CLOCK_REALTIME, &ts);
	wall = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return mono_ns > now ? wall + (mono_ns - now) : wall - (now - mono_ns);
}

int
fc_control_run(struct fc_control *c)
{
	struct fc_hist *iv = fc_hist_create(SOCKET_ID_ANY), *iv_unc = fc_hist_create(SOCKET_ID_ANY);
	struct fc_hist *total = fc_hist_create(SOCKET_ID_ANY);
	struct fc_hist *total_unc = fc_hist_create(SOCKET_ID_ANY);
	struct fc_stats_core prev = {0}, cur;
	uint64_t start = c->rp->start_ns, now, last_iv = start;
	uint64_t next_iv = start + c->interval_ns;
	int rc = 0;

	if (c->clock == NULL)
		c->clock = fc_clock_ns;
	if (c->sleep_until == NULL)
		c->sleep_until = real_sleep_until;
	if (iv == NULL || iv_unc == NULL || total == NULL || total_unc == NULL) {
		rc = -ENOMEM;
		set_phase(c, FC_PHASE_EXIT);
		goto out;
	}
	if (c->report != NULL)
		c->report->start_unix_ns = unix_ns_at(start);
	publish_targets(c, 0);

	/* Load phase. */
	for (uint64_t tick = start + TICK_NS;; tick += TICK_NS) {
		c->sleep_until(tick);
		now = c->clock();
		if (c->stop != NULL && *c->stop) {
			c->interrupted = true;
			break;
		}
		if (now - start >= c->duration_ns)
			break;
		if (c->stop_when_done && all_done(c))
			break;
		publish_targets(c, now - start);
		if (now < next_iv)
			continue;

		collect_histograms(c, iv, iv_unc);
		sum_stats(c, &cur);
		struct fc_live l = {
			.t_s = (now - start) / 1e9,
			.rps = (cur.req_completed - prev.req_completed) * 1e9 / (double)(now - last_iv),
			.sent = cur.req_sent, .completed = cur.req_completed,
			.errors = fc_stats_errors_total(&cur), .connections = cur.conn_open,
		};
		struct fc_report_interval ri = {
			.t = l.t_s, .rps = l.rps,
			.p50_us = fc_hist_percentile(iv, 50.0) / 1e3,
			.p99_us = fc_hist_percentile(iv, 99.0) / 1e3,
			.errors = l.errors - fc_stats_errors_total(&prev),
			.connections = cur.conn_open,
		};
		interval_extras(c, &ri, iv, iv_unc, last_iv - start, &cur, &prev);
		fc_report_add_interval(c->report, &ri);
		fc_hist_merge(total, iv);
		fc_hist_merge(total_unc, iv_unc);
		l.p50_us = ri.p50_us;
		l.p99_us = ri.p99_us;
		l.p90_us = fc_hist_percentile(total, 90.0) / 1e3;
		l.p999_us = fc_hist_percentile(total, 99.9) / 1e3;
		l.max_us = fc_hist_max(total) / 1e3;
		l.mean_us = fc_hist_mean(total) / 1e3;
		l.latency = total;
		fc_hist_reset(iv);
		fc_hist_reset(iv_unc);
		print_live(c, &l);
		prev = cur;
		last_iv = now;
		next_iv += c->interval_ns;

		if (c->abort_fn && c->abort_fn(c->abort_arg, &l, c->abort_why, sizeof(c->abort_why))) {
			c->aborted = true;
			break;
		}
	}
	c->elapsed_s = (c->clock() - start) / 1e9;

	/* Drain: nothing new; wait (bounded) for the answers in flight. */
	set_phase(c, FC_PHASE_DRAIN);
	uint64_t t0 = c->clock();
	do {
		c->sleep_until(c->clock() + 2000000ull);
		sum_stats(c, &cur);
	} while (in_flight(&cur) > 0 && c->clock() - t0 < c->drain_ns);
	c->drain_left = in_flight(&cur);

	/* Close: FIN every connection; after the bound, what is left is reset at exit. */
	set_phase(c, FC_PHASE_CLOSE);
	t0 = c->clock();
	for (;;) {
		uint32_t open = 0;

		c->sleep_until(c->clock() + 2000000ull);
		for (unsigned i = 0; i < c->nb_workers; i++)
			open += __atomic_load_n(&c->workers[i].ctl.open_conns, __ATOMIC_RELAXED);
		if (open == 0 || c->clock() - t0 >= c->close_ns)
			break;
	}
	set_phase(c, FC_PHASE_EXIT);
	for (unsigned i = 0; i < c->nb_workers; i++)
		rte_eal_wait_lcore(c->workers[i].lcore);

	/* The workers are joined: take both histogram copies whole. What came after the last
	 * interval (the rest of the load phase and the drain) is one more, "tail", interval of
	 * the .hlog, so that the log adds up to the whole run's histogram. */
	fc_hist_reset(iv);
	fc_hist_reset(iv_unc);
	for (unsigned i = 0; i < c->nb_workers; i++) {
		fc_hist_pair_drain(&c->workers[i].lat, iv);
		fc_hist_pair_drain(&c->workers[i].lat_unc, iv_unc);
	}
	if (fc_hist_count(iv) != 0 || fc_hist_count(iv_unc) != 0) {
		struct fc_report_interval tail = { .t = (fc_now_ns() - start) / 1e9, .tail = true };

		sum_stats(c, &cur);
		interval_extras(c, &tail, iv, iv_unc, last_iv - start, &cur, &prev);
		fc_report_add_interval(c->report, &tail);
	}
	fc_hist_merge(total, iv);
	fc_hist_merge(total_unc, iv_unc);
	fc_report_set_latency(c->report, total, c->rp->open_loop ? total_unc : NULL);
out:
	fc_hist_free(iv);
	fc_hist_free(iv_unc);
	fc_hist_free(total);
	fc_hist_free(total_unc);
	return rc;
}
