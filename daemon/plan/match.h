/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which policy governs a PCI function: the first in name order that matches. */
#pragma once

#include <stdbool.h>

#include "inventory.h"
#include "policy-set.h"

/*
 * True when every [Match] key of p matches d (a PCI function) and every
 * KernelVersion= expression holds for the running kernel (the one whose
 * drivers shut the devices down): its release (NULL: unknown) and its
 * upstream version where the release does not say it (NULL: the release;
 * inventory.kernel_upstream), as kernel_version_matches() compares them.
 */
bool policy_matches(const struct policy *p, const struct device *d, const char *release,
		    const char *version);

/* The governing policy, or NULL for the built-in default (leave it to the kernel). */
const struct policy *match_device(const struct policy_set *s, const struct device *d,
				  const char *release, const char *version);

/* The device's value for a match field (may be NULL). */
const char *match_field_value(const struct device *d, enum match_field f);

/*
 * Human explanation of why p matches d: "Driver=lpfc (line 3), Vendor=10df
 * (line 4)".  Returns a malloc'd string or NULL on OOM.
 */
char *match_explain(const struct policy *p, const struct device *d, const char *release,
		    const char *version);
