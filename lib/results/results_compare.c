/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Baseline against new: per metric the values, the change, a Mann-Whitney U test and a
 * verdict. "Worse" needs both a change beyond the tolerance and significance, so a noisy
 * metric that moved by chance is "same", and a real but tiny change is "same" too.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fc_results.h"
#include "results_private.h"

static const char *const metric_names[FC_CMP_N] = { "rps", "p50", "p90", "p99", "p99.9",
	"errors" };
static const double metric_pct[FC_CMP_N] = { 0, 50.0, 90.0, 99.0, 99.9, 0 };

const char *
fc_cmp_metric_name(enum fc_cmp_metric m)
{
	return (unsigned)m < FC_CMP_N ? metric_names[m] : "?";
}

void
fc_tolerance_default(struct fc_tolerance *t)
{
	for (int i = 0; i < FC_CMP_N; i++)
		t->pct[i] = FC_CMP_TOLERANCE;
}

static int
parse_item(const char *item, struct fc_tolerance *t, char *err, size_t len)
{
	const char *eq = strchr(item, '='), *num = eq ? eq + 1 : item;
	int metric = -1;
	char *end;
	double v;

	if (eq != NULL) {
		size_t kl = (size_t)(eq - item);

		for (int m = 0; m < FC_CMP_N; m++)
			if (strlen(metric_names[m]) == kl && strncmp(item, metric_names[m], kl) == 0)
				metric = m;
		if (kl == 4 && strncmp(item, "p999", 4) == 0)
			metric = FC_CMP_P999;
		if (metric < 0) {
			fc_res_err(err, len, "tolerance: \"%.40s\": unknown metric \"%.*s\" (rps, p50, "
				   "p90, p99, p99.9, errors)", item, (int)(kl < 20 ? kl : 20), item);
			return -EINVAL;
		}
	}
	v = strtod(num, &end);
	if (end == num || (*end != '\0' && strcmp(end, "%") != 0) || !isfinite(v)) {
		fc_res_err(err, len, "tolerance: \"%.40s\": \"%.20s\" is not a percentage (e.g. 5%%)",
			   item, num);
		return -EINVAL;
	}
	if (v < 0 || v > 100) {
		fc_res_err(err, len, "tolerance: \"%.40s\": %g%% is %s the limit %s", item, v,
			   v < 0 ? "below" : "above", v < 0 ? "0%" : "100%");
		return -EINVAL;
	}
	for (int m = 0; m < FC_CMP_N; m++)
		if (metric < 0 || metric == m)
			t->pct[m] = v;
	return 0;
}

