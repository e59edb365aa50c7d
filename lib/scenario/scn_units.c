/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Error list, unit parsers and formatters. Numbers are parsed as decimal text into
 * integers (never through floating point) so that "1.5s" is exactly 1500000000 ns and a
 * bound check at the limit is exact.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fc_scenario.h"
#include "scn_private.h"

void
fc_errors_init(struct fc_errors *e)
{
	e->count = 0;
	e->dropped = 0;
}

void
fc_errors_add(struct fc_errors *e, const char *fmt, ...)
{
	va_list ap;

	if (e->count >= FC_ERRORS_MAX) {
		e->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(e->msg[e->count], FC_ERROR_LEN, fmt, ap);
	va_end(ap);
	e->count++;
}

void
fc_errors_print(const struct fc_errors *e, FILE *f)
{
	unsigned i;

	for (i = 0; i < e->count; i++)
		fprintf(f, "error: %s\n", e->msg[i]);
	if (e->dropped)
		fprintf(f, "error: ... and %u more\n", e->dropped);
}

struct unit {
	const char *suffix;
	uint64_t mult;
};

/*
 * DIGITS[.DIGITS]SUFFIX with SUFFIX from @p units ("" allowed when listed). The value is
 * int*mult + frac*mult/10^k computed in 128 bits; *exact tells whether that division had
 * no remainder.
 */
static int
parse_scaled(const char *s, const struct unit *units, size_t nunits, uint64_t *out, bool *exact)
{
	__extension__ unsigned __int128 ip = 0, fp = 0, pow10 = 1, v;
	const char *p = s;
	size_t i, nd = 0;

	if (s == NULL || !isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		ip = ip * 10 + (unsigned)(*p - '0');
		if (ip > UINT64_MAX)
			return -ERANGE;
		p++;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p)) {
			/* Digits past 18 decimals cannot matter for ns or counts: ignore them. */
			if (nd < 18) {
				fp = fp * 10 + (unsigned)(*p - '0');
				pow10 *= 10;
				nd++;
			}
			p++;
		}
	}
	for (i = 0; i < nunits; i++) {
		if (strcmp(p, units[i].suffix) == 0)
			break;
	}
	if (i == nunits)
		return -EINVAL;
	v = ip * units[i].mult;
	if (v > UINT64_MAX)
		return -ERANGE;
	v += fp * units[i].mult / pow10;
	if (v > UINT64_MAX)
		return -ERANGE;
	*exact = (fp * units[i].mult) % pow10 == 0;
	*out = (uint64_t)v;
	return 0;
}

static const struct unit duration_units[] = {
	{"", 1000000000ull}, {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000ull},
	{"m", 60000000000ull}, {"h", 3600000000000ull},
};

int
fc_parse_duration(const char *s, uint64_t *out)
{
	bool exact;
	uint64_t v;
	int rc = parse_scaled(s, duration_units, sizeof(duration_units) / sizeof(duration_units[0]),
			&v, &exact);

	if (rc)
		return rc;
	if (v > (uint64_t)INT64_MAX)
		return -ERANGE;
	*out = v;
	return 0;
}

static const struct unit count_units[] = {
	{"", 1}, {"k", 1000}, {"K", 1000}, {"M", 1000000}, {"G", 1000000000ull},
};

int
fc_parse_count(const char *s, uint64_t *out)
{
	bool exact;
	int rc = parse_scaled(s, count_units, sizeof(count_units) / sizeof(count_units[0]), out, &exact);

	if (rc)
		return rc;
	return exact ? 0 : -EINVAL;
}

int
fc_parse_rate(const char *s, double *out)
{
	/* Scale by 10^6 first so that fractional rates like "0.1" survive the integer path. */
	static const struct unit rate_units[] = {
		{"", 1000000}, {"k", 1000000000ull}, {"K", 1000000000ull}, {"M", 1000000000000ull},
		{"G", 1000000000000000ull},
	};
	bool exact;
	uint64_t v;
	int rc = parse_scaled(s, rate_units, sizeof(rate_units) / sizeof(rate_units[0]), &v, &exact);

	if (rc)
		return rc;
	*out = (double)v / 1e6;
	return 0;
}

static const struct unit size_units[] = {
	{"", 1}, {"B", 1},
	{"k", 1000}, {"K", 1000}, {"kB", 1000}, {"KB", 1000},
	{"M", 1000000}, {"MB", 1000000}, {"G", 1000000000ull}, {"GB", 1000000000ull},
	{"T", 1000000000000ull}, {"TB", 1000000000000ull},
	{"Ki", 1ull << 10}, {"KiB", 1ull << 10}, {"Mi", 1ull << 20}, {"MiB", 1ull << 20},
	{"Gi", 1ull << 30}, {"GiB", 1ull << 30}, {"Ti", 1ull << 40}, {"TiB", 1ull << 40},
};

