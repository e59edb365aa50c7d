/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario defaults and the JSON loader. Every field is type-checked and unit-parsed
 * here; bounds are checked later by fc_scenario_validate(), so a file is reported in full
 * (syntax, unknown fields and bounds) in one go.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc_scenario.h"
#include "scn_private.h"

void
fc_scenario_init(struct fc_scenario *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->load.model = FC_LOAD_CLOSED;
	sc->load.connections = 10;
	sc->load.duration_ns = 10000000000ull;
	sc->load.pipeline = 1;
	sc->load.retries = 2;
	sc->load.keepalive = true;
	sc->connect_timeout_ns = 2000000000ull;
	sc->request_timeout_ns = 2000000000ull;
	sc->cores = 1;
	sc->memory = 512ull << 20;
	sc->target.port = 80;
	snprintf(sc->target.path, sizeof(sc->target.path), "/");
	sc->resolve = fc_scenario_resolve_ipv4;
}

static void
free_request(struct fc_scenario_request *r)
{
	unsigned i;

	free(r->path);
	free(r->body);
	for (i = 0; i < r->num_headers; i++)
		free(r->headers[i]);
	memset(r, 0, sizeof(*r));
}

static bool
tag_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

int
fc_scenario_add_tag(struct fc_scenario *sc, const char *key, const char *value,
		const char *where, struct fc_errors *errs)
{
	size_t kl = strlen(key), vl = strlen(value);
	unsigned i;

	if (kl == 0 || kl >= FC_SCENARIO_TAG_KEY) {
		fc_errors_add(errs, "%s: key \"%.24s\" has %zu bytes, the limit is 1..%d", where, key,
			kl, FC_SCENARIO_TAG_KEY - 1);
		return -EINVAL;
	}
	for (i = 0; i < kl; i++) {
		if (!tag_key_char(key[i])) {
			fc_errors_add(errs, "%s: key \"%.64s\": only letters, digits, '_', '.' and '-' "
				"are allowed", where, key);
			return -EINVAL;
		}
	}
	if (vl >= FC_SCENARIO_TAG_VALUE) {
		fc_errors_add(errs, "%s: %s: value of %zu bytes is above the limit %d", where, key, vl,
			FC_SCENARIO_TAG_VALUE - 1);
		return -EINVAL;
	}
	for (i = 0; i < vl; i++) {
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f) {
			fc_errors_add(errs, "%s: %s: the value has a control character", where, key);
			return -EINVAL;
		}
	}
	for (i = 0; i < sc->num_tags && strcmp(sc->tags[i].key, key) != 0; i++)
		;
	if (i == sc->num_tags) {
		if (sc->num_tags >= FC_SCENARIO_MAX_TAGS) {
			fc_errors_add(errs, "%s: %s: more than the limit of %d tags", where, key,
				FC_SCENARIO_MAX_TAGS);
			return -EINVAL;
		}
		sc->num_tags++;
	}
	memcpy(sc->tags[i].key, key, kl + 1);
	memcpy(sc->tags[i].value, value, vl + 1);
	return 0;
}

void
fc_scenario_free(struct fc_scenario *sc)
{
	unsigned i;

	for (i = 0; i < sc->num_requests; i++)
		free_request(&sc->requests[i]);
	for (i = 0; i < sc->num_headers; i++)
		free(sc->headers[i]);
	fc_scenario_init(sc);
}

bool
fc_scn_copy(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstlen)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

