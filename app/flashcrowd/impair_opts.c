/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "impair_opts.h"

static int
parse_into(const char *opt, const char *spec, struct fc_impair_conf *c)
{
	char err[256];

	if (spec == NULL) {
		fprintf(stderr, "error: %s: missing value (e.g. 'loss 2%%', 'delay 5ms')\n", opt);
		return -EINVAL;
	}
	if (fc_impair_parse(spec, c, err, sizeof(err)) != 0) {
		fprintf(stderr, "error: %s: %s\n", opt, err);
		return -EINVAL;
	}
	return 0;
}

int
fc_impair_opts_take(int *argc, char **argv, struct fc_impair_opts *o)
{
	int out = 0, rc = 0;

	memset(o, 0, sizeof(*o));
	for (int i = 0; i < *argc; i++) {
		static const char *const names[] = {"--impair", "--impair-rx", "--impair-tx"};
		int which = -1;
		const char *val = NULL;

		for (int k = 0; k < 3; k++) {
			size_t len = strlen(names[k]);

			if (strcmp(argv[i], names[k]) == 0) {
				which = k;
				val = i + 1 < *argc ? argv[++i] : NULL;
			} else if (strncmp(argv[i], names[k], len) == 0 && argv[i][len] == '=') {
				which = k;
				val = argv[i] + len + 1;
			}
		}
		if (which < 0) {
			argv[out++] = argv[i];
			continue;
		}
		if (which != 2 && parse_into(names[which], val, &o->rx) == 0)
			o->rx_set = true;
		else if (which != 2)
			rc = -EINVAL;
		if (which != 1 && parse_into(names[which], val, &o->tx) == 0)
			o->tx_set = true;
		else if (which != 1)
			rc = -EINVAL;
	}
	*argc = out;
	argv[out] = NULL;
	return rc;
}

const char *
fc_argv_take(int *argc, char **argv, const char *name, const char *short_name)
{
	size_t len = strlen(name);
	const char *val = NULL;
	int out = 0;

	for (int i = 0; i < *argc; i++) {
		if (strncmp(argv[i], "--", 2) == 0 && strncmp(argv[i] + 2, name, len) == 0 &&
		    argv[i][2 + len] == '=') {
			val = argv[i] + 3 + len;
		} else if ((strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, name) == 0) ||
			   (short_name && strcmp(argv[i], short_name) == 0)) {
			val = i + 1 < *argc ? argv[++i] : "";
		} else {
			argv[out++] = argv[i];
		}
	}
	*argc = out;
	argv[out] = NULL;
	return val;
}
