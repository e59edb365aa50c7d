/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Target URL, allow-list, validation against the limits envelope, the request mix and
 * the resolved scenario as JSON.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc_scenario.h"
#include "scn_private.h"

void
fc_limits_default(struct fc_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->connections_min = 1;
	l->connections_max = 50000;
	l->duration_min_ns = 10ull * 1000000000ull;
	l->duration_max_ns = 24ull * 3600 * 1000000000ull;
	l->ramp_up_min_ns = 0;
	l->ramp_up_max_ns = 3600ull * 1000000000ull;
	l->rate_min = 0.1;
	l->rate_max = 100000;
	l->timeout_min_ns = 100ull * 1000000ull;
	l->timeout_max_ns = 300ull * 1000000000ull;
	l->cores_min = 1;
	l->cores_max = 64;
	l->memory_min = 128ull << 20;
	l->memory_max = 512ull << 30;
}

/* ---- target ---- */

/*
 * A host name as RFC 1123 §2.1 writes it: labels of 1..63 letters, digits and '-', not
 * starting or ending with '-', joined by '.', one optional trailing '.'. The last label
 * holds a letter (RFC 3696 §2), so "198.18.0" stays a malformed address, not a name.
 */
static bool
host_name_valid(const char *h)
{
	size_t len = strlen(h), label = 0, i;
	bool alpha = false;

	if (len > 0 && h[len - 1] == '.')
		len--;
	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c == '.') {
			if (label == 0 || h[i - 1] == '-')
				return false;
			label = 0;
			alpha = false;
			continue;
		}
		if (!isalnum(c) && c != '-')
			return false;
		if (label == 0 && c == '-')
			return false;
		if (++label > 63)
			return false;
		if (isalpha(c))
			alpha = true;
	}
	return h[len - 1] != '-' && alpha;
}

int
fc_scenario_resolve_ipv4(const char *name, uint32_t *ip, char *why, size_t len)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	/* Numeric forms first: getaddrinfo() takes inet_aton()'s ("0x7f.1", "2130706433"). */
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(name, NULL, &hints, &res) == 0) {
		freeaddrinfo(res);
		snprintf(why, len, "a numeric address, not a name: write it as a dotted quad");
		return -EINVAL;
	}
	hints.ai_flags = 0;
	res = NULL;
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0 || res == NULL) {
		snprintf(why, len, "%s", rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		if (res != NULL)
			freeaddrinfo(res);
		return rc == EAI_AGAIN ? -EAGAIN : -ENOENT;
	}
	*ip = ((const struct sockaddr_in *)(const void *)res->ai_addr)->sin_addr.s_addr;
	freeaddrinfo(res);
	return 0;
}

int
fc_scenario_resolve_target(struct fc_scenario_target *t, fc_scenario_resolve_fn fn,
		struct fc_errors *errs)
{
	char why[128] = "";
	uint32_t ip = 0;

	if (!t->set || !t->named || t->resolved)
		return 0;
	if (fn == NULL || fn(t->host, &ip, why, sizeof(why)) != 0) {
		fc_errors_add(errs, "target.host: %s does not resolve to an IPv4 address (%s)", t->host,
			fn == NULL ? "no resolver" : why);
		return -EINVAL;
	}
	t->ip = ip;
	t->resolved = true;
	return 0;
}

