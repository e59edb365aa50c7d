/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Per-core counters of the HTTP client and the run report built from them: the JSON
 * report (keys: docs/result-json.md), the wrk2-layout human summary with h2load's error
 * breakdown, and Prometheus text exposition.
 *
 * Counters. struct fc_stats_core is one cache-aligned block of uint64_t per worker,
 * written by that worker only, read by the control core while the worker runs. Aligned
 * 64-bit loads and stores are single-copy atomic on x86-64 and arm64, so a plain
 * read-modify-write by the single writer is enough; we still spell the accesses as
 * __atomic relaxed loads/stores (fc_stats_add, fc_stats_snapshot) so that the concurrent
 * read is not a data race in C11 terms and the compiler cannot tear or cache them.
 * Relaxed order suffices: each counter is read individually, and a snapshot taken while
 * the worker runs is a set of values each a little stale, never torn. No RMW atomics.
 *
 * The one counter policy of the project: every counter has one writer, its worker. A
 * counter another core reads while the worker runs is written with a relaxed atomic store
 * (fc_stats_add here, the same spelled out elsewhere) and read with relaxed loads; the
 * other counters (lib/net, lib/tcp, lib/http, the ports') are plain and read only once
 * their worker has stopped.
 *
 * Report. struct fc_report gathers what the control core knows at the end of a run and
 * owns copies of everything it holds (scenario JSON, histograms, series).
 */
#ifndef FC_STATS_H
#define FC_STATS_H

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "fc_hist.h"

/** Kinds of request errors. */
enum fc_stats_err {
	FC_STATS_ERR_CONNECT = 0, /**< connection could not be established */
	FC_STATS_ERR_TIMEOUT,     /**< connect or request timeout */
	FC_STATS_ERR_RESET,       /**< the peer reset the connection (RST) under it, and it was
				   * not retried */
	FC_STATS_ERR_CLOSED,      /**< closed_unanswered: the peer closed the connection (FIN)
				   * before answering it, and it could not be retried (not
				   * idempotent, or its retries ran out) */
	FC_STATS_ERR_PARSE,       /**< malformed response */
	FC_STATS_ERR_OTHER,       /**< anything else (no buffer, no port, ...) */
	FC_STATS_ERR_MAX,         /**< number of kinds */
};

/**
 * One worker's counters. Written only by the owning worker (fc_stats_add/fc_stats_set),
 * read by the control core with fc_stats_snapshot(). Only uint64_t members: the
 * snapshot and sum walk the struct as an array of words.
 */
struct fc_stats_core {
	alignas(64) uint64_t req_sent;   /**< requests handed to TCP */
	uint64_t req_completed;          /**< complete responses received (any status) */
	uint64_t req_retried;            /**< sends again of a request the server closed its
					  * connection under (RFC 9112 §9.3.2); not counted in
					  * req_sent again */
	uint64_t err[FC_STATS_ERR_MAX];  /**< failed requests by kind (enum fc_stats_err) */
	uint64_t status[6];              /**< responses by class: [1]..[5] = 1xx..5xx, [0] = other */
	uint64_t bytes_rx;               /**< HTTP bytes received (headers + body) */
	uint64_t bytes_tx;               /**< HTTP bytes sent */
	uint64_t conn_open;              /**< gauge: connections currently established */
	uint64_t connects;               /**< connections established (cumulative) */
	uint64_t connect_attempts;       /**< SYNs started (cumulative) */
	uint64_t sched_late;             /**< open loop: requests released after their intended time */
	uint64_t sched_behind;           /**< open loop: loop passes that ended with requests still due */
	uint64_t busy_cycles;            /**< TSC cycles of the loop passes that moved frames (the
					  * worker's cost; idle polling excluded) */
	uint64_t held_for_port;          /**< loop passes that left requests waiting (ready
					  * connections, due open-loop requests) because the port
					  * had not taken the frames already built */
};

/** Number of uint64_t words in struct fc_stats_core. */
#define FC_STATS_WORDS (sizeof(struct fc_stats_core) / sizeof(uint64_t))

/**
 * Add to a counter of the calling worker's own block (single writer: a relaxed load and
 * a relaxed store, no locked instruction).
 * @param ctr counter inside a struct fc_stats_core owned by the caller.
 * @param n amount.
 */
static inline void
fc_stats_add(uint64_t *ctr, uint64_t n)
{
	__atomic_store_n(ctr, __atomic_load_n(ctr, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/**
 * Subtract from a counter (gauges such as conn_open).
 * @param ctr counter owned by the caller.
 * @param n amount.
 */
static inline void
fc_stats_sub(uint64_t *ctr, uint64_t n)
{
	__atomic_store_n(ctr, __atomic_load_n(ctr, __ATOMIC_RELAXED) - n, __ATOMIC_RELAXED);
}

/** Increment a named field of a struct fc_stats_core pointer: FC_STATS_INC(st, req_sent). */
#define FC_STATS_INC(st, field) fc_stats_add(&(st)->field, 1)

/**
 * Count a response status code in its class (100..599; anything else goes to status[0]).
 * @param st caller's own block.
 * @param code HTTP status code.
 */
static inline void
fc_stats_status(struct fc_stats_core *st, unsigned code)
{
	unsigned cls = code / 100;
	fc_stats_add(&st->status[(cls >= 1 && cls <= 5) ? cls : 0], 1);
}

/**
 * Copy a (possibly running) worker's block with relaxed loads.
 * @param dst snapshot (plain memory).
 * @param src worker's block.
 */
void fc_stats_snapshot(struct fc_stats_core *dst, const struct fc_stats_core *src);

/**
 * Accumulate: acc += src, word by word (both plain snapshots).
 * @param acc accumulator.
 * @param src snapshot to add.
 */
void fc_stats_sum(struct fc_stats_core *acc, const struct fc_stats_core *src);

/**
 * Snapshot and sum @p n running workers' blocks into @p total (zeroed first).
 * @param total result.
 * @param cores worker blocks (array).
 * @param n number of blocks.
 */
void fc_stats_collect(struct fc_stats_core *total, const struct fc_stats_core *cores, unsigned n);

/**
 * Name of an error kind as used in reports ("connect", "timeout", "reset", "parse", "other").
 * @param kind error kind.
 * @return static string, "unknown" when out of range.
 */
const char *fc_stats_err_name(enum fc_stats_err kind);

/** @param st snapshot. @return sum of err[] over all kinds. */
uint64_t fc_stats_errors_total(const struct fc_stats_core *st);

/**
 * Prometheus text exposition (version 0.0.4) of per-core counters: one sample per core
 * labelled core="<i>" (index in @p cores), with # HELP and # TYPE lines, names prefixed
 * "flashcrowd_". No aggregate sample is written, so sum() over cores is the total.
 * Errors carry kind="connect|timeout|reset|parse|other", responses class="1xx".."5xx|other".
 * @param f output.
 * @param cores snapshots.
 * @param n number of snapshots.
 * @return 0, -EINVAL, or -EIO.
 */
int fc_stats_write_prometheus(FILE *f, const struct fc_stats_core *cores, unsigned n);

/** One point of the per-interval series. */
struct fc_report_interval {
	double t;             /**< end of the interval, seconds since the start */
	double rps;           /**< completed requests per second in the interval */
	double p50_us;        /**< median latency in the interval (us) */
	double p99_us;        /**< 99th percentile latency in the interval (us) */
	uint64_t errors;      /**< errors in the interval */
	uint64_t connections; /**< open connections at the end of the interval */
	double start_s;       /**< start of the interval, seconds since the start */
	uint64_t completed;   /**< responses completed in the interval */
	double p90_us;        /**< 90th percentile latency in the interval (us) */
	double p99_9_us;      /**< 99.9th percentile latency in the interval (us) */
	uint64_t max_ns;      /**< largest latency of the interval (ns) */
	char *hist;           /**< fc_hist_encode_base64() of the interval's latency (corrected in
			       *   open loop), malloc'd; the report takes ownership; NULL = none */
	char *hist_uncorrected; /**< open loop: the same for the uncorrected latency, or NULL */
	uint64_t max_uncorrected_ns; /**< open loop: largest uncorrected latency of the interval */
	bool tail;            /**< the drain after the last full interval: written to the .hlog
			       *   (so it adds up to the whole run), left out of intervals[] */
};

/** One worker's final counters in the report. */
struct fc_report_core {
	unsigned lcore;             /**< lcore id */
	int socket;                 /**< NUMA socket, -1 unknown */
	struct fc_stats_core stats; /**< final snapshot */
};

#define FC_REPORT_NAME_MAX 48   /**< longest generic counter name, with NUL */

/** A generic named counter (TCP counters filled from lib/tcp). */
struct fc_report_counter {
	char name[FC_REPORT_NAME_MAX]; /**< e.g. "retransmits" */
	uint64_t value;                /**< value */
};

/**
 * Everything a run reports. Fill with the fc_report_* setters; plain members may also be
 * set directly. Owns all memory it points to; release with fc_report_free().
 */
struct fc_report {
	cJSON *scenario;                        /**< resolved run parameters (owned deep copy) */
	char url[256];                          /**< target URL as given */
	unsigned threads;                       /**< worker cores */
	unsigned connections;                   /**< configured connections (total) */
	double duration_s;                      /**< measured run time (s), used for rates */
	double target_rps;                      /**< configured rate, 0 in closed loop */
	bool open_loop;                         /**< wrk2 mode: latency corrected from intended time */
	bool limits_widened;                    /**< an operator limits file widened the envelope */
	bool latency_spectrum;                  /**< print the detailed percentile spectrum (wrk --latency) */
	struct fc_stats_core totals;            /**< sum over all workers */
	struct fc_report_interval *intervals;   /**< per-interval series (owned) */
	unsigned n_intervals;                   /**< entries in intervals */
	unsigned cap_intervals;                 /**< allocated entries */
	struct fc_report_core *cores;           /**< per-core breakdown (owned) */
	unsigned n_cores;                       /**< entries in cores */
	unsigned cap_cores;                     /**< allocated entries */
	struct fc_report_counter *tcp;          /**< TCP counters (owned) */
	unsigned n_tcp;                         /**< entries in tcp */
	unsigned cap_tcp;                       /**< allocated entries */
	struct fc_hist *latency;                /**< merged latency: corrected in open loop (owned, may be NULL) */
	struct fc_hist *latency_uncorrected;    /**< open loop: from the actual send (owned, may be NULL) */
	uint64_t start_unix_ns;                 /**< wall-clock start of the run (UTC, ns since the
						  *   epoch), 0 = unknown */
	char profile[256];                      /**< port profile used, "" = embedded pair */
	cJSON *tags;                            /**< --tag labels: an object of strings (owned, may be NULL) */
};

/**
 * Allocate an empty report.
 * @return the report, or NULL with errno = ENOMEM.
 */
struct fc_report *fc_report_create(void);

/**
 * Free a report and everything it owns.
 * @param r report or NULL.
 */
void fc_report_free(struct fc_report *r);

/**
 * Store a deep copy of the resolved scenario (replaces a previous one).
 * @param r report.
 * @param scenario JSON object, or NULL to clear.
 * @return 0, -EINVAL, -ENOMEM.
 */
int fc_report_set_scenario(struct fc_report *r, const cJSON *scenario);

/**
 * Store copies of the merged histograms (replacing previous ones).
 * @param r report.
 * @param corrected latency histogram (corrected in open loop), or NULL.
 * @param uncorrected uncorrected histogram, or NULL when absent.
 * @return 0, -EINVAL, -ENOMEM.
 */
int fc_report_set_latency(struct fc_report *r, const struct fc_hist *corrected,
		const struct fc_hist *uncorrected);

/**
 * Append one interval to the series. The report takes ownership of iv->hist and
 * iv->hist_uncorrected in every case (they are freed on failure).
 * @param r report.
 * @param iv interval.
 * @return 0, -EINVAL, -ENOMEM.
 */
int fc_report_add_interval(struct fc_report *r, const struct fc_report_interval *iv);

/**
 * Add a label to meta.tags (replaces the value of an existing key).
 * @param r report.
 * @param key label name.
 * @param value label value.
 * @return 0, -EINVAL, -ENOMEM.
 */
int fc_report_add_tag(struct fc_report *r, const char *key, const char *value);

/**
 * Write the HdrHistogram interval log (format 1.3) of the run: one line per interval
 * (the drain included), untagged in closed loop, Tag=corrected and Tag=uncorrected in open
 * loop. Atomically (temporary file + rename).
 * @param r report (intervals with their hist strings, start_unix_ns).
 * @param path destination.
 * @return 0, -EINVAL, -ENOMEM, -EIO or -errno of the file operations.
 */
int fc_report_write_hlog(const struct fc_report *r, const char *path);

/** Version of the result file format written by fc_report_to_json() ("format"). */
#define FC_RESULT_FORMAT 1

/**
 * Append one worker's final counters.
 * @param r report.
 * @param lcore lcore id.
 * @param socket NUMA socket or -1.
 * @param st snapshot.
 * @return 0, -EINVAL, -ENOMEM.
 */
int fc_report_add_core(struct fc_report *r, unsigned lcore, int socket,
		const struct fc_stats_core *st);

/**
 * Set totals to the sum of the per-core snapshots added so far.
 * @param r report.
 * @return 0 or -EINVAL.
 */
int fc_report_sum_cores(struct fc_report *r);

/**
 * Set (or add, if new) a generic TCP counter, e.g. "retransmits", "resets_rx".
 * @param r report.
 * @param name counter name (shorter than FC_REPORT_NAME_MAX).
 * @param value value.
 * @return 0, -EINVAL (NULL or name too long), -ENOMEM.
 */
int fc_report_set_counter(struct fc_report *r, const char *name, uint64_t value);

/**
 * Build the JSON report. Keys: requests.{sent,completed,errors.{connect,timeout,reset,
 * parse,other,total}}, status.{2xx,3xx,4xx,5xx}, throughput.{rps,rx_bytes_per_s},
 * transfer.{rx_bytes,tx_bytes}, latency_us.{min,mean,stdev,p50,p75,p90,p99,p99_9,p99_99,max,count},
 * latency_uncorrected_us.{same} (only with an uncorrected histogram),
 * tcp.{connects,retransmits,resets_rx,resets_tx, any other counter set}, intervals[]
 * {t,rps,p50_us,p99_us,errors,connections}, per_core[] {lcore,socket,sent,completed,errors,
 * rps,rx_bytes,tx_bytes,connects,connections}, duration_s, open_loop, target_rps,
 * limits_widened, scenario (an empty object when none was set). tcp.connects defaults to
 * totals.connects when not set. Latency values are microseconds (doubles); counts are numbers.
 * Result-file keys (docs/results.md): format (FC_RESULT_FORMAT), meta {flashcrowd,
 * start_time, start_unix_ms, host, profile, tags}, histograms {encoding, layout, corrected,
 * uncorrected (open loop)} each {v2, count, min_ns, max_ns, sum_ns, sumsq_ns2, clamped},
 * and per interval start_s, completed, p90_us, p99_9_us, max_us, hist, hist_uncorrected.
 * @param r report.
 * @return a new cJSON object (caller deletes with cJSON_Delete), or NULL with errno set.
 */
cJSON *fc_report_to_json(const struct fc_report *r);

/**
 * Write a JSON document (formatted) atomically: a temporary file, then rename. Every JSON
 * file flashcrowd writes goes through here (reports, merged results, serve's counters).
 * @param doc document.
 * @param path destination; "-" writes to stdout.
 * @return 0, -EINVAL, -ENOMEM, or -errno of the file operations.
 */
int fc_json_write(const cJSON *doc, const char *path);

/**
 * Write the JSON report (formatted) to a file, atomically (temporary file + rename).
 * @param r report.
 * @param path destination; "-" writes to stdout.
 * @return 0, -EINVAL, -ENOMEM, or -errno from the file operations.
 */
int fc_report_write_json(const struct fc_report *r, const char *path);

/**
 * fc_report_write_json() with one more object added at the top level (e.g. replay's
 * "replay" section), written the same atomic way.
 * @param r      report
 * @param key    name of the extra member, or NULL for none
 * @param extra  the member (ownership passes to the callee, freed in every case), or NULL
 * @param path   file, or "-" for stdout
 * @return 0, -EINVAL, -ENOMEM, or -errno of the failed write
 */
int fc_report_write_json_extra(const struct fc_report *r, const char *key, cJSON *extra,
		const char *path);

/**
 * Print the human summary in wrk2's layout (Running ... @ URL, threads and connections,
 * Thread Stats, Latency Distribution (HdrHistogram - Recorded Latency) with 50..100%
 * rows, Detailed Percentile spectrum in ms, the uncorrected distribution when present,
 * "N requests in Xs, Y read", Socket errors (when any), Requests/sec, Transfer/sec),
 * followed by h2load's "requests:" and "status codes:" lines.
 * Mapping to wrk's socket errors: connect = connect, read = reset + parse,
 * write = other, timeout = timeout.
 * @param r report.
 * @param f output.
 * @return 0, -EINVAL, -EIO.
 */
int fc_report_print_summary(const struct fc_report *r, FILE *f);

#endif /* FC_STATS_H */
