/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Result files that last: reading and checking a `--json` result (format 1), merging any
 * number of them exactly, and comparing a baseline with a new run (a verdict per metric,
 * with a Mann-Whitney U test for significance).
 *
 * A result file carries its whole-run latency histograms in HdrHistogram's compressed V2
 * encoding plus the exact extras the encoding cannot hold (min, max, sum and sum of
 * squares), and one encoded histogram per interval. Merging adds counters and histograms
 * bucket by bucket, so the merged percentiles are those of every request of every file,
 * to the histogram's resolution (3 significant digits), and the merged mean is exact.
 *
 * Everything here runs off the data path: it allocates, reads files and never exits;
 * errors come back as -errno with a message naming the file, the field and the value.
 */
#ifndef FC_RESULTS_H
#define FC_RESULTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "fc_hist.h"

#define FC_RESULTS_ERR_LEN 512          /**< room for one error message */

/** One interval of a loaded result file. */
struct fc_result_interval {
	double start_s;         /**< start, seconds since the run's start */
	double end_s;           /**< end, seconds since the run's start */
	double rps;             /**< completed requests per second */
	uint64_t completed;     /**< responses completed */
	uint64_t errors;        /**< errors */
	uint64_t connections;   /**< open connections at the end */
	double p_us[4];         /**< p50, p90, p99, p99.9 (us) */
	const char *hist;       /**< base64 V2 histogram (points into the JSON tree), or NULL */
	const char *hist_uncorrected; /**< open loop: the uncorrected one, or NULL */
};

/** A loaded and checked result file. Free with fc_result_free(). */
struct fc_result {
	char path[256];                  /**< file name, for messages */
	cJSON *root;                     /**< the whole document (owned) */
	struct fc_hist *latency;         /**< whole-run latency (corrected in open loop), exact extras applied */
	struct fc_hist *latency_uncorrected; /**< open loop: uncorrected, or NULL */
	struct fc_result_interval *iv;   /**< intervals (owned array) */
	unsigned n_iv;                   /**< entries in @p iv */
	uint64_t start_unix_ms;          /**< meta.start_unix_ms */
	double duration_s;               /**< duration_s */
	uint64_t sent;                   /**< requests.sent */
	uint64_t completed;              /**< requests.completed */
	uint64_t errors;                 /**< requests.errors.total */
	bool open_loop;                  /**< open_loop */
};

/**
 * Read and check a result file: JSON, "format" equal to FC_RESULT_FORMAT (1), the fields
 * merge and compare use, and every histogram (whole-run and per interval) decodes with
 * our layout and agrees with the counts stated beside it.
 * @param path file.
 * @param out receives the result.
 * @param err receives "PATH: FIELD: reason" on failure.
 * @param errlen size of @p err.
 * @return 0; -ENOENT/-EACCES/-EISDIR... (cannot read); -EINVAL (not JSON, truncated, not a
 *   flashcrowd result, a missing or malformed field, a histogram that does not decode);
 *   -EPROTONOSUPPORT (another format version); -ENOTSUP (a histogram layout that does
 *   not map onto ours); -ENOMEM.
 */
int fc_result_load(const char *path, struct fc_result **out, char *err, size_t errlen);

/**
 * fc_result_load() of text already in memory (tests, stdin).
 * @param text NUL-terminated JSON.
 * @param name name used in messages.
 * @param out receives the result.
 * @param err receives the reason.
 * @param errlen size of @p err.
 * @return as fc_result_load().
 */
int fc_result_parse(const char *text, const char *name, struct fc_result **out, char *err,
		size_t errlen);

/**
 * Free a result.
 * @param r result or NULL.
 */
void fc_result_free(struct fc_result *r);

/**
 * The fields in which two scenarios differ, ignoring where the outputs go (output.*),
 * labels (tags) and the baseline settings: "load.connections: 8 vs 16; target: ...".
 * @param a first result.
 * @param b second result.
 * @param buf receives the list ("" when equal).
 * @param len size of @p buf.
 * @return number of differing fields.
 */
unsigned fc_result_scenario_diff(const struct fc_result *a, const struct fc_result *b,
		char *buf, size_t len);

