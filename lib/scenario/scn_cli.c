/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `flashcrowd run` flags, wrk/wrk2 style, through fc_opts. Two walks: the first finds
 * --scenario and --limits (loaded first, so that every other flag overrides the file,
 * whatever the order on the line) and reports unknown flags; the second applies the rest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc_opts.h"
#include "fc_scenario.h"
#include "scn_private.h"

enum {
	OPT_CONNECTIONS = 1,
	OPT_DURATION,
	OPT_RATE,
	OPT_THREADS,
	OPT_HEADER,
	OPT_TIMEOUT,
	OPT_CONNECT_TIMEOUT,
	OPT_LATENCY,
	OPT_RAMP_UP,
	OPT_STAGES,
	OPT_SCENARIO,
	OPT_PROFILE,
	OPT_JSON,
	OPT_HGRM,
	OPT_EAL,
	OPT_IFACE,
	OPT_LOCAL_IP,
	OPT_GATEWAY,
	OPT_LIMITS,
	OPT_ALLOW,
	OPT_THRESHOLD,
	OPT_ABORT_ON_FAIL,
	OPT_CLOSE,
	OPT_PIPELINE,
	OPT_POISSON,
	OPT_METHOD,
	OPT_BODY,
	OPT_EMBEDDED,
	OPT_MEMORY,
	OPT_THINK_TIME,
	OPT_RETRIES,
	OPT_HLOG,
	OPT_TAG,
	OPT_BASELINE,
	OPT_TOLERANCE,
};

const struct fc_opt fc_scn_run_opts[] = {
	{NULL, 0, false, 0, NULL, "Load (wrk/wrk2):\n"},
	{"connections", 'c', true, OPT_CONNECTIONS, "N", "connections to keep open (default 10)"},
	{"duration", 'd', true, OPT_DURATION, "D", "test duration: 10s, 2m, 1h (default 10s)"},
	{"rate", 'R', true, OPT_RATE, "R", "open loop at R requests/s in total (wrk2), e.g. 20k"},
	{"threads", 't', true, OPT_THREADS, "N", "client worker cores (default 1)"},
	{"header", 'H', true, OPT_HEADER, "'N: V'", "add a header to every request (repeatable)"},
	{"timeout", 0, true, OPT_TIMEOUT, "D", "request timeout (default 2s)"},
	{"connect-timeout", 0, true, OPT_CONNECT_TIMEOUT, "D", "connect timeout (default 2s)"},
	{"latency", 0, false, OPT_LATENCY, NULL, "print the detailed latency spectrum"},
	{"ramp-up", 0, true, OPT_RAMP_UP, "D", "ramp rate and connections up linearly over D"},
	{"stages", 0, true, OPT_STAGES, "LIST", "k6 stages DUR:RATE:CONN,... e.g. 10s:1000:10,20s:5000:50"},
	{"poisson", 0, false, OPT_POISSON, NULL, "Poisson arrivals instead of a constant rate"},
	{"pipeline", 0, true, OPT_PIPELINE, "N", "requests in flight per connection (1..64)"},
	{"retries", 0, true, OPT_RETRIES, "N", "send an idempotent request again, up to N times, when the server closes its connection before answering (0..10, default 2)"},
	{"close", 0, false, OPT_CLOSE, NULL, "Connection: close, one request per connection (CPS test)"},
	{"think-time", 0, true, OPT_THINK_TIME, "D", "closed loop: pause between a response and the next request"},
	{"method", 0, true, OPT_METHOD, "M", "request method (default GET)"},
	{"body", 0, true, OPT_BODY, "STR", "request body"},
	{NULL, 0, false, 0, NULL, "\nScenario, checks and output:\n"},
	{"scenario", 0, true, OPT_SCENARIO, "FILE", "JSON scenario (docs/scenarios.md); flags override it"},
	{"limits", 0, true, OPT_LIMITS, "FILE", "widen the limits envelope (the report says so)"},
	{"allow", 0, true, OPT_ALLOW, "CIDR", "allow targets in CIDR (repeatable)"},
	{"threshold", 0, true, OPT_THRESHOLD, "EXPR",
	 "e.g. 'p99 < 20ms', 'errors < 1%', 'rps > 1000' (exit 99 on failure)"},
	{"abort-on-fail", 0, false, OPT_ABORT_ON_FAIL, NULL, "stop the load as soon as a threshold fails"},
	{"json", 0, true, OPT_JSON, "FILE", "write the JSON report"},
	{"hgrm", 0, true, OPT_HGRM, "FILE", "write the HdrHistogram percentile spectrum"},
	{"hlog", 0, true, OPT_HLOG, "FILE", "write the HdrHistogram interval log (format 1.3, 1 s intervals)"},
	{"tag", 0, true, OPT_TAG, "KEY=VALUE", "label the result file's meta.tags (repeatable)"},
	{"baseline", 0, true, OPT_BASELINE, "FILE", "compare with a saved result at the end; exit 99 on a regression"},
	{"tolerance", 0, true, OPT_TOLERANCE, "SPEC", "for --baseline: 5% (default) and/or METRIC=PCT, e.g. p99=10% (metrics rps p50 p90 p99 p99.9 errors; repeatable)"},
	{NULL, 0, false, 0, NULL, "\nPlatform:\n"},
	{"profile", 0, true, OPT_PROFILE, "FILE", "port profile, e.g. drivers_cfg/af_packet.json"},
	{"iface", 0, true, OPT_IFACE, "IF", "interface for the profile's PMD"},
	{"local-ip", 0, true, OPT_LOCAL_IP, "A.B.C.D/LEN", "the appliance's own address"},
	{"gateway", 0, true, OPT_GATEWAY, "A.B.C.D", "next hop when the target is off-link"},
	{"eal", 0, true, OPT_EAL, "'...'", "EAL arguments overriding the profile's"},
	{"memory", 0, true, OPT_MEMORY, "SIZE", "mempool memory, e.g. 512Mi (default 512Mi)"},
	{"embedded", 0, false, OPT_EMBEDDED, NULL, "run against the in-process server pair (no NIC)"},
	{NULL, 0, false, 0, NULL, NULL},
};

