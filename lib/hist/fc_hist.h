/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Per-core latency histogram with HdrHistogram's log-linear layout, and the lock-free
 * double buffer that lets the control core read a worker's histogram while it records.
 *
 * Layout: the same bucket arithmetic as HdrHistogram with lowest discernible value 1,
 * 3 significant digits and highest trackable value 2^42-1 ns (about 73 minutes):
 * 2048 sub-buckets (1024 per half), 32 buckets, 33792 counters of 64 bits (264 KiB).
 * Every value v is counted in a bucket [lowest_equivalent(v), highest_equivalent(v)]
 * whose width is at most v/1024, so a reported percentile is within 1/1024 (0.098%)
 * of a value that was actually recorded. Values are unsigned nanoseconds; a value above
 * FC_HIST_MAX_TRACKABLE is counted in the top bucket and in @c clamped, but min, max,
 * sum and sum of squares always use the exact value.
 *
 * Beside the counters the histogram keeps exact count, min, max, sum and sum of squares,
 * so mean and standard deviation are those of the recorded data (not of bucket
 * midpoints as in HdrHistogram) and agree with the histogram's own data after merges.
 * The sums are 128-bit integers: a single 5 s latency squared (2.5e19 ns^2) already
 * overflows 64 bits, and long double (64-bit mantissa) would round on every addition,
 * making merges order-dependent. 128-bit integer addition is exact and associative.
 *
 * Recording (fc_hist_record, fc_hist_record_n) is inline, has no atomics and no branch:
 * the index is a clz and two shifts, min/max are conditional moves. A histogram is
 * written by one thread only. Sharing with the control core goes through struct
 * fc_hist_pair (see there).
 */
#ifndef FC_HIST_H
#define FC_HIST_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Exact 128-bit unsigned integer used for the sums (GCC/clang extension). */
__extension__ typedef unsigned __int128 fc_hist_u128;

#define FC_HIST_SIG_DIGITS 3                 /**< significant decimal digits kept */
#define FC_HIST_SUB_BUCKET_HALF_MAG 10       /**< log2 of the half sub-bucket count */
#define FC_HIST_SUB_BUCKET_COUNT 2048u       /**< sub-buckets per bucket (HdrHistogram, 3 digits) */
#define FC_HIST_SUB_BUCKET_HALF 1024u        /**< sub-buckets in the upper half of a bucket */
#define FC_HIST_SUB_BUCKET_MASK 2047ull      /**< (sub-bucket count - 1) << unit magnitude 0 */
#define FC_HIST_BUCKET_COUNT 32u             /**< buckets needed to cover FC_HIST_MAX_TRACKABLE */
#define FC_HIST_COUNTS_LEN ((FC_HIST_BUCKET_COUNT + 1) * FC_HIST_SUB_BUCKET_HALF) /**< 33792 */
#define FC_HIST_MAX_TRACKABLE ((1ull << 42) - 1) /**< largest value with its own bucket (ns, ~73 min) */

/** A histogram. Large (about 264 KiB): allocate with fc_hist_create() or provide storage. */
struct fc_hist {
	uint64_t count;          /**< number of recorded values */
	uint64_t min;            /**< exact smallest value, UINT64_MAX when empty */
	uint64_t max;            /**< exact largest value, 0 when empty */
	uint64_t clamped;        /**< values above FC_HIST_MAX_TRACKABLE (counted in the top bucket) */
	fc_hist_u128 sum;        /**< exact sum of recorded values */
	fc_hist_u128 sumsq;      /**< exact sum of squares of recorded values */
	uint32_t alloc;          /**< how the storage was obtained (internal: 0 caller, 1 libc, 2 rte) */
	alignas(64) uint64_t counts[FC_HIST_COUNTS_LEN]; /**< per-bucket counts, HdrHistogram index order */
};

/**
 * Counts-array index of a value (HdrHistogram's counts_index_for with unit magnitude 0).
 * @param v value, at most FC_HIST_MAX_TRACKABLE.
 * @return index in [0, FC_HIST_COUNTS_LEN).
 */
static inline uint32_t
fc_hist_index(uint64_t v)
{
	/* Bucket = position of the highest set bit above the 11-bit sub-bucket range. */
	uint32_t pow2ceil = 64u - (uint32_t)__builtin_clzll(v | FC_HIST_SUB_BUCKET_MASK);
	uint32_t bucket = pow2ceil - (FC_HIST_SUB_BUCKET_HALF_MAG + 1);
	uint32_t sub = (uint32_t)(v >> bucket);
	return ((bucket + 1) << FC_HIST_SUB_BUCKET_HALF_MAG) + sub - FC_HIST_SUB_BUCKET_HALF;
}

