/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The only file that talks to libudev.  Enumerates PCI functions and what
 * hangs below them into an inventory.  libudev reads /sys itself (it has no
 * prefix), so tests run it under umockdev's testbed; sysfs is the root for
 * the few files read directly (PCI slots, physfn links, kexec_method and
 * kexec_action, the drivers' links to their devices).
 */
#pragma once

#include "inventory.h"

int udev_scan(const char *sysfs, struct inventory *inv);

/*
 * For each PCI function of a linked inventory, the first device below it
 * (not a PCI function, and not through one) bound to a driver: every
 * <sysfs>/bus/<bus>/drivers/<driver>/<device> link but the pci bus's,
 * whatever the bus (scsi, usb, virtio...), into device->bound_below and
 * bound_below_driver.  What cannot be read is skipped, at debug level.
 */
int udev_scan_bound_below(const char *sysfs, struct inventory *inv);

/*
 * Device events, for kexecqd's live inventory: a netlink monitor of the
 * subsystems the inventory holds (pci, scsi, nvme, block, net).  udevd's
 * events when udevd runs (they come after its rules), else the kernel's.
 * Its socket buffer is made large; a reader that falls behind anyway sees
 * -ENOBUFS from udev_events_read(), which means events were lost and only
 * a rescan can tell what changed.
 */
struct udev_events;
int udev_events_open(struct udev_events **ret);
struct udev_events *udev_events_close(struct udev_events *e);
int udev_events_fd(const struct udev_events *e);
/*
 * The next event, or 0 when none is waiting.  *ret_action ("add",
 * "remove", "bind", "unbind", "change", "move") and *ret_syspath are
 * malloc'd.  -ENOBUFS: events were lost.
 */
int udev_events_read(struct udev_events *e, char **ret_action, char **ret_syspath);
