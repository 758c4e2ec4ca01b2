// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "kmod-adapter.h"
#include "log.h"
#include "mountinfo.h"
#include "netlink-adapter.h"
#include "string-util.h"
#include "strv.h"
#include "sysfs.h"

/* ---- the one sysfs writer ------------------------------------------------ */

/*
 * Write value to <root>/<rel> in one write(), as the kernel wants it.
 * O_TRUNC as a shell's echo has it: sysfs ignores it, and a plain file of
 * a test tree then holds just the value.
 */
static int sysfs_write(const struct action_env *env, const char *rel, const char *value)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t len = strlen(value);
	ssize_t n;

	if (asprintf(&path, "%s/%s", env->sysfs, rel) < 0)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	if (env->written)
		env->written(env, rel, value);
	return 0;
}

static int set_message(char **ret, const char *fmt, ...) _printf_(2, 3);
static int set_message(char **ret, const char *fmt, ...)
{
	va_list ap;
	int r;

	free(*ret);
	*ret = NULL;
	va_start(ap, fmt);
	r = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (r < 0)
		*ret = NULL;
	return 0;
}

/* The driver device name is bound to now: 0 and a name, -ENOENT if unbound. */
static int bound_driver(const struct action *a, char **ret)
{
	_cleanup_free_ char *rel = NULL;

	if (asprintf(&rel, "bus/pci/devices/%s/driver", a->object) < 0)
		return -ENOMEM;
	return sysfs_read_link_name(a->env->sysfs, rel, ret);
}

/* ---- flush-cache ----------------------------------------------------------- */

/*
 * fsync() of the whole-disk node: blkdev_fsync() writes back the device's
 * own dirty pages and then blkdev_issue_flush(), a REQ_PREFLUSH request
 * that the block layer orders behind the writes already queued and that
 * each driver turns into its transport's command (SCSI SYNCHRONIZE CACHE,
 * NVMe Flush, ATA FLUSH CACHE, virtio-blk FLUSH).  SG_IO or the NVMe
 * passthrough ioctl would each cover one transport and bypass that
 * ordering.  The node is checked against sysfs' dev first, so that a
 * reused name never flushes (or blocks on) another disk.
 */
static int do_flush(struct action *a, char **msg)
{
	_cleanup_free_ char *rel = NULL, *dev = NULL;
	_cleanup_close_ int fd = -EBADF;
	unsigned maj, min;
	struct stat st;
	int r;

	if (!a->devnode)
		return set_message(msg, "no device node known for %s", a->object), -ENOENT;
	if (asprintf(&rel, "class/block/%s/dev", a->object) < 0)
		return -ENOMEM;
	if (sysfs_read(a->env->sysfs, rel, &dev) < 0 || sscanf(dev, "%u:%u", &maj, &min) != 2)
		return set_message(msg, "%s is gone", a->object), -ENODEV;
	fd = open(a->devnode, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		return set_message(msg, "cannot open %s: %s", a->devnode, strerror(-r)), r;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode) || major(st.st_rdev) != maj || minor(st.st_rdev) != min)
		return set_message(msg, "%s is not the block device %u:%u of %s", a->devnode, maj,
				   min, a->object),
		       -ENODEV;
	if (fsync(fd) < 0) {
		r = -errno;
		return set_message(msg, "flush of %s failed: %s", a->devnode, strerror(-r)), r;
	}
	return 0;
}

/* ---- net-down --------------------------------------------------------------- */

static int link_is_up(const struct action *a)
{
	_cleanup_free_ char *rel = NULL, *flags = NULL;
	unsigned long f;
	int r;

	if (asprintf(&rel, "class/net/%s/flags", a->object) < 0)
		return -ENOMEM;
	r = sysfs_read(a->env->sysfs, rel, &flags);
	if (r < 0)
		return r;
	f = strtoul(flags, NULL, 16);
	return (f & 1) != 0; /* IFF_UP */
}

static int do_net_down(struct action *a, char **msg)
{
	int r;

	r = link_is_up(a);
	if (r == -ENOENT)
		return set_message(msg, "interface %s is gone", a->object), 0;
	if (r == 0)
		return set_message(msg, "%s is already down", a->object), 0;
	r = netlink_link_set_up(a->object, false);
	if (r < 0)
		return set_message(msg, "cannot bring %s down: %s", a->object, strerror(-r)), r;
	a->done = true;
	return 0;
}

