/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `flashcrowd run` flags, wrk/wrk2 style. Two getopt_long passes: the first finds
 * --scenario and --limits (loaded first, so that every other flag overrides the file,
 * whatever the order on the line) and reports unknown flags; the second applies the rest.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc_scenario.h"
#include "scn_private.h"

enum {
	OPT_TIMEOUT = 256,
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
	OPT_RETRIES,
	OPT_POISSON,
	OPT_METHOD,
	OPT_BODY,
	OPT_EMBEDDED,
	OPT_MEMORY,
	OPT_THINK_TIME,
	OPT_HLOG,
	OPT_TAG,
	OPT_BASELINE,
	OPT_TOLERANCE,
};

static const struct option long_opts[] = {
	{"connections", required_argument, NULL, 'c'},
	{"duration", required_argument, NULL, 'd'},
	{"rate", required_argument, NULL, 'R'},
	{"threads", required_argument, NULL, 't'},
	{"header", required_argument, NULL, 'H'},
	{"help", no_argument, NULL, 'h'},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
	{"latency", no_argument, NULL, OPT_LATENCY},
	{"ramp-up", required_argument, NULL, OPT_RAMP_UP},
	{"stages", required_argument, NULL, OPT_STAGES},
	{"scenario", required_argument, NULL, OPT_SCENARIO},
	{"profile", required_argument, NULL, OPT_PROFILE},
	{"json", required_argument, NULL, OPT_JSON},
	{"hgrm", required_argument, NULL, OPT_HGRM},
	{"eal", required_argument, NULL, OPT_EAL},
	{"iface", required_argument, NULL, OPT_IFACE},
	{"local-ip", required_argument, NULL, OPT_LOCAL_IP},
	{"gateway", required_argument, NULL, OPT_GATEWAY},
	{"limits", required_argument, NULL, OPT_LIMITS},
	{"allow", required_argument, NULL, OPT_ALLOW},
	{"threshold", required_argument, NULL, OPT_THRESHOLD},
	{"abort-on-fail", no_argument, NULL, OPT_ABORT_ON_FAIL},
	{"close", no_argument, NULL, OPT_CLOSE},
	{"pipeline", required_argument, NULL, OPT_PIPELINE},
	{"retries", required_argument, NULL, OPT_RETRIES},
	{"poisson", no_argument, NULL, OPT_POISSON},
	{"method", required_argument, NULL, OPT_METHOD},
	{"body", required_argument, NULL, OPT_BODY},
	{"embedded", no_argument, NULL, OPT_EMBEDDED},
	{"memory", required_argument, NULL, OPT_MEMORY},
	{"think-time", required_argument, NULL, OPT_THINK_TIME},
	{"hlog", required_argument, NULL, OPT_HLOG},
	{"tag", required_argument, NULL, OPT_TAG},
	{"baseline", required_argument, NULL, OPT_BASELINE},
	{"tolerance", required_argument, NULL, OPT_TOLERANCE},
	{NULL, 0, NULL, 0},
};

static const char short_opts[] = ":c:d:R:t:H:h";

