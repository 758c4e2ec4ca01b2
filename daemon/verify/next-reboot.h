/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the next reboot will be, said plainly (`kexecq status`): a kexec
 * into which kernel with which plan, and on which commands, or a firmware
 * reboot and why.  Pure: the front end gathers the facts.
 *
 * The rules follow what runs at shutdown: systemd-shutdown kexecs when the
 * objective is kexec and a kernel is loaded; kexecq's hook then quiesces
 * along the frozen plan, or, with none, along a plan made there from the
 * installed policies; it unloads the kernel (a firmware reboot) when the
 * frozen plan cannot be read.  Without the hook nothing quiesces.  Which
 * commands kexec: `systemctl kexec` always; `reboot` too (systemctl, called
 * as reboot, turns itself into kexec when a kernel is loaded); `systemctl
 * reboot` from systemd 255 on (systemctl decides it, so logind's Reboot
 * called by others and `systemctl start reboot.target` still reboot
 * through the firmware); all of them with kexecqd's drop-in for
 * systemd-reboot.service loaded by PID 1 (kexecqd(8)).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "record.h"

struct next_reboot_facts {
	int kexec_loaded; /* 1, 0, -ENOENT: no kexec in this kernel, other -errno: unknown */
	const struct record *mine; /* kexecq loaded it in this boot (record.h), or NULL */
	int frozen; /* 1: a readable frozen plan, 0: none, < 0: unreadable */
	size_t frozen_devices, frozen_policies;
	int kexec_by_default; /* KexecByDefault=: 1, 0, < 0 the settings cannot be read */
	bool systemd; /* PID 1 is systemd */
	const char *systemd_version; /* "252.39-1~deb12u2", NULL: unknown */
	bool dropin; /* kexecqd's drop-in for systemd-reboot.service is there */
	bool dropin_loaded; /* ... and PID 1 has read it (its DropInPaths) */
	bool hook; /* kexecq's systemd-shutdown hook is installed */
};

#define NEXT_REBOOT_CALLERS_MAX 6

enum next_plan {
	NEXT_PLAN_FROZEN, /* the frozen plan */
	NEXT_PLAN_AT_SHUTDOWN, /* none frozen: the hook plans from the installed policies */
	NEXT_PLAN_NONE, /* the hook is not installed: nothing quiesces */
};

struct next_reboot {
	bool kexec;
	enum next_plan plan; /* kexec: what quiesces */
	/* kexec: into what, from mine; NULL when kexecq did not load it */
	const char *kernel, *initrd, *cmdline;
	/* kexec: the commands that kexec, NULL-terminated */
	const char *callers[NEXT_REBOOT_CALLERS_MAX + 1];
	/* firmware: why; kexec: what makes the callers kexec */
	const char *reason;
	/* what to do or know, or NULL */
	const char *hint;
};

void next_reboot_describe(const struct next_reboot_facts *f, struct next_reboot *ret);

/* Leading number of a systemd version string, 0 when there is none. */
unsigned systemd_major(const char *version);