static int undo_net_down(struct action *a, char **msg)
{
	int r = netlink_link_set_up(a->object, true);

	if (r < 0)
		return set_message(msg, "cannot bring %s up: %s", a->object, strerror(-r)), r;
	return set_message(msg, "%s up again", a->object), 1;
}

/* ---- sriov-disable -------------------------------------------------------------- */

static int do_sriov_disable(struct action *a, char **msg)
{
	_cleanup_free_ char *rel = NULL, *v = NULL;
	unsigned n;
	int r;

	if (asprintf(&rel, "bus/pci/devices/%s/sriov_numvfs", a->object) < 0)
		return -ENOMEM;
	r = sysfs_read(a->env->sysfs, rel, &v);
	if (r == -ENOENT)
		return set_message(msg, "%s has no SR-IOV (or is gone)", a->object), 0;
	if (r < 0 || sscanf(v, "%u", &n) != 1)
		return set_message(msg, "cannot read sriov_numvfs of %s", a->object),
		       r < 0 ? r : -EIO;
	if (n == 0)
		return set_message(msg, "no VFs enabled"), 0;
	r = sysfs_write(a->env, rel, "0");
	if (r < 0)
		return set_message(msg, "cannot disable %u VFs: %s", n, strerror(-r)), r;
	a->old_numvfs = n;
	a->done = true;
	return set_message(msg, "%u VFs disabled", n), 0;
}

static int undo_sriov_disable(struct action *a, char **msg)
{
	_cleanup_free_ char *rel = NULL;
	char v[16];
	int r;

	if (asprintf(&rel, "bus/pci/devices/%s/sriov_numvfs", a->object) < 0)
		return -ENOMEM;
	snprintf(v, sizeof(v), "%u", a->old_numvfs);
	r = sysfs_write(a->env, rel, v);
	if (r < 0)
		return set_message(msg, "cannot enable %u VFs again: %s", a->old_numvfs,
				   strerror(-r)),
		       r;
	return set_message(msg, "%u VFs enabled again", a->old_numvfs), 1;
}

/* ---- unbind and reset ------------------------------------------------------------- */

static int do_unbind(struct action *a, char **msg)
{
	_cleanup_free_ char *now = NULL, *rel = NULL, *after = NULL;
	int r;

	r = bound_driver(a, &now);
	if (r == -ENOENT)
		return set_message(msg, "already unbound"), 0;
	if (r < 0)
		return set_message(msg, "cannot read the driver of %s: %s", a->object,
				   strerror(-r)),
		       r;
	if (a->driver && !streq(now, a->driver))
		return set_message(msg, "bound to %s now, not %s as planned", now, a->driver),
		       -EBUSY;
	if (asprintf(&rel, "bus/pci/drivers/%s/unbind", now) < 0)
		return -ENOMEM;
	r = sysfs_write(a->env, rel, a->object);
	if (r == -ENOENT)
		return set_message(msg,
				   "driver %s has no unbind attribute: it does not let "
				   "userspace unbind it",
				   now),
		       -EPERM;
	if (r < 0)
		return set_message(msg, "unbind from %s failed: %s", now, strerror(-r)), r;
	if (bound_driver(a, &after) != -ENOENT)
		return set_message(msg, "still bound to %s after the unbind", strna(after)), -EBUSY;
	free(a->driver);
	a->driver = TAKE_PTR(now);
	a->done = true;
	return 0;
}

static int undo_unbind(struct action *a, char **msg)
{
	_cleanup_free_ char *now = NULL, *rel = NULL;
	int r;

	/* The module may have been loaded again by an earlier undo, binding it. */
	if (bound_driver(a, &now) >= 0) {
		if (streq(now, a->driver))
			return set_message(msg, "bound to %s again", now), 1;
		return set_message(msg, "bound to %s, not %s", now, a->driver), -EBUSY;
	}
	if (asprintf(&rel, "bus/pci/drivers/%s/bind", a->driver) < 0)
		return -ENOMEM;
	r = sysfs_write(a->env, rel, a->object);
	if (r < 0)
		return set_message(msg, "cannot bind %s to %s again: %s", a->object, a->driver,
				   strerror(-r)),
		       r;
	return set_message(msg, "bound to %s again", a->driver), 1;
}

