/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The capture side of `flashcrowd replay`: the capture read into a finished plan (with
 * --rate's grid and which requests the capture pipelined), the status diff of what the
 * target answered against what the capture holds, and the replay part of the report
 * (text and JSON). These all read the plan and the extraction counts, which is why they
 * sit here and not in lib/stats: lib/stats knows run counters, not captures.
 * Pure C (no DPDK): the lag figures come in as numbers.
 */
#ifndef FC_REPLAY_REPORT_H
#define FC_REPLAY_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "fc_pcap.h"

#define FC_REPLAY_SKIP_EXAMPLES 5       /**< skipped requests kept as examples */
#define FC_REPLAY_TOP_PATHS 5           /**< paths listed per status change */
#define FC_REPLAY_UNSENT 0xffff         /**< a replayed status: never sent (lib/engine's
					  * FC_REPLAY_NO_RESULT) */

/** A skipped request kept as an example for the report. */
struct fc_replay_skip_example {
	uint64_t conn_id;                       /**< original connection */
	uint32_t seq;                           /**< request on it */
	enum fc_pcap_skip_reason reason;        /**< why */
	const char *detail;                     /**< static text, may be NULL */
};

/** A capture read for replay. */
struct fc_replay_capture {
	struct fc_replay_plan *plan;    /**< the finished plan */
	uint8_t *pipelined;             /**< per plan request: sent before the previous response began */
	struct fc_pcap_stats stats;     /**< extraction counts */
	struct fc_replay_skip_example ex[FC_REPLAY_SKIP_EXAMPLES]; /**< first skipped requests */
	unsigned n_ex;                  /**< entries in @p ex */
	bool truncated;                 /**< the file ended early; what came before is replayed */
	char warning[FC_PCAP_ERRLEN];   /**< why, when truncated */
	/* Extraction state (internal). */
	uint64_t *resp_at;              /**< per original connection: when its previous response began, +1 */
	size_t resp_cap;                /**< entries in @p resp_at */
	uint64_t *piped;                /**< keys (conn_id << 32 | seq) of pipelined requests */
	size_t n_piped;                 /**< entries used in @p piped */
	size_t cap_piped;               /**< entries allocated */
};

/**
 * Read @p path into a plan built with @p o, put it on a fixed grid when @p rate > 0 and
 * flag the requests the capture pipelined.
 * @param c       zeroed capture to fill; fc_replay_capture_free() it whatever the result
 * @param path    capture file
 * @param o       plan options (filters, rewrites, speed, cap on waits)
 * @param rate    requests/s on a fixed grid, 0 for the captured timing
 * @param err     the reason on failure
 * @param errlen  size of @p err
 * @return 0; -EINVAL for a bad input (unreadable file, bad option, no request to replay);
 *         -ENOMEM or another -errno for a runtime failure
 */
int fc_replay_capture_load(struct fc_replay_capture *c, const char *path,
			   const struct fc_replay_opts *o, double rate, char *err, size_t errlen);

/** @param c  capture whose memory is released */
void fc_replay_capture_free(struct fc_replay_capture *c);

/** One status change between the capture and the replay. */
struct fc_replay_change {
	uint16_t from;          /**< captured status (0 = none) */
	uint16_t to;            /**< replayed status (0 = no response) */
	uint64_t count;         /**< requests */
	struct {
		uint32_t req;   /**< a plan request with that path */
		uint64_t count; /**< requests with that path */
	} top[FC_REPLAY_TOP_PATHS]; /**< most frequent paths, largest first */
	unsigned n_top;         /**< entries in @p top */
};

/** The status diff. */
struct fc_replay_diff {
	uint64_t compared;      /**< requests with a captured and a replayed outcome */
	uint64_t same;          /**< of those, the same status */
	uint64_t no_capture;    /**< no response in the capture: nothing to compare */
	uint64_t unsent;        /**< never sent (run stopped, send buffer) */
	struct fc_replay_change *ch; /**< changes, largest first */
	unsigned n_ch;          /**< entries in @p ch */
};

/**
 * Compare the replayed statuses with the captured ones.
 * @param p      plan
 * @param res    status per request and loop (loop-major), FC_REPLAY_NO_RESULT for unsent
 * @param loops  loops in @p res
 * @param d      filled; fc_replay_diff_free() it
 * @return 0 or -ENOMEM
 */
int fc_replay_diff_build(const struct fc_replay_plan *p, const uint16_t *res, uint32_t loops,
			 struct fc_replay_diff *d);

/** @param d  diff whose memory is released */
void fc_replay_diff_free(struct fc_replay_diff *d);

/** Schedule lag figures, ns (from a histogram the caller owns). */
struct fc_replay_lag {
	uint64_t count;         /**< requests measured */
	uint64_t p50;           /**< median */
	uint64_t p99;           /**< 99th percentile */
	uint64_t p999;          /**< 99.9th percentile */
	uint64_t max;           /**< largest */
	double mean;            /**< mean */
};

/** What the replay did, for the report. */
struct fc_replay_result {
	const char *pcap;       /**< capture file */
	uint32_t loops;         /**< loops asked */
	double speed;           /**< time scale */
	double rate;            /**< fixed rate, 0 = captured timing */
	uint64_t max_wait_ns;   /**< cap on waits, 0 = none */
	uint64_t planned;       /**< requests to send: plan x loops */
	uint64_t sent;          /**< requests sent */
	uint64_t unsent;        /**< planned - sent */
	uint64_t reopens;       /**< connections reopened */
	uint64_t too_large;     /**< requests above the send buffer */
	uint64_t held;          /**< requests that waited for the previous response */
	struct fc_replay_lag lag;       /**< every request */
	struct fc_replay_lag lag_free;  /**< those not held */
};

/**
 * Print the replay part of the report.
 * @param c  capture
 * @param r  result
 * @param d  diff
 * @param f  stream
 */
void fc_replay_report_print(const struct fc_replay_capture *c, const struct fc_replay_result *r,
			    const struct fc_replay_diff *d, FILE *f);

/**
 * The "replay" object of the JSON report.
 * @param c  capture
 * @param r  result
 * @param d  diff
 * @return a new object, or NULL without memory
 */
cJSON *fc_replay_report_json(const struct fc_replay_capture *c, const struct fc_replay_result *r,
			     const struct fc_replay_diff *d);

#endif
