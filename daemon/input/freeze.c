// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-parser.h"
#include "freeze.h"
#include "log.h"
#include "snapshot.h"
#include "trust.h"
#include "values.h"

/* Ours has two levels (files, and policy.d with files); anything deeper is not ours. */
#define REMOVE_DEPTH_MAX 8

static int remove_at(int dirfd, const char *name, unsigned depth);

/* Remove what the directory fd holds, never following a symlink. */
static int remove_contents(int fd, unsigned depth)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (copy < 0)
		return -errno;
	d = fdopendir(copy);
	if (!d) {
		close(copy);
		return -errno;
	}
	while ((errno = 0, de = readdir(d))) {
		int r;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		r = remove_at(dirfd(d), de->d_name, depth + 1);
		if (r < 0)
			return r;
	}
	return errno > 0 ? -errno : 0;
}

/*
 * Remove name in dirfd: a directory with everything in it, anything else
 * (a symlink included) unlinked.  A symlink is never followed: the
 * directory is opened with O_NOFOLLOW, so one put in its place after the
 * check is refused, not followed.
 */
static int remove_at(int dirfd, const char *name, unsigned depth)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	int r;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (depth >= REMOVE_DEPTH_MAX)
		return -ELOOP;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = remove_contents(fd, depth);
	if (r < 0)
		return r;
	return unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

/*
 * The run directory that holds dir (its parent), through
 * trust_open_run_dir(): a directory, not a symlink, and as root owned by
 * root and writable by root alone; created 0700 if create is set.  Returns
 * its descriptor and *ret_base, dir's last component; -ENOENT silently
 * when it does not exist (and create is not set); otherwise logs why not.
 */
static int open_run_dir(const char *dir, bool create, char **ret_base)
{
	_cleanup_free_ char *parent = strdup(dir), *problem = NULL, *base = NULL;
	char *slash;
	int fd;

	if (!parent)
		return log_oom();
	for (size_t n = strlen(parent); n > 1 && parent[n - 1] == '/'; n--)
		parent[n - 1] = 0;
	slash = strrchr(parent, '/');
	base = strdup(slash ? slash + 1 : parent);
	if (!base)
		return log_oom();
	if (isempty(base) || streq(base, ".") || streq(base, ".."))
		return log_error_errno(EINVAL, "%s: not a place for the frozen plan", dir);
	if (slash)
		slash[slash == parent ? 1 : 0] = 0;
	fd = trust_open_run_dir(slash ? parent : ".", create, &problem);
	if (fd == -ENOENT && !create)
		return fd;
	if (fd < 0)
		return log_error_errno(fd, "%s",
				       problem ? problem : "Cannot open the run directory");
	*ret_base = TAKE_PTR(base);
	return fd;
}

int freeze_remove(const char *dir)
{
	_cleanup_free_ char *base = NULL;
	_cleanup_close_ int rfd = open_run_dir(dir, false, &base);
	int r;

	if (rfd == -ENOENT)
		return 0;
	if (rfd < 0)
		return rfd;
	r = remove_at(rfd, base, 0);
	if (r < 0)
		return log_error_errno(r, "Cannot remove %s: %m", dir);
	return 0;
}

