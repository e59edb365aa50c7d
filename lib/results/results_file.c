/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading a result file: every field merge and compare rely on is checked here, once, and a
 * failure names the file, the field and the value, so the commands never meet a half-valid
 * document.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fc_results.h"
#include "fc_stats.h"
#include "results_private.h"

void
fc_res_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

const cJSON *
fc_res_get(const cJSON *root, const char *path)
{
	char key[64];
	const char *p = path;
	const cJSON *o = root;

	while (o != NULL && *p) {
		size_t n = strcspn(p, ".");

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		o = cJSON_GetObjectItemCaseSensitive(o, key);
		p += n + (p[n] == '.');
	}
	return o;
}

/* A non-negative whole number below 2^53 (what a double holds exactly). */
static int
get_count(const cJSON *root, const char *path, uint64_t *out, const char *name, char *err,
	  size_t len)
{
	const cJSON *v = fc_res_get(root, path);

	if (v == NULL) {
		fc_res_err(err, len, "%s: %s: missing", name, path);
		return -EINVAL;
	}
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 9007199254740992.0 ||
	    v->valuedouble != floor(v->valuedouble)) {
		char *t = cJSON_PrintUnformatted(v);

		fc_res_err(err, len, "%s: %s: %.40s is not a count (a whole number >= 0)", name, path,
			   t ? t : "?");
		cJSON_free(t);
		return -EINVAL;
	}
	*out = (uint64_t)v->valuedouble;
	return 0;
}

static int
get_double(const cJSON *root, const char *path, double *out, const char *name, char *err,
	   size_t len)
{
	const cJSON *v = fc_res_get(root, path);

	if (v == NULL) {
		fc_res_err(err, len, "%s: %s: missing", name, path);
		return -EINVAL;
	}
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0) {
		char *t = cJSON_PrintUnformatted(v);

		fc_res_err(err, len, "%s: %s: %.40s is not a number >= 0", name, path, t ? t : "?");
		cJSON_free(t);
		return -EINVAL;
	}
	*out = v->valuedouble;
	return 0;
}

static int
parse_u128(const char *s, fc_hist_u128 *out)
{
	fc_hist_u128 v = 0, lim = ~(fc_hist_u128)0 / 10;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > lim)
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*out = v;
	return 0;
}

/*
 * Decode one whole-run histogram object {v2, count, min_ns, max_ns, sum_ns, sumsq_ns2,
 * clamped} and put the exact extras back, which the V2 encoding does not carry.
 */
static int
load_hist(const cJSON *o, const char *field, const char *name, struct fc_hist **out, char *err,
	  size_t len)
{
	const cJSON *v2 = cJSON_GetObjectItemCaseSensitive(o, "v2");
	const cJSON *sum = cJSON_GetObjectItemCaseSensitive(o, "sum_ns");
	const cJSON *sumsq = cJSON_GetObjectItemCaseSensitive(o, "sumsq_ns2");
	uint64_t count, min, max, clamped;
	char why[256], where[300];
	struct fc_hist *h;
	int rc;

	if (!cJSON_IsObject(o)) {
		fc_res_err(err, len, "%s: histograms.%s: not an object", name, field);
		return -EINVAL;
	}
	if (!cJSON_IsString(v2)) {
		fc_res_err(err, len, "%s: histograms.%s.v2: missing or not a string", name, field);
		return -EINVAL;
	}
	snprintf(where, sizeof(where), "%s: histograms.%s", name, field);
	if ((rc = get_count(o, "count", &count, where, err, len)) != 0 ||
	    (rc = get_count(o, "min_ns", &min, where, err, len)) != 0 ||
	    (rc = get_count(o, "max_ns", &max, where, err, len)) != 0 ||
	    (rc = get_count(o, "clamped", &clamped, where, err, len)) != 0)
		return rc;
	h = fc_hist_create(-1);
	if (h == NULL)
		return -ENOMEM;
	rc = fc_hist_decode_base64(v2->valuestring, h, NULL, why, sizeof(why));
	if (rc != 0) {
		fc_res_err(err, len, "%s: histograms.%s.v2: %s", name, field,
			   rc == -ENOMEM ? "out of memory" : why);
		fc_hist_free(h);
		return rc;
	}
	if (h->count != count) {
		fc_res_err(err, len, "%s: histograms.%s: the histogram holds %" PRIu64 " values, "
			   "count says %" PRIu64, name, field, h->count, count);
		fc_hist_free(h);
		return -EINVAL;
	}
	if (!cJSON_IsString(sum) || parse_u128(sum->valuestring, &h->sum) != 0 ||
	    !cJSON_IsString(sumsq) || parse_u128(sumsq->valuestring, &h->sumsq) != 0) {
		fc_res_err(err, len, "%s: histograms.%s: sum_ns and sumsq_ns2 must be decimal strings",
			   name, field);
		fc_hist_free(h);
		return -EINVAL;
	}
	if (count != 0 && (min > max || fc_hist_lowest_equivalent(min) != h->min ||
			   (clamped == 0 && fc_hist_highest_equivalent(max) != h->max))) {
		fc_res_err(err, len, "%s: histograms.%s: min_ns %" PRIu64 " / max_ns %" PRIu64
			   " do not fall in the histogram's first and last buckets", name, field, min, max);
		fc_hist_free(h);
		return -EINVAL;
	}
	if (count != 0) {
		h->min = min;
		h->max = max;
	}
	h->clamped = clamped;
	*out = h;
	return 0;
}

