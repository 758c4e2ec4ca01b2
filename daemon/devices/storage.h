/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which file systems depend on which disk: each mount of a mountinfo is
 * mapped through <sysfs>/dev/block/MAJ:MIN to its block device, then down
 * the stack (dm and md through slaves/, partitions up to their disk) to
 * the whole disks below it, and attached to those of the inventory
 * (struct device_mount).  Reads only sysfs, under the root it is given;
 * symlinks are resolved by hand, lexically and never above that root, so
 * a tree in a test directory works as /sys does.
 */
#pragma once

#include "inventory.h"
#include "mountinfo.h"

/* A device stack deeper than this is refused as a loop. */
#define STORAGE_STACK_DEPTH_MAX 16U
/* Devices visited for one mount, all branches. */
#define STORAGE_VISITS_MAX 1024U

/* inv must be linked (inventory_link()); sets inv->mounts_known. */
int storage_attach_mounts(const char *sysfs, const struct mountinfo *mi, struct inventory *inv);
