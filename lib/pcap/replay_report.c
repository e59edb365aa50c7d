/* SPDX-License-Identifier: BSD-3-Clause */
/* The capture side of replay: reading into a plan, the status diff, the report. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fc_replay_report.h"

static int
on_request(const struct fc_pcap_request *r, void *arg)
{
	struct fc_replay_capture *x = arg;

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
	struct fc_replay_capture *x = arg;

	if (x->n_ex < FC_REPLAY_SKIP_EXAMPLES) {
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
pipelined_flags(const struct fc_replay_plan *p, struct fc_replay_capture *x)
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

int
fc_replay_diff_build(const struct fc_replay_plan *p, const uint16_t *res, uint32_t loops, struct fc_replay_diff *d)
{
	uint64_t n = (uint64_t)p->num_reqs * loops, m = 0;
	struct diff_ent *e = malloc(sizeof(*e) * (n ? n : 1));

	memset(d, 0, sizeof(*d));
	if (e == NULL)
		return -ENOMEM;
	for (uint64_t k = 0; k < n; k++) {
		uint32_t i = (uint32_t)(k % p->num_reqs);
		uint16_t from = p->reqs[i].orig_status, to = res[k];

		if (to == FC_REPLAY_UNSENT) {
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
		struct fc_replay_change *c = realloc(d->ch, sizeof(*c) * (d->n_ch + 1));

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
		/* Runs of one path; keep the FC_REPLAY_TOP_PATHS largest. */
		for (uint64_t r = k; r < end;) {
			uint64_t q = r;

			while (q < end && same_path(p, e[q].req, e[r].req))
				q++;
			uint64_t cnt = q - r;
			unsigned pos = c->n_top;

			while (pos > 0 && c->top[pos - 1].count < cnt)
				pos--;
			if (pos < FC_REPLAY_TOP_PATHS) {
				unsigned last = c->n_top < FC_REPLAY_TOP_PATHS ? c->n_top : FC_REPLAY_TOP_PATHS - 1;

				memmove(&c->top[pos + 1], &c->top[pos], sizeof(c->top[0]) * (last - pos));
				c->top[pos].req = e[r].req;
				c->top[pos].count = cnt;
				if (c->n_top < FC_REPLAY_TOP_PATHS)
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
			struct fc_replay_change t = d->ch[j];

			d->ch[j] = d->ch[j - 1];
			d->ch[j - 1] = t;
		}
	return 0;
}

