/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kexec method and action of a PCI driver: kernel ABI of the kexecq
 * series (Documentation/ABI/testing/sysfs-bus-pci).
 *
 *   /sys/bus/pci/drivers/<drv>/kexec_method  "[default] auto shutdown remove":
 *       the driver's own choice, bracketed; "default" follows
 *       /sys/module/pci/parameters/kexec_method (auto, shutdown or remove)
 *   /sys/bus/pci/drivers/<drv>/kexec_action  "remove", "shutdown" or "nothing":
 *       what a kexec would do to the driver's devices now
 *
 * Shared by the inventory (what the kernel says) and the policies (what
 * an administrator asks for).
 */
#pragma once

#include "macro.h"

enum kernel_method {
	KMETHOD_UNSET = -1, /* not known: a kernel without the series */
	KMETHOD_AUTO,
	KMETHOD_SHUTDOWN,
	KMETHOD_REMOVE,
	KMETHOD_DEFAULT, /* a driver's: follow the global method */
	_KMETHOD_MAX,
};

enum kexec_action {
	KACTION_UNKNOWN = -1, /* a kernel without the series */
	KACTION_NOTHING, /* left running: no ->shutdown(), not unbound */
	KACTION_SHUTDOWN,
	KACTION_REMOVE, /* unbound before the devices are shut down */
	_KACTION_MAX,
};

const char *kernel_method_to_string(enum kernel_method m) _pure_;
/* Returns the method, or -EINVAL. */
int kernel_method_from_string(const char *s) _pure_;
/* The bracketed word of a kexec_method read ("[default] auto ..."), or -EINVAL. */
int kernel_method_from_sysfs(const char *s);

const char *kexec_action_to_string(enum kexec_action a) _pure_;
int kexec_action_from_string(const char *s) _pure_;
