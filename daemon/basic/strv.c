// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

char **strv_free(char **l)
{
	if (!l)
		return NULL;
	for (char **s = l; *s; s++)
		free(*s);
	free(l);
	return NULL;
}

size_t strv_length(char *const *l)
{
	size_t n = 0;

	while (l && l[n])
		n++;
	return n;
}

int strv_consume(char ***l, char *value)
{
	size_t n = strv_length(*l);
	char **c;

	c = realloc(*l, sizeof(char *) * (n + 2));
	if (!c)
		return -ENOMEM;
	c[n] = value;
	c[n + 1] = NULL;
	*l = c;
	return 0;
}

int strv_extend(char ***l, const char *value)
{
	char *v = strdup(value);
	int r;

	if (!v)
		return -ENOMEM;
	r = strv_consume(l, v);
	if (r < 0)
		free(v);
	return r;
}

bool strv_contains(char *const *l, const char *s)
{
	STRV_FOREACH (i, l)
		if (streq(*i, s))
			return true;
	return false;
}

char *strv_join(char *const *l, const char *sep)
{
	size_t len = 0, sl = strlen(sep);
	char *r, *p;

	STRV_FOREACH (s, l)
		len += strlen(*s) + sl;
	r = p = malloc(len + 1);
	if (!r)
		return NULL;
	*p = 0;
	STRV_FOREACH (s, l) {
		if (s != l)
			p = stpcpy(p, sep);
		p = stpcpy(p, *s);
	}
	return r;
}

char **strv_copy(char *const *l)
{
	char **c = calloc(strv_length(l) + 1, sizeof(char *));
	size_t n = 0;

	if (!c)
		return NULL;
	STRV_FOREACH (i, l) {
		c[n] = strdup(*i);
		if (!c[n])
			return strv_free(c);
		n++;
	}
	return c;
}