static int copy_file(const char *from, int dirfd, const char *to)
{
	_cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	_cleanup_close_ int out = -EBADF;
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	if (in < 0)
		return -errno;
	r = read_regular_fd(in, CONF_FILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	out = openat(dirfd, to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0)
		return -errno;
	if (write(out, buf, len) != (ssize_t)len)
		return -EIO;
	return 0;
}

static int write_text(int dirfd, const char *name, const char *text)
{
	_cleanup_close_ int fd =
		openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t len = strlen(text);

	if (fd < 0)
		return -errno;
	return write(fd, text, len) == (ssize_t)len ? 0 : -EIO;
}

static int settings_assignment(struct conf_parser *p, const char *section, const char *key,
			       const char *value)
{
	struct freeze_settings *s = p->userdata;

	if (!section || !streq(section, "Run")) {
		conf_error(p, "%s= outside [Run]", key);
		return 0;
	}
	if (streq(key, "DeadlineSec")) {
		if (parse_timespan(value, &s->deadline_usec) < 0 || s->deadline_usec == 0 ||
		    s->deadline_usec > 3600ULL * 1000000ULL)
			conf_error(p, "DeadlineSec= must be a time span of at most 1h");
	} else if (streq(key, "Jobs")) {
		char *end = NULL;
		unsigned long n;

		errno = 0;
		n = strtoul(value, &end, 10);
		if (errno || end == value || *end || n < 1 || n > 4096)
			conf_error(p, "Jobs= must be a number from 1 to 4096");
		else
			s->jobs = (unsigned)n;
	} else if (streq(key, "IfStuck")) {
		if (!streq(value, "restart") && !streq(value, "abort") && !streq(value, "kexec"))
			conf_error(p, "IfStuck= must be restart, abort or kexec");
		else
			snprintf(s->if_stuck, sizeof(s->if_stuck), "%s", value);
	} else if (streq(key, "Force")) {
		int b = parse_boolean(value);

		if (b < 0)
			conf_error(p, "Force= must be a boolean");
		else
			s->force = b;
	} else
		conf_error(p, "unknown key %s=", key);
	return 0;
}

int freeze_settings_parse(const char *path, const char *text, size_t size,
			  struct freeze_settings *ret)
{
	struct freeze_settings s = {};
	struct conf_parser p = {
		.path = path,
		.level = LOG_ERR,
		.userdata = &s,
		.assignment = settings_assignment,
	};
	int r = conf_parse_buffer(&p, text, size);

	if (r < 0)
		return r;
	if (p.n_errors)
		return -EINVAL;
	*ret = s;
	return 0;
}

static int settings_text(const struct freeze_settings *s, char **ret)
{
	char *t = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&t, &len);

	if (!f)
		return -ENOMEM;
	fputs("# Written by kexecq reboot for the shutdown hook (kexecq apply --stage=final).\n"
	      "[Run]\n",
	      f);
	if (s->deadline_usec)
		fprintf(f, "DeadlineSec=%" PRIu64 "us\n", s->deadline_usec);
	if (s->jobs)
		fprintf(f, "Jobs=%u\n", s->jobs);
	if (s->if_stuck[0])
		fprintf(f, "IfStuck=%s\n", s->if_stuck);
	if (s->force)
		fputs("Force=yes\n", f);
	if (fclose(f) != 0) {
		free(t);
		return -ENOMEM;
	}
	*ret = t;
	return 0;
}

