// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "conf-files.h"
#include "log.h"
#include "string-util.h"
#include "trust.h"

#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

static void candidate_done(struct conf_candidate *c)
{
	free(c->path);
	free(c->problem);
	if (c->fd >= 0)
		close(c->fd);
}

void conf_file_list_done(struct conf_file_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		for (size_t k = 0; k < l->files[i].n_candidates; k++)
			candidate_done(&l->files[i].candidates[k]);
		free(l->files[i].candidates);
		free(l->files[i].name);
	}
	free(l->files);
	*l = (struct conf_file_list){};
}

const struct conf_candidate *conf_file_winner(const struct conf_file *f)
{
	for (size_t k = 0; k < f->n_candidates; k++)
		if (!f->candidates[k].problem)
			return &f->candidates[k];
	return NULL;
}

static bool is_null_device(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(1, 3);
}

static int set_problem(struct conf_candidate *c, const char *what)
{
	c->problem = strdup(what);
	return c->problem ? 0 : -ENOMEM;
}

/*
 * Open dir/name and decide what it is.  Returns 1 for a candidate, 0 to
 * ignore the entry (a directory named *.policy), or -ENOMEM.
 */
static int examine(int dfd, const char *name, unsigned flags, struct conf_candidate *c)
{
	bool trust = flags & CONF_FILES_TRUST;
	_cleanup_close_ int fd = -EBADF;
	struct stat lst, st;
	char buf[128];
	const char *why;
	int r;

	if (fstatat(dfd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0)
		return set_problem(c, "vanished while it was read") < 0 ? -ENOMEM : 1;
	if (S_ISDIR(lst.st_mode))
		return 0;
	if (S_ISLNK(lst.st_mode)) {
		if (trust && (why = trust_problem(&lst, buf, sizeof(buf))))
			return set_problem(c, why) < 0 ? -ENOMEM : 1;
		fd = openat(dfd, name, OPEN_FLAGS);
	} else {
		fd = openat(dfd, name, OPEN_FLAGS | O_NOFOLLOW);
	}
	if (fd < 0)
		return set_problem(c, errno == ENOENT ? "a dangling symlink" : "cannot be opened") <
				       0 ?
			       -ENOMEM :
			       1;
	if (fstat(fd, &st) < 0)
		return set_problem(c, "cannot be examined") < 0 ? -ENOMEM : 1;
	if (is_null_device(&st)) {
		c->masked = true;
		return 1;
	}
	if (!S_ISREG(st.st_mode))
		return set_problem(c, "not a regular file") < 0 ? -ENOMEM : 1;
	if (trust) {
		why = trust_problem(&st, buf, sizeof(buf));
		if (why)
			return set_problem(c, why) < 0 ? -ENOMEM : 1;
		if (S_ISLNK(lst.st_mode)) {
			_cleanup_free_ char *p = NULL;

			r = trust_check_fd_location(fd, &p);
			if (r == -ENOMEM)
				return r;
			if (r < 0 || p) {
				c->problem = p ? TAKE_PTR(p) :
						 strdup("its target cannot be checked");
				return c->problem ? 1 : -ENOMEM;
			}
		}
	}
	if (st.st_size == 0) {
		c->masked = true;
		return 1;
	}
	c->fd = TAKE_FD(fd);
	return 1;
}

static struct conf_file *find(struct conf_file_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (streq(l->files[i].name, name))
			return &l->files[i];
	return NULL;
}

static int add_candidate(struct conf_file_list *l, const char *name, struct conf_candidate *c)
{
	struct conf_file *f = find(l, name);
	struct conf_candidate *nc;

	if (!f) {
		f = realloc(l->files, sizeof(*l->files) * (l->n + 1));
		if (!f)
			return -ENOMEM;
		l->files = f;
		f = &l->files[l->n];
		*f = (struct conf_file){ .name = strdup(name) };
		if (!f->name)
			return -ENOMEM;
		l->n++;
	}
	nc = realloc(f->candidates, sizeof(*nc) * (f->n_candidates + 1));
	if (!nc)
		return -ENOMEM;
	f->candidates = nc;
	nc[f->n_candidates++] = *c;
	*c = (struct conf_candidate){ .fd = -1 };
	return 0;
}

static int add_dir(struct conf_file_list *l, const char *dir, const char *suffix, unsigned flags,
		   int level)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int dfd, r;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		if ((r == -ENOENT || r == -ENOTDIR) && !(flags & CONF_FILES_DIRS_EXPLICIT))
			return 0;
		return log_error_errno(r, "%s: cannot open policy directory: %m", dir);
	}
	if (flags & CONF_FILES_TRUST) {
		_cleanup_free_ char *problem = NULL;

		r = trust_check_dir_chain(dfd, &problem);
		if (r < 0 || problem) {
			close(dfd);
			if (r == -ENOMEM)
				return r;
			if (r < 0)
				(void)log_full_errno(level, r, "%s: cannot check ownership: %m",
						     dir);
			else
				(void)log_full_errno(level, 0, "%s: refusing every policy here: %s",
						     dir, problem);
			l->n_problems++;
			return 0;
		}
	}
	d = fdopendir(dfd);
	if (!d) {
		r = -errno;
		close(dfd);
		return log_error_errno(r, "%s: cannot read: %m", dir);
	}
	while ((errno = 0, de = readdir(d))) {
		struct conf_candidate c = { .fd = -1 };
		size_t nl = strlen(de->d_name), sl = strlen(suffix);

		if (de->d_name[0] == '.' || nl <= sl || !streq(de->d_name + nl - sl, suffix))
			continue;
		if (asprintf(&c.path, "%s/%s", dir, de->d_name) < 0)
			return -ENOMEM;
		r = examine(dirfd(d), de->d_name, flags, &c);
		if (r <= 0) {
			candidate_done(&c);
			if (r < 0)
				return r;
			continue;
		}
		if (c.problem) {
			_cleanup_free_ char *shown = cescape(c.path);

			(void)log_full_errno(level, 0, "%s: refusing it: %s", strna(shown),
					     c.problem);
			l->n_problems++;
		}
		r = add_candidate(l, de->d_name, &c);
		if (r < 0) {
			candidate_done(&c);
			return r;
		}
	}
	if (errno)
		return log_error_errno(-errno, "%s: cannot read: %m", dir);
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	const struct conf_file *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int conf_files_list(char *const *dirs, const char *suffix, unsigned flags, int level,
		    struct conf_file_list *ret)
{
	struct conf_file_list l = {};
	int r;

	for (char *const *d = dirs; d && *d; d++) {
		r = add_dir(&l, *d, suffix, flags, level);
		if (r < 0) {
			conf_file_list_done(&l);
			return r;
		}
	}
	if (l.n > 1)
		qsort(l.files, l.n, sizeof(*l.files), cmp_name);
	*ret = l;
	return 0;
}
