/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The run report: JSON (keys: docs/result-json.md) and the human summary in wrk2's layout
 * with h2load's request breakdown. Runs on the control core at the end of a run (and for
 * the live line), never on a worker.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fc_stats.h"

struct fc_report *
fc_report_create(void)
{
	struct fc_report *r = calloc(1, sizeof(*r));

	if (r == NULL)
		errno = ENOMEM;
	return r;
}

void
fc_report_free(struct fc_report *r)
{
	if (r == NULL)
		return;
	cJSON_Delete(r->scenario);
	cJSON_Delete(r->tags);
	for (unsigned i = 0; i < r->n_intervals; i++) {
		free(r->intervals[i].hist);
		free(r->intervals[i].hist_uncorrected);
	}
	free(r->intervals);
	free(r->cores);
	free(r->tcp);
	fc_hist_free(r->latency);
	fc_hist_free(r->latency_uncorrected);
	free(r);
}

int
fc_report_set_scenario(struct fc_report *r, const cJSON *scenario)
{
	cJSON *copy = NULL;

	if (r == NULL)
		return -EINVAL;
	if (scenario != NULL) {
		copy = cJSON_Duplicate(scenario, 1);
		if (copy == NULL)
			return -ENOMEM;
	}
	cJSON_Delete(r->scenario);
	r->scenario = copy;
	return 0;
}

static int
copy_hist(struct fc_hist **slot, const struct fc_hist *src)
{
	if (src == NULL) {
		fc_hist_free(*slot);
		*slot = NULL;
		return 0;
	}
	if (*slot == NULL) {
		*slot = fc_hist_create(-1);
		if (*slot == NULL)
			return -ENOMEM;
	}
	fc_hist_reset(*slot);
	return fc_hist_merge(*slot, src);
}

int
fc_report_set_latency(struct fc_report *r, const struct fc_hist *corrected,
		const struct fc_hist *uncorrected)
{
	int rc;

	if (r == NULL)
		return -EINVAL;
	rc = copy_hist(&r->latency, corrected);
	if (rc == 0)
		rc = copy_hist(&r->latency_uncorrected, uncorrected);
	return rc;
}

/* Make room for one more element in a growable array. */
static int
grow(void **arr, unsigned n, unsigned *cap, size_t elem)
{
	unsigned ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, (size_t)ncap * elem);
	if (p == NULL)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

int
fc_report_add_interval(struct fc_report *r, const struct fc_report_interval *iv)
{
	if (r == NULL || iv == NULL) {
		if (iv != NULL) {
			free(iv->hist);
			free(iv->hist_uncorrected);
		}
		return -EINVAL;
	}
	if (grow((void **)&r->intervals, r->n_intervals, &r->cap_intervals, sizeof(*iv)) != 0) {
		free(iv->hist);
		free(iv->hist_uncorrected);
		return -ENOMEM;
	}
	r->intervals[r->n_intervals++] = *iv;
	return 0;
}

int
fc_report_add_tag(struct fc_report *r, const char *key, const char *value)
{
	cJSON *v;

	if (r == NULL || key == NULL || value == NULL || key[0] == '\0')
		return -EINVAL;
	if (r->tags == NULL && (r->tags = cJSON_CreateObject()) == NULL)
		return -ENOMEM;
	v = cJSON_CreateString(value);
	if (v == NULL)
		return -ENOMEM;
	if (cJSON_GetObjectItemCaseSensitive(r->tags, key) != NULL)
		return cJSON_ReplaceItemInObjectCaseSensitive(r->tags, key, v) ? 0 : -ENOMEM;
	if (!cJSON_AddItemToObject(r->tags, key, v)) {
		cJSON_Delete(v);
		return -ENOMEM;
	}
	return 0;
}