static int do_reset(struct action *a, char **msg)
{
	_cleanup_free_ char *rel = NULL, *now = NULL;
	int r;

	if (bound_driver(a, &now) >= 0)
		return set_message(msg, "not reset: bound to %s", now), -EBUSY;
	if (asprintf(&rel, "bus/pci/devices/%s/reset", a->object) < 0)
		return -ENOMEM;
	r = sysfs_write(a->env, rel, "1");
	if (r == -ENOENT)
		return set_message(msg, "%s has no reset method (or is gone)", a->object), -ENOTTY;
	if (r < 0)
		return set_message(msg, "reset failed: %s", strerror(-r)), r;
	return 0;
}

/* ---- unload-module ------------------------------------------------------------------- */

static int do_unload(struct action *a, char **msg)
{
	int r = kmod_unload(a->env->moddir, a->object);

	if (r == -ENOENT)
		return set_message(msg, "not loaded"), 0;
	if (r == -EPERM)
		return set_message(msg, "%s is built in", a->object), -EPERM;
	if (r == -EBUSY || r == -EAGAIN) {
		int refs = kmod_refcount(a->env->moddir, a->object);

		if (refs >= 0)
			return set_message(msg, "in use (%d reference%s)", refs,
					   refs == 1 ? "" : "s"),
			       -EBUSY;
		return set_message(msg, "in use"), -EBUSY;
	}
	if (r < 0)
		return set_message(msg, "cannot unload: %s", strerror(-r)), r;
	a->done = true;
	return 0;
}

static int undo_unload(struct action *a, char **msg)
{
	int r = kmod_load(a->env->moddir, a->object);

	if (r < 0)
		return set_message(msg, "cannot load %s again: %s", a->object, strerror(-r)), r;
	return set_message(msg, "loaded again"), 1;
}

/* ---- set-kernel-method ------------------------------------------------------------------ */

/*
 * The device's kexec_method, as the bracketed word of "[shutdown] remove":
 * 0 and the method, -EOPNOTSUPP when the kernel has no such attribute,
 * or another -errno; *msg says which.
 */
static int read_method(const struct action *a, const char *rel, enum kernel_method *ret, char **msg)
{
	_cleanup_free_ char *v = NULL;
	int r, m;

	r = sysfs_read(a->env->sysfs, rel, &v);
	if (r == -ENOENT)
		return set_message(msg, "this kernel has no kexec_method"), -EOPNOTSUPP;
	/* Reads do not wait for the device lock (kernel-patches/0004). */
	if (r == -EBUSY)
		return set_message(msg,
				   "cannot read kexec_method of %s: a driver is being bound to or "
				   "unbound from it (EBUSY)",
				   a->object),
		       r;
	if (r < 0)
		return set_message(msg, "cannot read kexec_method of %s: %s", a->object,
				   strerror(-r)),
		       r;
	m = kernel_method_from_sysfs(v);
	if (m < 0)
		return set_message(msg, "kexec_method of %s reads \"%s\"", a->object, v), -EIO;
	*ret = m;
	return 0;
}

int kexec_method_write_error(const char *object, const char *word, int r, char **ret_message)
{
	*ret_message = NULL;
	switch (r) {
	case -EOPNOTSUPP:
		/* Not "skipped": the kernel has the attribute, and says no. */
		set_message(ret_message,
			    "the kernel refuses %s for %s: its driver cannot be released on "
			    "kexec",
			    word, object);
		return -EPERM;
	case -ENODEV:
		/* The device is there (action_run() tells "gone"), its driver is not. */
		set_message(ret_message, "the kernel says no driver is bound to %s", object);
		return -ENODEV;
	case -EBUSY:
		set_message(ret_message,
			    "the kernel is shutting down: kexec_method of %s cannot be changed "
			    "any more",
			    object);
		return -EBUSY;
	case -EINVAL:
		set_message(ret_message, "the kernel does not take \"%s\" for kexec_method of %s",
			    word, object);
		return -EINVAL;
	case -EINTR:
		set_message(ret_message,
			    "interrupted while waiting for the lock of %s to set its kexec_method "
			    "to %s",
			    object, word);
		return -EINTR;
	default:
		set_message(ret_message, "cannot set kexec_method of %s to %s: %s", object, word,
			    strerror(-r));
		return r;
	}
}