/* Check an interval's encoded histogram decodes with our layout. */
static int
check_iv_hist(const char *b64, struct fc_hist *scratch, const char *name, unsigned i,
	      const char *field, uint64_t *count, char *err, size_t len)
{
	char why[256];
	int rc = fc_hist_decode_base64(b64, scratch, NULL, why, sizeof(why));

	if (rc != 0) {
		fc_res_err(err, len, "%s: intervals[%u].%s: %s", name, i, field,
			   rc == -ENOMEM ? "out of memory" : why);
		return rc;
	}
	*count = scratch->count;
	return 0;
}

static int
load_intervals(struct fc_result *r, char *err, size_t len)
{
	static const char *const pk[4] = { "p50_us", "p90_us", "p99_us", "p99_9_us" };
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(r->root, "intervals"), *it;
	struct fc_hist *scratch;
	unsigned i = 0;
	int rc = 0;

	if (!cJSON_IsArray(arr)) {
		fc_res_err(err, len, "%s: intervals: missing or not an array", r->path);
		return -EINVAL;
	}
	r->n_iv = (unsigned)cJSON_GetArraySize(arr);
	r->iv = calloc(r->n_iv ? r->n_iv : 1, sizeof(*r->iv));
	scratch = fc_hist_create(-1);
	if (r->iv == NULL || scratch == NULL) {
		fc_hist_free(scratch);
		return -ENOMEM;
	}
	cJSON_ArrayForEach(it, arr) {
		struct fc_result_interval *iv = &r->iv[i];
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(it, "hist");
		const cJSON *hu = cJSON_GetObjectItemCaseSensitive(it, "hist_uncorrected");
		char where[300];
		uint64_t n;

		snprintf(where, sizeof(where), "%s: intervals[%u]", r->path, i);
		if (!cJSON_IsObject(it)) {
			fc_res_err(err, len, "%s: not an object", where);
			rc = -EINVAL;
			break;
		}
		if ((rc = get_double(it, "start_s", &iv->start_s, where, err, len)) != 0 ||
		    (rc = get_double(it, "t", &iv->end_s, where, err, len)) != 0 ||
		    (rc = get_double(it, "rps", &iv->rps, where, err, len)) != 0 ||
		    (rc = get_count(it, "completed", &iv->completed, where, err, len)) != 0 ||
		    (rc = get_count(it, "errors", &iv->errors, where, err, len)) != 0 ||
		    (rc = get_count(it, "connections", &iv->connections, where, err, len)) != 0)
			break;
		for (int k = 0; k < 4 && rc == 0; k++)
			rc = get_double(it, pk[k], &iv->p_us[k], where, err, len);
		if (rc != 0)
			break;
		if (!cJSON_IsString(h)) {
			fc_res_err(err, len, "%s.hist: missing or not a string", where);
			rc = -EINVAL;
			break;
		}
		iv->hist = h->valuestring;
		if ((rc = check_iv_hist(iv->hist, scratch, r->path, i, "hist", &n, err, len)) != 0)
			break;
		if (hu != NULL) {
			if (!cJSON_IsString(hu)) {
				fc_res_err(err, len, "%s.hist_uncorrected: not a string", where);
				rc = -EINVAL;
				break;
			}
			iv->hist_uncorrected = hu->valuestring;
			rc = check_iv_hist(iv->hist_uncorrected, scratch, r->path, i,
					   "hist_uncorrected", &n, err, len);
			if (rc != 0)
				break;
		}
		i++;
	}
	fc_hist_free(scratch);
	return rc;
}

