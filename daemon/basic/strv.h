/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NULL-terminated string vectors, as in systemd's strv.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l);
/* Takes ownership of value on success. */
int strv_consume(char ***l, char *value);
int strv_extend(char ***l, const char *value);
bool strv_contains(char *const *l, const char *s);
char *strv_join(char *const *l, const char *sep);
/* A deep copy; NULL (empty list) gives an empty vector; NULL on ENOMEM. */
char **strv_copy(char *const *l);

#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)
