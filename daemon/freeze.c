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

/* Our own two levels: files, and policy.d with files. */
static int remove_tree(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		_cleanup_free_ char *p = NULL;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
			return -ENOMEM;
		if (de->d_type == DT_DIR) {
			int r = remove_tree(p);

			if (r < 0)
				return r;
		} else if (unlink(p) < 0 && errno != ENOENT)
			return -errno;
	}
	return rmdir(dir) < 0 && errno != ENOENT ? -errno : 0;
}

int freeze_remove(const char *dir)
{
	return remove_tree(dir);
}

static int copy_file(const char *from, const char *to)
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
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0)
		return -errno;
	if (write(out, buf, len) != (ssize_t)len)
		return -EIO;
	return 0;
}

static int write_text(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
				      0600);
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
	_cleanup_free_ char *tmp = NULL, *old = NULL, *pd = NULL, *invp = NULL, *infop = NULL;
	_cleanup_free_ char *parent = strdup(dir), *runp = NULL, *run = NULL;
	static const struct freeze_settings defaults = {};
	char *slash;
	FILE *f;
	int fd, r;

	if (!parent || asprintf(&tmp, "%s.new", dir) < 0 || asprintf(&old, "%s.old", dir) < 0 ||
	    asprintf(&pd, "%s/policy.d", tmp) < 0 || asprintf(&invp, "%s/inventory.json", tmp) < 0 ||
	    asprintf(&infop, "%s/info", tmp) < 0 || asprintf(&runp, "%s/run.conf", tmp) < 0 ||
	    settings_text(settings ? settings : &defaults, &run) < 0)
		return -ENOMEM;
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = 0;
		if (mkdir(parent, 0700) < 0 && errno != EEXIST)
			return log_error_errno(errno, "Cannot create %s: %m", parent);
	}
	(void)remove_tree(tmp);
	(void)remove_tree(old);
	if (mkdir(tmp, 0700) < 0 || mkdir(pd, 0700) < 0)
		return log_error_errno(errno, "Cannot create %s: %m", tmp);

	fd = open(invp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
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
		_cleanup_free_ char *to = NULL;

		if (asprintf(&to, "%s/%s", pd, ps->policies[i]->name) < 0) {
			r = -ENOMEM;
			goto fail;
		}
		r = copy_file(ps->policies[i]->path, to);
		if (r < 0) {
			log_error_errno(r, "Cannot copy %s: %m", ps->policies[i]->path);
			goto fail;
		}
	}
	r = write_text(infop, info);
	if (r >= 0)
		r = write_text(runp, run);
	if (r < 0)
		goto fail;
	if (rename(dir, old) < 0 && errno != ENOENT) {
		r = -errno;
		goto fail;
	}
	if (rename(tmp, dir) < 0) {
		r = -errno;
		goto fail;
	}
	(void)remove_tree(old);
	return 0;
fail:
	(void)remove_tree(tmp);
	return log_error_errno(r, "Cannot freeze the plan in %s: %m", dir);
}

/* run.conf: missing is the defaults (a plan frozen by an older kexecq). */
static int read_settings(const char *dir, struct freeze_settings *ret)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t len;
	int r;

	if (asprintf(&path, "%s/run.conf", dir) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno != ENOENT)
			return log_error_errno(errno, "%s: %m", path);
		*ret = (struct freeze_settings){};
		return 0;
	}
	r = read_regular_fd(fd, CONF_FILE_MAX, &buf, &len);
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
	_cleanup_free_ char *invp = NULL, *pd = NULL, *problem = NULL;
	_cleanup_close_ int fd = -EBADF;
	char *dirs[2] = {};
	unsigned n_errors = 0;
	struct stat st;
	char buf[128];
	int r;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return log_error_errno(ENOENT, "Nothing frozen in %s: run 'kexecq reboot' "
						       "first.",
					       dir);
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
	if (asprintf(&invp, "%s/inventory.json", dir) < 0 || asprintf(&pd, "%s/policy.d", dir) < 0)
		return -ENOMEM;
	r = read_settings(dir, &settings);
	if (r < 0)
		return r;
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
