/* SPDX-License-Identifier: BSD-3-Clause */
/* drivers_cfg profile loading and validation. Every error names file, field and value. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fc_platform.h"

#define PROFILE_MAX_BYTES (64 * 1024)

struct loader {
	const char *path;
	char *err;
	size_t errlen;
	int failed;
};

static int
fail(struct loader *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->failed++ || l->err == NULL)
		return -EINVAL;
	n = snprintf(l->err, l->errlen, "%s: ", l->path);
	if (n < 0 || (size_t)n >= l->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(l->err + n, l->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The fields a profile may hold; anything else is a typo the user must hear about. */
static const char *const top_fields[] = {
	"name", "driver", "kind", "vdev", "eal", "eal_hugepages", "queues", "descriptors", "offloads",
	"rss_key", "mbufs", "mtu", "promiscuous", "description", NULL,
};
static const char *const queue_fields[] = {"max", NULL};
static const char *const desc_fields[] = {"rx", "tx", NULL};
static const char *const offload_fields[] = {"rx_cksum", "tx_cksum", "rss", NULL};
static const char *const mbuf_fields[] = {"count", "cache", "data_room", NULL};

static int
check_fields(struct loader *l, const cJSON *obj, const char *prefix, const char *const *known)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, obj) {
		unsigned i;

		for (i = 0; known[i] != NULL; i++)
			if (strcmp(known[i], it->string) == 0)
				break;
		if (known[i] == NULL)
			return fail(l, "field '%s%s%s': unknown field", prefix, *prefix ? "." : "",
				    it->string);
	}
	return 0;
}

/* An optional array of EAL argument templates. */
static int
get_eal_list(struct loader *l, const cJSON *root, const char *key,
	     char out[FC_PROFILE_MAX_EAL_ARGS][FC_PROFILE_STR], unsigned *n)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, key), *a;

	if (list == NULL)
		return 0;
	if (!cJSON_IsArray(list))
		return fail(l, "field '%s': expected an array of strings", key);
	cJSON_ArrayForEach(a, list) {
		if (!cJSON_IsString(a))
			return fail(l, "field '%s[%u]': expected a string", key, *n);
		if (*n == FC_PROFILE_MAX_EAL_ARGS)
			return fail(l, "field '%s': more than %d arguments", key,
				    FC_PROFILE_MAX_EAL_ARGS);
		if (strlen(a->valuestring) >= FC_PROFILE_STR)
			return fail(l, "field '%s[%u]': longer than %d characters", key, *n,
				    FC_PROFILE_STR - 1);
		strcpy(out[(*n)++], a->valuestring);
	}
	return 0;
}

static const cJSON *
get_obj(struct loader *l, const cJSON *root, const char *name, const char *const *known)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, name);

	if (o == NULL)
		return NULL;
	if (!cJSON_IsObject(o)) {
		fail(l, "field '%s': expected an object", name);
		return NULL;
	}
	check_fields(l, o, name, known);
	return o;
}

static int
get_str(struct loader *l, const cJSON *obj, const char *field, char *out, size_t outlen,
	bool required)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);

	if (v == NULL)
		return required ? fail(l, "field '%s': missing", field) : 0;
	if (!cJSON_IsString(v))
		return fail(l, "field '%s': expected a string", field);
	if (strlen(v->valuestring) >= outlen)
		return fail(l, "field '%s': value is longer than %zu characters", field, outlen - 1);
	strcpy(out, v->valuestring);
	return 0;
}

/* An integer in [lo, hi]; @p path names it in messages. Missing keeps the default. */
static int
get_uint(struct loader *l, const cJSON *obj, const char *field, const char *path,
	 uint64_t lo, uint64_t hi, uint64_t *out)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, field) : NULL;

	if (v == NULL)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble)
		return fail(l, "field '%s': value %s is not an integer", path,
			    cJSON_IsString(v) ? v->valuestring : "(non-number)");
	if (v->valuedouble < (double)lo)
		return fail(l, "field '%s': value %.0f is below %llu", path, v->valuedouble,
			    (unsigned long long)lo);
	if (v->valuedouble > (double)hi)
		return fail(l, "field '%s': value %.0f is above %llu", path, v->valuedouble,
			    (unsigned long long)hi);
	*out = (uint64_t)v->valuedouble;
	return 0;
}

