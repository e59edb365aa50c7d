/* SPDX-License-Identifier: BSD-3-Clause */
/* `flashcrowd validate [--limits FILE] SCENARIO`: every error at once, nothing sent. */
#include <getopt.h>
#include <stdio.h>

#include "cli_util.h"
#include "commands.h"
#include "fc_scenario.h"

int
fc_cmd_validate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"limits", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *limits_path = NULL;
	struct fc_scenario sc;
	struct fc_limits limits;
	struct fc_errors errs;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'L': limits_path = optarg; break;
		case 'h':
			printf("usage: flashcrowd validate [--limits FILE] SCENARIO.json\n");
			return FC_EXIT_OK;
		default:
			return FC_EXIT_INPUT;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: flashcrowd validate [--limits FILE] SCENARIO.json\n");
		return FC_EXIT_INPUT;
	}
	fc_errors_init(&errs);
	fc_limits_default(&limits);
	fc_scenario_init(&sc);
	if (limits_path)
		fc_limits_load(limits_path, &limits, &errs);
	rc = fc_scenario_load_file(argv[optind], &sc, &errs);
	if (rc == 0 && fc_errors_total(&errs) == 0)
		rc = fc_scenario_validate(&sc, &limits, &errs);
	if (rc != 0 || fc_errors_total(&errs)) {
		fc_errors_print(&errs, stderr);
		fc_scenario_free(&sc);
		return FC_EXIT_INPUT;
	}
	printf("%s: valid%s\n", argv[optind],
	       limits.widened ? " (against the widened limits file)" : "");
	fc_scenario_free(&sc);
	return FC_EXIT_OK;
}
