/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small json-c helpers shared by its users: snapshot.c, plan-output.c, and
 * record.c and verify-output.c (boot records, verify and status).
 */
#pragma once

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>

#include "macro.h"

static inline void json_object_putp(json_object **o)
{
	if (*o)
		json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_object_putp)

static inline json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* json_object_object_add() takes ownership; NULL values are left out. */
static inline int json_add(json_object *o, const char *k, json_object *v)
{
	if (!v)
		return 0;
	return json_object_object_add(o, k, v) < 0 ? -ENOMEM : 0;
}

static inline int json_add_str(json_object *o, const char *k, const char *v)
{
	json_object *s;

	if (!v)
		return 0;
	s = json_object_new_string(v);
	if (!s)
		return -ENOMEM;
	return json_add(o, k, s);
}

/*
 * Parse len bytes of hostile JSON (buf need not end in NUL): one value and
 * nothing after it but white space.  Errors name path and line, and what
 * the value is ("record": "the file ends inside the record").
 */
int json_parse_buffer(const char *path, const char *what, const char *buf, size_t len,
		      json_object **ret);

/* Print o as kexecq prints JSON: pretty, spaced, "/" unescaped, one newline. */
static inline int json_write(json_object *o, FILE *f)
{
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							JSON_C_TO_STRING_NOSLASHESCAPE),
	      f);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}
