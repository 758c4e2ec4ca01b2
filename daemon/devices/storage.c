// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "storage.h"
#include "strv.h"
#include "sysfs.h"
#include "values.h"

/*
 * "a/b/../c" → "a/c", without a leading slash; -EINVAL when ".." would
 * climb above the root.
 */
static int normalize(const char *p, char **ret)
{
	_cleanup_free_ char *out = malloc(strlen(p) + 1);
	size_t len = 0;

	if (!out)
		return -ENOMEM;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (len == 0)
				return -EINVAL;
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--; /* the slash */
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (len > 0)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	if (len == 0)
		return -EINVAL;
	out[len] = 0;
	*ret = TAKE_PTR(out);
	return 0;
}

/* The directory a relative link at <root>/<rel> points to, relative to root. */
static int follow(const char *root, const char *rel, char **ret)
{
	_cleanup_free_ char *path = NULL, *joined = NULL, *dir = strdup(rel);
	char target[PATH_MAX], *slash;
	ssize_t n;

	if (!dir || asprintf(&path, "%s/%s", root, rel) < 0)
		return -ENOMEM;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	/* sysfs' links are relative; an absolute one would leave the root. */
	if (target[0] == '/')
		return -EINVAL;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	if (asprintf(&joined, "%s/%s", slash ? dir : "", target) < 0)
		return -ENOMEM;
	return normalize(joined, ret);
}

static int stat_at(const char *root, const char *rel, const char *name, struct stat *st)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/%s/%s", root, rel, name) < 0)
		return -ENOMEM;
	return lstat(path, st) < 0 ? -errno : 0;
}

