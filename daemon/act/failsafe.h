/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The last resort, for when a driver is still stuck in the kernel at the
 * point of no return.  A kexec (and a normal reboot) would run the
 * kernel's device_shutdown(), which takes every device's lock, so it would
 * wait forever on the lock the stuck ->remove() holds.  What is left:
 * make the file systems safe (sync, then the kernel's emergency remount
 * read-only), and restart through the firmware with sysrq 'b', which calls
 * emergency_restart() and skips device_shutdown(); the firmware resets the
 * devices.  Every wait here is bounded: a sync that blocks on the stuck
 * device is left behind.
 *
 * And the hardware's help across a jump: a watchdog armed before the kexec
 * resets the machine if the next kernel hangs before it takes the watchdog
 * over (as systemd's KExecWatchdogSec= does).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct journal;

struct failsafe {
	const char *sysrq; /* "/proc/sysrq-trigger" */
	const char *mountinfo; /* "/proc/self/mountinfo" */
	struct journal *journal; /* where to say what is done; may be NULL */
	bool remount; /* also remount each mount point read-only (not in tests) */
};

/* sync() on a thread of its own, waited for at most budget_usec: 0 or -ETIMEDOUT. */
int failsafe_sync(uint64_t budget_usec);

/*
 * Sync and remount every file system on a block device read-only, within
 * budget_usec.  Returns how many are still mounted read-write (0: safe),
 * or -errno when mountinfo cannot be read.
 */
int failsafe_filesystems(const struct failsafe *f, uint64_t budget_usec);

/* Restart through the firmware now, without device shutdown.  Returns only on failure. */
int failsafe_restart(const struct failsafe *f);

/*
 * Arm the hardware watchdog `device` with `timeout_sec` and keep it open
 * (without the magic close), so that it keeps counting across the jump.
 * Returns the descriptor (leave it open), or -errno with *ret_error.
 * Many drivers stop their watchdog from a reboot notifier, which a kexec
 * runs too (WDOG_STOP_ON_REBOOT; i6300esb does): boot with
 * watchdog.stop_on_reboot=0 for it to survive the jump.
 */
int watchdog_arm(const char *device, unsigned timeout_sec, char **ret_error);
