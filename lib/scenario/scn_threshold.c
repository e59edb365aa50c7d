/* SPDX-License-Identifier: BSD-3-Clause */
/* Threshold expressions (k6 style): parsed at load time, evaluated by the control core. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc_scenario.h"
#include "scn_private.h"

static void
seterr(char *err, size_t len, const char *msg)
{
	if (err && len)
		snprintf(err, len, "%s", msg);
}

int
fc_threshold_parse(const char *expr, struct fc_threshold *th, char *err, size_t errlen)
{
	char metric[32], value[32];
	const char *p = expr, *s;
	size_t n;

	memset(th, 0, sizeof(*th));
	if (!fc_scn_copy(th->expr, sizeof(th->expr), expr)) {
		seterr(err, errlen, "longer than 63 bytes");
		return -EINVAL;
	}
	while (*p == ' ')
		p++;
	s = p;
	while (isalnum((unsigned char)*p) || *p == '.' || *p == '_')
		p++;
	n = (size_t)(p - s);
	if (n == 0 || n >= sizeof(metric)) {
		seterr(err, errlen, "expected METRIC OP VALUE, e.g. \"p99 < 20ms\", \"errors < 1%\", \"rps > 1000\"");
		return -EINVAL;
	}
	memcpy(metric, s, n);
	metric[n] = '\0';
	while (*p == ' ')
		p++;
	if (p[0] == '<' && p[1] == '=') {
		th->op = FC_TH_LE;
		p += 2;
	} else if (p[0] == '>' && p[1] == '=') {
		th->op = FC_TH_GE;
		p += 2;
	} else if (p[0] == '<') {
		th->op = FC_TH_LT;
		p++;
	} else if (p[0] == '>') {
		th->op = FC_TH_GT;
		p++;
	} else {
		seterr(err, errlen, "expected an operator <, <=, > or >= after the metric");
		return -EINVAL;
	}
	while (*p == ' ')
		p++;
	n = strlen(p);
	while (n && p[n - 1] == ' ')
		n--;
	if (n == 0 || n >= sizeof(value)) {
		seterr(err, errlen, "expected a value after the operator");
		return -EINVAL;
	}
	memcpy(value, p, n);
	value[n] = '\0';

	if (metric[0] == 'p' && isdigit((unsigned char)metric[1])) {
		char *end;
		double pct = strtod(metric + 1, &end);

		if (*end != '\0' || !(pct > 0 && pct <= 100)) {
			seterr(err, errlen, "percentile must be p0.001..p100 (e.g. p50, p99, p99.9)");
			return -EINVAL;
		}
		th->metric = FC_TH_PERCENTILE;
		th->percentile = pct;
	} else if (strcmp(metric, "mean") == 0 || strcmp(metric, "avg") == 0) {
		th->metric = FC_TH_MEAN;
	} else if (strcmp(metric, "min") == 0) {
		th->metric = FC_TH_MIN;
	} else if (strcmp(metric, "max") == 0) {
		th->metric = FC_TH_MAX;
	} else if (strcmp(metric, "errors") == 0) {
		th->metric = FC_TH_ERRORS;
	} else if (strcmp(metric, "rps") == 0) {
		th->metric = FC_TH_RPS;
	} else {
		seterr(err, errlen, "unknown metric (pNN, mean, avg, min, max, errors, rps)");
		return -EINVAL;
	}

	switch (th->metric) {
	case FC_TH_ERRORS: {
		double v;

		if (value[n - 1] == '%') {
			value[n - 1] = '\0';
			if (fc_parse_rate(value, &v) || v > 100) {
				seterr(err, errlen, "errors: expected a percentage 0..100% or a count");
				return -EINVAL;
			}
			th->percent = true;
			th->value = v / 100.0;
		} else {
			uint64_t c;

			if (fc_parse_count(value, &c)) {
				seterr(err, errlen, "errors: expected a percentage (\"1%\") or a count (\"10\")");
				return -EINVAL;
			}
			th->value = (double)c;
		}
		break;
	}
	case FC_TH_RPS:
		if (fc_parse_rate(value, &th->value)) {
			seterr(err, errlen, "rps: expected a rate (\"1000\", \"10k\")");
			return -EINVAL;
		}
		break;
	default: {
		uint64_t ns;

		/* A latency needs its unit: "p99 < 20" would silently mean 20 s. */
		if (!isalpha((unsigned char)value[n - 1]) || fc_parse_duration(value, &ns)) {
			seterr(err, errlen, "latency: expected a duration with a unit (\"20ms\", \"500us\", \"1.5s\")");
			return -EINVAL;
		}
		th->value = (double)ns;
		break;
	}
	}
	return 0;
}

static char *
fmt_latency(double ns, char *buf, size_t len)
{
	if (ns >= 1e9)
		snprintf(buf, len, "%.3fs", ns / 1e9);
	else if (ns >= 1e6)
		snprintf(buf, len, "%.3fms", ns / 1e6);
	else if (ns >= 1e3)
		snprintf(buf, len, "%.3fus", ns / 1e3);
	else
		snprintf(buf, len, "%.0fns", ns);
	return buf;
}

int
fc_threshold_eval(const struct fc_threshold *th, const struct fc_metrics *m, char *msg, size_t msglen)
{
	char actual[48];
	double v;
	bool ok;

	switch (th->metric) {
	case FC_TH_PERCENTILE:
		if (m->percentile == NULL) {
			if (msg && msglen)
				snprintf(msg, msglen, "%s: no latency data", th->expr);
			return -EINVAL;
		}
		v = (double)m->percentile(m->ctx, th->percentile);
		fmt_latency(v, actual, sizeof(actual));
		break;
	case FC_TH_MEAN:
		v = m->mean_ns;
		fmt_latency(v, actual, sizeof(actual));
		break;
	case FC_TH_MIN:
		v = (double)m->min_ns;
		fmt_latency(v, actual, sizeof(actual));
		break;
	case FC_TH_MAX:
		v = (double)m->max_ns;
		fmt_latency(v, actual, sizeof(actual));
		break;
	case FC_TH_ERRORS:
		if (th->percent) {
			v = m->requests ? (double)m->errors / (double)m->requests : 0.0;
			snprintf(actual, sizeof(actual), "%.3f%%", v * 100.0);
		} else {
			v = (double)m->errors;
			snprintf(actual, sizeof(actual), "%.0f", v);
		}
		break;
	case FC_TH_RPS:
	default:
		v = m->rps;
		snprintf(actual, sizeof(actual), "%.1f", v);
		break;
	}
	switch (th->op) {
	case FC_TH_LT:
		ok = v < th->value;
		break;
	case FC_TH_LE:
		ok = v <= th->value;
		break;
	case FC_TH_GT:
		ok = v > th->value;
		break;
	case FC_TH_GE:
	default:
		ok = v >= th->value;
		break;
	}
	if (msg && msglen)
		snprintf(msg, msglen, "%s: %s, %s", th->expr, actual, ok ? "ok" : "failed");
	return ok ? 1 : 0;
}
