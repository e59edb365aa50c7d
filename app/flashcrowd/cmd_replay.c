/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `flashcrowd replay --pcap FILE [options] URL`: captured HTTP traffic replayed against a
 * target over our own TCP, one new connection per original connection, with the captured
 * order, pipelining and timing (scaled), and a report that adds the extraction counts,
 * the schedule lag and a response diff against the capture to everything `run` reports.
 *
 * Order of work, as `run`: parse and check every option (exit 2 before any packet), read
 * the capture into a plan (lib/pcap), bring up the port, ARP-resolve the next hop, launch
 * the client workers with the replay request source (replay_src.c), let the control core
 * drive, drain and close, report.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "cli_util.h"
#include "fc_clock.h"
#include "commands.h"
#include "fc_control.h"
#include "fc_engine.h"
#include "fc_pcap.h"
#include "fc_scenario.h"
#include "impair_opts.h"
#include "pair.h"
#include "run_common.h"
#include "fc_replay_source.h"

#define ARP_WAIT_NS 4000000000ull
#define LEAD_NS 20000000ull             /* connections open this long before their first request */
#define SPEED_MIN 0.001
#define SPEED_MAX 1000.0
#define LOOP_MAX 1000u
#define MAX_WAIT_MIN_NS 1000000ull
#define MAX_WAIT_MAX_NS (3600ull * 1000000000ull)
#define RATE_MIN 0.1
#define RATE_MAX 100000.0
#define RESULTS_MAX (64ull << 20)       /* status entries kept for the diff (2 bytes each) */
#define TOP_PATHS 5
#define SKIP_EXAMPLES 5

/* ------------------------------------------------------------------------------------ */
/* Options                                                                               */
/* ------------------------------------------------------------------------------------ */

struct replay_opts {
	const char *pcap;
	double speed;
	double rate;            /* 0 = captured timing */
	uint32_t loops;
	uint64_t max_wait_ns;
	struct fc_replay_opts ro;
};

/*
 * Remove every occurrence of --NAME (with a value, "--NAME V" or "--NAME=V", or a flag)
 * from argv and store the values. Returns the number found; *missing is set when one had
 * no value.
 */
static unsigned
take_all(int *argc, char **argv, const char *name, bool has_value, const char **vals,
	 unsigned max, unsigned *dropped, bool *missing)
{
	size_t len = strlen(name);
	unsigned n = 0;
	int out = 0;

	for (int i = 0; i < *argc; i++) {
		const char *a = argv[i], *v = NULL;
		bool hit = false;

		if (i > 0 && strncmp(a, "--", 2) == 0 && strncmp(a + 2, name, len) == 0) {
			if (a[2 + len] == '\0') {
				hit = true;
				if (has_value) {
					if (i + 1 < *argc)
						v = argv[++i];
					else
						*missing = true;
				} else {
					v = "";
				}
			} else if (a[2 + len] == '=' && has_value) {
				hit = true;
				v = a + 3 + len;
			}
		}
		if (!hit) {
			argv[out++] = argv[i];
			continue;
		}
		if (v == NULL)
			continue;
		if (n < max)
			vals[n++] = v;
		else
			(*dropped)++;
	}
	*argc = out;
	argv[out] = NULL;
	return n;
}

static const char *
take_one(int *argc, char **argv, const char *name, struct fc_errors *errs)
{
	const char *v[FC_REPLAY_MAX_LIST];
	unsigned dropped = 0;
	bool missing = false;
	unsigned n = take_all(argc, argv, name, true, v, FC_REPLAY_MAX_LIST, &dropped, &missing);

	if (missing)
		fc_errors_add(errs, "--%s: missing value", name);
	return n ? v[n - 1] : NULL;
}

static bool
take_flag(int *argc, char **argv, const char *name)
{
	const char *v[FC_REPLAY_MAX_LIST];
	unsigned dropped = 0;
	bool missing = false;

	return take_all(argc, argv, name, false, v, FC_REPLAY_MAX_LIST, &dropped, &missing) > 0;
}

static unsigned
take_list(int *argc, char **argv, const char *name, const char **vals, struct fc_errors *errs)
{
	unsigned dropped = 0;
	bool missing = false;
	unsigned n = take_all(argc, argv, name, true, vals, FC_REPLAY_MAX_LIST, &dropped, &missing);

	if (missing)
		fc_errors_add(errs, "--%s: missing value", name);
	if (dropped)
		fc_errors_add(errs, "--%s: given %u times, above the limit %d", name, n + dropped,
			      FC_REPLAY_MAX_LIST);
	return n;
}

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

/* Take and check every replay option; argv keeps the ones `run` knows. */
static void
parse_replay_opts(int *argc, char **argv, struct replay_opts *o, struct fc_errors *errs)
{
	static const char *lists[4][FC_REPLAY_MAX_LIST];
	const char *v, *ports[FC_REPLAY_MAX_LIST];
	unsigned n;

	memset(o, 0, sizeof(*o));
	fc_replay_opts_default(&o->ro);
	o->speed = 1;
	o->loops = 1;

	o->pcap = take_one(argc, argv, "pcap", errs);
	if (o->pcap == NULL)
		fc_errors_add(errs, "--pcap: missing (the capture file to replay, pcap or pcapng)");
	v = take_one(argc, argv, "speed", errs);
	if (v != NULL) {
		const char *num = (v[0] == 'x' || v[0] == 'X') ? v + 1 : v;

		if (!parse_double(num, &o->speed))
			fc_errors_add(errs, "--speed: '%s' is not a number (e.g. 2 or x2)", v);
		else if (o->speed < SPEED_MIN)
			fc_errors_add(errs, "--speed: %s is below the limit %g", v, SPEED_MIN);
		else if (o->speed > SPEED_MAX)
			fc_errors_add(errs, "--speed: %s is above the limit %g", v, SPEED_MAX);
	}
	v = take_one(argc, argv, "rate", errs);
	if (v != NULL) {
		if (fc_parse_rate(v, &o->rate) != 0)
			fc_errors_add(errs, "--rate: '%s' is not a rate in requests/s (e.g. 500, 20k)", v);
		else if (o->rate < RATE_MIN)
			fc_errors_add(errs, "--rate: %s is below the limit %g", v, RATE_MIN);
		else if (o->rate > RATE_MAX)
			fc_errors_add(errs, "--rate: %s is above the limit %g", v, RATE_MAX);
	}
	v = take_one(argc, argv, "loop", errs);
	if (v != NULL) {
		uint64_t l;

		if (fc_parse_count(v, &l) != 0)
			fc_errors_add(errs, "--loop: '%s' is not a count", v);
		else if (l < 1)
			fc_errors_add(errs, "--loop: %s is below the limit 1", v);
		else if (l > LOOP_MAX)
			fc_errors_add(errs, "--loop: %s is above the limit %u", v, LOOP_MAX);
		else
			o->loops = (uint32_t)l;
	}
	v = take_one(argc, argv, "max-wait", errs);
	if (v != NULL) {
		if (fc_parse_duration(v, &o->max_wait_ns) != 0)
			fc_errors_add(errs, "--max-wait: '%s' is not a duration (e.g. 1s, 250ms)", v);
		else if (o->max_wait_ns < MAX_WAIT_MIN_NS)
			fc_errors_add(errs, "--max-wait: %s is below the limit 1ms", v);
		else if (o->max_wait_ns > MAX_WAIT_MAX_NS)
			fc_errors_add(errs, "--max-wait: %s is above the limit 1h", v);
	}
	o->ro.speed = o->speed;
	o->ro.max_wait_ns = o->max_wait_ns;

	o->ro.num_allow_url = take_list(argc, argv, "allow-url", lists[0], errs);
	o->ro.num_deny_url = take_list(argc, argv, "deny-url", lists[1], errs);
	o->ro.num_allow_method = take_list(argc, argv, "allow-method", lists[2], errs);
	o->ro.num_set_header = take_list(argc, argv, "set-header", lists[3], errs);
	for (unsigned i = 0; i < FC_REPLAY_MAX_LIST; i++) {
		o->ro.allow_url[i] = lists[0][i];
		o->ro.deny_url[i] = lists[1][i];
		o->ro.allow_method[i] = lists[2][i];
		o->ro.set_header[i] = lists[3][i];
	}
	/* Each regex and header is checked here, so the message names its option. */
	for (unsigned k = 0; k < 2; k++) {
		unsigned cnt = k ? o->ro.num_deny_url : o->ro.num_allow_url;

		for (unsigned i = 0; i < cnt; i++) {
			regex_t re;
			char msg[128];
			int rc = regcomp(&re, lists[k][i], REG_EXTENDED | REG_NOSUB);

			if (rc != 0) {
				regerror(rc, &re, msg, sizeof(msg));
				fc_errors_add(errs, "--%s: '%s' is not a POSIX extended regex: %s",
					      k ? "deny-url" : "allow-url", lists[k][i], msg);
			} else {
				regfree(&re);
			}
		}
	}
	for (unsigned i = 0; i < o->ro.num_allow_method; i++)
		if (!valid_method(lists[2][i]))
			fc_errors_add(errs, "--allow-method: '%s' is not an HTTP method token (letters, 1 to 15)",
				      lists[2][i]);
	for (unsigned i = 0; i < o->ro.num_set_header; i++) {
		const char *h = lists[3][i], *colon = strchr(h, ':');

		if (colon == NULL || colon == h || strpbrk(h, "\r\n") != NULL ||
		    strcspn(h, " \t") < (size_t)(colon - h))
			fc_errors_add(errs, "--set-header: '%s' is not 'Name: value'", h);
	}
	o->ro.original_host = take_flag(argc, argv, "original-host");
	n = take_list(argc, argv, "map-port", ports, errs);
	for (unsigned i = 0; i < n; i++) {
		unsigned long a, b;
		char *e1, *e2;

		a = strtoul(ports[i], &e1, 10);
		if (*e1 != ':' || e1 == ports[i]) {
			fc_errors_add(errs, "--map-port: '%s' is not FROM:TO (e.g. 80:8080)", ports[i]);
			continue;
		}
		b = strtoul(e1 + 1, &e2, 10);
		if (*e2 != '\0' || e2 == e1 + 1) {
			fc_errors_add(errs, "--map-port: '%s' is not FROM:TO (e.g. 80:8080)", ports[i]);
			continue;
		}
		if (a < 1 || a > 65535 || b < 1 || b > 65535) {
			fc_errors_add(errs, "--map-port: '%s': ports must be 1..65535", ports[i]);
			continue;
		}
		o->ro.port_map[o->ro.num_port_map].from = (uint16_t)a;
		o->ro.port_map[o->ro.num_port_map].to = (uint16_t)b;
		o->ro.num_port_map++;
	}
}

