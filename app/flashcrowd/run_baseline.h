/* SPDX-License-Identifier: BSD-3-Clause */
/* `run --baseline FILE [--tolerance ...]`: the run ends with a comparison (lib/results). */
#ifndef FC_APP_RUN_BASELINE_H
#define FC_APP_RUN_BASELINE_H

#include <stdio.h>

#include "fc_results.h"
#include "fc_scenario.h"
#include "fc_stats.h"

struct fc_run_baseline {
	struct fc_result *base;   /**< the saved result, NULL when no --baseline */
	struct fc_tolerance tol;  /**< tolerances from --tolerance / baseline.tolerance */
};

/**
 * Before any packet: load and check the baseline file and parse the tolerances; every
 * problem goes to @p errs (the caller prints them and exits 2).
 * @return 0, or -EINVAL when errors were added
 */
int fc_run_baseline_prepare(const struct fc_scenario *sc, struct fc_run_baseline *b,
			    struct fc_errors *errs);

/**
 * After the run: compare the run's own result with the baseline and print the table.
 * @return FC_EXIT_OK, FC_EXIT_THRESHOLD (99) when a metric is worse, FC_EXIT_RUNTIME when
 *   the comparison could not be made
 */
int fc_run_baseline_check(struct fc_run_baseline *b, const struct fc_report *r, FILE *out);

/** Release what prepare took. */
void fc_run_baseline_fini(struct fc_run_baseline *b);

#endif