void
fc_scenario_usage(FILE *f)
{
	fputs(
"Usage: flashcrowd run [options] URL\n"
"  URL: http://HOST[:PORT][/PATH], HOST an IPv4 address or a name (resolved once before the\n"
"       run, /etc/hosts and DNS; Host: keeps the name); 198.18.0.0/15 and 127.0.0.0/8 unless --allow\n"
"\n"
"Load (wrk/wrk2):\n"
"  -c, --connections N      connections to keep open (default 10)\n"
"  -d, --duration D         test duration: 10s, 2m, 1h (default 10s)\n"
"  -R, --rate R             open loop at R requests/s in total (wrk2), e.g. 20k\n"
"  -t, --threads N          client worker cores (default 1)\n"
"  -H, --header 'N: V'      add a header to every request (repeatable)\n"
"      --timeout D          request timeout (default 2s)\n"
"      --connect-timeout D  connect timeout (default 2s)\n"
"      --latency            print the detailed latency spectrum\n"
"      --ramp-up D          ramp rate and connections up linearly over D\n"
"      --stages LIST        k6 stages DUR:RATE:CONN,... e.g. 10s:1000:10,20s:5000:50\n"
"      --poisson            Poisson arrivals instead of a constant rate\n"
"      --pipeline N         requests in flight per connection (1..64)\n"
"      --retries N          send an idempotent request again, up to N times, when the\n"
"                           server closes its connection before answering (0..10, 2)\n"
"      --close              Connection: close, one request per connection (CPS test)\n"
"      --think-time D       closed loop: pause between a response and the next request\n"
"      --method M           request method (default GET)\n"
"      --body STR           request body\n"
"\n"
"Scenario, checks and output:\n"
"      --scenario FILE      JSON scenario (docs/scenarios.md); flags override it\n"
"      --limits FILE        widen the limits envelope (the report says so)\n"
"      --allow CIDR         allow targets in CIDR (repeatable)\n"
"      --threshold EXPR     e.g. 'p99 < 20ms', 'errors < 1%', 'rps > 1000' (exit 99 on failure)\n"
"      --abort-on-fail      stop the load as soon as a threshold fails\n"
"      --json FILE          write the JSON report\n"
"      --hgrm FILE          write the HdrHistogram percentile spectrum\n"
"      --hlog FILE          write the HdrHistogram interval log (format 1.3, 1 s intervals)\n"
"      --tag KEY=VALUE      label the result file's meta.tags (repeatable)\n"
"      --baseline FILE      compare with a saved result at the end; exit 99 on a regression\n"
"      --tolerance SPEC     for --baseline: 5% (default) and/or METRIC=PCT, e.g. p99=10%\n"
"                           (metrics rps p50 p90 p99 p99.9 errors; repeatable)\n"
"\n"
"Platform:\n"
"      --profile FILE       port profile, e.g. drivers_cfg/af_packet.json\n"
"      --iface IF           interface for the profile's PMD\n"
"      --local-ip A.B.C.D/LEN  the appliance's own address\n"
"      --gateway A.B.C.D    next hop when the target is off-link\n"
"      --eal '...'          EAL arguments overriding the profile's\n"
"      --memory SIZE        mempool memory, e.g. 512Mi (default 512Mi)\n"
"      --embedded           run against the in-process server pair (no NIC)\n"
"  -h, --help               this text\n"
"\n"
"Suffixes: durations ns us ms s m h (bare number = seconds); counts and rates k M G;\n"
"sizes Ki Mi Gi Ti (1024) or k M G T (1000).\n", f);
}