int
fc_result_parse(const char *text, const char *name, struct fc_result **out, char *err,
		size_t errlen)
{
	struct fc_result *r;
	const cJSON *v, *hs;
	const char *end = NULL;
	int rc;

	if (text == NULL || name == NULL || out == NULL)
		return -EINVAL;
	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	snprintf(r->path, sizeof(r->path), "%s", name);
	r->root = cJSON_ParseWithOpts(text, &end, 1);
	if (r->root == NULL) {
		size_t at = end ? (size_t)(end - text) : 0, total = strlen(text), last = total;

		/* A result file ends with its closing brace: anything else was cut short. */
		while (last > 0 && strchr(" \t\r\n", text[last - 1]) != NULL)
			last--;
		if (last == 0 || text[last - 1] != '}')
			fc_res_err(err, errlen, "%s: not a complete JSON document (it ends after %zu "
				   "bytes: truncated?)", name, total);
		else
			fc_res_err(err, errlen, "%s: not JSON (invalid at byte %zu of %zu)", name, at,
				   total);
		rc = -EINVAL;
		goto fail;
	}
	v = cJSON_GetObjectItemCaseSensitive(r->root, "format");
	if (!cJSON_IsObject(r->root) || v == NULL) {
		fc_res_err(err, errlen, "%s: not a flashcrowd result file (no \"format\" field; "
			   "write one with `flashcrowd run --json FILE`)", name);
		rc = -EINVAL;
		goto fail;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble != FC_RESULT_FORMAT) {
		char *t = cJSON_PrintUnformatted(v);

		fc_res_err(err, errlen, "%s: format: %.20s is not supported (this flashcrowd reads "
			   "format %d)", name, t ? t : "?", FC_RESULT_FORMAT);
		cJSON_free(t);
		rc = -EPROTONOSUPPORT;
		goto fail;
	}
	if ((rc = get_count(r->root, "requests.sent", &r->sent, name, err, errlen)) != 0 ||
	    (rc = get_count(r->root, "requests.completed", &r->completed, name, err, errlen)) != 0 ||
	    (rc = get_count(r->root, "requests.errors.total", &r->errors, name, err, errlen)) != 0 ||
	    (rc = get_double(r->root, "duration_s", &r->duration_s, name, err, errlen)) != 0 ||
	    (rc = get_count(r->root, "meta.start_unix_ms", &r->start_unix_ms, name, err, errlen)) != 0)
		goto fail;
	v = cJSON_GetObjectItemCaseSensitive(r->root, "open_loop");
	if (!cJSON_IsBool(v)) {
		fc_res_err(err, errlen, "%s: open_loop: missing or not true/false", name);
		rc = -EINVAL;
		goto fail;
	}
	r->open_loop = cJSON_IsTrue(v);
	if (!cJSON_IsObject(fc_res_get(r->root, "scenario"))) {
		fc_res_err(err, errlen, "%s: scenario: missing or not an object", name);
		rc = -EINVAL;
		goto fail;
	}
	hs = cJSON_GetObjectItemCaseSensitive(r->root, "histograms");
	if (!cJSON_IsObject(hs) || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(hs, "layout"))) {
		fc_res_err(err, errlen, "%s: histograms.layout: missing", name);
		rc = -EINVAL;
		goto fail;
	}
	v = cJSON_GetObjectItemCaseSensitive(hs, "corrected");
	if (v == NULL) {
		fc_res_err(err, errlen, "%s: histograms.corrected: missing", name);
		rc = -EINVAL;
		goto fail;
	}
	if ((rc = load_hist(v, "corrected", name, &r->latency, err, errlen)) != 0)
		goto fail;
	v = cJSON_GetObjectItemCaseSensitive(hs, "uncorrected");
	if (v != NULL &&
	    (rc = load_hist(v, "uncorrected", name, &r->latency_uncorrected, err, errlen)) != 0)
		goto fail;
	if (r->open_loop && r->latency_uncorrected == NULL) {
		fc_res_err(err, errlen, "%s: histograms.uncorrected: missing in an open-loop result", name);
		rc = -EINVAL;
		goto fail;
	}
	if ((rc = load_intervals(r, err, errlen)) != 0)
		goto fail;
	*out = r;
	return 0;
