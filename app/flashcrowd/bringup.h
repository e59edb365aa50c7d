/* SPDX-License-Identifier: BSD-3-Clause */
/* Bring-up shared by every subcommand that owns a port: profile, EAL, port, addresses. */
#ifndef FC_APP_BRINGUP_H
#define FC_APP_BRINGUP_H

#include <stdint.h>

#include "fc_net.h"
#include "fc_platform.h"

/** Port options common to run, serve, replay and up (DESIGN.md "Contracts"). */
struct fc_port_opts {
	const char *profile;    /**< --profile path */
	const char *iface;      /**< --iface */
	const char *local_ip;   /**< --local-ip A.B.C.D/LEN */
	const char *gateway;    /**< --gateway A.B.C.D, optional */
	const char *eal;        /**< --eal override */
	const char *lcores;     /**< EAL --lcores, chosen by the subcommand */
	uint16_t nb_queues;     /**< queue pairs (workers on this port) */
};

/** A port that is up, with its addressing resolved. */
struct fc_app_port {
	struct fc_profile profile;      /**< as loaded */
	struct fc_port port;            /**< as set up */
	uint32_t ip;                    /**< our address, network order */
	uint8_t prefix_len;             /**< our prefix */
	uint32_t gateway;               /**< 0 when none */
};

/**
 * Validate the options, load the profile, initialise EAL and start the port.
 * Prints one clear error line on failure.
 * @return FC_EXIT_OK, FC_EXIT_INPUT for bad options/profile, FC_EXIT_RUNTIME otherwise
 */
int fc_app_port_up(const struct fc_port_opts *o, const char *prog, struct fc_app_port *ap);

/** Net context configuration for this port (one per worker; pool shared). */
void fc_app_net_conf(const struct fc_app_port *ap, struct fc_net_conf *conf);

/** Stop the port and release EAL. */
void fc_app_port_down(struct fc_app_port *ap);

/**
 * Parse a duration "250ms", "10s", "2m", "1h", or a bare number of seconds.
 * @return 0 and ns; -EINVAL
 */
int fc_parse_duration_ns(const char *s, uint64_t *ns);

#endif
