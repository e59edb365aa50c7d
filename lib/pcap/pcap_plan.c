/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replay plan: extracted requests filtered, rewritten and copied into an arena of
 * fixed-size blocks (pointers stay valid while the plan grows), then grouped by original
 * connection, ordered by first request, and timed (speed, max-wait).
 */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "fc_http.h"
#include "fc_pcap.h"

#define ARENA_BLOCK (1u << 20)

struct block {
	struct block *next;
	size_t used, cap;
	uint8_t data[];
};

struct staged {
	uint32_t conn;          /* index in the unsorted connection array */
	struct fc_replay_req r;
};

struct set_hdr {
	char *name;
	size_t name_len;
	char *value;
	size_t value_len;
};

struct plan_priv {
	double speed;
	uint64_t max_wait_ns;
	uint64_t max_arena;
	regex_t allow[FC_REPLAY_MAX_LIST];
	unsigned nallow;
	regex_t deny[FC_REPLAY_MAX_LIST];
	unsigned ndeny;
	char *methods[FC_REPLAY_MAX_LIST];
	unsigned nmethods;
	struct set_hdr set[FC_REPLAY_MAX_LIST];
	unsigned nset;
	char *host;             /* Host to write, NULL to keep the original */
	struct fc_replay_port_map map[FC_REPLAY_MAX_LIST];
	unsigned nmap;
	struct block *blocks;
	struct staged *st;
	size_t nst, cst;
	uint32_t *conn_of_id;   /* conn_id -> unsorted connection index, UINT32_MAX when none */
	size_t nids;
	struct fc_replay_conn *conns;
	uint64_t *conn_first_ts;
	size_t nconns, cconns;
	bool finished;
	uint32_t *wconns;       /* connection indexes grouped by worker */
	size_t *woff;           /* nworkers + 1 offsets into wconns */
	unsigned nworkers;
};

void
fc_replay_opts_default(struct fc_replay_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->speed = 1.0;
	o->max_arena_bytes = 1ull << 30;
}

static void
seterr(char *err, size_t errlen, const char *msg, const char *arg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s%s%s", msg, arg ? ": " : "", arg ? arg : "");
}

static void
priv_free(struct plan_priv *pp)
{
	for (unsigned i = 0; i < pp->nallow; i++)
		regfree(&pp->allow[i]);
	for (unsigned i = 0; i < pp->ndeny; i++)
		regfree(&pp->deny[i]);
	for (unsigned i = 0; i < pp->nmethods; i++)
		free(pp->methods[i]);
	for (unsigned i = 0; i < pp->nset; i++) {
		free(pp->set[i].name);
		free(pp->set[i].value);
	}
	free(pp->host);
	while (pp->blocks != NULL) {
		struct block *b = pp->blocks;

		pp->blocks = b->next;
		free(b);
	}
	free(pp->st);
	free(pp->conn_of_id);
	free(pp->conns);
	free(pp->conn_first_ts);
	free(pp->wconns);
	free(pp->woff);
	free(pp);
}

void
fc_replay_plan_free(struct fc_replay_plan *p)
{
	if (p == NULL)
		return;
	priv_free(p->priv);
	free(p->reqs);
	free(p);
}

static bool
valid_token(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", c) != NULL)
			return false;
	}
	return true;
}

static bool
valid_value(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return false;
	return true;
}

