/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `flashcrowd replay` options. One table for both modes; an option of the other mode is
 * refused by name rather than as unknown, so `--pps` without `--raw` says what it needs.
 * Each regex and header is checked here, so the message names its option.
 */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "fc_replay_conf.h"
#include "scn_private.h"

enum {
	R_RAW = 1, R_PCAP, R_SPEED, R_LOOP, R_RATE, R_MAX_WAIT, R_ALLOW_URL, R_DENY_URL,
	R_ALLOW_METHOD, R_SET_HEADER, R_ORIGINAL_HOST, R_MAP_PORT,
	/* raw only, from here */
	R_PPS, R_TOPSPEED, R_DST_MAC, R_NEXT_HOP, R_MAP_IP,
	R_JSON, R_PROFILE, R_IFACE, R_LOCAL_IP, R_GATEWAY, R_EAL,
};

static const struct fc_opt replay_opts[] = {
	{NULL, 0, false, 0, NULL, "Replay options:\n"},
	{"pcap", 0, true, R_PCAP, "FILE", "capture (pcap or pcapng; Ethernet, VLAN, SLL/SLL2, raw IP)"},
	{"speed", 0, true, R_SPEED, "N|xN", "time scale: 2 replays twice as fast (0.001..1000, default 1)"},
	{"rate", 0, true, R_RATE, "R", "fixed rate in requests/s instead of the captured timing"},
	{"loop", 0, true, R_LOOP, "N", "replay the capture N times (1..1000)"},
	{"max-wait", 0, true, R_MAX_WAIT, "D", "cap every idle gap at D (1ms..1h), e.g. 1s"},
	{"allow-url", 0, true, R_ALLOW_URL, "RE", "keep only requests whose target matches RE (repeatable)"},
	{"deny-url", 0, true, R_DENY_URL, "RE", "drop requests whose target matches RE (repeatable; wins)"},
	{"allow-method", 0, true, R_ALLOW_METHOD, "M", "keep only these methods (repeatable)"},
	{"set-header", 0, true, R_SET_HEADER, "'H: v'", "replace or add a header (repeatable)"},
	{"original-host", 0, false, R_ORIGINAL_HOST, NULL, "keep the captured Host (default: the target's)"},
	{"map-port", 0, true, R_MAP_PORT, "FROM:TO", "connections to captured server port FROM go to port TO"},
	{NULL, 0, false, 0, NULL,
	 "\nRaw packet mode: the captured Ethernet frames as they are, source MAC = the port's,\n"
	 "IPv4 addresses mapped, IPv4/TCP/UDP checksums recomputed (--pcap, --speed, --loop too):\n"},
	{"raw", 0, false, R_RAW, NULL, "replay packets, not HTTP requests"},
	{"pps", 0, true, R_PPS, "R", "fixed packet rate instead of the captured timing"},
	{"topspeed", 0, false, R_TOPSPEED, NULL, "as fast as the port takes them"},
	{"dst-mac", 0, true, R_DST_MAC, "MAC", "destination MAC of every frame"},
	{"next-hop", 0, true, R_NEXT_HOP, "A.B.C.D", "or: ARP-resolve this host for it"},
	{"map-ip", 0, true, R_MAP_IP, "A=B", "rewrite IPv4 address A to B (repeatable)"},
	{NULL, 0, false, 0, NULL, NULL},
};

/* Port options of --raw: it has no target URL, so it does not take `run`'s. */
static const struct fc_opt raw_port_opts[] = {
	{NULL, 0, false, 0, NULL, "  with --profile P --iface IF --local-ip A/LEN [--gateway A] [--eal '...'] [--json FILE]\n"},
	{"json", 0, true, R_JSON, "FILE", NULL},
	{"profile", 0, true, R_PROFILE, "FILE", NULL},
	{"iface", 0, true, R_IFACE, "IF", NULL},
	{"local-ip", 0, true, R_LOCAL_IP, "A.B.C.D/LEN", NULL},
	{"gateway", 0, true, R_GATEWAY, "A.B.C.D", NULL},
	{"eal", 0, true, R_EAL, "'...'", NULL},
	{NULL, 0, false, 0, NULL, NULL},
};

