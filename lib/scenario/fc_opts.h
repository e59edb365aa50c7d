/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The one command-line option parser of every flashcrowd command: a table of options
 * ({long name, short letter, takes a value, id, help}) and one walk over argv that hands
 * each option found, in order, to the command's callback. Unknown options and missing
 * values are reported in one format (`-c/--connections: missing value`, `--name: unknown
 * flag (see --help)`), all of them, into a struct fc_errors; bad values use fc_opts_bad() for the
 * same shape. The --help text is generated from the same table, so the two cannot drift.
 *
 * Accepted forms: `--name VALUE`, `--name=VALUE`, `-c VALUE`, `-cVALUE`, `--` ends the
 * options. Options and positional arguments may be mixed in any order (as GNU getopt
 * permutes). -h and --help are always known.
 */
#ifndef FC_OPTS_H
#define FC_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "fc_scenario.h"

/**
 * One option, or a line of help text. A table ends with an entry whose name and help are
 * both NULL; an entry with only help set is a heading printed as is by fc_opts_help().
 */
struct fc_opt {
	const char *name;       /**< long name without "--"; NULL for a heading */
	char short_name;        /**< single-letter form, 0 for none */
	bool has_value;         /**< takes a value */
	int id;                 /**< handed to the callback; the command's own numbering */
	const char *value_name; /**< placeholder of the value in the help, e.g. "N" */
	const char *help;       /**< one line; NULL hides the option from the help */
};

/** Id handed to the callback for a positional argument (opt is NULL then). */
#define FC_OPT_POSITIONAL (-1)

/** fc_opts_parse() return value when -h or --help was given. */
#define FC_OPTS_HELP 1

/**
 * Called for each option and positional argument, in argv order.
 * @param arg    the caller's context
 * @param opt    the table entry, NULL for a positional argument
 * @param flag   the option's name for messages: "--rate", or "-R/--rate" when it has a short form
 * @param value  its value, NULL for an option without one
 * @param errs   where a bad value is reported
 */
typedef void (*fc_opt_fn)(void *arg, const struct fc_opt *opt, const char *flag, const char *value,
			  struct fc_errors *errs);

/**
 * Walk argv[1..argc-1] (argv[0] is the command name) against the tables.
 *
 * @param tables  NULL-terminated list of option tables; a command may combine its own with
 *                a shared one (replay uses run's); the first table naming an option wins
 * @param argc    argument count
 * @param argv    arguments, not modified
 * @param fn      callback; NULL only checks the syntax
 * @param arg     its context
 * @param errs    every unknown option and missing value
 * @return 0; FC_OPTS_HELP when -h/--help was given (the callback is not called for any
 *         option then); -EINVAL when syntax errors were added (the callback still ran
 *         for every well-formed option, so value errors are reported too)
 */
int fc_opts_parse(const struct fc_opt *const *tables, int argc, char **argv, fc_opt_fn fn,
		  void *arg, struct fc_errors *errs);

/**
 * Print the tables as help text: headings as they are, options as
 * `  -c, --connections N      help`.
 * @param tables  NULL-terminated list of tables
 * @param f       stream
 */
void fc_opts_help(const struct fc_opt *const *tables, FILE *f);

/**
 * Report a bad value in the common shape `FLAG: "VALUE" is not WHAT`.
 * @param errs   error list
 * @param flag   the option as written
 * @param value  the value as written
 * @param what   what it should be, e.g. "a count (e.g. 64, 100k)"
 */
void fc_opts_bad(struct fc_errors *errs, const char *flag, const char *value, const char *what);

/**
 * Report a value out of its bounds in the envelope's shape `FLAG: VALUE is below the
 * limit MIN` / `... above the limit MAX`.
 * @param errs   error list
 * @param flag   the option as written
 * @param value  the value as written
 * @param below  true for below the minimum, false for above the maximum
 * @param bound  the bound as text
 */
void fc_opts_bound(struct fc_errors *errs, const char *flag, const char *value, bool below,
		   const char *bound);

/** --impair SPEC, --impair-rx SPEC, --impair-tx SPEC: every command that owns a port. */
extern const struct fc_opt fc_impair_opt_table[];

/**
 * Store the value of an fc_impair_opt_table option; other options are left alone.
 * @param s      where the specs go
 * @param o      the option found
 * @param flag   its name as written
 * @param value  its value
 * @return true when @p o was an impairment option
 */
bool fc_impair_spec_take(struct fc_impair_spec *s, const struct fc_opt *o, const char *flag,
			 const char *value);

#endif