/**
 * Record @p n occurrences of @p v. Single writer, no atomics, no branches.
 * @param h histogram written only by the calling thread.
 * @param v value in ns.
 * @param n occurrences; n == 0 is allowed but still updates min/max with @p v.
 */
static inline void
fc_hist_record_n(struct fc_hist *h, uint64_t v, uint64_t n)
{
	uint64_t cv = v < FC_HIST_MAX_TRACKABLE ? v : FC_HIST_MAX_TRACKABLE;

	h->counts[fc_hist_index(cv)] += n;
	h->count += n;
	h->clamped += (uint64_t)(v > FC_HIST_MAX_TRACKABLE) * n;
	h->sum += (fc_hist_u128)v * n;
	h->sumsq += (fc_hist_u128)v * v * n;
	h->min = v < h->min ? v : h->min;
	h->max = v > h->max ? v : h->max;
}

/**
 * Record one value.
 * @param h histogram written only by the calling thread.
 * @param v value in ns.
 */
static inline void
fc_hist_record(struct fc_hist *h, uint64_t v)
{
	fc_hist_record_n(h, v, 1);
}

/**
 * Allocate and initialise an empty histogram.
 * @param socket_id NUMA socket for rte_zmalloc_socket() (needs EAL), or -1 (SOCKET_ID_ANY)
 *   for plain aligned libc memory (usable without EAL, e.g. in tests and on the control core).
 * @return the histogram, or NULL with errno = ENOMEM.
 */
struct fc_hist *fc_hist_create(int socket_id);

/**
 * Free a histogram from fc_hist_create(). Does nothing for NULL or caller storage.
 * @param h histogram or NULL.
 */
void fc_hist_free(struct fc_hist *h);

/**
 * Initialise caller-provided storage (sizeof(struct fc_hist), 64-byte aligned) as empty.
 * @param h storage.
 */
void fc_hist_init(struct fc_hist *h);

/**
 * Empty a histogram (counts, min, max, sums); keeps its allocation.
 * @param h histogram.
 */
void fc_hist_reset(struct fc_hist *h);

/**
 * Record with coordinated-omission correction, as HdrHistogram's
 * recordValueWithExpectedInterval: record @p v, then, if v > expected_interval, also
 * v - k*expected_interval for every k >= 1 while that is >= expected_interval.
 * The synthetic values also enter min/max/sum/sumsq (they are data of this histogram).
 * @param h histogram.
 * @param v value in ns.
 * @param expected_interval expected interval between samples in ns; 0 disables correction.
 * @return number of values recorded (1 + synthetic ones).
 */
uint64_t fc_hist_record_corrected(struct fc_hist *h, uint64_t v, uint64_t expected_interval);

/**
 * Exact merge: dst += src (counts, count, sums, clamped; min/max combined).
 * @param dst destination (not written concurrently).
 * @param src source (not written concurrently).
 * @return 0, or -EINVAL if an argument is NULL.
 */
int fc_hist_merge(struct fc_hist *dst, const struct fc_hist *src);

/** @param h histogram. @return number of recorded values. */
uint64_t fc_hist_count(const struct fc_hist *h);
/** @param h histogram. @return exact minimum, 0 when empty. */
uint64_t fc_hist_min(const struct fc_hist *h);
/** @param h histogram. @return exact maximum, 0 when empty. */
uint64_t fc_hist_max(const struct fc_hist *h);
/** @param h histogram. @return exact mean (sum/count), 0.0 when empty. */
double fc_hist_mean(const struct fc_hist *h);
/** @param h histogram. @return exact population standard deviation, 0.0 when empty. */
double fc_hist_stdev(const struct fc_hist *h);

/**
 * Value at a percentile, HdrHistogram's getValueAtPercentile: the first bucket where the
 * cumulative count reaches ceil(p/100 * count) (at least 1), reported as that bucket's
 * highest equivalent value, clamped to the exact max. p <= 0 returns the exact min.
 * @param h histogram.
 * @param p percentile in [0, 100]; above 100 is treated as 100.
 * @return value in ns, 0 when empty.
 */
uint64_t fc_hist_percentile(const struct fc_hist *h, double p);

