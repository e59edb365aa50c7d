/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The cost of a request through both workers, on the fake clock of rig.h: a closed-loop
 * keep-alive (or --close) run over the ring pair in one thread. It warms up (every
 * connection open, WARM requests each), then runs until REQUESTS more have completed, and
 * prints both counts. Run it under callgrind or cachegrind twice with different REQUESTS:
 * the difference of the totals over the difference of the requests is the cost of one
 * request, client and server together, with the set-up and warm-up taken out
 * (scripts/bench/instr does that).
 * usage: bench_engine CONNECTIONS REQUESTS [close]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>

#include "fc_test.h"
#include "rig.h"

#define WARM 4

int
main(int argc, char **argv)
{
	struct rig r;
	struct rig_opts o = {0};
	uint64_t want, warm, limit;

	if (argc < 3) {
		fprintf(stderr, "usage: %s CONNECTIONS REQUESTS [close]\n", argv[0]);
		return 2;
	}
	o.conns = (uint32_t)strtoul(argv[1], NULL, 10);
	want = strtoull(argv[2], NULL, 10);
	o.close_mode = argc > 3 && strcmp(argv[3], "close") == 0;
	o.mbufs = o.conns * 4 + 8191;
	o.ring = 65536;
	o.request_timeout_ns = 60000 * RIG_MS;
	o.connect_timeout_ns = 60000 * RIG_MS;
	if (fc_test_eal_init(argv[0], 3072) < 0)
		return 1;
	if (rig_init(&r, "bench", &o) != 0)
		return 1;
	warm = (uint64_t)o.conns * WARM;
	/* A bound in fake time: far beyond what the requests need at one pass each. */
	limit = rig_now_ns + (warm + want) * 1000 * r.o.step_ns + 10000 * RIG_MS;
	while (rig_stats(&r).req_completed < warm && rig_now_ns < limit)
		rig_pass(&r);
	uint64_t start = rig_stats(&r).req_completed;

	while (rig_stats(&r).req_completed < start + want && rig_now_ns < limit)
		rig_pass(&r);
	struct fc_stats_core s = rig_stats(&r);

	printf("connections %u%s warm %lu measured %lu errors %lu\n", o.conns,
	       o.close_mode ? " close" : "", (unsigned long)start,
	       (unsigned long)(s.req_completed - start), (unsigned long)fc_stats_errors_total(&s));
	rig_stop(&r, 1000 * RIG_MS, 1000 * RIG_MS);
	rig_fini(&r);
	return fc_test_result("bench_engine") == 0 && s.req_completed >= start + want ? 0 : 1;
}