int freeze_write(const char *dir, const struct inventory *inv, const struct policy_set *ps,
		 const char *info, const struct freeze_settings *settings)
{
	_cleanup_free_ char *base = NULL, *tmp = NULL, *old = NULL, *run = NULL;
	_cleanup_close_ int rfd = -EBADF, tfd = -EBADF, pfd = -EBADF;
	static const struct freeze_settings defaults = {};
	FILE *f;
	int fd, r;

	if (settings_text(settings ? settings : &defaults, &run) < 0)
		return log_oom();
	/* Everything below happens relative to the checked run directory. */
	rfd = open_run_dir(dir, true, &base);
	if (rfd < 0)
		return rfd;
	if (asprintf(&tmp, "%s.new", base) < 0 || asprintf(&old, "%s.old", base) < 0)
		return log_oom();
	(void)remove_at(rfd, tmp, 0);
	(void)remove_at(rfd, old, 0);
	if (mkdirat(rfd, tmp, 0700) < 0)
		return log_error_errno(errno, "Cannot create %s.new: %m", dir);
	tfd = openat(rfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0 || mkdirat(tfd, "policy.d", 0700) < 0 ||
	    (pfd = openat(tfd, "policy.d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		r = -errno;
		goto fail;
	}

	fd = openat(tfd, "inventory.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		    0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	r = inventory_save_json(inv, f);
	if (fclose(f) != 0 && r >= 0)
		r = -errno;
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < ps->n; i++) {
		r = copy_file(ps->policies[i]->path, pfd, ps->policies[i]->name);
		if (r < 0) {
			log_error_errno(r, "Cannot copy %s: %m", ps->policies[i]->path);
			goto fail;
		}
	}
	r = write_text(tfd, "info", info);
	if (r >= 0)
		r = write_text(tfd, "run.conf", run);
	if (r < 0)
		goto fail;
	if (renameat(rfd, base, rfd, old) < 0 && errno != ENOENT) {
		r = -errno;
		goto fail;
	}
	if (renameat(rfd, tmp, rfd, base) < 0) {
		r = -errno;
		goto fail;
	}
	(void)remove_at(rfd, old, 0);
	return 0;
fail:
	(void)remove_at(rfd, tmp, 0);
	return log_error_errno(r, "Cannot freeze the plan in %s: %m", dir);
}

static int nothing_frozen(const char *dir)
{
	return log_error_errno(ENOENT, "Nothing frozen in %s: run 'kexecq reboot' first.", dir);
}

/* run.conf, in the frozen directory fd: missing is the defaults (an older kexecq froze it). */
static int read_settings(int fd, const char *dir, struct freeze_settings *ret)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	_cleanup_close_ int cfd = -EBADF;
	size_t len;
	int r;

	if (asprintf(&path, "%s/run.conf", dir) < 0)
		return -ENOMEM;
	cfd = openat(fd, "run.conf", O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (cfd < 0) {
		if (errno != ENOENT)
			return log_error_errno(errno, "%s: %m", path);
		*ret = (struct freeze_settings){};
		return 0;
	}
	r = read_regular_fd(cfd, CONF_FILE_MAX, &buf, &len);
	if (r < 0)
		return log_error_errno(r, "%s: %m", path);
	return freeze_settings_parse(path, buf, len, ret);
}

int freeze_read(const char *dir, struct inventory **ret_inv, struct policy_set **ret_ps,
		struct freeze_settings *ret_settings)
{
	struct freeze_settings settings;
	_cleanup_(inventory_freep) struct inventory *inv = NULL;
	_cleanup_(policy_set_freep) struct policy_set *ps = NULL;
	_cleanup_free_ char *invp = NULL, *pd = NULL, *problem = NULL, *base = NULL;
	_cleanup_close_ int rfd = -EBADF, fd = -EBADF;
	char *dirs[2] = {};
	unsigned n_errors = 0;
	struct stat st;
	char buf[128];
	int r;

	rfd = open_run_dir(dir, false, &base);
	if (rfd == -ENOENT)
		return nothing_frozen(dir);
	if (rfd < 0)
		return rfd;
	fd = openat(rfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return nothing_frozen(dir);
		return log_error_errno(errno, "%s: %m", dir);
	}
	if (geteuid() == 0) {
		const char *why;

		if (fstat(fd, &st) < 0)
			return -errno;
		why = trust_problem(&st, buf, sizeof(buf));
		if (why)
			return log_error_errno(EPERM, "%s: not trusted (%s)", dir, why);
		r = trust_check_dir_chain(fd, &problem);
		if (r < 0)
			return log_error_errno(r, "%s: %m", dir);
		if (problem)
			return log_error_errno(EPERM, "%s: not trusted (%s)", dir, problem);
	}
	r = read_settings(fd, dir, &settings);
	if (r < 0)
		return r;
	if (asprintf(&invp, "%s/inventory.json", dir) < 0 || asprintf(&pd, "%s/policy.d", dir) < 0)
		return -ENOMEM;
	r = inventory_load_json(invp, &inv);
	if (r < 0)
		return r;
	dirs[0] = pd;
	r = policy_set_load(dirs, POLICY_DIRS_EXPLICIT, &ps, &n_errors);
	if (r < 0)
		return r;
	if (n_errors)
		return log_error_errno(EINVAL, "%s: %u problem%s in the frozen policies", pd,
				       n_errors, n_errors == 1 ? "" : "s");
	*ret_inv = TAKE_PTR(inv);
	*ret_ps = TAKE_PTR(ps);
	if (ret_settings)
		*ret_settings = settings;
	return 0;
}
