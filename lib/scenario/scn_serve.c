/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `flashcrowd serve` configuration: the responder's routes from a JSON file and/or flags,
 * checked against the envelope, then handed to lib/http to render once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc_scenario.h"
#include "scn_private.h"

enum { T_CONNECTIONS = 0, T_CORES, T_MEMORY };

void
fc_serve_init(struct fc_serve_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->connections = 10000;
	c->cores = 1;
	c->memory = 512ull << 20;
	c->listen_port = 80;
}

static void
free_route(struct fc_serve_route *r)
{
	unsigned i;

	for (i = 0; i < r->num_headers; i++)
		free(r->headers[i]);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

void
fc_serve_free(struct fc_serve_conf *c)
{
	unsigned i;

	for (i = 0; i < c->num_routes; i++)
		free_route(&c->routes[i]);
	fc_serve_init(c);
}

static void
route_defaults(struct fc_serve_route *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
}

static void
load_delay(struct fc_scn_ld *l, const cJSON *v, const char *path, struct fc_serve_route *r)
{
	static const char *const known[] = {"min", "max", NULL};
	char p[128];

	if (cJSON_IsObject(v)) {
		const cJSON *w;

		fc_scn_check_keys(l, v, path, known);
		snprintf(p, sizeof(p), "%s.min", path);
		if ((w = cJSON_GetObjectItemCaseSensitive(v, "min")))
			fc_scn_get_duration(l, w, p, &r->delay_min_ns, NULL);
		snprintf(p, sizeof(p), "%s.max", path);
		if ((w = cJSON_GetObjectItemCaseSensitive(v, "max")))
			fc_scn_get_duration(l, w, p, &r->delay_max_ns, NULL);
		if (r->delay_min_ns > r->delay_max_ns)
			fc_errors_add(l->errs, "%s: min is above max", path);
		return;
	}
	if (fc_scn_get_duration(l, v, path, &r->delay_min_ns, NULL))
		r->delay_max_ns = r->delay_min_ns;
}

static void
load_route(struct fc_scn_ld *l, const cJSON *o, const char *p, struct fc_serve_route *r)
{
	static const char *const known[] = {"path", "status", "content_type", "headers", "body",
		"body_size", "body_file", "chunked", "chunk_size", "delay", "close", NULL};
	const cJSON *v;
	char q[96];
	uint32_t n;

	route_defaults(r);
	if (!fc_scn_get_obj(l, o, p))
		return;
	fc_scn_check_keys(l, o, p, known);
	snprintf(q, sizeof(q), "%s.path", p);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "path")))
		fc_scn_get_str(l, v, q, r->path, sizeof(r->path));
	else
		fc_errors_add(l->errs, "%s: missing", q);
	snprintf(q, sizeof(q), "%s.status", p);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "status")) && fc_scn_get_count32(l, v, q, &n, NULL)) {
		if (n < 200 || n > 599)
			fc_errors_add(l->errs, "%s: %u is not a final status (200..599)", q, n);
		else
			r->status = (uint16_t)n;
	}
	snprintf(q, sizeof(q), "%s.content_type", p);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "content_type")))
		fc_scn_get_str(l, v, q, r->content_type, sizeof(r->content_type));
	snprintf(q, sizeof(q), "%s.headers", p);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "headers")))
		fc_scn_load_headers(l, v, q, r->headers, &r->num_headers, FC_HTTP_ROUTE_MAX_HEADERS);
	snprintf(q, sizeof(q), "%s.body", p);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "body"))) {
		if (cJSON_IsString(v)) {
			r->body = fc_scn_strdup(v->valuestring);
			r->body_len = strlen(v->valuestring);
		} else {
			fc_errors_add(l->errs, "%s: not a string", q);
		}
	}
	snprintf(q, sizeof(q), "%s.body_size", p);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "body_size")))
		fc_scn_get_size(l, v, q, &r->body_size, NULL);
	snprintf(q, sizeof(q), "%s.body_file", p);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "body_file")))
		fc_scn_get_str(l, v, q, r->body_file, sizeof(r->body_file));
	snprintf(q, sizeof(q), "%s.chunked", p);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "chunked")))
		fc_scn_get_bool(l, v, q, &r->chunked);
	snprintf(q, sizeof(q), "%s.close", p);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "close")))
		fc_scn_get_bool(l, v, q, &r->close);
	snprintf(q, sizeof(q), "%s.chunk_size", p);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "chunk_size"))) {
		uint64_t cs;

		if (fc_scn_get_size(l, v, q, &cs, NULL)) {
			if (cs > FC_HTTP_MAX_FILE_SIZE)
				fc_errors_add(l->errs, "%s: above 16Mi", q);
			else
				r->chunk_size = (uint32_t)cs;
		}
	}
	snprintf(q, sizeof(q), "%s.delay", p);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "delay")))
		load_delay(l, v, q, r);
	if ((r->body != NULL) + (r->body_file[0] != '\0') + (r->body_size != 0) > 1)
		fc_errors_add(l->errs, "%s: give one of body, body_size, body_file", p);
}

