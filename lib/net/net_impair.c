/* SPDX-License-Identifier: BSD-3-Clause */
/* Link impairment (loss, duplication, delay, jitter, reordering) at the port. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "fc_impair.h"

#define DEFAULT_LIMIT 8192

struct held {
	uint64_t release;
	uint64_t seq;           /* ties keep arrival order */
	struct rte_mbuf *m;
};

struct fc_impair {
	struct fc_impair_conf conf;
	struct fc_impair_stats stats;
	struct rte_mempool *pool;
	uint64_t rng;
	uint64_t seq;
	uint32_t n;             /* heap size */
	struct held heap[];     /* min-heap on (release, seq) */
};

static uint64_t
rnd(struct fc_impair *im)
{
	uint64_t z = (im->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool
chance(struct fc_impair *im, uint32_t ppm)
{
	return ppm && rnd(im) % 1000000u < ppm;
}

static bool
before(const struct held *a, const struct held *b)
{
	return a->release < b->release || (a->release == b->release && a->seq < b->seq);
}

static void
heap_push(struct fc_impair *im, struct rte_mbuf *m, uint64_t release)
{
	uint32_t i = im->n++;

	im->heap[i] = (struct held){release, im->seq++, m};
	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (!before(&im->heap[i], &im->heap[p]))
			break;
		struct held t = im->heap[i];
		im->heap[i] = im->heap[p];
		im->heap[p] = t;
		i = p;
	}
}

static struct rte_mbuf *
heap_pop(struct fc_impair *im)
{
	struct rte_mbuf *m = im->heap[0].m;
	uint32_t i = 0;

	im->heap[0] = im->heap[--im->n];
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, s = i;

		if (l < im->n && before(&im->heap[l], &im->heap[s]))
			s = l;
		if (r < im->n && before(&im->heap[r], &im->heap[s]))
			s = r;
		if (s == i)
			break;
		struct held t = im->heap[i];
		im->heap[i] = im->heap[s];
		im->heap[s] = t;
		i = s;
	}
	return m;
}

/* "2%", "0.5%", or a plain fraction "0.02" -> ppm. */
static int
parse_pct(const char *s, uint32_t *ppm)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -EINVAL;
	if (*end == '%') {
		v /= 100.0;
		end++;
	}
	if (*end != '\0' || v > 1.0)
		return -EINVAL;
	*ppm = (uint32_t)(v * 1e6 + 0.5);
	return 0;
}

static int
parse_time(const char *s, uint64_t *ns)
{
	char *end;
	double v = strtod(s, &end);
	double mul;

	if (end == s || v < 0)
		return -EINVAL;
	if (strcmp(end, "us") == 0)
		mul = 1e3;
	else if (strcmp(end, "ms") == 0)
		mul = 1e6;
	else if (strcmp(end, "s") == 0)
		mul = 1e9;
	else
		return -EINVAL;
	if (v * mul > 60e9)
		return -EINVAL;
	*ns = (uint64_t)(v * mul + 0.5);
	return 0;
}