static void
usage(FILE *f)
{
	fputs(
"Usage: flashcrowd replay --pcap FILE [options] URL\n"
"  Replays the HTTP requests of a capture against URL (http://HOST[:PORT]/, HOST an IPv4\n"
"  address or a name resolved once before the replay; Host: becomes HOST): each\n"
"  captured connection becomes one new connection, its requests in their original order\n"
"  and timing (keep-alive and pipelining kept). See docs/replay.md.\n"
"\n"
"Replay options:\n"
"  --pcap FILE            capture (pcap or pcapng; Ethernet, VLAN, SLL/SLL2, raw IP)\n"
"  --speed N | xN         time scale: 2 replays twice as fast (0.001..1000, default 1)\n"
"  --rate R               fixed rate in requests/s instead of the captured timing\n"
"  --loop N               replay the capture N times (1..1000)\n"
"  --max-wait D           cap every idle gap at D (1ms..1h), e.g. 1s\n"
"  --allow-url RE         keep only requests whose target matches RE (repeatable)\n"
"  --deny-url RE          drop requests whose target matches RE (repeatable; wins)\n"
"  --allow-method M       keep only these methods (repeatable)\n"
"  --set-header 'H: v'    replace or add a header (repeatable)\n"
"  --original-host        keep the captured Host (default: the target's)\n"
"  --map-port FROM:TO     connections to captured server port FROM go to port TO\n"
"\n"
"Port, target and report options as `flashcrowd run`: --profile, --iface, --local-ip,\n"
"--gateway, --eal, --embedded, --allow, -t, --timeout, --connect-timeout, --json, --hgrm,\n"
"--impair, --impair-rx, --impair-tx.\n"
"\n"
"Raw packet mode: flashcrowd replay --raw --pcap FILE --profile P --iface IF --local-ip A/LEN\n"
"  (--dst-mac MAC | --next-hop IP) [--speed N | --pps R | --topspeed] [--loop N]\n"
"  [--map-ip A=B]... [--json FILE]: the captured Ethernet frames as they are, source MAC\n"
"  = the port's, IPv4 addresses mapped, IPv4/TCP/UDP checksums recomputed.\n", f);
}

/* ------------------------------------------------------------------------------------ */
/* Extraction                                                                            */
/* ------------------------------------------------------------------------------------ */

struct skip_example {
	uint64_t conn_id;
	uint32_t seq;
	enum fc_pcap_skip_reason reason;
	const char *detail;
};

struct extract_ctx {
	struct fc_replay_plan *plan;
	uint64_t *resp_at;      /* per original connection: when the previous response began */
	size_t resp_cap;
	uint64_t *piped;        /* keys (conn_id << 32 | seq) of pipelined requests */
	size_t n_piped, cap_piped;
	struct skip_example ex[SKIP_EXAMPLES];
	unsigned n_ex;
	int err;
};

