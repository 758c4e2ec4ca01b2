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
	bool dry_run;
	bool now;
	bool json; /* the report as JSON on out */
	bool progress; /* a line per step and a summary on out (a terminal) */
	FILE *out;
};

int reboot_load(const struct reboot_options *o);
int reboot_unload(const struct reboot_options *o);
int reboot_run(const struct reboot_options *o);
int reboot_apply_final(const struct reboot_options *o);
