/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "impair_opts.h"

int
fc_impair_opts_from_spec(const struct fc_impair_spec *s, struct fc_impair_opts *o,
			 struct fc_errors *errs)
{
	char err[200];
	int rc = 0;

	memset(o, 0, sizeof(*o));
	if (s->rx && fc_impair_parse(s->rx, &o->rx, err, sizeof(err)) != 0) {
		fc_errors_add(errs, "%s: %s", s->rx_flag, err);
		rc = -EINVAL;
	} else {
		o->rx_set = s->rx != NULL;
	}
	/* --impair gave both: its error is reported once. */
	if (s->tx && fc_impair_parse(s->tx, &o->tx, err, sizeof(err)) != 0) {
		if (s->tx != s->rx)
			fc_errors_add(errs, "%s: %s", s->tx_flag, err);
		rc = -EINVAL;
	} else {
		o->tx_set = s->tx != NULL;
	}
	return rc;
}