static int
on_request(const struct fc_pcap_request *r, void *arg)
{
	struct extract_ctx *x = arg;

	if (r->conn_id >= x->resp_cap) {
		size_t cap = x->resp_cap ? x->resp_cap : 1024;

		while (cap <= r->conn_id)
			cap *= 2;
		uint64_t *p = realloc(x->resp_at, cap * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		/* 0 = no previous request on this connection. */
		memset(p + x->resp_cap, 0, (cap - x->resp_cap) * sizeof(*p));
		x->resp_at = p;
		x->resp_cap = cap;
	}
	/* Pipelined: written before the previous request's response began (or the previous
	 * one never got a response: the client did not wait for it). Stored +1 so 0 is none. */
	uint64_t prev = x->resp_at[r->conn_id];

	if (prev != 0 && r->ts_ns + 1 < prev) {
		if (x->n_piped == x->cap_piped) {
			size_t cap = x->cap_piped ? x->cap_piped * 2 : 256;
			uint64_t *p = realloc(x->piped, cap * sizeof(*p));

			if (p == NULL)
				return -ENOMEM;
			x->piped = p;
			x->cap_piped = cap;
		}
		x->piped[x->n_piped++] = r->conn_id << 32 | r->seq;
	}
	x->resp_at[r->conn_id] = r->has_response ? r->end_ts_ns + r->rsp_time_ns + 1 : UINT64_MAX;
	return fc_replay_plan_on_request(r, x->plan);
}

static int
on_skip(const struct fc_pcap_skip *s, void *arg)
{
	struct extract_ctx *x = arg;

	if (x->n_ex < SKIP_EXAMPLES) {
		x->ex[x->n_ex].conn_id = s->conn_id;
		x->ex[x->n_ex].seq = s->seq;
		x->ex[x->n_ex].reason = s->reason;
		x->ex[x->n_ex].detail = s->detail;
		x->n_ex++;
	}
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct ts_idx {
	uint64_t ts;
	uint32_t idx;
};

static int
cmp_ts_idx(const void *a, const void *b)
{
	const struct ts_idx *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * --rate: send times on a fixed grid, in the order of the captured timeline (ties keep
 * plan order, so each connection keeps its own order).
 */
static int
apply_rate(struct fc_replay_plan *p, double rate)
{
	struct ts_idx *v = malloc(sizeof(*v) * (p->num_reqs ? p->num_reqs : 1));

	if (v == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->num_reqs; i++) {
		v[i].ts = p->reqs[i].orig_ts_ns;
		v[i].idx = i;
	}
	qsort(v, p->num_reqs, sizeof(*v), cmp_ts_idx);
	for (uint32_t k = 0; k < p->num_reqs; k++)
		p->reqs[v[k].idx].send_ns = (uint64_t)((double)k * 1e9 / rate);
	p->duration_ns = p->num_reqs ? (uint64_t)((double)(p->num_reqs - 1) * 1e9 / rate) : 0;
	free(v);
	return 0;
}

/* Per plan request: did the capture send it before the previous response began? */
static uint8_t *
pipelined_flags(const struct fc_replay_plan *p, struct extract_ctx *x)
{
	uint8_t *f = calloc(p->num_reqs ? p->num_reqs : 1, 1);

	if (f == NULL)
		return NULL;
	qsort(x->piped, x->n_piped, sizeof(*x->piped), cmp_u64);
	for (uint32_t c = 0; c < p->num_conns; c++) {
		const struct fc_replay_conn *pc = &p->conns[c];

		for (uint32_t i = pc->first_req; i < pc->first_req + pc->num_reqs; i++) {
			uint64_t key = pc->orig_conn_id << 32 | p->reqs[i].seq;

			f[i] = x->n_piped && bsearch(&key, x->piped, x->n_piped, sizeof(key), cmp_u64);
		}
	}
	return f;
}

/* ------------------------------------------------------------------------------------ */
/* Response diff                                                                         */
/* ------------------------------------------------------------------------------------ */

struct change {
	uint16_t from, to;      /* captured status (0 = none), replayed (0 = no response) */
	uint64_t count;
	struct { uint32_t req; uint64_t count; } top[TOP_PATHS];
	unsigned n_top;
};

struct diff {
	uint64_t compared;      /* requests with a captured and a replayed outcome */
	uint64_t same;
	uint64_t no_capture;    /* no response in the capture: nothing to compare */
	uint64_t unsent;        /* never sent (run stopped, send buffer) */
	struct change *ch;
	unsigned n_ch;
};

struct diff_ent {
	uint16_t from, to;
	uint32_t req;
};

static const struct fc_replay_plan *cmp_plan;

/* Order: change, then path bytes (so equal paths are adjacent), then request. */
static int
cmp_diff_ent(const void *a, const void *b)
{
	const struct diff_ent *x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	const struct fc_replay_req *rx = &cmp_plan->reqs[x->req], *ry = &cmp_plan->reqs[y->req];
	uint32_t n = rx->path_len < ry->path_len ? rx->path_len : ry->path_len;
	int c = memcmp(rx->data + rx->path_off, ry->data + ry->path_off, n);

	if (c != 0)
		return c;
	if (rx->path_len != ry->path_len)
		return rx->path_len < ry->path_len ? -1 : 1;
	return x->req < y->req ? -1 : x->req > y->req;
}

static bool
same_path(const struct fc_replay_plan *p, uint32_t a, uint32_t b)
{
	const struct fc_replay_req *x = &p->reqs[a], *y = &p->reqs[b];

	return x->path_len == y->path_len &&
	       memcmp(x->data + x->path_off, y->data + y->path_off, x->path_len) == 0;
}

static int
build_diff(const struct fc_replay_plan *p, const uint16_t *res, uint32_t loops, struct diff *d)
{
	uint64_t n = (uint64_t)p->num_reqs * loops, m = 0;
	struct diff_ent *e = malloc(sizeof(*e) * (n ? n : 1));

	memset(d, 0, sizeof(*d));
	if (e == NULL)
		return -ENOMEM;
	for (uint64_t k = 0; k < n; k++) {
		uint32_t i = (uint32_t)(k % p->num_reqs);
		uint16_t from = p->reqs[i].orig_status, to = res[k];

		if (to == FC_REPLAY_NO_RESULT) {
			d->unsent++;
			continue;
		}
		if (from == 0) {
			d->no_capture++;
			continue;
		}
		d->compared++;
		if (from == to) {
			d->same++;
			continue;
		}
		e[m].from = from;
		e[m].to = to;
		e[m].req = i;
		m++;
	}
	cmp_plan = p;
	qsort(e, m, sizeof(*e), cmp_diff_ent);
	for (uint64_t k = 0; k < m;) {
		uint64_t end = k;

		while (end < m && e[end].from == e[k].from && e[end].to == e[k].to)
			end++;
		struct change *c = realloc(d->ch, sizeof(*c) * (d->n_ch + 1));

		if (c == NULL) {
			free(e);
			return -ENOMEM;
		}
		d->ch = c;
		c = &d->ch[d->n_ch++];
		memset(c, 0, sizeof(*c));
		c->from = e[k].from;
		c->to = e[k].to;
		c->count = end - k;
		/* Runs of one path; keep the TOP_PATHS largest. */
		for (uint64_t r = k; r < end;) {
			uint64_t q = r;

			while (q < end && same_path(p, e[q].req, e[r].req))
				q++;
			uint64_t cnt = q - r;
			unsigned pos = c->n_top;

			while (pos > 0 && c->top[pos - 1].count < cnt)
				pos--;
			if (pos < TOP_PATHS) {
				unsigned last = c->n_top < TOP_PATHS ? c->n_top : TOP_PATHS - 1;

				memmove(&c->top[pos + 1], &c->top[pos], sizeof(c->top[0]) * (last - pos));
				c->top[pos].req = e[r].req;
				c->top[pos].count = cnt;
				if (c->n_top < TOP_PATHS)
					c->n_top++;
			}
			r = q;
		}
		k = end;
	}
	free(e);
	/* Largest change first. */
	for (unsigned i = 1; i < d->n_ch; i++)
		for (unsigned j = i; j > 0 && d->ch[j - 1].count < d->ch[j].count; j--) {
			struct change t = d->ch[j];

			d->ch[j] = d->ch[j - 1];
			d->ch[j - 1] = t;
		}
	return 0;
}

static const char *
status_str(uint16_t s, char *buf)
{
	if (s == 0)
		return "error";
	snprintf(buf, 8, "%u", s);
	return buf;
}

/* Path text of a plan request, cut for display. */
static void
path_of(const struct fc_replay_plan *p, uint32_t i, char *buf, size_t len)
{
	const struct fc_replay_req *r = &p->reqs[i];
	size_t n = r->path_len < len - 1 ? r->path_len : len - 1;

	memcpy(buf, r->data + r->path_off, n);
	buf[n] = '\0';
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)buf[k] < 0x20 || buf[k] == 0x7f)
			buf[k] = '?';
}

/* ------------------------------------------------------------------------------------ */
/* The command                                                                           */
/* ------------------------------------------------------------------------------------ */

struct replay_state {
	struct replay_opts o;
	struct fc_scenario sc;
	struct fc_limits limits;
	struct fc_http_mix mix;
	struct fc_run_params rp;
	struct fc_client_source source;
	struct fc_replay_run run;
	struct fc_pcap_stats xs;
	struct extract_ctx x;
	struct fc_replay_plan *plan;
	uint8_t *pipelined;
	struct fc_pair pair;
	struct fc_client_worker *workers;
	unsigned nb_inited;
	struct rte_ether_addr peer_mac;
	struct fc_net_conf netconf;
	struct fc_impair_opts impair;
	bool truncated;
	char trunc_msg[FC_PCAP_ERRLEN];
};

/* Read the capture into a finished plan. Returns an exit code. */
static int
load_capture(struct replay_state *st)
{
	struct fc_pcap_opts po;
	struct fc_pcap_extractor *x;
	char err[FC_PCAP_ERRLEN] = "";
	int rc;

	st->plan = fc_replay_plan_create(&st->o.ro, err, sizeof(err));
	if (st->plan == NULL) {
		fprintf(stderr, "error: replay options: %s\n", err);
		return FC_EXIT_INPUT;
	}
	fc_pcap_opts_default(&po);
	/* Captured server ports (for flows seen without their SYN): the usual HTTP ones and
	 * every --map-port source. */
	static const uint16_t http_ports[] = {80, 8080, 8000, 8008, 8888, 3128};
	po.num_server_ports = 0;
	for (unsigned i = 0; i < sizeof(http_ports) / sizeof(http_ports[0]); i++)
		po.server_ports[po.num_server_ports++] = http_ports[i];
	for (unsigned i = 0; i < st->o.ro.num_port_map && po.num_server_ports < FC_PCAP_MAX_SERVER_PORTS; i++)
		po.server_ports[po.num_server_ports++] = st->o.ro.port_map[i].from;
	st->x.plan = st->plan;
	po.on_request = on_request;
	po.on_skip = on_skip;
	po.arg = &st->x;
	x = fc_pcap_extractor_create(&po);
	if (x == NULL) {
		fprintf(stderr, "error: extractor: %s\n", strerror(errno));
		return FC_EXIT_RUNTIME;
	}
	rc = fc_pcap_extract_file(x, st->o.pcap, err, sizeof(err));
	st->xs = *fc_pcap_extractor_stats(x);
	fc_pcap_extractor_free(x);
	if (rc == -EBADMSG && st->xs.packets > 0) {
		/* A capture cut short (tcpdump killed, disk full): what was read is replayed. */
		st->truncated = true;
		snprintf(st->trunc_msg, sizeof(st->trunc_msg), "%s", err);
		fprintf(stderr, "warning: --pcap: %s; replaying the %lu packets read before it\n",
			err, (unsigned long)st->xs.packets);
	} else if (rc == -ENOMEM) {
		fprintf(stderr, "error: --pcap: %s: out of memory\n", st->o.pcap);
		return FC_EXIT_RUNTIME;
	} else if (rc != 0) {
		if (err[0])
			fprintf(stderr, "error: --pcap: %s\n", err);
		else
			fprintf(stderr, "error: --pcap: %s: %s\n", st->o.pcap, strerror(-rc));
		return FC_EXIT_INPUT;
	}
	rc = fc_replay_plan_finish(st->plan);
	if (rc != 0) {
		fprintf(stderr, "error: replay plan: %s\n", strerror(-rc));
		return FC_EXIT_RUNTIME;
	}
	if (st->plan->num_reqs == 0) {
		fprintf(stderr, "error: --pcap: %s: no HTTP request to replay (%lu packets, %lu TCP "
			"flows, %lu requests extracted, %lu skipped, %lu filtered out)\n", st->o.pcap,
			(unsigned long)st->xs.packets, (unsigned long)st->xs.flows,
			(unsigned long)st->xs.requests_extracted, (unsigned long)st->xs.requests_skipped,
			(unsigned long)(st->plan->stats.filtered_url + st->plan->stats.filtered_method));
		return FC_EXIT_INPUT;
	}
	if (st->o.rate > 0 && apply_rate(st->plan, st->o.rate) != 0)
		return FC_EXIT_RUNTIME;
	st->pipelined = pipelined_flags(st->plan, &st->x);
	if (st->pipelined == NULL)
		return FC_EXIT_RUNTIME;
	return FC_EXIT_OK;
}

struct replay_totals {
	uint64_t planned, sent, unsent, reopens, slot_waits, too_large, held;
	struct fc_hist *lag, *lag_free;
};

static void
add_num(cJSON *o, const char *k, double v)
{
	cJSON_AddNumberToObject(o, k, v);
}

/* The "replay" object of the JSON report. */
static cJSON *
replay_json(const struct replay_state *st, const struct replay_totals *t, const struct diff *d)
{
	cJSON *root = cJSON_CreateObject(), *o, *s, *a;
	char b[8], path[512];

	if (root == NULL)
		return NULL;
	o = cJSON_AddObjectToObject(root, "capture");
	cJSON_AddStringToObject(o, "file", st->o.pcap);
	cJSON_AddBoolToObject(o, "truncated", st->truncated);
	add_num(o, "packets", (double)st->xs.packets);
	add_num(o, "bytes", (double)st->xs.bytes);
	add_num(o, "flows", (double)st->xs.flows);
	add_num(o, "gaps", (double)st->xs.gaps);
	add_num(o, "retransmits", (double)st->xs.retransmits);
	add_num(o, "truncated_packets", (double)st->xs.truncated_packets);
	add_num(o, "requests_seen", (double)st->xs.requests_seen);
	add_num(o, "responses", (double)st->xs.responses);
	add_num(o, "duration_s", (st->xs.last_ts_ns - st->xs.first_ts_ns) / 1e9);

	o = cJSON_AddObjectToObject(root, "requests");
	add_num(o, "extracted", (double)st->xs.requests_extracted);
	add_num(o, "planned", (double)st->plan->num_reqs);
	add_num(o, "filtered", (double)(st->plan->stats.filtered_url + st->plan->stats.filtered_method));
	add_num(o, "filtered_url", (double)st->plan->stats.filtered_url);
	add_num(o, "filtered_method", (double)st->plan->stats.filtered_method);
	add_num(o, "dropped_memory", (double)st->plan->stats.dropped_arena);
	add_num(o, "skipped", (double)st->xs.requests_skipped);
	s = cJSON_AddObjectToObject(o, "skipped_by_reason");
	for (int r = 0; r < FC_PCAP_SKIP__COUNT; r++)
		add_num(s, fc_pcap_skip_reason_str((enum fc_pcap_skip_reason)r), (double)st->xs.skipped[r]);
	add_num(o, "replayed", (double)t->sent);
	add_num(o, "to_replay", (double)t->planned);
	add_num(o, "unsent", (double)t->unsent);
	add_num(o, "too_large", (double)t->too_large);

	o = cJSON_AddObjectToObject(root, "plan");
	add_num(o, "connections", st->plan->num_conns);
	add_num(o, "loops", st->o.loops);
	add_num(o, "speed", st->o.speed);
	add_num(o, "rate", st->o.rate);
	add_num(o, "max_wait_s", st->o.max_wait_ns / 1e9);
	add_num(o, "duration_s", st->plan->duration_ns / 1e9);
	add_num(o, "reopened_connections", (double)t->reopens);

	o = cJSON_AddObjectToObject(root, "schedule_lag_us");
	add_num(o, "count", (double)fc_hist_count(t->lag));
	add_num(o, "p50", fc_hist_percentile(t->lag, 50.0) / 1e3);
	add_num(o, "p99", fc_hist_percentile(t->lag, 99.0) / 1e3);
	add_num(o, "p99_9", fc_hist_percentile(t->lag, 99.9) / 1e3);
	add_num(o, "max", fc_hist_max(t->lag) / 1e3);
	add_num(o, "mean", fc_hist_mean(t->lag) / 1e3);
	add_num(o, "held_for_response", (double)t->held);
	s = cJSON_AddObjectToObject(o, "not_held");
	add_num(s, "count", (double)fc_hist_count(t->lag_free));
	add_num(s, "p50", fc_hist_percentile(t->lag_free, 50.0) / 1e3);
	add_num(s, "p99", fc_hist_percentile(t->lag_free, 99.0) / 1e3);
	add_num(s, "max", fc_hist_max(t->lag_free) / 1e3);

	o = cJSON_AddObjectToObject(root, "diff");
	add_num(o, "compared", (double)d->compared);
	add_num(o, "same", (double)d->same);
	add_num(o, "changed", (double)(d->compared - d->same));
	add_num(o, "no_captured_response", (double)d->no_capture);
	add_num(o, "not_replayed", (double)d->unsent);
	a = cJSON_AddArrayToObject(o, "changes");
	for (unsigned i = 0; i < d->n_ch; i++) {
		const struct change *c = &d->ch[i];
		cJSON *e = cJSON_CreateObject(), *tp;
		char label[32], b2[8];

		cJSON_AddItemToArray(a, e);
		add_num(e, "from", c->from);
		add_num(e, "to", c->to);
		snprintf(label, sizeof(label), "%s -> %s", status_str(c->from, b), status_str(c->to, b2));
		cJSON_AddStringToObject(e, "change", label);
		add_num(e, "count", (double)c->count);
		tp = cJSON_AddArrayToObject(e, "top_paths");
		for (unsigned k = 0; k < c->n_top; k++) {
			cJSON *pe = cJSON_CreateObject();

			path_of(st->plan, c->top[k].req, path, sizeof(path));
			cJSON_AddStringToObject(pe, "path", path);
			add_num(pe, "count", (double)c->top[k].count);
			cJSON_AddItemToArray(tp, pe);
		}
	}
	return root;
}

static void
replay_text(const struct replay_state *st, const struct replay_totals *t, const struct diff *d,
	    FILE *f)
{
	char b[8], b2[8], path[120];

	fprintf(f, "Replay of %s%s:\n", st->o.pcap, st->truncated ? " (truncated capture)" : "");
	fprintf(f, "  capture: %lu packets, %lu TCP flows, %.3fs; requests seen %lu: %lu extracted, "
		"%lu skipped\n", (unsigned long)st->xs.packets, (unsigned long)st->xs.flows,
		(st->xs.last_ts_ns - st->xs.first_ts_ns) / 1e9, (unsigned long)st->xs.requests_seen,
		(unsigned long)st->xs.requests_extracted, (unsigned long)st->xs.requests_skipped);
	if (st->xs.requests_skipped) {
		fprintf(f, "  skipped:");
		for (int r = 0, first = 1; r < FC_PCAP_SKIP__COUNT; r++)
			if (st->xs.skipped[r]) {
				fprintf(f, "%s %s %lu", first ? "" : ",",
					fc_pcap_skip_reason_str((enum fc_pcap_skip_reason)r),
					(unsigned long)st->xs.skipped[r]);
				first = 0;
			}
		fprintf(f, "\n");
		for (unsigned i = 0; i < st->x.n_ex; i++)
			fprintf(f, "    e.g. connection %lu request %u: %s (%s)\n",
				(unsigned long)st->x.ex[i].conn_id, st->x.ex[i].seq,
				fc_pcap_skip_reason_str(st->x.ex[i].reason),
				st->x.ex[i].detail ? st->x.ex[i].detail : "");
	}
	fprintf(f, "  plan: %u requests on %u connections, %.3fs per loop, %u loop(s); filtered "
		"%lu (url %lu, method %lu)%s\n", st->plan->num_reqs, st->plan->num_conns,
		st->plan->duration_ns / 1e9, st->o.loops,
		(unsigned long)(st->plan->stats.filtered_url + st->plan->stats.filtered_method),
		(unsigned long)st->plan->stats.filtered_url, (unsigned long)st->plan->stats.filtered_method,
		st->plan->stats.dropped_arena ? ", some dropped: memory bound" : "");
	fprintf(f, "  replayed: %lu of %lu requests (%lu not sent); %lu connections reopened\n",
		(unsigned long)t->sent, (unsigned long)t->planned, (unsigned long)t->unsent,
		(unsigned long)t->reopens);
	fprintf(f, "  schedule lag: p50 %.1fus, p99 %.1fus, max %.1fus (%lu requests)\n",
		fc_hist_percentile(t->lag, 50.0) / 1e3, fc_hist_percentile(t->lag, 99.0) / 1e3,
		fc_hist_max(t->lag) / 1e3, (unsigned long)fc_hist_count(t->lag));
	if (t->held)
		fprintf(f, "    %lu requests waited for the previous response (not pipelined in the "
			"capture); the others: p50 %.1fus, p99 %.1fus, max %.1fus\n",
			(unsigned long)t->held, fc_hist_percentile(t->lag_free, 50.0) / 1e3,
			fc_hist_percentile(t->lag_free, 99.0) / 1e3, fc_hist_max(t->lag_free) / 1e3);
	fprintf(f, "  response diff against the capture: %lu compared, %lu same, %lu changed",
		(unsigned long)d->compared, (unsigned long)d->same,
		(unsigned long)(d->compared - d->same));
	if (d->no_capture)
		fprintf(f, "; %lu had no captured response", (unsigned long)d->no_capture);
	fprintf(f, "\n");
	for (unsigned i = 0; i < d->n_ch; i++) {
		const struct change *c = &d->ch[i];

		fprintf(f, "    %s -> %s: %lu request%s\n", status_str(c->from, b), status_str(c->to, b2),
			(unsigned long)c->count, c->count == 1 ? "" : "s");
		for (unsigned k = 0; k < c->n_top; k++) {
			path_of(st->plan, c->top[k].req, path, sizeof(path));
			fprintf(f, "      %8lu  %s\n", (unsigned long)c->top[k].count, path);
		}
	}
}

/* ------------------------------------------------------------------------------------ */
/* Raw packet mode                                                                       */
/* ------------------------------------------------------------------------------------ */

#define RAW_MAX_BYTES (1ull << 30)      /* packets held in memory */
#define RAW_MAX_PACKETS (16u << 20)
#define RAW_SPIN_NS 2000000000ull       /* bound on waiting for a full TX queue */
#define PPS_MAX 100000000.0

struct raw_pkt {
	uint64_t off;           /* into the byte arena */
	uint64_t t_ns;          /* offset from the first packet */
	uint32_t len;           /* captured bytes */
	bool cut;               /* caplen < wire length */
};

struct ip_map {
	uint32_t from, to;      /* network order */
};

/* Port options of --raw (no target URL, so not through lib/scenario). */
struct raw_port_opts {
	const char *profile, *iface, *local_ip, *gateway, *eal;
};

struct raw_state {
	const char *pcap, *json;
	double speed, pps;
	bool topspeed;
	uint32_t loops;
	struct rte_ether_addr dst;
	bool have_dst;
	uint32_t next_hop;      /* network order */
	struct ip_map map[FC_REPLAY_MAX_LIST];
	unsigned nb_map;
	struct raw_pkt *pkts;
	uint32_t nb_pkts;
	uint8_t *bytes;
	uint64_t nb_bytes;
	uint64_t non_ether, cut, l4_fixed, ip_fixed;
};

/* Read the whole capture (Ethernet only) into memory, bounded. Returns an exit code. */
static int
raw_load(struct raw_state *r)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_open_offline(r->pcap, err);
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t t0 = 0, cap_pk = 0, cap_b = 0;
	int rc, code = FC_EXIT_OK;

	if (pc == NULL) {
		fprintf(stderr, "error: --pcap: %s: %s\n", r->pcap, err);
		return FC_EXIT_INPUT;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "error: --pcap: %s: link type %s (%d): --raw replays Ethernet captures only\n",
			r->pcap, pcap_datalink_val_to_name(pcap_datalink(pc)) ?
			pcap_datalink_val_to_name(pcap_datalink(pc)) : "unknown", pcap_datalink(pc));
		pcap_close(pc);
		return FC_EXIT_INPUT;
	}
	bool nano = pcap_get_tstamp_precision(pc) == PCAP_TSTAMP_PRECISION_NANO;

	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ull +
			      (uint64_t)h->ts.tv_usec * (nano ? 1 : 1000);

		if (r->nb_pkts == RAW_MAX_PACKETS || r->nb_bytes + h->caplen > RAW_MAX_BYTES) {
			fprintf(stderr, "error: --pcap: %s: more than %u packets or %llu bytes; --raw "
				"holds the capture in memory\n", r->pcap, RAW_MAX_PACKETS, RAW_MAX_BYTES);
			code = FC_EXIT_INPUT;
			break;
		}
		if (h->caplen < RTE_ETHER_HDR_LEN || h->caplen > RTE_MBUF_DEFAULT_DATAROOM) {
			r->non_ether++;
			continue;
		}
		if (r->nb_pkts == cap_pk) {
			cap_pk = cap_pk ? cap_pk * 2 : 4096;
			struct raw_pkt *p = realloc(r->pkts, sizeof(*p) * cap_pk);

			if (p == NULL) {
				code = FC_EXIT_RUNTIME;
				break;
			}
			r->pkts = p;
		}
		if (r->nb_bytes + h->caplen > cap_b) {
			cap_b = cap_b ? cap_b * 2 : 1 << 20;
			while (cap_b < r->nb_bytes + h->caplen)
				cap_b *= 2;
			uint8_t *b = realloc(r->bytes, cap_b);

			if (b == NULL) {
				code = FC_EXIT_RUNTIME;
				break;
			}
			r->bytes = b;
		}
		if (r->nb_pkts == 0)
			t0 = ts;
		struct raw_pkt *p = &r->pkts[r->nb_pkts++];

		p->off = r->nb_bytes;
		p->len = h->caplen;
		p->t_ns = ts > t0 ? ts - t0 : 0;
		p->cut = h->caplen < h->len;
		r->cut += p->cut;
		memcpy(r->bytes + r->nb_bytes, data, h->caplen);
		r->nb_bytes += h->caplen;
	}
	if (code == FC_EXIT_OK && rc == -1)
		fprintf(stderr, "warning: --pcap: %s: %s; replaying the %u packets read before it\n",
			r->pcap, pcap_geterr(pc), r->nb_pkts);
	pcap_close(pc);
	if (code == FC_EXIT_OK && r->nb_pkts == 0) {
		fprintf(stderr, "error: --pcap: %s: no Ethernet packet to replay\n", r->pcap);
		code = FC_EXIT_INPUT;
	}
	return code;
}