static bool is_dir_at(const char *root, const char *rel, const char *name)
{
	struct stat st;

	return stat_at(root, rel, name, &st) >= 0 && S_ISDIR(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Drop the entries of l after the first n. */
static void strv_truncate(char **l, size_t n)
{
	if (!l)
		return;
	for (size_t i = n; l[i]; i++) {
		free(l[i]);
		l[i] = NULL;
	}
}

/* The entries of <root>/<rel>/slaves, sorted; none if there is no such directory. */
static int list_slaves(const char *root, const char *rel, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	_cleanup_free_ char *path = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	size_t n = 0;

	if (asprintf(&path, "%s/%s/slaves", root, rel) < 0)
		return -ENOMEM;
	d = opendir(path);
	if (!d) {
		*ret = NULL;
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	}
	while ((de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (++n > STORAGE_VISITS_MAX)
			return -E2BIG;
		if (strv_extend(&l, de->d_name) < 0)
			return -ENOMEM;
	}
	if (n > 1)
		qsort(l, n, sizeof(*l), cmp_str);
	*ret = TAKE_PTR(l);
	return 0;
}

struct walk {
	const char *root;
	const struct mountinfo_entry *e;
	struct inventory *inv;
	unsigned visits;
};

static const char *base_name(const char *rel)
{
	const char *s = strrchr(rel, '/');

	return s ? s + 1 : rel;
}

static int attach(struct walk *w, struct device *d, char *const *via, char *const *md)
{
	struct device_mount m = {};
	int r = -ENOMEM;

	/* Reached twice (a RAID1 of two partitions of one disk): once is enough. */
	for (size_t i = 0; i < d->n_mounts; i++)
		if (streq(d->mounts[i].mount_point, w->e->mount_point) &&
		    d->mounts[i].major == w->e->major && d->mounts[i].minor == w->e->minor)
			return 0;
	m.mount_point = strdup(w->e->mount_point);
	m.fstype = strdup(w->e->fstype);
	m.source = strdup(w->e->source);
	m.major = w->e->major;
	m.minor = w->e->minor;
	m.read_only = w->e->read_only;
	if (!m.mount_point || !m.fstype || !m.source)
		goto out;
	STRV_FOREACH (v, via)
		if (strv_extend(&m.via, *v) < 0)
			goto out;
	STRV_FOREACH (v, md)
		if (strv_extend(&m.md, *v) < 0)
			goto out;
	r = device_add_mount(d, &m);
out:
	device_mount_done(&m);
	return r;
}

/* Block device <root>/<rel>, reached through via (md: the md arrays among them). */
static int walk_down(struct walk *w, const char *rel, char ***via, char ***md, unsigned depth)
{
	_cleanup_strv_free_ char **slaves = NULL;
	const char *name = base_name(rel);
	size_t n_via = strv_length(*via), n_md = strv_length(*md);
	struct stat st;
	int r;

	if (depth > STORAGE_STACK_DEPTH_MAX)
		return log_error_errno(ELOOP,
				       "%s/%s: block devices stacked deeper than %u (a loop?)",
				       w->root, rel, STORAGE_STACK_DEPTH_MAX);
	if (++w->visits > STORAGE_VISITS_MAX)
		return log_error_errno(E2BIG, "%s/%s: more than %u block devices below %s", w->root,
				       rel, STORAGE_VISITS_MAX, w->e->mount_point);

	/* A partition: its disk is the directory above. */
	if (stat_at(w->root, rel, "partition", &st) >= 0 && S_ISREG(st.st_mode)) {
		_cleanup_free_ char *disk = strdup(rel);
		char *slash = disk ? strrchr(disk, '/') : NULL;

		if (!disk)
			return -ENOMEM;
		if (!slash)
			return 0;
		*slash = 0;
		if (strv_extend(via, name) < 0)
			return -ENOMEM;
		r = walk_down(w, disk, via, md, depth + 1);
		goto out;
	}

	r = list_slaves(w->root, rel, &slaves);
	if (r < 0)
		return log_error_errno(r, "%s/%s/slaves: cannot list: %m", w->root, rel);
	if (slaves) {
		if (strv_extend(via, name) < 0)
			return -ENOMEM;
		if (is_dir_at(w->root, rel, "md") && strv_extend(md, name) < 0)
			return -ENOMEM;
		STRV_FOREACH (s, slaves) {
			_cleanup_free_ char *link = NULL, *below = NULL;

			if (asprintf(&link, "%s/slaves/%s", rel, *s) < 0)
				return -ENOMEM;
			r = follow(w->root, link, &below);
			if (r == -ENOENT)
				continue; /* gone since the listing */
			if (r < 0)
				return log_error_errno(r, "%s/%s: cannot follow: %m", w->root,
						       link);
			r = walk_down(w, below, via, md, depth + 1);
			if (r < 0)
				break;
		}
		goto out;
	}

	/* A whole disk: the inventory knows it if it hangs below a PCI function. */
	{
		_cleanup_free_ char *syspath = NULL;
		struct device *d;

		if (asprintf(&syspath, "/sys/%s", rel) < 0)
			return -ENOMEM;
		d = inventory_find(w->inv, syspath);
		r = d && d->kind == DEVICE_DISK ? attach(w, d, *via, *md) : 0;
	}
out:
	/* Back to what this level was given, for the next branch above. */
	strv_truncate(*via, n_via);
	strv_truncate(*md, n_md);
	return r;
}

/* The device-mapper device named name, from <root>/class/block/dm-N/dm/name. */
static int find_dm(const char *root, const char *name, char **ret)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	if (asprintf(&dir, "%s/class/block", root) < 0)
		return -ENOMEM;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		_cleanup_free_ char *rel = NULL, *v = NULL;

		if (!startswith(de->d_name, "dm-"))
			continue;
		if (asprintf(&rel, "class/block/%s/dm/name", de->d_name) < 0)
			return -ENOMEM;
		if (sysfs_read(root, rel, &v) >= 0 && streq(v, name)) {
			*ret = NULL;
			return asprintf(ret, "class/block/%s", de->d_name) < 0 ? -ENOMEM : 0;
		}
	}
	return -ENOENT;
}

/*
 * The block device a mount is on, relative to root.  By MAJ:MIN; a file
 * system with an anonymous device (btrfs: 0:N) by its source instead.
 */
static int mount_device(const char *root, const struct mountinfo_entry *e, char **ret)
{
	_cleanup_free_ char *link = NULL;
	const char *name;
	int r;

	if (asprintf(&link, "dev/block/%u:%u", e->major, e->minor) < 0)
		return -ENOMEM;
	r = follow(root, link, ret);
	if (r != -ENOENT || e->major != 0)
		return r;
	/*
	 * Only btrfs: the source of other device-less file systems is whatever
	 * their mounter chose (FUSE's fsname=), which must not place them on a
	 * real disk.
	 */
	if (!streq(e->fstype, "btrfs"))
		return -ENOENT;
	name = startswith(e->source, "/dev/");
	if (!name)
		return -ENOENT;
	free(link);
	link = NULL;
	if (startswith(name, "mapper/")) {
		if (!name_is_valid(name + strlen("mapper/")))
			return -ENOENT;
		r = find_dm(root, name + strlen("mapper/"), &link);
	} else {
		if (!name_is_valid(name))
			return -ENOENT;
		r = asprintf(&link, "class/block/%s", name) < 0 ? -ENOMEM : 0;
	}
	if (r < 0)
		return r;
	return follow(root, link, ret);
}

/*
 * A btrfs spanning several devices names one of them in mountinfo; the
 * others are in <sysfs>/fs/btrfs/<fsid>/devices/ beside it.  Each is walked
 * as the first was, so that no member's controller goes away under it.
 */
static int walk_btrfs_members(struct walk *w, const char *root, const char *dev)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	const char *name = base_name(dev);
	struct dirent *de;

	if (asprintf(&path, "%s/fs/btrfs", root) < 0)
		return -ENOMEM;
	d = opendir(path);
	if (!d)
		return 0; /* no btrfs sysfs: one device is what we know */
	while ((de = readdir(d))) {
		_cleanup_free_ char *mine = NULL, *members = NULL;
		_cleanup_closedir_ DIR *md = NULL;
		struct dirent *me;

		if (de->d_name[0] == '.' || !name_is_valid(de->d_name) ||
		    asprintf(&mine, "fs/btrfs/%s/devices/%s", de->d_name, name) < 0 ||
		    asprintf(&members, "%s/fs/btrfs/%s/devices", root, de->d_name) < 0)
			continue;
		{
			_cleanup_free_ char *abs = NULL;

			if (asprintf(&abs, "%s/%s", root, mine) < 0 || access(abs, F_OK) < 0)
				continue;
		}
		md = opendir(members);
		if (!md)
			return -errno;
		while ((me = readdir(md))) {
			_cleanup_strv_free_ char **via = NULL, **mdv = NULL;
			_cleanup_free_ char *link = NULL, *rel = NULL;
			int r;

			if (me->d_name[0] == '.' || streq(me->d_name, name) ||
			    !name_is_valid(me->d_name))
				continue;
			if (asprintf(&link, "fs/btrfs/%s/devices/%s", de->d_name, me->d_name) < 0)
				return -ENOMEM;
			r = follow(root, link, &rel);
			if (r < 0)
				return r == -ENOMEM ? r :
						      log_error_errno(r, "%s/%s: %m", root, link);
			r = walk_down(w, rel, &via, &mdv, 0);
			if (r < 0)
				return r;
		}
		return 0;
	}
	return 0;
}

int storage_attach_mounts(const char *sysfs, const struct mountinfo *mi, struct inventory *inv)
{
	int r;

	for (size_t i = 0; i < mi->n; i++) {
		const struct mountinfo_entry *e = &mi->entries[i];
		_cleanup_strv_free_ char **via = NULL, **md = NULL;
		_cleanup_free_ char *dev = NULL;
		struct walk w = { .root = sysfs, .e = e, .inv = inv };

		r = mount_device(sysfs, e, &dev);
		if (r == -ENOMEM)
			return log_oom();
		if (r < 0) {
			/* Not on a block device: proc, tmpfs, NFS, a removed disk. */
			log_debug("%s (%s %u:%u) is on no block device in %s", e->mount_point,
				  e->source, e->major, e->minor, sysfs);
			continue;
		}
		r = walk_down(&w, dev, &via, &md, 0);
		if (r == -ENOMEM)
			return log_oom();
		if (r < 0)
			return r;
		if (streq(e->fstype, "btrfs")) {
			r = walk_btrfs_members(&w, sysfs, dev);
			if (r == -ENOMEM)
				return log_oom();
			if (r < 0)
				return r;
		}
	}
	inv->mounts_known = true;
	return 0;
}
