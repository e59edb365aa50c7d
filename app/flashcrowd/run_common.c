/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "run_common.h"

#define ARP_WAIT_NS 4000000000ull

int
fc_run_resolve_target(const struct fc_pair *pair, uint32_t target_ip, const char *host,
		      struct rte_ether_addr *mac)
{
	uint32_t target = rte_cpu_to_be_32(target_ip);
	int rc = fc_pair_resolve(pair, target, ARP_WAIT_NS, false, mac);
	struct fc_net_conf nc;
	struct fc_net_ctx net;
	char ip[16];

	if (rc == 0)
		return 0;
	fc_pair_net_conf(pair, &nc);
	fc_net_init(&net, &nc);
	if (rc == -ENETUNREACH)
		fprintf(stderr, "error: cannot reach %s: it is off-link and no --gateway was given\n",
			host);
	else
		fprintf(stderr, "error: cannot reach %s: no ARP reply from the next hop %s "
			"(3 requests, 1 s apart); check the link, the VLAN or --local-ip\n",
			host, fc_ip_str(fc_net_next_hop(&net, target), ip));
	return -1;
}

static void
impair_sum(struct fc_impair_stats *acc, const struct fc_impair *im)
{
	const struct fc_impair_stats *s = fc_impair_stats(im);

	acc->dropped += s->dropped;
	acc->duplicated += s->duplicated;
	acc->delayed += s->delayed;
	acc->reordered += s->reordered;
}

void
fc_run_report_counters(const struct fc_client_worker *w, unsigned n, struct fc_report *r,
		       FILE *out)
{
	struct fc_tcp_counters sum = {0};
	struct fc_impair_stats ir = {0}, it = {0};
	uint64_t refused = 0, deferred = 0, alloc_fail = 0, held = 0;
	bool impaired = false;

	for (unsigned i = 0; i < n; i++) {
		const struct fc_tcp_counters *t = fc_tcp_counters(w[i].tcp);

		sum.connected += t->connected;
		sum.retransmits += t->retransmits;
		sum.rst_rx += t->rst_rx;
		sum.rst_tx += t->rst_tx;
		sum.cksum_errors += t->cksum_errors;
		sum.ooo_segs += t->ooo_segs;
		sum.dupacks += t->dupacks;
		sum.syn_no_slot += t->syn_no_slot;
		sum.time_wait_reclaimed += t->time_wait_reclaimed;
		alloc_fail += t->mbuf_alloc_fails + w[i].net.stats.alloc_fail;
		refused += w[i].io.tx_refused + t->txq_drops;
		deferred += w[i].io.tx_deferred;
		held += w[i].stats.held_for_port;
		if (w[i].io.imp_rx) {
			impair_sum(&ir, w[i].io.imp_rx);
			impaired = true;
		}
		if (w[i].io.imp_tx) {
			impair_sum(&it, w[i].io.imp_tx);
			impaired = true;
		}
	}
	fc_report_set_counter(r, "connects", sum.connected);
	fc_report_set_counter(r, "retransmits", sum.retransmits);
	fc_report_set_counter(r, "resets_rx", sum.rst_rx);
	fc_report_set_counter(r, "resets_tx", sum.rst_tx);
	fc_report_set_counter(r, "cksum_errors", sum.cksum_errors);
	fc_report_set_counter(r, "ooo_segments", sum.ooo_segs);
	fc_report_set_counter(r, "dupacks", sum.dupacks);
	/* Connection slots: SYNs a listener dropped with every TCB in use (never silent), and
	 * TIME_WAITs ended early to give their TCB to a new connection. */
	fc_report_set_counter(r, "syn_no_slot", sum.syn_no_slot);
	fc_report_set_counter(r, "time_wait_reclaimed", sum.time_wait_reclaimed);
	/* Frames lost before the wire: the port did not take them and there was no room to hold
	 * them (or lib/tcp's TX queue was full), and mbufs the pool could not give. */
	fc_report_set_counter(r, "tx_refused", refused);
	/* Frames a full port refused once and that went out on a later pass (backpressure). */
	fc_report_set_counter(r, "tx_deferred", deferred);
	/* Passes that held requests back because those built before had not left (port_io.h). */
	fc_report_set_counter(r, "held_for_port", held);
	fc_report_set_counter(r, "mbuf_alloc_fails", alloc_fail);
	if (impaired && out)
		fprintf(out, "  impairment at the port: rx %lu dropped, %lu duplicated, %lu delayed, "
			"%lu reordered; tx %lu dropped, %lu duplicated, %lu delayed, %lu reordered\n",
			(unsigned long)ir.dropped, (unsigned long)ir.duplicated,
			(unsigned long)ir.delayed, (unsigned long)ir.reordered,
			(unsigned long)it.dropped, (unsigned long)it.duplicated,
			(unsigned long)it.delayed, (unsigned long)it.reordered);
}

void
fc_run_report_server(const struct fc_pair *p, struct fc_report *r)
{
	uint64_t no_slot = 0, reclaimed = 0;

	if (!p->embedded || p->servers == NULL)
		return;
	for (unsigned i = 0; i < p->nb_servers; i++) {
		const struct fc_tcp_counters *t = fc_tcp_counters(p->servers[i].tcp);

		no_slot += t->syn_no_slot;
		reclaimed += t->time_wait_reclaimed;
	}
	fc_report_set_counter(r, "server_syn_no_slot", no_slot);
	fc_report_set_counter(r, "server_time_wait_reclaimed", reclaimed);
}

int
fc_run_write_outputs(const struct fc_report *r, const struct fc_scenario_output *out,
		     const char *extra_key, cJSON *extra)
{
	uint64_t errs_total = fc_stats_errors_total(&r->totals);
	int rc = 0;

	if (r->totals.req_sent != r->totals.req_completed + errs_total) {
		/* The invariant is the product's promise: say so loudly if it ever breaks. */
		fprintf(stderr, "error: accounting: sent %lu != completed %lu + errors %lu\n",
			(unsigned long)r->totals.req_sent, (unsigned long)r->totals.req_completed,
			(unsigned long)errs_total);
		rc = 1;
	}
	if (out->json_path[0] && ((extra_key != NULL && extra == NULL) ||
	    fc_report_write_json_extra(r, extra_key, extra, out->json_path) != 0)) {
		fprintf(stderr, "error: cannot write %s\n", out->json_path);
		rc = 2;
	} else if (!out->json_path[0]) {
		cJSON_Delete(extra);
	}
	if (out->hlog_path[0] && fc_report_write_hlog(r, out->hlog_path) != 0) {
		fprintf(stderr, "error: cannot write %s\n", out->hlog_path);
		rc = 2;
	}
	if (out->hgrm_path[0] && r->latency) {
		FILE *f = fopen(out->hgrm_path, "w");

		if (f == NULL || fc_hist_write_hgrm(r->latency, f, 1000.0, 5) != 0) {
			fprintf(stderr, "error: cannot write %s\n", out->hgrm_path);
			rc = 2;
		}
		if (f)
			fclose(f);
	}
	return rc;
}

void
fc_run_print_cost(const struct fc_client_worker *w, unsigned n, FILE *out)
{
	uint64_t busy = 0, done = 0;

	for (unsigned i = 0; i < n; i++) {
		busy += w[i].stats.busy_cycles;
		done += w[i].stats.req_completed;
	}
	/* The in-app cost figure, for machines without perf counters (rdtsc). */
	if (done)
		fprintf(out, "  client workers: %.0f cycles per request (TSC cycles of loop passes "
			"that moved frames)\n", (double)busy / (double)done);
}