int
fc_impair_parse(const char *spec, struct fc_impair_conf *conf, char *err, size_t errlen)
{
	char buf[256], *words[32], *save = NULL;
	unsigned n = 0;

	if (spec == NULL || strlen(spec) >= sizeof(buf)) {
		if (err)
			snprintf(err, errlen, "impairment: specification missing or too long");
		return -EINVAL;
	}
	strcpy(buf, spec);
	for (char *w = strtok_r(buf, " \t", &save); w && n < 32; w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	conf->loss_ppm = conf->dup_ppm = conf->reorder_ppm = 0;
	conf->delay_ns = conf->jitter_ns = 0;
	for (unsigned i = 0; i < n; i++) {
		const char *w = words[i];
		int rc = -EINVAL;

		if (i + 1 >= n) {
			if (err)
				snprintf(err, errlen, "impairment '%s': '%s' needs a value", spec, w);
			return -EINVAL;
		}
		if (strcmp(w, "loss") == 0) {
			rc = parse_pct(words[++i], &conf->loss_ppm);
		} else if (strcmp(w, "duplicate") == 0) {
			rc = parse_pct(words[++i], &conf->dup_ppm);
		} else if (strcmp(w, "reorder") == 0) {
			rc = parse_pct(words[++i], &conf->reorder_ppm);
		} else if (strcmp(w, "delay") == 0) {
			rc = parse_time(words[++i], &conf->delay_ns);
			/* An optional second time is the jitter, as in netem. */
			if (rc == 0 && i + 1 < n && parse_time(words[i + 1], &conf->jitter_ns) == 0)
				i++;
		} else {
			if (err)
				snprintf(err, errlen, "impairment '%s': unknown word '%s' (loss, delay, "
					 "duplicate, reorder)", spec, w);
			return -EINVAL;
		}
		if (rc != 0) {
			if (err)
				snprintf(err, errlen, "impairment '%s': bad value '%s' for %s", spec,
					 words[i], w);
			return -EINVAL;
		}
	}
	if (conf->reorder_ppm && conf->delay_ns == 0) {
		if (err)
			snprintf(err, errlen, "impairment '%s': reorder needs a delay (the frames "
				 "it sends ahead overtake delayed ones), e.g. 'delay 2ms reorder 25%%'", spec);
		return -EINVAL;
	}
	if (conf->jitter_ns > conf->delay_ns) {
		if (err)
			snprintf(err, errlen, "impairment '%s': jitter is larger than the delay", spec);
		return -EINVAL;
	}
	return 0;
}

struct fc_impair *
fc_impair_create(const struct fc_impair_conf *conf, struct rte_mempool *pool, int socket)
{
	uint32_t limit = conf->limit ? conf->limit : DEFAULT_LIMIT;
	struct fc_impair *im;

	if (conf->loss_ppm > 1000000 || conf->dup_ppm > 1000000 || conf->reorder_ppm > 1000000 ||
	    pool == NULL) {
		errno = EINVAL;
		return NULL;
	}
	im = rte_zmalloc_socket("fc_impair", sizeof(*im) + sizeof(struct held) * limit, 64, socket);
	if (im == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	im->conf = *conf;
	im->conf.limit = limit;
	im->pool = pool;
	im->rng = conf->seed ? conf->seed : 0x1234abcdull;
	return im;
}

void
fc_impair_free(struct fc_impair *im)
{
	if (im == NULL)
		return;
	while (im->n)
		rte_pktmbuf_free(heap_pop(im));
	rte_free(im);
}

/* Delay one frame, or pass it through when it goes ahead (no delay, or reordered). */
static void
admit(struct fc_impair *im, struct rte_mbuf *m, uint64_t now, struct rte_mbuf **out,
      uint16_t *k, uint16_t max)
{
	uint64_t release = now;

	if (im->conf.delay_ns) {
		if (chance(im, im->conf.reorder_ppm)) {
			im->stats.reordered++;
		} else {
			release = now + im->conf.delay_ns;
			if (im->conf.jitter_ns)
				release = release - im->conf.jitter_ns +
					  rnd(im) % (2 * im->conf.jitter_ns + 1);
			im->stats.delayed++;
		}
	}
	if (release <= now && im->n == 0 && *k < max) {
		out[(*k)++] = m;
		return;
	}
	if (im->n == im->conf.limit) {
		im->stats.overflow++;
		rte_pktmbuf_free(m);
		return;
	}
	heap_push(im, m, release);
}

uint16_t
fc_impair_apply(struct fc_impair *im, struct rte_mbuf **in, uint16_t n, uint64_t now,
		struct rte_mbuf **out, uint16_t max)
{
	uint16_t k = 0;

	/* Frames already due leave first: they were offered earlier. */
	while (im->n && im->heap[0].release <= now && k < max)
		out[k++] = heap_pop(im);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = in[i];

		im->stats.frames++;
		if (chance(im, im->conf.loss_ppm)) {
			im->stats.dropped++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (chance(im, im->conf.dup_ppm)) {
			/* A deep copy: the two may take different paths and owners. */
			struct rte_mbuf *d = rte_pktmbuf_copy(m, im->pool, 0, UINT32_MAX);

			if (d != NULL) {
				im->stats.duplicated++;
				admit(im, d, now, out, &k, max);
			}
		}
		admit(im, m, now, out, &k, max);
	}
	while (im->n && im->heap[0].release <= now && k < max)
		out[k++] = heap_pop(im);
	return k;
}

uint32_t
fc_impair_held(const struct fc_impair *im)
{
	return im->n;
}

const struct fc_impair_stats *
fc_impair_stats(const struct fc_impair *im)
{
	return &im->stats;
}
