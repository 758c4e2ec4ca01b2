// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-files.h"
#include "log.h"
#include "strv.h"

void conf_file_list_done(struct conf_file_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->files[i].name);
		free(l->files[i].path);
		strv_free(l->files[i].shadowed);
	}
	free(l->files);
	l->files = NULL;
	l->n = 0;
}

static struct conf_file *find(struct conf_file_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (streq(l->files[i].name, name))
			return &l->files[i];
	return NULL;
}

static bool is_masked(const char *path)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (lstat(path, &st) < 0)
		return false;
	if (S_ISLNK(st.st_mode)) {
		n = readlink(path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = 0;
			if (streq(target, "/dev/null"))
				return true;
		}
		if (stat(path, &st) < 0)
			return false;
	}
	return S_ISREG(st.st_mode) && st.st_size == 0;
}

static int add_dir(struct conf_file_list *l, const char *dir, const char *suffix)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;

	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return log_error_errno(-errno, "Failed to open directory %s: %m", dir);
	}
	while ((errno = 0, de = readdir(d))) {
		_cleanup_free_ char *path = NULL;
		struct conf_file *f;
		size_t nl = strlen(de->d_name), sl = strlen(suffix);
		struct stat st;

		if (de->d_name[0] == '.' || nl <= sl || !streq(de->d_name + nl - sl, suffix))
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
			return -ENOMEM;
		/* Directories and other non-files named *.policy are not policies. */
		if (!is_masked(path) && (stat(path, &st) < 0 || !S_ISREG(st.st_mode)))
			continue;

		f = find(l, de->d_name);
		if (f) {
			if (strv_consume(&f->shadowed, TAKE_PTR(path)) < 0)
				return -ENOMEM;
			continue;
		}
		f = realloc(l->files, sizeof(*l->files) * (l->n + 1));
		if (!f)
			return -ENOMEM;
		l->files = f;
		f = &l->files[l->n];
		*f = (struct conf_file){
			.name = strdup(de->d_name),
			.masked = is_masked(path),
		};
		if (!f->name)
			return -ENOMEM;
		f->path = TAKE_PTR(path);
		l->n++;
	}
	if (errno)
		return log_error_errno(-errno, "Failed to read directory %s: %m", dir);
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	const struct conf_file *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int conf_files_list(char *const *dirs, const char *suffix, struct conf_file_list *ret)
{
	struct conf_file_list l = {};
	int r;

	STRV_FOREACH (d, dirs) {
		r = add_dir(&l, *d, suffix);
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