int
fc_report_add_core(struct fc_report *r, unsigned lcore, int socket,
		const struct fc_stats_core *st)
{
	struct fc_report_core *c;

	if (r == NULL || st == NULL)
		return -EINVAL;
	if (grow((void **)&r->cores, r->n_cores, &r->cap_cores, sizeof(*r->cores)) != 0)
		return -ENOMEM;
	c = &r->cores[r->n_cores++];
	c->lcore = lcore;
	c->socket = socket;
	fc_stats_snapshot(&c->stats, st);
	return 0;
}

int
fc_report_sum_cores(struct fc_report *r)
{
	if (r == NULL)
		return -EINVAL;
	memset(&r->totals, 0, sizeof(r->totals));
	for (unsigned i = 0; i < r->n_cores; i++)
		fc_stats_sum(&r->totals, &r->cores[i].stats);
	return 0;
}

int
fc_report_set_counter(struct fc_report *r, const char *name, uint64_t value)
{
	size_t len;

	if (r == NULL || name == NULL)
		return -EINVAL;
	len = strlen(name);
	if (len == 0 || len >= FC_REPORT_NAME_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < r->n_tcp; i++) {
		if (strcmp(r->tcp[i].name, name) == 0) {
			r->tcp[i].value = value;
			return 0;
		}
	}
	if (grow((void **)&r->tcp, r->n_tcp, &r->cap_tcp, sizeof(*r->tcp)) != 0)
		return -ENOMEM;
	memcpy(r->tcp[r->n_tcp].name, name, len + 1);
	r->tcp[r->n_tcp].value = value;
	r->n_tcp++;
	return 0;
}

static const struct fc_report_counter *
find_counter(const struct fc_report *r, const char *name)
{
	for (unsigned i = 0; i < r->n_tcp; i++)
		if (strcmp(r->tcp[i].name, name) == 0)
			return &r->tcp[i];
	return NULL;
}

/* ------------------------------------------------------------------ JSON */

/* The percentiles of latency_us, in key order. */
static const double lat_p[] = { 50.0, 75.0, 90.0, 99.0, 99.9, 99.99 };
static const char *const lat_key[] = { "p50", "p75", "p90", "p99", "p99_9", "p99_99" };
#define N_LAT_P (sizeof(lat_p) / sizeof(lat_p[0]))

static bool
add_num(cJSON *o, const char *k, double v)
{
	return cJSON_AddNumberToObject(o, k, v) != NULL;
}

static cJSON *
latency_json(const struct fc_hist *h)
{
	cJSON *o = cJSON_CreateObject();
	uint64_t v[N_LAT_P] = { 0 };
	bool ok;

	if (o == NULL)
		return NULL;
	if (h != NULL)
		fc_hist_percentiles(h, lat_p, v, N_LAT_P);
	ok = add_num(o, "min", h ? fc_hist_min(h) / 1e3 : 0) &&
	     add_num(o, "mean", h ? fc_hist_mean(h) / 1e3 : 0) &&
	     add_num(o, "stdev", h ? fc_hist_stdev(h) / 1e3 : 0);
	for (size_t i = 0; i < N_LAT_P && ok; i++)
		ok = add_num(o, lat_key[i], v[i] / 1e3);
	ok = ok && add_num(o, "max", h ? fc_hist_max(h) / 1e3 : 0) &&
	     add_num(o, "count", h ? (double)fc_hist_count(h) : 0);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static double
rate_of(uint64_t n, double secs)
{
	return secs > 0.0 ? (double)n / secs : 0.0;
}

/* Decimal text of a 128-bit sum: JSON numbers are doubles, which would round it. */
static void
u128_str(fc_hist_u128 v, char *buf, size_t len)
{
	char tmp[48];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + (unsigned)(v % 10));
		v /= 10;
	} while (v != 0 && n < sizeof(tmp));
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
}

