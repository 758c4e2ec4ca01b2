// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-parser.h"
#include "log.h"
#include "string-util.h"

void conf_error(struct conf_parser *p, const char *fmt, ...)
{
	/* A file name may hold any byte but "/" and NUL. */
	_cleanup_free_ char *path = cescape(p->path);
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line)
		(void)log_full_errno(p->level, 0, "%s:%u: %s", strna(path), p->line, msg);
	else
		(void)log_full_errno(p->level, 0, "%s: %s", strna(path), msg);
	p->n_errors++;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim spaces and tabs in place; returns the new start. */
static char *strip(char *s)
{
	char *e;

	while (is_ws(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_ws(e[-1]))
		*--e = 0;
	return s;
}

static bool key_is_valid(const char *k)
{
	size_t n = strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");

	return n > 0 && k[n] == 0;
}

static int logical_line(struct conf_parser *p, char *l, char **section)
{
	char *eq, *key, *value;
	_cleanup_free_ char *shown = NULL;
	int r;

	l = strip(l);
	if (!*l)
		return 0;
	if (*l == '[') {
		size_t len = strlen(l);
		char *name;

		free(*section);
		*section = NULL;
		if (len < 3 || l[len - 1] != ']') {
			shown = cescape(l);
			conf_error(p, "invalid section header \"%s\"", strna(shown));
			return 0;
		}
		l[len - 1] = 0;
		name = l + 1;
		if (!key_is_valid(name)) {
			shown = cescape(name);
			conf_error(p, "invalid section name \"%s\"", strna(shown));
			return 0;
		}
		*section = strdup(name);
		if (!*section)
			return -ENOMEM;
		return p->section ? p->section(p, *section) : 0;
	}
	eq = strchr(l, '=');
	if (!eq) {
		shown = cescape(l);
		conf_error(p, "expected KEY=VALUE, got \"%s\"", strna(shown));
		return 0;
	}
	*eq = 0;
	key = strip(l);
	value = strip(eq + 1);
	if (!key_is_valid(key)) {
		shown = cescape(key);
		conf_error(p, "invalid key \"%s\"", strna(shown));
		return 0;
	}
	r = p->assignment(p, *section, key, value);
	return r < 0 ? r : 0;
}

/* A problem with physical line lineno, which may sit inside a continued line. */
static void line_problem(struct conf_parser *p, unsigned lineno, const char *what, const char *l,
			 size_t n)
{
	_cleanup_free_ char *shown = l ? cescape_n(l, n, 256) : NULL;
	unsigned keep = p->line;

	p->line = lineno;
	if (l)
		conf_error(p, "%s: \"%s\"", what, strna(shown));
	else
		conf_error(p, "%s", what);
	p->line = keep;
}

int conf_parse_buffer(struct conf_parser *p, const char *data, size_t size)
{
	_cleanup_free_ char *section = NULL, *logical = NULL;
	const char *pos = data, *end = data + size;
	size_t loglen = 0;
	unsigned lineno = 0;
	bool broken = false; /* the logical line being joined has a problem */
	int r;

	/* A UTF-8 byte order mark is allowed at the very start. */
	if (size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		pos += 3;

	while (pos < end) {
		const char *nl = memchr(pos, '\n', (size_t)(end - pos));
		size_t n = nl ? (size_t)(nl - pos) : (size_t)(end - pos);
		const char *l = pos, *problem;
		bool cont, last = !nl || nl + 1 >= end;

		pos = nl ? nl + 1 : end;
		lineno++;
		if (!logical)
			p->line = lineno;
		if (n > 0 && l[n - 1] == '\r')
			n--;

		problem = n > CONF_LINE_MAX	 ? "line is longer than 65536 bytes" :
			  memchr(l, 0, n)	 ? "NUL byte in line" :
			  !utf8_is_valid_n(l, n) ? "invalid UTF-8" :
						   NULL;
		if (problem) {
			line_problem(p, lineno, problem, n > CONF_LINE_MAX ? NULL : l, n);
			broken = true;
			n = 0;
		}
		/* Comment lines are skipped, even inside a continuation. */
		{
			size_t ws = 0;

			while (ws < n && is_ws(l[ws]))
				ws++;
			if (ws < n && (l[ws] == '#' || l[ws] == ';')) {
				if (!last || !logical)
					continue;
				n = 0; /* the file ends inside a continuation */
			}
		}

		cont = n > 0 && l[n - 1] == '\\';
		if (cont)
			n--;
		if (loglen + n + 1 > CONF_LINE_MAX + 1) {
			if (!broken)
				conf_error(p, "continued line is longer than %u bytes",
					   CONF_LINE_MAX);
			broken = true;
		} else {
			char *c = realloc(logical, loglen + n + 2);

			if (!c)
				return -ENOMEM;
			logical = c;
			memcpy(logical + loglen, l, n);
			loglen += n;
			if (cont)
				logical[loglen++] = ' ';
			logical[loglen] = 0;
		}
		if (cont && !last)
			continue;

		if (!broken && logical) {
			r = logical_line(p, logical, &section);
			if (r < 0)
				return r;
		}
		logical = mfree(logical);
		loglen = 0;
		broken = false;
	}
	p->line = lineno;
	return 0;
}

int read_regular_fd(int fd, size_t max, char **ret, size_t *ret_size)
{
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0, cap;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	/* The size may change under us: read to EOF, but never past max. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap > max)
				return -EFBIG;
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
	}
	buf[len] = 0;
	*ret = TAKE_PTR(buf);
	*ret_size = len;
	return 0;
}

int read_regular_fd_logged(int fd, const char *path, size_t max, char **ret, size_t *ret_size)
{
	int r = read_regular_fd(fd, max, ret, ret_size);

	if (r == -EBADFD)
		return log_error_errno(r, "%s: not a regular file", path);
	if (r == -EFBIG)
		return log_error_errno(r, "%s: larger than %zu bytes", path, max);
	if (r < 0)
		return log_error_errno(r, "%s: cannot read: %m", path);
	return 0;
}

int read_file_logged(const char *path, size_t max, char **ret, size_t *ret_size)
{
	/* A FIFO or a device named by mistake must not block or read forever. */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return log_error_errno(errno, "%s: cannot open: %m", path);
	return read_regular_fd_logged(fd, path, max, ret, ret_size);
}
