/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's kexec method of a PCI driver: kernel ABI of the kexecq
 * series (/sys/bus/pci/drivers/<drv>/kexec_method, pci.kexec_method=).
 * Shared by the inventory (what the kernel says) and the policies (what
 * an administrator asks for).
 */
#pragma once

#include "macro.h"

enum kernel_method {
	KMETHOD_UNSET = -1,
	KMETHOD_AUTO,
	KMETHOD_SHUTDOWN,
	KMETHOD_REMOVE,
	_KMETHOD_MAX,
};

const char *kernel_method_to_string(enum kernel_method m) _pure_;
/* Returns the method, or -EINVAL. */
int kernel_method_from_string(const char *s) _pure_;
