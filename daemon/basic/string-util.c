// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "string-util.h"
#include "strv.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates, beyond Unicode. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

bool utf8_is_valid_n(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l = utf8_seq_len(u + i, n - i);

		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

/* U+FFFE and U+FFFF: valid UTF-8, but not characters XML may carry. */
static bool xml_nonchar(const unsigned char *u, size_t l)
{
	return l == 3 && u[0] == 0xef && u[1] == 0xbf && (u[2] == 0xbe || u[2] == 0xbf);
}

static char *cescape_full(const char *s, size_t n, size_t max_out, bool markup)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t shown = n < max_out ? n : max_out;
	/* Worst case four bytes out per byte in, plus "..." and NUL. */
	char *r = malloc(shown * 4 + 4), *o = r;

	if (!r)
		return NULL;
	for (size_t i = 0; i < shown;) {
		size_t l = u[i] >= 0x80 ? utf8_seq_len(u + i, shown - i) : 1;

		if (u[i] >= 0x80 && l > 0 && !(markup && xml_nonchar(u + i, l))) {
			memcpy(o, u + i, l);
			o += l;
			i += l;
			continue;
		}
		switch (u[i]) {
		case '\n':
			o = stpcpy(o, "\\n");
			break;
		case '\t':
			o = stpcpy(o, "\\t");
			break;
		case '\r':
			o = stpcpy(o, "\\r");
			break;
		case '\\':
			o = stpcpy(o, "\\\\");
			break;
		default:
			if (u[i] < 0x20 || u[i] >= 0x7f)
				o += sprintf(o, "\\x%02x", u[i]);
			else
				*o++ = (char)u[i];
		}
		i++;
	}
	if (shown < n)
		o = stpcpy(o, "...");
	*o = 0;
	return r;
}

char *cescape_n(const char *s, size_t n, size_t max_out)
{
	return cescape_full(s, n, max_out, false);
}

char *cescape(const char *s)
{
	return cescape_n(s, strlen(s), 1024);
}

char *cescape_markup(const char *s)
{
	return cescape_full(s, strlen(s), 1024, true);
}

int extract_first_word(const char **p, char **ret)
{
	const char *s = *p;
	size_t cap, len = 0;
	char quote = 0, *w;

	s += strspn(s, " \t");
	if (!*s) {
		*p = s;
		*ret = NULL;
		return 0;
	}
	/* A word is never longer than the rest of the input. */
	cap = strcspn(s, "") + 1;
	w = malloc(cap);
	if (!w)
		return -ENOMEM;
	for (; *s; s++) {
		if (quote) {
			if (*s == '\\' && (s[1] == quote || s[1] == '\\')) {
				w[len++] = *++s;
				continue;
			}
			if (*s == quote) {
				quote = 0;
				continue;
			}
			w[len++] = *s;
			continue;
		}
		if (*s == ' ' || *s == '\t')
			break;
		if (*s == '"' || *s == '\'') {
			quote = *s;
			continue;
		}
		w[len++] = *s;
	}
	if (quote) {
		free(w);
		return -EINVAL;
	}
	w[len] = 0;
	*p = s;
	*ret = w;
	return 1;
}

int strv_split_quoted(const char *s, char ***ret)
{
	_cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
	const char *p = s;
	int r;

	if (!l)
		return -ENOMEM;
	for (;;) {
		char *w;

		r = extract_first_word(&p, &w);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		r = strv_consume(&l, w);
		if (r < 0) {
			free(w);
			return r;
		}
	}
	*ret = TAKE_PTR(l);
	return 0;
}

char *path_absolute(const char *path)
{
	char *cwd, *r = NULL;

	if (path[0] == '/')
		return strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	if (asprintf(&r, "%s/%s", cwd, path) < 0)
		r = NULL;
	free(cwd);
	return r;
}
