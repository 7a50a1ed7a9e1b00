/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench_sys.h - what a benchmark prints about the machine it ran on: the
 * CPU model and the load average (these machines are shared: a figure
 * means little without them).
 */
#ifndef BENCH_SYS_H
#define BENCH_SYS_H

#include <stdio.h>
#include <string.h>

/* CPU model into @cpu and "1 5 15"-minute load averages into @load; each
 * is left as it was when it can't be read. */
static inline void bench_sysinfo(char *cpu, size_t ncpu, char *load, size_t nload)
{
	FILE *f = fopen("/proc/loadavg", "re");
	char line[256];

	if (f) {
		double l1, l5, l15;

		if (fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3)
			snprintf(load, nload, "%.2f %.2f %.2f", l1, l5, l15);
		fclose(f);
	}
	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && v) {
			snprintf(cpu, ncpu, "%s", v + 2);
			cpu[strcspn(cpu, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
}

#endif
