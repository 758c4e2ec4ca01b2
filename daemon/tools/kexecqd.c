// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kexecqd: kexecq on the system bus (service/manager.h), for distributions,
 * web consoles and fleet agents.  man/kexecqd.8.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "manager.h"
#include "strv.h"

static void help(void)
{
	printf("Usage: kexecqd [OPTIONS…]\n\n"
	       "The kexecq system-bus service: org.kexecq1 at /org/kexecq1 (see kexecqd(8)).\n"
	       "Started by D-Bus activation or kexecqd.service.\n\n"
	       "  -P --policy-dir=DIR    Read policies from DIR (repeatable; default: the\n"
	       "                         search path of kexecq.policy(5))\n"
	       "     --sysfs=DIR         Root of sysfs (default /sys)\n"
	       "     --driver-tables=DIR Tables of PCI drivers for check\n"
	       "     --inventory=FILE    Serve this snapshot instead of the machine, with no\n"
	       "                         device events (benchmarks and tests)\n"
	       "     --config=FILE       Settings (default /etc/kexecq/kexecq.conf)\n"
	       "     --run-dir=DIR       Frozen plan (default /run/kexecq)\n"
	       "     --dropin-dir=DIR    systemd-reboot.service's drop-ins (tests)\n"
	       "     --log-level=LEVEL   err, warning, info or debug\n"
	       "  -h --help              Show this help\n");
}

static void log_stderr(int level, const char *msg, void *userdata)
{
	(void)userdata;
	/* sd-daemon(3) prefixes: the journal keeps the level. */
	fprintf(stderr, "<%d>%s\n", level, msg);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "policy-dir", required_argument, NULL, 'P' },
		{ "sysfs", required_argument, NULL, 1 },
		{ "driver-tables", required_argument, NULL, 2 },
		{ "log-level", required_argument, NULL, 3 },
		{ "inventory", required_argument, NULL, 4 },
		{ "config", required_argument, NULL, 5 },
		{ "run-dir", required_argument, NULL, 6 },
		{ "dropin-dir", required_argument, NULL, 7 },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_strv_free_ char **dirs = NULL;
	struct manager m = {};
	sigset_t ss;
	int c, r;

	log_set_fn(log_stderr, NULL);
	m.config.scan.sysfs = "/sys";
	while ((c = getopt_long(argc, argv, "P:h", options, NULL)) >= 0)
		switch (c) {
		case 'P':
			if (strv_extend(&dirs, optarg) < 0)
				return log_oom(), 1;
			break;
		case 1:
			m.config.scan.sysfs = optarg;
			break;
		case 2:
			m.config.tables = optarg;
			break;
		case 3:
			r = log_level_from_string(optarg);
			if (r < 0) {
				log_error("Invalid --log-level \"%s\"", optarg);
				return 2;
			}
			log_set_max_level(r);
			break;
		case 4:
			m.config.snapshot = optarg;
			break;
		case 5:
			m.config.settings = optarg;
			break;
		case 6:
			m.config.rundir = optarg;
			break;
		case 7:
			m.config.dropin_dir = optarg;
			break;
		case 'h':
			help();
			return 0;
		default:
			return 2;
		}
	if (optind < argc) {
		log_error("kexecqd takes no arguments.");
		return 2;
	}
	m.config.policy_dirs = dirs;

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = sd_event_default(&m.event);
	if (r >= 0)
		r = sd_event_add_signal(m.event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(m.event, NULL, SIGINT, NULL, NULL);
	if (r < 0)
		return log_error_errno(r, "Cannot set up the event loop: %m"), 1;
	/* $DBUS_SYSTEM_BUS_ADDRESS, or the system bus. */
	r = sd_bus_open_system(&m.bus);
	if (r < 0)
		return log_error_errno(r, "Cannot connect to the system bus: %m"), 1;
	/* A daemon without its bus serves nobody: exit with it. */
	r = sd_bus_set_exit_on_disconnect(m.bus, true);
	if (r >= 0)
		r = sd_bus_attach_event(m.bus, m.event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return log_error_errno(r, "Cannot attach the bus: %m"), 1;
	r = manager_start(&m);
	if (r < 0)
		return 1;
	r = sd_bus_request_name(m.bus, KEXECQ_BUS_NAME, 0);
	if (r < 0)
		return log_error_errno(r, "Cannot own %s (the bus policy decides who may): %m",
				       KEXECQ_BUS_NAME),
		       1;
	(void)sd_notify(0, "READY=1\nSTATUS=Serving " KEXECQ_BUS_NAME);
	log_info("Serving %s: %zu devices, %u policies", KEXECQ_BUS_NAME, m.inventory->n,
		 m.n_policies);
	r = sd_event_loop(m.event);
	(void)sd_notify(0, "STOPPING=1");
	manager_done(&m);
	m.bus = sd_bus_flush_close_unref(m.bus);
	m.event = sd_event_unref(m.event);
	return r < 0 ? 1 : 0;
}