static int
get_bool(struct loader *l, const cJSON *obj, const char *field, const char *path, bool *out)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, field) : NULL;

	if (v == NULL)
		return 0;
	if (!cJSON_IsBool(v))
		return fail(l, "field '%s': expected true or false", path);
	*out = cJSON_IsTrue(v);
	return 0;
}

static int
parse_hex_key(struct loader *l, const char *s, struct fc_profile *p)
{
	size_t n = strlen(s);

	if (n != 80 && n != 104)
		return fail(l, "field 'rss_key': value has %zu hex digits, expected 80 (40 bytes) "
			    "or 104 (52 bytes)", n);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1 || !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i + 1]))
			return fail(l, "field 'rss_key': value '%s' is not hexadecimal", s);
		p->rss_key[i] = (uint8_t)b;
	}
	p->rss_key_len = (uint8_t)(n / 2);
	return 0;
}

static void
profile_defaults(struct fc_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->max_queues = 1;
	p->rx_desc = 1024;
	p->tx_desc = 1024;
	p->mbufs = 16383;
	p->mbuf_cache = 256;
	p->mbuf_data_room = 2048 + 128;
	p->mtu = 1500;
	p->promiscuous = false;
}

static int
parse_profile(struct loader *l, const cJSON *root, struct fc_profile *p)
{
	char kind[16] = "";
	uint64_t v;

	if (!cJSON_IsObject(root))
		return fail(l, "expected a JSON object at the top level");
	check_fields(l, root, "", top_fields);
	get_str(l, root, "name", p->name, sizeof(p->name), true);
	get_str(l, root, "driver", p->driver, sizeof(p->driver), true);
	get_str(l, root, "kind", kind, sizeof(kind), true);
	if (l->failed)
		return -EINVAL;

	if (strcmp(kind, "vdev") == 0)
		p->kind = FC_PORT_VDEV;
	else if (strcmp(kind, "pci") == 0)
		p->kind = FC_PORT_PCI;
	else if (strcmp(kind, "ring") == 0)
		p->kind = FC_PORT_RING;
	else
		return fail(l, "field 'kind': value '%s' is not one of vdev, pci, ring", kind);

	static const char *const known_drivers[] = {
		"net_af_packet", "net_af_xdp", "net_memif", "net_tap", "net_ring",
		"mlx5_pci", "net_i40e", "net_ice", "net_ixgbe", NULL,
	};
	unsigned i;
	for (i = 0; known_drivers[i]; i++)
		if (strcmp(p->driver, known_drivers[i]) == 0)
			break;
	if (known_drivers[i] == NULL)
		return fail(l, "field 'driver': value '%s' is not a supported driver "
			    "(net_af_packet, net_af_xdp, net_memif, net_tap, net_ring, mlx5_pci, "
			    "net_i40e, net_ice, net_ixgbe)", p->driver);

	get_str(l, root, "vdev", p->vdev, sizeof(p->vdev), p->kind == FC_PORT_VDEV);
	if (p->kind == FC_PORT_VDEV && strncmp(p->vdev, p->driver, strlen(p->driver)) != 0)
		fail(l, "field 'vdev': value '%s' does not start with the driver name '%s'",
		     p->vdev, p->driver);

	if (get_eal_list(l, root, "eal", p->eal_args, &p->nb_eal_args) != 0 ||
	    get_eal_list(l, root, "eal_hugepages", p->eal_hp_args, &p->nb_eal_hp_args) != 0)
		return -EINVAL;

	const cJSON *q = get_obj(l, root, "queues", queue_fields);
	v = p->max_queues;
	get_uint(l, q, "max", "queues.max", 1, 64, &v);
	p->max_queues = (uint16_t)v;

	const cJSON *d = get_obj(l, root, "descriptors", desc_fields);
	v = p->rx_desc;
	get_uint(l, d, "rx", "descriptors.rx", 64, 16384, &v);
	p->rx_desc = (uint16_t)v;
	v = p->tx_desc;
	get_uint(l, d, "tx", "descriptors.tx", 64, 16384, &v);
	p->tx_desc = (uint16_t)v;
	if (p->rx_desc & (p->rx_desc - 1))
		fail(l, "field 'descriptors.rx': value %u is not a power of two", p->rx_desc);
	if (p->tx_desc & (p->tx_desc - 1))
		fail(l, "field 'descriptors.tx': value %u is not a power of two", p->tx_desc);

	const cJSON *o = get_obj(l, root, "offloads", offload_fields);
	get_bool(l, o, "rx_cksum", "offloads.rx_cksum", &p->rx_cksum);
	get_bool(l, o, "tx_cksum", "offloads.tx_cksum", &p->tx_cksum);
	get_bool(l, o, "rss", "offloads.rss", &p->rss);
	get_bool(l, root, "promiscuous", "promiscuous", &p->promiscuous);

	const cJSON *key = cJSON_GetObjectItemCaseSensitive(root, "rss_key");
	if (key != NULL && !cJSON_IsNull(key)) {
		if (!cJSON_IsString(key))
			return fail(l, "field 'rss_key': expected a hex string or null");
		parse_hex_key(l, key->valuestring, p);
	}

	const cJSON *mb = get_obj(l, root, "mbufs", mbuf_fields);
	v = p->mbufs;
	get_uint(l, mb, "count", "mbufs.count", 1023, 16u << 20, &v);
	p->mbufs = (uint32_t)v;
	v = p->mbuf_cache;
	get_uint(l, mb, "cache", "mbufs.cache", 0, 512, &v);
	p->mbuf_cache = (uint32_t)v;
	v = p->mbuf_data_room;
	get_uint(l, mb, "data_room", "mbufs.data_room", 1024 + 128, 16384, &v);
	p->mbuf_data_room = (uint16_t)v;
	v = p->mtu;
	get_uint(l, root, "mtu", "mtu", 576, 9216, &v);
	p->mtu = (uint16_t)v;
	if (p->mtu + RTE_ETHER_HDR_LEN + 128 > p->mbuf_data_room)
		fail(l, "field 'mtu': value %u does not fit in mbufs.data_room %u", p->mtu,
		     p->mbuf_data_room);
	return l->failed ? -EINVAL : 0;
}