static int
serve_load_string(const char *json, const char *name, struct fc_serve_conf *c, struct fc_errors *errs)
{
	static const char *const known[] = {"routes", "connections", "cores", "memory", "profile",
		"port", "eal", NULL};
	unsigned before = fc_errors_total(errs);
	struct fc_scn_ld l = {.sc = NULL, .errs = errs};
	cJSON *root = fc_scn_parse_json(json, name, errs);
	const cJSON *v, *it;

	if (root == NULL)
		return -EINVAL;
	if (!cJSON_IsObject(root)) {
		fc_errors_add(errs, "%s: the serve file must be a JSON object", name);
		cJSON_Delete(root);
		return -EINVAL;
	}
	fc_scn_check_keys(&l, root, "", known);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "routes")) &&
			fc_scn_get_arr(&l, v, "routes", FC_HTTP_MAX_ROUTES)) {
		cJSON_ArrayForEach(it, v) {
			char p[32];

			snprintf(p, sizeof(p), "routes[%u]", c->num_routes);
			load_route(&l, it, p, &c->routes[c->num_routes++]);
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "connections")))
		fc_scn_get_count32(&l, v, "connections", &c->connections, c->text[T_CONNECTIONS]);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "cores")))
		fc_scn_get_count32(&l, v, "cores", &c->cores, c->text[T_CORES]);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "memory")))
		fc_scn_get_size(&l, v, "memory", &c->memory, c->text[T_MEMORY]);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "profile")))
		fc_scn_get_str(&l, v, "profile", c->profile_path, sizeof(c->profile_path));
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "port")) && fc_scn_get_obj(&l, v, "port"))
		fc_scn_load_port(&l, v, &c->port);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "eal")))
		fc_scn_get_str(&l, v, "eal", c->eal, sizeof(c->eal));
	cJSON_Delete(root);
	return fc_errors_total(errs) > before ? -EINVAL : 0;
}

int
fc_serve_load_file(const char *path, struct fc_serve_conf *c, struct fc_errors *errs)
{
	char *buf = fc_scn_read_file(path, errs);
	int rc;

	if (buf == NULL)
		return -EINVAL;
	if (!fc_scn_copy(c->source, sizeof(c->source), path))
		c->source[0] = '\0';
	rc = serve_load_string(buf, path, c, errs);
	free(buf);
	return rc;
}

/* ---- flags ---- */

enum {
	S_ROUTES = 1, S_STATUS, S_BODY_SIZE, S_BODY, S_BODY_FILE, S_HEADER, S_CONTENT_TYPE,
	S_CHUNKED, S_CHUNK_SIZE, S_DELAY, S_CONNECTIONS, S_THREADS, S_MEMORY, S_PROFILE, S_IFACE,
	S_LOCAL_IP, S_GATEWAY, S_EAL, S_PEER, S_PORT, S_DURATION, S_JSON,
};