/* Rewrite one frame in place: MACs, mapped IPv4 addresses, checksums. */
static void
raw_rewrite(struct raw_state *r, uint8_t *f, uint32_t len, bool cut, const struct rte_ether_addr *src)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	uint32_t off = RTE_ETHER_HDR_LEN;
	uint16_t type = rte_be_to_cpu_16(eth->ether_type);

	eth->src_addr = *src;
	eth->dst_addr = r->dst;
	for (int tags = 0; (type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ) && tags < 4 &&
	     off + 4 <= len; tags++) {
		type = (uint16_t)(f[off + 2] << 8 | f[off + 3]);
		off += 4;
	}
	if (type != RTE_ETHER_TYPE_IPV4 || off + sizeof(struct rte_ipv4_hdr) > len)
		return;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + off);
	uint32_t ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
	bool changed = false;

	if ((ip->version_ihl >> 4) != 4 || ihl < 20 || off + ihl > len)
		return;
	for (unsigned i = 0; i < r->nb_map; i++) {
		if (ip->src_addr == r->map[i].from) {
			ip->src_addr = r->map[i].to;
			changed = true;
		}
		if (ip->dst_addr == r->map[i].from) {
			ip->dst_addr = r->map[i].to;
			changed = true;
		}
	}
	(void)changed;
	/* Captures taken with offload carry wrong checksums: fix them all, mapped or not. */
	ip->hdr_checksum = 0;
	ip->hdr_checksum = fc_cksum_ipv4_hdr(ip);
	r->ip_fixed++;
	uint32_t tot = rte_be_to_cpu_16(ip->total_length);
	uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset);

	/* The L4 checksum covers the whole segment: only when it is all here and unfragmented. */
	if (cut || tot < ihl || off + tot > len || (frag & 0x3fff) != 0)
		return;
	uint8_t *l4 = f + off + ihl;
	uint32_t l4_len = tot - ihl;

	if (ip->next_proto_id == IPPROTO_TCP && l4_len >= 20) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4;

		t->cksum = 0;
		t->cksum = fc_cksum_ipv4_l4(ip, l4, l4_len);
		r->l4_fixed++;
	} else if (ip->next_proto_id == IPPROTO_UDP && l4_len >= 8) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;

		u->dgram_cksum = 0;
		u->dgram_cksum = fc_cksum_ipv4_l4(ip, l4, l4_len);
		if (u->dgram_cksum == 0)
			u->dgram_cksum = 0xffff; /* RFC 768: 0 means no checksum */
		r->l4_fixed++;
	}
}


