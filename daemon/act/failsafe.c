// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "failsafe.h"
#include "journal.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"

#define POLL_USEC 50000ULL

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static void sleep_usec(uint64_t usec)
{
	struct timespec ts = { .tv_sec = (time_t)(usec / 1000000ULL),
			       .tv_nsec = (long)(usec % 1000000ULL) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int sysrq(const struct failsafe *f, char c)
{
	_cleanup_close_ int fd = open(f->sysrq, O_WRONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (write(fd, &c, 1) != 1)
		return -errno;
	return 0;
}

/* mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *p)
{
	char *w = p;

	for (; *p; p++, w++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*w = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else
			*w = *p;
	}
	*w = 0;
}

/*
 * File systems on block devices still mounted read-write, from mountinfo:
 * "36 35 98:0 / /mnt rw,noatime master:1 - ext2 /dev/nvme0n1 rw,errors=continue".
 * The super block's options (the last field) tell whether the file system
 * is read-only; the mount's own flags do not change on a remount of the
 * super block.  A file system on a block device has a major number other
 * than 0, or is btrfs (which reports an anonymous 0:N) with a source in
 * /dev; the source of other device-less ones (FUSE) is their mounter's.
 * Returns the count, or -errno; each mount point goes to fn when given.
 */
static int count_rw(const struct failsafe *f, void (*fn)(const char *point), char *first,
		    size_t first_size)
{
	_cleanup_fclose_ FILE *m = fopen(f->mountinfo, "re");
	char line[4096];
	int n = 0;

	if (!m)
		return -errno;
	while (fgets(line, sizeof(line), m)) {
		unsigned major, minor;
		char point[1024], type[64], source[1024], super[1024], *dash;

		if (sscanf(line, "%*u %*u %u:%u %*s %1023s", &major, &minor, point) != 3)
			continue;
		dash = strstr(line, " - ");
		if (!dash || sscanf(dash, " - %63s %1023s %1023s", type, source, super) != 3)
			continue;
		if ((major == 0 && !(streq(type, "btrfs") && startswith(source, "/dev/"))) ||
		    !startswith(super, "rw"))
			continue;
		unescape(point);
		if (n++ == 0 && first) {
			/* For the log: a mount point may hold any byte but NUL. */
			_cleanup_free_ char *shown = cescape(point);

			snprintf(first, first_size, "%s", strna(shown));
		}
		if (fn)
			fn(point);
	}
	return n;
}

/* Start fn(arg) on a detached thread with every signal blocked. */
static int detached(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int r;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = -pthread_create(&t, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return r;
}

static atomic_bool sync_done;

static void *sync_thread(void *p)
{
	(void)p;
	sync();
	atomic_store(&sync_done, true);
	return NULL;
}

int failsafe_sync(uint64_t budget_usec)
{
	uint64_t until = now_usec() + budget_usec;

	atomic_store(&sync_done, false);
	if (detached(sync_thread, NULL) < 0) {
		sync();
		return 0;
	}
	while (!atomic_load(&sync_done) && now_usec() < until)
		sleep_usec(POLL_USEC / 5);
	return atomic_load(&sync_done) ? 0 : -ETIMEDOUT;
}

/* A read-only remount of one mount point; blocked on its file system, it blocks only itself. */
static void *remount_thread(void *p)
{
	char *point = p;

	(void)mount(NULL, point, NULL, MS_REMOUNT | MS_RDONLY, NULL);
	free(point);
	return NULL;
}

static void remount_one(const char *point)
{
	char *copy = strdup(point);

	if (copy && detached(remount_thread, copy) < 0)
		free(copy);
}

int failsafe_filesystems(const struct failsafe *f, uint64_t budget_usec)
{
	uint64_t t0 = now_usec(), until = t0 + budget_usec;
	char first[1024] = "";
	int r, n;

	/* sync() may block on the stuck device's queue: on a thread of its own, bounded. */
	r = failsafe_sync(budget_usec / 2);
	n = count_rw(f, NULL, first, sizeof(first));
	journal_log(f->journal, LOG_CRIT, "file systems: sync %s; %d read-write%s",
		    r < 0 ? "still running (left behind)" : "done", n < 0 ? 0 : n,
		    n > 0 ? ", remounting read-only" : "");
	if (n <= 0)
		return n;

	/*
	 * The kernel's emergency remount forces every super block on a block
	 * device read-only (SB_FORCE: open files do not stop it), one after
	 * another on a kernel worker, which a file system stuck on the stuck
	 * device would hold up; a remount of each mount point on a thread of
	 * its own covers the others.  Wait for mountinfo to show the result.
	 */
	r = sysrq(f, 'u');
	if (r < 0)
		journal_log(f->journal, LOG_CRIT, "cannot ask for the emergency remount (%s): %s",
			    f->sysrq, strerror(-r));
	if (f->remount)
		(void)count_rw(f, remount_one, NULL, 0);
	while ((n = count_rw(f, NULL, first, sizeof(first))) > 0 && now_usec() < until)
		sleep_usec(POLL_USEC);
	if (n > 0)
		journal_log(f->journal, LOG_CRIT,
			    "%d file system%s still read-write (%s) after %.1f s", n,
			    n == 1 ? "" : "s", first, (double)(now_usec() - t0) / 1e6);
	else if (n == 0)
		journal_log(f->journal, LOG_CRIT, "file systems read-only after %.1f s",
			    (double)(now_usec() - t0) / 1e6);
	return n;
}

int failsafe_restart(const struct failsafe *f)
{
	int r = sysrq(f, 'b');

	/* Still here: no sysrq (CONFIG_MAGIC_SYSRQ=n), or it did not restart. */
	journal_log(f->journal, LOG_CRIT, "restart through %s failed: %s", f->sysrq,
		    r < 0 ? strerror(-r) : "the machine is still running");
	return r < 0 ? r : -EIO;
}

int watchdog_arm(const char *device, unsigned timeout_sec, char **ret_error)
{
	int fd, t = (int)timeout_sec, r;

	fd = open(device, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (asprintf(ret_error, "cannot open %s: %s", device, strerror(-r)) < 0)
			*ret_error = NULL;
		return r;
	}
	if (ioctl(fd, WDIOC_SETTIMEOUT, &t) < 0 || ioctl(fd, WDIOC_KEEPALIVE, 0) < 0) {
		r = -errno;
		if (asprintf(ret_error, "cannot set %s to %u s: %s", device, timeout_sec,
			     strerror(-r)) < 0)
			*ret_error = NULL;
		/* The magic close stops it again (unless nowayout): no reset we did not ask for. */
		(void)!write(fd, "V", 1);
		close(fd);
		return r;
	}
	if ((unsigned)t != timeout_sec)
		log_notice("%s: the watchdog took a timeout of %d s, not %u s.", device, t,
			   timeout_sec);
	return fd;
}