void
fc_scn_set_text(char *dst, const char *src)
{
	/* Truncation is fine: the text only echoes the value in messages. */
	size_t n = strnlen(src, FC_SCENARIO_TEXT - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

char *
fc_scn_memdup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

char *
fc_scn_strdup(const char *s)
{
	return fc_scn_memdup(s, strlen(s));
}

int
fc_scn_add_header(char **list, unsigned *n, unsigned max, const char *line)
{
	char *d;

	if (*n >= max)
		return -ENOSPC;
	d = fc_scn_strdup(line);
	if (d == NULL)
		return -ENOMEM;
	list[(*n)++] = d;
	return 0;
}

/* ---- typed getters: each reports its own error with the JSON path ---- */

void
fc_scn_json_value_text(const cJSON *v, char *buf, size_t len)
{
	if (cJSON_IsString(v))
		snprintf(buf, len, "\"%.40s\"", v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(buf, len, "%.10g", v->valuedouble);
	else if (cJSON_IsBool(v))
		snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNull(v))
		snprintf(buf, len, "null");
	else if (cJSON_IsArray(v))
		snprintf(buf, len, "an array");
	else
		snprintf(buf, len, "an object");
}

void
fc_scn_check_keys(struct fc_scn_ld *l, const cJSON *obj, const char *path, const char *const *known)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, obj) {
		const char *const *k;

		for (k = known; *k; k++)
			if (strcmp(*k, it->string) == 0)
				break;
		if (*k == NULL)
			fc_errors_add(l->errs, "%s%s%s: unknown field", path, *path ? "." : "", it->string);
	}
}

bool
fc_scn_get_duration(struct fc_scn_ld *l, const cJSON *v, const char *path, uint64_t *out, char *text)
{
	char t[48];

	if (cJSON_IsNumber(v)) {
		/* A bare JSON number is seconds, like a bare number in a string. */
		if (!(v->valuedouble >= 0) || v->valuedouble > 9.2e9) {
			fc_scn_json_value_text(v, t, sizeof(t));
			fc_errors_add(l->errs, "%s: %s is not a duration (a number of seconds >= 0, or \"250ms\", \"10s\", \"2m\", \"1h\")", path, t);
			return false;
		}
		*out = (uint64_t)llround(v->valuedouble * 1e9);
		if (text) {
			snprintf(t, sizeof(t), "%.10gs", v->valuedouble);
			fc_scn_set_text(text, t);
		}
		return true;
	}
	if (cJSON_IsString(v) && fc_parse_duration(v->valuestring, out) == 0) {
		if (text)
			fc_scn_set_text(text, v->valuestring);
		return true;
	}
	fc_scn_json_value_text(v, t, sizeof(t));
	fc_errors_add(l->errs, "%s: %s is not a duration (e.g. \"250ms\", \"1.5s\", \"2m\", \"1h\")", path, t);
	return false;
}

/* Counts saturate at UINT32_MAX so that validation reports "above the limit" with the text. */
bool
fc_scn_get_count32(struct fc_scn_ld *l, const cJSON *v, const char *path, uint32_t *out, char *text)
{
	char t[48];
	uint64_t c;

	if (cJSON_IsNumber(v)) {
		if (v->valuedouble >= 0 && v->valuedouble < 1.8e19 && v->valuedouble == floor(v->valuedouble)) {
			c = (uint64_t)v->valuedouble;
			*out = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
			if (text) {
				snprintf(t, sizeof(t), "%.10g", v->valuedouble);
				fc_scn_set_text(text, t);
			}
			return true;
		}
	} else if (cJSON_IsString(v) && fc_parse_count(v->valuestring, &c) == 0) {
		*out = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
		if (text)
			fc_scn_set_text(text, v->valuestring);
		return true;
	}
	fc_scn_json_value_text(v, t, sizeof(t));
	fc_errors_add(l->errs, "%s: %s is not a count (a whole number >= 0, suffixes k, M: \"100k\")", path, t);
	return false;
}

bool
fc_scn_get_rate(struct fc_scn_ld *l, const cJSON *v, const char *path, double *out, char *text)
{
	char t[48];

	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && isfinite(v->valuedouble)) {
		*out = v->valuedouble;
		if (text) {
			snprintf(t, sizeof(t), "%.10g", v->valuedouble);
			fc_scn_set_text(text, t);
		}
		return true;
	}
	if (cJSON_IsString(v) && fc_parse_rate(v->valuestring, out) == 0) {
		if (text)
			fc_scn_set_text(text, v->valuestring);
		return true;
	}
	fc_scn_json_value_text(v, t, sizeof(t));
	fc_errors_add(l->errs, "%s: %s is not a rate (requests/s >= 0, e.g. 20000, \"20k\", 0.5)", path, t);
	return false;
}

