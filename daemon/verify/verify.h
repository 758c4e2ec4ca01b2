/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * After a kexec: did every device come back as it was?  A pure function
 * of two device lists, the record written before the jump and one made
 * the same way from the current inventory (record_add_inventory()); no
 * I/O, no logging.  man/kexecq.8, section VERIFY.
 *
 *   PCI function   bound before: missing, unbound or bound to another
 *                  driver now is an error; unbound before and missing now
 *                  is a notice.  A VF whose PF is back with SR-IOV off
 *                  counts once, on the PF, as a notice (VFs are made by
 *                  whoever wrote sriov_numvfs, not by the kernel at boot).
 *   interface      missing, or administratively down after being up: an
 *                  error.  Under another name below the same PCI function:
 *                  a notice, and checked under that name.
 *   disk           missing: an error; renamed as interfaces are.
 *
 * Below a PCI function that is reported (missing, unbound, another
 * driver) nothing more is reported: its interfaces and disks follow from
 * it.  Devices that are new are not reported.
 */
#pragma once

#include <stdbool.h>

#include "record.h"

enum verify_problem {
	VERIFY_MISSING,
	VERIFY_UNBOUND,
	VERIFY_OTHER_DRIVER,
	VERIFY_DOWN,
	VERIFY_RENAMED,
	VERIFY_SRIOV_OFF,
	_VERIFY_PROBLEM_MAX,
};

struct verify_finding {
	enum verify_problem problem;
	bool error; /* a difference; false: a notice */
	enum device_kind kind; /* DEVICE_PCI, DEVICE_NET or DEVICE_DISK */
	char *name; /* as recorded */
	char *pci; /* interfaces and disks: the PCI function they hang below */
	char *expected; /* the driver, the name or "up" the record has; NULL: none */
	char *found; /* what there is now; NULL: nothing */
	unsigned vfs; /* VERIFY_SRIOV_OFF: how many VFs were recorded */
};

struct verify_result {
	struct verify_finding *findings;
	size_t n;
	unsigned n_errors, n_notices;
	unsigned recorded[_DEVICE_KIND_MAX]; /* devices of each kind in the record */
};

struct verify_result *verify_result_free(struct verify_result *v);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct verify_result *, verify_result_free)

const char *verify_problem_to_string(enum verify_problem p) _pure_;

/* Compare now with before; both sorted as record.h keeps them.  -ENOMEM only. */
int verify_compare(const struct record *before, const struct record *now,
		   struct verify_result **ret);
