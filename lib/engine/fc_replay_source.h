/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replay request source (`flashcrowd replay`): a struct fc_client_source that takes
 * its connections and requests from a lib/pcap replay plan instead of the template mix and
 * the rate plan. Everything else (TCP, HTTP parsing, timeouts, accounting, histograms, the
 * control core) is the client worker of `run`.
 *
 * Each plan connection becomes one new TCP connection, opened a little ahead of its first
 * request (lead_ns). Its requests leave in their original order, each at start_ns +
 * loop * period_ns + send_ns. When the response to the previous request has not arrived
 * yet, the next one is pipelined only when the capture pipelined it; otherwise it waits
 * for that response. A connection the server closes while requests remain is opened
 * again for the rest.
 */
#ifndef FC_REPLAY_SOURCE_H
#define FC_REPLAY_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "fc_engine.h"
#include "fc_pcap.h"

#define FC_REPLAY_NO_RESULT 0xffff      /**< results[]: the request was never sent */

/** Shared, read-only during the run (the results array is written, one writer per entry). */
struct fc_replay_run {
	const struct fc_replay_plan *plan;      /**< finished and assigned plan */
	const uint8_t *pipelined;               /**< per plan request: the capture sent it before the previous response */
	uint64_t start_ns;                      /**< t = 0 on the TSC-ns clock */
	uint64_t period_ns;                     /**< loop period */
	uint32_t loops;                         /**< times the plan is replayed (>= 1) */
	uint64_t lead_ns;                       /**< open a connection this long before its first request */
	uint16_t default_port;                  /**< target port when the plan's connection has none */
	uint32_t slots;                         /**< connection slots per worker */
	uint16_t *results;                      /**< status per (loop, request): 0 = ended as an error, FC_REPLAY_NO_RESULT = never sent */
	uint32_t result_loops;                  /**< loops recorded in @p results (the first ones) */
};

/**
 * Per slot: the requests of its plan connection that the server closed the connection
 * under, to be sent again on the connection that replaces it, in the captured order.
 */
struct fc_replay_again {
	uint32_t end;                           /**< one past the last request to send again
						  * (0: none) */
	uint16_t mask;                          /**< bit tag % FC_PIPE_MAX: send that one again
						  * (clear: it failed, skip it) */
	uint16_t attempts;                      /**< closes that sent requests again */
	uint32_t episode;                       /**< the close being handled (src_reopens + 1) */
	uint64_t first[FC_PIPE_MAX];            /**< by tag % FC_PIPE_MAX: when it was first
						  * written */
};

/** Per-worker state of the replay source (w->src). */
struct fc_replay_worker {
	const uint32_t *conns;                  /**< plan connection indexes of this worker */
	size_t nb_conns;                        /**< entries in @p conns */
	uint64_t total;                         /**< nb_conns * loops */
	uint64_t cursor;                        /**< next connection to open (loop-major) */
	uint32_t *active;                       /**< slots carrying a plan connection */
	uint32_t nb_active;                     /**< entries in @p active */
	uint32_t *free;                         /**< slots free for a new plan connection */
	uint32_t nb_free;                       /**< entries in @p free */
	struct fc_hist *lag;                    /**< schedule lag: actual write minus intended send (ns) */
	struct fc_hist *lag_free;               /**< the same, only requests that did not wait for a response */
	uint64_t held;                          /**< requests that were due but waited for the previous response */
	uint64_t slot_waits;                    /**< passes where a due connection found no free slot */
	uint64_t reopens;                       /**< connections opened again for remaining requests */
	uint64_t too_large;                     /**< requests larger than the send buffer (never sent) */
	struct fc_replay_again *again;          /**< per slot (fc_replay_again) */
};

/** The source ops; rp->source = &fc_replay_source, with .arg set by a copy (see cmd_replay.c). */
extern const struct fc_client_source fc_replay_source_ops;

#endif