bool
fc_scn_get_size(struct fc_scn_ld *l, const cJSON *v, const char *path, uint64_t *out, char *text)
{
	char t[48];

	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1.8e19 &&
			v->valuedouble == floor(v->valuedouble)) {
		*out = (uint64_t)v->valuedouble;
		if (text) {
			snprintf(t, sizeof(t), "%.10g", v->valuedouble);
			fc_scn_set_text(text, t);
		}
		return true;
	}
	if (cJSON_IsString(v) && fc_parse_size(v->valuestring, out) == 0) {
		if (text)
			fc_scn_set_text(text, v->valuestring);
		return true;
	}
	fc_scn_json_value_text(v, t, sizeof(t));
	fc_errors_add(l->errs, "%s: %s is not a size (bytes, or \"128Mi\", \"4Gi\")", path, t);
	return false;
}

bool
fc_scn_get_bool(struct fc_scn_ld *l, const cJSON *v, const char *path, bool *out)
{
	char t[48];

	if (cJSON_IsBool(v)) {
		*out = cJSON_IsTrue(v);
		return true;
	}
	fc_scn_json_value_text(v, t, sizeof(t));
	fc_errors_add(l->errs, "%s: %s is not true or false", path, t);
	return false;
}

bool
fc_scn_get_str(struct fc_scn_ld *l, const cJSON *v, const char *path, char *out, size_t outlen)
{
	char t[48];

	if (!cJSON_IsString(v)) {
		fc_scn_json_value_text(v, t, sizeof(t));
		fc_errors_add(l->errs, "%s: %s is not a string", path, t);
		return false;
	}
	if (!fc_scn_copy(out, outlen, v->valuestring)) {
		fc_errors_add(l->errs, "%s: longer than %zu bytes", path, outlen - 1);
		return false;
	}
	return true;
}

bool
fc_scn_get_obj(struct fc_scn_ld *l, const cJSON *v, const char *path)
{
	char t[48];

	if (cJSON_IsObject(v))
		return true;
	fc_scn_json_value_text(v, t, sizeof(t));
	fc_errors_add(l->errs, "%s: %s is not an object", path, t);
	return false;
}

bool
fc_scn_get_arr(struct fc_scn_ld *l, const cJSON *v, const char *path, unsigned max)
{
	char t[48];

	if (!cJSON_IsArray(v)) {
		fc_scn_json_value_text(v, t, sizeof(t));
		fc_errors_add(l->errs, "%s: %s is not an array", path, t);
		return false;
	}
	if ((unsigned)cJSON_GetArraySize(v) > max) {
		fc_errors_add(l->errs, "%s: %d entries, at most %u", path, cJSON_GetArraySize(v), max);
		return false;
	}
	return true;
}

/* Headers: ["Name: value", ...] or {"Name": "value", ...}. */
void
fc_scn_load_headers(struct fc_scn_ld *l, const cJSON *v, const char *path, char **list, unsigned *n,
		unsigned max)
{
	const cJSON *it;
	char p[96], line[1024];
	int i = 0;

	if (cJSON_IsObject(v)) {
		if ((unsigned)cJSON_GetArraySize(v) > max) {
			fc_errors_add(l->errs, "%s: %d entries, at most %u", path, cJSON_GetArraySize(v),
				max);
			return;
		}
		cJSON_ArrayForEach(it, v) {
			snprintf(p, sizeof(p), "%s.%s", path, it->string);
			if (!cJSON_IsString(it)) {
				fc_errors_add(l->errs, "%s: not a string", p);
				continue;
			}
			if ((size_t)snprintf(line, sizeof(line), "%s: %s", it->string, it->valuestring) >= sizeof(line)) {
				fc_errors_add(l->errs, "%s: longer than %zu bytes", p, sizeof(line) - 1);
				continue;
			}
			if (fc_scn_add_header(list, n, max, line))
				fc_errors_add(l->errs, "%s: out of memory", p);
		}
		return;
	}
	if (!fc_scn_get_arr(l, v, path, max))
		return;
	cJSON_ArrayForEach(it, v) {
		snprintf(p, sizeof(p), "%s[%d]", path, i++);
		if (!cJSON_IsString(it)) {
			fc_errors_add(l->errs, "%s: not a string (\"Name: value\")", p);
			continue;
		}
		if (fc_scn_add_header(list, n, max, it->valuestring))
			fc_errors_add(l->errs, "%s: out of memory", p);
	}
}

