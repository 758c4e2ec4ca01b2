/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kexecqd's bus object: org.kexecq1.Manager at /org/kexecq1
 * (contrib/dbus/org.kexecq1.Manager.xml is its introspection, checked by
 * tests/test-bus.sh; man/kexecqd.8 documents it).  The methods run the
 * same code as the command line (query.h), so they answer the same bytes.
 */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "inventory.h"
#include "scan.h"

#define KEXECQ_BUS_NAME "org.kexecq1"
#define KEXECQ_BUS_PATH "/org/kexecq1"
#define KEXECQ_BUS_INTERFACE "org.kexecq1.Manager"
#define KEXECQ_POLKIT_REBOOT "org.kexecq1.reboot"
#define KEXECQ_POLKIT_IGNORE_INHIBIT "org.kexecq1.reboot-ignore-inhibit"
#define KEXECQ_ERROR_INHIBITED "org.kexecq1.Error.BlockedByInhibitorLock"

struct manager_config {
	char *const *policy_dirs; /* NULL: the default search path */
	struct scan_options scan;
	const char *tables; /* NULL: DRIVER_TABLE_DIR */
	const char *snapshot; /* benchmarks and tests: serve this inventory, no device events */
	const char *settings; /* NULL: SETTINGS_PATH */
	const char *rundir; /* NULL: /run/kexecq */
	const char *dropin_dir; /* NULL: /run/systemd/system/systemd-reboot.service.d */
};

struct udev_events;
struct polkit_query;
struct file_watch;

struct manager {
	sd_event *event;
	sd_bus *bus;
	sd_bus_slot *slot;
	struct manager_config config;
	struct inventory *inventory; /* the live inventory */
	uint64_t generation; /* bumped by each change of it */
	unsigned n_policies;
	const char *state; /* "idle", "rebooting" (kexec.target started) */
	struct polkit_query *polkit; /* questions to polkit, and their answers */

	/*
	 * Kexec by default (settings.h): the image loaded last (its id, for
	 * loading it only once) and what the next reboot will be, said
	 * plainly ("kexec into ...", "firmware: why").
	 */
	bool kexec_by_default;
	char *armed_image;
	char *next_reboot;
	/* Set by a Load or Unload by hand: arming waits for Reload (kexecq enable). */
	const char *hold;
	char *last_kexec; /* LastKexec, cached until the next arming or action */
	/* The boot entries, kernel links, policies and settings: re-armed on change. */
	struct file_watch *files;
	_Atomic uint64_t rearms; /* arm() runs, for the benchmark and tests */

	/*
	 * The live inventory: device events are queued as they come and
	 * applied by a rescan, after a short quiet time and never while a
	 * plan is being made (busy); the rescan makes every queued event
	 * obsolete, and only then is the queue emptied.  Lost events
	 * (ENOBUFS) force the rescan too.  The counters are read by the bus
	 * and, later, by executor threads: atomics.
	 */
	struct udev_events *events;
	sd_event_source *events_source, *settle_timer;
	char **queue; /* "ACTION SYSPATH", oldest first */
	bool busy;
	bool lost; /* events were lost: rescan */
	_Atomic uint64_t events_received, events_applied, events_lost;
};

/* Scan the machine and publish the object; the bus must be attached to event. */
int manager_start(struct manager *m);
void manager_done(struct manager *m);
