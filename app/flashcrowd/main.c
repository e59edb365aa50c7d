/* SPDX-License-Identifier: BSD-3-Clause */
/* flashcrowd: the command line. Only app/ may exit the process. */
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{"run", fc_cmd_run, "generate HTTP load (wrk/wrk2 flags, or --scenario FILE)"},
	{"validate", fc_cmd_validate, "check a scenario against the limits envelope; print every error"},
	{"serve", fc_cmd_serve, "serve HTTP on the userspace stack"},
	{"xfer", fc_cmd_xfer, "byte-exact bulk transfer (echo, discard, HTTP GET) to check a path"},
	{"replay", fc_cmd_replay, "replay the HTTP requests of a capture (pcap) against a target"},
	{"up", fc_cmd_up, "bring a port up; answer ARP and ping; optionally resolve a host"},
	{"merge", fc_cmd_merge, "merge result files exactly (counters and histograms add)"},
	{"compare", fc_cmd_compare, "compare a baseline with a new run: better, same or worse per metric"},
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: flashcrowd COMMAND [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'flashcrowd COMMAND --help' describes a command's options.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? FC_EXIT_INPUT : FC_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "error: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return FC_EXIT_INPUT;
}