struct fc_replay_plan *
fc_replay_plan_create(const struct fc_replay_opts *o, char *err, size_t errlen)
{
	struct fc_replay_opts def;
	struct fc_replay_plan *p;
	struct plan_priv *pp;

	if (o == NULL) {
		fc_replay_opts_default(&def);
		o = &def;
	}
	if (!(o->speed > 0) || !isfinite(o->speed) || o->num_allow_url > FC_REPLAY_MAX_LIST ||
			o->num_deny_url > FC_REPLAY_MAX_LIST || o->num_allow_method > FC_REPLAY_MAX_LIST ||
			o->num_set_header > FC_REPLAY_MAX_LIST || o->num_port_map > FC_REPLAY_MAX_LIST) {
		seterr(err, errlen, "invalid replay options (speed must be > 0, lists at most 32 entries)", NULL);
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	pp = calloc(1, sizeof(*pp));
	if (p == NULL || pp == NULL) {
		free(p);
		free(pp);
		errno = ENOMEM;
		return NULL;
	}
	p->priv = pp;
	pp->speed = o->speed;
	pp->max_wait_ns = o->max_wait_ns;
	pp->max_arena = o->max_arena_bytes ? o->max_arena_bytes : (1ull << 30);
	for (unsigned i = 0; i < o->num_allow_url; i++) {
		if (o->allow_url[i] == NULL || regcomp(&pp->allow[i], o->allow_url[i], REG_EXTENDED | REG_NOSUB) != 0) {
			seterr(err, errlen, "allow-url: invalid regular expression", o->allow_url[i]);
			goto einval;
		}
		pp->nallow++;
	}
	for (unsigned i = 0; i < o->num_deny_url; i++) {
		if (o->deny_url[i] == NULL || regcomp(&pp->deny[i], o->deny_url[i], REG_EXTENDED | REG_NOSUB) != 0) {
			seterr(err, errlen, "deny-url: invalid regular expression", o->deny_url[i]);
			goto einval;
		}
		pp->ndeny++;
	}
	for (unsigned i = 0; i < o->num_allow_method; i++) {
		const char *m = o->allow_method[i];

		if (m == NULL || !valid_token(m, strlen(m))) {
			seterr(err, errlen, "allow-method: invalid method", m);
			goto einval;
		}
		if ((pp->methods[i] = strdup(m)) == NULL)
			goto enomem;
		pp->nmethods++;
	}
	for (unsigned i = 0; i < o->num_set_header; i++) {
		const char *h = o->set_header[i], *colon, *v;
		struct set_hdr *s = &pp->set[i];

		colon = h ? strchr(h, ':') : NULL;
		if (colon == NULL || !valid_token(h, (size_t)(colon - h)) || !valid_value(colon + 1)) {
			seterr(err, errlen, "set-header: expected 'Name: value'", h);
			goto einval;
		}
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		s->name_len = (size_t)(colon - h);
		s->name = strndup(h, s->name_len);
		s->value_len = strlen(v);
		while (s->value_len > 0 && (v[s->value_len - 1] == ' ' || v[s->value_len - 1] == '\t'))
			s->value_len--;
		s->value = strndup(v, s->value_len);
		pp->nset++;
		if (s->name == NULL || s->value == NULL)
			goto enomem;
	}
	if (o->target_host != NULL && !o->original_host) {
		if (o->target_host[0] == '\0' || strpbrk(o->target_host, " \t\r\n/") != NULL) {
			seterr(err, errlen, "invalid target host", o->target_host);
			goto einval;
		}
		if ((pp->host = strdup(o->target_host)) == NULL)
			goto enomem;
	}
	/* An explicit --set-header 'Host: ...' wins over the target's Host. */
	for (unsigned i = 0; i < pp->nset && pp->host != NULL; i++) {
		if (fc_http_token_eq(pp->set[i].name, pp->set[i].name_len, "host")) {
			free(pp->host);
			pp->host = NULL;
		}
	}
	for (unsigned i = 0; i < o->num_port_map; i++) {
		if (o->port_map[i].from == 0 || o->port_map[i].to == 0) {
			seterr(err, errlen, "map-port: ports must be 1..65535", NULL);
			goto einval;
		}
		pp->map[i] = o->port_map[i];
		pp->nmap++;
	}
	return p;
einval:
	fc_replay_plan_free(p);
	errno = EINVAL;
	return NULL;
enomem:
	fc_replay_plan_free(p);
	seterr(err, errlen, "out of memory", NULL);
	errno = ENOMEM;
	return NULL;
}

/* Space in the arena; NULL when the bound is reached (or malloc failed: *oom set). */
static uint8_t *
arena_alloc(struct fc_replay_plan *p, size_t n, bool *oom)
{
	struct plan_priv *pp = p->priv;
	struct block *b = pp->blocks;

	*oom = false;
	if (p->stats.arena_bytes + n > pp->max_arena)
		return NULL;
	if (b == NULL || b->cap - b->used < n) {
		/* Blocks grow from 16 KiB to 1 MiB: small plans stay small. */
		size_t cap = b == NULL ? 16384 : b->cap * 2;

		if (cap > ARENA_BLOCK)
			cap = ARENA_BLOCK;
		if (cap < n)
			cap = n;

		b = malloc(sizeof(*b) + cap);
		if (b == NULL) {
			*oom = true;
			return NULL;
		}
		b->cap = cap;
		b->used = 0;
		b->next = pp->blocks;
		pp->blocks = b;
		p->stats.memory_bytes += sizeof(*b) + cap;
	}
	b->used += n;
	p->stats.arena_bytes += n;
	return b->data + b->used - n;
}

static int
grow(void **arr, size_t *cap, size_t need, size_t elem, uint64_t *mem)
{
	size_t ncap;
	void *na;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	na = realloc(*arr, ncap * elem);
	if (na == NULL)
		return -ENOMEM;
	*mem += (ncap - *cap) * elem;
	*arr = na;
	*cap = ncap;
	return 0;
}

static bool
url_allowed(const struct plan_priv *pp, const char *path, size_t len)
{
	char stackbuf[2048], *s = stackbuf;
	bool ok = true;

	if (pp->nallow == 0 && pp->ndeny == 0)
		return true;
	if (len >= sizeof(stackbuf)) {
		s = malloc(len + 1);
		if (s == NULL)
			return false;
	}
	memcpy(s, path, len);
	s[len] = '\0';
	for (unsigned i = 0; i < pp->ndeny && ok; i++)
		if (regexec(&pp->deny[i], s, 0, NULL, 0) == 0)
			ok = false;
	if (ok && pp->nallow > 0) {
		ok = false;
		for (unsigned i = 0; i < pp->nallow && !ok; i++)
			if (regexec(&pp->allow[i], s, 0, NULL, 0) == 0)
				ok = true;
	}
	if (s != stackbuf)
		free(s);
	return ok;
}

static uint8_t *
put(uint8_t *w, const void *s, size_t n)
{
	memcpy(w, s, n);
	return w + n;
}

/* Rewrite the head: Host and set headers; returns bytes written or 0 on parse failure. */
static size_t
rewrite(const struct plan_priv *pp, const struct fc_pcap_request *r, uint8_t *out)
{
	struct fc_http_request q;
	const uint8_t *nl;
	uint8_t *w = out;
	int hl;

	hl = fc_http_parse_request((const char *)r->raw, r->head_len, &q);
	if (hl <= 0)
		return 0;
	nl = memchr(r->raw, '\n', r->head_len);
	if (nl == NULL)
		return 0;
	w = put(w, r->raw, (size_t)(nl - r->raw) + 1); /* request line as sent */
	if (pp->host != NULL) {
		/* A user agent sends Host first (RFC 9110 §7.2). */
		w = put(w, "Host: ", 6);
		w = put(w, pp->host, strlen(pp->host));
		w = put(w, "\r\n", 2);
	}
	for (size_t i = 0; i < q.num_headers; i++) {
		const struct fc_http_header *h = &q.headers[i];
		bool drop = false;

		if (pp->host != NULL && fc_http_token_eq(h->name, h->name_len, "host"))
			drop = true;
		for (unsigned j = 0; j < pp->nset && !drop; j++)
			if (h->name_len == pp->set[j].name_len &&
					strncasecmp(h->name, pp->set[j].name, h->name_len) == 0)
				drop = true;
		if (drop)
			continue;
		w = put(w, h->name, h->name_len);
		w = put(w, ": ", 2);
		w = put(w, h->value, h->value_len);
		w = put(w, "\r\n", 2);
	}
	for (unsigned j = 0; j < pp->nset; j++) {
		w = put(w, pp->set[j].name, pp->set[j].name_len);
		w = put(w, ": ", 2);
		w = put(w, pp->set[j].value, pp->set[j].value_len);
		w = put(w, "\r\n", 2);
	}
	w = put(w, "\r\n", 2);
	w = put(w, r->raw + r->head_len, r->raw_len - r->head_len);
	return (size_t)(w - out);
}

int
fc_replay_plan_add(struct fc_replay_plan *p, const struct fc_pcap_request *r)
{
	struct plan_priv *pp = p->priv;
	struct staged *s;
	uint8_t *data;
	size_t len, room;
	uint32_t ci;
	bool oom, ok;

	if (pp->finished)
		return -EBUSY;
	p->stats.offered++;
	if (pp->nmethods > 0) {
		ok = false;
		for (unsigned i = 0; i < pp->nmethods && !ok; i++)
			ok = strlen(pp->methods[i]) == r->method_len &&
				memcmp(pp->methods[i], r->method, r->method_len) == 0;
		if (!ok) {
			p->stats.filtered_method++;
			return 1;
		}
	}
	if (!url_allowed(pp, r->path, r->path_len)) {
		p->stats.filtered_url++;
		return 1;
	}
	if (r->raw_len > UINT32_MAX / 2) {
		p->stats.dropped_arena++;
		return 1;
	}
	if (pp->host == NULL && pp->nset == 0) {
		data = arena_alloc(p, r->raw_len, &oom);
		if (data == NULL)
			goto full;
		memcpy(data, r->raw, r->raw_len);
		len = r->raw_len;
	} else {
		room = r->raw_len + 8 + (pp->host ? strlen(pp->host) + 8 : 0);
		for (unsigned j = 0; j < pp->nset; j++)
			room += pp->set[j].name_len + pp->set[j].value_len + 4;
		data = arena_alloc(p, room, &oom);
		if (data == NULL)
			goto full;
		len = rewrite(pp, r, data);
		if (len == 0) {
			memcpy(data, r->raw, r->raw_len);
			len = r->raw_len;
		}
		/* Give back the unused tail (the block we just took it from is the head). */
		pp->blocks->used -= room - len;
		p->stats.arena_bytes -= room - len;
	}

	/* Connection of this request. */
	if (r->conn_id >= pp->nids) {
		size_t old = pp->nids;

		if (grow((void **)&pp->conn_of_id, &pp->nids, r->conn_id + 1, sizeof(uint32_t),
				&p->stats.memory_bytes) < 0)
			return -ENOMEM;
		memset(pp->conn_of_id + old, 0xff, (pp->nids - old) * sizeof(uint32_t));
	}
	ci = pp->conn_of_id[r->conn_id];
	if (ci == UINT32_MAX) {
		struct fc_replay_conn *c;
		size_t cc = pp->cconns;

		if (grow((void **)&pp->conns, &pp->cconns, pp->nconns + 1, sizeof(*pp->conns),
				&p->stats.memory_bytes) < 0)
			return -ENOMEM;
		if (pp->cconns != cc) {
			uint64_t *nt = realloc(pp->conn_first_ts, pp->cconns * sizeof(uint64_t));

			if (nt == NULL)
				return -ENOMEM;
			p->stats.memory_bytes += (pp->cconns - cc) * sizeof(uint64_t);
			pp->conn_first_ts = nt;
		}
		ci = (uint32_t)pp->nconns++;
		pp->conn_of_id[r->conn_id] = ci;
		c = &pp->conns[ci];
		memset(c, 0, sizeof(*c));
		c->orig_conn_id = r->conn_id;
		c->client = r->client;
		c->server = r->server;
		for (unsigned i = 0; i < pp->nmap; i++)
			if (pp->map[i].from == r->server.port)
				c->target_port = pp->map[i].to;
		pp->conn_first_ts[ci] = r->ts_ns;
	}
	if (r->ts_ns < pp->conn_first_ts[ci])
		pp->conn_first_ts[ci] = r->ts_ns;
	pp->conns[ci].num_reqs++;

	if (grow((void **)&pp->st, &pp->cst, pp->nst + 1, sizeof(*pp->st), &p->stats.memory_bytes) < 0)
		return -ENOMEM;
	s = &pp->st[pp->nst++];
	s->conn = ci;
	s->r.data = data;
	s->r.len = (uint32_t)len;
	s->r.seq = r->seq;
	s->r.method_len = (uint16_t)r->method_len;
	s->r.orig_status = r->status;
	s->r.path_off = (uint32_t)((const uint8_t *)r->path - r->raw);
	s->r.path_len = (uint32_t)r->path_len;
	s->r.orig_ts_ns = r->ts_ns;
	s->r.orig_rsp_ns = r->rsp_time_ns;
	p->stats.added++;
	return 0;
full:
	if (oom)
		return -ENOMEM;
	p->stats.dropped_arena++;
	return 1;
}

int
fc_replay_plan_on_request(const struct fc_pcap_request *r, void *arg)
{
	int rc = fc_replay_plan_add(arg, r);

	return rc < 0 ? rc : 0;
}

/* qsort_r comparators (glibc argument order): no global state, plans are independent. */
static int
cmp_conn(const void *a, const void *b, void *arg)
{
	const uint64_t *sort_ts = arg;
	uint32_t ia = *(const uint32_t *)a, ib = *(const uint32_t *)b;

	if (sort_ts[ia] != sort_ts[ib])
		return sort_ts[ia] < sort_ts[ib] ? -1 : 1;
	return ia < ib ? -1 : (ia > ib);
}

static int
cmp_req_ts(const void *a, const void *b, void *arg)
{
	const struct fc_replay_req *sort_reqs = arg;
	uint32_t ia = *(const uint32_t *)a, ib = *(const uint32_t *)b;

	if (sort_reqs[ia].orig_ts_ns != sort_reqs[ib].orig_ts_ns)
		return sort_reqs[ia].orig_ts_ns < sort_reqs[ib].orig_ts_ns ? -1 : 1;
	return ia < ib ? -1 : (ia > ib); /* reqs are grouped by connection: keeps seq order */
}

static int
cmp_staged(const void *a, const void *b)
{
	const struct staged *x = a, *y = b;

	if (x->conn != y->conn)
		return x->conn < y->conn ? -1 : 1;
	return x->r.seq < y->r.seq ? -1 : (x->r.seq > y->r.seq);
}

static uint64_t
scale(uint64_t gap, double speed, uint64_t cap)
{
	double g = (double)gap / speed;
	uint64_t v = g >= 1.8e19 ? UINT64_MAX : (uint64_t)g;

	return cap && v > cap ? cap : v;
}

int
fc_replay_plan_finish(struct fc_replay_plan *p)
{
	struct plan_priv *pp = p->priv;
	uint32_t *order = NULL, *rank = NULL, *idx = NULL;
	struct fc_replay_conn *conns = NULL;
	struct fc_replay_req *reqs = NULL;
	size_t n = pp->nst, nc = pp->nconns;
	uint64_t prev_ts = 0, prev_send = 0;

	if (pp->finished)
		return -EBUSY;
	order = malloc((nc ? nc : 1) * sizeof(*order));
	rank = malloc((nc ? nc : 1) * sizeof(*rank));
	conns = malloc((nc ? nc : 1) * sizeof(*conns));
	reqs = malloc((n ? n : 1) * sizeof(*reqs));
	idx = malloc((n ? n : 1) * sizeof(*idx));
	if (order == NULL || rank == NULL || conns == NULL || reqs == NULL || idx == NULL) {
		free(order);
		free(rank);
		free(conns);
		free(reqs);
		free(idx);
		return -ENOMEM;
	}
	/* Connections in order of their first request. */
	for (uint32_t i = 0; i < nc; i++)
		order[i] = i;
	/* Nothing to sort with fewer than two: and with none, pp->st may be NULL, which
	 * qsort() must not be given even for a count of 0 (C11 7.22.5 ¶1). */
	if (nc > 1)
		qsort_r(order, nc, sizeof(*order), cmp_conn, pp->conn_first_ts);
	for (uint32_t i = 0; i < nc; i++)
		rank[order[i]] = i;
	for (size_t i = 0; i < n; i++)
		pp->st[i].conn = rank[pp->st[i].conn];
	/* Requests grouped by connection, in original order within it. With none, st is NULL,
	 * which qsort() must not be given even for 0 elements (UBSan: nonnull argument). */
	if (n > 1)
		qsort(pp->st, n, sizeof(*pp->st), cmp_staged);
	for (uint32_t i = 0; i < nc; i++) {
		conns[i] = pp->conns[order[i]];
		conns[i].num_reqs = 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct fc_replay_conn *c = &conns[pp->st[i].conn];

		if (c->num_reqs == 0)
			c->first_req = (uint32_t)i;
		c->num_reqs++;
		reqs[i] = pp->st[i].r;
	}
	/* Global timeline: scaled gaps, each capped at max_wait. */
	for (uint32_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_req_ts, reqs);
	for (size_t i = 0; i < n; i++) {
		struct fc_replay_req *q = &reqs[idx[i]];

		if (i == 0)
			q->send_ns = 0;
		else
			q->send_ns = prev_send + scale(q->orig_ts_ns - prev_ts, pp->speed, pp->max_wait_ns);
		prev_ts = q->orig_ts_ns;
		prev_send = q->send_ns;
	}
	/* Then no connection waits longer than max_wait between two of its requests. */
	p->duration_ns = 0;
	for (uint32_t c = 0; c < nc; c++) {
		struct fc_replay_req *q = &reqs[conns[c].first_req];

		for (uint32_t k = 0; k < conns[c].num_reqs; k++) {
			if (k > 0 && pp->max_wait_ns && q[k].send_ns > q[k - 1].send_ns + pp->max_wait_ns)
				q[k].send_ns = q[k - 1].send_ns + pp->max_wait_ns;
			if (k > 0 && q[k].send_ns < q[k - 1].send_ns)
				q[k].send_ns = q[k - 1].send_ns;
			if (q[k].send_ns > p->duration_ns)
				p->duration_ns = q[k].send_ns;
		}
	}
	free(order);
	free(rank);
	free(idx);
	/* The staging arrays are no longer needed. */
	p->stats.memory_bytes -= pp->cst * sizeof(*pp->st);
	free(pp->st);
	pp->st = NULL;
	pp->nst = pp->cst = 0;
	p->stats.memory_bytes += (nc + n) ? nc * sizeof(*conns) + n * sizeof(*reqs) : 0;
	free(pp->conns);
	pp->conns = conns;
	p->conns = conns;
	p->num_conns = (uint32_t)nc;
	p->reqs = reqs;
	p->num_reqs = (uint32_t)n;
	pp->finished = true;
	return 0;
}

static uint32_t
ep_hash(const struct fc_replay_conn *c)
{
	uint32_t h = 2166136261u;
	const struct fc_pcap_endpoint *e[2] = { &c->client, &c->server };

	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 16; i++)
			h = (h ^ e[k]->addr[i]) * 16777619u;
		h = (h ^ (e[k]->port & 0xff)) * 16777619u;
		h = (h ^ (e[k]->port >> 8)) * 16777619u;
	}
	return h;
}

