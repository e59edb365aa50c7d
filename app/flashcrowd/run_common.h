/* SPDX-License-Identifier: BSD-3-Clause */
/* Steps `run` and `replay` share around the client workers. */
#ifndef FC_APP_RUN_COMMON_H
#define FC_APP_RUN_COMMON_H

#include <stdio.h>

#include "fc_engine.h"
#include "fc_stats.h"
#include "fc_scenario.h"
#include "pair.h"

/**
 * ARP the next hop towards the target (host byte order), printing one clear line when
 * nothing answers.
 * @return 0, or -1 after printing the error
 */
int fc_run_resolve_target(const struct fc_pair *pair, uint32_t target_ip, const char *host,
			  struct rte_ether_addr *mac);

/**
 * Print the client workers' cost: busy TSC cycles (loop passes that moved frames) per
 * completed request, one line on @p out; nothing when no request completed.
 */
void fc_run_print_cost(const struct fc_client_worker *w, unsigned n, FILE *out);

/**
 * Sum the workers' TCP counters, frames the port refused, mbuf allocation failures and the
 * impairment stages into the report (tcp.*), and print one impairment line on @p out when
 * any stage ran. Call before the workers' contexts are freed.
 */
void fc_run_report_counters(const struct fc_client_worker *w, unsigned n, struct fc_report *r,
			    FILE *out);

/**
 * The embedded servers' connection slots into the report: tcp.server_syn_no_slot (SYNs
 * dropped for want of a TCB) and tcp.server_time_wait_reclaimed (TIME_WAITs ended early to
 * free one). Nothing when @p p has no embedded server.
 */
void fc_run_report_server(const struct fc_pair *p, struct fc_report *r);

/**
 * The end of a run: check sent == completed + errors.total (an error line if not), then
 * write the JSON report (with @p extra under @p extra_key when given), the .hlog and the
 * .hgrm file that @p out asks for.
 * @return 0; 1 when the accounting invariant is broken; 2 when a file could not be written
 */
int fc_run_write_outputs(const struct fc_report *r, const struct fc_scenario_output *out,
			 const char *extra_key, cJSON *extra);

#endif