int
fc_tolerance_parse(const char *spec, struct fc_tolerance *t, char *err, size_t errlen)
{
	char item[64];
	const char *p = spec;

	if (spec == NULL || t == NULL)
		return -EINVAL;
	if (*spec == '\0') {
		fc_res_err(err, errlen, "tolerance: empty (e.g. 5%% or p99=10%%)");
		return -EINVAL;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		int rc;

		if (n == 0 || n >= sizeof(item)) {
			fc_res_err(err, errlen, "tolerance: \"%.40s\": empty or too long item", spec);
			return -EINVAL;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		rc = parse_item(item, t, err, errlen);
		if (rc != 0)
			return rc;
		p += n + (p[n] == ',');
	}
	return 0;
}

static double
error_pct(uint64_t errors, uint64_t completed)
{
	uint64_t n = errors + completed;

	return n ? 100.0 * (double)errors / (double)n : 0.0;
}

static double
whole_value(const struct fc_result *r, int m)
{
	switch (m) {
	case FC_CMP_RPS:
		return r->duration_s > 0 ? (double)r->completed / r->duration_s : 0;
	case FC_CMP_ERRORS:
		return error_pct(r->errors, r->completed);
	default:
		return fc_hist_percentile(r->latency, metric_pct[m]) / 1e3;
	}
}

/* An interval's value, or NAN when it has none (no response: no latency). */
static double
interval_value(const struct fc_result_interval *iv, int m)
{
	switch (m) {
	case FC_CMP_RPS:
		return iv->rps;
	case FC_CMP_ERRORS:
		return error_pct(iv->errors, iv->completed);
	default:
		return iv->completed ? iv->p_us[m - FC_CMP_P50] : NAN;
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/*
 * Robust spread of a side's interval values in percent of their median: 1.4826 x the
 * median absolute deviation (the standard deviation for normal data, unmoved by one wild
 * interval). 0 when the median is 0 (no errors, say). Sorts @p v.
 */
static double
spread_pct(double *v, unsigned n, double *tmp)
{
	double m = median(v, n);

	if (n < 3 || !(m > 0))
		return 0;
	for (unsigned i = 0; i < n; i++)
		tmp[i] = fabs(v[i] - m);
	return 1.4826 * median(tmp, n) / m * 100.0;
}

/* The samples of one side for one metric: runs' values, or every run's interval values. */
static unsigned
samples(struct fc_result *const *rs, unsigned n, int m, bool over_runs, double *out)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		if (over_runs) {
			out[k++] = whole_value(rs[i], m);
			continue;
		}
		for (unsigned j = 0; j < rs[i]->n_iv; j++) {
			double v = interval_value(&rs[i]->iv[j], m);

			if (!isnan(v))
				out[k++] = v;
		}
	}
	return k;
}

static unsigned
max_samples(struct fc_result *const *rs, unsigned n)
{
	unsigned k = n;

	for (unsigned i = 0; i < n; i++)
		k += rs[i]->n_iv;
	return k;
}

int
fc_results_compare(struct fc_result *const *base, unsigned nb, struct fc_result *const *cur,
		   unsigned nn, const struct fc_tolerance *tol, double alpha, struct fc_cmp *out)
{
	double *xs, *ys, *tmp;
	unsigned cap;

	if (base == NULL || cur == NULL || nb == 0 || nn == 0 || tol == NULL || out == NULL ||
	    !(alpha >= 0 && alpha < 1))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->over_runs = nb >= 2 && nn >= 2;
	if (alpha == 0)
		alpha = out->over_runs ? FC_CMP_ALPHA_RUNS : FC_CMP_ALPHA_INTERVALS;
	out->alpha = alpha;
	cap = max_samples(base, nb) + max_samples(cur, nn);
	xs = malloc(cap * sizeof(double));
	ys = malloc(cap * sizeof(double));
	tmp = malloc(cap * sizeof(double));
	if (xs == NULL || ys == NULL || tmp == NULL) {
		free(xs);
		free(ys);
		free(tmp);
		return -ENOMEM;
	}
	/* Warn about every run whose scenario differs from the first baseline's. */
	for (unsigned i = 0; i < nb + nn; i++) {
		const struct fc_result *x = i < nb ? base[i] : cur[i - nb];
		size_t used = strlen(out->scenario_diff);
		char what[768];

		if (x == base[0] || fc_result_scenario_diff(base[0], x, what, sizeof(what)) == 0)
			continue;
		snprintf(out->scenario_diff + used, sizeof(out->scenario_diff) - used, "%s%s: %s",
			 used ? "; " : "", x->path, what);
	}
	for (int m = 0; m < FC_CMP_N; m++) {
		struct fc_cmp_row *row = &out->rows[m];
		bool higher_better = m == FC_CMP_RPS;
		unsigned nx = samples(base, nb, m, out->over_runs, xs);
		unsigned ny = samples(cur, nn, m, out->over_runs, ys);
		bool bad, good;

		row->metric = (enum fc_cmp_metric)m;
		for (unsigned i = 0; i < nb; i++)
			tmp[i] = whole_value(base[i], m);
		row->base = median(tmp, nb);
		for (unsigned i = 0; i < nn; i++)
			tmp[i] = whole_value(cur[i], m);
		row->value = median(tmp, nn);
		if (row->base != 0)
			row->change_pct = (row->value - row->base) / row->base * 100.0;
		else
			row->change_pct = row->value == 0 ? 0 : INFINITY;
		row->p = fc_mann_whitney_p(xs, nx, ys, ny, NULL);
		/* Not used in the p-value: widening the null variance by (1 + r) / (1 - r) was
		 * measured to hide an 80x regression of an overloaded run, whose intervals trend
		 * (docs/benchmarks.md section 7). Reported so that a reader can judge how far the
		 * intervals are from independent draws. */
		if (!out->over_runs)
			row->autocorr = fc_lag1_autocorr(xs, nx, ys, ny);
		row->n_base = nx;
		row->n_new = ny;
		row->significant = row->p < alpha;
		row->tolerance_pct = tol->pct[m];
		row->threshold_pct = row->tolerance_pct;
		if (!out->over_runs) {
			/* After the test: spread_pct() sorts the samples, which the lag-1
			 * autocorrelation needs in time order. */
			double sx = spread_pct(xs, nx, tmp), sy = spread_pct(ys, ny, tmp);

			row->noise_pct = sx > sy ? sx : sy;
			if (FC_CMP_NOISE_K * row->noise_pct > row->threshold_pct)
				row->threshold_pct = FC_CMP_NOISE_K * row->noise_pct;
		}
		bad = higher_better ? row->change_pct < -row->threshold_pct :
				      row->change_pct > row->threshold_pct;
		good = higher_better ? row->change_pct > row->threshold_pct :
				       row->change_pct < -row->threshold_pct;
		if (row->significant && bad) {
			row->verdict = FC_VERDICT_WORSE;
			out->worse++;
		} else if (row->significant && good) {
			row->verdict = FC_VERDICT_BETTER;
			out->better++;
		} else {
			row->verdict = FC_VERDICT_SAME;
		}
	}
	free(xs);
	free(ys);
	free(tmp);
	return 0;
}

static const char *
verdict_name(enum fc_verdict v)
{
	return v == FC_VERDICT_WORSE ? "worse" : v == FC_VERDICT_BETTER ? "better" : "same";
}

static void
fmt_value(char *buf, size_t len, int m, double v)
{
	if (m == FC_CMP_RPS)
		snprintf(buf, len, "%.1f", v);
	else if (m == FC_CMP_ERRORS)
		snprintf(buf, len, "%.3f%%", v);
	else if (v >= 1000.0)
		snprintf(buf, len, "%.3fms", v / 1e3);
	else
		snprintf(buf, len, "%.3fus", v);
}

int
fc_cmp_print(const struct fc_cmp *c, FILE *f)
{
	if (c == NULL || f == NULL)
		return -EINVAL;
	if (c->scenario_diff[0] &&
	    fprintf(f, "warning: the scenarios differ: %s\n", c->scenario_diff) < 0)
		return -EIO;
	if (fprintf(f, "Mann-Whitney U over %s, alpha %.3g; \"~\": not significant\n",
		    c->over_runs ? "repeat runs (their whole-run values)" : "per-interval values",
		    c->alpha) < 0 ||
	    fprintf(f, "%-8s %14s %14s  %-30s %-18s %s\n", "metric", "baseline", "new", "vs base",
		    "threshold", "verdict") < 0)
		return -EIO;
	for (int m = 0; m < FC_CMP_N; m++) {
		const struct fc_cmp_row *r = &c->rows[m];
		char b[32], v[32], d[64], tol[40];

		fmt_value(b, sizeof(b), m, r->base);
		fmt_value(v, sizeof(v), m, r->value);
		/* benchstat's form: the change only when significant, "~" otherwise. */
		if (r->significant)
			snprintf(d, sizeof(d), "%+.2f%% (p=%.3f n=%u+%u)", r->change_pct, r->p,
				 r->n_base, r->n_new);
		else
			snprintf(d, sizeof(d), "~ (p=%.3f n=%u+%u)", r->p, r->n_base, r->n_new);
		/* The tolerance, or the noise band when the runs' spread set a wider one. */
		if (r->threshold_pct > r->tolerance_pct)
			snprintf(tol, sizeof(tol), "%.1f%% (noise)", r->threshold_pct);
		else
			snprintf(tol, sizeof(tol), "%g%%", r->tolerance_pct);
		if (fprintf(f, "%-8s %14s %14s  %-30s %-18s %s\n", fc_cmp_metric_name(r->metric), b, v,
			    d, tol, verdict_name(r->verdict)) < 0)
			return -EIO;
	}
	return 0;
}

cJSON *
fc_cmp_to_json(const struct fc_cmp *c)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	bool ok;

	ok = root && cJSON_AddStringToObject(root, "test", "mann-whitney-u") &&
	     cJSON_AddNumberToObject(root, "alpha", c->alpha) &&
	     cJSON_AddStringToObject(root, "samples", c->over_runs ? "runs" : "intervals") &&
	     cJSON_AddStringToObject(root, "scenario_diff", c->scenario_diff) &&
	     cJSON_AddNumberToObject(root, "worse", c->worse) &&
	     cJSON_AddNumberToObject(root, "better", c->better);
	arr = ok ? cJSON_AddArrayToObject(root, "metrics") : NULL;
	ok = arr != NULL;
	for (int m = 0; m < FC_CMP_N && ok; m++) {
		const struct fc_cmp_row *r = &c->rows[m];
		cJSON *o = cJSON_CreateObject();

		ok = o && cJSON_AddItemToArray(arr, o) &&
		     cJSON_AddStringToObject(o, "metric", fc_cmp_metric_name(r->metric)) &&
		     cJSON_AddNumberToObject(o, "base", r->base) &&
		     cJSON_AddNumberToObject(o, "new", r->value) &&
		     /* JSON has no infinity: a change from 0 is null. */
		     (isfinite(r->change_pct) ? cJSON_AddNumberToObject(o, "change_pct", r->change_pct) != NULL
					      : cJSON_AddNullToObject(o, "change_pct") != NULL) &&
		     cJSON_AddNumberToObject(o, "p_value", r->p) &&
		     cJSON_AddNumberToObject(o, "autocorr", r->autocorr) &&
		     cJSON_AddNumberToObject(o, "n_base", r->n_base) &&
		     cJSON_AddNumberToObject(o, "n_new", r->n_new) &&
		     cJSON_AddBoolToObject(o, "significant", r->significant) &&
		     cJSON_AddNumberToObject(o, "tolerance_pct", r->tolerance_pct) &&
		     cJSON_AddNumberToObject(o, "noise_pct", r->noise_pct) &&
		     cJSON_AddNumberToObject(o, "threshold_pct", r->threshold_pct) &&
		     cJSON_AddStringToObject(o, "verdict", verdict_name(r->verdict)) &&
		     cJSON_AddStringToObject(o, "unit", m == FC_CMP_RPS ? "requests/s" :
					     m == FC_CMP_ERRORS ? "%" : "us");
	}
	if (!ok) {
		cJSON_Delete(root);
		errno = ENOMEM;
		return NULL;
	}
	return root;
}