int
fc_profile_load(const char *path, struct fc_profile *p, char *err, size_t errlen)
{
	struct loader l = {.path = path, .err = err, .errlen = errlen};
	FILE *f;
	char *buf;
	size_t n;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	f = fopen(path, "r");
	if (f == NULL) {
		if (err)
			snprintf(err, errlen, "%s: cannot read the profile: %s", path, strerror(errno));
		return -ENOENT;
	}
	buf = malloc(PROFILE_MAX_BYTES + 1);
	if (buf == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, PROFILE_MAX_BYTES + 1, f);
	fclose(f);
	if (n > PROFILE_MAX_BYTES) {
		free(buf);
		return fail(&l, "larger than %d bytes", PROFILE_MAX_BYTES);
	}
	buf[n] = '\0';

	const char *end = NULL;
	cJSON *root = cJSON_ParseWithOpts(buf, &end, true);
	if (root == NULL) {
		/* cJSON reports where it stopped; turn that into a line number. */
		unsigned line = 1;
		const char *stop = end ? end : cJSON_GetErrorPtr();

		for (const char *c = buf; stop && c < stop; c++)
			line += *c == '\n';
		free(buf);
		return fail(&l, "invalid JSON near line %u", line);
	}
	profile_defaults(p);
	snprintf(p->path, sizeof(p->path), "%s", path);
	rc = parse_profile(&l, root, p);
	cJSON_Delete(root);
	free(buf);
	return rc;
}

int
fc_template_expand(const char *tmpl, const char *iface, uint16_t queues, char *out, size_t outlen)
{
	size_t o = 0;

	for (const char *s = tmpl; *s; ) {
		char val[64];
		const char *rep = NULL;
		size_t skip = 1;

		if (*s == '{') {
			if (strncmp(s, "{iface}", 7) == 0) {
				if (iface == NULL || *iface == '\0')
					return -EINVAL;
				rep = iface;
				skip = 7;
			} else if (strncmp(s, "{queues}", 8) == 0) {
				snprintf(val, sizeof(val), "%u", queues);
				rep = val;
				skip = 8;
			} else if (strncmp(s, "{pid}", 5) == 0) {
				snprintf(val, sizeof(val), "%d", (int)getpid());
				rep = val;
				skip = 5;
			} else {
				return -EINVAL;
			}
		}
		if (rep != NULL) {
			size_t n = strlen(rep);

			if (o + n >= outlen)
				return -ENOSPC;
			memcpy(out + o, rep, n);
			o += n;
		} else {
			if (o + 1 >= outlen)
				return -ENOSPC;
			out[o++] = *s;
		}
		s += skip;
	}
	out[o] = '\0';
	return 0;
}
