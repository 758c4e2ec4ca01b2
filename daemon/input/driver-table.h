/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a stock kernel does to each PCI driver's devices on kexec, from
 * the tables contrib/pci-driver-table.py makes from a kernel source tree
 * (pci-drivers-SERIES.tsv, one per kernel series the project can get the
 * source of, installed in /usr/lib/kexecq/pci-drivers).  A driver without
 * ->shutdown() leaves its devices as they are: the PCI core only turns
 * bus mastering off (pci_device_shutdown()).  `kexecq check` uses it on
 * kernels without the kexecq patches, which say it per device instead.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

#define DRIVER_TABLE_DIR "/usr/lib/kexecq/pci-drivers"
#define DRIVER_TABLE_MAX (8U * 1024U * 1024U)

struct driver_row {
	char *name; /* as under /sys/bus/pci/drivers */
	bool remove, shutdown, managed_dma;
	bool ambiguous; /* several definitions by this name disagree on ->shutdown() */
};

struct driver_table {
	char *path;
	char *version; /* the kernel the table describes: "6.12.117" */
	char *series; /* from the file name: "6.12" */
	struct driver_row *rows; /* sorted by name, one per name */
	size_t n;
};

struct driver_table *driver_table_free(struct driver_table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct driver_table *, driver_table_free)

/* Parse a table held in memory; problems are logged as "path:line: message" (-EINVAL). */
int driver_table_parse(const char *path, const char *series, const char *data, size_t size,
		       struct driver_table **ret);

/*
 * The table for release ("6.18.44-foo"): pci-drivers-6.18.tsv in dir, else
 * the nearest older series, else the nearest newer one.  *ret_exact says
 * whether it is the release's own series.  -ENOENT: dir has no table.
 */
int driver_table_load_for(const char *dir, const char *release, struct driver_table **ret,
			  bool *ret_exact);

const struct driver_row *driver_table_find(const struct driver_table *t, const char *name);