/**
 * Merge result files into one result document (format 1): counters add, histograms add
 * bucket by bucket (whole run and per interval), intervals align by wall clock (each
 * interval goes to the second, counted from the earliest start, in which it started),
 * and the duration is the wall-clock span from the earliest start to the latest end, so
 * requests/s is that of all requests over the time they took.
 * @param in results (at least one).
 * @param n number of results.
 * @param force merge files whose scenarios differ (the output lists the differences).
 * @param out receives the merged document (cJSON_Delete it).
 * @param err receives what differs or failed.
 * @param errlen size of @p err.
 * @return 0; -EINVAL (no input); -EXDEV (different scenarios without @p force; different
 *   histogram layouts); -ENOMEM.
 */
int fc_results_merge(struct fc_result *const *in, unsigned n, bool force, cJSON **out,
		char *err, size_t errlen);

/** Metrics compared by fc_results_compare(). */
enum fc_cmp_metric {
	FC_CMP_RPS = 0,   /**< requests/s (higher is better) */
	FC_CMP_P50,       /**< median latency */
	FC_CMP_P90,       /**< 90th percentile latency */
	FC_CMP_P99,       /**< 99th percentile latency */
	FC_CMP_P999,      /**< 99.9th percentile latency */
	FC_CMP_ERRORS,    /**< error rate: errors / (completed + errors) (lower is better) */
	FC_CMP_N,         /**< number of metrics */
};

/** Per-metric tolerance, in percent of the baseline. */
struct fc_tolerance {
	double pct[FC_CMP_N];   /**< change allowed before a significant change counts (default 5) */
};

/** Verdicts. */
enum fc_verdict {
	FC_VERDICT_SAME = 0,    /**< within the tolerance, or not significant */
	FC_VERDICT_BETTER,      /**< significant and beyond the tolerance, the good way */
	FC_VERDICT_WORSE,       /**< significant and beyond the tolerance, the bad way */
};

/** One row of a comparison. */
struct fc_cmp_row {
	enum fc_cmp_metric metric; /**< which */
	double base;            /**< baseline value (median over runs when several) */
	double value;           /**< new value (median over runs when several) */
	double change_pct;      /**< (value - base) / base * 100; +-INFINITY when base is 0 */
	double p;               /**< two-sided Mann-Whitney p-value */
	double autocorr;        /**< interval samples: their lag-1 autocorrelation, a warning sign
				  *   when high (the test assumes independent samples); 0 over runs */
	unsigned n_base;        /**< samples on the baseline side */
	unsigned n_new;         /**< samples on the new side */
	bool significant;       /**< p < alpha */
	double tolerance_pct;   /**< the tolerance asked for */
	double noise_pct;       /**< interval samples: the larger side's robust spread of the
				  *   interval values (1.4826 x MAD, % of their median); 0 over runs */
	double threshold_pct;   /**< the change a verdict needs: max(tolerance,
				  *   FC_CMP_NOISE_K x noise_pct) */
	enum fc_verdict verdict; /**< the verdict */
};

/** A whole comparison. */
struct fc_cmp {
	struct fc_cmp_row rows[FC_CMP_N]; /**< one per metric, in enum order */
	bool over_runs;         /**< samples are repeat runs (else per-interval values) */
	double alpha;           /**< significance level used */
	unsigned worse;         /**< rows judged worse */
	unsigned better;        /**< rows judged better */
	char scenario_diff[1024]; /**< fields in which the scenarios differ, "" when none */
};

/** Default significance level over repeat runs (benchstat's). */
#define FC_CMP_ALPHA_RUNS 0.05
/**
 * Default significance level over interval samples: stricter, because the intervals of one
 * run share that run's conditions, which no within-run test can see (docs/results.md;
 * measured false alarms in docs/benchmarks.md section 7).
 */
#define FC_CMP_ALPHA_INTERVALS 0.01
/** Default tolerance, percent. */
#define FC_CMP_TOLERANCE 5.0
/**
 * Interval samples: a change must also pass this many times the runs' own interval spread
 * (a noise band, as criterion.rs keeps one), so a run that wandered by 30% within itself
 * cannot carry a 10% verdict (measured in docs/benchmarks.md section 7).
 */
