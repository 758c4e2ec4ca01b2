// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "trust.h"

const char *trust_problem(const struct stat *st, char *buf, size_t size)
{
	unsigned mode = (unsigned)(st->st_mode & 07777);
	bool sticky_dir = S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX);

	if (st->st_uid != 0)
		snprintf(buf, size, "owned by uid %u, not root", (unsigned)st->st_uid);
	else if (S_ISLNK(st->st_mode))
		return NULL; /* a symlink's mode means nothing */
	else if ((st->st_mode & S_IWOTH) && !sticky_dir)
		snprintf(buf, size, "writable by every user (mode %04o)", mode);
	else if ((st->st_mode & S_IWGRP) && st->st_gid != 0 && !sticky_dir)
		snprintf(buf, size, "writable by group %u (mode %04o)", (unsigned)st->st_gid, mode);
	else
		return NULL;
	return buf;
}

/* The path of an open descriptor, for messages and for re-opening. */
static char *fd_path(int fd)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return NULL;
	target[n] = 0;
	return strdup(target);
}

int trust_check_dir_chain(int dirfd, char **ret_problem)
{
	_cleanup_close_ int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	char buf[128];

	*ret_problem = NULL;
	if (fd < 0)
		return -errno;
	/* Bounded: no path has more components than PATH_MAX / 2. */
	for (unsigned depth = 0; depth < PATH_MAX / 2; depth++) {
		struct stat st, up;
		const char *why;
		int parent;

		if (fstat(fd, &st) < 0)
			return -errno;
		why = trust_problem(&st, buf, sizeof(buf));
		if (why) {
			_cleanup_free_ char *path = fd_path(fd);

			if (asprintf(ret_problem, "directory %s is %s", path ? path : "(unknown)",
				     why) < 0)
				return -ENOMEM;
			return 0;
		}
		parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0)
			return -errno;
		if (fstat(parent, &up) < 0) {
			int r = -errno;

			close(parent);
			return r;
		}
		close(fd);
		fd = parent;
		if (up.st_dev == st.st_dev && up.st_ino == st.st_ino)
			return 0; /* "/" is its own parent */
	}
	return -ELOOP;
}

int trust_check_fd_location(int fd, char **ret_problem)
{
	_cleanup_free_ char *path = fd_path(fd), *dcopy = NULL, *bcopy = NULL;
	_cleanup_close_ int dfd = -EBADF, again = -EBADF;
	struct stat a, b;
	int r;

	*ret_problem = NULL;
	if (!path || path[0] != '/')
		return asprintf(ret_problem, "cannot tell where it lives") < 0 ? -ENOMEM : 0;
	dcopy = strdup(path);
	bcopy = strdup(path);
	if (!dcopy || !bcopy)
		return -ENOMEM;
	dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	r = trust_check_dir_chain(dfd, ret_problem);
	if (r < 0 || *ret_problem)
		return r;
	again = openat(dfd, basename(bcopy),
		       O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (again < 0 || fstat(again, &a) < 0 || fstat(fd, &b) < 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino)
		return asprintf(ret_problem, "%s changed while it was checked", path) < 0 ?
			       -ENOMEM :
			       0;
	return 0;
}

/* *ret = the message; returns r (or -ENOMEM). */
_printf_(3, 4) static int problem(char **ret, int r, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (k < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return r;
}

int trust_open_run_dir(const char *path, bool create, char **ret_problem)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *chain = NULL;
	const char *why = NULL;
	struct stat st;
	char buf[128];
	int r;

	*ret_problem = NULL;
	if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
		return problem(ret_problem, -errno, "Cannot create the run directory %s: %m", path);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if ((r == -ELOOP || r == -ENOTDIR) && lstat(path, &st) == 0) {
			why = S_ISLNK(st.st_mode) ? "a symlink" : "not a directory";
			r = S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
		}
		if (why)
			return problem(ret_problem, r,
				       "Refusing the run directory %s: it is %s; it must be a "
				       "directory of its own",
				       path, why);
		return problem(ret_problem, r, "Cannot open the run directory %s: %s", path,
			       strerror(-r));
	}
	if (geteuid() != 0)
		return TAKE_FD(fd);
	if (fstat(fd, &st) < 0)
		return problem(ret_problem, -errno, "Cannot stat the run directory %s: %m", path);
	why = trust_problem(&st, buf, sizeof(buf));
	if (!why && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(buf, sizeof(buf), "writable by %s (mode %04o)",
			 st.st_mode & S_IWOTH ? "every user" : "its group",
			 (unsigned)(st.st_mode & 07777));
		why = buf;
	}
	if (why)
		return problem(ret_problem, -EPERM,
			       "Refusing the run directory %s: it is %s; it must be root's and "
			       "writable by root alone (mode 0700)",
			       path, why);
	r = trust_check_dir_chain(fd, &chain);
	if (r < 0)
		return problem(ret_problem, r, "Cannot check the directories above %s: %s", path,
			       strerror(-r));
	if (chain)
		return problem(ret_problem, -EPERM, "Refusing the run directory %s: %s", path,
			       chain);
	return TAKE_FD(fd);
}
