/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --impair SPEC (both directions), --impair-rx SPEC, --impair-tx SPEC: netem-style faults at
 * the appliance's own port (lib/net fc_impair). lib/scenario's option parser keeps the
 * text (it has no DPDK); lib/net turns it into a configuration here.
 */
#ifndef FC_APP_IMPAIR_OPTS_H
#define FC_APP_IMPAIR_OPTS_H

#include <stdbool.h>
#include <string.h>

#include "fc_impair.h"
#include "fc_scenario.h"

struct fc_impair_opts {
	bool rx_set, tx_set;            /**< a direction is impaired */
	struct fc_impair_conf rx, tx;   /**< its configuration */
};

/**
 * Parse the specs the option parser kept.
 * @return 0, or -EINVAL with the error (naming the flag) added to @p errs
 */
int fc_impair_opts_from_spec(const struct fc_impair_spec *s, struct fc_impair_opts *o,
			     struct fc_errors *errs);

#endif
