/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exact merge of result files. Counters add; histograms add bucket by bucket (the layout
 * is the same in every file, checked), so merged percentiles are the percentiles of all
 * requests; the exact extras (min, max, sums) combine exactly. The merged document is
 * built through lib/stats' fc_report so that it has the very keys of a run's result file.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fc_results.h"
#include "fc_stats.h"
#include "results_private.h"

static uint64_t
count_at(const cJSON *root, const char *path)
{
	const cJSON *v = fc_res_get(root, path);

	return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
}

/* Sum the numeric members of an object over every file, into the report's counters. */
static int
sum_tcp(struct fc_result *const *in, unsigned n, struct fc_report *r)
{
	for (unsigned i = 0; i < n; i++) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(in[i]->root, "tcp"), *it;

		cJSON_ArrayForEach(it, o) {
			uint64_t prev = 0;
			int rc;

			if (!cJSON_IsNumber(it) || it->string == NULL ||
			    strlen(it->string) >= FC_REPORT_NAME_MAX)
				continue;
			for (unsigned k = 0; k < r->n_tcp; k++)
				if (strcmp(r->tcp[k].name, it->string) == 0)
					prev = r->tcp[k].value;
			rc = fc_report_set_counter(r, it->string,
						   prev + (it->valuedouble > 0 ? (uint64_t)it->valuedouble : 0));
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* Tags every file agrees on (a label that differs between inputs labels none of them). */
static int
common_tags(struct fc_result *const *in, unsigned n, struct fc_report *r)
{
	const cJSON *t0 = fc_res_get(in[0]->root, "meta.tags"), *it;

	cJSON_ArrayForEach(it, t0) {
		bool same = cJSON_IsString(it);

		for (unsigned i = 1; i < n && same; i++) {
			const cJSON *o = cJSON_GetObjectItemCaseSensitive(
				fc_res_get(in[i]->root, "meta.tags"), it->string);

			same = cJSON_IsString(o) && strcmp(o->valuestring, it->valuestring) == 0;
		}
		if (same) {
			int rc = fc_report_add_tag(r, it->string, it->valuestring);

			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

struct slot_ref {
	unsigned slot;
	unsigned file;
	unsigned iv;
};

static int
cmp_slot(const void *a, const void *b)
{
	const struct slot_ref *x = a, *y = b;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->iv < y->iv ? -1 : x->iv > y->iv;
}

/* Decode @p b64 and add it to @p acc (through @p scratch). */
static int
add_encoded(struct fc_hist *acc, struct fc_hist *scratch, const char *b64)
{
	int rc = fc_hist_decode_base64(b64, scratch, NULL, NULL, 0);

	if (rc == 0)
		rc = fc_hist_merge(acc, scratch);
	return rc;
}

/*
 * Intervals align by wall clock: each goes to the second (from the earliest start of all
 * files) nearest its own start. Within a slot counts and rates add (generators that ran
 * side by side), histograms add, and the slot's percentiles come from the sum.
 */
static int
merge_intervals(struct fc_result *const *in, unsigned n, uint64_t base_ms, bool uncorrected,
		struct fc_report *r)
{
	struct fc_hist *acc = fc_hist_create(-1), *acc_u = fc_hist_create(-1);
	struct fc_hist *scratch = fc_hist_create(-1);
	struct slot_ref *refs;
	size_t total = 0, k = 0;
	int rc = 0;

	for (unsigned i = 0; i < n; i++)
		total += in[i]->n_iv;
	refs = calloc(total ? total : 1, sizeof(*refs));
	if (refs == NULL || acc == NULL || acc_u == NULL || scratch == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = 0; j < in[i]->n_iv; j++) {
			double at_ms = (double)(in[i]->start_unix_ms - base_ms) +
				       in[i]->iv[j].start_s * 1000.0;

			refs[k++] = (struct slot_ref){ (unsigned)floor(at_ms / 1000.0 + 0.5), i, j };
		}
	}
	qsort(refs, total, sizeof(*refs), cmp_slot);
	for (size_t a = 0; a < total && rc == 0;) {
		struct fc_report_interval out = { .start_s = refs[a].slot };
		double len = 0;
		size_t b = a;

		fc_hist_reset(acc);
		fc_hist_reset(acc_u);
		for (; b < total && refs[b].slot == refs[a].slot && rc == 0; b++) {
			const struct fc_result_interval *iv = &in[refs[b].file]->iv[refs[b].iv];

			out.rps += iv->rps;
			out.completed += iv->completed;
			out.errors += iv->errors;
			out.connections += iv->connections;
			if (iv->end_s - iv->start_s > len)
				len = iv->end_s - iv->start_s;
			rc = add_encoded(acc, scratch, iv->hist);
			if (rc == 0 && uncorrected && iv->hist_uncorrected)
				rc = add_encoded(acc_u, scratch, iv->hist_uncorrected);
		}
		if (rc != 0)
			break;
		out.t = out.start_s + len;
		out.p50_us = fc_hist_percentile(acc, 50.0) / 1e3;
		out.p90_us = fc_hist_percentile(acc, 90.0) / 1e3;
		out.p99_us = fc_hist_percentile(acc, 99.0) / 1e3;
		out.p99_9_us = fc_hist_percentile(acc, 99.9) / 1e3;
		out.max_ns = fc_hist_max(acc);
		out.hist = fc_hist_encode_base64(acc);
		if (uncorrected) {
			out.hist_uncorrected = fc_hist_encode_base64(acc_u);
			out.max_uncorrected_ns = fc_hist_max(acc_u);
		}
		if (out.hist == NULL || (uncorrected && out.hist_uncorrected == NULL)) {
			free(out.hist);
			free(out.hist_uncorrected);
			rc = -ENOMEM;
			break;
		}
		rc = fc_report_add_interval(r, &out);
		a = b;
	}
out:
	free(refs);
	fc_hist_free(acc);
	fc_hist_free(acc_u);
	fc_hist_free(scratch);
	return rc;
}

static int
check_inputs(struct fc_result *const *in, unsigned n, bool force, char *err, size_t len,
	     cJSON *differ)
{
	for (unsigned i = 1; i < n; i++) {
		char what[768];

		if (fc_res_diff(fc_res_get(in[0]->root, "histograms.layout"),
				fc_res_get(in[i]->root, "histograms.layout"), what, sizeof(what))) {
			fc_res_err(err, len, "%s and %s: different histogram layouts: "
				   "histograms.layout.%s (their buckets do not add)", in[0]->path,
				   in[i]->path, what);
			return -EXDEV;
		}
		if (fc_result_scenario_diff(in[0], in[i], what, sizeof(what)) != 0) {
			if (!force) {
				fc_res_err(err, len, "%s and %s: different scenarios: %s (use --force to "
					   "merge them anyway)", in[0]->path, in[i]->path, what);
				return -EXDEV;
			}
			cJSON *d = cJSON_CreateObject();

			if (d == NULL || !cJSON_AddStringToObject(d, "file", in[i]->path) ||
			    !cJSON_AddStringToObject(d, "differs", what) ||
			    !cJSON_AddItemToArray(differ, d)) {
				cJSON_Delete(d);
				return -ENOMEM;
			}
		}
	}
	return 0;
}

/* A string listing each distinct value of a meta field once ("a,b"). */
static int
joined_meta(struct fc_result *const *in, unsigned n, const char *path, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		const cJSON *v = fc_res_get(in[i]->root, path);
		bool seen = false;

		if (!cJSON_IsString(v))
			continue;
		for (unsigned k = 0; k < i && !seen; k++) {
			const cJSON *w = fc_res_get(in[k]->root, path);

			seen = cJSON_IsString(w) && strcmp(w->valuestring, v->valuestring) == 0;
		}
		if (seen)
			continue;
		int w = snprintf(buf + used, len - used, "%s%s", used ? "," : "", v->valuestring);

		if (w < 0 || (size_t)w >= len - used)
			return -ENOSPC;
		used += (size_t)w;
	}
	return 0;
}

int
fc_results_merge(struct fc_result *const *in, unsigned n, bool force, cJSON **out, char *err,
		 size_t errlen)
{
	struct fc_report *r = NULL;
	cJSON *root = NULL, *differ = cJSON_CreateArray(), *m, *src, *pc;
	struct fc_hist *lat = fc_hist_create(-1), *lat_u = fc_hist_create(-1);
	uint64_t base_ms = UINT64_MAX, end_ms = 0;
	bool all_open = true, uncorrected = true, widened = false;
	double target = 0;
	char buf[1024];
	int rc;

	if (out)
		*out = NULL;
	if (in == NULL || n == 0 || out == NULL) {
		rc = -EINVAL;
		fc_res_err(err, errlen, "merge: no input file");
		goto out;
	}
	if (differ == NULL || lat == NULL || lat_u == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = check_inputs(in, n, force, err, errlen, differ);
	if (rc != 0)
		goto out;
	r = fc_report_create();
	if (r == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct fc_result *x = in[i];
		uint64_t end = x->start_unix_ms + (uint64_t)llround(x->duration_s * 1000.0);
		const cJSON *v;

		if (x->start_unix_ms < base_ms)
			base_ms = x->start_unix_ms;
		if (end > end_ms)
			end_ms = end;
		all_open = all_open && x->open_loop;
		uncorrected = uncorrected && x->latency_uncorrected != NULL;
		v = cJSON_GetObjectItemCaseSensitive(x->root, "target_rps");
		target += cJSON_IsNumber(v) ? v->valuedouble : 0;
		widened = widened || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x->root, "limits_widened"));
		fc_hist_merge(lat, x->latency);
		if (x->latency_uncorrected)
			fc_hist_merge(lat_u, x->latency_uncorrected);

		r->totals.req_sent += x->sent;
		r->totals.req_completed += x->completed;
		r->totals.req_retried += count_at(x->root, "requests.retried");
		for (int k = 0; k < FC_STATS_ERR_MAX; k++) {
			snprintf(buf, sizeof(buf), "requests.errors.%s",
				 fc_stats_err_name((enum fc_stats_err)k));
			r->totals.err[k] += count_at(x->root, buf);
		}
		for (int k = 2; k <= 5; k++) {
			snprintf(buf, sizeof(buf), "status.%dxx", k);
			r->totals.status[k] += count_at(x->root, buf);
		}
		r->totals.bytes_rx += count_at(x->root, "transfer.rx_bytes");
		r->totals.bytes_tx += count_at(x->root, "transfer.tx_bytes");
	}
	uncorrected = uncorrected && all_open;
	/* Repeat runs one after another or generators side by side: either way the requests
	 * took the wall-clock span from the first start to the last end. */
	r->duration_s = (double)(end_ms - base_ms) / 1e3;
	r->start_unix_ns = base_ms * 1000000ull;
	r->open_loop = all_open;
	r->target_rps = target;
	r->limits_widened = widened;
	if ((rc = fc_report_set_latency(r, lat, uncorrected ? lat_u : NULL)) != 0 ||
	    (rc = fc_report_set_scenario(r, fc_res_get(in[0]->root, "scenario"))) != 0 ||
	    (rc = sum_tcp(in, n, r)) != 0 || (rc = common_tags(in, n, r)) != 0 ||
	    (rc = merge_intervals(in, n, base_ms, uncorrected, r)) != 0)
		goto out;
	if (joined_meta(in, n, "meta.profile", r->profile, sizeof(r->profile)) != 0)
		snprintf(r->profile, sizeof(r->profile), "several");
	root = fc_report_to_json(r);
	if (root == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	/* The hosts that produced the inputs, and where the merged counts came from. */
	m = cJSON_GetObjectItemCaseSensitive(root, "meta");
	if (joined_meta(in, n, "meta.host", buf, sizeof(buf)) == 0)
		cJSON_ReplaceItemInObjectCaseSensitive(m, "host", cJSON_CreateString(buf));
	src = cJSON_AddArrayToObject(m, "merged_from");
	for (unsigned i = 0; src && i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		const cJSON *st = fc_res_get(in[i]->root, "meta.start_time");
		const cJSON *h = fc_res_get(in[i]->root, "meta.host");

		if (o == NULL)
			break;
		cJSON_AddStringToObject(o, "file", in[i]->path);
		cJSON_AddStringToObject(o, "start_time", cJSON_IsString(st) ? st->valuestring : "");
		cJSON_AddStringToObject(o, "host", cJSON_IsString(h) ? h->valuestring : "");
		cJSON_AddNumberToObject(o, "completed", (double)in[i]->completed);
		cJSON_AddItemToArray(src, o);
	}
	if (cJSON_GetArraySize(differ) > 0) {
		cJSON_AddItemToObject(m, "scenarios_differ", differ);
		differ = NULL;
	}
	/* per_core: every input's cores, as they were. */
	pc = cJSON_GetObjectItemCaseSensitive(root, "per_core");
	for (unsigned i = 0; pc && i < n; i++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(in[i]->root, "per_core"), *it;

		cJSON_ArrayForEach(it, a)
			cJSON_AddItemToArray(pc, cJSON_Duplicate(it, 1));
	}
	*out = root;
	root = NULL;
	rc = 0;
out:
	cJSON_Delete(root);
	cJSON_Delete(differ);
	fc_report_free(r);
	fc_hist_free(lat);
	fc_hist_free(lat_u);
	if (rc == -ENOMEM)
		fc_res_err(err, errlen, "merge: out of memory");
	return rc;
}