/**
 * Several percentiles in one pass over the counters.
 * @param h histogram.
 * @param p percentiles, ascending.
 * @param out values (ns), same definition as fc_hist_percentile().
 * @param n number of percentiles.
 * @return 0, or -EINVAL when p is not ascending or a pointer is NULL.
 */
int fc_hist_percentiles(const struct fc_hist *h, const double *p, uint64_t *out, unsigned n);

/**
 * Number of recorded values whose bucket lies between those of @p lo and @p hi
 * (inclusive), i.e. values in [lowest_equivalent(lo), highest_equivalent(hi)].
 * @param h histogram.
 * @param lo lower value.
 * @param hi upper value.
 * @return count, 0 when lo > hi.
 */
uint64_t fc_hist_count_between(const struct fc_hist *h, uint64_t lo, uint64_t hi);

/** @param v value. @return smallest value counted in the same bucket as @p v. */
uint64_t fc_hist_lowest_equivalent(uint64_t v);
/** @param v value. @return largest value counted in the same bucket as @p v. */
uint64_t fc_hist_highest_equivalent(uint64_t v);

/**
 * Write HdrHistogram's percentile distribution text (.hgrm, "classic" format of
 * hdr_percentiles_print / outputPercentileDistribution), which HdrHistogram's plotter reads:
 * header, one row per percentile tick (value, percentile, cumulative count, 1/(1-p)), and the
 * #[Mean/StdDeviation], #[Max/Total count], #[Buckets/SubBuckets] footer.
 * Differences from HdrHistogram, on purpose: row values are clamped to the exact max, and
 * Mean/StdDeviation/Max are the exact ones.
 * @param h histogram.
 * @param f output stream.
 * @param value_divisor values are divided by this before printing (1000 for us, 1e6 for ms).
 * @param ticks_per_half_distance percentile ticks per halving of the distance to 100% (5 in wrk2).
 * @return 0, -EINVAL on bad arguments, -EIO when writing failed.
 */
int fc_hist_write_hgrm(const struct fc_hist *h, FILE *f, double value_divisor,
		unsigned ticks_per_half_distance);

/**
 * Double-buffered histogram shared by one worker (writer) and the control core (reader).
 *
 * The control core asks for a swap by incrementing @c req_epoch (release). The worker
 * calls fc_hist_pair_poll() once per loop pass: when req_epoch differs from its
 * @c ack_epoch it starts recording into h[req_epoch & 1] and stores ack_epoch = req_epoch
 * (release). When the control core sees ack_epoch == req_epoch (acquire), every record
 * the worker made into the other copy happened before, so it reads, merges and clears
 * that idle copy; the next request is again a release store, so the worker sees the
 * cleared copy before it records into it again. The two epoch words live on separate
 * cache lines so the worker's loop only reads a line the control core rarely writes.
 */
struct fc_hist_pair {
	struct fc_hist *h[2];                  /**< the two histograms */
	alignas(64) uint64_t req_epoch;        /**< written by the control core only */
	alignas(64) uint64_t ack_epoch;        /**< written by the worker only */
	struct fc_hist *active;                /**< worker's current histogram (worker-owned) */
};

/**
 * Allocate both histograms and set epochs to 0 (the worker records into h[0]).
 * @param p pair to initialise.
 * @param socket_id as for fc_hist_create().
 * @return 0, -EINVAL for NULL, -ENOMEM.
 */
int fc_hist_pair_init(struct fc_hist_pair *p, int socket_id);

/**
 * Free both histograms.
 * @param p pair (may have been partly initialised), or NULL.
 */
void fc_hist_pair_fini(struct fc_hist_pair *p);

/**
 * Worker side, once per loop pass: acknowledge a pending swap and return the histogram
 * to record into. Cost when nothing is pending: one load of a shared-clean line.
 * @param p pair.
 * @return the active histogram.
 */
static inline struct fc_hist *
fc_hist_pair_poll(struct fc_hist_pair *p)
{
	/* Acquire pairs with the control core's release of req_epoch: its reset of the copy we
	 * switch to is visible before we record into it. */
	uint64_t req = __atomic_load_n(&p->req_epoch, __ATOMIC_ACQUIRE);
	uint64_t ack = __atomic_load_n(&p->ack_epoch, __ATOMIC_RELAXED); /* we are the only writer */

	if (req != ack) {
		p->active = p->h[req & 1];
		/* Release: our records into the old copy happen-before the control core reads it. */
		__atomic_store_n(&p->ack_epoch, req, __ATOMIC_RELEASE);
	}
	return p->active;
}