void
fc_replay_diff_free(struct fc_replay_diff *d)
{
	free(d->ch);
	d->ch = NULL;
	d->n_ch = 0;
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

int
fc_replay_capture_load(struct fc_replay_capture *c, const char *path,
		       const struct fc_replay_opts *o, double rate, char *err, size_t errlen)
{
	/* Captured server ports, for flows seen without their SYN: the usual HTTP ones and
	 * every --map-port source. */
	static const uint16_t http_ports[] = {80, 8080, 8000, 8008, 8888, 3128};
	struct fc_pcap_opts po;
	struct fc_pcap_extractor *x;
	char e[FC_PCAP_ERRLEN] = "";
	int rc;

	c->plan = fc_replay_plan_create(o, e, sizeof(e));
	if (c->plan == NULL) {
		snprintf(err, errlen, "replay options: %s", e);
		return -EINVAL;
	}
	fc_pcap_opts_default(&po);
	po.num_server_ports = 0;
	for (unsigned i = 0; i < sizeof(http_ports) / sizeof(http_ports[0]); i++)
		po.server_ports[po.num_server_ports++] = http_ports[i];
	for (unsigned i = 0; i < o->num_port_map && po.num_server_ports < FC_PCAP_MAX_SERVER_PORTS; i++)
		po.server_ports[po.num_server_ports++] = o->port_map[i].from;
	po.on_request = on_request;
	po.on_skip = on_skip;
	po.arg = c;
	x = fc_pcap_extractor_create(&po);
	if (x == NULL) {
		rc = -errno;
		snprintf(err, errlen, "extractor: %s", strerror(errno));
		return rc;
	}
	rc = fc_pcap_extract_file(x, path, e, sizeof(e));
	c->stats = *fc_pcap_extractor_stats(x);
	fc_pcap_extractor_free(x);
	if (rc == -EBADMSG && c->stats.packets > 0) {
		/* A capture cut short (tcpdump killed, disk full): what was read is replayed. */
		c->truncated = true;
		snprintf(c->warning, sizeof(c->warning), "%s", e);
	} else if (rc == -ENOMEM) {
		snprintf(err, errlen, "--pcap: %s: out of memory", path);
		return rc;
	} else if (rc != 0) {
		if (e[0])
			snprintf(err, errlen, "--pcap: %s", e);
		else
			snprintf(err, errlen, "--pcap: %s: %s", path, strerror(-rc));
		return -EINVAL;
	}
	rc = fc_replay_plan_finish(c->plan);
	if (rc != 0) {
		snprintf(err, errlen, "replay plan: %s", strerror(-rc));
		return rc;
	}
	if (c->plan->num_reqs == 0) {
		snprintf(err, errlen, "--pcap: %s: no HTTP request to replay (%lu packets, %lu TCP "
			 "flows, %lu requests extracted, %lu skipped, %lu filtered out)", path,
			 (unsigned long)c->stats.packets, (unsigned long)c->stats.flows,
			 (unsigned long)c->stats.requests_extracted, (unsigned long)c->stats.requests_skipped,
			 (unsigned long)(c->plan->stats.filtered_url + c->plan->stats.filtered_method));
		return -EINVAL;
	}
	if (rate > 0 && apply_rate(c->plan, rate) != 0) {
		snprintf(err, errlen, "--rate: out of memory");
		return -ENOMEM;
	}
	c->pipelined = pipelined_flags(c->plan, c);
	if (c->pipelined == NULL) {
		snprintf(err, errlen, "replay plan: out of memory");
		return -ENOMEM;
	}
	return 0;
}

void
fc_replay_capture_free(struct fc_replay_capture *c)
{
	free(c->pipelined);
	free(c->resp_at);
	free(c->piped);
	fc_replay_plan_free(c->plan);
	memset(c, 0, sizeof(*c));
}

static void
add_num(cJSON *o, const char *k, double v)
{
	cJSON_AddNumberToObject(o, k, v);
}

/* The "replay" object of the JSON report. */
cJSON *
fc_replay_report_json(const struct fc_replay_capture *cap, const struct fc_replay_result *t,
		      const struct fc_replay_diff *d)
{
	cJSON *root = cJSON_CreateObject(), *o, *s, *a;
	char b[8], path[512];

	if (root == NULL)
		return NULL;
	o = cJSON_AddObjectToObject(root, "capture");
	cJSON_AddStringToObject(o, "file", t->pcap);
	cJSON_AddBoolToObject(o, "truncated", cap->truncated);
	add_num(o, "packets", (double)cap->stats.packets);
	add_num(o, "bytes", (double)cap->stats.bytes);
	add_num(o, "flows", (double)cap->stats.flows);
	add_num(o, "gaps", (double)cap->stats.gaps);
	add_num(o, "retransmits", (double)cap->stats.retransmits);
	add_num(o, "truncated_packets", (double)cap->stats.truncated_packets);
	add_num(o, "requests_seen", (double)cap->stats.requests_seen);
	add_num(o, "responses", (double)cap->stats.responses);
	add_num(o, "duration_s", (cap->stats.last_ts_ns - cap->stats.first_ts_ns) / 1e9);

	o = cJSON_AddObjectToObject(root, "requests");
	add_num(o, "extracted", (double)cap->stats.requests_extracted);
	add_num(o, "planned", (double)cap->plan->num_reqs);
	add_num(o, "filtered", (double)(cap->plan->stats.filtered_url + cap->plan->stats.filtered_method));
	add_num(o, "filtered_url", (double)cap->plan->stats.filtered_url);
	add_num(o, "filtered_method", (double)cap->plan->stats.filtered_method);
	add_num(o, "dropped_memory", (double)cap->plan->stats.dropped_arena);
	add_num(o, "skipped", (double)cap->stats.requests_skipped);
	s = cJSON_AddObjectToObject(o, "skipped_by_reason");
	for (int r = 0; r < FC_PCAP_SKIP__COUNT; r++)
		add_num(s, fc_pcap_skip_reason_str((enum fc_pcap_skip_reason)r), (double)cap->stats.skipped[r]);
	add_num(o, "replayed", (double)t->sent);
	add_num(o, "to_replay", (double)t->planned);
	add_num(o, "unsent", (double)t->unsent);
	add_num(o, "too_large", (double)t->too_large);

	o = cJSON_AddObjectToObject(root, "plan");
	add_num(o, "connections", cap->plan->num_conns);
	add_num(o, "loops", t->loops);
	add_num(o, "speed", t->speed);
	add_num(o, "rate", t->rate);
	add_num(o, "max_wait_s", t->max_wait_ns / 1e9);
	add_num(o, "duration_s", cap->plan->duration_ns / 1e9);
	add_num(o, "reopened_connections", (double)t->reopens);

	o = cJSON_AddObjectToObject(root, "schedule_lag_us");
	add_num(o, "count", (double)t->lag.count);
	add_num(o, "p50", (double)t->lag.p50 / 1e3);
	add_num(o, "p99", (double)t->lag.p99 / 1e3);
	add_num(o, "p99_9", (double)t->lag.p999 / 1e3);
	add_num(o, "max", (double)t->lag.max / 1e3);
	add_num(o, "mean", t->lag.mean / 1e3);
	add_num(o, "held_for_response", (double)t->held);
	s = cJSON_AddObjectToObject(o, "not_held");
	add_num(s, "count", (double)t->lag_free.count);
	add_num(s, "p50", (double)t->lag_free.p50 / 1e3);
	add_num(s, "p99", (double)t->lag_free.p99 / 1e3);
	add_num(s, "max", (double)t->lag_free.max / 1e3);

	o = cJSON_AddObjectToObject(root, "diff");
	add_num(o, "compared", (double)d->compared);
	add_num(o, "same", (double)d->same);
	add_num(o, "changed", (double)(d->compared - d->same));
	add_num(o, "no_captured_response", (double)d->no_capture);
	add_num(o, "not_replayed", (double)d->unsent);
	a = cJSON_AddArrayToObject(o, "changes");
	for (unsigned i = 0; i < d->n_ch; i++) {
		const struct fc_replay_change *c = &d->ch[i];
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

			path_of(cap->plan, c->top[k].req, path, sizeof(path));
			cJSON_AddStringToObject(pe, "path", path);
			add_num(pe, "count", (double)c->top[k].count);
			cJSON_AddItemToArray(tp, pe);
		}
	}
	return root;
}