#define FC_CMP_NOISE_K 2.0

/**
 * Fill @p t with the default tolerance on every metric.
 * @param t tolerance.
 */
void fc_tolerance_default(struct fc_tolerance *t);

/**
 * Apply one tolerance item: "PCT" for every metric or "METRIC=PCT" for one, several
 * separated by commas ("5%,p99=10%"). PCT is a number with an optional '%', in 0..100.
 * Metrics: rps, p50, p90, p99, p99.9 (or p999), errors.
 * @param spec text.
 * @param t tolerance to update.
 * @param err receives "tolerance: \"p99=150%\": 150 is above the limit 100" and the like.
 * @param errlen size of @p err.
 * @return 0 or -EINVAL.
 */
int fc_tolerance_parse(const char *spec, struct fc_tolerance *t, char *err, size_t errlen);

/**
 * Name of a metric as printed and as used in tolerance items.
 * @param m metric.
 * @return static string ("rps", "p50", "p90", "p99", "p99.9", "errors"), "?" out of range.
 */
const char *fc_cmp_metric_name(enum fc_cmp_metric m);

/**
 * Compare baseline runs with new runs. With at least two runs on each side the samples of
 * a metric are the runs' whole-run values; otherwise the per-interval values of every run
 * of each side. A metric is worse when its change passes the threshold the bad way (the
 * tolerance; over intervals at least FC_CMP_NOISE_K times the runs' interval spread) and
 * the two-sided Mann-Whitney U test rejects equal distributions at level @p alpha; better
 * the same way round; same otherwise.
 * @param base baseline results.
 * @param nb how many (>= 1).
 * @param cur new results.
 * @param nn how many (>= 1).
 * @param tol tolerance per metric.
 * @param alpha significance level in (0, 1), or 0 for the default of the samples used
 *   (FC_CMP_ALPHA_RUNS over runs, FC_CMP_ALPHA_INTERVALS over intervals).
 * @param out the comparison.
 * @return 0, -EINVAL, -ENOMEM.
 */
int fc_results_compare(struct fc_result *const *base, unsigned nb, struct fc_result *const *cur,
		unsigned nn, const struct fc_tolerance *tol, double alpha, struct fc_cmp *out);

/**
 * Print the comparison table: metric, baseline, new, change with the p-value and sample
 * counts (benchstat's "~" in place of the change when not significant), verdict; and a
 * warning line when the scenarios differ.
 * @param c comparison.
 * @param f stream.
 * @return 0, -EINVAL, -EIO.
 */
int fc_cmp_print(const struct fc_cmp *c, FILE *f);

/**
 * The comparison for machines: {"test", "alpha", "samples", "scenario_diff", "worse",
 * "better", "metrics": [{"metric", "base", "new", "change_pct", "p_value", "n_base",
 * "n_new", "significant", "tolerance_pct", "verdict"}]}.
 * @param c comparison.
 * @return a new object, or NULL with errno ENOMEM.
 */
cJSON *fc_cmp_to_json(const struct fc_cmp *c);

/**
 * Two-sided Mann-Whitney U test (Wilcoxon rank-sum). Exact distribution of U when there
 * are no ties and both samples have at most 50 values; otherwise the normal approximation
 * with the tie correction of the variance and a continuity correction of 0.5.
 * @param x first sample.
 * @param nx its size.
 * @param y second sample.
 * @param ny its size.
 * @param u receives U of @p x (may be NULL).
 * @return the p-value in [0, 1]; 1 when a sample is empty or every value is tied.
 */
double fc_mann_whitney_p(const double *x, unsigned nx, const double *y, unsigned ny, double *u);

/**
 * Lag-1 autocorrelation of two series, each taken about its own mean and pooled (the
 * serial dependence of a metric's intervals within a run), clamped to [0, 0.9].
 * @param x first series, in time order.
 * @param nx its length.
 * @param y second series, in time order.
 * @param ny its length.
 * @return r in [0, 0.9]; 0 when the series are too short (< 3) or constant.
 */
double fc_lag1_autocorr(const double *x, unsigned nx, const double *y, unsigned ny);

#endif /* FC_RESULTS_H */
