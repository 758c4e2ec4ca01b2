/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The only file that talks to libkmod: which module provides a driver,
 * whether it is built in, and which module an unbound device would load.
 */
#pragma once

#include "inventory.h"

/*
 * Fill module and module_builtin for each PCI function.  moddir is the
 * modules directory (NULL: /lib/modules/$(uname -r)).  Missing module
 * indexes are not an error: unbound devices then stay without a module.
 */
int kmod_annotate(const char *moddir, struct inventory *inv);

/*
 * Remove module name (as rmmod does, without waiting: -EBUSY/-EAGAIN when
 * it is in use).  -ENOENT when it is not loaded.  Thread-safe: each call
 * has its own libkmod context.
 */
int kmod_unload(const char *moddir, const char *name);

/* Load module name and what it depends on (modprobe name); 0 if loaded. */
int kmod_load(const char *moddir, const char *name);

/* How many references module name has now, or -errno. */
int kmod_refcount(const char *moddir, const char *name);