static int
raw_parse(int *argc, char **argv, struct raw_state *r, struct raw_port_opts *po,
	  struct fc_errors *errs)
{
	const char *v, *maps[FC_REPLAY_MAX_LIST];

	r->speed = 1;
	r->loops = 1;
	r->pcap = take_one(argc, argv, "pcap", errs);
	if (r->pcap == NULL)
		fc_errors_add(errs, "--pcap: missing (the capture file to replay)");
	v = take_one(argc, argv, "speed", errs);
	if (v != NULL) {
		const char *num = (v[0] == 'x' || v[0] == 'X') ? v + 1 : v;

		if (!parse_double(num, &r->speed))
			fc_errors_add(errs, "--speed: '%s' is not a number (e.g. 2 or x2)", v);
		else if (r->speed < SPEED_MIN)
			fc_errors_add(errs, "--speed: %s is below the limit %g", v, SPEED_MIN);
		else if (r->speed > SPEED_MAX)
			fc_errors_add(errs, "--speed: %s is above the limit %g", v, SPEED_MAX);
	}
	v = take_one(argc, argv, "pps", errs);
	if (v != NULL) {
		if (fc_parse_rate(v, &r->pps) != 0)
			fc_errors_add(errs, "--pps: '%s' is not a packet rate (e.g. 1000, 50k)", v);
		else if (r->pps < 1)
			fc_errors_add(errs, "--pps: %s is below the limit 1", v);
		else if (r->pps > PPS_MAX)
			fc_errors_add(errs, "--pps: %s is above the limit %g", v, PPS_MAX);
	}
	r->topspeed = take_flag(argc, argv, "topspeed");
	if (r->topspeed && r->pps > 0)
		fc_errors_add(errs, "--topspeed: not with --pps");
	v = take_one(argc, argv, "loop", errs);
	if (v != NULL) {
		uint64_t l;

		if (fc_parse_count(v, &l) != 0)
			fc_errors_add(errs, "--loop: '%s' is not a count", v);
		else if (l < 1)
			fc_errors_add(errs, "--loop: %s is below the limit 1", v);
		else if (l > LOOP_MAX)
			fc_errors_add(errs, "--loop: %s is above the limit %u", v, LOOP_MAX);
		else
			r->loops = (uint32_t)l;
	}
	v = take_one(argc, argv, "dst-mac", errs);
	if (v != NULL) {
		if (rte_ether_unformat_addr(v, &r->dst) != 0)
			fc_errors_add(errs, "--dst-mac: '%s' is not a MAC address (aa:bb:cc:dd:ee:ff)", v);
		else
			r->have_dst = true;
	}
	v = take_one(argc, argv, "next-hop", errs);
	if (v != NULL && (fc_ip_parse(v, &r->next_hop, NULL) != 0 || r->next_hop == 0))
		fc_errors_add(errs, "--next-hop: '%s' is not an IPv4 address", v);
	if (v == NULL && !r->have_dst)
		fc_errors_add(errs, "--dst-mac or --next-hop: one is needed (the destination MAC of every frame)");
	r->nb_map = take_list(argc, argv, "map-ip", maps, errs);
	for (unsigned i = 0; i < r->nb_map; i++) {
		char a[64];
		const char *eq = strchr(maps[i], '=');

		if (eq == NULL || (size_t)(eq - maps[i]) >= sizeof(a)) {
			fc_errors_add(errs, "--map-ip: '%s' is not A.B.C.D=W.X.Y.Z", maps[i]);
			continue;
		}
		memcpy(a, maps[i], (size_t)(eq - maps[i]));
		a[eq - maps[i]] = '\0';
		if (fc_ip_parse(a, &r->map[i].from, NULL) != 0 || fc_ip_parse(eq + 1, &r->map[i].to, NULL) != 0)
			fc_errors_add(errs, "--map-ip: '%s' is not A.B.C.D=W.X.Y.Z", maps[i]);
	}
	r->json = take_one(argc, argv, "json", errs);
	po->profile = take_one(argc, argv, "profile", errs);
	po->iface = take_one(argc, argv, "iface", errs);
	po->local_ip = take_one(argc, argv, "local-ip", errs);
	po->gateway = take_one(argc, argv, "gateway", errs);
	po->eal = take_one(argc, argv, "eal", errs);
	if (po->profile == NULL)
		fc_errors_add(errs, "--profile: missing (--raw sends on a port: one of drivers_cfg/*.json)");
	if (po->iface == NULL)
		fc_errors_add(errs, "--iface: missing");
	if (po->local_ip == NULL)
		fc_errors_add(errs, "--local-ip: missing (the appliance's own address, A.B.C.D/LEN, for ARP)");
	for (int i = 1; i < *argc; i++)
		fc_errors_add(errs, "%s: not an option of replay --raw", argv[i]);
	return fc_errors_total(errs) ? -EINVAL : 0;
}