/**
 * Control side: ask the worker to swap. Does nothing while a previous request is not yet
 * acknowledged (so a slow worker never gets two swaps in one pass).
 * @param p pair.
 * @return 0 when a new request was made, -EBUSY when one was already pending.
 */
int fc_hist_pair_request(struct fc_hist_pair *p);

/**
 * Control side: if the worker acknowledged the last request, merge the idle copy into
 * @p dst (when not NULL) and clear it.
 * @param p pair.
 * @param dst where to merge, or NULL to discard.
 * @return 0, or -EAGAIN when the worker has not acknowledged yet (nothing is lost: the
 *   data stays in the idle copy and is collected by a later call).
 */
int fc_hist_pair_try_collect(struct fc_hist_pair *p, struct fc_hist *dst);

/**
 * Control side: fc_hist_pair_request(), then wait (spinning, bounded by @p timeout_ns of
 * CLOCK_MONOTONIC) for the acknowledgement, then fc_hist_pair_try_collect().
 * @param p pair.
 * @param dst where to merge, or NULL.
 * @param timeout_ns longest wait.
 * @return 0, -EINVAL for NULL @p p, or -EAGAIN when the worker did not acknowledge in time
 *   (call again later; nothing is lost).
 */
int fc_hist_pair_collect(struct fc_hist_pair *p, struct fc_hist *dst, uint64_t timeout_ns);

/**
 * After the worker has stopped for good (its lcore joined): merge both copies into
 * @p dst and clear them. Not safe while the worker still runs.
 * @param p pair.
 * @param dst where to merge, or NULL.
 * @return 0, or -EINVAL for NULL @p p.
 */
int fc_hist_pair_drain(struct fc_hist_pair *p, struct fc_hist *dst);

/* ------------------------------------------------------------------------------------ */
/* HdrHistogram V2 encoding and the interval log                                         */
/* ------------------------------------------------------------------------------------ */

/*
 * The layout above is exactly HdrHistogram's for lowestDiscernibleValue 1, 3 significant
 * digits and highestTrackableValue 2^42-1: sub_bucket_count 2048, unit magnitude 0,
 * 32 buckets, counts length 33792, the same index arithmetic. A V2 encoding of our
 * counts is therefore HdrHistogram's own encoding of the same data, index for index,
 * and decodes in the reference implementations to the same counts. Only the exact
 * extras (exact min, max, sum, sum of squares, clamped) do not travel in the encoding:
 * a decoded histogram gets min/max/sum from its buckets, as HdrHistogram computes them.
 */
#define FC_HIST_V2_COOKIE_BASE 0x1c849303u            /**< V2 encoding cookie (word size bits 0) */
#define FC_HIST_V2_COMPRESSED_COOKIE_BASE 0x1c849304u /**< V2 compressed cookie (word size bits 0) */
#define FC_HIST_V2_HEADER_LEN 40u                     /**< bytes of the uncompressed V2 header */

/** The layout fields carried by a V2 header (HdrHistogram's names). */
struct fc_hist_layout {
	int64_t lowest_discernible;       /**< lowestDiscernibleValue (ours: 1) */
	int64_t highest_trackable;        /**< highestTrackableValue (ours: 2^42-1) */
	int32_t significant_digits;       /**< numberOfSignificantValueDigits (ours: 3) */
	int32_t normalizing_index_offset; /**< ours: 0 */
	double conversion_ratio;          /**< integerToDoubleValueConversionRatio (ours: 1.0) */
};

/**
 * Our own layout, as a V2 header states it.
 * @param l filled.
 */
void fc_hist_layout_ours(struct fc_hist_layout *l);

/**
 * Does a histogram with layout @p l map index for index onto ours: same unit magnitude
 * (floor(log2(lowest_discernible))) and sub-bucket count (from the significant digits),
 * normalizing offset 0, ratio 1.0. The highest trackable value may differ: counts beyond
 * our length must then be zero (checked when decoding).
 * @param l layout.
 * @param why receives what differs ("significant_digits 2, ours 3"), may be NULL.
 * @param len size of @p why.
 * @return true when it maps exactly.
 */
bool fc_hist_layout_compatible(const struct fc_hist_layout *l, char *why, size_t len);