static const struct fc_opt serve_opts[] = {
	{"peer", 0, true, S_PEER, "A.B.C.D", "the client (or its router) to ARP for"},
	{"port", 'p', true, S_PORT, "N", "TCP port to listen on (default 80)"},
	{"duration", 'd', true, S_DURATION, "D", "serve this long (default: until SIGINT/SIGTERM)"},
	{"json", 0, true, S_JSON, "FILE", "write the final counters (requests; the stack's accepts, retransmissions, SYNs dropped and those for want of a connection slot, TIME_WAITs)"},
	{"routes", 0, true, S_ROUTES, "FILE", "JSON routes file (docs/scenarios.md, \"serve\"); flags add a catch-all"},
	{"status", 0, true, S_STATUS, "N", "status of the catch-all route (default 200)"},
	{"body-size", 0, true, S_BODY_SIZE, "SIZE", "generated body, 0..1Mi (default 100 when nothing else is given)"},
	{"body", 0, true, S_BODY, "STR", "literal body"},
	{"body-file", 0, true, S_BODY_FILE, "FILE", "body read once from FILE (up to 16Mi)"},
	{"header", 'H', true, S_HEADER, "'N: V'", "extra response header (repeatable)"},
	{"content-type", 0, true, S_CONTENT_TYPE, "T", "default text/plain"},
	{"chunked", 0, false, S_CHUNKED, NULL, "Transfer-Encoding: chunked"},
	{"chunk-size", 0, true, S_CHUNK_SIZE, "SIZE", "bytes per chunk (default: one chunk)"},
	{"delay", 0, true, S_DELAY, "D|MIN:MAX", "fixed delay, or uniform in [MIN, MAX], e.g. 1ms:5ms"},
	{"connections", 'c', true, S_CONNECTIONS, "N", "concurrent connections to provision (default 10000)"},
	{"threads", 't', true, S_THREADS, "N", "server worker cores (default 1)"},
	{"memory", 0, true, S_MEMORY, "SIZE", "mempool memory (default 512Mi)"},
	{"profile", 0, true, S_PROFILE, "FILE", "port profile, e.g. drivers_cfg/af_packet.json"},
	{"iface", 0, true, S_IFACE, "IF", "interface for the profile's PMD"},
	{"local-ip", 0, true, S_LOCAL_IP, "A.B.C.D/LEN", "the appliance's own address"},
	{"gateway", 0, true, S_GATEWAY, "A.B.C.D", "next hop when the peer is off-link"},
	{"eal", 0, true, S_EAL, "'...'", "EAL arguments overriding the profile's"},
	{NULL, 0, false, 0, NULL, NULL},
};

static const struct fc_opt *const serve_tables[] = {serve_opts, fc_impair_opt_table, NULL};

void
fc_serve_usage(FILE *f)
{
	fputs("Usage: flashcrowd serve [options]\n"
	      "  The userspace HTTP/1.1 responder (keep-alive, close, pipelining, chunked, delays).\n", f);
	fc_opts_help(serve_tables, f);
}

struct serve_ctx {
	struct fc_serve_conf *c;
	struct fc_serve_route def;
	bool shaped;            /* a flag shaped the catch-all route */
	const char *routes;
};

static void
on_routes_opt(void *arg, const struct fc_opt *o, const char *flag, const char *v, struct fc_errors *errs)
{
	struct serve_ctx *x = arg;

	(void)flag;
	if (o == NULL)
		fc_errors_add(errs, "\"%s\": unexpected argument", v);
	else if (o->id == S_ROUTES && fc_scn_opt_in(serve_opts, o))
		x->routes = v;
}

static void
set_count(struct fc_errors *errs, const char *flag, const char *v, uint32_t *dst, char *text)
{
	uint64_t n;

	if (fc_parse_count(v, &n)) {
		fc_opts_bad(errs, flag, v, "a count");
		return;
	}
	*dst = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	fc_scn_set_text(text, v);
}

static void
on_serve_opt(void *arg, const struct fc_opt *o, const char *flag, const char *optarg,
	     struct fc_errors *errs)
{
	struct serve_ctx *x = arg;
	struct fc_serve_conf *c = x->c;
	struct fc_serve_route *def = &x->def;
	uint64_t v;

