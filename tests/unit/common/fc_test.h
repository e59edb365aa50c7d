/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Minimal test harness shared by every unit test: assertion macros that count failures
 * and an EAL bring-up for mbuf-based tests that needs no root, no hugepages and no NIC.
 *
 * A test binary returns fc_test_result(): 0 when every check held, 1 otherwise.
 * A test that cannot run here prints "SKIP: <why>" and returns FC_TEST_SKIP (77), never 0
 * (scripts/test reads that line: in CI a skip fails unless tests/expected-skips forgives
 * that reason). An EAL that does not start is not such a case: these options need no root,
 * hugepages or NIC, so a failure means a broken build or machine, and the test fails
 * (returns 1).
 */
#ifndef FC_TEST_H
#define FC_TEST_H

#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <rte_errno.h>

#define FC_TEST_SKIP 77

/**
 * An IPv4 address in host order, as RTE_IPV4() but without its undefined behaviour:
 * DPDK 22.11's RTE_IPV4() shifts an int, so a first byte of 128 or more (198.18.0.1)
 * overflows it (UBSan: "left shift of 198 by 24 places cannot be represented in type 'int'").
 */
#define FC_TEST_IPV4(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

extern unsigned fc_test_checks;
extern unsigned fc_test_failures;

#define CHECK(cond) do { \
	fc_test_checks++; \
	if (!(cond)) { \
		fc_test_failures++; \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

#define CHECK_EQ(a, b) do { \
	long long va_ = (long long)(a), vb_ = (long long)(b); \
	fc_test_checks++; \
	if (va_ != vb_) { \
		fc_test_failures++; \
		fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld != %lld)\n", \
			__FILE__, __LINE__, #a, #b, va_, vb_); \
	} \
} while (0)

#define CHECK_STR_CONTAINS(hay, needle) do { \
	const char *h_ = (hay), *n_ = (needle); \
	fc_test_checks++; \
	if (h_ == NULL || strstr(h_, n_) == NULL) { \
		fc_test_failures++; \
		fprintf(stderr, "%s:%d: expected \"%s\" to contain \"%s\"\n", \
			__FILE__, __LINE__, h_ ? h_ : "(null)", n_); \
	} \
} while (0)

/** Print the tally and return the process exit status (0 pass, 1 fail, 1 if nothing checked). */
int fc_test_result(const char *name);

/**
 * Initialise EAL for unit tests: --no-huge --no-pci --no-shconf, a private file prefix,
 * no telemetry, and @p mem_mb of heap.
 *
 * @return 0, or -1 after printing why; the caller then fails (exit status 1), never skips.
 */
int fc_test_eal_init(const char *prog, unsigned mem_mb);

#endif /* FC_TEST_H */