void
fc_scenario_usage(FILE *f)
{
	const struct fc_opt *const tables[] = {fc_scn_run_opts, fc_impair_opt_table, NULL};

	fputs("Usage: flashcrowd run [options] URL\n"
	      "  URL: http://HOST[:PORT][/PATH], HOST an IPv4 address or a name (resolved once before the\n"
	      "       run, /etc/hosts and DNS; Host: keeps the name); 198.18.0.0/15 and 127.0.0.0/8 unless --allow\n\n",
	      f);
	fc_opts_help(tables, f);
	fputs("\nSuffixes: durations ns us ms s m h (bare number = seconds); counts and rates k M G;\n"
	      "sizes Ki Mi Gi Ti (1024) or k M G T (1000).\n", f);
}

int
fc_scn_parse_stages(const char *spec, struct fc_scenario *sc, struct fc_errors *errs)
{
	unsigned before = fc_errors_total(errs);
	const char *p = spec;
	unsigned n = 0;

	while (*p) {
		char item[96], orig[96], *f[3] = {NULL, NULL, NULL};
		size_t len = strcspn(p, ",");
		struct fc_stage *st;
		unsigned k = 0;
		char *q;

		if (len == 0 || len >= sizeof(item)) {
			fc_errors_add(errs, "--stages: empty or too long item at \"%.32s\"", p);
			return -EINVAL;
		}
		if (n >= FC_SCENARIO_MAX_STAGES) {
			fc_errors_add(errs, "--stages: at most %d stages", FC_SCENARIO_MAX_STAGES);
			return -EINVAL;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		memcpy(orig, item, len + 1);
		/* strsep keeps empty fields: "10s::50" sets only connections. */
		q = item;
		while (q && k < 3)
			f[k++] = strsep(&q, ":");
		st = &sc->stages[n];
		memset(st, 0, sizeof(*st));
		if (q != NULL || f[0] == NULL || fc_parse_duration(f[0], &st->duration_ns)) {
			fc_errors_add(errs, "--stages: \"%s\" is not DURATION:RATE:CONNECTIONS (e.g. 10s:1000:10)", orig);
			p += len + (p[len] == ',');
			n++;
			continue;
		}
		fc_scn_set_text(st->text_duration, f[0]);
		if (f[1] && f[1][0]) {
			if (fc_parse_rate(f[1], &st->rate))
				fc_errors_add(errs, "stages[%u].rate: \"%s\" is not a rate", n, f[1]);
			else
				fc_scn_set_text(st->text_rate, f[1]);
		}
		if (f[2] && f[2][0]) {
			uint64_t c;

			if (fc_parse_count(f[2], &c)) {
				fc_errors_add(errs, "stages[%u].connections: \"%s\" is not a count", n, f[2]);
			} else {
				st->connections = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
				fc_scn_set_text(st->text_connections, f[2]);
			}
		}
		if (!st->text_rate[0] && !st->text_connections[0])
			fc_errors_add(errs, "stages[%u]: give a rate, connections or both (\"%s\")", n, orig);
		n++;
		p += len + (p[len] == ',');
	}
	if (n == 0)
		fc_errors_add(errs, "--stages: empty");
	sc->num_stages = n;
	return fc_errors_total(errs) > before ? -EINVAL : 0;
}

static void
set_u32(struct fc_errors *e, const char *flag, const char *arg, uint32_t *dst, char *text)
{
	uint64_t v;

	if (fc_parse_count(arg, &v)) {
		fc_errors_add(e, "%s: \"%s\" is not a count (e.g. 64, 100k)", flag, arg);
		return;
	}
	*dst = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	if (text)
		fc_scn_set_text(text, arg);
}

static void
set_dur(struct fc_errors *e, const char *flag, const char *arg, uint64_t *dst, char *text)
{
	if (fc_parse_duration(arg, dst)) {
		fc_errors_add(e, "%s: \"%s\" is not a duration (e.g. 250ms, 10s, 2m, 1h)", flag, arg);
		return;
	}
	fc_scn_set_text(text, arg);
}

static void
set_path(struct fc_errors *e, const char *flag, const char *arg, char *dst, size_t len)
{
	if (!fc_scn_copy(dst, len, arg))
		fc_errors_add(e, "%s: longer than %zu bytes", flag, len - 1);
}

struct run_ctx {
	struct fc_scenario *sc;
	const char *scenario, *limits_file, *method, *body, *target;
	fc_opt_fn extra;        /* options of the other tables */
	void *extra_arg;
};

bool
fc_scn_opt_in(const struct fc_opt *table, const struct fc_opt *o)
{
	for (; table->name || table->help; table++)
		if (table == o)
			return true;
	return false;
}

/* Pass 1: the files, loaded first so every other flag overrides them whatever the order. */
static void
on_file_opt(void *arg, const struct fc_opt *o, const char *flag, const char *v, struct fc_errors *errs)
{
	struct run_ctx *x = arg;

	(void)flag;
	(void)errs;
	if (o == NULL || !fc_scn_opt_in(fc_scn_run_opts, o))
		return;
	if (o->id == OPT_SCENARIO)
		x->scenario = v;
	else if (o->id == OPT_LIMITS)
		x->limits_file = v;
}

static void
on_run_opt(void *arg, const struct fc_opt *o, const char *flag, const char *optarg,
	       struct fc_errors *errs)
{
	struct run_ctx *x = arg;
	struct fc_scenario *sc = x->sc;

	if (o == NULL) {
		/* The target URL is the last positional argument. */
		if (x->target)
			fc_errors_add(errs, "\"%s\": unexpected argument (the target URL is the last argument)",
				      x->target);
		x->target = optarg;
		return;
	}
	if (fc_impair_spec_take(&sc->impair, o, flag, optarg))
		return;
	if (!fc_scn_opt_in(fc_scn_run_opts, o)) {
		if (x->extra)
			x->extra(x->extra_arg, o, flag, optarg, errs);
		return;
	}
	switch (o->id) {
	case OPT_CONNECTIONS:
		set_u32(errs, flag, optarg, &sc->load.connections, sc->text[FC_F_CONNECTIONS]);
		break;
	case OPT_DURATION:
		set_dur(errs, flag, optarg, &sc->load.duration_ns, sc->text[FC_F_DURATION]);
		break;
	case OPT_RATE:
		if (fc_parse_rate(optarg, &sc->load.rate))
			fc_opts_bad(errs, flag, optarg, "a rate (e.g. 20000, 20k, 0.5)");
		else
			fc_scn_set_text(sc->text[FC_F_RATE], optarg);
		break;
	case OPT_THREADS:
		set_u32(errs, flag, optarg, &sc->cores, sc->text[FC_F_CORES]);
		break;
	case OPT_HEADER:
		if (fc_scn_add_header(sc->headers, &sc->num_headers, FC_SCENARIO_MAX_HEADERS, optarg))
			fc_errors_add(errs, "%s: at most %d headers", flag, FC_SCENARIO_MAX_HEADERS);
		break;
	case OPT_TIMEOUT:
		set_dur(errs, flag, optarg, &sc->request_timeout_ns, sc->text[FC_F_REQUEST_TIMEOUT]);
		break;
	case OPT_CONNECT_TIMEOUT:
		set_dur(errs, flag, optarg, &sc->connect_timeout_ns, sc->text[FC_F_CONNECT_TIMEOUT]);
		break;
	case OPT_LATENCY:
		sc->output.latency = true;
		break;
	case OPT_RAMP_UP:
		set_dur(errs, flag, optarg, &sc->load.ramp_up_ns, sc->text[FC_F_RAMP_UP]);
		break;
	case OPT_THINK_TIME:
		set_dur(errs, flag, optarg, &sc->load.think_time_ns, sc->text[FC_F_THINK_TIME]);
		break;
	case OPT_STAGES:
		fc_scn_parse_stages(optarg, sc, errs);
		break;
	case OPT_PROFILE:
		set_path(errs, flag, optarg, sc->profile_path, sizeof(sc->profile_path));
		break;
	case OPT_JSON:
		set_path(errs, flag, optarg, sc->output.json_path, sizeof(sc->output.json_path));
		break;
	case OPT_HGRM:
		set_path(errs, flag, optarg, sc->output.hgrm_path, sizeof(sc->output.hgrm_path));
		break;
	case OPT_EAL:
		set_path(errs, flag, optarg, sc->eal, sizeof(sc->eal));
		break;
	case OPT_IFACE:
		set_path(errs, flag, optarg, sc->port.iface, sizeof(sc->port.iface));
		break;
	case OPT_LOCAL_IP:
		if (strchr(optarg, '/') == NULL ||
				fc_parse_ip_prefix(optarg, &sc->port.local_ip, &sc->port.local_prefix))
			fc_opts_bad(errs, flag, optarg, "A.B.C.D/LEN");
		break;
	case OPT_GATEWAY:
		if (fc_parse_ipv4(optarg, &sc->port.gateway))
			fc_opts_bad(errs, flag, optarg, "an IPv4 address");
		break;
	case OPT_ALLOW:
		if (sc->num_allow >= FC_SCENARIO_MAX_ALLOW)
			fc_errors_add(errs, "%s: at most %d entries", flag, FC_SCENARIO_MAX_ALLOW);
		else if (fc_parse_cidr(optarg, &sc->allow[sc->num_allow].net, &sc->allow[sc->num_allow].prefix))
			fc_opts_bad(errs, flag, optarg, "an IPv4 CIDR (A.B.C.D/LEN)");
		else
			sc->num_allow++;
		break;
	case OPT_THRESHOLD: {
		char err[128];

		if (sc->num_thresholds >= FC_SCENARIO_MAX_THRESHOLDS)
			fc_errors_add(errs, "%s: at most %d thresholds", flag, FC_SCENARIO_MAX_THRESHOLDS);
		else if (fc_threshold_parse(optarg, &sc->thresholds[sc->num_thresholds], err, sizeof(err)))
			fc_errors_add(errs, "%s: \"%.64s\": %s", flag, optarg, err);
		else
			sc->num_thresholds++;
		break;
	}
	case OPT_ABORT_ON_FAIL:
		sc->abort_on_fail = true;
		break;
	case OPT_CLOSE:
		sc->load.keepalive = false;
		break;
	case OPT_PIPELINE:
		set_u32(errs, flag, optarg, &sc->load.pipeline, sc->text[FC_F_PIPELINE]);
		break;
	case OPT_RETRIES:
		set_u32(errs, flag, optarg, &sc->load.retries, sc->text[FC_F_RETRIES]);
		break;
	case OPT_HLOG:
		set_path(errs, flag, optarg, sc->output.hlog_path, sizeof(sc->output.hlog_path));
		break;
	case OPT_TAG: {
		char key[FC_SCENARIO_TAG_KEY + 1];
		const char *eq = strchr(optarg, '=');

		if (eq == NULL || eq == optarg) {
			fc_errors_add(errs, "%s: \"%.64s\" is not KEY=VALUE", flag, optarg);
		} else if ((size_t)(eq - optarg) >= sizeof(key)) {
			fc_errors_add(errs, "%s: key \"%.24s...\" is longer than the limit %d bytes",
				      flag, optarg, FC_SCENARIO_TAG_KEY - 1);
		} else {
			memcpy(key, optarg, (size_t)(eq - optarg));
			key[eq - optarg] = '\0';
			fc_scenario_add_tag(sc, key, eq + 1, flag, errs);
		}
		break;
	}
	case OPT_BASELINE:
		set_path(errs, flag, optarg, sc->baseline_path, sizeof(sc->baseline_path));
		break;
	case OPT_TOLERANCE:
		if (sc->num_tolerance >= FC_SCENARIO_MAX_TOLERANCES)
			fc_errors_add(errs, "%s: at most %d items", flag, FC_SCENARIO_MAX_TOLERANCES);
		else if (!fc_scn_copy(sc->tolerance[sc->num_tolerance], sizeof(sc->tolerance[0]), optarg))
			fc_errors_add(errs, "%s: \"%.32s...\" is longer than the limit %zu bytes", flag,
				      optarg, sizeof(sc->tolerance[0]) - 1);
		else
			sc->num_tolerance++;
		break;
	case OPT_POISSON:
		sc->load.model = FC_LOAD_POISSON;
		fc_scn_set_text(sc->text[FC_F_MODEL], "poisson");
		break;
	case OPT_METHOD:
		x->method = optarg;
		break;
	case OPT_BODY:
		x->body = optarg;
		break;
	case OPT_EMBEDDED:
		sc->embedded = true;
		break;
	case OPT_MEMORY:
		if (fc_parse_size(optarg, &sc->memory))
			fc_opts_bad(errs, flag, optarg, "a size (e.g. 512Mi, 2Gi)");
		else
			fc_scn_set_text(sc->text[FC_F_MEMORY], optarg);
		break;
	default:
		break;
	}
}

int
fc_scn_run_argv(const struct fc_opt *const *tables, int argc, char **argv, fc_opt_fn extra,
		void *extra_arg, struct fc_scenario *sc, struct fc_limits *limits,
		struct fc_errors *errs)
{
	unsigned before = fc_errors_total(errs);
	struct run_ctx x = {.sc = sc, .extra = extra, .extra_arg = extra_arg};
	int rc;

	rc = fc_opts_parse(tables, argc, argv, on_file_opt, &x, errs);
	if (rc != 0)
		return rc == FC_OPTS_HELP ? FC_SCENARIO_HELP : -EBADMSG;
	if (x.limits_file)
		fc_limits_load(x.limits_file, limits, errs);
	if (x.scenario)
		fc_scenario_load_file(x.scenario, sc, errs);
	x.scenario = x.limits_file = NULL;
	fc_opts_parse(tables, argc, argv, on_run_opt, &x, errs);

	if (x.method || x.body) {
		struct fc_scenario_request *r = &sc->requests[0];

		if (sc->num_requests > 1) {
			fc_errors_add(errs, "--method/--body: the scenario has %u requests; edit them there",
				sc->num_requests);
		} else {
			if (sc->num_requests == 0) {
				memset(r, 0, sizeof(*r));
				snprintf(r->method, sizeof(r->method), "GET");
				r->weight = 1;
				sc->num_requests = 1;
			}
			if (x.method && !fc_scn_copy(r->method, sizeof(r->method), x.method))
				fc_errors_add(errs, "--method: longer than %zu bytes", sizeof(r->method) - 1);
			if (x.body) {
				free(r->body);
				r->body = fc_scn_strdup(x.body);
				r->body_len = strlen(x.body);
			}
		}
	}
	if (x.target)
		fc_scenario_set_target(x.target, &sc->target, errs);
	return fc_errors_total(errs) > before ? -EINVAL : 0;
}

int
fc_scenario_from_argv(int argc, char **argv, struct fc_scenario *sc, struct fc_limits *limits,
		struct fc_errors *errs)
{
	const struct fc_opt *const tables[] = {fc_scn_run_opts, fc_impair_opt_table, NULL};
	int rc = fc_scn_run_argv(tables, argc, argv, NULL, NULL, sc, limits, errs);

	return rc == -EBADMSG ? -EINVAL : rc;
}