	if (o == NULL || fc_impair_spec_take(&c->impair, o, flag, optarg))
		return;
	switch (o->id) {
	case S_STATUS:
		if (fc_parse_count(optarg, &v) || v < 200 || v > 599)
			fc_opts_bad(errs, flag, optarg, "a final status (200..599)");
		else
			def->status = (uint16_t)v;
		break;
	case S_BODY_SIZE:
		if (fc_parse_size(optarg, &def->body_size))
			fc_opts_bad(errs, flag, optarg, "a size (e.g. 100, 16Ki, 1Mi)");
		break;
	case S_BODY:
		free(def->body);
		def->body = fc_scn_strdup(optarg);
		def->body_len = strlen(optarg);
		break;
	case S_BODY_FILE:
		if (!fc_scn_copy(def->body_file, sizeof(def->body_file), optarg))
			fc_errors_add(errs, "%s: longer than %zu bytes", flag, sizeof(def->body_file) - 1);
		break;
	case S_HEADER:
		if (fc_scn_add_header(def->headers, &def->num_headers, FC_HTTP_ROUTE_MAX_HEADERS, optarg))
			fc_errors_add(errs, "-H/--header: at most %d headers", FC_HTTP_ROUTE_MAX_HEADERS);
		break;
	case S_CONTENT_TYPE:
		if (!fc_scn_copy(def->content_type, sizeof(def->content_type), optarg))
			fc_errors_add(errs, "%s: longer than %zu bytes", flag, sizeof(def->content_type) - 1);
		break;
	case S_CHUNKED:
		def->chunked = true;
		break;
	case S_CHUNK_SIZE:
		if (fc_parse_size(optarg, &v) || v > FC_HTTP_MAX_FILE_SIZE)
			fc_opts_bad(errs, flag, optarg, "a size up to 16Mi");
		else
			def->chunk_size = (uint32_t)v;
		break;
	case S_DELAY: {
		char a[48];
		const char *colon = strchr(optarg, ':');
		size_t alen = colon ? (size_t)(colon - optarg) : strlen(optarg);

		if (alen >= sizeof(a)) {
			fc_opts_bad(errs, flag, optarg, "D or MIN:MAX");
			break;
		}
		memcpy(a, optarg, alen);
		a[alen] = '\0';
		if (fc_parse_duration(a, &def->delay_min_ns) ||
				(colon && fc_parse_duration(colon + 1, &def->delay_max_ns)))
			fc_opts_bad(errs, flag, optarg, "D or MIN:MAX (e.g. 1ms, 1ms:5ms)");
		else if (!colon)
			def->delay_max_ns = def->delay_min_ns;
		else if (def->delay_min_ns > def->delay_max_ns)
			fc_errors_add(errs, "%s: min %s is above max", flag, a);
		break;
	}
	case S_CONNECTIONS:
		set_count(errs, flag, optarg, &c->connections, c->text[T_CONNECTIONS]);
		return;
	case S_THREADS:
		set_count(errs, flag, optarg, &c->cores, c->text[T_CORES]);
		return;
	case S_MEMORY:
		if (fc_parse_size(optarg, &c->memory))
			fc_opts_bad(errs, flag, optarg, "a size (e.g. 512Mi, 2Gi)");
		else
			fc_scn_set_text(c->text[T_MEMORY], optarg);
		return;
	case S_PROFILE:
		if (!fc_scn_copy(c->profile_path, sizeof(c->profile_path), optarg))
			fc_errors_add(errs, "%s: too long", flag);
		return;
	case S_IFACE:
		if (!fc_scn_copy(c->port.iface, sizeof(c->port.iface), optarg))
			fc_errors_add(errs, "%s: too long", flag);
		return;
	case S_LOCAL_IP:
		if (strchr(optarg, '/') == NULL ||
				fc_parse_ip_prefix(optarg, &c->port.local_ip, &c->port.local_prefix))
			fc_opts_bad(errs, flag, optarg, "A.B.C.D/LEN");
		return;
	case S_GATEWAY:
		if (fc_parse_ipv4(optarg, &c->port.gateway))
			fc_opts_bad(errs, flag, optarg, "an IPv4 address");
		return;
	case S_EAL:
		if (!fc_scn_copy(c->eal, sizeof(c->eal), optarg))
			fc_errors_add(errs, "%s: too long", flag);
		return;
	case S_PEER:
		c->peer = optarg;
		if (fc_parse_ipv4(optarg, &c->peer_ip) || c->peer_ip == 0)
			fc_opts_bad(errs, flag, optarg, "an IPv4 address");
		return;
	case S_PORT:
		if (fc_parse_count(optarg, &v) || v == 0 || v > 65535)
			fc_opts_bad(errs, flag, optarg, "a TCP port (1..65535)");
		else
			c->listen_port = (uint16_t)v;
		return;
	case S_DURATION:
		if (fc_parse_duration(optarg, &c->duration_ns) || c->duration_ns == 0)
			fc_opts_bad(errs, flag, optarg, "a duration (e.g. 30s, 5m)");
		return;
	case S_JSON:
		if (optarg[0] == '\0')
			fc_opts_bad(errs, flag, optarg, "a file name");
		else
			c->json_path = optarg;
		return;
	default:
		return;
	}
	x->shaped = true;
}

int
fc_serve_from_argv(int argc, char **argv, struct fc_serve_conf *c, struct fc_errors *errs)
{
	unsigned before = fc_errors_total(errs);
	struct serve_ctx x = {.c = c};
	int rc;

	rc = fc_opts_parse(serve_tables, argc, argv, on_routes_opt, &x, errs);
	if (rc == FC_OPTS_HELP)
		return FC_SCENARIO_HELP;
	if (fc_errors_total(errs) > before)
		return -EINVAL;
	if (x.routes)
		fc_serve_load_file(x.routes, c, errs);

	route_defaults(&x.def);
	snprintf(x.def.path, sizeof(x.def.path), "*");
	fc_opts_parse(serve_tables, argc, argv, on_serve_opt, &x, errs);
	if (x.shaped) {
		if (c->num_routes >= FC_HTTP_MAX_ROUTES) {
			fc_errors_add(errs, "routes: at most %d, no room for the catch-all of the flags",
				FC_HTTP_MAX_ROUTES);
			free_route(&x.def);
		} else {
			c->routes[c->num_routes++] = x.def;
		}
	} else {
		free_route(&x.def);
	}
	return fc_errors_total(errs) > before ? -EINVAL : 0;
}

