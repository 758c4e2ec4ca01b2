/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Byte-level string helpers for hostile input: UTF-8 validation, escaping
 * for messages, and splitting values into words with quoting (after
 * systemd's utf8.c, escape.c and extract-word.c, written for kexecq).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool utf8_is_valid_n(const char *s, size_t n);

/*
 * A copy of s[0..n) fit for a message: control characters, DEL, "\" and
 * bytes that are not valid UTF-8 become C escapes (\n, \t, \\, \xNN).  At
 * most max_out bytes of input are shown; longer input ends in "...".
 * Returns NULL on OOM.
 */
char *cescape_n(const char *s, size_t n, size_t max_out);
/* The same for a NUL-terminated string, showing at most 1024 bytes. */
char *cescape(const char *s);
/*
 * cescape(), and U+FFFE and U+FFFF escaped too (\xef\xbf\xbe): what is left
 * is text that XML (SVG) and Graphviz can carry, once their own
 * metacharacters are escaped.
 */
char *cescape_markup(const char *s);

/*
 * Extract the next word of *p, advancing *p.  Words are separated by
 * spaces and tabs.  "..." and '...' group (a quoted part may sit inside a
 * word: ID_MODEL="Some Disk" gives ID_MODEL=Some Disk); inside quotes a
 * backslash escapes the quote character and the backslash itself.  Outside
 * quotes a backslash is taken literally, so fnmatch escapes pass through.
 * Returns 1 and the word, 0 at the end of input, -EINVAL for an
 * unterminated quote, -ENOMEM.
 */
int extract_first_word(const char **p, char **ret);

/* Splits all of s with extract_first_word(); an empty s gives an empty vector. */
int strv_split_quoted(const char *s, char ***ret);

/* path as an absolute path: itself, or the working directory joined with it; NULL on ENOMEM. */
char *path_absolute(const char *path);