static void
load_load(struct fc_scn_ld *l, const cJSON *o)
{
	static const char *const known[] = {"model", "rate", "connections", "duration", "ramp_up",
		"think_time", "pipeline", "retries", "keepalive", NULL};
	struct fc_scenario *sc = l->sc;
	const cJSON *v;

	if (!fc_scn_get_obj(l, o, "load"))
		return;
	fc_scn_check_keys(l, o, "load", known);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "model"))) {
		if (cJSON_IsString(v) && strcmp(v->valuestring, "closed") == 0)
			sc->load.model = FC_LOAD_CLOSED;
		else if (cJSON_IsString(v) && strcmp(v->valuestring, "constant") == 0)
			sc->load.model = FC_LOAD_CONSTANT;
		else if (cJSON_IsString(v) && strcmp(v->valuestring, "poisson") == 0)
			sc->load.model = FC_LOAD_POISSON;
		else
			fc_errors_add(l->errs, "load.model: must be \"closed\", \"constant\" or \"poisson\"");
		if (cJSON_IsString(v))
			fc_scn_set_text(sc->text[FC_F_MODEL], v->valuestring);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "rate")))
		fc_scn_get_rate(l, v, "load.rate", &sc->load.rate, sc->text[FC_F_RATE]);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "connections")))
		fc_scn_get_count32(l, v, "load.connections", &sc->load.connections, sc->text[FC_F_CONNECTIONS]);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "duration")))
		fc_scn_get_duration(l, v, "load.duration", &sc->load.duration_ns, sc->text[FC_F_DURATION]);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "ramp_up")))
		fc_scn_get_duration(l, v, "load.ramp_up", &sc->load.ramp_up_ns, sc->text[FC_F_RAMP_UP]);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "think_time")))
		fc_scn_get_duration(l, v, "load.think_time", &sc->load.think_time_ns, sc->text[FC_F_THINK_TIME]);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "pipeline")))
		fc_scn_get_count32(l, v, "load.pipeline", &sc->load.pipeline, sc->text[FC_F_PIPELINE]);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "retries")))
		fc_scn_get_count32(l, v, "load.retries", &sc->load.retries, sc->text[FC_F_RETRIES]);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "keepalive")))
		fc_scn_get_bool(l, v, "load.keepalive", &sc->load.keepalive);
}

static void
load_stages(struct fc_scn_ld *l, const cJSON *a)
{
	static const char *const known[] = {"duration", "rate", "connections", NULL};
	struct fc_scenario *sc = l->sc;
	const cJSON *it;
	char p[64], q[96];

	if (!fc_scn_get_arr(l, a, "stages", FC_SCENARIO_MAX_STAGES))
		return;
	sc->num_stages = 0;
	cJSON_ArrayForEach(it, a) {
		struct fc_stage *st = &sc->stages[sc->num_stages];
		const cJSON *v;

		snprintf(p, sizeof(p), "stages[%u]", sc->num_stages);
		sc->num_stages++;
		memset(st, 0, sizeof(*st));
		if (!fc_scn_get_obj(l, it, p))
			continue;
		fc_scn_check_keys(l, it, p, known);
		snprintf(q, sizeof(q), "%s.duration", p);
		if ((v = cJSON_GetObjectItemCaseSensitive(it, "duration")))
			fc_scn_get_duration(l, v, q, &st->duration_ns, st->text_duration);
		else
			fc_errors_add(l->errs, "%s: missing", q);
		snprintf(q, sizeof(q), "%s.rate", p);
		if ((v = cJSON_GetObjectItemCaseSensitive(it, "rate")))
			fc_scn_get_rate(l, v, q, &st->rate, st->text_rate);
		snprintf(q, sizeof(q), "%s.connections", p);
		if ((v = cJSON_GetObjectItemCaseSensitive(it, "connections")))
			fc_scn_get_count32(l, v, q, &st->connections, st->text_connections);
		if (!cJSON_GetObjectItemCaseSensitive(it, "rate") &&
				!cJSON_GetObjectItemCaseSensitive(it, "connections"))
			fc_errors_add(l->errs, "%s: give a rate, connections or both", p);
	}
}

