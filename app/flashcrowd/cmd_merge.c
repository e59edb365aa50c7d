/* SPDX-License-Identifier: BSD-3-Clause */
/* `flashcrowd merge A.json B.json ... -o OUT.json [--force]`: exact merge of result files. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "fc_results.h"

static void
usage(FILE *f)
{
	fputs("usage: flashcrowd merge FILE.json FILE.json... -o OUT.json [--force]\n"
	      "  Adds result files exactly: counters add, latency histograms add bucket by bucket,\n"
	      "  intervals align by wall clock. Files of different scenarios are refused unless\n"
	      "  --force; files with different histogram layouts always are.\n"
	      "  -o, --output FILE   merged result file (\"-\" for stdout)\n"
	      "      --force         merge different scenarios on purpose (meta lists what differs)\n", f);
}

int
fc_cmd_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"force", no_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *outpath = NULL;
	struct fc_result **in = NULL;
	char err[FC_RESULTS_ERR_LEN];
	cJSON *merged = NULL;
	bool force = false;
	unsigned n = 0;
	int c, rc, code = FC_EXIT_INPUT;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': outpath = optarg; break;
		case 'F': force = true; break;
		case 'h': usage(stdout); return FC_EXIT_OK;
		case ':':
			fprintf(stderr, "error: %s: missing value\n", argv[optind - 1]);
			return FC_EXIT_INPUT;
		default:
			fprintf(stderr, "error: %s: unknown flag (see --help)\n", argv[optind - 1]);
			return FC_EXIT_INPUT;
		}
	}
	if (outpath == NULL || outpath[0] == '\0') {
		fprintf(stderr, "error: -o/--output: missing (where the merged result goes)\n");
		usage(stderr);
		return FC_EXIT_INPUT;
	}
	if (optind >= argc) {
		fprintf(stderr, "error: no result file to merge\n");
		usage(stderr);
		return FC_EXIT_INPUT;
	}
	in = calloc((size_t)(argc - optind), sizeof(*in));
	if (in == NULL)
		return FC_EXIT_RUNTIME;
	for (int i = optind; i < argc; i++, n++) {
		rc = fc_result_load(argv[i], &in[n], err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "error: %s\n", err);
			code = rc == -ENOMEM ? FC_EXIT_RUNTIME : FC_EXIT_INPUT;
			goto out;
		}
	}
	rc = fc_results_merge(in, n, force, &merged, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "error: %s\n", err);
		code = rc == -ENOMEM ? FC_EXIT_RUNTIME : FC_EXIT_INPUT;
		goto out;
	}
	rc = fc_results_write_json(merged, outpath);
	if (rc != 0) {
		fprintf(stderr, "error: %s: cannot write: %s\n", outpath, strerror(-rc));
		code = FC_EXIT_RUNTIME;
		goto out;
	}
	if (strcmp(outpath, "-") != 0) {
		const cJSON *lat = cJSON_GetObjectItemCaseSensitive(merged, "latency_us");
		const cJSON *req = cJSON_GetObjectItemCaseSensitive(merged, "requests");
		double p50 = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(lat, "p50"));
		double p99 = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(lat, "p99"));
		double done = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(req, "completed"));

		printf("merged %u files into %s: %.0f requests completed, p50 %.3fus, p99 %.3fus\n",
		       n, outpath, done, p50, p99);
	}
	code = FC_EXIT_OK;
out:
	cJSON_Delete(merged);
	for (unsigned i = 0; i < n; i++)
		fc_result_free(in[i]);
	free(in);
	return code;
}
