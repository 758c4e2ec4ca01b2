/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Enumerate configuration files over a list of directories, the way
 * systemd's conf-files.c does: a file in an earlier (higher precedence)
 * directory replaces one of the same name in a later one; an empty file
 * or a symlink to /dev/null masks the name; the result is sorted by name.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct conf_file {
	char *name; /* basename */
	char *path; /* the file that wins */
	bool masked; /* winner is empty or a link to /dev/null */
	char **shadowed; /* same-name files it replaces, in precedence order */
};

struct conf_file_list {
	struct conf_file *files;
	size_t n;
};

void conf_file_list_done(struct conf_file_list *l);

/* Missing directories are skipped; other errors are returned as -errno. */
int conf_files_list(char *const *dirs, const char *suffix, struct conf_file_list *ret);
