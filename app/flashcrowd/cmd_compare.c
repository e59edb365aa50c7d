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
#include "fc_results.h"

static void
usage(FILE *f)
{
	fputs("usage: flashcrowd compare [options] BASE.json NEW.json\n"
	      "       flashcrowd compare [options] --base F.json... --new F.json...\n"
	      "  Per metric (rps, p50, p90, p99, p99.9, errors): baseline, new, change, verdict.\n"
	      "  worse = beyond the tolerance the bad way AND significant (two-sided Mann-Whitney U\n"
	      "  over the repeat runs when both sides have several, else over the per-interval\n"
	      "  values). Exit 0: nothing worse; 99: something worse; 2: bad input.\n"
	      "      --tolerance SPEC  5% by default; PCT for all, METRIC=PCT for one\n"
	      "                        (e.g. --tolerance p99=10%), 0..100%, repeatable\n"
	      "      --alpha A         significance level, 0.001..0.2 (default 0.05 over runs,\n"
	      "                        0.01 over intervals)\n"
	      "      --json            print the comparison as JSON\n", f);
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
	char **base = calloc((size_t)argc, sizeof(char *)), **cur = calloc((size_t)argc, sizeof(char *));
	char **pos = calloc((size_t)argc, sizeof(char *));
	struct fc_result **rb = calloc((size_t)argc, sizeof(*rb)), **rn = calloc((size_t)argc, sizeof(*rn));
	unsigned nb = 0, nn = 0, np = 0;
	struct fc_tolerance tol;
	struct fc_cmp cmp;
	double alpha = 0; /* the default of the samples used */
	bool json = false, lists = false;
	const char *list = NULL; /* "b" or "n": where positional names go after --base/--new */
	int code = FC_EXIT_INPUT;

	if (base == NULL || cur == NULL || pos == NULL || rb == NULL || rn == NULL) {
		code = FC_EXIT_RUNTIME;
		goto out;
	}
	fc_tolerance_default(&tol);
	/* By hand rather than getopt: --base and --new take a list each. */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char err[FC_RESULTS_ERR_LEN];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			code = FC_EXIT_OK;
			goto out;
		} else if (strcmp(a, "--base") == 0) {
			list = "b";
			lists = true;
		} else if (strcmp(a, "--new") == 0) {
			list = "n";
			lists = true;
		} else if (strcmp(a, "--json") == 0) {
			json = true;
		} else if (strcmp(a, "--tolerance") == 0 || strncmp(a, "--tolerance=", 12) == 0 ||
			   strcmp(a, "--alpha") == 0 || strncmp(a, "--alpha=", 8) == 0) {
			bool is_tol = a[2] == 't';
			const char *v = strchr(a, '=');

			if (v != NULL) {
				v++;
			} else if (i + 1 < argc) {
				v = argv[++i];
			} else {
				fprintf(stderr, "error: %s: missing value\n", a);
				goto out;
			}
			if (is_tol) {
				if (fc_tolerance_parse(v, &tol, err, sizeof(err)) != 0) {
					fprintf(stderr, "error: --%s\n", err);
					goto out;
				}
			} else {
				char *end;

				alpha = strtod(v, &end);
				if (end == v || *end != '\0' || !(alpha >= 0.001 && alpha <= 0.2)) {
					fprintf(stderr, "error: --alpha: \"%s\" is outside 0.001..0.2\n", v);
					goto out;
				}
			}
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "error: %s: unknown flag (see --help)\n", a);
			goto out;
		} else if (list == NULL) {
			pos[np++] = argv[i];
		} else if (list[0] == 'b') {
			base[nb++] = argv[i];
		} else {
			cur[nn++] = argv[i];
		}
	}
	if (lists && np != 0) {
		fprintf(stderr, "error: \"%s\": give the files after --base and --new, not before\n",
			pos[0]);
		goto out;
	}
	if (!lists) {
		if (np != 2) {
			fprintf(stderr, "error: compare takes two result files (BASE NEW), got %u\n", np);
			usage(stderr);
			goto out;
		}
		base[nb++] = pos[0];
		cur[nn++] = pos[1];
	}
	if (nb == 0 || nn == 0) {
		fprintf(stderr, "error: --%s: no result file\n", nb == 0 ? "base" : "new");
		goto out;
	}
	if ((code = load_all(base, nb, rb)) != FC_EXIT_OK ||
	    (code = load_all(cur, nn, rn)) != FC_EXIT_OK)
		goto out;
	if (fc_results_compare(rb, nb, rn, nn, &tol, alpha, &cmp) != 0) {
		code = FC_EXIT_RUNTIME;
		goto out;
	}
	if (json) {
		cJSON *j = fc_cmp_to_json(&cmp);

		if (j == NULL || fc_results_write_json(j, "-") != 0) {
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
	free(base);
	free(cur);
	free(pos);
	return code;
}
