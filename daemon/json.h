/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The only file that talks to json-c: inventory snapshots (save, load)
 * and machine-readable plans.  The snapshot format is versioned; see
 * man/kexecq.8, section SNAPSHOTS.
 */
#pragma once

#include <stdio.h>

#include "inventory.h"
#include "plan.h"

int inventory_save_json(const struct inventory *inv, FILE *f);
/* Errors name the file and the device: "x.json: devices[3]: …". */
int inventory_load_json(const char *path, struct inventory **ret);
/* The same for a snapshot held in memory; path is the name used in messages. */
int inventory_load_json_buffer(const char *path, const char *data, size_t size,
			       struct inventory **ret);

int plan_write_json(const struct plan *plan, const struct inventory *inv, FILE *f);
