/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * `flashcrowd replay` configuration: its options parsed (with fc_opts, together with
 * `run`'s for the target, port and reports) and checked, every error gathered at once,
 * each naming the option, the value and the bound. Two modes: HTTP replay over our own
 * TCP (the default) and `--raw`, the captured frames sent as they are.
 */
#ifndef FC_REPLAY_CONF_H
#define FC_REPLAY_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fc_pcap.h"
#include "fc_pcap_raw.h"
#include "fc_scenario.h"

#define FC_REPLAY_SPEED_MIN 0.001      /**< --speed bounds */
#define FC_REPLAY_SPEED_MAX 1000.0
#define FC_REPLAY_LOOP_MAX 1000u       /**< --loop upper bound */
#define FC_REPLAY_RATE_MIN 0.1         /**< --rate bounds, requests/s */
#define FC_REPLAY_RATE_MAX 100000.0
#define FC_REPLAY_PPS_MAX 100000000.0  /**< --pps upper bound */

/** Everything `flashcrowd replay` was asked to do. */
struct fc_replay_conf {
	bool raw;               /**< --raw: frames as captured, not HTTP over our TCP */
	const char *pcap;       /**< capture file (points into argv) */
	double speed;           /**< time scale, default 1 */
	uint32_t loops;         /**< times through the capture, default 1 */
	double rate;            /**< HTTP: fixed requests/s, 0 = captured timing */
	uint64_t max_wait_ns;   /**< HTTP: cap on idle gaps, 0 = none */
	struct fc_replay_opts plan; /**< HTTP: filters and rewrites for lib/pcap's plan */
	struct fc_scenario sc;  /**< HTTP: `run`'s options (target, port, -t, timeouts, reports) */
	struct fc_limits limits; /**< HTTP: the envelope sc was checked against */
	double pps;             /**< raw: fixed packet rate, 0 = captured timing */
	bool topspeed;          /**< raw: as fast as the port takes them */
	uint8_t dst_mac[6];     /**< raw: destination MAC of every frame */
	bool have_dst_mac;      /**< raw: --dst-mac given */
	uint32_t next_hop;      /**< raw: ARP-resolve this for the MAC (network order), 0 = none */
	struct fc_pcap_ip_map map_ip[FC_REPLAY_MAX_LIST]; /**< raw: address rewrites */
	unsigned num_map_ip;    /**< raw: entries in @p map_ip */
	const char *json;       /**< raw: JSON report file, NULL = none */
	const char *profile;    /**< raw: port profile */
	const char *iface;      /**< raw: --iface */
	uint32_t local_ip;      /**< raw: network order */
	uint8_t local_prefix;   /**< raw: prefix length */
	uint32_t gateway;       /**< raw: network order, 0 = none */
	const char *eal;        /**< raw: --eal, NULL = the profile's */
};

/**
 * Parse and check `replay` arguments. In HTTP mode `run`'s options fill @p c->sc, which is
 * validated against the default envelope (or --limits) too, and a target URL is required
 * unless --embedded. Call fc_replay_conf_free() afterwards, whatever the result.
 *
 * @param argc  argument count
 * @param argv  arguments; argv[0] (the command name) is skipped
 * @param c     configuration to fill
 * @param errs  every error
 * @return 0, FC_SCENARIO_HELP for -h/--help, or -EINVAL when errors were added
 */
int fc_replay_conf_from_argv(int argc, char **argv, struct fc_replay_conf *c, struct fc_errors *errs);

/** @param c  configuration whose scenario is freed */
void fc_replay_conf_free(struct fc_replay_conf *c);

/**
 * Print the `replay` usage text, generated from the option tables.
 * @param f  stream
 */
void fc_replay_usage(FILE *f);

#endif
