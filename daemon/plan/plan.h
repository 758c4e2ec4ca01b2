/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The planner: a pure function of inventory and policies to a DAG of
 * steps.  It reads nothing and writes nothing; exec.c runs the result.
 *
 * Implicit order: everything below a device before the device, VFs before
 * their PF, flush before unbind, SR-IOV off before the PF's driver goes,
 * file systems read-only before the disks below them go away (and before
 * their flush, which then covers what the remount wrote).
 * Explicit order: After=/Before= between policies.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "inventory.h"
#include "owner.h"
#include "policy-set.h"

enum step_type {
	STEP_SET_KERNEL_METHOD, /* write /sys/bus/pci/devices/BDF/kexec_method */
	STEP_FS_READONLY, /* sync and remount read-only what is mounted from disks below a device */
	STEP_FLUSH_CACHE, /* flush a disk's volatile write cache */
	STEP_NET_DOWN, /* bring an interface down */
	STEP_SRIOV_DISABLE, /* sriov_numvfs = 0 on a PF */
	STEP_UNBIND, /* unbind a PCI function from its driver */
	STEP_RESET, /* reset a PCI function */
	STEP_UNLOAD_MODULE, /* remove a module */
	STEP_BARRIER, /* all steps of a policy are done (After=/Before=) */
	_STEP_TYPE_MAX,
};

/* A file system a STEP_FS_READONLY step makes read-only, and a disk it is on. */
struct step_mount {
	const struct device *disk;
	const struct device_mount *mount;
};

struct step {
	size_t id; /* 1-based, in execution order */
	enum step_type type;
	const struct device *device; /* NULL for module and barrier steps */
	char *object; /* device name, module name, or the policy of a barrier */
	char *driver; /* the driver the device is bound to: to rebind on rollback */
	enum kernel_method method; /* STEP_SET_KERNEL_METHOD: the device's kexec_method */
	/*
	 * STEP_SET_KERNEL_METHOD: what the inventory read when the plan was
	 * made, for step_describe() and JSON ("was shutdown").  Not what the
	 * rollback writes back: the action reads the attribute again when it
	 * runs and keeps that word (struct action.old_method, action.c).
	 */
	enum kernel_method previous_method;

	const struct policy *policy; /* the cause */
	enum policy_key key; /* the key in it */
	char *reason; /* human explanation */
	uint64_t timeout_usec;
	enum on_failure on_failure;

	/*
	 * STEP_FS_READONLY: the read-write file systems on disks below device,
	 * innermost mount point first, and the md arrays among them to wait for.
	 */
	struct step_mount *mounts;
	size_t n_mounts;
	char **md;
	/*
	 * When this step fails, no step that depends on it runs, whatever
	 * device it acts on (exec.c): a controller is not unbound, reset or
	 * unloaded under a file system that could not be made read-only.
	 */
	bool guard;

	size_t *deps; /* ids of steps that must finish first */
	size_t n_deps;
	unsigned level; /* 0: can start at once; steps of a level may run in parallel */
};

/* Which policy governs each PCI function, for --explain. */
struct plan_device {
	const struct device *device;
	const struct policy *policy; /* NULL: built-in default, leave it to the kernel */
	/*
	 * The first policy in name order that matches and says Unsafe=, whether
	 * or not it governs: a catch-all that sorts first does not hide it.
	 */
	const struct policy *unsafe;
	enum hold_kind hold; /* owner.h: why nothing removes, resets or unloads it */
	char *left_alone; /* the reason, when hold is not HOLD_NONE */
};

struct plan {
	struct step *steps; /* execution (topological) order; steps[i].id == i + 1 */
	size_t n;
	unsigned n_levels;
	struct plan_device *devices;
	size_t n_devices;
	char **warnings;
	/* What a policy asks that the plan makes moot, and why (not a problem). */
	char **notes;
	/* Functions a policy says Unsafe= for: a kexec with them is refused unless forced. */
	size_t n_unsafe;
};

struct plan *plan_free(struct plan *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct plan *, plan_free)

/*
 * Build the plan.  On an ordering cycle returns -ELOOP and, in
 * *ret_error, a message naming the policies and steps involved.  Any
 * linked inventory is accepted, loops among physfn links included; one
 * whose links point outside it (inventory_link() not called after the last
 * inventory_add()) gives -EINVAL and a message.
 */
int plan_build(const struct inventory *inv, const struct policy_set *policies, struct plan **ret,
	       char **ret_error);

const char *step_type_to_string(enum step_type t) _pure_;
/* One line: "unbind 0000:03:00.0 (lpfc)". Malloc'd. */
char *step_describe(const struct step *s);