struct raw_send {
	struct raw_state *r;
	struct fc_pair *pair;
	struct fc_hist *lag;
	uint64_t period, total, bound;
	uint64_t sent, bytes, refused, nomem, start, end;
};

static int
raw_send_main(void *arg)
{
	struct raw_send *rs = arg;
	struct raw_state *rr = rs->r;
	struct rte_mbuf *burst[FC_BURST], *rx[FC_BURST];
	uint64_t start = fc_now_ns() + 10000000ull, k = 0;
	unsigned nb = 0;

	rs->start = start;
	while (k < rs->total && !fc_stop_requested) {
		uint64_t now = fc_now_ns();

		if (now > start && now - start > rs->bound)
			break;
		uint16_t n = fc_port_rx_burst(rs->pair->client_port, 0, rx, FC_BURST);

		if (n)
			rte_pktmbuf_free_bulk(rx, n);
		while (k < rs->total && nb < FC_BURST) {
			const struct raw_pkt *p = &rr->pkts[k % rr->nb_pkts];
			uint64_t loop = k / rr->nb_pkts, due;

			if (rr->topspeed)
				due = start;
			else if (rr->pps > 0)
				due = start + (uint64_t)((double)k * 1e9 / rr->pps);
			else
				due = start + (uint64_t)((double)(loop * rs->period + p->t_ns) / rr->speed);
			if (now < due)
				break;
			struct rte_mbuf *m = rte_pktmbuf_alloc(rs->pair->client.pool);

			if (m == NULL) {
				rs->nomem++;
				break;
			}
			uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)p->len);

			memcpy(d, rr->bytes + p->off, p->len);
			raw_rewrite(rr, d, p->len, p->cut, &rs->pair->client.mac);
			if (!rr->topspeed)
				fc_hist_record(rs->lag, now - due);
			burst[nb++] = m;
			k++;
		}
		if (nb) {
			uint16_t s = fc_port_tx_burst(rs->pair->client_port, 0, burst, (uint16_t)nb);

			for (uint16_t i = 0; i < s; i++)
				rs->bytes += rte_pktmbuf_pkt_len(burst[i]);
			rs->sent += s;
			if (s > 0)
				rs->end = fc_now_ns();
			if (s < nb) {
				/* Keep the order: the rest goes first next pass (bounded by the run bound). */
				memmove(burst, burst + s, sizeof(burst[0]) * (nb - s));
				rs->refused += nb - s;
			}
			nb -= s;
		}
	}
	if (nb)
		rte_pktmbuf_free_bulk(burst, nb);
	return 0;
}

