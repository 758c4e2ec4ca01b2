/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The run, from the command line or from systemd's shutdown: load the
 * next kernel, quiesce along the plan, jump.  Shared by the front ends;
 * returns exit statuses (exit-status.h).
 *
 *   load      choose, check and load the kernel; nothing else
 *   unload    unload it (and drop a frozen plan)
 *   reboot    load, record what is bound (record.h), then: --now quiesce
 *             here and reboot(KEXEC); default (PID 1 is systemd) freeze the
 *             plan and start kexec.target, the hook quiesces; --dry-run
 *             says what each would do
 *   apply     --stage=final: the hook's part, on the frozen plan
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kexec-load.h"
#include "macro.h"

/* What --now and the hook do when a step is still in the kernel at the point of no return. */
enum if_stuck {
	IF_STUCK_RESTART, /* file systems read-only, restart through the firmware (sysrq b) */
	IF_STUCK_ABORT, /* no kexec: unload, leave the machine running, exit EXIT_STUCK */
	IF_STUCK_KEXEC, /* kexec anyway (the kernel's shutdown may wait on that device) */
	_IF_STUCK_MAX,
};
const char *if_stuck_to_string(enum if_stuck s) _pure_;
int if_stuck_from_string(const char *s) _pure_;

struct reboot_options {
	struct kexec_request kexec;
	char *const *policy_dirs;
	bool policy_dirs_explicit;
	bool ignore_policy_errors;
	const char *sysfs; /* "/sys" */
	const char *moddir;
	const char *inventory; /* a snapshot: --dry-run only */
	const char *rundir; /* "/run/kexecq": journal and frozen plan */
	const char *kmsg; /* "/dev/kmsg", NULL for none */
	const char *state_dir; /* "/var/lib/kexecq": the boot record (record.h); NULL: none */
	const char *proc; /* "/proc": this boot's command line, for the record */
	unsigned jobs;
	uint64_t deadline_usec;
	enum if_stuck if_stuck;
	unsigned watchdog_sec; /* --now: arm the watchdog across the jump; 0: no */
	const char *watchdog_device; /* "/dev/watchdog0" */
	const char *sysrq; /* "/proc/sysrq-trigger" */
	const char *mountinfo; /* "/proc/self/mountinfo" */
	bool dry_run;
	bool now;
	bool force; /* kexec even with devices whose policy says Unsafe= */
	bool service; /* inside kexecqd: its event loop owns the signals; no --now */
	/*
	 * Arm the next reboot and stop there (kexec by default, kexecqd):
	 * load the kernel unless *armed_image names the one loaded already,
	 * freeze the plan, write the boot record; start nothing.
	 */
	bool arm_only;
	char **armed_image; /* in: what was loaded last; out: what is loaded now */
	bool json; /* the report as JSON on out */
	bool progress; /* a line per step and a summary on out (a terminal) */
	FILE *out;
};

int reboot_load(const struct reboot_options *o);
int reboot_unload(const struct reboot_options *o);
int reboot_run(const struct reboot_options *o);
int reboot_apply_final(const struct reboot_options *o);
