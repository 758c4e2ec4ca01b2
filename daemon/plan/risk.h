/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `kexecq check`: what a kexec would put at risk, from the inventory, the
 * plan (which policy governs each function, what is left alone, what is
 * refused) and, on a kernel without the kexecq patches, a table of PCI
 * drivers (driver-table.h).  Pure: no I/O.
 *
 * At risk:
 *   - LEFT_RUNNING: the kernel leaves the function as its driver has it
 *     (no ->shutdown(), not released: patched kernels say so in the
 *     device's kexec_action, "clear-master", stock ones through the table)
 *     and no policy actually quiesces it: Action=unbind, reset or unload,
 *     or KernelMethod=remove on a patched kernel if the kernel will honour
 *     it (kexec_remove_vetoed(): no device bound below, no VFs left
 *     enabled; the report says which veto holds).
 *     FlushCache= or NetworkDown= alone is not coverage.
 *   - WRITE_CACHE: a disk with a volatile cache below a function whose
 *     policy says FlushCache=no.
 *   - IN_USE: a function given to userspace (vfio-pci...) and open, so a
 *     VM or userspace driver still drives it, or a VF of a PF that is
 *     so; not when a live update preserves it on purpose.
 *   - UNSAFE: a policy says a kexec is unsafe with it (Unsafe=).
 *   - NOT_CHECKED: on a kernel with the patches, a bound function whose
 *     kexec_action is not known (its read failed with EBUSY while a
 *     driver was bound or unbound, a snapshot lacks it, or it reads a
 *     value this kexecq does not know), that no step of the plan takes
 *     away and no policy says the kernel quiesces: what a kexec does to it
 *     cannot be told, so it counts as at risk (exit status 5) rather
 *     than as safe.
 */
#pragma once

#include <stdbool.h>

#include "driver-table.h"
#include "inventory.h"
#include "plan.h"

enum risk_kind {
	RISK_LEFT_RUNNING,
	RISK_WRITE_CACHE,
	RISK_IN_USE,
	RISK_UNSAFE,
	RISK_NOT_CHECKED,
	_RISK_KIND_MAX,
};

/* What is known about a function that is not at risk, for the report. */
enum risk_note {
	NOTE_NONE,
	NOTE_COVERED, /* left running by the kernel, quiesced by a policy */
	NOTE_KERNEL_QUIESCES, /* a policy says the kernel quiesces it after all (KernelQuiesces=yes) */
	NOTE_UNKNOWN_DRIVER, /* stock kernel, driver not in the table (out of tree?) */
	NOTE_AMBIGUOUS, /* several definitions in the table disagree */
	NOTE_NO_BASIS, /* stock kernel and no table at all */
	NOTE_PRESERVED, /* kept running by a live update, on purpose */
};

struct risk {
	enum risk_kind kind;
	const struct device *device; /* the PCI function (for WRITE_CACHE: the disk) */
	const struct device *function; /* the PCI function it is about */
	const struct policy *policy; /* the governing policy, if any */
	char *text; /* one line, what and why */
};

struct risk_finding {
	const struct device *device;
	enum risk_note note;
	const struct policy *policy;
	char *text;
};

enum risk_basis {
	BASIS_PATCHED, /* the kernel says it per device (kexec_action) */
	BASIS_TABLE, /* the table of the running kernel's series */
	BASIS_TABLE_OTHER, /* the table of another series: the nearest */
	BASIS_NONE, /* no table */
};

struct risk_report {
	enum risk_basis basis;
	struct risk *risks;
	size_t n_risks;
	struct risk_finding *notes;
	size_t n_notes;
};

struct risk_report *risk_report_free(struct risk_report *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct risk_report *, risk_report_free)

/* table may be NULL (none found); exact says whether it is the running kernel's series. */
int risk_assess(const struct inventory *inv, const struct plan *plan,
		const struct driver_table *table, bool exact, struct risk_report **ret);

const char *risk_kind_to_string(enum risk_kind k) _pure_;
const char *risk_note_to_string(enum risk_note n) _pure_;