void
fc_replay_usage(FILE *f)
{
	const struct fc_opt *const tables[] = {replay_opts, raw_port_opts, NULL};

	fputs("Usage: flashcrowd replay --pcap FILE [options] URL\n"
	      "  Replays the HTTP requests of a capture against URL (http://HOST[:PORT]/, HOST an IPv4\n"
	      "  address or a name resolved once before the replay; Host: becomes HOST): each\n"
	      "  captured connection becomes one new connection, its requests in their original order\n"
	      "  and timing (keep-alive and pipelining kept). See docs/replay.md.\n\n", f);
	fc_opts_help(tables, f);
	fputs("\nPort, target and report options as `flashcrowd run`: --profile, --iface, --local-ip,\n"
	      "--gateway, --eal, --embedded, --allow, -t, --timeout, --connect-timeout, --json, --hgrm,\n"
	      "--impair, --impair-rx, --impair-tx.\n", f);
}

struct replay_ctx {
	struct fc_replay_conf *c;
	bool lists_full[4];
	unsigned given[4];
};

static bool
parse_double(const char *s, double *out)
{
	char *end;

	if (s == NULL || *s == '\0')
		return false;
	*out = strtod(s, &end);
	return *end == '\0' && isfinite(*out);
}

static bool
valid_method(const char *m)
{
	size_t n = strlen(m);

	if (n == 0 || n > 15)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((m[i] >= 'A' && m[i] <= 'Z') || (m[i] >= 'a' && m[i] <= 'z') || m[i] == '-' ||
		      m[i] == '_'))
			return false;
	return true;
}

static void
check_regex(const char *flag, const char *v, struct fc_errors *errs)
{
	regex_t re;
	char msg[128];
	int rc = regcomp(&re, v, REG_EXTENDED | REG_NOSUB);

	if (rc != 0) {
		regerror(rc, &re, msg, sizeof(msg));
		fc_errors_add(errs, "%s: '%s' is not a POSIX extended regex: %s", flag, v, msg);
	} else {
		regfree(&re);
	}
}

/* Append to one of the plan's lists, counting what does not fit. */
static void
list_add(struct replay_ctx *x, unsigned k, const char **list, unsigned *n, const char *v)
{
	x->given[k]++;
	if (*n < FC_REPLAY_MAX_LIST)
		list[(*n)++] = v;
}

static void
map_port(struct fc_replay_conf *c, const char *flag, const char *v, struct fc_errors *errs)
{
	unsigned long a, b;
	char *e1, *e2 = NULL;

	a = strtoul(v, &e1, 10);
	b = *e1 == ':' && e1 != v ? strtoul(e1 + 1, &e2, 10) : 0;
	if (*e1 != ':' || e1 == v || *e2 != '\0' || e2 == e1 + 1)
		fc_errors_add(errs, "%s: '%s' is not FROM:TO (e.g. 80:8080)", flag, v);
	else if (a < 1 || a > 65535 || b < 1 || b > 65535)
		fc_errors_add(errs, "%s: '%s': ports must be 1..65535", flag, v);
	else if (c->plan.num_port_map >= FC_REPLAY_MAX_LIST)
		fc_errors_add(errs, "%s: given more than %d times", flag, FC_REPLAY_MAX_LIST);
	else
		c->plan.port_map[c->plan.num_port_map++] =
			(struct fc_replay_port_map){.from = (uint16_t)a, .to = (uint16_t)b};
}

static void
map_ip(struct fc_replay_conf *c, const char *flag, const char *v, struct fc_errors *errs)
{
	char a[64];
	const char *eq = strchr(v, '=');
	struct fc_pcap_ip_map *m = &c->map_ip[c->num_map_ip];

	if (c->num_map_ip >= FC_REPLAY_MAX_LIST) {
		fc_errors_add(errs, "%s: given more than %d times", flag, FC_REPLAY_MAX_LIST);
		return;
	}
	if (eq == NULL || (size_t)(eq - v) >= sizeof(a)) {
		fc_errors_add(errs, "%s: '%s' is not A.B.C.D=W.X.Y.Z", flag, v);
		return;
	}
	memcpy(a, v, (size_t)(eq - v));
	a[eq - v] = '\0';
	if (fc_parse_ipv4(a, &m->from) != 0 || fc_parse_ipv4(eq + 1, &m->to) != 0)
		fc_errors_add(errs, "%s: '%s' is not A.B.C.D=W.X.Y.Z", flag, v);
	else
		c->num_map_ip++;
}

