// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf-parser.h"
#include "driver-table.h"
#include "log.h"
#include "string-util.h"
#include "values.h"

#define HEADER "name\tfile\tremove\tshutdown\tdriver_managed_dma\tnotes"
#define TITLE "# PCI drivers of Linux "
#define PREFIX "pci-drivers-"
#define SUFFIX ".tsv"

struct driver_table *driver_table_free(struct driver_table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		free(t->rows[i].name);
	free(t->rows);
	free(t->path);
	free(t->version);
	free(t->series);
	free(t);
	return NULL;
}

static int cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct driver_row *)a)->name, ((const struct driver_row *)b)->name);
}

static int flag(const char *s, bool *ret)
{
	if (streq(s, "0") || streq(s, "1")) {
		*ret = s[0] == '1';
		return 0;
	}
	return -EINVAL;
}

/* Split line (modified) at tabs into at most n fields; returns the count. */
static size_t split_tabs(char *line, char **f, size_t n)
{
	size_t k = 0;

	while (k < n) {
		f[k++] = line;
		line = strchr(line, '\t');
		if (!line)
			break;
		*line++ = 0;
	}
	return line ? n + 1 : k;
}

int driver_table_parse(const char *path, const char *series, const char *data, size_t size,
		       struct driver_table **ret)
{
	_cleanup_(driver_table_freep) struct driver_table *t = calloc(1, sizeof(*t));
	_cleanup_free_ char *buf = NULL;
	size_t allocated = 0, lineno = 0, w;
	char *line, *next;

	if (!t || !(buf = malloc(size + 1)))
		return log_oom();
	memcpy(buf, data, size);
	buf[size] = 0;
	if (memchr(data, 0, size))
		return log_error_errno(EINVAL, "%s: NUL byte: not a table", path);
	t->path = strdup(path);
	t->series = strdup(series);
	if (!t->path || !t->series)
		return log_oom();
	for (line = buf; line && *line; line = next) {
		char *f[6];
		struct driver_row row = {};

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		if (lineno == 1) {
			const char *v = startswith(line, TITLE);
			size_t n = v ? strcspn(v, ", ") : 0;

			if (!n)
				return log_error_errno(
					EINVAL,
					"%s:1: not a table of contrib/pci-driver-table.py "
					"(expected \"" TITLE "VERSION, ...\")",
					path);
			t->version = strndup(v, n);
			if (!t->version)
				return log_oom();
			if (!text_is_valid(t->version, 64))
				return log_error_errno(EINVAL, "%s:1: invalid kernel version",
						       path);
			/* The file name says which series it is for; the title must agree. */
			n = strlen(series);
			if (strncmp(t->version, series, n) != 0 ||
			    (t->version[n] && t->version[n] != '.' && t->version[n] != '-'))
				return log_error_errno(
					EINVAL,
					"%s:1: describes Linux %s, not the %s series "
					"its name says",
					path, t->version, series);
			continue;
		}
		if (lineno == 2) {
			if (!streq(line, HEADER))
				return log_error_errno(
					EINVAL, "%s:2: expected the header \"%s\"", path,
					"name, file, remove, shutdown, driver_managed_dma, notes");
			continue;
		}
		if (split_tabs(line, f, 6) != 6 || flag(f[2], &row.remove) < 0 ||
		    flag(f[3], &row.shutdown) < 0 || flag(f[4], &row.managed_dma) < 0 || !*f[0] ||
		    !text_is_valid(f[0], 256) || strchr(f[0], '/'))
			return log_error_errno(
				EINVAL,
				"%s:%zu: expected NAME, FILE, then 0 or 1 three times, "
				"then notes, separated by tabs",
				path, lineno);
		if (t->n == allocated) {
			size_t na = allocated ? allocated * 2 : 1024;
			struct driver_row *nr = reallocarray(t->rows, na, sizeof(*nr));

			if (!nr)
				return log_oom();
			t->rows = nr;
			allocated = na;
		}
		row.name = strdup(f[0]);
		if (!row.name)
			return log_oom();
		t->rows[t->n++] = row;
	}
	if (lineno < 2)
		return log_error_errno(EINVAL, "%s: too short to be a table", path);
	/* One row per name: definitions that disagree make it ambiguous. */
	if (t->n > 1)
		qsort(t->rows, t->n, sizeof(*t->rows), cmp_row);
	w = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (w > 0 && streq(t->rows[w - 1].name, t->rows[i].name)) {
			struct driver_row *p = &t->rows[w - 1];

			p->ambiguous = p->ambiguous || p->shutdown != t->rows[i].shutdown;
			p->shutdown = p->shutdown && t->rows[i].shutdown;
			p->remove = p->remove && t->rows[i].remove;
			p->managed_dma = p->managed_dma || t->rows[i].managed_dma;
			free(t->rows[i].name);
			continue;
		}
		t->rows[w++] = t->rows[i];
	}
	t->n = w;
	*ret = TAKE_PTR(t);
	return 0;
}

const struct driver_row *driver_table_find(const struct driver_table *t, const char *name)
{
	struct driver_row key = { .name = (char *)name };

	if (!t || !name || t->n == 0)
		return NULL;
	return bsearch(&key, t->rows, t->n, sizeof(*t->rows), cmp_row);
}

int driver_table_load_for(const char *dir, const char *release, struct driver_table **ret,
			  bool *ret_exact)
{
	_cleanup_free_ char *best = NULL, *path = NULL, *data = NULL, *series = NULL;
	unsigned want_a = 0, want_b = 0;
	long best_key = -1;
	bool older = false, have_release;
	_cleanup_close_ int fd = -EBADF;
	struct dirent *de;
	size_t size;
	DIR *d;
	int r;

	have_release = release && kernel_series(release, &want_a, &want_b) >= 0;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? -ENOENT :
					 log_error_errno(errno, "%s: cannot open: %m", dir);
	/* Exact, else the newest older, else the oldest newer (rank, then order). */
	while ((de = readdir(d))) {
		const char *v = startswith(de->d_name, PREFIX);
		size_t len = strlen(de->d_name);
		unsigned a, b;
		long key;
		bool o;

		if (!v || len <= strlen(SUFFIX) ||
		    !streq(de->d_name + len - strlen(SUFFIX), SUFFIX))
			continue;
		if (kernel_series(v, &a, &b) < 0)
			continue;
		key = (long)a * 1000 + b;
		o = !have_release || key <= (long)want_a * 1000 + want_b;
		if (best_key >= 0) {
			if (older && !o)
				continue;
			if (older == o && (o ? key < best_key : key > best_key))
				continue;
		}
		free(best);
		best = strdup(de->d_name);
		if (!best) {
			closedir(d);
			return log_oom();
		}
		best_key = key;
		older = o;
	}
	closedir(d);
	if (!best)
		return -ENOENT;
	if (asprintf(&path, "%s/%s", dir, best) < 0 ||
	    !(series = strndup(best + strlen(PREFIX),
			       strlen(best) - strlen(PREFIX) - strlen(SUFFIX))))
		return log_oom();
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return log_error_errno(errno, "%s: cannot open: %m", path);
	r = read_regular_fd_logged(fd, path, DRIVER_TABLE_MAX, &data, &size);
	if (r < 0)
		return r;
	r = driver_table_parse(path, series, data, size, ret);
	if (r < 0)
		return r;
	*ret_exact = have_release && best_key == (long)want_a * 1000 + want_b;
	return 0;
}