static void
load_requests(struct fc_scn_ld *l, const cJSON *a)
{
	static const char *const known[] = {"method", "path", "headers", "body", "weight", NULL};
	struct fc_scenario *sc = l->sc;
	const cJSON *it;
	char p[64], q[96];

	if (!fc_scn_get_arr(l, a, "requests", FC_SCENARIO_MAX_REQUESTS))
		return;
	cJSON_ArrayForEach(it, a) {
		struct fc_scenario_request *r = &sc->requests[sc->num_requests];
		const cJSON *v;
		uint32_t w;

		snprintf(p, sizeof(p), "requests[%u]", sc->num_requests);
		if (sc->num_requests >= FC_SCENARIO_MAX_REQUESTS) {
			fc_errors_add(l->errs, "%s: at most %d requests", p, FC_SCENARIO_MAX_REQUESTS);
			break;
		}
		sc->num_requests++;
		memset(r, 0, sizeof(*r));
		snprintf(r->method, sizeof(r->method), "GET");
		r->weight = 1;
		if (!fc_scn_get_obj(l, it, p))
			continue;
		fc_scn_check_keys(l, it, p, known);
		snprintf(q, sizeof(q), "%s.method", p);
		if ((v = cJSON_GetObjectItemCaseSensitive(it, "method")))
			fc_scn_get_str(l, v, q, r->method, sizeof(r->method));
		snprintf(q, sizeof(q), "%s.path", p);
		if ((v = cJSON_GetObjectItemCaseSensitive(it, "path"))) {
			if (cJSON_IsString(v))
				r->path = fc_scn_strdup(v->valuestring);
			else
				fc_errors_add(l->errs, "%s: not a string", q);
		}
		snprintf(q, sizeof(q), "%s.headers", p);
		if ((v = cJSON_GetObjectItemCaseSensitive(it, "headers")))
			fc_scn_load_headers(l, v, q, r->headers, &r->num_headers, FC_SCENARIO_MAX_HEADERS);
		snprintf(q, sizeof(q), "%s.body", p);
		if ((v = cJSON_GetObjectItemCaseSensitive(it, "body"))) {
			if (cJSON_IsString(v)) {
				r->body_len = strlen(v->valuestring);
				r->body = fc_scn_strdup(v->valuestring);
			} else {
				fc_errors_add(l->errs, "%s: not a string", q);
			}
		}
		snprintf(q, sizeof(q), "%s.weight", p);
		if ((v = cJSON_GetObjectItemCaseSensitive(it, "weight")) && fc_scn_get_count32(l, v, q, &w, NULL)) {
			if (w == 0)
				fc_errors_add(l->errs, "%s: 0 is below the limit 1", q);
			else
				r->weight = w;
		}
	}
}

static void
load_thresholds(struct fc_scn_ld *l, const cJSON *a)
{
	struct fc_scenario *sc = l->sc;
	const cJSON *it;
	int i = 0;

	if (!fc_scn_get_arr(l, a, "thresholds", FC_SCENARIO_MAX_THRESHOLDS))
		return;
	sc->num_thresholds = 0;
	cJSON_ArrayForEach(it, a) {
		char err[128];

		if (!cJSON_IsString(it)) {
			fc_errors_add(l->errs, "thresholds[%d]: not a string (e.g. \"p99 < 20ms\")", i++);
			continue;
		}
		if (fc_threshold_parse(it->valuestring, &sc->thresholds[sc->num_thresholds], err, sizeof(err)))
			fc_errors_add(l->errs, "thresholds[%d]: \"%.64s\": %s", i, it->valuestring, err);
		else
			sc->num_thresholds++;
		i++;
	}
}

