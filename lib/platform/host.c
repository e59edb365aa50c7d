/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the host gives a process: the CPUs it may use, laid out as an EAL lcore map, and
 * where the drivers_cfg profiles live.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fc_platform.h"

#ifndef FC_SOURCE_DRIVERS_CFG
#define FC_SOURCE_DRIVERS_CFG ""
#endif
#ifndef FC_INSTALLED_DRIVERS_CFG
#define FC_INSTALLED_DRIVERS_CFG "/usr/local/share/flashcrowd/drivers_cfg"
#endif

const char *
fc_drivers_cfg_dir(void)
{
	const char *env = getenv("FC_DRIVERS_CFG");
	struct stat sb;

	if (env && *env)
		return env;
	if (FC_SOURCE_DRIVERS_CFG[0] && stat(FC_SOURCE_DRIVERS_CFG, &sb) == 0)
		return FC_SOURCE_DRIVERS_CFG;
	return FC_INSTALLED_DRIVERS_CFG;
}

int
fc_lcore_map(unsigned nb_workers, bool from_end, char *out, size_t len)
{
	cpu_set_t set;
	int cpus[CPU_SETSIZE], n = 0;
	size_t o = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set))
				cpus[n++] = c;
	}
	if (n == 0)
		cpus[n++] = 0;
	if (from_end)
		for (int i = 0; i < n / 2; i++) {
			int t = cpus[i];

			cpus[i] = cpus[n - 1 - i];
			cpus[n - 1 - i] = t;
		}
	for (unsigned l = 0; l <= nb_workers; l++) {
		/* Control on cpus[0]; worker k on cpus[1], cpus[2], ..., then cpus[0], round robin. */
		int cpu = l == 0 ? cpus[0] : cpus[l % (unsigned)n];

		int w = snprintf(out + o, len - o, "%s%u@%d", l ? "," : "", l, cpu);
		if (w < 0 || (size_t)w >= len - o)
			return -ENOSPC;
		o += (size_t)w;
	}
	return 0;
}