int
fc_scenario_set_target(const char *url, struct fc_scenario_target *t, struct fc_errors *errs)
{
	char host[64], path[256];
	const char *sep, *auth, *aend, *colon;
	size_t n;
	unsigned long port = 80;

	memset(t, 0, sizeof(*t));
	if (!fc_scn_copy(t->url, sizeof(t->url), url)) {
		fc_errors_add(errs, "target: longer than %zu bytes", sizeof(t->url) - 1);
		return -EINVAL;
	}
	sep = strstr(url, "://");
	if (sep == NULL) {
		fc_errors_add(errs, "target: \"%.64s\" is not a URL (http://A.B.C.D[:PORT][/PATH])", url);
		return -EINVAL;
	}
	if ((size_t)(sep - url) != 4 || strncasecmp(url, "http", 4) != 0) {
		fc_errors_add(errs, "target.scheme: %.*s is not supported (http only)", (int)(sep - url), url);
		return -EINVAL;
	}
	auth = sep + 3;
	aend = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(aend - auth)) != NULL) {
		fc_errors_add(errs, "target.host: user information in the URL is not supported");
		return -EINVAL;
	}
	if (*auth == '[') {
		fc_errors_add(errs, "target.host: IPv6 is not supported, give an IPv4 address");
		return -EINVAL;
	}
	colon = memchr(auth, ':', (size_t)(aend - auth));
	n = (size_t)((colon ? colon : aend) - auth);
	if (n == 0 || n >= sizeof(host)) {
		fc_errors_add(errs, "target.host: missing or too long in \"%.64s\"", url);
		return -EINVAL;
	}
	memcpy(host, auth, n);
	host[n] = '\0';
	if (colon) {
		const char *p = colon + 1;

		port = 0;
		if (p == aend)
			port = 0;
		for (; p < aend; p++) {
			if (!isdigit((unsigned char)*p) || port > 65535) {
				port = 70000;
				break;
			}
			port = port * 10 + (unsigned long)(*p - '0');
		}
		if (port == 0 || port > 65535) {
			fc_errors_add(errs, "target.port: %.*s is not a port (1..65535)",
				(int)(aend - colon - 1), colon + 1);
			return -EINVAL;
		}
	}
	if (fc_parse_ipv4(host, &t->ip) == 0) {
		t->resolved = true;
	} else if (host_name_valid(host)) {
		t->named = true;
	} else {
		for (n = 0; host[n] && !isalpha((unsigned char)host[n]); n++)
			;
		if (host[n] == '\0')
			fc_errors_add(errs, "target.host: %s is not an IPv4 address", host);
		else
			fc_errors_add(errs,
				"target.host: %s is neither an IPv4 address nor a host name (letters, digits, '-' and '.')",
				host);
		return -EINVAL;
	}
	if (*aend == '#') {
		fc_errors_add(errs, "target.path: a URL fragment (#...) is not sent, remove it");
		return -EINVAL;
	}
	if (*aend == '\0')
		snprintf(path, sizeof(path), "/");
	else if ((size_t)snprintf(path, sizeof(path), "%s%s", *aend == '?' ? "/" : "", aend) >= sizeof(path)) {
		fc_errors_add(errs, "target.path: longer than %zu bytes", sizeof(path) - 1);
		return -EINVAL;
	}
	for (n = 0; path[n]; n++) {
		if ((unsigned char)path[n] <= 0x20 || path[n] == 0x7f || path[n] == '#') {
			fc_errors_add(errs, "target.path: contains a space, '#' or control character at offset %zu (percent-encode it)", n);
			return -EINVAL;
		}
	}
	snprintf(t->host, sizeof(t->host), "%s", host);
	snprintf(t->path, sizeof(t->path), "%s", path);
	t->port = (uint16_t)port;
	t->set = true;
	return 0;
}

static const struct {
	const char *text;
	uint32_t net_host;      /* host byte order */
	uint8_t prefix;
} default_allow[] = {
	{"198.18.0.0/15", 0xc6120000u, 15},     /* RFC 2544 benchmarking */
	{"127.0.0.0/8", 0x7f000000u, 8},
};

bool
fc_scenario_target_allowed(const struct fc_scenario *sc, uint32_t ip)
{
	unsigned i;

	for (i = 0; i < sizeof(default_allow) / sizeof(default_allow[0]); i++)
		if (fc_cidr_contains(htonl(default_allow[i].net_host), default_allow[i].prefix, ip))
			return true;
	for (i = 0; i < sc->num_allow; i++)
		if (fc_cidr_contains(sc->allow[i].net, sc->allow[i].prefix, ip))
			return true;
	return false;
}

/* ---- bound checks ---- */

