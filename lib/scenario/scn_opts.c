/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The table-driven option walk (fc_opts.h). Not getopt_long: it keeps global state
 * (optind, optarg), permutes argv in place and takes one table, while commands combine
 * tables (replay takes run's) and must word the same three errors the same way.
 */
#include <errno.h>
#include <string.h>

#include "fc_opts.h"

static const struct fc_opt help_opt = {"help", 'h', false, 0, NULL, "this text"};

static bool
is_end(const struct fc_opt *o)
{
	return o->name == NULL && o->help == NULL;
}

static const struct fc_opt *
find_short(const struct fc_opt *const *tables, char c)
{
	for (unsigned t = 0; tables[t]; t++)
		for (const struct fc_opt *o = tables[t]; !is_end(o); o++)
			if (o->name && o->short_name == c)
				return o;
	return c == 'h' ? &help_opt : NULL;
}

/* Exact name first, else a unique prefix, as GNU tools accept. */
static const struct fc_opt *
find_long(const struct fc_opt *const *tables, const char *name, size_t len, bool *ambiguous)
{
	const struct fc_opt *hit = NULL;
	unsigned hits = 0;

	*ambiguous = false;
	for (unsigned t = 0; tables[t]; t++)
		for (const struct fc_opt *o = tables[t]; !is_end(o); o++) {
			if (o->name == NULL || strncmp(o->name, name, len) != 0)
				continue;
			if (o->name[len] == '\0')
				return o;
			if (hit == NULL || strcmp(hit->name, o->name) != 0)
				hits++;
			if (hit == NULL)
				hit = o;
		}
	if (strncmp("help", name, len) == 0 && len > 0) {
		if (len == 4)
			return &help_opt;
		if (hit == NULL)
			hit = &help_opt;
		else
			hits++;
	}
	*ambiguous = hits > 1;
	return hits == 1 ? hit : NULL;
}

/* Messages name an option the same way however it was written: "-c/--connections". */
static void
opt_flag(const struct fc_opt *o, char *buf, size_t len)
{
	if (o->short_name)
		snprintf(buf, len, "-%c/--%s", o->short_name, o->name);
	else
		snprintf(buf, len, "--%s", o->name);
}

/* One walk; returns FC_OPTS_HELP as soon as help is seen when fn is NULL. */
static int
walk(const struct fc_opt *const *tables, int argc, char **argv, fc_opt_fn fn, void *arg,
     struct fc_errors *errs)
{
	unsigned before = fc_errors_total(errs);
	bool only_pos = false;
	char flag[64];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (only_pos || a[0] != '-' || a[1] == '\0') {
			if (fn)
				fn(arg, NULL, a, a, errs);
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			bool amb;
			const struct fc_opt *o = find_long(tables, name, len, &amb);
			const char *v = NULL;

			snprintf(flag, sizeof(flag), "--%.*s", (int)(len < 48 ? len : 48), name);
			if (o == NULL) {
				fc_errors_add(errs, "%s: %s (see --help)", flag,
					      amb ? "ambiguous flag" : "unknown flag");
				continue;
			}
			opt_flag(o, flag, sizeof(flag));
			if (o == &help_opt) {
				if (fn == NULL)
					return FC_OPTS_HELP;
				continue;
			}
			if (o->has_value) {
				if (eq)
					v = eq + 1;
				else if (i + 1 < argc)
					v = argv[++i];
				else {
					fc_errors_add(errs, "%s: missing value", flag);
					continue;
				}
			} else if (eq) {
				fc_errors_add(errs, "%s: takes no value", flag);
				continue;
			}
			if (fn)
				fn(arg, o, flag, v, errs);
			continue;
		}
		/* Short options: a bundle of flags, the last of which may take a value. */
		for (const char *p = a + 1; *p; p++) {
			const struct fc_opt *o = find_short(tables, *p);

			snprintf(flag, sizeof(flag), "-%c", *p);
			if (o == NULL) {
				fc_errors_add(errs, "%s: unknown flag (see --help)", flag);
				continue;
			}
			if (o == &help_opt) {
				if (fn == NULL)
					return FC_OPTS_HELP;
				continue;
			}
			opt_flag(o, flag, sizeof(flag));
			if (!o->has_value) {
				if (fn)
					fn(arg, o, flag, NULL, errs);
				continue;
			}
			const char *v = p[1] ? p + 1 : i + 1 < argc ? argv[++i] : NULL;

			if (v == NULL)
				fc_errors_add(errs, "%s: missing value", flag);
			else if (fn)
				fn(arg, o, flag, v, errs);
			break;
		}
	}
	return fc_errors_total(errs) > before ? -EINVAL : 0;
}

int
fc_opts_parse(const struct fc_opt *const *tables, int argc, char **argv, fc_opt_fn fn,
	      void *arg, struct fc_errors *errs)
{
	struct fc_errors scratch;

	/* Help wins over every error: look for it first. */
	fc_errors_init(&scratch);
	if (walk(tables, argc, argv, NULL, NULL, &scratch) == FC_OPTS_HELP)
		return FC_OPTS_HELP;
	return walk(tables, argc, argv, fn, arg, errs);
}

void
fc_opts_help(const struct fc_opt *const *tables, FILE *f)
{
	char left[96];

	for (unsigned t = 0; tables[t]; t++)
		for (const struct fc_opt *o = tables[t]; !is_end(o); o++) {
			if (o->name == NULL) {
				fputs(o->help, f);
				continue;
			}
			if (o->help == NULL)
				continue;
			snprintf(left, sizeof(left), "  %c%c%c --%s%s%s", o->short_name ? '-' : ' ',
				 o->short_name ? o->short_name : ' ', o->short_name ? ',' : ' ', o->name,
				 o->value_name ? " " : "", o->value_name ? o->value_name : "");
			fprintf(f, "%-25s  %s\n", left, o->help);
		}
	fprintf(f, "%-25s  %s\n", "  -h, --help", help_opt.help);
}

void
fc_opts_bad(struct fc_errors *errs, const char *flag, const char *value, const char *what)
{
	fc_errors_add(errs, "%s: \"%s\" is not %s", flag, value, what);
}

void
fc_opts_bound(struct fc_errors *errs, const char *flag, const char *value, bool below,
	      const char *bound)
{
	fc_errors_add(errs, "%s: %s is %s the limit %s", flag, value, below ? "below" : "above", bound);
}

const struct fc_opt fc_impair_opt_table[] = {
	{"impair", 0, true, 1, "SPEC", "netem-style faults at our port, both ways: 'loss 2%', 'delay 5ms'"},
	{"impair-rx", 0, true, 2, "SPEC", "the same on received frames only"},
	{"impair-tx", 0, true, 3, "SPEC", "the same on sent frames only"},
	{NULL, 0, false, 0, NULL, NULL},
};

bool
fc_impair_spec_take(struct fc_impair_spec *s, const struct fc_opt *o, const char *flag,
		    const char *value)
{
	const struct fc_opt *both = &fc_impair_opt_table[0];

	/* @p flag lives in the parser's buffer: keep a constant name instead. */
	(void)flag;
	if (o == both || o == &fc_impair_opt_table[1]) {
		s->rx = value;
		s->rx_flag = o == both ? "--impair" : "--impair-rx";
	}
	if (o == both || o == &fc_impair_opt_table[2]) {
		s->tx = value;
		s->tx_flag = o == both ? "--impair" : "--impair-tx";
	}
	return o == both || o == &fc_impair_opt_table[1] || o == &fc_impair_opt_table[2];
}