static void
load_allow(struct fc_scn_ld *l, const cJSON *a)
{
	struct fc_scenario *sc = l->sc;
	const cJSON *it;
	int i = 0;

	if (!fc_scn_get_arr(l, a, "allow", FC_SCENARIO_MAX_ALLOW))
		return;
	cJSON_ArrayForEach(it, a) {
		struct fc_cidr *c = &sc->allow[sc->num_allow];

		if (!cJSON_IsString(it) || fc_parse_cidr(it->valuestring, &c->net, &c->prefix))
			fc_errors_add(l->errs, "allow[%d]: not an IPv4 CIDR (A.B.C.D/LEN)", i);
		else
			sc->num_allow++;
		i++;
	}
}

void
fc_scn_load_port(struct fc_scn_ld *l, const cJSON *o, struct fc_scenario_port *port)
{
	static const char *const known[] = {"iface", "local_ip", "gateway", NULL};
	const cJSON *v;

	if (!fc_scn_get_obj(l, o, "port"))
		return;
	fc_scn_check_keys(l, o, "port", known);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "iface")))
		fc_scn_get_str(l, v, "port.iface", port->iface, sizeof(port->iface));
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "local_ip"))) {
		if (!cJSON_IsString(v) || strchr(v->valuestring, '/') == NULL ||
				fc_parse_ip_prefix(v->valuestring, &port->local_ip, &port->local_prefix))
			fc_errors_add(l->errs, "port.local_ip: not A.B.C.D/LEN");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "gateway"))) {
		if (!cJSON_IsString(v) || fc_parse_ipv4(v->valuestring, &port->gateway))
			fc_errors_add(l->errs, "port.gateway: not an IPv4 address");
	}
}

static void
load_root(struct fc_scn_ld *l, const cJSON *root)
{
	static const char *const known[] = {"target", "load", "stages", "requests", "headers",
		"timeouts", "thresholds", "abort_on_fail", "output", "cores", "memory", "allow",
		"profile", "port", "eal", "embedded", "tags", "baseline", NULL};
	static const char *const tknown[] = {"connect", "request", NULL};
	static const char *const oknown[] = {"json", "hgrm", "hlog", "latency", NULL};
	static const char *const bknown[] = {"file", "tolerance", NULL};
	struct fc_scenario *sc = l->sc;
	const cJSON *v, *w;

	if (!cJSON_IsObject(root)) {
		fc_errors_add(l->errs, "the scenario must be a JSON object");
		return;
	}
	fc_scn_check_keys(l, root, "", known);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "target"))) {
		if (cJSON_IsString(v))
			fc_scenario_set_target(v->valuestring, &sc->target, l->errs);
		else
			fc_errors_add(l->errs, "target: not a string (a URL like \"http://198.18.0.2/\")");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "load")))
		load_load(l, v);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "stages")))
		load_stages(l, v);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "requests")))
		load_requests(l, v);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "headers")))
		fc_scn_load_headers(l, v, "headers", sc->headers, &sc->num_headers, FC_SCENARIO_MAX_HEADERS);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "timeouts")) && fc_scn_get_obj(l, v, "timeouts")) {
		fc_scn_check_keys(l, v, "timeouts", tknown);
		if ((w = cJSON_GetObjectItemCaseSensitive(v, "connect")))
			fc_scn_get_duration(l, w, "timeouts.connect", &sc->connect_timeout_ns, sc->text[FC_F_CONNECT_TIMEOUT]);
		if ((w = cJSON_GetObjectItemCaseSensitive(v, "request")))
			fc_scn_get_duration(l, w, "timeouts.request", &sc->request_timeout_ns, sc->text[FC_F_REQUEST_TIMEOUT]);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "thresholds")))
		load_thresholds(l, v);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "abort_on_fail")))
		fc_scn_get_bool(l, v, "abort_on_fail", &sc->abort_on_fail);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "output")) && fc_scn_get_obj(l, v, "output")) {
		fc_scn_check_keys(l, v, "output", oknown);
		if ((w = cJSON_GetObjectItemCaseSensitive(v, "json")))
			fc_scn_get_str(l, w, "output.json", sc->output.json_path, sizeof(sc->output.json_path));
		if ((w = cJSON_GetObjectItemCaseSensitive(v, "hgrm")))
			fc_scn_get_str(l, w, "output.hgrm", sc->output.hgrm_path, sizeof(sc->output.hgrm_path));
		if ((w = cJSON_GetObjectItemCaseSensitive(v, "hlog")))
			fc_scn_get_str(l, w, "output.hlog", sc->output.hlog_path, sizeof(sc->output.hlog_path));
		if ((w = cJSON_GetObjectItemCaseSensitive(v, "latency")))
			fc_scn_get_bool(l, w, "output.latency", &sc->output.latency);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "tags")) && fc_scn_get_obj(l, v, "tags")) {
		cJSON_ArrayForEach(w, v) {
			char path[96];

			snprintf(path, sizeof(path), "tags.%.64s", w->string);
			if (!cJSON_IsString(w))
				fc_errors_add(l->errs, "%s: not a string", path);
			else
				fc_scenario_add_tag(sc, w->string, w->valuestring, "tags", l->errs);
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "baseline")) && fc_scn_get_obj(l, v, "baseline")) {
		fc_scn_check_keys(l, v, "baseline", bknown);
		if ((w = cJSON_GetObjectItemCaseSensitive(v, "file")))
			fc_scn_get_str(l, w, "baseline.file", sc->baseline_path, sizeof(sc->baseline_path));
		if ((w = cJSON_GetObjectItemCaseSensitive(v, "tolerance"))) {
			const cJSON *t;
			unsigned i = 0;

			sc->num_tolerance = 0;
			if (cJSON_IsString(w)) {
				fc_scn_get_str(l, w, "baseline.tolerance", sc->tolerance[0], sizeof(sc->tolerance[0]));
				sc->num_tolerance = 1;
			} else if (fc_scn_get_arr(l, w, "baseline.tolerance", FC_SCENARIO_MAX_TOLERANCES)) {
				cJSON_ArrayForEach(t, w) {
					char path[48];

					snprintf(path, sizeof(path), "baseline.tolerance[%u]", i++);
					if (fc_scn_get_str(l, t, path, sc->tolerance[sc->num_tolerance],
							   sizeof(sc->tolerance[0])))
						sc->num_tolerance++;
				}
			}
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "cores")))
		fc_scn_get_count32(l, v, "cores", &sc->cores, sc->text[FC_F_CORES]);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "memory")))
		fc_scn_get_size(l, v, "memory", &sc->memory, sc->text[FC_F_MEMORY]);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "allow")))
		load_allow(l, v);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "profile")))
		fc_scn_get_str(l, v, "profile", sc->profile_path, sizeof(sc->profile_path));
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "port")))
		fc_scn_load_port(l, v, &sc->port);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "eal")))
		fc_scn_get_str(l, v, "eal", sc->eal, sizeof(sc->eal));
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "embedded")))
		fc_scn_get_bool(l, v, "embedded", &sc->embedded);
}

