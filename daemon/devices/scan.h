/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Build the live inventory: libudev for devices, libkmod for modules,
 * mountinfo and sysfs for what is mounted from each disk (storage.c).
 */
#pragma once

#include "inventory.h"

struct scan_options {
	const char *sysfs; /* "/sys" */
	const char *moddir; /* NULL: /lib/modules/$(uname -r) */
	const char *mountinfo; /* NULL: "/proc/self/mountinfo" */
	const char *proc; /* NULL: "/proc", for live update sessions */
};

int inventory_scan(const struct scan_options *o, struct inventory **ret);
