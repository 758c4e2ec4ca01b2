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

/*
 * The upstream version from the contents of /proc/version and
 * /proc/version_signature (either may be NULL): "6.1.192", or NULL when
 * neither names one (the release is then the version).  Pure.
 */
char *kernel_upstream_version(const char *proc_version, const char *version_signature);

/* The same, read from <proc>/version and <proc>/version_signature; NULL on any error. */
char *kernel_upstream_read(const char *proc);