/* ---- validation and the server ---- */

static void
to_specs(const struct fc_serve_conf *c, struct fc_http_route_spec *specs)
{
	unsigned i, k;

	memset(specs, 0, sizeof(*specs) * c->num_routes);
	for (i = 0; i < c->num_routes; i++) {
		const struct fc_serve_route *r = &c->routes[i];
		struct fc_http_route_spec *s = &specs[i];

		s->path = r->path;
		s->status = r->status;
		s->content_type = r->content_type[0] ? r->content_type : NULL;
		for (k = 0; k < r->num_headers; k++)
			s->headers[k] = r->headers[k];
		s->num_headers = r->num_headers;
		s->body = r->body;
		s->body_len = r->body_len;
		s->body_size = r->body_size > UINT32_MAX ? UINT32_MAX : (uint32_t)r->body_size;
		s->body_file = r->body_file[0] ? r->body_file : NULL;
		s->chunked = r->chunked;
		s->close = r->close;
		s->chunk_size = r->chunk_size;
		s->delay_min_ns = r->delay_min_ns;
		s->delay_max_ns = r->delay_max_ns;
	}
}

static void
bound(struct fc_errors *e, const char *path, const char *text, uint64_t v, uint64_t min,
		uint64_t max, bool size)
{
	char vb[32], b[32];

	if (!text[0]) {
		if (size)
			fc_fmt_size(v, vb, sizeof(vb));
		else
			snprintf(vb, sizeof(vb), "%" PRIu64, v);
		text = vb;
	}
	if (v < min)
		fc_errors_add(e, "%s: %s is below the limit %s", path, text,
			size ? fc_fmt_size(min, b, sizeof(b)) : (snprintf(b, sizeof(b), "%" PRIu64, min), b));
	else if (v > max)
		fc_errors_add(e, "%s: %s is above the limit %s", path, text,
			size ? fc_fmt_size(max, b, sizeof(b)) : (snprintf(b, sizeof(b), "%" PRIu64, max), b));
}

int
fc_serve_validate(struct fc_serve_conf *c, const struct fc_limits *lim, struct fc_errors *e)
{
	unsigned before = fc_errors_total(e), i;

	if (c->num_routes == 0) {
		route_defaults(&c->routes[0]);
		snprintf(c->routes[0].path, sizeof(c->routes[0].path), "*");
		c->routes[0].body_size = FC_SERVE_DEFAULT_BODY;
		c->num_routes = 1;
	}
	bound(e, "connections", c->text[T_CONNECTIONS], c->connections, lim->connections_min,
		lim->connections_max, false);
	bound(e, "cores", c->text[T_CORES], c->cores, lim->cores_min, lim->cores_max, false);
	bound(e, "memory", c->text[T_MEMORY], c->memory, lim->memory_min, lim->memory_max, true);
	for (i = 0; i < c->num_routes; i++) {
		if (c->routes[i].body_size > FC_HTTP_MAX_BODY_SIZE) {
			char b[32];

			fc_errors_add(e, "routes[%u].body_size: %s is above the limit 1Mi", i,
				fc_fmt_size(c->routes[i].body_size, b, sizeof(b)));
		}
	}
	if (fc_errors_total(e) == before) {
		struct fc_http_server *srv = fc_serve_create_server(c, e);

		fc_http_server_free(srv);
	}
	return fc_errors_total(e) > before ? -EINVAL : 0;
}

struct fc_http_server *
fc_serve_create_server(const struct fc_serve_conf *c, struct fc_errors *e)
{
	struct fc_http_route_spec *specs = calloc(FC_HTTP_MAX_ROUTES, sizeof(*specs));
	struct fc_http_server *srv;
	char err[FC_HTTP_ERRLEN] = "";
	int saved;

	if (specs == NULL) {
		fc_errors_add(e, "out of memory");
		return NULL;
	}
	to_specs(c, specs);
	srv = fc_http_server_create(specs, c->num_routes, err, sizeof(err));
	saved = errno;
	if (srv == NULL)
		fc_errors_add(e, "routes: %s", err[0] ? err : strerror(saved));
	free(specs);
	errno = saved;
	return srv;
}
