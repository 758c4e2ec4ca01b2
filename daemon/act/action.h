/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one writer to devices: each step type of a plan is one small
 * function here, with its undo.  Everything else in kexecq only reads.
 *
 *   flush-cache        fsync() of the disk's block device node
 *   net-down           IFF_UP off through rtnetlink (netlink-adapter.c)
 *   sriov-disable      sriov_numvfs = 0, the old count kept for the undo
 *   unbind             <sysfs>/bus/pci/drivers/<driver>/unbind
 *   reset              <sysfs>/bus/pci/devices/<dev>/reset, after the unbind
 *   unload-module      libkmod (kmod-adapter.c), as rmmod
 *   set-kernel-method  <sysfs>/bus/pci/devices/<dev>/kexec_method, the bracketed
 *                      word read first, the driver and the word read again after
 *                      the write; the undo writes the first back only if the
 *                      attribute still reads what the step wrote
 *   readonly           syncfs() and mount(MS_REMOUNT | MS_RDONLY) of each mount
 *                      point, checked against mountinfo and st_dev first
 *                      (EBUSY, a file open for writing, is tried again for
 *                      up to 2 s); then md arrays polled (never written)
 *                      until clean
 *
 * A struct action is a copy of what a step needs, owned by whoever runs
 * it: a step abandoned at its deadline may still be running in the
 * kernel after the plan and the inventory are gone.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "exec.h"
#include "kmethod.h"
#include "plan.h"

/* Where actions act; tests point sysfs at a directory tree. */
struct action_env {
	const char *sysfs; /* "/sys" */
	const char *moddir; /* NULL: /lib/modules/`uname -r` */
	const char *mountinfo; /* NULL: "/proc/self/mountinfo" */
	/*
	 * Tests only, NULL otherwise: called after each successful write of
	 * value to <sysfs>/<rel>, to play the kernel's part on a directory
	 * tree (a plain file holds the word written; the kernel's
	 * kexec_method reads it back bracketed) or a race (an unbind).
	 */
	void (*written)(const struct action_env *env, const char *rel, const char *value);
};

/* readonly: one file system, and what the action did to it. */
struct action_mount {
	char *mount_point;
	unsigned major, minor;
	unsigned mnt_id; /* mountinfo's id of the mount made read-only */
	bool remounted; /* read-only by this action: the undo makes it read-write */
	unsigned long flags; /* its other mount flags (MS_NOSUID, …), kept by both remounts */
};

struct action {
	enum step_type type;
	char *object; /* PCI function, disk, interface or module */
	char *driver; /* the driver the plan saw bound (unbind, reset, set-kernel-method) */
	char *devnode; /* flush-cache: "/dev/sda" */
	enum kernel_method method; /* set-kernel-method */
	struct action_mount *mounts; /* readonly, innermost first */
	size_t n_mounts;
	char **md; /* readonly: md arrays to wait for */
	uint64_t timeout_usec; /* of the step: the md wait ends before it */
	const struct action_env *env;

	/* Filled by action_run() for action_undo(). */
	bool done; /* something was changed that can be undone */
	unsigned old_numvfs;
	char *old_method;
};

/* The executor's operations on struct action; userdata is a struct action_env. */
extern const struct exec_ops action_exec_ops;

/*
 * Carry out one action.  Returns 0 (done; *ret_message may say more, e.g.
 * "already unbound"), -EOPNOTSUPP when the kernel lacks what the step
 * needs (a kernel without kexec_method: the step is skipped; a kernel
 * that has it and refuses remove for a driver is -EPERM, a failure), -ENODEV
 * when its device is not there any more (hot-unplugged: the step is
 * "gone"; no other failure returns -ENODEV), or another -errno with
 * *ret_message saying what went wrong.
 */
int action_run(struct action *a, char **ret_message);
/* Undo what action_run() did: 1 undone, 0 nothing to undo, or -errno. */
int action_undo(struct action *a, char **ret_message);

/*
 * Why the kernel refused to write word to object's kexec_method, from the
 * write's -errno r (kexec_method_store(), kernel-patches/0004): sets
 * *ret_message (NULL when out of memory) and returns the step's error:
 * -EPERM for EOPNOTSUPP (the kernel has the attribute and says no: a
 * failure, not a skipped step), -ENODEV (no driver bound), -EBUSY (the
 * system is shutting down), -EINVAL (a word it does not take), -EINTR,
 * or r itself.  Pure: no I/O.
 */
int kexec_method_write_error(const char *object, const char *word, int r, char **ret_message);

struct action *action_new(const struct action_env *env, const struct step *s);
struct action *action_free(struct action *a);
