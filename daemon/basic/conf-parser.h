/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The syntax of systemd.syntax(7) over a bounded buffer: sections, KEY=VALUE
 * assignments, comments, continuation lines.  Hostile input is expected:
 * the buffer may hold NUL bytes, invalid UTF-8 or endless lines, and each
 * is reported as "file:line: message" with the offending bytes escaped.
 * What the sections and keys mean is the caller's business (policy.c).
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"

/* Longest line, physical or joined by continuations. */
#define CONF_LINE_MAX (64U * 1024U)
/* Largest file read. */
#define CONF_FILE_MAX (1024U * 1024U)

struct conf_parser {
	const char *path; /* for messages */
	unsigned line; /* first line of the current logical line */
	int level; /* of problems: LOG_ERR or LOG_WARNING */
	unsigned n_errors;
	void *userdata;

	/* A "[Section]" header; the name is checked for syntax already. */
	int (*section)(struct conf_parser *p, const char *section);
	/* KEY=VALUE; section is NULL before the first header.  < 0 stops (OOM). */
	int (*assignment)(struct conf_parser *p, const char *section, const char *key,
			  const char *value);
};

/* Log "path:line: message" at p->level and count it. */
void conf_error(struct conf_parser *p, const char *fmt, ...) _printf_(2, 3);

/*
 * Parse size bytes of data.  Problems are reported through conf_error()
 * and parsing goes on, so that one run lists them all.  Returns 0, or a
 * negative errno from a callback.
 */
int conf_parse_buffer(struct conf_parser *p, const char *data, size_t size);

/*
 * Read an open file whole: it must be a regular file (fstat on fd, so a
 * FIFO, a device or a directory is refused, never read) of at most max
 * bytes.  -EBADFD for not a regular file, -EFBIG for too large.
 * The result is NUL-terminated for convenience; *ret_size excludes it.
 */
int read_regular_fd(int fd, size_t max, char **ret, size_t *ret_size);

/* read_regular_fd(), its errors said and naming path. */
int read_regular_fd_logged(int fd, const char *path, size_t max, char **ret, size_t *ret_size);
/* Open path as hostile input (no FIFO blocks it, no terminal is taken) and read it whole. */
int read_file_logged(const char *path, size_t max, char **ret, size_t *ret_size);