static void
on_opt(void *arg, const struct fc_opt *o, const char *flag, const char *v, struct fc_errors *errs)
{
	struct replay_ctx *x = arg;
	struct fc_replay_conf *c = x->c;
	uint64_t n;

	if (o == NULL) {
		fc_errors_add(errs, "%s: not an option of replay --raw", v);
		return;
	}
	if (!c->raw && o->id >= R_PPS) {
		fc_errors_add(errs, "%s: only with --raw", flag);
		return;
	}
	if (c->raw && o->id >= R_RATE && o->id <= R_MAP_PORT) {
		fc_errors_add(errs, "%s: not an option of replay --raw", flag);
		return;
	}
	switch (o->id) {
	case R_PCAP:
		c->pcap = v;
		break;
	case R_SPEED: {
		const char *num = (v[0] == 'x' || v[0] == 'X') ? v + 1 : v;

		if (!parse_double(num, &c->speed))
			fc_errors_add(errs, "%s: '%s' is not a number (e.g. 2 or x2)", flag, v);
		else if (c->speed < FC_REPLAY_SPEED_MIN)
			fc_errors_add(errs, "%s: %s is below the limit %g", flag, v, FC_REPLAY_SPEED_MIN);
		else if (c->speed > FC_REPLAY_SPEED_MAX)
			fc_errors_add(errs, "%s: %s is above the limit %g", flag, v, FC_REPLAY_SPEED_MAX);
		break;
	}
	case R_RATE:
		if (fc_parse_rate(v, &c->rate) != 0)
			fc_errors_add(errs, "%s: '%s' is not a rate in requests/s (e.g. 500, 20k)", flag, v);
		else if (c->rate < FC_REPLAY_RATE_MIN)
			fc_errors_add(errs, "%s: %s is below the limit %g", flag, v, FC_REPLAY_RATE_MIN);
		else if (c->rate > FC_REPLAY_RATE_MAX)
			fc_errors_add(errs, "%s: %s is above the limit %g", flag, v, FC_REPLAY_RATE_MAX);
		break;
	case R_PPS:
		if (fc_parse_rate(v, &c->pps) != 0)
			fc_errors_add(errs, "%s: '%s' is not a packet rate (e.g. 1000, 50k)", flag, v);
		else if (c->pps < 1)
			fc_errors_add(errs, "%s: %s is below the limit 1", flag, v);
		else if (c->pps > FC_REPLAY_PPS_MAX)
			fc_errors_add(errs, "%s: %s is above the limit %g", flag, v, FC_REPLAY_PPS_MAX);
		break;
	case R_LOOP:
		if (fc_parse_count(v, &n) != 0)
			fc_errors_add(errs, "%s: '%s' is not a count", flag, v);
		else if (n < 1)
			fc_errors_add(errs, "%s: %s is below the limit 1", flag, v);
		else if (n > FC_REPLAY_LOOP_MAX)
			fc_errors_add(errs, "%s: %s is above the limit %u", flag, v, FC_REPLAY_LOOP_MAX);
		else
			c->loops = (uint32_t)n;
		break;
	case R_MAX_WAIT:
		if (fc_parse_duration(v, &c->max_wait_ns) != 0)
			fc_errors_add(errs, "%s: '%s' is not a duration (e.g. 1s, 250ms)", flag, v);
		else if (c->max_wait_ns < 1000000ull)
			fc_errors_add(errs, "%s: %s is below the limit 1ms", flag, v);
		else if (c->max_wait_ns > 3600ull * 1000000000ull)
			fc_errors_add(errs, "%s: %s is above the limit 1h", flag, v);
		break;
	case R_ALLOW_URL:
		check_regex(flag, v, errs);
		list_add(x, 0, c->plan.allow_url, &c->plan.num_allow_url, v);
		break;
	case R_DENY_URL:
		check_regex(flag, v, errs);
		list_add(x, 1, c->plan.deny_url, &c->plan.num_deny_url, v);
		break;
	case R_ALLOW_METHOD:
		if (!valid_method(v))
			fc_errors_add(errs, "%s: '%s' is not an HTTP method token (letters, 1 to 15)", flag, v);
		list_add(x, 2, c->plan.allow_method, &c->plan.num_allow_method, v);
		break;
	case R_SET_HEADER: {
		const char *colon = strchr(v, ':');

		if (colon == NULL || colon == v || strpbrk(v, "\r\n") != NULL ||
		    strcspn(v, " \t") < (size_t)(colon - v))
			fc_errors_add(errs, "%s: '%s' is not 'Name: value'", flag, v);
		list_add(x, 3, c->plan.set_header, &c->plan.num_set_header, v);
		break;
	}
	case R_ORIGINAL_HOST:
		c->plan.original_host = true;
		break;
	case R_MAP_PORT:
		map_port(c, flag, v, errs);
		break;
	case R_TOPSPEED:
		c->topspeed = true;
		break;
	case R_DST_MAC: {
		unsigned char *m = c->dst_mac;
		char end;

		if (sscanf(v, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%c", &m[0], &m[1], &m[2], &m[3],
			   &m[4], &m[5], &end) != 6)
			fc_errors_add(errs, "%s: '%s' is not a MAC address (aa:bb:cc:dd:ee:ff)", flag, v);
		else
			c->have_dst_mac = true;
		break;
	}
	case R_NEXT_HOP:
		if (fc_parse_ipv4(v, &c->next_hop) != 0 || c->next_hop == 0)
			fc_errors_add(errs, "%s: '%s' is not an IPv4 address", flag, v);
		break;
	case R_MAP_IP:
		map_ip(c, flag, v, errs);
		break;
	case R_JSON:
		c->json = v;
		break;
	case R_PROFILE:
		c->profile = v;
		break;
	case R_IFACE:
		c->iface = v;
		break;
	case R_LOCAL_IP:
		if (strchr(v, '/') == NULL || fc_parse_ip_prefix(v, &c->local_ip, &c->local_prefix) != 0)
			fc_errors_add(errs, "%s: '%s' is not A.B.C.D/LEN", flag, v);
		break;
	case R_GATEWAY:
		if (fc_parse_ipv4(v, &c->gateway) != 0)
			fc_errors_add(errs, "%s: '%s' is not an IPv4 address", flag, v);
		break;
	case R_EAL:
		c->eal = v;
		break;
	default:
		break;
	}
}

