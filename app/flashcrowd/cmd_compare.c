/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `flashcrowd compare BASE NEW` or `compare --base F... --new F...`: a verdict per metric
 * (better, same, worse). Exit 0 when nothing is worse, 99 when something is, 2 on bad input.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "fc_opts.h"
#include "fc_results.h"
#include "fc_stats.h"

enum { C_BASE = 1, C_NEW, C_TOLERANCE, C_ALPHA, C_JSON };

static const struct fc_opt compare_opts[] = {
	{"base", 0, false, C_BASE, NULL, "the files after it are the baseline's repeat runs"},
	{"new", 0, false, C_NEW, NULL, "the files after it are the new build's repeat runs"},
	{"tolerance", 0, true, C_TOLERANCE, "SPEC", "5% by default; PCT for all, METRIC=PCT for one (e.g. --tolerance p99=10%), 0..100%, repeatable"},
	{"alpha", 0, true, C_ALPHA, "A", "significance level, 0.001..0.2 (default 0.05 over runs, 0.01 over intervals)"},
	{"json", 0, false, C_JSON, NULL, "print the comparison as JSON"},
	{NULL, 0, false, 0, NULL, NULL},
};
static const struct fc_opt *const compare_tables[] = {compare_opts, NULL};

static void
usage(FILE *f)
{
	fputs("usage: flashcrowd compare [options] BASE.json NEW.json\n"
	      "       flashcrowd compare [options] --base F.json... --new F.json...\n"
	      "  Per metric (rps, p50, p90, p99, p99.9, errors): baseline, new, change, verdict.\n"
	      "  worse = beyond the tolerance the bad way AND significant (two-sided Mann-Whitney U\n"
	      "  over the repeat runs when both sides have several, else over the per-interval\n"
	      "  values). Exit 0: nothing worse; 99: something worse; 2: bad input.\n", f);
	fc_opts_help(compare_tables, f);
}

/* What the command line said; file names point into argv. */
struct compare_args {
	char **base, **cur, **pos;      /* --base files, --new files, BASE NEW */
	unsigned nb, nn, np;
	char list;                      /* 'b' or 'n' after --base or --new, else 0 */
	struct fc_tolerance tol;
	double alpha;                   /* 0: the default of the samples used */
	bool json;
};

static void
on_compare_opt(void *arg, const struct fc_opt *o, const char *flag, const char *value,
	       struct fc_errors *errs)
{
	struct compare_args *a = arg;
	char err[FC_RESULTS_ERR_LEN];
	char *end;

	if (o == NULL) {
		if (a->list == 'b')
			a->base[a->nb++] = (char *)value;
		else if (a->list == 'n')
			a->cur[a->nn++] = (char *)value;
		else
			a->pos[a->np++] = (char *)value;
		return;
	}
	switch (o->id) {
	case C_BASE:
		a->list = 'b';
		break;
	case C_NEW:
		a->list = 'n';
		break;
	case C_TOLERANCE:
		if (fc_tolerance_parse(value, &a->tol, err, sizeof(err)) != 0)
			fc_errors_add(errs, "--%s", err);
		break;
	case C_ALPHA:
		a->alpha = strtod(value, &end);
		if (end == value || *end != '\0' || !(a->alpha >= 0.001 && a->alpha <= 0.2))
			fc_errors_add(errs, "%s: \"%s\" is outside 0.001..0.2", flag, value);
		break;
	default:
		a->json = true;
		break;
	}
}

/* Load each named file; exit code 2 (bad input) or 1 (no memory) on failure. */
static int
load_all(char **names, unsigned n, struct fc_result **out)
{
	char err[FC_RESULTS_ERR_LEN];

	for (unsigned i = 0; i < n; i++) {
		int rc = fc_result_load(names[i], &out[i], err, sizeof(err));

		if (rc != 0) {
			fprintf(stderr, "error: %s\n", err);
			return rc == -ENOMEM ? FC_EXIT_RUNTIME : FC_EXIT_INPUT;
		}
	}
	return FC_EXIT_OK;
}

int
fc_cmd_compare(int argc, char **argv)
{
	struct compare_args a = {
		.base = calloc((size_t)argc, sizeof(char *)), .cur = calloc((size_t)argc, sizeof(char *)),
		.pos = calloc((size_t)argc, sizeof(char *)),
	};
	struct fc_result **rb = calloc((size_t)argc, sizeof(*rb)), **rn = calloc((size_t)argc, sizeof(*rn));
	char **base = a.base, **cur = a.cur;
	unsigned nb = 0, nn = 0;
	struct fc_errors errs;
	struct fc_cmp cmp;
	int rc, code = FC_EXIT_INPUT;

	if (a.base == NULL || a.cur == NULL || a.pos == NULL || rb == NULL || rn == NULL) {
		code = FC_EXIT_RUNTIME;
		goto out;
	}
	fc_tolerance_default(&a.tol);
	fc_errors_init(&errs);
	rc = fc_opts_parse(compare_tables, argc, argv, on_compare_opt, &a, &errs);
	if (rc == FC_OPTS_HELP) {
		usage(stdout);
		code = FC_EXIT_OK;
		goto out;
	}
	if (fc_errors_total(&errs)) {
		fc_errors_print(&errs, stderr);
		goto out;
	}
	nb = a.nb;
	nn = a.nn;
	if (a.list != 0 && a.np != 0) {
		fprintf(stderr, "error: \"%s\": give the files after --base and --new, not before\n",
			a.pos[0]);
		goto out;
	}
	if (a.list == 0) {
		if (a.np != 2) {
			fprintf(stderr, "error: compare takes two result files (BASE NEW), got %u\n", a.np);
			usage(stderr);
			goto out;
		}
		base[nb++] = a.pos[0];
		cur[nn++] = a.pos[1];
	}
	if (nb == 0 || nn == 0) {
		fprintf(stderr, "error: --%s: no result file\n", nb == 0 ? "base" : "new");
		goto out;
	}
	if ((code = load_all(base, nb, rb)) != FC_EXIT_OK ||
	    (code = load_all(cur, nn, rn)) != FC_EXIT_OK)
		goto out;
	if (fc_results_compare(rb, nb, rn, nn, &a.tol, a.alpha, &cmp) != 0) {
		code = FC_EXIT_RUNTIME;
		goto out;
	}
	if (a.json) {
		cJSON *j = fc_cmp_to_json(&cmp);

		if (j == NULL || fc_json_write(j, "-") != 0) {
			cJSON_Delete(j);
			code = FC_EXIT_RUNTIME;
			goto out;
		}
		cJSON_Delete(j);
		if (cmp.scenario_diff[0])
			fprintf(stderr, "warning: the scenarios differ: %s\n", cmp.scenario_diff);
	} else {
		printf("baseline: %s%s (%u run%s), new: %s%s (%u run%s)\n", base[0],
		       nb > 1 ? " ..." : "", nb, nb > 1 ? "s" : "", cur[0], nn > 1 ? " ..." : "",
		       nn, nn > 1 ? "s" : "");
		fc_cmp_print(&cmp, stdout);
		if (cmp.worse)
			printf("regression: %u metric%s worse\n", cmp.worse, cmp.worse > 1 ? "s" : "");
	}
	code = cmp.worse ? FC_EXIT_THRESHOLD : FC_EXIT_OK;
out:
	for (unsigned i = 0; rb && i < nb; i++)
		fc_result_free(rb[i]);
	for (unsigned i = 0; rn && i < nn; i++)
		fc_result_free(rn[i]);
	free(rb);
	free(rn);
	free(a.base);
	free(a.cur);
	free(a.pos);
	return code;
}
