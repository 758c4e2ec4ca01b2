// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Latency of org.kexecq1.Manager.Plan through the bus: N calls, one at a
 * time, on $DBUS_SYSTEM_BUS_ADDRESS; prints the median and the 99th
 * percentile, and the bytes of the last report.  Asserts nothing.
 *
 *   bench-bus N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	double *t = calloc((size_t)n + 1, sizeof(*t));
	sd_bus *bus = NULL;
	size_t bytes = 0;

	if (!t || n < 1 || sd_bus_open_system(&bus) < 0) {
		fprintf(stderr, "bench-bus: no bus\n");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		sd_bus_error e = SD_BUS_ERROR_NULL;
		sd_bus_message *m = NULL;
		const char *report = "";
		double t0 = now();

		if (sd_bus_call_method(bus, "org.kexecq1", "/org/kexecq1", "org.kexecq1.Manager",
				       "Plan", &e, &m, "a{sv}", 0) < 0) {
			fprintf(stderr, "bench-bus: %s\n", e.message ? e.message : "call failed");
			return 1;
		}
		t[i] = now() - t0;
		if (sd_bus_message_read(m, "s", &report) >= 0)
			bytes = strlen(report);
		sd_bus_message_unref(m);
	}
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("bench-bus: Plan through the bus, %d calls: median %.1f ms, p99 %.1f ms "
	       "(report %zu bytes)\n",
	       n, t[n / 2] * 1e3, t[(int)((n - 1) * 0.99)] * 1e3, bytes);
	sd_bus_unref(bus);
	free(t);
	return 0;
}