static void
check_lists(const struct replay_ctx *x, struct fc_errors *errs)
{
	static const char *const names[] = {"allow-url", "deny-url", "allow-method", "set-header"};

	for (unsigned k = 0; k < 4; k++)
		if (x->given[k] > FC_REPLAY_MAX_LIST)
			fc_errors_add(errs, "--%s: given %u times, above the limit %d", names[k],
				      x->given[k], FC_REPLAY_MAX_LIST);
}

static int
raw_from_argv(int argc, char **argv, struct replay_ctx *x, struct fc_errors *errs)
{
	const struct fc_opt *const tables[] = {replay_opts, raw_port_opts, NULL};
	struct fc_replay_conf *c = x->c;
	int rc = fc_opts_parse(tables, argc, argv, on_opt, x, errs);

	if (rc == FC_OPTS_HELP)
		return FC_SCENARIO_HELP;
	if (c->topspeed && c->pps > 0)
		fc_errors_add(errs, "--topspeed: not with --pps");
	if (c->next_hop == 0 && !c->have_dst_mac)
		fc_errors_add(errs, "--dst-mac or --next-hop: one is needed (the destination MAC of every frame)");
	if (c->profile == NULL)
		fc_errors_add(errs, "--profile: missing (--raw sends on a port: one of drivers_cfg/*.json)");
	if (c->iface == NULL)
		fc_errors_add(errs, "--iface: missing");
	if (c->local_ip == 0)
		fc_errors_add(errs, "--local-ip: missing (the appliance's own address, A.B.C.D/LEN, for ARP)");
	return 0;
}

int
fc_replay_conf_from_argv(int argc, char **argv, struct fc_replay_conf *c, struct fc_errors *errs)
{
	const struct fc_opt *const tables[] = {replay_opts, fc_scn_run_opts, fc_impair_opt_table, NULL};
	unsigned before = fc_errors_total(errs);
	struct replay_ctx x = {.c = c};
	int rc;

	memset(c, 0, sizeof(*c));
	fc_scenario_init(&c->sc);
	fc_limits_default(&c->limits);
	fc_replay_opts_default(&c->plan);
	c->speed = 1;
	c->loops = 1;
	/* The mode decides which options exist, so it is looked up before the walk. */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		c->raw |= strcmp(argv[i], "--raw") == 0;
	if (c->raw)
		rc = raw_from_argv(argc, argv, &x, errs);
	else
		rc = fc_scn_run_argv(tables, argc, argv, on_opt, &x, &c->sc, &c->limits, errs);
	if (rc == FC_SCENARIO_HELP)
		return rc;
	c->plan.speed = c->speed;
	c->plan.max_wait_ns = c->max_wait_ns;
	/* After a syntax error nothing was applied: what is missing is unknown. */
	if (rc == -EBADMSG)
		return -EINVAL;
	check_lists(&x, errs);
	if (c->pcap == NULL)
		fc_errors_add(errs, "--pcap: missing (the capture file to replay, pcap or pcapng)");
	if (!c->raw) {
		/* Validated even after errors, so every mistake is reported in one pass. */
		fc_scenario_validate(&c->sc, &c->limits, errs);
	}
	return fc_errors_total(errs) > before ? -EINVAL : 0;
}

void
fc_replay_conf_free(struct fc_replay_conf *c)
{
	fc_scenario_free(&c->sc);
}
