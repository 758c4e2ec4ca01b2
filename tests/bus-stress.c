// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Load on kexecqd (tests/test-bus.sh): N rapid calls on one connection,
 * pipelined (property reads, and a Plan every 100th), then M clients that
 * send a Plan and disconnect without waiting for the answer.  Prints the
 * daemon's RSS before and after; exit 1 if a call failed or the daemon
 * stopped answering.
 *
 * Usage: bus-stress N M   (on $DBUS_SYSTEM_BUS_ADDRESS)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#define NAME "org.kexecq1"
#define PATH "/org/kexecq1"
#define IFACE "org.kexecq1.Manager"

static long rss_kb(sd_bus *bus)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	unsigned pid = 0;
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	if (sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "GetConnectionUnixProcessID", &e, &m, "s",
			       NAME) < 0 ||
	    sd_bus_message_read(m, "u", &pid) < 0) {
		sd_bus_error_free(&e);
		sd_bus_message_unref(m);
		return -1;
	}
	sd_bus_message_unref(m);
	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int n_replies, n_errors;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	(void)userdata, (void)ret_error;
	if (sd_bus_message_is_method_error(m, NULL) && n_errors++ == 0)
		fprintf(stderr, "bus-stress: first error: %s: %s\n",
			sd_bus_message_get_error(m)->name, sd_bus_message_get_error(m)->message);
	n_replies++;
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000, clients = argc > 2 ? atoi(argv[2]) : 100;
	sd_bus *bus = NULL;
	long before, after;
	double t0;
	int r;

	if (sd_bus_open_system(&bus) < 0) {
		fprintf(stderr, "bus-stress: no bus\n");
		return 1;
	}
	/* One Plan first, so that the figures start from a daemon that has planned. */
	(void)sd_bus_call_method(bus, NAME, PATH, IFACE, "Plan", NULL, NULL, "a{sv}", 0);
	before = rss_kb(bus);
	t0 = now();
	for (int i = 0; i < n; i++) {
		r = i % 100 == 99 ? sd_bus_call_method_async(bus, NULL, NAME, PATH, IFACE, "Plan",
							     on_reply, NULL, "a{sv}", 0) :
				    sd_bus_call_method_async(bus, NULL, NAME, PATH,
							     "org.freedesktop.DBus.Properties",
							     "Get", on_reply, NULL, "ss", IFACE,
							     i % 2 ? "InventorySize" : "State");
		if (r < 0) {
			fprintf(stderr, "bus-stress: call %d: %s\n", i, strerror(-r));
			return 1;
		}
		/* At most 100 in flight: dbus-daemon allows 128 pending replies per connection. */
		while (i + 1 - n_replies > 100)
			if (sd_bus_process(bus, NULL) == 0)
				sd_bus_wait(bus, 1000000);
	}
	while (n_replies < n)
		if (sd_bus_process(bus, NULL) == 0 && sd_bus_wait(bus, 30 * 1000000ULL) == 0)
			break;
	printf("bus-stress: %d calls (%d Plan) in %.2f s, %d errors, %d answered\n", n, n / 100,
	       now() - t0, n_errors, n_replies);

	/* Clients that ask for a plan and go away before the answer. */
	for (int c = 0; c < clients; c++) {
		sd_bus *b = NULL;

		if (sd_bus_open_system(&b) < 0)
			return 1;
		(void)sd_bus_call_method_async(b, NULL, NAME, PATH, IFACE, "Plan", NULL, NULL,
					       "a{sv}", 0);
		(void)sd_bus_flush(b);
		sd_bus_close(b);
		sd_bus_unref(b);
	}
	/* The daemon still answers, after the abandoned calls. */
	r = sd_bus_call_method(bus, NAME, PATH, IFACE, "Plan", NULL, NULL, "a{sv}", 0);
	after = rss_kb(bus);
	printf("bus-stress: %d clients gone mid-call; daemon %s; RSS %ld kB before, %ld kB after\n",
	       clients, r >= 0 ? "answers" : "does not answer", before, after);
	sd_bus_unref(bus);
	return r >= 0 && n_errors == 0 && n_replies == n ? 0 : 1;
}