static const char *
opt_name(int c, char *buf, size_t len)
{
	const struct option *o;

	for (o = long_opts; o->name; o++) {
		if (o->val == c) {
			if (c < 256)
				snprintf(buf, len, "-%c/--%s", c, o->name);
			else
				snprintf(buf, len, "--%s", o->name);
			return buf;
		}
	}
	snprintf(buf, len, "-%c", c);
	return buf;
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

int
fc_scenario_from_argv(int argc, char **argv, struct fc_scenario *sc, struct fc_limits *limits,
		struct fc_errors *errs)
{
	unsigned before = fc_errors_total(errs);
	const char *scenario = NULL, *limits_file = NULL, *method = NULL, *body = NULL;
	char name[48];
	int c, idx;

	/* Pass 1: --scenario, --limits, --help, and every syntax error. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, &idx)) != -1) {
		switch (c) {
		case 'h':
			return FC_SCENARIO_HELP;
		case OPT_SCENARIO:
			scenario = optarg;
			break;
		case OPT_LIMITS:
			limits_file = optarg;
			break;
		case ':':
			fc_errors_add(errs, "%s: missing value", optopt ? opt_name(optopt, name, sizeof(name)) : argv[optind - 1]);
			break;
		case '?':
			if (optopt)
				fc_errors_add(errs, "-%c: unknown flag (see --help)", optopt);
			else
				fc_errors_add(errs, "%s: unknown flag (see --help)", argv[optind - 1]);
			break;
		default:
			break;
		}
	}
	if (fc_errors_total(errs) > before)
		return -EINVAL;
	if (limits_file)
		fc_limits_load(limits_file, limits, errs);
	if (scenario)
		fc_scenario_load_file(scenario, sc, errs);

	/* Pass 2: every other flag, overriding the file. */
	optind = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, &idx)) != -1) {
		const char *flag = opt_name(c, name, sizeof(name));

		switch (c) {
		case 'c':
			set_u32(errs, flag, optarg, &sc->load.connections, sc->text[FC_F_CONNECTIONS]);
			break;
		case 'd':
			set_dur(errs, flag, optarg, &sc->load.duration_ns, sc->text[FC_F_DURATION]);
			break;
		case 'R':
			if (fc_parse_rate(optarg, &sc->load.rate))
				fc_errors_add(errs, "%s: \"%s\" is not a rate (e.g. 20000, 20k, 0.5)", flag, optarg);
			else
				fc_scn_set_text(sc->text[FC_F_RATE], optarg);
			break;
		case 't':
			set_u32(errs, flag, optarg, &sc->cores, sc->text[FC_F_CORES]);
			break;
		case 'H':
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
		case OPT_EAL:
			set_path(errs, flag, optarg, sc->eal, sizeof(sc->eal));
			break;
		case OPT_IFACE:
			set_path(errs, flag, optarg, sc->port.iface, sizeof(sc->port.iface));
			break;
		case OPT_LOCAL_IP:
			if (strchr(optarg, '/') == NULL ||
					fc_parse_ip_prefix(optarg, &sc->port.local_ip, &sc->port.local_prefix))
				fc_errors_add(errs, "%s: \"%s\" is not A.B.C.D/LEN", flag, optarg);
			break;
		case OPT_GATEWAY:
			if (fc_parse_ipv4(optarg, &sc->port.gateway))
				fc_errors_add(errs, "%s: \"%s\" is not an IPv4 address", flag, optarg);
			break;
		case OPT_ALLOW:
			if (sc->num_allow >= FC_SCENARIO_MAX_ALLOW)
				fc_errors_add(errs, "%s: at most %d entries", flag, FC_SCENARIO_MAX_ALLOW);
			else if (fc_parse_cidr(optarg, &sc->allow[sc->num_allow].net, &sc->allow[sc->num_allow].prefix))
				fc_errors_add(errs, "%s: \"%s\" is not an IPv4 CIDR (A.B.C.D/LEN)", flag, optarg);
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
		case OPT_POISSON:
			sc->load.model = FC_LOAD_POISSON;
			fc_scn_set_text(sc->text[FC_F_MODEL], "poisson");
			break;
		case OPT_METHOD:
			method = optarg;
			break;
		case OPT_BODY:
			body = optarg;
			break;
		case OPT_EMBEDDED:
			sc->embedded = true;
			break;
		case OPT_MEMORY:
			if (fc_parse_size(optarg, &sc->memory))
				fc_errors_add(errs, "%s: \"%s\" is not a size (e.g. 512Mi, 2Gi)", flag, optarg);
			else
				fc_scn_set_text(sc->text[FC_F_MEMORY], optarg);
			break;
		default:
			break;
		}
	}

	if (method || body) {
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
			if (method && !fc_scn_copy(r->method, sizeof(r->method), method))
				fc_errors_add(errs, "--method: longer than %zu bytes", sizeof(r->method) - 1);
			if (body) {
				free(r->body);
				r->body = fc_scn_strdup(body);
				r->body_len = strlen(body);
			}
		}
	}

	if (optind < argc) {
		int i;

		for (i = optind; i < argc - 1; i++)
			fc_errors_add(errs, "\"%s\": unexpected argument (the target URL is the last argument)", argv[i]);
		fc_scenario_set_target(argv[argc - 1], &sc->target, errs);
	}
	return fc_errors_total(errs) > before ? -EINVAL : 0;
}
