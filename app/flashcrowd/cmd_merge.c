/* SPDX-License-Identifier: BSD-3-Clause */
/* `flashcrowd merge A.json B.json ... -o OUT.json [--force]`: exact merge of result files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "fc_opts.h"
#include "fc_results.h"
#include "fc_stats.h"

enum { M_OUTPUT = 1, M_FORCE };

static const struct fc_opt merge_opts[] = {
	{"output", 'o', true, M_OUTPUT, "FILE", "merged result file (\"-\" for stdout)"},
	{"force", 0, false, M_FORCE, NULL, "merge different scenarios on purpose (meta lists what differs)"},
	{NULL, 0, false, 0, NULL, NULL},
};
static const struct fc_opt *const merge_tables[] = {merge_opts, NULL};

static void
usage(FILE *f)
{
	fputs("usage: flashcrowd merge FILE.json FILE.json... -o OUT.json [--force]\n"
	      "  Adds result files exactly: counters add, latency histograms add bucket by bucket,\n"
	      "  intervals align by wall clock. Files of different scenarios are refused unless\n"
	      "  --force; files with different histogram layouts always are.\n", f);
	fc_opts_help(merge_tables, f);
}

struct merge_args {
	const char *outpath;
	bool force;
	char **files;
	unsigned n;
};

static void
on_merge_opt(void *arg, const struct fc_opt *o, const char *flag, const char *value,
	     struct fc_errors *errs)
{
	struct merge_args *m = arg;

	(void)flag;
	(void)errs;
	if (o == NULL)
		m->files[m->n++] = (char *)value;
	else if (o->id == M_OUTPUT)
		m->outpath = value;
	else
		m->force = true;
}

int
fc_cmd_merge(int argc, char **argv)
{
	struct merge_args m = {.files = calloc((size_t)argc, sizeof(char *))};
	struct fc_result **in = NULL;
	char err[FC_RESULTS_ERR_LEN];
	cJSON *merged = NULL;
	struct fc_errors errs;
	unsigned n = 0;
	int rc, code = FC_EXIT_INPUT;

	if (m.files == NULL)
		return FC_EXIT_RUNTIME;
	fc_errors_init(&errs);
	rc = fc_opts_parse(merge_tables, argc, argv, on_merge_opt, &m, &errs);
	if (rc == FC_OPTS_HELP) {
		usage(stdout);
		free(m.files);
		return FC_EXIT_OK;
	}
	if (fc_errors_total(&errs)) {
		fc_errors_print(&errs, stderr);
		free(m.files);
		return FC_EXIT_INPUT;
	}
	const char *outpath = m.outpath;
	bool force = m.force;

	if (outpath == NULL || outpath[0] == '\0') {
		fprintf(stderr, "error: -o/--output: missing (where the merged result goes)\n");
		usage(stderr);
		free(m.files);
		return FC_EXIT_INPUT;
	}
	if (m.n == 0) {
		fprintf(stderr, "error: no result file to merge\n");
		usage(stderr);
		free(m.files);
		return FC_EXIT_INPUT;
	}
	in = calloc(m.n, sizeof(*in));
	if (in == NULL) {
		free(m.files);
		return FC_EXIT_RUNTIME;
	}
	for (; n < m.n; n++) {
		rc = fc_result_load(m.files[n], &in[n], err, sizeof(err));
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
	rc = fc_json_write(merged, outpath);
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
	free(m.files);
	return code;
}
