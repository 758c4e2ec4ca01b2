// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "sysfs.h"

int sysfs_read(const char *root, const char *rel, char **ret)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -EBADF;
	char buf[4096];
	struct stat st;
	ssize_t n;
	char *r;

	if (asprintf(&path, "%s/%s", root, rel) < 0)
		return -ENOMEM;
	/* Not blocking on a FIFO planted under a --sysfs or --proc root. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = 0;
	r = strdup(buf);
	if (!r)
		return -ENOMEM;
	*ret = r;
	return 0;
}

int sysfs_read_link_name(const char *root, const char *rel, char **ret)
{
	_cleanup_free_ char *path = NULL;
	char target[4096];
	const char *base;
	ssize_t n;
	char *r;

	if (asprintf(&path, "%s/%s", root, rel) < 0)
		return -ENOMEM;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	base = strrchr(target, '/');
	r = strdup(base ? base + 1 : target);
	if (!r)
		return -ENOMEM;
	*ret = r;
	return 0;
}

int sysfs_exists(const char *root, const char *rel)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;

	if (asprintf(&path, "%s/%s", root, rel) < 0)
		return -ENOMEM;
	if (stat(path, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	return 1;
}