fail:
	fc_result_free(r);
	return rc;
}

int
fc_result_load(const char *path, struct fc_result **out, char *err, size_t errlen)
{
	FILE *f;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (path == NULL || out == NULL)
		return -EINVAL;
	*out = NULL;
	f = fopen(path, "rb");
	if (f == NULL) {
		rc = -errno;
		fc_res_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	for (;;) {
		if (n + 65536 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 262144;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, 65536, f);

		n += got;
		if (got < 65536)
			break;
	}
	if (ferror(f)) {
		rc = -EIO;
		fc_res_err(err, errlen, "%s: read error", path);
		fclose(f);
		free(buf);
		return rc;
	}
	fclose(f);
	buf[n] = '\0';
	if (n == 0) {
		fc_res_err(err, errlen, "%s: empty file (not a flashcrowd result)", path);
		free(buf);
		return -EINVAL;
	}
	if (memchr(buf, '\0', n) != NULL) {
		fc_res_err(err, errlen, "%s: binary data (not a flashcrowd result)", path);
		free(buf);
		return -EINVAL;
	}
	rc = fc_result_parse(buf, path, out, err, errlen);
	free(buf);
	return rc;
}

void
fc_result_free(struct fc_result *r)
{
	if (r == NULL)
		return;
	cJSON_Delete(r->root);
	fc_hist_free(r->latency);
	fc_hist_free(r->latency_uncorrected);
	free(r->iv);
	free(r);
}

/* ------------------------------------------------------------ scenario diff */

static bool
ignored_key(const char *path)
{
	/* Where the outputs go, the labels and the baseline say nothing about the load. */
	return strcmp(path, "output") == 0 || strcmp(path, "tags") == 0 ||
	       strcmp(path, "baseline") == 0;
}

static void
append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*used >= len)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (w > 0)
		*used += (size_t)w < len - *used ? (size_t)w : len - *used - 1;
}

static void
text_of(const cJSON *v, char *buf, size_t len)
{
	char *t = v ? cJSON_PrintUnformatted(v) : NULL;

	snprintf(buf, len, "%s", t ? t : "(absent)");
	if (strlen(buf) == len - 1 && len > 4)
		memcpy(buf + len - 4, "...", 4);
	cJSON_free(t);
}

static unsigned
diff_rec(const cJSON *a, const cJSON *b, const char *path, char *buf, size_t len, size_t *used)
{
	unsigned n = 0;

	if (a && b && cJSON_IsObject(a) && cJSON_IsObject(b)) {
		const cJSON *it;

		cJSON_ArrayForEach(it, a) {
			char p[160];

			snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", it->string);
			if (*path == '\0' && ignored_key(it->string))
				continue;
			n += diff_rec(it, cJSON_GetObjectItemCaseSensitive(b, it->string), p, buf, len,
				      used);
		}
		cJSON_ArrayForEach(it, b) {
			char p[160];

			if (cJSON_GetObjectItemCaseSensitive(a, it->string) != NULL ||
			    (*path == '\0' && ignored_key(it->string)))
				continue;
			snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", it->string);
			n += diff_rec(NULL, it, p, buf, len, used);
		}
		return n;
	}
	if (a && b && cJSON_Compare(a, b, 1))
		return 0;
	{
		char ta[64], tb[64];

		text_of(a, ta, sizeof(ta));
		text_of(b, tb, sizeof(tb));
		append(buf, len, used, "%s%s: %s vs %s", *used ? "; " : "", path, ta, tb);
	}
	return 1;
}

unsigned
fc_res_diff(const cJSON *a, const cJSON *b, char *buf, size_t len)
{
	size_t used = 0;

	if (buf && len)
		buf[0] = '\0';
	if (buf == NULL || len == 0)
		return 0;
	return diff_rec(a, b, "", buf, len, &used);
}

unsigned
fc_result_scenario_diff(const struct fc_result *a, const struct fc_result *b, char *buf,
			size_t len)
{
	size_t used = 0;

	if (buf && len)
		buf[0] = '\0';
	if (a == NULL || b == NULL || buf == NULL || len == 0)
		return 0;
	return diff_rec(fc_res_get(a->root, "scenario"), fc_res_get(b->root, "scenario"), "", buf,
			len, &used);
}
