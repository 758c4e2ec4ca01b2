// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "conf-parser.h"
#include "log.h"
#include "mountinfo.h"

#define OPTIONAL_FIELDS_MAX 64U

static void entry_done(struct mountinfo_entry *e)
{
	free(e->root);
	free(e->mount_point);
	free(e->fstype);
	free(e->source);
}

struct mountinfo *mountinfo_free(struct mountinfo *mi)
{
	if (!mi)
		return NULL;
	for (size_t i = 0; i < mi->n; i++)
		entry_done(&mi->entries[i]);
	free(mi->entries);
	free(mi);
	return NULL;
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

int mountinfo_unescape(const char *s, size_t n, char **ret)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && n - i > 3 && is_octal(s[i + 1]) && is_octal(s[i + 2]) &&
		    is_octal(s[i + 3])) {
			unsigned v = (unsigned)(s[i + 1] - '0') * 64 +
				     (unsigned)(s[i + 2] - '0') * 8 + (unsigned)(s[i + 3] - '0');

			if (v == 0 || v > 255) {
				free(out);
				return -EINVAL;
			}
			*o++ = (char)v;
			i += 3;
			continue;
		}
		if (s[i] == 0) {
			free(out);
			return -EINVAL;
		}
		*o++ = s[i];
	}
	*o = 0;
	*ret = out;
	return 0;
}

/* A decimal number without sign or leading junk, at most UINT_MAX. */
static int parse_uint(const char *s, size_t n, unsigned *ret)
{
	unsigned long v = 0;

	if (n == 0 || n > 10)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > UINT_MAX)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

/* Is word one of the comma-separated options in s[0..n)? */
static bool has_option(const char *s, size_t n, const char *word)
{
	size_t wl = strlen(word);

	for (size_t i = 0; i < n;) {
		size_t l = 0;

		while (i + l < n && s[i + l] != ',')
			l++;
		if (l == wl && memcmp(s + i, word, wl) == 0)
			return true;
		i += l + 1;
	}
	return false;
}

struct field {
	const char *s;
	size_t n;
};

static int parse_line(const char *path, size_t lineno, const char *line, size_t len,
		      struct mountinfo_entry *e)
{
	struct field f[6 + OPTIONAL_FIELDS_MAX + 4];
	size_t nf = 0, sep = 0, i = 0;
	const char *c;
	int r;

	/* Fields are separated by single spaces; none is empty but the source. */
	while (i <= len) {
		size_t l = 0;

		while (i + l < len && line[i + l] != ' ')
			l++;
		/* The source may be empty (the kernel prints an empty device name as is). */
		if (l == 0 && !(sep && nf == sep + 2))
			return log_error_errno(EBADMSG, "%s:%zu: empty field", path, lineno);
		if (nf == ELEMENTSOF(f))
			return log_error_errno(EBADMSG, "%s:%zu: too many fields", path, lineno);
		f[nf++] = (struct field){ line + i, l };
		if (nf > 6 && !sep && l == 1 && line[i] == '-')
			sep = nf - 1;
		i += l + 1;
	}
	if (!sep || nf != sep + 4)
		return log_error_errno(EBADMSG,
				       "%s:%zu: expected \"ID PARENT MAJ:MIN ROOT MOUNT-POINT "
				       "OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER-OPTIONS\"",
				       path, lineno);
	if (parse_uint(f[0].s, f[0].n, &e->id) < 0 || parse_uint(f[1].s, f[1].n, &e->parent_id) < 0)
		return log_error_errno(EBADMSG, "%s:%zu: invalid mount id", path, lineno);
	c = memchr(f[2].s, ':', f[2].n);
	if (!c || parse_uint(f[2].s, (size_t)(c - f[2].s), &e->major) < 0 ||
	    parse_uint(c + 1, f[2].n - (size_t)(c - f[2].s) - 1, &e->minor) < 0)
		return log_error_errno(EBADMSG, "%s:%zu: invalid MAJ:MIN", path, lineno);

	const struct {
		struct field *f;
		char **to;
		const char *what;
	} strs[] = {
		{ &f[3], &e->root, "root" },
		{ &f[4], &e->mount_point, "mount point" },
		{ &f[sep + 1], &e->fstype, "file system type" },
		{ &f[sep + 2], &e->source, "source" },
	};
	for (size_t k = 0; k < ELEMENTSOF(strs); k++) {
		r = mountinfo_unescape(strs[k].f->s, strs[k].f->n, strs[k].to);
		if (r == -ENOMEM)
			return log_oom();
		if (r < 0)
			return log_error_errno(EBADMSG, "%s:%zu: invalid escape in the %s", path,
					       lineno, strs[k].what);
	}
	if (e->mount_point[0] != '/' || e->root[0] != '/')
		return log_error_errno(EBADMSG, "%s:%zu: mount point or root is not absolute", path,
				       lineno);
	if (strlen(e->mount_point) >= PATH_MAX)
		return log_error_errno(EBADMSG, "%s:%zu: mount point longer than PATH_MAX", path,
				       lineno);
	e->mount_read_only = has_option(f[5].s, f[5].n, "ro");
	e->read_only = has_option(f[sep + 3].s, f[sep + 3].n, "ro");
	return 0;
}

int mountinfo_parse(const char *path, const char *buf, size_t size, struct mountinfo **ret)
{
	_cleanup_(mountinfo_freep) struct mountinfo *mi = calloc(1, sizeof(*mi));
	size_t allocated = 0, lineno = 0;
	int r;

	if (!mi)
		return log_oom();
	if (size > MOUNTINFO_FILE_MAX)
		return log_error_errno(EFBIG, "%s: larger than %u bytes", path, MOUNTINFO_FILE_MAX);
	for (size_t i = 0; i < size;) {
		const char *nl = memchr(buf + i, '\n', size - i);
		size_t len = nl ? (size_t)(nl - (buf + i)) : size - i;
		struct mountinfo_entry e = {};

		lineno++;
		if (len > MOUNTINFO_LINE_MAX)
			return log_error_errno(EBADMSG, "%s:%zu: line longer than %u bytes", path,
					       lineno, MOUNTINFO_LINE_MAX);
		if (memchr(buf + i, 0, len))
			return log_error_errno(EBADMSG, "%s:%zu: NUL byte", path, lineno);
		if (len == 0) {
			i += 1;
			continue;
		}
		if (mi->n == MOUNTINFO_ENTRIES_MAX)
			return log_error_errno(EFBIG, "%s: more than %u mounts", path,
					       MOUNTINFO_ENTRIES_MAX);
		r = parse_line(path, lineno, buf + i, len, &e);
		if (r < 0) {
			entry_done(&e);
			return r;
		}
		if (mi->n == allocated) {
			size_t na = allocated ? allocated * 2 : 32;
			struct mountinfo_entry *ne = realloc(mi->entries, na * sizeof(*ne));

			if (!ne) {
				entry_done(&e);
				return log_oom();
			}
			mi->entries = ne;
			allocated = na;
		}
		mi->entries[mi->n++] = e;
		i += len + 1;
	}
	*ret = TAKE_PTR(mi);
	return 0;
}

int mountinfo_read(const char *path, struct mountinfo **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = read_file_logged(path, MOUNTINFO_FILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	return mountinfo_parse(path, buf, len, ret);
}
