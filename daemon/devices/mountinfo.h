/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /proc/<pid>/mountinfo (proc(5)), read bounded from a path the caller
 * chooses ("/proc/self/mountinfo" in production, a file in tests):
 *
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *
 * The kernel escapes space, tab, newline and backslash in paths as \040,
 * \011, \012 and \134; they are decoded.  The input is treated as hostile
 * (a test or a crafted file): a line that does not parse is an error that
 * names the file and the line, never a mount silently dropped, since a
 * dropped mount would be unbound under.  Pure but for mountinfo_read().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

#define MOUNTINFO_FILE_MAX (16U * 1024U * 1024U)
#define MOUNTINFO_LINE_MAX (64U * 1024U)
#define MOUNTINFO_ENTRIES_MAX (256U * 1024U)

struct mountinfo_entry {
	unsigned id, parent_id;
	unsigned major, minor;
	char *root; /* of the mount within its file system */
	char *mount_point;
	char *fstype; /* "ext4", "fuse.sshfs" */
	char *source; /* "/dev/sda1", "none" */
	bool read_only; /* of the super block ("ro" in the super options) */
	bool mount_read_only; /* of this mount ("ro" in the mount options) */
};

struct mountinfo {
	struct mountinfo_entry *entries; /* in the file's order: parents before children */
	size_t n;
};

struct mountinfo *mountinfo_free(struct mountinfo *mi);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct mountinfo *, mountinfo_free)

/* Parse size bytes of buf; errors name path and line: "x:3: no separator". */
int mountinfo_parse(const char *path, const char *buf, size_t size, struct mountinfo **ret);
/* Read and parse the file at path (a regular file, at most MOUNTINFO_FILE_MAX). */
int mountinfo_read(const char *path, struct mountinfo **ret);

/*
 * Decode the kernel's octal escapes (\ooo, 001..377) in s[0..n).  A
 * backslash not followed by three octal digits stays as it is; \000 is
 * refused (-EINVAL), as a path cannot hold NUL.
 */
int mountinfo_unescape(const char *s, size_t n, char **ret);
