/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Watching the files that decide the next reboot (kexecqd, kexec by
 * default): the boot loader's entries and kernel links, the policy
 * directories, the settings.  One callback, after the changes settle.
 *
 * A watched path that does not exist (yet) is watched through its nearest
 * existing parent, for the one name on the way down; whenever something
 * changes the watches are set up again, so a directory created later
 * (mkdir /etc/kexecq/policy.d) is then watched itself.  inotify sees
 * changes made through this mount namespace's view of the files, which is
 * what kexec would load.
 */
#pragma once

#include <systemd/sd-event.h>

#include "macro.h"

struct file_watch;

struct file_watch_path {
	const char *path;
	/* NULL: every name in path; else only names starting with one of these. */
	const char *const *prefixes;
};

typedef void (*file_watch_fn)(void *userdata);

/*
 * Watch paths (an array ending with a NULL path; copied) and call fn once
 * settle_usec after the last change.  Returns 0 or -errno.
 */
int file_watch_new(sd_event *e, const struct file_watch_path *paths, uint64_t settle_usec,
		   file_watch_fn fn, void *userdata, struct file_watch **ret);
struct file_watch *file_watch_free(struct file_watch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct file_watch *, file_watch_free)

/* How many inotify watches are set (tests, status). */
size_t file_watch_count(const struct file_watch *w);
