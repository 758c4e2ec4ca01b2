/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inventory snapshots: save and load the device graph as versioned JSON
 * (man/kexecq.8, section SNAPSHOTS).  One of the two json-c users (the
 * other renders plans, plan-output.c).  A snapshot may be crafted: it is
 * read bounded, every value is checked as policy values are (values.h),
 * and errors name the file, the device and the value.
 */
#pragma once

#include <stdio.h>

#include "inventory.h"

#define SNAPSHOT_FILE_MAX (64U * 1024U * 1024U)
#define SNAPSHOT_DEVICES_MAX (256U * 1024U)
#define SNAPSHOT_PROPERTIES_MAX 1024U
#define SNAPSHOT_VALUE_MAX 4096U
#define SNAPSHOT_MOUNTS_MAX 4096U /* per disk */
#define SNAPSHOT_STACK_MAX 64U /* names in a mount's via and md */

int inventory_save_json(const struct inventory *inv, FILE *f);
/* Errors name the file and the device: "x.json: devices[3] (sda): …". */
int inventory_load_json(const char *path, struct inventory **ret);
/* The same for a snapshot held in memory; path is the name used in messages. */
int inventory_load_json_buffer(const char *path, const char *data, size_t size,
			       struct inventory **ret);
