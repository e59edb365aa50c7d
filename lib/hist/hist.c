/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Histogram storage, queries and .hgrm output. The bucket arithmetic is HdrHistogram's
 * with unit magnitude 0 and 3 significant digits; see fc_hist.h for the layout.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "fc_hist.h"

enum { HIST_ALLOC_CALLER = 0, HIST_ALLOC_LIBC = 1, HIST_ALLOC_RTE = 2 };

struct fc_hist *
fc_hist_create(int socket_id)
{
	struct fc_hist *h;
	uint32_t how;

	if (socket_id < 0) {
		h = aligned_alloc(64, sizeof(*h)); /* sizeof is a multiple of 64 (aligned member) */
		how = HIST_ALLOC_LIBC;
	} else {
		h = rte_zmalloc_socket("fc_hist", sizeof(*h), 64, socket_id);
		how = HIST_ALLOC_RTE;
	}
	if (h == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	fc_hist_init(h);
	h->alloc = how;
	return h;
}

void
fc_hist_free(struct fc_hist *h)
{
	if (h == NULL)
		return;
	if (h->alloc == HIST_ALLOC_LIBC)
		free(h);
	else if (h->alloc == HIST_ALLOC_RTE)
		rte_free(h);
}

void
fc_hist_init(struct fc_hist *h)
{
	h->alloc = HIST_ALLOC_CALLER;
	fc_hist_reset(h);
}

void
fc_hist_reset(struct fc_hist *h)
{
	h->count = 0;
	h->min = UINT64_MAX;
	h->max = 0;
	h->clamped = 0;
	h->sum = 0;
	h->sumsq = 0;
	memset(h->counts, 0, sizeof(h->counts));
}

uint64_t
fc_hist_record_corrected(struct fc_hist *h, uint64_t v, uint64_t expected_interval)
{
	uint64_t n = 1;

	fc_hist_record(h, v);
	if (expected_interval == 0 || v <= expected_interval)
		return n;
	/* The samples a stalled closed-loop client would have taken, one per interval. */
	for (uint64_t m = v - expected_interval; m >= expected_interval; m -= expected_interval) {
		fc_hist_record(h, m);
		n++;
	}
	return n;
}

int
fc_hist_merge(struct fc_hist *dst, const struct fc_hist *src)
{
	if (dst == NULL || src == NULL)
		return -EINVAL;
	if (src->count == 0)
		return 0;
	for (uint32_t i = 0; i < FC_HIST_COUNTS_LEN; i++)
		dst->counts[i] += src->counts[i];
	dst->count += src->count;
	dst->clamped += src->clamped;
	dst->sum += src->sum;
	dst->sumsq += src->sumsq;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	return 0;
}

uint64_t
fc_hist_count(const struct fc_hist *h)
{
	return h->count;
}

uint64_t
fc_hist_min(const struct fc_hist *h)
{
	return h->count ? h->min : 0;
}

uint64_t
fc_hist_max(const struct fc_hist *h)
{
	return h->count ? h->max : 0;
}

double
fc_hist_mean(const struct fc_hist *h)
{
	if (h->count == 0)
		return 0.0;
	return (double)((long double)h->sum / (long double)h->count);
}

double
fc_hist_stdev(const struct fc_hist *h)
{
	fc_hist_u128 n = h->count, q, r, m2i;
	long double var;

	if (h->count == 0)
		return 0.0;
	/*
	 * Population variance = (sumsq - sum^2/n) / n. Computed without cancellation:
	 * with sum = q*n + r, sum^2/n = q*q*n + 2*q*r + r*r/n, all integer except r*r/n < n.
	 * Each integer term is <= sumsq (Cauchy-Schwarz), so nothing overflows or goes negative.
	 */
	q = h->sum / n;
	r = h->sum % n;
	m2i = h->sumsq - q * q * n - 2 * q * r;
	var = ((long double)m2i - (long double)r * (long double)r / (long double)n) / (long double)n;
	if (var < 0)
		var = 0;
	return (double)sqrtl(var);
}

/* Smallest value of the bucket at a counts index (HdrHistogram's value_at_index). */
static uint64_t
value_at_index(uint32_t idx)
{
	int32_t bucket = (int32_t)(idx >> FC_HIST_SUB_BUCKET_HALF_MAG) - 1;
	uint64_t sub = (idx & (FC_HIST_SUB_BUCKET_HALF - 1)) + FC_HIST_SUB_BUCKET_HALF;

	if (bucket < 0) {
		sub -= FC_HIST_SUB_BUCKET_HALF;
		bucket = 0;
	}
	return sub << bucket;
}

/* Width of the bucket at a counts index: 1 in the first two half-buckets, then doubling. */
static uint64_t
range_at_index(uint32_t idx)
{
	int32_t bucket = (int32_t)(idx >> FC_HIST_SUB_BUCKET_HALF_MAG) - 1;

	return UINT64_C(1) << (bucket < 0 ? 0 : bucket);
}

static uint64_t
highest_at_index(uint32_t idx)
{
	return value_at_index(idx) + range_at_index(idx) - 1;
}

uint64_t
fc_hist_lowest_equivalent(uint64_t v)
{
	if (v > FC_HIST_MAX_TRACKABLE)
		v = FC_HIST_MAX_TRACKABLE;
	return value_at_index(fc_hist_index(v));
}

uint64_t
fc_hist_highest_equivalent(uint64_t v)
{
	if (v > FC_HIST_MAX_TRACKABLE)
		v = FC_HIST_MAX_TRACKABLE;
	return highest_at_index(fc_hist_index(v));
}

uint64_t
fc_hist_count_between(const struct fc_hist *h, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0;

	if (lo > hi)
		return 0;
	if (hi > FC_HIST_MAX_TRACKABLE)
		hi = FC_HIST_MAX_TRACKABLE;
	if (lo > FC_HIST_MAX_TRACKABLE)
		lo = FC_HIST_MAX_TRACKABLE;
	for (uint32_t i = fc_hist_index(lo), e = fc_hist_index(hi); i <= e; i++)
		n += h->counts[i];
	return n;
}

/*
 * ceil(p/100 * n), at least 1. p/100*n is computed in binary floating point, so 99.9% of
 * 1000 comes out as 999.0000000000001; a result within a relative 1e-9 of an integer is
 * taken as that integer so the rank is the one exact decimal arithmetic gives.
 */
static uint64_t
rank_at(double p, uint64_t n)
{
	double f = p / 100.0 * (double)n;
	double nearest = nearbyint(f);
	uint64_t rank;

	if (fabs(f - nearest) <= 1e-9 * (f > 1.0 ? f : 1.0))
		rank = (uint64_t)nearest;
	else
		rank = (uint64_t)ceil(f);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return rank;
}

/* Reported value of a bucket: its highest equivalent value, but never above the exact max
 * (and the exact max for the top bucket when it holds values beyond the trackable range). */
static uint64_t
bucket_value(const struct fc_hist *h, uint32_t idx)
{
	uint64_t v = highest_at_index(idx);

	if (idx == FC_HIST_COUNTS_LEN - 1 && h->clamped != 0)
		return h->max;
	return v < h->max ? v : h->max;
}

uint64_t
fc_hist_percentile(const struct fc_hist *h, double p)
{
	uint64_t rank, cum = 0;

	if (h->count == 0)
		return 0;
	if (!(p > 0.0))
		return h->min;
	if (p > 100.0)
		p = 100.0;
	rank = rank_at(p, h->count);
	for (uint32_t i = 0; i < FC_HIST_COUNTS_LEN; i++) {
		cum += h->counts[i];
		if (cum >= rank)
			return bucket_value(h, i);
	}
	return h->max; /* unreachable while counts sum to count */
}

int
fc_hist_percentiles(const struct fc_hist *h, const double *p, uint64_t *out, unsigned n)
{
	uint64_t cum = 0;
	unsigned k = 0;

	if (h == NULL || (n > 0 && (p == NULL || out == NULL)))
		return -EINVAL;
	for (unsigned j = 1; j < n; j++)
		if (p[j] < p[j - 1])
			return -EINVAL;
	if (h->count == 0) {
		for (unsigned j = 0; j < n; j++)
			out[j] = 0;
		return 0;
	}
	for (; k < n && !(p[k] > 0.0); k++)
		out[k] = h->min;
	for (uint32_t i = 0; i < FC_HIST_COUNTS_LEN && k < n; i++) {
		if (h->counts[i] == 0)
			continue;
		cum += h->counts[i];
		while (k < n && cum >= rank_at(p[k] > 100.0 ? 100.0 : p[k], h->count))
			out[k++] = bucket_value(h, i);
	}
	for (; k < n; k++)
		out[k] = h->max;
	return 0;
}

/*
 * The percentile iteration of HdrHistogram's percentile distribution output: the level
 * iterated to starts at 0 and, after each row, advances by 100 / (ticks * 2^(k+1)) where
 * 2^k is the largest power of two <= 100/(100 - level), so rows get denser by halving
 * distances towards 100%. A row is printed at a bucket when its cumulative percentile
 * reaches the level; a last row at 100% closes the table.
 */
int
fc_hist_write_hgrm(const struct fc_hist *h, FILE *f, double value_divisor,
		unsigned ticks_per_half_distance)
{
	const uint64_t total = h ? h->count : 0;
	double level = 0.0;
	uint64_t cum;
	uint32_t idx = 0;
	int rc = 0;

	if (h == NULL || f == NULL || !(value_divisor > 0.0) || ticks_per_half_distance == 0)
		return -EINVAL;

	if (fprintf(f, "%12s %12s %12s %12s\n\n",
			"Value", "Percentile", "TotalCount", "1/(1-Percentile)") < 0)
		return -EIO;

	if (total == 0) {
		if (fprintf(f, "%12.3f %12f %12" PRIu64 " %12.2f\n", 0.0, 1.0, UINT64_C(0),
				(double)INFINITY) < 0)
			rc = -EIO;
		goto footer;
	}

	cum = h->counts[0];
	while (cum < total) {
		/* Walk buckets until one reaches the current level; emit exactly one row. */
		for (;;) {
			double cur = (100.0 * (double)cum) / (double)total;

			if (h->counts[idx] != 0 && level <= cur) {
				double pct = level / 100.0;
				double v = (double)bucket_value(h, idx) / value_divisor;
				int64_t temp;
				double half_distance;

				if (fprintf(f, "%12.3f %12f %12" PRIu64 " %12.2f\n", v, pct, cum,
						1.0 / (1.0 - pct)) < 0)
					return -EIO;
				temp = (int64_t)(log(100.0 / (100.0 - level)) / log(2.0)) + 1;
				half_distance = pow(2.0, (double)temp);
				level += 100.0 / ((double)ticks_per_half_distance * half_distance);
				break;
			}
			if (cum >= total || idx + 1 >= FC_HIST_COUNTS_LEN)
				break;
			idx++;
			cum += h->counts[idx];
		}
		if (idx + 1 >= FC_HIST_COUNTS_LEN && cum < total)
			break; /* corrupt counts (sum < count): stop rather than loop */
	}
	if (fprintf(f, "%12.3f %12f %12" PRIu64 " %12.2f\n",
			(double)bucket_value(h, idx) / value_divisor, 1.0, cum,
			(double)INFINITY) < 0)
		return -EIO;

footer:
	if (fprintf(f, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n",
			fc_hist_mean(h) / value_divisor, fc_hist_stdev(h) / value_divisor) < 0 ||
	    fprintf(f, "#[Max     = %12.3f, Total count    = %12" PRIu64 "]\n",
			(double)fc_hist_max(h) / value_divisor, total) < 0 ||
	    fprintf(f, "#[Buckets = %12u, SubBuckets     = %12u]\n",
			FC_HIST_BUCKET_COUNT, FC_HIST_SUB_BUCKET_COUNT) < 0)
		rc = -EIO;
	return rc;
}
