// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liveupdate.h"
#include "log.h"
#include "string-util.h"
#include "strv.h"

#define SESSION_PREFIX "anon_inode:[luo_session]"

static bool is_pid(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The process name from /proc/PID/comm, escaped; "?" when gone. */
static char *comm_of(int pfd)
{
	char buf[64] = "";
	int fd = openat(pfd, "comm", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return strdup("?");
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return cescape(buf);
}

static int scan_process(int procfd, const char *pid, char ***sessions)
{
	_cleanup_close_ int pfd = -EBADF;
	_cleanup_free_ char *comm = NULL;
	DIR *d;
	struct dirent *de;
	int dfd, r = 0;

	pfd = openat(procfd, pid, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return 0; /* exited */
	dfd = openat(pfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0; /* exited, or a kernel thread */
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	while ((de = readdir(d)) && r >= 0) {
		char target[PATH_MAX];
		ssize_t n;
		_cleanup_free_ char *name = NULL;
		char *line;

		if (!is_pid(de->d_name))
			continue;
		n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (!startswith(target, SESSION_PREFIX))
			continue;
		if (!comm && !(comm = comm_of(pfd))) {
			r = -ENOMEM;
			break;
		}
		name = cescape(target[strlen(SESSION_PREFIX)] == ' ' ?
				       target + strlen(SESSION_PREFIX) + 1 :
				       target + strlen(SESSION_PREFIX));
		if (!name || asprintf(&line, "pid %s (%s): session %s", pid, comm, name) < 0) {
			r = -ENOMEM;
			break;
		}
		r = strv_consume(sessions, line);
	}
	closedir(d);
	return r;
}

int liveupdate_sessions(const char *sysfs, const char *proc, char ***ret)
{
	_cleanup_strv_free_ char **sessions = NULL;
	_cleanup_free_ char *misc = NULL;
	_cleanup_close_ int procfd = -EBADF;
	DIR *d;
	struct dirent *de;
	int r = 0;

	*ret = NULL;
	if (asprintf(&misc, "%s/class/misc/liveupdate", sysfs ? sysfs : "/sys") < 0)
		return log_oom();
	if (access(misc, F_OK) < 0)
		return 0; /* no live update in this kernel, or not enabled */
	procfd = open(proc ? proc : "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return log_error_errno(errno, "%s: cannot open: %m", proc ? proc : "/proc");
	d = fdopendir(procfd);
	if (!d)
		return log_oom();
	procfd = -EBADF; /* owned by d */
	while ((de = readdir(d)) && r >= 0)
		if (is_pid(de->d_name))
			r = scan_process(dirfd(d), de->d_name, &sessions);
	closedir(d);
	if (r < 0)
		return log_error_errno(r, "Cannot look for live update sessions: %m");
	*ret = TAKE_PTR(sessions);
	return 0;
}

size_t liveupdate_mark(struct inventory *inv, char **sessions)
{
	size_t n = 0;

	if (!sessions || !sessions[0])
		return 0;
	for (size_t i = 0; i < inv->n; i++) {
		struct device *d = inv->devices[i];

		if (d->kind == DEVICE_PCI && d->enable_count > 0 && driver_is_vfio(d->driver)) {
			d->liveupdate_preserved = true;
			n++;
		}
	}
	return n;
}
