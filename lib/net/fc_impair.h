/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Link impairment at the appliance's own port, netem-style: loss, duplication, delay with
 * jitter, and reordering, applied to a burst of frames on their way in (after rx_burst) or
 * out (before tx_burst). It exists because faults must be injectable wherever the
 * appliance runs: the test VM's kernel has no netem, and a lab NIC has none either.
 *
 * Deterministic for a seed; no clock and no I/O (`now` is a parameter, in ns). Delayed
 * frames wait in a bounded min-heap ordered by release time; when it is full the frame is
 * dropped and counted, like netem's `limit`.
 */
#ifndef FC_IMPAIR_H
#define FC_IMPAIR_H

#include <stdint.h>

#include <rte_mbuf.h>

/** What to do to frames. Probabilities in parts per million. */
struct fc_impair_conf {
	uint32_t loss_ppm;      /**< drop this fraction */
	uint32_t dup_ppm;       /**< send a second copy of this fraction */
	uint32_t reorder_ppm;   /**< with a delay: send this fraction at once, ahead of delayed ones */
	uint64_t delay_ns;      /**< hold every other frame this long */
	uint64_t jitter_ns;     /**< +/- uniform jitter on the delay */
	uint64_t seed;          /**< PRNG seed */
	uint32_t limit;         /**< frames held at most (0 = 8192) */
};

/** Counters (single writer: the owning lcore). */
struct fc_impair_stats {
	uint64_t frames;        /**< frames offered */
	uint64_t dropped;       /**< lost on purpose */
	uint64_t duplicated;    /**< extra copies made */
	uint64_t delayed;       /**< held in the delay line */
	uint64_t reordered;     /**< sent ahead of delayed frames */
	uint64_t overflow;      /**< dropped because the delay line was full */
};

struct fc_impair;

/**
 * Parse a netem-style specification, e.g. "loss 2%", "delay 10ms 5ms",
 * "delay 2ms reorder 25%", "duplicate 5%", or several together.
 *
 * @param spec   text
 * @param conf   filled (seed and limit untouched)
 * @param err    one line naming the bad word and why, may be NULL
 * @param errlen size of err
 * @return 0, or -EINVAL
 */
int fc_impair_parse(const char *spec, struct fc_impair_conf *conf, char *err, size_t errlen);

/**
 * Create an impairment stage. The pool is used for duplicate copies.
 * @return the stage, or NULL with errno EINVAL or ENOMEM
 */
struct fc_impair *fc_impair_create(const struct fc_impair_conf *conf, struct rte_mempool *pool,
				   int socket);

/** Free a stage and every frame it holds. NULL is fine. */
void fc_impair_free(struct fc_impair *im);

/**
 * Pass a burst through: drops, copies, delays. Frames not held come out in @p out with
 * frames whose delay expired by @p now.
 *
 * @param im    stage
 * @param in    frames offered (ownership passes to the stage)
 * @param n     how many
 * @param now   current time, ns
 * @param out   frames to pass on now
 * @param max   room in out; what does not fit stays held until the next call
 * @return frames written to out
 */
uint16_t fc_impair_apply(struct fc_impair *im, struct rte_mbuf **in, uint16_t n, uint64_t now,
			 struct rte_mbuf **out, uint16_t max);

/** Frames currently held. */
uint32_t fc_impair_held(const struct fc_impair *im);

/** Counters of the stage. */
const struct fc_impair_stats *fc_impair_stats(const struct fc_impair *im);

#endif /* FC_IMPAIR_H */