static void
bound_u64(struct fc_errors *e, const char *path, const char *text, uint64_t v, uint64_t min,
		uint64_t max, char *(*fmt)(uint64_t, char *, size_t))
{
	char vb[40], bb[40];
	const char *vt = text && text[0] ? text : fmt(v, vb, sizeof(vb));

	if (v < min)
		fc_errors_add(e, "%s: %s is below the limit %s", path, vt, fmt(min, bb, sizeof(bb)));
	else if (v > max)
		fc_errors_add(e, "%s: %s is above the limit %s", path, vt, fmt(max, bb, sizeof(bb)));
}

static char *
fmt_plain(uint64_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

static void
bound_rate(struct fc_errors *e, const char *path, const char *text, double v, double min, double max)
{
	char vb[40], bb[40];
	const char *vt = text && text[0] ? text : fc_fmt_rate(v, vb, sizeof(vb));

	if (v < min)
		fc_errors_add(e, "%s: %s is below the limit %s", path, vt, fc_fmt_rate(min, bb, sizeof(bb)));
	else if (v > max)
		fc_errors_add(e, "%s: %s is above the limit %s", path, vt, fc_fmt_rate(max, bb, sizeof(bb)));
}

static void
list_allow(const struct fc_scenario *sc, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(default_allow) / sizeof(default_allow[0]) && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", default_allow[i].text);
	for (i = 0; i < sc->num_allow && off < len; i++) {
		char c[24];

		off += (size_t)snprintf(buf + off, len - off, ", %s",
			fc_fmt_cidr(sc->allow[i].net, sc->allow[i].prefix, c, sizeof(c)));
	}
}

#define THINK_TIME_MAX_NS (3600ull * 1000000000ull)

static void
validate_stages(struct fc_scenario *sc, const struct fc_limits *lim, struct fc_errors *e, bool open)
{
	uint64_t sum = 0;
	double rate = sc->load.rate;
	uint32_t conns = sc->load.connections;
	bool any_rate = false;
	char p[64], b1[32], b2[32];
	unsigned i;

	for (i = 0; i < sc->num_stages; i++) {
		struct fc_stage *st = &sc->stages[i];

		if (st->duration_ns == 0) {
			snprintf(p, sizeof(p), "stages[%u].duration", i);
			fc_errors_add(e, "%s: %s is below the limit %s", p,
				st->text_duration[0] ? st->text_duration : "0s", "1ms");
		}
		sum += st->duration_ns;
		/* A stage that gives no target keeps the previous level. */
		if (st->text_rate[0]) {
			snprintf(p, sizeof(p), "stages[%u].rate", i);
			if (!open)
				fc_errors_add(e, "%s: the closed model has no rate; set load.model to constant or poisson", p);
			else if (st->rate != 0) /* 0 ramps down to idle, as in k6 */
				bound_rate(e, p, st->text_rate, st->rate, lim->rate_min, lim->rate_max);
			rate = st->rate;
		} else {
			st->rate = rate;
		}
		if (st->text_connections[0]) {
			snprintf(p, sizeof(p), "stages[%u].connections", i);
			if (st->connections != 0)
				bound_u64(e, p, st->text_connections, st->connections, lim->connections_min,
					lim->connections_max, fmt_plain);
			conns = st->connections;
		} else {
			st->connections = conns;
		}
		if (st->rate > 0)
			any_rate = true;
	}
	if (open && !any_rate)
		fc_errors_add(e, "stages: no stage has a rate above 0 (the %s model needs one)",
			sc->load.model == FC_LOAD_POISSON ? "poisson" : "constant");
	if (sc->text[FC_F_RAMP_UP][0] && sc->load.ramp_up_ns)
		fc_errors_add(e, "load.ramp_up: cannot be combined with stages (each stage ramps linearly)");
	if (sc->text[FC_F_DURATION][0] && sc->load.duration_ns != sum) {
		fc_errors_add(e, "load.duration: %s differs from the sum of the stages %s; give one of them",
			sc->text[FC_F_DURATION], fc_fmt_duration(sum, b1, sizeof(b1)));
		return;
	}
	sc->load.duration_ns = sum;
	if (sum < lim->duration_min_ns)
		fc_errors_add(e, "stages: total duration %s is below the limit %s",
			fc_fmt_duration(sum, b1, sizeof(b1)), fc_fmt_duration(lim->duration_min_ns, b2, sizeof(b2)));
	else if (sum > lim->duration_max_ns)
		fc_errors_add(e, "stages: total duration %s is above the limit %s",
			fc_fmt_duration(sum, b1, sizeof(b1)), fc_fmt_duration(lim->duration_max_ns, b2, sizeof(b2)));
}

int
fc_scenario_validate(struct fc_scenario *sc, const struct fc_limits *lim, struct fc_errors *e)
{
	unsigned before = fc_errors_total(e);
	bool open;
	char b1[64], b2[64];

	sc->limits_widened = lim->widened;
	if (lim->widened)
		snprintf(sc->limits_path, sizeof(sc->limits_path), "%s", lim->path);

	/* target and allow-list */
	/* A URL that failed to parse was reported when it was given: no second error. */
	if (!sc->target.set && sc->target.url[0] == '\0') {
		if (sc->embedded)
			fc_scenario_set_target(FC_SCENARIO_EMBEDDED_TARGET, &sc->target, e);
		else
			fc_errors_add(e, "target: missing; give a URL like http://198.18.0.2/ as the last argument or \"target\" in the scenario");
	}
	/* A name is resolved here, once, before anything is sent; the allow-list is checked on
	 * the address it resolves to. */
	fc_scenario_resolve_target(&sc->target, sc->resolve, e);
	if (sc->target.set && sc->target.resolved && !sc->embedded &&
	    !fc_scenario_target_allowed(sc, sc->target.ip)) {
		char list[256], addr[INET_ADDRSTRLEN] = "?";

		list_allow(sc, list, sizeof(list));
		inet_ntop(AF_INET, &sc->target.ip, addr, sizeof(addr));
		if (sc->target.named)
			fc_errors_add(e, "target.host: %s (resolved to %s) is outside the allow-list (%s); add it with --allow %s/32 or an \"allow\" entry",
				sc->target.host, addr, list, addr);
		else
			fc_errors_add(e, "target.host: %s is outside the allow-list (%s); add it with --allow %s/32 or an \"allow\" entry",
				sc->target.host, list, sc->target.host);
	}

	/* load model: a rate (or stage rates) without an explicit model means the constant open loop (wrk2) */
	if (!sc->text[FC_F_MODEL][0]) {
		bool rated = sc->text[FC_F_RATE][0] != '\0';
		unsigned i;

		for (i = 0; i < sc->num_stages; i++)
			rated = rated || sc->stages[i].text_rate[0] != '\0';
		if (rated)
			sc->load.model = FC_LOAD_CONSTANT;
	}
	open = sc->load.model != FC_LOAD_CLOSED;

	bound_u64(e, "load.connections", sc->text[FC_F_CONNECTIONS], sc->load.connections,
		lim->connections_min, lim->connections_max, fmt_plain);
	if (sc->num_stages) {
		validate_stages(sc, lim, e, open);
	} else {
		bound_u64(e, "load.duration", sc->text[FC_F_DURATION], sc->load.duration_ns,
			lim->duration_min_ns, lim->duration_max_ns, fc_fmt_duration);
	}
	bound_u64(e, "load.ramp_up", sc->text[FC_F_RAMP_UP], sc->load.ramp_up_ns,
		lim->ramp_up_min_ns, lim->ramp_up_max_ns, fc_fmt_duration);
	if (sc->load.ramp_up_ns > sc->load.duration_ns && sc->load.ramp_up_ns <= lim->ramp_up_max_ns)
		fc_errors_add(e, "load.ramp_up: %s is longer than load.duration %s",
			sc->text[FC_F_RAMP_UP][0] ? sc->text[FC_F_RAMP_UP] : fc_fmt_duration(sc->load.ramp_up_ns, b1, sizeof(b1)),
			fc_fmt_duration(sc->load.duration_ns, b2, sizeof(b2)));
	if (open) {
		if (sc->text[FC_F_RATE][0])
			bound_rate(e, "load.rate", sc->text[FC_F_RATE], sc->load.rate, lim->rate_min, lim->rate_max);
		else if (sc->num_stages == 0)
			fc_errors_add(e, "load.rate: missing; the %s model needs a rate (-R)",
				sc->load.model == FC_LOAD_POISSON ? "poisson" : "constant");
		if (sc->load.think_time_ns)
			fc_errors_add(e, "load.think_time: only for the closed model (an open loop sends on schedule)");
	} else {
		if (sc->text[FC_F_RATE][0])
			fc_errors_add(e, "load.rate: %s is set but load.model is closed; use constant or poisson",
				sc->text[FC_F_RATE]);
		bound_u64(e, "load.think_time", sc->text[FC_F_THINK_TIME], sc->load.think_time_ns, 0,
			THINK_TIME_MAX_NS, fc_fmt_duration);
	}
	bound_u64(e, "load.pipeline", sc->text[FC_F_PIPELINE], sc->load.pipeline, 1,
		FC_SCENARIO_MAX_PIPELINE, fmt_plain);
	bound_u64(e, "load.retries", sc->text[FC_F_RETRIES], sc->load.retries, 0,
		FC_SCENARIO_MAX_RETRIES, fmt_plain);
	if (!sc->load.keepalive && sc->load.pipeline > 1)
		fc_errors_add(e, "load.pipeline: %u needs keep-alive (a close-mode connection carries one request)",
			sc->load.pipeline);

	bound_u64(e, "timeouts.connect", sc->text[FC_F_CONNECT_TIMEOUT], sc->connect_timeout_ns,
		lim->timeout_min_ns, lim->timeout_max_ns, fc_fmt_duration);
	bound_u64(e, "timeouts.request", sc->text[FC_F_REQUEST_TIMEOUT], sc->request_timeout_ns,
		lim->timeout_min_ns, lim->timeout_max_ns, fc_fmt_duration);
	bound_u64(e, "cores", sc->text[FC_F_CORES], sc->cores, lim->cores_min, lim->cores_max, fmt_plain);
	bound_u64(e, "memory", sc->text[FC_F_MEMORY], sc->memory, lim->memory_min, lim->memory_max,
		fc_fmt_size);

	if (sc->port.local_ip && sc->port.local_prefix == 0)
		fc_errors_add(e, "port.local_ip: the prefix length must be 1..32");
	if (sc->port.gateway && sc->port.local_ip && sc->port.local_prefix &&
			!fc_cidr_contains(sc->port.local_ip & (sc->port.local_prefix ? htonl(~0u << (32 - sc->port.local_prefix)) : 0),
				sc->port.local_prefix, sc->port.gateway)) {
		char g[24], l[24];
		struct in_addr a = {.s_addr = sc->port.gateway};

		inet_ntop(AF_INET, &a, g, sizeof(g));
		a.s_addr = sc->port.local_ip;
		inet_ntop(AF_INET, &a, l, sizeof(l));
		fc_errors_add(e, "port.gateway: %s is outside port.local_ip %s/%u", g, l, sc->port.local_prefix);
	}
	if (sc->abort_on_fail && sc->num_thresholds == 0)
		fc_errors_add(e, "abort_on_fail: set but there are no thresholds to fail");

	/* Requests: render them once so header injection and bad tokens are caught here. */
	if (sc->target.set) {
		struct fc_http_mix *mix = calloc(1, sizeof(*mix));

		if (mix == NULL) {
			fc_errors_add(e, "out of memory");
		} else {
			fc_scenario_build_mix(sc, mix, e);
			fc_http_mix_free(mix);
			free(mix);
		}
	}
	return fc_errors_total(e) > before ? -EINVAL : 0;
}

/* ---- request mix ---- */

int
fc_scenario_build_mix(const struct fc_scenario *sc, struct fc_http_mix *mix, struct fc_errors *e)
{
	unsigned before = fc_errors_total(e);
	unsigned i, nreq = sc->num_requests ? sc->num_requests : 1;
	char host[80], err[FC_HTTP_ERRLEN];

	if (sc->target.port != 80)
		snprintf(host, sizeof(host), "%s:%u", sc->target.host, sc->target.port);
	else
		snprintf(host, sizeof(host), "%s", sc->target.host);

	for (i = 0; i < sc->num_headers; i++)
		if (fc_http_header_check(sc->headers[i], err, sizeof(err)))
			fc_errors_add(e, "headers[%u]: %s", i, err);
	for (i = 0; i < sc->num_requests; i++) {
		const struct fc_scenario_request *r = &sc->requests[i];
		unsigned k;

		for (k = 0; k < r->num_headers; k++)
			if (fc_http_header_check(r->headers[k], err, sizeof(err)))
				fc_errors_add(e, "requests[%u].headers[%u]: %s", i, k, err);
	}
	if (fc_errors_total(e) > before)
		return -EINVAL;

	for (i = 0; i < nreq; i++) {
		const struct fc_scenario_request *r = sc->num_requests ? &sc->requests[i] : NULL;
		struct fc_http_tmpl_spec spec;
		unsigned k;
		int rc;

		memset(&spec, 0, sizeof(spec));
		spec.method = r ? r->method : "GET";
		spec.path = r && r->path ? r->path : sc->target.path;
		spec.host = host;
		for (k = 0; k < sc->num_headers; k++)
			spec.headers[spec.num_headers++] = sc->headers[k];
		if (r) {
			for (k = 0; k < r->num_headers; k++)
				spec.headers[spec.num_headers++] = r->headers[k];
			spec.body = r->body;
			spec.body_len = r->body_len;
		}
		spec.close = !sc->load.keepalive;
		rc = fc_http_mix_add(mix, &spec, r ? r->weight : 1, err, sizeof(err));
		if (rc < 0) {
			if (r)
				fc_errors_add(e, "requests[%u]: %s", i, err);
			else
				fc_errors_add(e, "target: %s", err);
		}
	}
	return fc_errors_total(e) > before ? -EINVAL : 0;
}

/* ---- resolved scenario as JSON ---- */

static void
add_dur(cJSON *o, const char *k, uint64_t ns)
{
	char b[40];

	cJSON_AddStringToObject(o, k, fc_fmt_duration(ns, b, sizeof(b)));
}

cJSON *
fc_scenario_to_json(const struct fc_scenario *sc)
{
	static const char *const models[] = {"closed", "constant", "poisson"};
	cJSON *root = cJSON_CreateObject(), *o, *a, *x;
	char b[64];
	unsigned i, k;

	if (root == NULL)
		return NULL;
	cJSON_AddStringToObject(root, "target", sc->target.url);

	o = cJSON_AddObjectToObject(root, "load");
	cJSON_AddStringToObject(o, "model", models[sc->load.model]);
	if (sc->load.model != FC_LOAD_CLOSED)
		cJSON_AddNumberToObject(o, "rate", sc->load.rate);
	cJSON_AddNumberToObject(o, "connections", sc->load.connections);
	add_dur(o, "duration", sc->load.duration_ns);
	add_dur(o, "ramp_up", sc->load.ramp_up_ns);
	add_dur(o, "think_time", sc->load.think_time_ns);
	cJSON_AddNumberToObject(o, "pipeline", sc->load.pipeline);
	cJSON_AddNumberToObject(o, "retries", sc->load.retries);
	cJSON_AddBoolToObject(o, "keepalive", sc->load.keepalive);

	a = cJSON_AddArrayToObject(root, "stages");
	for (i = 0; i < sc->num_stages; i++) {
		x = cJSON_CreateObject();
		add_dur(x, "duration", sc->stages[i].duration_ns);
		if (sc->load.model != FC_LOAD_CLOSED)
			cJSON_AddNumberToObject(x, "rate", sc->stages[i].rate);
		cJSON_AddNumberToObject(x, "connections", sc->stages[i].connections);
		cJSON_AddItemToArray(a, x);
	}
	a = cJSON_AddArrayToObject(root, "requests");
	for (i = 0; i < sc->num_requests; i++) {
		const struct fc_scenario_request *r = &sc->requests[i];
		cJSON *h;

		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "method", r->method);
		cJSON_AddStringToObject(x, "path", r->path ? r->path : sc->target.path);
		h = cJSON_AddArrayToObject(x, "headers");
		for (k = 0; k < r->num_headers; k++)
			cJSON_AddItemToArray(h, cJSON_CreateString(r->headers[k]));
		if (r->body)
			cJSON_AddStringToObject(x, "body", r->body);
		cJSON_AddNumberToObject(x, "weight", r->weight);
		cJSON_AddItemToArray(a, x);
	}
	a = cJSON_AddArrayToObject(root, "headers");
	for (i = 0; i < sc->num_headers; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(sc->headers[i]));
	o = cJSON_AddObjectToObject(root, "timeouts");
	add_dur(o, "connect", sc->connect_timeout_ns);
	add_dur(o, "request", sc->request_timeout_ns);
	a = cJSON_AddArrayToObject(root, "thresholds");
	for (i = 0; i < sc->num_thresholds; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(sc->thresholds[i].expr));
	cJSON_AddBoolToObject(root, "abort_on_fail", sc->abort_on_fail);
	o = cJSON_AddObjectToObject(root, "output");
	cJSON_AddStringToObject(o, "json", sc->output.json_path);
	cJSON_AddStringToObject(o, "hgrm", sc->output.hgrm_path);
	cJSON_AddStringToObject(o, "hlog", sc->output.hlog_path);
	cJSON_AddBoolToObject(o, "latency", sc->output.latency);
	cJSON_AddNumberToObject(root, "cores", sc->cores);
	cJSON_AddStringToObject(root, "memory", fc_fmt_size(sc->memory, b, sizeof(b)));
	a = cJSON_AddArrayToObject(root, "allow");
	for (i = 0; i < sc->num_allow; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(fc_fmt_cidr(sc->allow[i].net, sc->allow[i].prefix, b, sizeof(b))));
	cJSON_AddStringToObject(root, "profile", sc->profile_path);
	o = cJSON_AddObjectToObject(root, "port");
	cJSON_AddStringToObject(o, "iface", sc->port.iface);
	if (sc->port.local_ip) {
		struct in_addr in = {.s_addr = sc->port.local_ip};
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &in, ip, sizeof(ip));
		snprintf(b, sizeof(b), "%s/%u", ip, sc->port.local_prefix);
		cJSON_AddStringToObject(o, "local_ip", b);
	}
	if (sc->port.gateway) {
		struct in_addr in = {.s_addr = sc->port.gateway};

		inet_ntop(AF_INET, &in, b, sizeof(b));
		cJSON_AddStringToObject(o, "gateway", b);
	}
	cJSON_AddStringToObject(root, "eal", sc->eal);
	cJSON_AddBoolToObject(root, "embedded", sc->embedded);
	o = cJSON_AddObjectToObject(root, "tags");
	for (i = 0; i < sc->num_tags; i++)
		cJSON_AddStringToObject(o, sc->tags[i].key, sc->tags[i].value);
	if (sc->baseline_path[0]) {
		o = cJSON_AddObjectToObject(root, "baseline");
		cJSON_AddStringToObject(o, "file", sc->baseline_path);
		a = cJSON_AddArrayToObject(o, "tolerance");
		for (i = 0; i < sc->num_tolerance; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(sc->tolerance[i]));
	}
	o = cJSON_AddObjectToObject(root, "limits");
	cJSON_AddBoolToObject(o, "widened", sc->limits_widened);
	cJSON_AddStringToObject(o, "file", sc->limits_path);
	return root;
}