static int method_write_failed(const struct action *a, const char *word, int r, char **msg)
{
	free(*msg);
	return kexec_method_write_error(a->object, word, r, msg);
}

/*
 * The choice belongs to the device and the driver bound to it: the kernel
 * forgets it on unbind.  Unbound now (an unbind by someone else): nothing
 * to release, done.  Another driver than planned: refused.  After the
 * write, the driver and the method are read again: an unbind and a bind
 * that raced in (the method is then the new binding's), or anything else
 * that leaves another word bracketed, is a failure.
 */
static int do_set_method(struct action *a, char **msg)
{
	_cleanup_free_ char *rel = NULL, *now = NULL, *after = NULL;
	const char *word = kernel_method_to_string(a->method);
	enum kernel_method old, reads;
	int r;

	if (!word)
		return -EINVAL;
	if (asprintf(&rel, "bus/pci/devices/%s/kexec_method", a->object) < 0)
		return -ENOMEM;
	r = read_method(a, rel, &old, msg);
	if (r < 0)
		return r;
	r = bound_driver(a, &now);
	if (r == -ENOENT)
		return set_message(msg,
				   "no driver is bound to %s: a kexec clears its bus mastering",
				   a->object),
		       0;
	if (r < 0)
		return set_message(msg, "cannot read the driver of %s: %s", a->object,
				   strerror(-r)),
		       r;
	if (a->driver && !streq(now, a->driver))
		return set_message(msg, "%s is bound to %s now, not %s as planned", a->object, now,
				   a->driver),
		       -EBUSY;
	if (old == a->method)
		return set_message(msg, "already %s", word), 0;
	r = sysfs_write(a->env, rel, word);
	if (r == -ENODEV && bound_driver(a, &after) == -ENOENT)
		return set_message(msg, "no driver is bound to %s any more: nothing to release",
				   a->object),
		       0;
	if (r < 0)
		return method_write_failed(a, word, r, msg);
	a->old_method = strdup(kernel_method_to_string(old));
	if (!a->old_method)
		return -ENOMEM;
	/* Written: from here on the undo has something to put back. */
	a->done = true;

	r = bound_driver(a, &after);
	if (r == -ENOENT) {
		/* As before the write: nothing bound, nothing to release, nothing to undo. */
		a->done = false;
		return set_message(msg,
				   "%s was unbound from %s meanwhile: nothing to release (the "
				   "kernel forgot the %s written)",
				   a->object, now, word),
		       0;
	}
	if (r < 0)
		return set_message(msg, "cannot read the driver of %s after the write: %s",
				   a->object, strerror(-r)),
		       r;
	if (!streq(after, now)) {
		a->done = false;
		return set_message(msg,
				   "%s is bound to %s since the write, not %s: the %s written was "
				   "forgotten",
				   a->object, after, now, word),
		       -EBUSY;
	}
	r = read_method(a, rel, &reads, msg);
	if (r < 0) {
		_cleanup_free_ char *why = TAKE_PTR(*msg);

		return set_message(msg, "%s written, then %s", word, strna(why)), r;
	}
	if (reads != a->method) {
		/* Unbound and bound again to the same driver, which forgot it. */
		a->done = false;
		return set_message(msg,
				   "%s written, but kexec_method of %s reads %s: an unbind (the "
				   "kernel forgets the method) or another writer raced in",
				   word, a->object, kernel_method_to_string(reads)),
		       -EBUSY;
	}
	return set_message(msg, "%s (was %s)", word, a->old_method), 0;
}

/*
 * Write the word read before back, to the same driver, and only over the
 * word the step wrote: unbound since, the kernel forgot it already; bound
 * to another driver, the method is that driver's; another word, someone
 * (an administrator) chose it since, and it stays.
 */
