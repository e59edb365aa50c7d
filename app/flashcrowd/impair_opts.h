/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --impair SPEC (both directions), --impair-rx SPEC, --impair-tx SPEC: netem-style faults at
 * the appliance's own port (lib/net fc_impair). Taken out of argv before the subcommand's own
 * parser runs, so every subcommand that owns a port accepts them the same way.
 */
#ifndef FC_APP_IMPAIR_OPTS_H
#define FC_APP_IMPAIR_OPTS_H

#include <stdbool.h>

#include "fc_impair.h"

struct fc_impair_opts {
	bool rx_set, tx_set;            /**< a direction is impaired */
	struct fc_impair_conf rx, tx;   /**< its configuration */
};

/**
 * Remove the impairment options from argv (compacting it) and parse them.
 * @return 0, or -EINVAL after printing the error
 */
int fc_impair_opts_take(int *argc, char **argv, struct fc_impair_opts *o);

/**
 * Remove every "--NAME VALUE", "--NAME=VALUE" (and "-S VALUE" when @p short_name is set)
 * from argv, compacting it.
 * @return the last value given, NULL when absent; "" when the option had no value
 */
const char *fc_argv_take(int *argc, char **argv, const char *name, const char *short_name);

#endif