int
fc_replay_plan_assign(struct fc_replay_plan *p, unsigned nworkers, enum fc_replay_assign mode)
{
	struct plan_priv *pp = p->priv;
	uint32_t *w;
	size_t *off, *fill;

	if (!pp->finished || nworkers == 0 || nworkers > 1024 ||
			(mode != FC_REPLAY_ASSIGN_RR && mode != FC_REPLAY_ASSIGN_HASH))
		return -EINVAL;
	w = malloc((p->num_conns ? p->num_conns : 1) * sizeof(*w));
	off = calloc(nworkers + 1, sizeof(*off));
	fill = calloc(nworkers, sizeof(*fill));
	if (w == NULL || off == NULL || fill == NULL) {
		free(w);
		free(off);
		free(fill);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < p->num_conns; i++) {
		struct fc_replay_conn *c = &p->conns[i];

		c->worker = mode == FC_REPLAY_ASSIGN_RR ? i % nworkers : ep_hash(c) % nworkers;
		off[c->worker + 1]++;
	}
	for (unsigned k = 0; k < nworkers; k++)
		off[k + 1] += off[k];
	for (uint32_t i = 0; i < p->num_conns; i++) {
		unsigned k = p->conns[i].worker;

		w[off[k] + fill[k]++] = i;
	}
	free(fill);
	free(pp->wconns);
	free(pp->woff);
	pp->wconns = w;
	pp->woff = off;
	pp->nworkers = nworkers;
	return 0;
}