static int undo_set_method(struct action *a, char **msg)
{
	_cleanup_free_ char *rel = NULL, *now = NULL;
	enum kernel_method reads;
	int r;

	r = bound_driver(a, &now);
	if (r == -ENOENT)
		return set_message(msg, "no driver is bound to %s: its kexec_method is forgotten",
				   a->object),
		       0;
	if (r >= 0 && a->driver && !streq(now, a->driver))
		return set_message(msg,
				   "%s is bound to %s now, not %s: its kexec_method is that "
				   "driver's",
				   a->object, now, a->driver),
		       0;
	if (asprintf(&rel, "bus/pci/devices/%s/kexec_method", a->object) < 0)
		return -ENOMEM;
	r = read_method(a, rel, &reads, msg);
	if (r < 0)
		return r == -EOPNOTSUPP ? -EIO : r;
	if (reads != a->method)
		return set_message(
			       msg,
			       "kexec_method of %s reads %s, not the %s written: changed since, "
			       "left as it is (not put back to %s)",
			       a->object, kernel_method_to_string(reads),
			       kernel_method_to_string(a->method), a->old_method),
		       0;
	r = sysfs_write(a->env, rel, a->old_method);
	if (r < 0) {
		(void)method_write_failed(a, a->old_method, r, msg);
		return r == -ENODEV ? -EIO : r;
	}
	return set_message(msg, "kexec_method of %s %s again", a->object, a->old_method), 1;
}

/* ---- readonly ------------------------------------------------------------------------------ */

/* The per-mount flags to keep across a remount (MS_REMOUNT replaces them all). */
static unsigned long mount_flags_of(int fd)
{
	static const struct {
		unsigned long st, ms;
	} map[] = {
		{ ST_NOSUID, MS_NOSUID },
		{ ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC },
		{ ST_NOATIME, MS_NOATIME },
		{ ST_NODIRATIME, MS_NODIRATIME },
		{ ST_RELATIME, MS_RELATIME },
		{ ST_SYNCHRONOUS, MS_SYNCHRONOUS },
#if defined(ST_NOSYMFOLLOW) && defined(MS_NOSYMFOLLOW)
		{ ST_NOSYMFOLLOW, MS_NOSYMFOLLOW },
#endif
	};
	struct statvfs sv;
	unsigned long f = 0;

	if (fstatvfs(fd, &sv) < 0)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (sv.f_flag & map[i].st)
			f |= map[i].ms;
	return f;
}

/*
 * Open the mount point without following a symlink in its last component,
 * and check that what is there is the mount mountinfo lists (its mount id,
 * from statx(); where the kernel has none, its st_dev, which btrfs
 * subvolumes do not share with their mount): a path that now leads
 * elsewhere is never remounted.  The O_PATH descriptor, or -errno with the
 * message set.
 */
static int open_mount_point(const struct action_mount *m, unsigned mnt_id, char **msg)
{
	struct statx sx;
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *mp = cescape(m->mount_point);
	struct stat st;
	int r;

	fd = open(m->mount_point, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		return set_message(msg, "cannot make %s read-only: %s", strna(mp),
				   r == -ELOOP ? "it is a symbolic link now" : strerror(-r)),
		       r;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return set_message(msg, "cannot make %s read-only: it is a symbolic link now",
				   strna(mp)),
		       -ELOOP;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) == 0 &&
	    (sx.stx_mask & STATX_MNT_ID)) {
		if (sx.stx_mnt_id != mnt_id)
			return set_message(msg,
					   "cannot make %s read-only: mount %u is there, but the "
					   "path leads to mount %llu (another file system is "
					   "mounted over it)",
					   strna(mp), mnt_id, (unsigned long long)sx.stx_mnt_id),
			       -EBUSY;
		return TAKE_FD(fd);
	}
	if (major(st.st_dev) != m->major || minor(st.st_dev) != m->minor)
		return set_message(msg,
				   "cannot make %s read-only: %u:%u is mounted there, but the path "
				   "leads to %u:%u (another file system is mounted over it)",
				   strna(mp), m->major, m->minor, major(st.st_dev),
				   minor(st.st_dev)),
		       -EBUSY;
	return TAKE_FD(fd);
}