cJSON *
fc_scn_parse_json(const char *text, const char *name, struct fc_errors *errs)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithOpts(text, &end, 1);

	if (root == NULL) {
		const char *at = end ? end : cJSON_GetErrorPtr();
		unsigned line = 1, col = 1;
		const char *p;

		if (at == NULL || at < text || at > text + strlen(text))
			at = text;
		for (p = text; p < at; p++) {
			if (*p == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		fc_errors_add(errs, "%s:%u:%u: invalid JSON near \"%.20s\"", name, line, col, at);
	}
	return root;
}

int
fc_scenario_load_string(const char *json, const char *name, struct fc_scenario *sc,
		struct fc_errors *errs)
{
	unsigned before = fc_errors_total(errs);
	struct fc_scn_ld l = {.sc = sc, .errs = errs};
	cJSON *root = fc_scn_parse_json(json, name, errs);

	if (root == NULL)
		return -EINVAL;
	load_root(&l, root);
	cJSON_Delete(root);
	return fc_errors_total(errs) > before ? -EINVAL : 0;
}

char *
fc_scn_read_file(const char *path, struct fc_errors *errs)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL) {
		fc_errors_add(errs, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fc_errors_add(errs, "%s: cannot read: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	if (n > (16 << 20)) {
		fc_errors_add(errs, "%s: larger than 16 MiB", path);
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fc_errors_add(errs, "%s: cannot read: %s", path, buf ? "short read" : "out of memory");
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	if (strlen(buf) != (size_t)n) {
		fc_errors_add(errs, "%s: contains a NUL byte", path);
		free(buf);
		return NULL;
	}
	return buf;
}

int
fc_scenario_load_file(const char *path, struct fc_scenario *sc, struct fc_errors *errs)
{
	char *buf = fc_scn_read_file(path, errs);
	int rc;

	if (buf == NULL)
		return -EINVAL;
	if (!fc_scn_copy(sc->source, sizeof(sc->source), path))
		sc->source[0] = '\0';
	rc = fc_scenario_load_string(buf, path, sc, errs);
	free(buf);
	return rc;
}

/* ---- limits file ---- */

enum lim_kind { LK_COUNT, LK_DURATION, LK_RATE, LK_SIZE };

static void
load_limit_pair(struct fc_scn_ld *l, const cJSON *root, const char *key, enum lim_kind kind,
		void *min, void *max)
{
	static const char *const known[] = {"min", "max", NULL};
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, key), *v;
	char p[64];
	int i;

	if (o == NULL || !fc_scn_get_obj(l, o, key))
		return;
	fc_scn_check_keys(l, o, key, known);
	for (i = 0; i < 2; i++) {
		void *dst = i ? max : min;

		v = cJSON_GetObjectItemCaseSensitive(o, i ? "max" : "min");
		if (v == NULL)
			continue;
		snprintf(p, sizeof(p), "%s.%s", key, i ? "max" : "min");
		switch (kind) {
		case LK_COUNT:
			fc_scn_get_count32(l, v, p, dst, NULL);
			break;
		case LK_DURATION:
			fc_scn_get_duration(l, v, p, dst, NULL);
			break;
		case LK_RATE:
			fc_scn_get_rate(l, v, p, dst, NULL);
			break;
		case LK_SIZE:
			fc_scn_get_size(l, v, p, dst, NULL);
			break;
		}
	}
	if ((kind == LK_COUNT && *(uint32_t *)min > *(uint32_t *)max) ||
			((kind == LK_DURATION || kind == LK_SIZE) && *(uint64_t *)min > *(uint64_t *)max) ||
			(kind == LK_RATE && *(double *)min > *(double *)max))
		fc_errors_add(l->errs, "%s: min is above max", key);
}

int
fc_limits_load(const char *path, struct fc_limits *lim, struct fc_errors *errs)
{
	static const char *const known[] = {"connections", "duration", "ramp_up", "rate", "timeout",
		"cores", "memory", NULL};
	unsigned before = fc_errors_total(errs);
	struct fc_scn_ld l = {.sc = NULL, .errs = errs};
	char *buf = fc_scn_read_file(path, errs);
	cJSON *root;

	if (buf == NULL)
		return -EINVAL;
	root = fc_scn_parse_json(buf, path, errs);
	if (root == NULL) {
		free(buf);
		return -EINVAL;
	}
	if (!cJSON_IsObject(root)) {
		fc_errors_add(errs, "%s: the limits file must be a JSON object", path);
	} else {
		fc_scn_check_keys(&l, root, "", known);
		load_limit_pair(&l, root, "connections", LK_COUNT, &lim->connections_min, &lim->connections_max);
		load_limit_pair(&l, root, "duration", LK_DURATION, &lim->duration_min_ns, &lim->duration_max_ns);
		load_limit_pair(&l, root, "ramp_up", LK_DURATION, &lim->ramp_up_min_ns, &lim->ramp_up_max_ns);
		load_limit_pair(&l, root, "rate", LK_RATE, &lim->rate_min, &lim->rate_max);
		load_limit_pair(&l, root, "timeout", LK_DURATION, &lim->timeout_min_ns, &lim->timeout_max_ns);
		load_limit_pair(&l, root, "cores", LK_COUNT, &lim->cores_min, &lim->cores_max);
		load_limit_pair(&l, root, "memory", LK_SIZE, &lim->memory_min, &lim->memory_max);
	}
	cJSON_Delete(root);
	free(buf);
	if (fc_errors_total(errs) > before)
		return -EINVAL;
	lim->widened = true;
	snprintf(lim->path, sizeof(lim->path), "%s", path);
	return 0;
}
