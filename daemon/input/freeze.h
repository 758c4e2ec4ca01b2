/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The frozen plan: what `kexecq reboot` leaves in /run/kexecq/frozen for
 * the system-shutdown hook (`kexecq apply --stage=final`), which runs
 * when /etc may be gone and only /run and /sys can be relied on.
 *
 *   frozen/inventory.json   the inventory snapshot the plan was made from
 *   frozen/policy.d/          copies of the policy files in force
 *   frozen/info             for humans: when, which kernel
 *   frozen/run.conf         the run's settings for the hook: [Run] DeadlineSec=,
 *                           Jobs=, IfStuck=, Force= (systemd.syntax(7), same parser)
 *
 * The planner is a pure function, so the hook plans again from these and
 * gets the plan that `kexecq reboot` showed; no plan format of its own to
 * parse.  Both files go through the same hardened readers as ever.
 */
#pragma once

#include <stdint.h>

#include "inventory.h"
#include "policy-set.h"

/* What `kexecq reboot` was told for the run, for the hook to honour. */
struct freeze_settings {
	uint64_t deadline_usec; /* 0: the default */
	unsigned jobs; /* 0: the default */
	char if_stuck[16]; /* "restart", "abort", "kexec"; "": the default */
	bool force; /* --force: kexec despite Unsafe= */
};

/*
 * The run directory, dir's parent, is opened with trust_open_run_dir()
 * (created 0700 by freeze_write when missing; a symlink, or as root a
 * directory others could write, is refused) and everything happens
 * relative to it; nothing follows a symlink in it.
 */

/* Replace dir with a frozen copy; info is free text. */
int freeze_write(const char *dir, const struct inventory *inv, const struct policy_set *ps,
		 const char *info, const struct freeze_settings *settings);

/*
 * Read a frozen plan's inputs.  As root, dir must be root's and writable
 * by nobody else, like every directory above it.  -ENOENT: nothing frozen.
 * A missing run.conf gives the defaults; a broken one is an error.
 */
int freeze_read(const char *dir, struct inventory **ret_inv, struct policy_set **ret_ps,
		struct freeze_settings *ret_settings);

/* Parse run.conf's text (path for messages): 0, or -EINVAL after saying where. */
int freeze_settings_parse(const char *path, const char *text, size_t size,
			  struct freeze_settings *ret);

/*
 * Remove a frozen plan (after an abort or an unload); none is fine.  A
 * symlink at dir or inside it is unlinked, never followed.
 */
int freeze_remove(const char *dir);
