// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Latency of org.kexecq1.Manager.Plan through the bus: N calls, one at a
 * time, on $DBUS_SYSTEM_BUS_ADDRESS; prints the median and the 99th
 * percentile, and the bytes of the last report.  Or, with a device's
 * uevent file, the time from a real kernel event (a "change" written to it)
 * to kexecqd's InventoryChanged signal: the queue, the 100 ms settle time
 * and the rescan.  Asserts nothing.
 *
 *   bench-bus N
 *   bench-bus --events N /sys/bus/pci/devices/BDF/uevent
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

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

static int changed;

static int on_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	(void)m, (void)userdata, (void)error;
	changed = 1;
	return 0;
}

/* n events, one at a time: write "change", wait for InventoryChanged. */
static int events(int n, const char *uevent)
{
	double *t = calloc((size_t)n + 1, sizeof(*t));
	sd_bus *bus = NULL;

	if (!t || n < 1 || sd_bus_open_system(&bus) < 0 ||
	    sd_bus_match_signal(bus, NULL, "org.kexecq1", "/org/kexecq1", "org.kexecq1.Manager",
				"InventoryChanged", on_changed, NULL) < 0) {
		fprintf(stderr, "bench-bus: no bus\n");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		double t0, deadline;
		int fd = open(uevent, O_WRONLY | O_CLOEXEC);

		/* Let the previous rescan's settle time pass. */
		usleep(200 * 1000);
		while (sd_bus_process(bus, NULL) > 0)
			;
		changed = 0;
		t0 = now();
		if (fd < 0 || write(fd, "change", 6) != 6) {
			fprintf(stderr, "bench-bus: cannot write %s\n", uevent);
			return 1;
		}
		close(fd);
		deadline = t0 + 10;
		while (!changed && now() < deadline) {
			if (sd_bus_process(bus, NULL) > 0)
				continue;
			(void)sd_bus_wait(bus, 100 * 1000);
		}
		if (!changed) {
			fprintf(stderr, "bench-bus: no InventoryChanged 10 s after an event\n");
			return 1;
		}
		t[i] = now() - t0;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("bench-bus: device event to InventoryChanged, %d events: median %.1f ms, p99 "
	       "%.1f ms (of which 100 ms is the settle time)\n",
	       n, t[n / 2] * 1e3, t[(int)((n - 1) * 0.99)] * 1e3);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--events") == 0)
		return events(atoi(argv[2]), argv[3]);
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
