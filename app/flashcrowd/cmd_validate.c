/* SPDX-License-Identifier: BSD-3-Clause */
/* `flashcrowd validate [--limits FILE] SCENARIO`: every error at once, nothing sent. */
#include <stdio.h>

#include "cli_util.h"
#include "commands.h"
#include "fc_opts.h"
#include "fc_scenario.h"

static const struct fc_opt validate_opts[] = {
	{"limits", 0, true, 1, "FILE", "widen the limits envelope"},
	{NULL, 0, false, 0, NULL, NULL},
};

struct validate_args {
	const char *limits, *scenario;
};

static void
on_opt(void *arg, const struct fc_opt *o, const char *flag, const char *v, struct fc_errors *errs)
{
	struct validate_args *a = arg;

	(void)flag;
	if (o != NULL)
		a->limits = v;
	else if (a->scenario)
		fc_errors_add(errs, "\"%s\": unexpected argument (one scenario file)", v);
	else
		a->scenario = v;
}

int
fc_cmd_validate(int argc, char **argv)
{
	static const struct fc_opt *const tables[] = {validate_opts, NULL};
	struct validate_args a = {0};
	struct fc_scenario sc;
	struct fc_limits limits;
	struct fc_errors errs;
	int rc;

	fc_errors_init(&errs);
	rc = fc_opts_parse(tables, argc, argv, on_opt, &a, &errs);
	if (rc == FC_OPTS_HELP) {
		printf("usage: flashcrowd validate [--limits FILE] SCENARIO.json\n\n");
		fc_opts_help(tables, stdout);
		return FC_EXIT_OK;
	}
	if (a.scenario == NULL)
		fc_errors_add(&errs, "scenario: missing (usage: flashcrowd validate [--limits FILE] SCENARIO.json)");
	if (fc_errors_total(&errs)) {
		fc_errors_print(&errs, stderr);
		return FC_EXIT_INPUT;
	}
	const char *limits_path = a.limits;

	fc_errors_init(&errs);
	fc_limits_default(&limits);
	fc_scenario_init(&sc);
	if (limits_path)
		fc_limits_load(limits_path, &limits, &errs);
	rc = fc_scenario_load_file(a.scenario, &sc, &errs);
	if (rc == 0 && fc_errors_total(&errs) == 0)
		rc = fc_scenario_validate(&sc, &limits, &errs);
	if (rc != 0 || fc_errors_total(&errs)) {
		fc_errors_print(&errs, stderr);
		fc_scenario_free(&sc);
		return FC_EXIT_INPUT;
	}
	printf("%s: valid%s\n", a.scenario,
	       limits.widened ? " (against the widened limits file)" : "");
	fc_scenario_free(&sc);
	return FC_EXIT_OK;
}