void
fc_replay_report_print(const struct fc_replay_capture *cap, const struct fc_replay_result *t,
		       const struct fc_replay_diff *d, FILE *f)
{
	char b[8], b2[8], path[120];

	fprintf(f, "Replay of %s%s:\n", t->pcap, cap->truncated ? " (truncated capture)" : "");
	fprintf(f, "  capture: %lu packets, %lu TCP flows, %.3fs; requests seen %lu: %lu extracted, "
		"%lu skipped\n", (unsigned long)cap->stats.packets, (unsigned long)cap->stats.flows,
		(cap->stats.last_ts_ns - cap->stats.first_ts_ns) / 1e9, (unsigned long)cap->stats.requests_seen,
		(unsigned long)cap->stats.requests_extracted, (unsigned long)cap->stats.requests_skipped);
	if (cap->stats.requests_skipped) {
		fprintf(f, "  skipped:");
		for (int r = 0, first = 1; r < FC_PCAP_SKIP__COUNT; r++)
			if (cap->stats.skipped[r]) {
				fprintf(f, "%s %s %lu", first ? "" : ",",
					fc_pcap_skip_reason_str((enum fc_pcap_skip_reason)r),
					(unsigned long)cap->stats.skipped[r]);
				first = 0;
			}
		fprintf(f, "\n");
		for (unsigned i = 0; i < cap->n_ex; i++)
			fprintf(f, "    e.g. connection %lu request %u: %s (%s)\n",
				(unsigned long)cap->ex[i].conn_id, cap->ex[i].seq,
				fc_pcap_skip_reason_str(cap->ex[i].reason),
				cap->ex[i].detail ? cap->ex[i].detail : "");
	}
	fprintf(f, "  plan: %u requests on %u connections, %.3fs per loop, %u loop(s); filtered "
		"%lu (url %lu, method %lu)%s\n", cap->plan->num_reqs, cap->plan->num_conns,
		cap->plan->duration_ns / 1e9, t->loops,
		(unsigned long)(cap->plan->stats.filtered_url + cap->plan->stats.filtered_method),
		(unsigned long)cap->plan->stats.filtered_url, (unsigned long)cap->plan->stats.filtered_method,
		cap->plan->stats.dropped_arena ? ", some dropped: memory bound" : "");
	fprintf(f, "  replayed: %lu of %lu requests (%lu not sent); %lu connections reopened\n",
		(unsigned long)t->sent, (unsigned long)t->planned, (unsigned long)t->unsent,
		(unsigned long)t->reopens);
	fprintf(f, "  schedule lag: p50 %.1fus, p99 %.1fus, max %.1fus (%lu requests)\n",
		(double)t->lag.p50 / 1e3, (double)t->lag.p99 / 1e3,
		(double)t->lag.max / 1e3, (unsigned long)t->lag.count);
	if (t->held)
		fprintf(f, "    %lu requests waited for the previous response (not pipelined in the "
			"capture); the others: p50 %.1fus, p99 %.1fus, max %.1fus\n",
			(unsigned long)t->held, (double)t->lag_free.p50 / 1e3,
			(double)t->lag_free.p99 / 1e3, (double)t->lag_free.max / 1e3);
	fprintf(f, "  response diff against the capture: %lu compared, %lu same, %lu changed",
		(unsigned long)d->compared, (unsigned long)d->same,
		(unsigned long)(d->compared - d->same));
	if (d->no_capture)
		fprintf(f, "; %lu had no captured response", (unsigned long)d->no_capture);
	fprintf(f, "\n");
	for (unsigned i = 0; i < d->n_ch; i++) {
		const struct fc_replay_change *c = &d->ch[i];

		fprintf(f, "    %s -> %s: %lu request%s\n", status_str(c->from, b), status_str(c->to, b2),
			(unsigned long)c->count, c->count == 1 ? "" : "s");
		for (unsigned k = 0; k < c->n_top; k++) {
			path_of(cap->plan, c->top[k].req, path, sizeof(path));
			fprintf(f, "      %8lu  %s\n", (unsigned long)c->top[k].count, path);
		}
	}
}

