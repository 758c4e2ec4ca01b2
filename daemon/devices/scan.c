// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "kernel-version.h"
#include "kmod-adapter.h"
#include "liveupdate.h"
#include "log.h"
#include "mountinfo.h"
#include "scan.h"
#include "storage.h"
#include "udev-adapter.h"

int inventory_scan(const struct scan_options *o, struct inventory **ret)
{
	_cleanup_(inventory_freep) struct inventory *inv = inventory_new();
	_cleanup_(mountinfo_freep) struct mountinfo *mi = NULL;
	const char *sysfs = o->sysfs ? o->sysfs : "/sys";
	struct utsname u;
	int r;

	if (!inv)
		return log_oom();
	if (uname(&u) < 0)
		return log_error_errno(errno, "uname() failed: %m");
	inv->live = true;
	inv->source = strdup(u.nodename);
	inv->kernel_release = strdup(u.release);
	if (!inv->source || !inv->kernel_release)
		return log_oom();
	/* Unreadable or silent: the release is the version. */
	inv->kernel_upstream = kernel_upstream_read(o->proc ? o->proc : "/proc", u.release);

	r = udev_scan(sysfs, inv);
	if (r < 0)
		return r;
	r = kmod_annotate(o->moddir, inv);
	if (r < 0)
		return r;
	r = inventory_link(inv);
	if (r < 0)
		return r;
	r = udev_scan_bound_below(sysfs, inv);
	if (r < 0)
		return r;
	/* Unreadable mounts fail the scan: a plan must not unbind what it cannot see. */
	r = mountinfo_read(o->mountinfo ? o->mountinfo : "/proc/self/mountinfo", &mi);
	if (r < 0)
		return r;
	r = storage_attach_mounts(sysfs, mi, inv);
	if (r < 0)
		return r;
	/* Unreadable sessions fail it too: a plan must not unbind what a live update keeps. */
	r = liveupdate_sessions(sysfs, o->proc, &inv->liveupdate_sessions);
	if (r < 0)
		return r;
	(void)liveupdate_mark(inv, inv->liveupdate_sessions);
	*ret = TAKE_PTR(inv);
	return 0;
}