int
fc_parse_size(const char *s, uint64_t *out)
{
	bool exact;

	return parse_scaled(s, size_units, sizeof(size_units) / sizeof(size_units[0]), out, &exact);
}

char *
fc_fmt_duration(uint64_t ns, char *buf, size_t len)
{
	static const struct unit u[] = {
		{"h", 3600000000000ull}, {"m", 60000000000ull}, {"s", 1000000000ull},
		{"ms", 1000000}, {"us", 1000}, {"ns", 1},
	};
	size_t i;

	if (ns == 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		if (ns % u[i].mult == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", ns / u[i].mult, u[i].suffix);
			break;
		}
	}
	return buf;
}

char *
fc_fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const struct unit u[] = {
		{"Ti", 1ull << 40}, {"Gi", 1ull << 30}, {"Mi", 1ull << 20}, {"Ki", 1ull << 10},
	};
	size_t i;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		if (bytes && bytes % u[i].mult == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", bytes / u[i].mult, u[i].suffix);
			return buf;
		}
	}
	snprintf(buf, len, "%" PRIu64, bytes);
	return buf;
}

char *
fc_fmt_rate(double r, char *buf, size_t len)
{
	snprintf(buf, len, "%.10g", r);
	return buf;
}

int
fc_parse_ipv4(const char *s, uint32_t *ip)
{
	struct in_addr a;
	const char *p;
	int dots = 0;

	/* inet_pton accepts only dotted quads; we also insist on digits and dots. */
	for (p = s; *p; p++) {
		if (*p == '.')
			dots++;
		else if (!isdigit((unsigned char)*p))
			return -EINVAL;
	}
	if (dots != 3 || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ip = a.s_addr;
	return 0;
}

int
fc_parse_ip_prefix(const char *s, uint32_t *out, uint8_t *prefix)
{
	char addr[32];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len = 32;
	uint32_t ip;

	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (fc_parse_ipv4(addr, &ip))
		return -EINVAL;
	if (slash) {
		const char *d = slash + 1;

		if (*d == '\0' || strlen(d) > 2)
			return -EINVAL;
		len = 0;
		for (; *d; d++) {
			if (!isdigit((unsigned char)*d))
				return -EINVAL;
			len = len * 10 + (unsigned long)(*d - '0');
		}
		if (len > 32)
			return -EINVAL;
	}
	*out = ip;
	*prefix = (uint8_t)len;
	return 0;
}

int
fc_parse_cidr(const char *s, uint32_t *net, uint8_t *prefix)
{
	uint32_t ip, mask;

	if (fc_parse_ip_prefix(s, &ip, prefix))
		return -EINVAL;
	mask = *prefix == 0 ? 0 : htonl(~0u << (32 - *prefix));
	*net = ip & mask;
	return 0;
}

char *
fc_fmt_cidr(uint32_t net, uint8_t prefix, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];
	struct in_addr in = {.s_addr = net};

	inet_ntop(AF_INET, &in, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, prefix);
	return buf;
}

bool
fc_cidr_contains(uint32_t net, uint8_t prefix, uint32_t ip)
{
	uint32_t mask = prefix == 0 ? 0 : htonl(~0u << (32 - prefix));

	return (ip & mask) == net;
}

static bool
span_all(const char *s, size_t n, const char *extra)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr(extra, s[i]) == NULL)
			return false;
	return true;
}

bool
fc_db_url_valid(const char *url)
{
	static const char *const schemes[] = {"mysql://", "postgresql://", "mongodb://", "redis://"};
	const char *p = NULL, *colon, *slash, *q;
	unsigned long port = 0;
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strncmp(url, schemes[i], strlen(schemes[i])) == 0) {
			p = url + strlen(schemes[i]);
			break;
		}
	}
	if (p == NULL)
		return false;
	colon = strchr(p, ':');
	if (colon == NULL || !span_all(p, (size_t)(colon - p), ".-"))
		return false;
	slash = strchr(colon, '/');
	if (slash == NULL || slash == colon + 1 || slash - colon > 6)
		return false;
	for (q = colon + 1; q < slash; q++) {
		if (!isdigit((unsigned char)*q))
			return false;
		port = port * 10 + (unsigned long)(*q - '0');
	}
	if (port == 0 || port > 65535)
		return false;
	return span_all(slash + 1, strlen(slash + 1), "_-.");
}