const uint32_t *
fc_replay_plan_for_worker(const struct fc_replay_plan *p, unsigned worker, size_t *n)
{
	const struct plan_priv *pp = p->priv;

	*n = 0;
	if (pp->woff == NULL || worker >= pp->nworkers)
		return NULL;
	*n = pp->woff[worker + 1] - pp->woff[worker];
	return pp->wconns + pp->woff[worker];
}

struct fc_replay_plan *
fc_replay_plan_build(const char *path, const struct fc_pcap_opts *po,
		const struct fc_replay_opts *ro, struct fc_pcap_stats *st, char *err, size_t errlen)
{
	struct fc_pcap_opts o;
	struct fc_pcap_extractor *x;
	struct fc_replay_plan *p;
	int rc;

	p = fc_replay_plan_create(ro, err, errlen);
	if (p == NULL)
		return NULL;
	if (po != NULL)
		o = *po;
	else
		fc_pcap_opts_default(&o);
	o.on_request = fc_replay_plan_on_request;
	o.on_skip = NULL;
	o.arg = p;
	x = fc_pcap_extractor_create(&o);
	if (x == NULL) {
		int e = errno;

		seterr(err, errlen, "invalid extraction options", NULL);
		fc_replay_plan_free(p);
		errno = e;
		return NULL;
	}
	rc = fc_pcap_extract_file(x, path, err, errlen);
	if (st != NULL)
		*st = *fc_pcap_extractor_stats(x);
	fc_pcap_extractor_free(x);
	if (rc == 0)
		rc = fc_replay_plan_finish(p);
	if (rc < 0) {
		if (rc == -ENOMEM)
			seterr(err, errlen, "out of memory", NULL);
		fc_replay_plan_free(p);
		errno = -rc;
		return NULL;
	}
	return p;
}