/* mount(2) on what fd is: through /proc/self/fd, so no path is looked up again. */
static int remount_fd(int fd, const char *path, unsigned long flags)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	if (mount(NULL, p, NULL, MS_REMOUNT | flags, NULL) >= 0)
		return 0;
	/* No /proc: the path, checked a moment ago. */
	if (errno == ENOENT && access("/proc/self/fd", F_OK) < 0 &&
	    mount(NULL, path, NULL, MS_REMOUNT | flags, NULL) >= 0)
		return 0;
	return -errno;
}

static const struct mountinfo_entry *find_mount(const struct mountinfo *mi,
						const struct action_mount *m)
{
	/* The last one: a later mount on the same point hides the earlier. */
	for (size_t i = mi->n; i-- > 0;)
		if (streq(mi->entries[i].mount_point, m->mount_point) &&
		    mi->entries[i].major == m->major && mi->entries[i].minor == m->minor)
			return &mi->entries[i];
	return NULL;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * EBUSY means a file is open for writing at that moment.  A writer that
 * opens and closes (a log line, a shell's >>) leaves gaps: try again in
 * them for a while, at most READONLY_BUSY_USEC and half the step's time.
 */
#define READONLY_BUSY_USEC (2ULL * 1000000ULL)
#define READONLY_BUSY_POLL_USEC 20000U

static int readonly_one(struct action_mount *m, const struct mountinfo *mi, uint64_t timeout_usec,
			char **msg)
{
	_cleanup_free_ char *mp = cescape(m->mount_point);
	_cleanup_close_ int fd = -EBADF, rfd = -EBADF;
	const struct mountinfo_entry *e = find_mount(mi, m);
	char p[64];
	int r;

	/*
	 * Unmounted since the plan (systemd's shutdown does that), or read-only
	 * already, the file system or this mount of it (a read-only bind mount,
	 * which an undo must not turn read-write): nothing to do.
	 */
	if (!e || e->read_only || e->mount_read_only)
		return 0;
	m->mnt_id = e->id;
	fd = open_mount_point(m, m->mnt_id, msg);
	if (fd < 0)
		return fd;
	/* syncfs() needs a real descriptor: reopen what fd is, for reading only. */
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	rfd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (rfd >= 0 && syncfs(rfd) < 0) {
		r = -errno;
		return set_message(msg, "cannot make %s read-only: sync failed: %s", strna(mp),
				   strerror(-r)),
		       r;
	}
	m->flags = mount_flags_of(fd);
	{
		uint64_t busy = timeout_usec / 2 < READONLY_BUSY_USEC ? timeout_usec / 2 :
									READONLY_BUSY_USEC;
		uint64_t until = now_usec() + busy;

		while ((r = remount_fd(fd, m->mount_point, MS_RDONLY | m->flags)) == -EBUSY &&
		       now_usec() < until)
			(void)usleep(READONLY_BUSY_POLL_USEC);
	}
	if (r == -EBUSY)
		return set_message(msg,
				   "cannot make %s read-only: a file is open for writing (EBUSY)",
				   strna(mp)),
		       r;
	if (r < 0)
		return set_message(msg, "cannot make %s read-only: %s", strna(mp), strerror(-r)), r;
	m->remounted = true;
	return 1;
}

static bool md_state_is_clean(const char *s)
{
	static const char *const ok[] = { "clean", "inactive", "readonly", "read-auto", "clear" };

	for (size_t i = 0; i < ELEMENTSOF(ok); i++)
		if (streq(s, ok[i]))
			return true;
	return false;
}

/*
 * Wait until each md array is clean, reading array_state and writing
 * nothing (mdadm's own shutdown hook may be waiting beside us).  Ends
 * before the step's deadline so that the step fails with a message
 * instead of being abandoned.
 */
static int wait_md_clean(struct action *a, char **msg)
{
	uint64_t start = now_usec(), until = start + a->timeout_usec / 10 * 9;

	STRV_FOREACH (md, a->md) {
		_cleanup_free_ char *rel = NULL;

		if (asprintf(&rel, "class/block/%s/md/array_state", *md) < 0)
			return -ENOMEM;
		for (;;) {
			_cleanup_free_ char *state = NULL;
			int r = sysfs_read(a->env->sysfs, rel, &state);

			if (r == -ENOENT)
				break; /* stopped */
			if (r < 0)
				return set_message(msg, "cannot read array_state of %s: %s", *md,
						   strerror(-r)),
				       r;
			if (md_state_is_clean(state))
				break;
			if (now_usec() >= until)
				return set_message(msg,
						   "%s is still %s after %.1f s (array_state): not "
						   "clean",
						   *md, state, (double)(now_usec() - start) / 1e6),
				       -ETIMEDOUT;
			(void)usleep(20000);
		}
	}
	return 0;
}

static int undo_readonly(struct action *a, char **msg);

static int do_readonly(struct action *a, char **msg)
{
	_cleanup_(mountinfo_freep) struct mountinfo *mi = NULL;
	_cleanup_strv_free_ char **made = NULL;
	_cleanup_free_ char *list = NULL;
	int r;

	r = mountinfo_read(a->env->mountinfo ? a->env->mountinfo : "/proc/self/mountinfo", &mi);
	if (r < 0)
		return set_message(msg, "cannot read what is mounted: %s", strerror(-r)), r;
	for (size_t i = 0; i < a->n_mounts; i++) {
		r = readonly_one(&a->mounts[i], mi, a->timeout_usec, msg);
		if (r < 0)
			break;
		if (r > 0 && strv_extend(&made, a->mounts[i].mount_point) < 0) {
			r = -ENOMEM;
			break;
		}
	}
	if (r >= 0)
		r = wait_md_clean(a, msg);
	if (r < 0) {
		/* A failed step leaves things as they were: the device stays bound. */
		_cleanup_free_ char *undo_msg = NULL;

		a->done = true;
		(void)undo_readonly(a, &undo_msg);
		a->done = false;
		return r;
	}
	a->done = made != NULL;
	list = strv_join(made, ", ");
	if (!list)
		return -ENOMEM;
	if (!made)
		return set_message(msg, "nothing mounted read-write any more"), 0;
	return set_message(msg, "read-only: %s%s", list, a->md ? "; md arrays clean" : ""), 0;
}

static int undo_readonly(struct action *a, char **msg)
{
	_cleanup_strv_free_ char **undone = NULL;
	_cleanup_free_ char *list = NULL;
	int ret = 1;

	for (size_t i = a->n_mounts; i-- > 0;) {
		struct action_mount *m = &a->mounts[i];
		_cleanup_free_ char *mp = cescape(m->mount_point);
		_cleanup_close_ int fd = -EBADF;
		int r;

		if (!m->remounted)
			continue;
		fd = open_mount_point(m, m->mnt_id, msg);
		r = fd < 0 ? fd : remount_fd(fd, m->mount_point, m->flags);
		if (r < 0) {
			if (fd >= 0)
				set_message(msg, "cannot make %s read-write again: %s", strna(mp),
					    strerror(-r));
			ret = r;
			continue;
		}
		m->remounted = false;
		if (strv_extend(&undone, m->mount_point) < 0)
			return -ENOMEM;
	}
	if (ret < 0)
		return ret;
	list = strv_join(undone, ", ");
	return set_message(msg, "read-write again: %s", strempty(list)), 1;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

/*
 * A step's device that is not there (hot-unplugged, or an interface or
 * disk that went with it) is "gone", not a failure: there is nothing left
 * to quiesce.  1 gone, 0 there or not a device step.
 */
static int object_gone(const struct action *a)
{
	_cleanup_free_ char *rel = NULL;
	int r;

	switch (a->type) {
	case STEP_FLUSH_CACHE:
		r = asprintf(&rel, "class/block/%s", a->object);
		break;
	case STEP_NET_DOWN:
		r = asprintf(&rel, "class/net/%s", a->object);
		break;
	case STEP_SRIOV_DISABLE:
	case STEP_UNBIND:
	case STEP_RESET:
	case STEP_SET_KERNEL_METHOD:
		r = asprintf(&rel, "bus/pci/devices/%s", a->object);
		break;
	default:
		return 0;
	}
	if (r < 0)
		return 0;
	return sysfs_exists(a->env->sysfs, rel) == 0;
}

static int dispatch(struct action *a, char **ret_message)
{
	switch (a->type) {
	case STEP_FLUSH_CACHE:
		return do_flush(a, ret_message);
	case STEP_NET_DOWN:
		return do_net_down(a, ret_message);
	case STEP_SRIOV_DISABLE:
		return do_sriov_disable(a, ret_message);
	case STEP_UNBIND:
		return do_unbind(a, ret_message);
	case STEP_RESET:
		return do_reset(a, ret_message);
	case STEP_UNLOAD_MODULE:
		return do_unload(a, ret_message);
	case STEP_SET_KERNEL_METHOD:
		return do_set_method(a, ret_message);
	case STEP_FS_READONLY:
		return do_readonly(a, ret_message);
	case STEP_BARRIER:
		return 0;
	default:
		return -EINVAL;
	}
}

int action_run(struct action *a, char **ret_message)
{
	int r;

	if (object_gone(a) > 0)
		return set_message(ret_message, "%s is gone", a->object), -ENODEV;
	r = dispatch(a, ret_message);
	if (r < 0 && r != -ENOMEM && object_gone(a) > 0)
		return set_message(ret_message, "%s went away during the step", a->object), -ENODEV;
	/*
	 * -ENODEV means "gone" to the executor, and only object_gone() says
	 * that: the same code from a step whose device is there (a node that
	 * is not the disk, an unbind the kernel refuses) is a failure.
	 */
	return r == -ENODEV ? -EIO : r;
}

int action_undo(struct action *a, char **ret_message)
{
	if (!a->done)
		return 0;
	switch (a->type) {
	case STEP_NET_DOWN:
		return undo_net_down(a, ret_message);
	case STEP_SRIOV_DISABLE:
		return undo_sriov_disable(a, ret_message);
	case STEP_UNBIND:
		return undo_unbind(a, ret_message);
	case STEP_UNLOAD_MODULE:
		return undo_unload(a, ret_message);
	case STEP_SET_KERNEL_METHOD:
		return undo_set_method(a, ret_message);
	case STEP_FS_READONLY:
		return undo_readonly(a, ret_message);
	default: /* a flush and a reset have nothing to undo */
		return 0;
	}
}

struct action *action_new(const struct action_env *env, const struct step *s)
{
	struct action *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->type = s->type;
	a->env = env;
	a->method = s->method;
	a->object = strdup(s->object);
	a->driver = s->driver ? strdup(s->driver) : NULL;
	a->devnode = s->device && s->device->devnode ? strdup(s->device->devnode) : NULL;
	a->timeout_usec = s->timeout_usec;
	if (!a->object || (s->driver && !a->driver) ||
	    (s->device && s->device->devnode && !a->devnode))
		return action_free(a);
	if (s->n_mounts) {
		a->mounts = calloc(s->n_mounts, sizeof(*a->mounts));
		if (!a->mounts)
			return action_free(a);
		a->n_mounts = s->n_mounts;
		for (size_t i = 0; i < s->n_mounts; i++) {
			const struct device_mount *m = s->mounts[i].mount;

			a->mounts[i] = (struct action_mount){
				.mount_point = strdup(m->mount_point),
				.major = m->major,
				.minor = m->minor,
			};
			if (!a->mounts[i].mount_point)
				return action_free(a);
		}
	}
	STRV_FOREACH (md, s->md)
		if (strv_extend(&a->md, *md) < 0)
			return action_free(a);
	return a;
}

struct action *action_free(struct action *a)
{
	if (!a)
		return NULL;
	free(a->object);
	free(a->driver);
	free(a->devnode);
	free(a->old_method);
	for (size_t i = 0; i < a->n_mounts; i++) {
		free(a->mounts[i].mount_point);
	}
	free(a->mounts);
	strv_free(a->md);
	free(a);
	return NULL;
}

static int ops_prepare(void *userdata, const struct step *s, void **ret_job)
{
	struct action *a = action_new(userdata, s);

	if (!a)
		return -ENOMEM;
	*ret_job = a;
	return 0;
}

static int ops_run(void *job, char **ret_message)
{
	return action_run(job, ret_message);
}

static int ops_undo(void *job, char **ret_message)
{
	return action_undo(job, ret_message);
}

static void ops_free(void *job)
{
	action_free(job);
}

const struct exec_ops action_exec_ops = {
	.prepare = ops_prepare,
	.run = ops_run,
	.undo = ops_undo,
	.free = ops_free,
};
