/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>

#include "cli_util.h"
#include "run_baseline.h"

int
fc_run_baseline_prepare(const struct fc_scenario *sc, struct fc_run_baseline *b,
			struct fc_errors *errs)
{
	unsigned before = fc_errors_total(errs);
	char err[FC_RESULTS_ERR_LEN];

	b->base = NULL;
	fc_tolerance_default(&b->tol);
	for (unsigned i = 0; i < sc->num_tolerance; i++)
		if (fc_tolerance_parse(sc->tolerance[i], &b->tol, err, sizeof(err)) != 0)
			fc_errors_add(errs, "%s", err);
	if (sc->num_tolerance && !sc->baseline_path[0])
		fc_errors_add(errs, "tolerance: only meaningful with --baseline FILE");
	/* Read the baseline now: a bad file must stop the run before any packet is sent. */
	if (sc->baseline_path[0] &&
	    fc_result_load(sc->baseline_path, &b->base, err, sizeof(err)) != 0)
		fc_errors_add(errs, "baseline: %s", err);
	return fc_errors_total(errs) > before ? -EINVAL : 0;
}

int
fc_run_baseline_check(struct fc_run_baseline *b, const struct fc_report *r, FILE *out)
{
	char err[FC_RESULTS_ERR_LEN], *txt;
	struct fc_result *self = NULL;
	struct fc_cmp cmp;
	cJSON *doc;
	int rc;

	if (b->base == NULL)
		return FC_EXIT_OK;
	/* Through the result file's own text: the run is compared exactly as a saved file
	 * of it would be by `flashcrowd compare`. */
	doc = fc_report_to_json(r);
	txt = doc ? cJSON_PrintUnformatted(doc) : NULL;
	cJSON_Delete(doc);
	if (txt == NULL) {
		fprintf(stderr, "error: baseline: out of memory\n");
		return FC_EXIT_RUNTIME;
	}
	rc = fc_result_parse(txt, "this run", &self, err, sizeof(err));
	cJSON_free(txt);
	if (rc != 0) {
		fprintf(stderr, "error: baseline: %s\n", err);
		return FC_EXIT_RUNTIME;
	}
	rc = fc_results_compare(&b->base, 1, &self, 1, &b->tol, 0, &cmp);
	if (rc == 0) {
		fprintf(out, "Baseline %s:\n", b->base->path);
		fc_cmp_print(&cmp, out);
		if (cmp.worse)
			fprintf(out, "regression: %u metric%s worse than the baseline\n", cmp.worse,
				cmp.worse > 1 ? "s" : "");
	}
	fc_result_free(self);
	if (rc != 0)
		return FC_EXIT_RUNTIME;
	return cmp.worse ? FC_EXIT_THRESHOLD : FC_EXIT_OK;
}

void
fc_run_baseline_fini(struct fc_run_baseline *b)
{
	fc_result_free(b->base);
	b->base = NULL;
}
