/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * May root act on what a file says?  Only if nobody but root could have
 * written it: the file and every directory on the way to it are owned by
 * root and writable by no other user or group (root's group excepted).
 * A directory that others may write is acceptable on the way only with
 * the sticky bit (/tmp): there, nobody else can replace root's entries.
 * Checks run on open descriptors, so a path swapped after the check does
 * not count.
 */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

/*
 * Why st (of a file, a symlink or the last directory) is not trusted, or
 * NULL.  The result is a static string, e.g. "owned by uid 1000".
 */
const char *trust_problem(const struct stat *st, char *buf, size_t size);

/*
 * Walk from directory dirfd up to the root through "..", checking each
 * directory.  Returns 0 and *ret_problem NULL when trusted, 0 and a
 * malloc'd message naming the directory when not, or -errno.
 */
int trust_check_dir_chain(int dirfd, char **ret_problem);

/*
 * For a file opened through a symlink: check the directories of where it
 * really lives (its resolved path) and that the file there is still fd.
 */
int trust_check_fd_location(int fd, char **ret_problem);

/*
 * Open the directory root keeps its state in (the run directory,
 * /run/kexecq: the journal, the frozen plan), creating it 0700 when create
 * is set and it is missing.  A symlink, or anything but a directory, is
 * refused.  As root it must also be owned by root and writable by nobody
 * else: no group or other write bit at all (root's group and a sticky bit
 * do not help here: others could add entries), so 0700 or 0755; and the
 * directories above it must pass trust_check_dir_chain().  Returns an
 * O_DIRECTORY descriptor, or -errno with *ret_problem a malloc'd message
 * naming path (-EPERM: refused for its owner or mode).
 */
int trust_open_run_dir(const char *path, bool create, char **ret_problem);
