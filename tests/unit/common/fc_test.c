/* SPDX-License-Identifier: BSD-3-Clause */
#include "fc_test.h"

#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

unsigned fc_test_checks;
unsigned fc_test_failures;

int
fc_test_result(const char *name)
{
	printf("%s: %u checks, %u failed\n", name, fc_test_checks, fc_test_failures);
	/* A test that checked nothing proves nothing: count it as a failure. */
	if (fc_test_checks == 0)
		return 1;
	return fc_test_failures == 0 ? 0 : 1;
}

int
fc_test_eal_init(const char *prog, unsigned mem_mb)
{
	char prefix[64], mem[16];

	snprintf(prefix, sizeof(prefix), "--file-prefix=fctest%d", (int)getpid());
	snprintf(mem, sizeof(mem), "%u", mem_mb);
	char *argv[] = {
		(char *)prog, "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
		"-m", mem, "-l", "0", prefix, "--log-level=lib.eal:error", NULL,
	};
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "%s: rte_eal_init failed: %s\n", prog, rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}