/* One whole-run histogram: the V2 encoding plus the exact extras it cannot carry. */
static cJSON *
hist_json(const struct fc_hist *h)
{
	cJSON *o = cJSON_CreateObject();
	char *b64 = fc_hist_encode_base64(h);
	char num[48];
	bool ok = o != NULL && b64 != NULL && cJSON_AddStringToObject(o, "v2", b64) != NULL &&
		add_num(o, "count", (double)h->count) &&
		add_num(o, "min_ns", (double)fc_hist_min(h)) &&
		add_num(o, "max_ns", (double)fc_hist_max(h));

	free(b64);
	u128_str(h->sum, num, sizeof(num));
	ok = ok && cJSON_AddStringToObject(o, "sum_ns", num) != NULL;
	u128_str(h->sumsq, num, sizeof(num));
	ok = ok && cJSON_AddStringToObject(o, "sumsq_ns2", num) != NULL &&
	     add_num(o, "clamped", (double)h->clamped);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
histograms_json(const struct fc_report *r)
{
	cJSON *o = cJSON_CreateObject(), *l, *h;
	bool ok = o != NULL &&
		cJSON_AddStringToObject(o, "encoding", "HdrHistogram V2, zlib-compressed, base64") != NULL &&
		cJSON_AddStringToObject(o, "unit", "ns") != NULL;

	l = ok ? cJSON_AddObjectToObject(o, "layout") : NULL;
	ok = l && add_num(l, "lowest_discernible_value", 1) &&
	     add_num(l, "highest_trackable_value", (double)FC_HIST_MAX_TRACKABLE) &&
	     add_num(l, "significant_digits", FC_HIST_SIG_DIGITS) &&
	     add_num(l, "sub_bucket_count", FC_HIST_SUB_BUCKET_COUNT) &&
	     add_num(l, "unit_magnitude", 0) &&
	     add_num(l, "bucket_count", FC_HIST_BUCKET_COUNT);
	if (ok && r->latency != NULL) {
		h = hist_json(r->latency);
		ok = h && cJSON_AddItemToObject(o, "corrected", h);
	}
	if (ok && r->latency_uncorrected != NULL) {
		h = hist_json(r->latency_uncorrected);
		ok = h && cJSON_AddItemToObject(o, "uncorrected", h);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
meta_json(const struct fc_report *r)
{
	cJSON *o = cJSON_CreateObject(), *t;
	char host[256] = "", when[40] = "";
	time_t secs = (time_t)(r->start_unix_ns / 1000000000u);
	struct tm tm;
	bool ok;

	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "unknown");
	if (r->start_unix_ns != 0 && gmtime_r(&secs, &tm) != NULL) {
		char base[24];

		strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(when, sizeof(when), "%s.%03uZ", base,
			 (unsigned)(r->start_unix_ns % 1000000000u / 1000000u));
	}
	ok = o != NULL && cJSON_AddStringToObject(o, "flashcrowd", FC_VERSION) != NULL &&
	     cJSON_AddStringToObject(o, "start_time", when) != NULL &&
	     add_num(o, "start_unix_ms", (double)(r->start_unix_ns / 1000000u)) &&
	     cJSON_AddStringToObject(o, "host", host) != NULL &&
	     cJSON_AddStringToObject(o, "profile", r->profile[0] ? r->profile : "embedded") != NULL;
	t = ok ? (r->tags ? cJSON_Duplicate(r->tags, 1) : cJSON_CreateObject()) : NULL;
	ok = ok && t && cJSON_AddItemToObject(o, "tags", t);
	if (!ok) {
		if (o != NULL && t != NULL && cJSON_GetObjectItemCaseSensitive(o, "tags") != t)
			cJSON_Delete(t);
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *
fc_report_to_json(const struct fc_report *r)
{
	const struct fc_stats_core *t;
	cJSON *root, *o, *e, *arr;
	bool ok = true;

	if (r == NULL) {
		errno = EINVAL;
		return NULL;
	}
	t = &r->totals;
	root = cJSON_CreateObject();
	if (root == NULL)
		goto nomem;
	/* The format version first, so a reader can refuse a file before reading the rest. */
	if (!add_num(root, "format", FC_RESULT_FORMAT))
		goto nomem;
	o = meta_json(r);
	if (o == NULL || !cJSON_AddItemToObject(root, "meta", o)) {
		cJSON_Delete(o);
		goto nomem;
	}

	/* requests */
	o = cJSON_AddObjectToObject(root, "requests");
	ok = o && add_num(o, "sent", t->req_sent) && add_num(o, "completed", t->req_completed) &&
	     add_num(o, "retried", t->req_retried);
	e = ok ? cJSON_AddObjectToObject(o, "errors") : NULL;
	ok = e != NULL;
	for (int k = 0; k < FC_STATS_ERR_MAX && ok; k++)
		ok = add_num(e, fc_stats_err_name((enum fc_stats_err)k), t->err[k]);
	ok = ok && add_num(e, "total", fc_stats_errors_total(t));

	/* status classes */
	o = ok ? cJSON_AddObjectToObject(root, "status") : NULL;
	ok = o && add_num(o, "2xx", t->status[2]) && add_num(o, "3xx", t->status[3]) &&
	     add_num(o, "4xx", t->status[4]) && add_num(o, "5xx", t->status[5]);

	/* throughput and transfer */
	o = ok ? cJSON_AddObjectToObject(root, "throughput") : NULL;
	ok = o && add_num(o, "rps", rate_of(t->req_completed, r->duration_s)) &&
	     add_num(o, "rx_bytes_per_s", rate_of(t->bytes_rx, r->duration_s));
	o = ok ? cJSON_AddObjectToObject(root, "transfer") : NULL;
	ok = o && add_num(o, "rx_bytes", t->bytes_rx) && add_num(o, "tx_bytes", t->bytes_tx);

	/* latency */
	if (ok) {
		o = latency_json(r->latency);
		ok = o && cJSON_AddItemToObject(root, "latency_us", o);
	}
	if (ok && r->latency_uncorrected != NULL) {
		o = latency_json(r->latency_uncorrected);
		ok = o && cJSON_AddItemToObject(root, "latency_uncorrected_us", o);
	}

	/* tcp: the four contract keys always, then any other counter the lead set */
	o = ok ? cJSON_AddObjectToObject(root, "tcp") : NULL;
	ok = o != NULL;
	if (ok) {
		static const char *const must[] = { "connects", "retransmits", "resets_rx", "resets_tx" };
		for (size_t i = 0; i < 4 && ok; i++) {
			const struct fc_report_counter *c = find_counter(r, must[i]);
			double v = c ? (double)c->value : (i == 0 ? (double)t->connects : 0.0);
			ok = add_num(o, must[i], v);
		}
		for (unsigned i = 0; i < r->n_tcp && ok; i++) {
			if (cJSON_GetObjectItemCaseSensitive(o, r->tcp[i].name) == NULL)
				ok = add_num(o, r->tcp[i].name, r->tcp[i].value);
		}
	}

	/* intervals */
	arr = ok ? cJSON_AddArrayToObject(root, "intervals") : NULL;
	ok = arr != NULL;
	for (unsigned i = 0; i < r->n_intervals && ok; i++) {
		const struct fc_report_interval *iv = &r->intervals[i];
		cJSON *x;

		if (iv->tail)
			continue;
		x = cJSON_CreateObject();
		ok = x && cJSON_AddItemToArray(arr, x) && add_num(x, "t", iv->t) &&
		     add_num(x, "start_s", iv->start_s) &&
		     add_num(x, "rps", iv->rps) && add_num(x, "completed", iv->completed) &&
		     add_num(x, "p50_us", iv->p50_us) && add_num(x, "p90_us", iv->p90_us) &&
		     add_num(x, "p99_us", iv->p99_us) && add_num(x, "p99_9_us", iv->p99_9_us) &&
		     add_num(x, "max_us", iv->max_ns / 1e3) && add_num(x, "errors", iv->errors) &&
		     add_num(x, "connections", iv->connections);
		if (ok && iv->hist)
			ok = cJSON_AddStringToObject(x, "hist", iv->hist) != NULL;
		if (ok && iv->hist_uncorrected)
			ok = cJSON_AddStringToObject(x, "hist_uncorrected", iv->hist_uncorrected) != NULL;
	}

	/* per core */
	arr = ok ? cJSON_AddArrayToObject(root, "per_core") : NULL;
	ok = arr != NULL;
	for (unsigned i = 0; i < r->n_cores && ok; i++) {
		const struct fc_report_core *c = &r->cores[i];
		const struct fc_stats_core *s = &c->stats;
		cJSON *x = cJSON_CreateObject();

		ok = x && cJSON_AddItemToArray(arr, x) && add_num(x, "lcore", c->lcore) &&
		     add_num(x, "socket", c->socket) && add_num(x, "sent", s->req_sent) &&
		     add_num(x, "completed", s->req_completed) &&
		     add_num(x, "errors", fc_stats_errors_total(s)) &&
		     add_num(x, "rps", rate_of(s->req_completed, r->duration_s)) &&
		     add_num(x, "rx_bytes", s->bytes_rx) && add_num(x, "tx_bytes", s->bytes_tx) &&
		     add_num(x, "connects", s->connects) &&
		     add_num(x, "connections", s->conn_open) &&
		     add_num(x, "busy_cycles", s->busy_cycles) &&
		     add_num(x, "cycles_per_request", s->req_completed ?
			     (double)s->busy_cycles / (double)s->req_completed : 0);
	}

	ok = ok && add_num(root, "duration_s", r->duration_s) &&
	     cJSON_AddBoolToObject(root, "open_loop", r->open_loop) &&
	     add_num(root, "target_rps", r->target_rps) &&
	     cJSON_AddBoolToObject(root, "limits_widened", r->limits_widened);
	if (ok) {
		o = histograms_json(r);
		ok = o && cJSON_AddItemToObject(root, "histograms", o);
		if (!ok)
			cJSON_Delete(o);
	}
	if (ok) {
		cJSON *sc = r->scenario ? cJSON_Duplicate(r->scenario, 1) : cJSON_CreateObject();
		ok = sc && cJSON_AddItemToObject(root, "scenario", sc);
		if (!ok)
			cJSON_Delete(sc);
	}
	if (ok)
		return root;
nomem:
	cJSON_Delete(root);
	errno = ENOMEM;
	return NULL;
}

int
fc_report_write_json(const struct fc_report *r, const char *path)
{
	return fc_report_write_json_extra(r, NULL, NULL, path);
}

int
fc_json_write(const cJSON *doc, const char *path)
{
	char *txt, *tmp;
	FILE *f;
	int rc = 0;

	if (doc == NULL || path == NULL || path[0] == '\0')
		return -EINVAL;
	txt = cJSON_Print(doc);
	if (txt == NULL)
		return -ENOMEM;
	if (strcmp(path, "-") == 0) {
		rc = (fputs(txt, stdout) < 0 || fputc('\n', stdout) < 0) ? -EIO : 0;
		cJSON_free(txt);
		return rc;
	}
	/* Temporary file + rename: a reader (or a crash) never sees half a file. */
	tmp = malloc(strlen(path) + 32);
	if (tmp == NULL) {
		cJSON_free(txt);
		return -ENOMEM;
	}
	sprintf(tmp, "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (f == NULL) {
		rc = -errno;
	} else {
		if (fputs(txt, f) < 0 || fputc('\n', f) < 0 || fflush(f) != 0)
			rc = -EIO;
		if (fclose(f) != 0 && rc == 0)
			rc = -errno;
		if (rc == 0 && rename(tmp, path) != 0)
			rc = -errno;
		if (rc != 0)
			unlink(tmp);
	}
	free(tmp);
	cJSON_free(txt);
	return rc;
}

int
fc_report_write_json_extra(const struct fc_report *r, const char *key, cJSON *extra,
		const char *path)
{
	cJSON *root;
	int rc;

	if (r == NULL || path == NULL || path[0] == '\0') {
		cJSON_Delete(extra);
		return -EINVAL;
	}
	root = fc_report_to_json(r);
	if (root == NULL) {
		cJSON_Delete(extra);
		return -errno;
	}
	if (key != NULL && extra != NULL)
		cJSON_AddItemToObject(root, key, extra);
	else
		cJSON_Delete(extra);
	rc = fc_json_write(root, path);
	cJSON_Delete(root);
	return rc;
}

/* ------------------------------------------------------------------ hlog */

int
fc_report_write_hlog(const struct fc_report *r, const char *path)
{
	char *tmp;
	FILE *f;
	int rc = 0;

	if (r == NULL || path == NULL || path[0] == '\0')
		return -EINVAL;
	tmp = malloc(strlen(path) + 32);
	if (tmp == NULL)
		return -ENOMEM;
	sprintf(tmp, "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (f == NULL) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	rc = fc_hlog_write_header(f, r->start_unix_ns);
	for (unsigned i = 0; i < r->n_intervals && rc == 0; i++) {
		const struct fc_report_interval *iv = &r->intervals[i];
		double len = iv->t - iv->start_s;

		if (iv->hist == NULL)
			continue;
		/* Closed loop has one histogram: untagged, what HistogramLogProcessor reads by
		 * default. Open loop has two, told apart by tags (-tag corrected). */
		rc = fc_hlog_write_interval(f, r->open_loop ? "corrected" : NULL, iv->start_s, len,
					    iv->max_ns, iv->hist);
		if (rc == 0 && r->open_loop && iv->hist_uncorrected)
			rc = fc_hlog_write_interval(f, "uncorrected", iv->start_s, len,
						    iv->max_uncorrected_ns,
						    iv->hist_uncorrected);
	}
	if (fflush(f) != 0 && rc == 0)
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* --------------------------------------------------------------- summary */

/*
 * wrk's unit formatting: divide by the scale while the amount is >= 0.85 x scale and a
 * bigger unit follows the current one, then print with p decimals.
 */
struct units {
	double scale;
	const char *base;
	const char *units[6];
};

static const struct units time_us_units = { 1000, "us", { "ms", "s", NULL } };
static const struct units time_s_units = { 60, "s", { "m", "h", NULL } };
static const struct units binary_units = { 1024, "", { "K", "M", "G", "T", "P", NULL } };
static const struct units metric_units = { 1000, "", { "k", "M", "G", "T", "P", NULL } };

static void
fmt_units(char *buf, size_t len, long double n, const struct units *u, int p)
{
	const char *unit = u->base;
	long double amt = n, scale = u->scale * 0.85L;

	for (int i = 0; u->units[i + 1] != NULL && amt >= scale; i++) {
		amt /= u->scale;
		unit = u->units[i];
	}
	snprintf(buf, len, "%.*Lf%s", p, amt, unit);
}

static void
fmt_time_us(char *buf, size_t len, long double us)
{
	if (us >= 1000000.0L)
		fmt_units(buf, len, us / 1000000.0L, &time_s_units, 2);
	else
		fmt_units(buf, len, us, &time_us_units, 2);
}

static void
fmt_binary(char *buf, size_t len, long double n)
{
	fmt_units(buf, len, n, &binary_units, 2);
}

static void
fmt_metric(char *buf, size_t len, long double n)
{
	fmt_units(buf, len, n, &metric_units, 2);
}

/* Right-align a formatted amount so the digits line up whether it has a 0, 1 or 2 letter
 * unit (wrk's print_units). */
static int
print_units(FILE *f, const char *msg, int width)
{
	int len = (int)strlen(msg), pad = 2;

	if (len > 0 && isalpha((unsigned char)msg[len - 1]))
		pad--;
	if (len > 1 && isalpha((unsigned char)msg[len - 2]))
		pad--;
	width -= pad;
	return fprintf(f, "%*.*s%.*s", width, width, msg, pad, "  ");
}

static int
print_latency_dist(FILE *f, const struct fc_hist *h, const char *what, bool spectrum)
{
	static const double p[] = { 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 99.999, 100.0 };
	uint64_t v[8];
	char buf[64];
	int bad = 0;

	fc_hist_percentiles(h, p, v, 8);
	bad |= fprintf(f, "  Latency Distribution (HdrHistogram - %s)\n", what) < 0;
	for (int i = 0; i < 8; i++) {
		fmt_time_us(buf, sizeof(buf), v[i] / 1000.0L);
		bad |= fprintf(f, "%7.3f%%", p[i]) < 0;
		bad |= print_units(f, buf, 10) < 0;
		bad |= fputc('\n', f) == EOF;
	}
	if (!spectrum)
		return bad;
	bad |= fprintf(f, "\n%s\n", "  Detailed Percentile spectrum:") < 0;
	/* ms, with 5 ticks per half distance: what wrk2 prints */
	bad |= fc_hist_write_hgrm(h, f, 1e6, 5) != 0;
	bad |= fprintf(f, "----------------------------------------------------------\n") < 0;
	return bad;
}

/* Mean, stdev, max and share of samples within one stdev of the per-thread Req/Sec
 * samples (the interval series divided by the thread count). */
static void
req_sec_stats(const struct fc_report *r, long double *mean, long double *sd, long double *max,
		long double *within)
{
	unsigned th = r->threads ? r->threads : 1, n = r->n_intervals, in = 0;
	long double s = 0, s2 = 0, mx = 0;

	if (n == 0) {
		*mean = *max = rate_of(r->totals.req_completed, r->duration_s) / th;
		*sd = 0;
		*within = 100.0L;
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		long double x = r->intervals[i].rps / th;
		s += x;
		s2 += x * x;
		if (x > mx)
			mx = x;
	}
	*mean = s / n;
	*sd = n > 1 ? sqrtl(fmaxl(0, (s2 - s * s / n) / (n - 1))) : 0; /* sample stdev, as wrk */
	for (unsigned i = 0; i < n; i++) {
		long double x = r->intervals[i].rps / th;
		if (x >= *mean - *sd && x <= *mean + *sd)
			in++;
	}
	*max = mx;
	*within = 100.0L * in / n;
}

int
fc_report_print_summary(const struct fc_report *r, FILE *f)
{
	const struct fc_stats_core *t;
	char buf[64], buf2[64];
	int bad = 0;
	uint64_t errs, done, ok2, sock_read, lat_n;
	long double m, sd, mx, within;

	if (r == NULL || f == NULL)
		return -EINVAL;
	t = &r->totals;

	fmt_units(buf, sizeof(buf), r->duration_s, &time_s_units, 0);
	bad |= fprintf(f, "Running %s test @ %s\n", buf, r->url) < 0;
	bad |= fprintf(f, "  %u threads and %u connections\n", r->threads, r->connections) < 0;
	if (r->limits_widened)
		bad |= fprintf(f, "  Note: limits envelope widened by an operator limits file\n") < 0;

	/* Thread Stats: latency from the histogram (exact mean/stdev/max), Req/Sec from the
	 * interval series. */
	bad |= fprintf(f, "  Thread Stats%6s%11s%8s%12s\n", "Avg", "Stdev", "Max", "+/- Stdev") < 0;
	lat_n = r->latency ? fc_hist_count(r->latency) : 0;
	if (lat_n > 0) {
		double mean = fc_hist_mean(r->latency), s = fc_hist_stdev(r->latency);
		uint64_t lo = mean - s > 0 ? (uint64_t)(mean - s) : 0, hi = (uint64_t)(mean + s);

		within = 100.0L * fc_hist_count_between(r->latency, lo, hi) / lat_n;
		bad |= fprintf(f, "    %-10s", "Latency") < 0;
		fmt_time_us(buf, sizeof(buf), mean / 1000.0L);
		bad |= print_units(f, buf, 8) < 0;
		fmt_time_us(buf, sizeof(buf), s / 1000.0L);
		bad |= print_units(f, buf, 10) < 0;
		fmt_time_us(buf, sizeof(buf), fc_hist_max(r->latency) / 1000.0L);
		bad |= print_units(f, buf, 9) < 0;
		bad |= fprintf(f, "%8.2Lf%%\n", within) < 0;
	}
	req_sec_stats(r, &m, &sd, &mx, &within);
	bad |= fprintf(f, "    %-10s", "Req/Sec") < 0;
	fmt_metric(buf, sizeof(buf), m);
	bad |= print_units(f, buf, 8) < 0;
	fmt_metric(buf, sizeof(buf), sd);
	bad |= print_units(f, buf, 10) < 0;
	fmt_metric(buf, sizeof(buf), mx);
	bad |= print_units(f, buf, 9) < 0;
	bad |= fprintf(f, "%8.2Lf%%\n", within) < 0;

	if (lat_n > 0)
		bad |= print_latency_dist(f, r->latency, "Recorded Latency", r->latency_spectrum);
	if (r->latency_uncorrected != NULL && fc_hist_count(r->latency_uncorrected) > 0) {
		bad |= fputc('\n', f) == EOF;
		bad |= print_latency_dist(f, r->latency_uncorrected,
			"Uncorrected Latency (measured without taking delayed starts into account)", r->latency_spectrum);
	}

	fmt_time_us(buf, sizeof(buf), r->duration_s * 1e6L);
	fmt_binary(buf2, sizeof(buf2), t->bytes_rx);
	bad |= fprintf(f, "  %" PRIu64 " requests in %s, %sB read\n", t->req_completed, buf,
			buf2) < 0;
	sock_read = t->err[FC_STATS_ERR_RESET] + t->err[FC_STATS_ERR_CLOSED] +
		    t->err[FC_STATS_ERR_PARSE];
	if (t->err[FC_STATS_ERR_CONNECT] || sock_read || t->err[FC_STATS_ERR_OTHER] ||
	    t->err[FC_STATS_ERR_TIMEOUT])
		bad |= fprintf(f, "  Socket errors: connect %" PRIu64 ", read %" PRIu64 ", write %"
				PRIu64 ", timeout %" PRIu64 "\n", t->err[FC_STATS_ERR_CONNECT],
				sock_read, t->err[FC_STATS_ERR_OTHER],
				t->err[FC_STATS_ERR_TIMEOUT]) < 0;
	if (t->req_retried > 0)
		bad |= fprintf(f, "  Sent again after a server close: %" PRIu64 " (reset %" PRIu64
				", closed_unanswered %" PRIu64 ")\n", t->req_retried,
				t->err[FC_STATS_ERR_RESET], t->err[FC_STATS_ERR_CLOSED]) < 0;
	if (t->status[4] + t->status[5] > 0)
		bad |= fprintf(f, "  Non-2xx or 3xx responses: %" PRIu64 "\n",
				t->status[4] + t->status[5]) < 0;
	bad |= fprintf(f, "Requests/sec: %9.2Lf\n",
			(long double)rate_of(t->req_completed, r->duration_s)) < 0;
	fmt_binary(buf, sizeof(buf), rate_of(t->bytes_rx, r->duration_s));
	bad |= fprintf(f, "Transfer/sec: %10sB\n", buf) < 0;

	/* h2load: done = finished either way; succeeded = 2xx/3xx; failed = done - succeeded
	 * (HTTP-level failures and errors); errored = errors of any kind; timeout. */
	errs = fc_stats_errors_total(t);
	done = t->req_completed + errs;
	ok2 = t->status[2] + t->status[3];
	bad |= fprintf(f, "requests: %" PRIu64 " total, %" PRIu64 " started, %" PRIu64 " done, %"
			PRIu64 " succeeded, %" PRIu64 " failed, %" PRIu64 " errored, %" PRIu64
			" timeout\n", t->req_sent, t->req_sent, done, ok2,
			done > ok2 ? done - ok2 : 0, errs, t->err[FC_STATS_ERR_TIMEOUT]) < 0;
	bad |= fprintf(f, "status codes: %" PRIu64 " 2xx, %" PRIu64 " 3xx, %" PRIu64 " 4xx, %"
			PRIu64 " 5xx\n", t->status[2], t->status[3], t->status[4], t->status[5]) < 0;
	return bad ? -EIO : 0;
}
