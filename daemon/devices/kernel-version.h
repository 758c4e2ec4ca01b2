/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which upstream Linux the running kernel is, for KernelVersion= and for
 * picking the table of PCI drivers.  The release (uname -r) says it on
 * mainline and on most distributions (6.12.57+deb13-amd64), but not on
 * every one: Debian 12 names its kernels by ABI (6.1.0-57-amd64, which is
 * Linux 6.1.192) and Ubuntu by its own numbering (5.15.0-91-generic, Linux
 * 5.15.131).  Both say the upstream version elsewhere: Debian at the end of
 * /proc/version ("#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-26)",
 * uname -v), Ubuntu in /proc/version_signature ("Ubuntu 5.15.0-91.101-generic
 * 5.15.131").
 */
#pragma once

#include <stdbool.h>

/*
 * The upstream version of the kernel whose release (uname -r) is release,
 * from the contents of /proc/version and /proc/version_signature (either
 * may be NULL): "6.1.192" for 6.1.0-57-amd64.  NULL when neither names
 * one, when /proc/version is not that release's, when the release says the
 * version already (6.12.57+deb13-amd64), and when what they name is not a
 * plain version of the release's series (kernel_upstream_valid()): the
 * release is then the version.  Only Debian's and Ubuntu's own kernels are
 * recognised.  Pure.
 */
char *kernel_upstream_version(const char *release, const char *proc_version,
			      const char *version_signature);

/*
 * upstream is a plain version ("6.1.192": digits and dots, two or more
 * numbers) of release's series (the same first two numbers); release is
 * not NULL.  For snapshots, whose kernel.upstream is input.
 */
bool kernel_upstream_valid(const char *release, const char *upstream);

/* The release begins with upstream: it says the version itself. */
bool kernel_release_says(const char *release, const char *upstream);

/* kernel_upstream_version() from <proc>/version and <proc>/version_signature. */
char *kernel_upstream_read(const char *proc, const char *release);
