/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live update (Linux 6.19+, kernel/liveupdate/): which functions a live
 * update keeps running across the kexec.  The kernel lists neither its
 * sessions nor what they preserve (no sysfs, the RFC's was dropped), so
 * this is read conservatively:
 *
 *   - /sys/class/misc/liveupdate missing: live update is off, nothing is
 *     preserved;
 *   - otherwise each open session is an fd whose link reads
 *     "anon_inode:[luo_session] NAME" in some process's /proc/PID/fd
 *     (luo_session_getfile()), held by the agent or handed to another
 *     process (systemd's fd store);
 *   - while any session is open, every function bound to vfio-pci (or a
 *     variant) and enabled (its `enable` count above zero: vfio-pci
 *     enables it while userspace has it open, and a preserved file keeps
 *     it open) is taken as preserved.  Devices are preserved through vfio
 *     cdev fds (the vfio live update series), which the agent may close
 *     after preserving them, so the fds it holds would only be a lower
 *     bound.  A session may preserve no device at all (only memory): the
 *     guess errs towards leaving a device alone, and `kexecq check` says
 *     it is a guess.
 */
#pragma once

#include "inventory.h"

/* The open sessions, one "pid 812 (luod): session vm-7" each; none: NULL. */
int liveupdate_sessions(const char *sysfs, const char *proc, char ***ret);

/*
 * Mark the functions taken as preserved (device.liveupdate_preserved):
 * with sessions open, the enabled functions of vfio drivers.
 * Returns how many were marked.
 */
size_t liveupdate_mark(struct inventory *inv, char **sessions);
