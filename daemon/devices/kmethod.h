/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kexec method and action of a PCI device: kernel ABI of the kexecq
 * series, v3 (Documentation/ABI/testing/sysfs-bus-pci).  Both exist only
 * with CONFIG_KEXEC_CORE; a kernel without the series has neither.
 *
 *   /sys/bus/pci/devices/<BDF>/kexec_method  "[shutdown] remove" or
 *       "shutdown [remove]": what the PCI core does to the device's driver
 *       on kexec, the current choice bracketed.  Until root writes one it
 *       is the bound driver's own (struct pci_driver.kexec_remove); root
 *       writes "shutdown" or "remove", and writing the bracketed word back
 *       keeps the state.  Forgotten when the driver is unbound.  Writing
 *       "remove" fails with ENODEV when no driver is bound, EOPNOTSUPP when
 *       the driver can never be released on kexec (no ->remove(),
 *       driver_managed_dma such as vfio-pci, suppress_bind_attrs, a
 *       bridge); any write with EBUSY once the system is shutting down.
 *   /sys/bus/pci/devices/<BDF>/kexec_action  "remove", "shutdown" or
 *       "clear-master", read-only: what a kexec would do to the device now,
 *       the vetoes that come and go included (a device below or a
 *       device-link consumer bound, SR-IOV VFs enabled), so a device marked
 *       remove may read "shutdown".  Bus mastering is cleared in all three.
 *
 * v2 of the series had a per-driver kexec_method (default, auto, shutdown
 * or remove), a global one and kexec_action "nothing"; its values are
 * recognised only to say so in errors.
 *
 * Shared by the inventory (what the kernel says), snapshots and the
 * policies (what an administrator asks for).
 */
#pragma once

#include <stdbool.h>

#include "macro.h"

enum kernel_method {
	KMETHOD_UNSET = -1, /* not known: a kernel without the series */
	KMETHOD_SHUTDOWN, /* the driver's ->shutdown(), as on reboot */
	KMETHOD_REMOVE, /* release the driver (->remove()) in the shutdown walk */
	_KMETHOD_MAX,
};

enum kexec_action {
	KACTION_UNKNOWN = -1, /* a kernel without the series */
	KACTION_CLEAR_MASTER, /* no driver callback: left running, bus mastering off */
	KACTION_SHUTDOWN,
	KACTION_REMOVE, /* the driver is released at the device's turn in the walk */
	_KACTION_MAX,
};

const char *kernel_method_to_string(enum kernel_method m) _pure_;
/* Returns the method ("shutdown", "remove"), or -EINVAL. */
int kernel_method_from_string(const char *s) _pure_;
/*
 * The bracketed word of a kexec_method read: "[shutdown] remove" or
 * "shutdown [remove]" (blanks and a trailing newline allowed).  Every word
 * must be a method, none twice, and exactly one bracketed; anything else,
 * v2's four-word read of a driver included, is -EINVAL.
 */
int kernel_method_from_sysfs(const char *s) _pure_;
/* "auto" and "default": kexec_method values of the series' v2, gone in v3. */
bool kernel_method_is_v2(const char *s) _pure_;

const char *kexec_action_to_string(enum kexec_action a) _pure_;
/* "remove", "shutdown" or "clear-master", or -EINVAL. */
int kexec_action_from_string(const char *s) _pure_;
/* "nothing": v2's name for what v3 calls clear-master. */
bool kexec_action_is_v2(const char *s) _pure_;