static int
replay_raw(int argc, char **argv)
{
	struct raw_state r = {0};
	struct raw_port_opts po = {0};
	struct fc_errors errs;
	struct fc_pair pair;
	struct fc_net_conf nc;
	uint32_t lip = 0, gw = 0;
	uint8_t plen = 0;
	int code;

	fc_errors_init(&errs);
	raw_parse(&argc, argv, &r, &po, &errs);
	if (po.local_ip && fc_ip_parse(po.local_ip, &lip, &plen) != 0)
		fc_errors_add(&errs, "--local-ip: '%s' is not A.B.C.D/LEN", po.local_ip);
	if (po.gateway && fc_ip_parse(po.gateway, &gw, NULL) != 0)
		fc_errors_add(&errs, "--gateway: '%s' is not an IPv4 address", po.gateway);
	if (fc_errors_total(&errs)) {
		fc_errors_print(&errs, stderr);
		return FC_EXIT_INPUT;
	}
	code = raw_load(&r);
	if (code != FC_EXIT_OK)
		goto out;

	struct fc_pair_opts pao = {
		.prog = argv[0], .embedded = false, .profile = po.profile, .iface = po.iface,
		.local_ip = lip, .local_prefix = plen, .gateway = gw, .eal = po.eal, .nb_clients = 1,
	};
	code = fc_pair_up(&pair, &pao);
	if (code != FC_EXIT_OK)
		goto out;
	fc_signals_install();
	fc_pair_net_conf(&pair, &nc);
	if (!r.have_dst) {
		char ip[16];

		if (fc_pair_resolve(&pair, r.next_hop, ARP_WAIT_NS, false, &r.dst) != 0) {
			fprintf(stderr, "error: --next-hop: no ARP reply from %s\n", fc_ip_str(r.next_hop, ip));
			code = FC_EXIT_RUNTIME;
			goto out_pair;
		}
	}
	/* Loop k starts one mean packet gap after loop k - 1 ended. */
	uint64_t last = r.pkts[r.nb_pkts - 1].t_ns;
	uint64_t period = last + (r.nb_pkts > 1 ? last / (r.nb_pkts - 1) : 1000000ull);
	uint64_t npk = (uint64_t)r.nb_pkts * r.loops;
	/* Intended: from the first packet's due time to the last one's. */
	double intended_s = r.topspeed ? 0 : r.pps > 0 ? (double)(npk - 1) / r.pps :
			    ((double)(r.loops - 1) * period + last) / r.speed / 1e9;
	uint64_t bound = (uint64_t)(intended_s * 1e9) + 10000000000ull;

	printf("Replaying %s raw on %s: %u packets x %u, %s\n", r.pcap, po.iface, r.nb_pkts, r.loops,
	       r.topspeed ? "top speed" : r.pps > 0 ? "fixed packet rate" : "captured timing");
	fflush(stdout);

	struct raw_send rs = {
		.r = &r, .pair = &pair, .lag = fc_hist_create(SOCKET_ID_ANY), .period = period,
		.total = (uint64_t)r.nb_pkts * r.loops, .bound = bound,
	};
	struct fc_hist *lag = rs.lag;

	if (lag == NULL) {
		code = FC_EXIT_RUNTIME;
		goto out_pair;
	}
	/* One sender on the worker lcore (its own CPU), queue 0: the schedule is one timeline. */
	rte_eal_remote_launch(raw_send_main, &rs, pair.client_lcores[0]);
	rte_eal_wait_lcore(pair.client_lcores[0]);
	uint64_t sent = rs.sent, bytes = rs.bytes, refused = rs.refused, nomem = rs.nomem;
	uint64_t total = rs.total, start = rs.start, end = rs.end;
	double el = end > start ? (end - start) / 1e9 : 0;
	/* Rates over the intervals between packets: n packets span n - 1 gaps. */
	double ach_pps = el > 0 && sent > 1 ? (sent - 1) / el : 0;
	double want_pps = intended_s > 0 ? (total - 1) / intended_s : 0;

	printf("  sent %lu of %lu packets (%lu bytes) in %.3fs: %.0f pkt/s, %.2f Mbit/s\n",
	       (unsigned long)sent, (unsigned long)total, (unsigned long)bytes, el, ach_pps,
	       el > 0 ? bytes * 8 / el / 1e6 : 0);
	if (!r.topspeed)
		printf("  intended %.3fs, %.0f pkt/s: achieved %.2f%% of the rate; send lag p50 %.1fus, "
		       "p99 %.1fus, max %.1fus\n", intended_s, want_pps,
		       want_pps > 0 ? 100.0 * ach_pps / want_pps : 0, fc_hist_percentile(lag, 50) / 1e3,
		       fc_hist_percentile(lag, 99) / 1e3, fc_hist_max(lag) / 1e3);
	printf("  rewritten: %lu IPv4 headers, %lu TCP/UDP checksums; %lu cut by the snaplen (sent "
	       "as captured); tx queue full %lu times; no mbuf %lu times%s\n",
	       (unsigned long)r.ip_fixed, (unsigned long)r.l4_fixed, (unsigned long)r.cut,
	       (unsigned long)refused, (unsigned long)nomem, fc_stop_requested ? "; stopped by signal" : "");
	if (r.json) {
		cJSON *o = cJSON_CreateObject();

		add_num(o, "packets_sent", (double)sent);
		add_num(o, "packets_planned", (double)total);
		add_num(o, "bytes_sent", (double)bytes);
		add_num(o, "duration_s", el);
		add_num(o, "intended_duration_s", intended_s);
		add_num(o, "pps", ach_pps);
		add_num(o, "intended_pps", want_pps);
		add_num(o, "mbps", el > 0 ? bytes * 8 / el / 1e6 : 0);
		add_num(o, "lag_p50_us", fc_hist_percentile(lag, 50) / 1e3);
		add_num(o, "lag_p99_us", fc_hist_percentile(lag, 99) / 1e3);
		add_num(o, "lag_max_us", fc_hist_max(lag) / 1e3);
		add_num(o, "ip_checksums_fixed", (double)r.ip_fixed);
		add_num(o, "l4_checksums_fixed", (double)r.l4_fixed);
		add_num(o, "snaplen_cut", (double)r.cut);
		add_num(o, "tx_full", (double)refused);
		char *txt = cJSON_Print(o);
		FILE *f = fopen(r.json, "w");

		if (txt == NULL || f == NULL || fputs(txt, f) < 0) {
			fprintf(stderr, "error: cannot write %s\n", r.json);
			code = FC_EXIT_RUNTIME;
		}
		if (f)
			fclose(f);
		cJSON_free(txt);
		cJSON_Delete(o);
	}
	fc_hist_free(lag);
out_pair:
	fc_pair_down(&pair);
out:
	free(r.pkts);
	free(r.bytes);
	return code;
}

static bool
wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	return false;
}

