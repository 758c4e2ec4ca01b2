/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The only file that talks to libudev.  Enumerates PCI functions and what
 * hangs below them into an inventory.  libudev reads /sys itself (it has no
 * prefix), so tests run it under umockdev's testbed; sysfs is the root for
 * the few files read directly (PCI slots, the kernel's kexec_method).
 */
#pragma once

#include "inventory.h"

int udev_scan(const char *sysfs, struct inventory *inv);
