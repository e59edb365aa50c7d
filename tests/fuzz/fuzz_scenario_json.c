/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: arbitrary bytes as a scenario file: load, validate, build the request mix
 * and render the resolved JSON. Never crashes, never leaks, error lists stay bounded.
 * Host names go to a fake resolver (no DNS while fuzzing): a name resolves to an address
 * in 198.18.0.0/15 or, for some names, outside it or not at all, so every branch runs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc_scenario.h"

#define REQUIRE(c) do { if (!(c)) __builtin_trap(); } while (0)

static int
fuzz_resolve(const char *name, uint32_t *ip, char *why, size_t len)
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	switch (h % 3) {
	case 0:
		snprintf(why, len, "Name or service not known");
		return -ENOENT;
	case 1:
		*ip = htonl(0xc0000200u | (h >> 24)); /* 192.0.2.x: outside the allow-list */
		return 0;
	default:
		*ip = htonl(0xc6120000u | (h >> 16)); /* 198.18.x.y */
		return 0;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fc_scenario sc;
	static struct fc_http_mix mix;
	struct fc_errors errs;
	struct fc_limits lim;
	char *text = malloc(size + 1);
	unsigned i;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	fc_limits_default(&lim);
	fc_errors_init(&errs);
	fc_scenario_init(&sc);
	sc.resolve = fuzz_resolve;
	if (fc_scenario_load_string(text, "fuzz.json", &sc, &errs) == 0 &&
			fc_scenario_validate(&sc, &lim, &errs) == 0) {
		cJSON *j = fc_scenario_to_json(&sc);
		char *s = j ? cJSON_PrintUnformatted(j) : NULL;

		free(s);
		cJSON_Delete(j);
		memset(&mix, 0, sizeof(mix));
		REQUIRE(fc_scenario_build_mix(&sc, &mix, &errs) == 0);
		REQUIRE(mix.n >= 1);
		fc_http_mix_free(&mix);
	}
	REQUIRE(errs.count <= FC_ERRORS_MAX);
	for (i = 0; i < errs.count; i++)
		REQUIRE(memchr(errs.msg[i], '\0', FC_ERROR_LEN) != NULL);
	fc_scenario_free(&sc);
	free(text);
	return 0;
}