/**
 * HdrHistogram's V2 encoding (uncompressed): big-endian header (cookie 0x1c849313,
 * payload length, normalizing index offset, significant digits, lowest discernible
 * value, highest trackable value, conversion ratio as IEEE-754 bits) and the counts up
 * to the last non-zero one as ZigZag LEB128, a run of k zero counts as the value -k.
 * @param h histogram.
 * @param out receives a malloc'd buffer (free()).
 * @param len receives its length.
 * @return 0, -EINVAL (NULL argument), -ENOMEM.
 */
int fc_hist_encode_v2(const struct fc_hist *h, uint8_t **out, size_t *len);

/**
 * The compressed V2 encoding: cookie 0x1c849314, the length of the deflated bytes, then
 * the zlib (RFC 1950) deflate of fc_hist_encode_v2()'s output, as HdrHistogram's
 * encodeIntoCompressedByteBuffer writes it.
 * @param h histogram.
 * @param out receives a malloc'd buffer (free()).
 * @param len receives its length.
 * @return 0, -EINVAL, -ENOMEM, -EIO (deflate failed).
 */
int fc_hist_encode_compressed(const struct fc_hist *h, uint8_t **out, size_t *len);

/**
 * The compressed V2 encoding in standard base64 with padding (RFC 4648 §4): the form of
 * HdrHistogram's interval logs and of our result files.
 * @param h histogram.
 * @return a malloc'd NUL-terminated string (free()), or NULL with errno EINVAL, ENOMEM, EIO.
 */
char *fc_hist_encode_base64(const struct fc_hist *h);

/**
 * Decode a compressed V2 histogram (raw bytes) into @p h, replacing what it held.
 * Counts, count and the bucket-derived min/max/sum/sumsq are set (min = lowest value of
 * the first non-empty bucket, max = highest value of the last, sums from bucket
 * midpoints); callers that carry the exact extras set them afterwards.
 * @param buf bytes.
 * @param n their length.
 * @param h histogram to fill.
 * @param layout receives the header's layout (may be NULL).
 * @param err receives the reason of a failure (may be NULL).
 * @param errlen size of @p err.
 * @return 0; -EINVAL (bad cookie, truncated, corrupt deflate stream, counts beyond the
 *   payload or the layout, zero runs past the end); -ENOTSUP (a layout that does not map
 *   onto ours, see fc_hist_layout_compatible()); -ENOMEM.
 */
int fc_hist_decode_compressed(const uint8_t *buf, size_t n, struct fc_hist *h,
		struct fc_hist_layout *layout, char *err, size_t errlen);

/**
 * fc_hist_decode_compressed() of a base64 string.
 * @param b64 NUL-terminated base64 text (whitespace not allowed).
 * @param h histogram to fill.
 * @param layout receives the header's layout (may be NULL).
 * @param err receives the reason of a failure (may be NULL).
 * @param errlen size of @p err.
 * @return as fc_hist_decode_compressed(); -EINVAL also for text that is not base64.
 */
int fc_hist_decode_base64(const char *b64, struct fc_hist *h, struct fc_hist_layout *layout,
		char *err, size_t errlen);

/**
 * Write the header of an HdrHistogram interval log, format version 1.3:
 * "#[Histogram log format version 1.3]", "#[StartTime: S (seconds since epoch), ISO]",
 * "#[BaseTime: S (seconds since epoch)]" (equal to the start time, so interval
 * timestamps are seconds since the start) and the legend line.
 * @param f output stream.
 * @param start_unix_ns start of the run, ns since the Unix epoch (UTC).
 * @return 0, -EINVAL, -EIO.
 */
int fc_hlog_write_header(FILE *f, uint64_t start_unix_ns);

/**
 * Write one interval line: "[Tag=TAG,]START,LENGTH,MAX,BASE64" with START and LENGTH in
 * seconds (3 decimals) and MAX in ms (3 decimals), as HdrHistogram's HistogramLogWriter
 * writes nanosecond histograms by default.
 * @param f output stream.
 * @param tag tag, or NULL/"" for an untagged line; must not contain ',' or whitespace.
 * @param start_s interval start, seconds since the BaseTime.
 * @param len_s interval length in seconds.
 * @param max_ns largest value of the interval (ns).
 * @param b64 fc_hist_encode_base64() of the interval's histogram.
 * @return 0, -EINVAL, -EIO.
 */
int fc_hlog_write_interval(FILE *f, const char *tag, double start_s, double len_s,
		uint64_t max_ns, const char *b64);

#endif /* FC_HIST_H */
