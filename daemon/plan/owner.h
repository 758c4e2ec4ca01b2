/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Devices kexecq must leave alone, and why: functions whose DMA belongs
 * to userspace (vfio-pci and its variants, uio), the PFs of such VFs, the
 * functions a live update preserves across the kexec, and the bridges
 * above all of them.  Pure: reads the inventory and the governing
 * policies, nothing else.  The planner drops every unbind, reset,
 * unload and SR-IOV change on a held function; `check` reports them.
 */
#pragma once

#include <stdbool.h>

#include "inventory.h"
#include "policy.h"

enum hold_kind {
	HOLD_NONE,
	HOLD_USERSPACE, /* bound to a userspace-DMA driver */
	HOLD_VF_IN_USE, /* a PF one of whose VFs is held */
	HOLD_PRESERVED, /* preserved across the kexec by a live update */
	HOLD_ABOVE, /* a bridge above a held function */
};

struct hold {
	enum hold_kind kind;
	const struct device *
		cause; /* the held function this one is held for (itself for the first and third) */
	char *reason; /* "bound to vfio-pci, which gives its DMA to userspace (a VM)" */
};

/*
 * One struct hold per inventory device (index order), kind HOLD_NONE when
 * the device may be acted on.  gov[i] is the policy governing device i
 * (NULL: none); its QuiesceUserspace=yes lifts the holds that come from
 * userspace ownership on that device (the function itself, or a PF for its
 * VFs), never a live update's, nor a bridge's.
 */
int holds_compute(const struct inventory *inv, const struct policy *const *gov, struct hold **ret);
void holds_free(struct hold *h, size_t n);
