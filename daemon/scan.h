/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Build the live inventory: libudev for devices, libkmod for modules. */
#pragma once

#include "inventory.h"

struct scan_options {
	const char *sysfs; /* "/sys" */
	const char *moddir; /* NULL: /lib/modules/$(uname -r) */
};

int inventory_scan(const struct scan_options *o, struct inventory **ret);