int
fc_cmd_replay(int argc, char **argv)
{
	struct replay_state *st = calloc(1, sizeof(*st));
	struct fc_errors errs;
	int rc, exit_code = FC_EXIT_OK;

	if (st == NULL)
		return FC_EXIT_RUNTIME;
	if (wants_help(argc, argv)) {
		usage(stdout);
		free(st);
		return FC_EXIT_OK;
	}
	if (take_flag(&argc, argv, "raw")) {
		free(st);
		return replay_raw(argc, argv);
	}
	fc_errors_init(&errs);
	fc_scenario_init(&st->sc);
	fc_limits_default(&st->limits);
	if (fc_impair_opts_take(&argc, argv, &st->impair) != 0) {
		exit_code = FC_EXIT_INPUT;
		goto out_scenario;
	}
	parse_replay_opts(&argc, argv, &st->o, &errs);
	/* Everything else is `run`'s: port, target URL and allow-list, -t, timeouts, reports. */
	rc = fc_scenario_from_argv(argc, argv, &st->sc, &st->limits, &errs);
	if (rc == 0)
		rc = fc_scenario_validate(&st->sc, &st->limits, &errs);
	if (rc != 0 || fc_errors_total(&errs)) {
		fc_errors_print(&errs, stderr);
		exit_code = FC_EXIT_INPUT;
		goto out_scenario;
	}
	if (!st->sc.target.set && !st->sc.embedded) {
		fprintf(stderr, "error: target: missing URL (e.g. http://198.18.0.2/)\n");
		exit_code = FC_EXIT_INPUT;
		goto out_scenario;
	}
	/* Host becomes the target's (as written in the URL) unless --original-host. */
	char host[80];
	if (st->sc.target.port != 80)
		snprintf(host, sizeof(host), "%s:%u", st->sc.target.host, st->sc.target.port);
	else
		snprintf(host, sizeof(host), "%s", st->sc.target.host);
	st->o.ro.target_host = host;

	exit_code = load_capture(st);
	if (exit_code != FC_EXIT_OK)
		goto out_scenario;

	/* Run parameters every worker reads. */
	struct fc_run_params *rp = &st->rp;
	uint32_t max_len = 0;

	for (uint32_t i = 0; i < st->plan->num_reqs; i++)
		if (st->plan->reqs[i].len > max_len)
			max_len = st->plan->reqs[i].len;
	rp->target_ip = rte_be_to_cpu_32(st->sc.target.ip);
	rp->target_port = st->sc.target.port;
	rp->open_loop = false;
	rp->nb_workers = st->sc.cores;
	if (rp->nb_workers > st->plan->num_conns)
		rp->nb_workers = st->plan->num_conns;
	if (fc_replay_plan_assign(st->plan, rp->nb_workers, FC_REPLAY_ASSIGN_RR) != 0) {
		fprintf(stderr, "error: replay plan: cannot spread %u connections over %u workers\n",
			st->plan->num_conns, rp->nb_workers);
		exit_code = FC_EXIT_RUNTIME;
		goto out_scenario;
	}
	/* Slots: every connection of a worker at once at worst, bounded. */
	size_t most = 0;
	for (unsigned i = 0; i < rp->nb_workers; i++) {
		size_t n;

		fc_replay_plan_for_worker(st->plan, i, &n);
		most = n > most ? n : most;
	}
	uint64_t total_conns = (uint64_t)st->plan->num_conns * st->o.loops;

	most *= st->o.loops;
	rp->max_conns_per_worker = (uint32_t)(most < 16384 ? (most ? most : 1) : 16384);
	rp->pipeline = FC_PIPE_MAX;
	rp->close_mode = false;
	/* Requests the staging server closes a connection under go again (RFC 9112 §9.3.2). */
	rp->retries = 2;
	rp->connect_timeout_ns = st->sc.connect_timeout_ns;
	rp->request_timeout_ns = st->sc.request_timeout_ns;
	rp->seed = 0x5eed;
	rp->imp_rx = st->impair.rx_set ? &st->impair.rx : NULL;
	rp->imp_tx = st->impair.tx_set ? &st->impair.tx : NULL;
	/* Every replayed connection ends in TIME_WAIT on our side: room for them. */
	rp->tcp.max_conns = rp->max_conns_per_worker * 2 + 64 +
			    (uint32_t)(total_conns < 65536 ? total_conns : 65536);
	rp->tcp.rto_min_ns = 10000000ull;
	rp->tcp.rto_init_ns = 200000000ull;
	rp->tcp.snd_buf = max_len + 1 > 256u * 1024 ? max_len + 1 : 256u * 1024;
	st->source = fc_replay_source_ops;
	st->source.arg = &st->run;
	rp->source = &st->source;

	struct fc_pair_opts po = {
		.prog = argv[0], .embedded = st->sc.embedded || st->sc.profile_path[0] == '\0',
		.profile = st->sc.profile_path, .iface = st->sc.port.iface[0] ? st->sc.port.iface : NULL,
		.local_ip = st->sc.port.local_ip, .local_prefix = st->sc.port.local_prefix,
		.gateway = st->sc.port.gateway, .eal = st->sc.eal[0] ? st->sc.eal : NULL,
		.nb_clients = rp->nb_workers, .target_ip = st->sc.target.ip,
		.server_max_conns = rp->tcp.max_conns,
		.requests_in_flight = rp->max_conns_per_worker * rp->pipeline,
	};
	rc = fc_pair_up(&st->pair, &po);
	if (rc != FC_EXIT_OK) {
		exit_code = rc;
		goto out_scenario;
	}
	fc_signals_install();
	fc_pair_net_conf(&st->pair, &st->netconf);
	rp->tcp.tx_cksum_offload = st->netconf.tx_ip_cksum_offload;

	printf("Replaying %s @ %s\n", st->o.pcap, st->sc.target.url);
	if (st->sc.target.named) {
		char addr[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &st->sc.target.ip, addr, sizeof(addr));
		printf("  %s resolved to %s\n", st->sc.target.host, addr);
	}
	printf("  %u threads, %u connections, %u requests, %.3fs per loop x %u%s\n", rp->nb_workers,
	       st->plan->num_conns, st->plan->num_reqs, st->plan->duration_ns / 1e9, st->o.loops,
	       st->pair.embedded ? ", embedded server" : "");
	fflush(stdout);
	if (fc_run_resolve_target(&st->pair, st->rp.target_ip, st->sc.target.host,
				  &st->peer_mac) != 0) {
		exit_code = FC_EXIT_RUNTIME;
		goto out_pair;
	}

	/* Shared replay state. */
	struct fc_replay_run *run = &st->run;
	uint64_t planned = (uint64_t)st->plan->num_reqs * st->o.loops;

	run->plan = st->plan;
	run->pipelined = st->pipelined;
	run->loops = st->o.loops;
	run->period_ns = st->plan->duration_ns + LEAD_NS;
	run->lead_ns = LEAD_NS;
	run->default_port = st->sc.target.port;
	run->result_loops = planned <= RESULTS_MAX ? st->o.loops :
			    (uint32_t)(RESULTS_MAX / st->plan->num_reqs);
	if (run->result_loops == 0)
		run->result_loops = 1;
	run->results = malloc(sizeof(uint16_t) * (uint64_t)st->plan->num_reqs * run->result_loops);
	st->workers = rte_zmalloc("fc_workers", sizeof(*st->workers) * rp->nb_workers, 64);
	if (run->results == NULL || st->workers == NULL) {
		fprintf(stderr, "error: out of memory for %u workers\n", rp->nb_workers);
		exit_code = FC_EXIT_RUNTIME;
		goto out_pair;
	}
	for (uint64_t k = 0; k < (uint64_t)st->plan->num_reqs * run->result_loops; k++)
		run->results[k] = FC_REPLAY_NO_RESULT;
	for (unsigned i = 0; i < rp->nb_workers; i++) {
		struct fc_client_worker *w = &st->workers[i];

		w->idx = i;
		w->lcore = st->pair.client_lcores[i];
		fc_pair_io_init(&st->pair, &w->io, false, i);
		st->nb_inited = i + 1;
		rc = fc_client_worker_init(w, rp, &st->netconf, &st->peer_mac,
					   (int)rte_lcore_to_socket_id(w->lcore));
		if (rc != 0) {
			fprintf(stderr, "error: worker %u: setup failed: %s\n", i, strerror(-rc));
			exit_code = FC_EXIT_RUNTIME;
			goto out_workers;
		}
	}
	/* t = 0 a little ahead, once every worker is set up: the workers are polling and the
	 * first connections are open before their first request is due. */
	rp->start_ns = fc_now_ns() + LEAD_NS + 50000000ull;
	run->start_ns = rp->start_ns;
	for (unsigned i = 0; i < rp->nb_workers; i++)
		rte_eal_remote_launch(fc_client_worker_main, &st->workers[i], st->workers[i].lcore);

	struct fc_report *report = fc_report_create();
	uint64_t drain = rp->request_timeout_ns < 5000000000ull ? rp->request_timeout_ns : 5000000000ull;
	struct fc_control c = {
		.workers = st->workers, .nb_workers = rp->nb_workers, .rp = rp,
		.stop = &fc_stop_requested,
		/* A bound only: the phase ends when every worker's plan is done. */
		.duration_ns = run->period_ns * st->o.loops + rp->request_timeout_ns * 2 + LEAD_NS +
			       1000000000ull,
		.drain_ns = drain, .close_ns = 1000000000ull, .interval_ns = 1000000000ull,
		.report = report, .out = stdout, .tty = isatty(STDOUT_FILENO), .stop_when_done = true,
	};
	fc_control_run(&c);
	/* Their RSTs are in the counters reported next. */
	for (unsigned i = 0; i < st->rp.nb_workers; i++)
		fc_client_worker_abort_open(&st->workers[i]);
	fc_run_report_counters(st->workers, st->rp.nb_workers, report, stdout);

	/* Replay totals, before the worker state goes. */
	struct replay_totals t = {
		.planned = planned, .lag = fc_hist_create(SOCKET_ID_ANY),
		.lag_free = fc_hist_create(SOCKET_ID_ANY),
	};

	for (unsigned i = 0; i < rp->nb_workers; i++) {
		struct fc_replay_worker *rw = st->workers[i].src;

		if (rw == NULL)
			continue;
		if (t.lag && rw->lag)
			fc_hist_merge(t.lag, rw->lag);
		if (t.lag_free && rw->lag_free)
			fc_hist_merge(t.lag_free, rw->lag_free);
		t.held += rw->held;
		t.reopens += rw->reopens;
		t.slot_waits += rw->slot_waits;
		t.too_large += rw->too_large;
	}
	for (unsigned i = 0; i < rp->nb_workers; i++)
		fc_client_worker_fini(&st->workers[i]);
	st->nb_inited = 0;

	cJSON *scj = fc_scenario_to_json(&st->sc);

	fc_report_set_scenario(report, scj);
	cJSON_Delete(scj);
	snprintf(report->url, sizeof(report->url), "%s", st->sc.target.url);
	report->threads = rp->nb_workers;
	report->connections = st->plan->num_conns;
	report->duration_s = c.elapsed_s;
	report->limits_widened = st->sc.limits_widened;
	for (unsigned i = 0; i < rp->nb_workers; i++)
		fc_report_add_core(report, st->workers[i].lcore,
				   (int)rte_lcore_to_socket_id(st->workers[i].lcore), &st->workers[i].stats);
	fc_report_sum_cores(report);
	t.sent = report->totals.req_sent;
	t.unsent = planned > t.sent ? planned - t.sent : 0;
	fc_report_set_counter(report, "requests_unsent", t.unsent);

	struct diff d;

	if (build_diff(st->plan, run->results, run->result_loops, &d) != 0) {
		fprintf(stderr, "error: out of memory for the response diff\n");
		exit_code = FC_EXIT_RUNTIME;
	}
	if (c.interrupted)
		printf("  stopped by signal after %.1fs; drained and closed\n", c.elapsed_s);
	fc_report_print_summary(report, stdout);
	fc_run_print_cost(st->workers, st->rp.nb_workers, stdout);
	if (st->pair.embedded)
		fc_pair_print_server(&st->pair, stdout);
	if (t.lag && t.lag_free)
		replay_text(st, &t, &d, stdout);

	int wrc = fc_run_write_outputs(report, &st->sc.output, "replay",
				       st->sc.output.json_path[0] && t.lag && t.lag_free ?
				       replay_json(st, &t, &d) : NULL);

	if (wrc == 2 || (wrc == 1 && exit_code == FC_EXIT_OK))
		exit_code = FC_EXIT_RUNTIME;
	free(d.ch);
	fc_hist_free(t.lag);
	fc_hist_free(t.lag_free);
	fc_report_free(report);
out_workers:
	for (unsigned i = 0; i < st->nb_inited; i++)
		fc_client_worker_fini(&st->workers[i]);
	for (unsigned i = 0; st->workers && i < rp->nb_workers; i++) {
		struct fc_replay_worker *rw = st->workers[i].src;

		if (rw) {
			fc_hist_free(rw->lag);
			fc_hist_free(rw->lag_free);
			rte_free(rw);
		}
	}
out_pair:
	rte_free(st->workers);
	fc_pair_down(&st->pair);
out_scenario:
	free(st->run.results);
	free(st->pipelined);
	free(st->x.resp_at);
	free(st->x.piped);
	fc_replay_plan_free(st->plan);
	fc_http_mix_free(&st->mix);
	fc_scenario_free(&st->sc);
	free(st);
	return exit_code;
}
