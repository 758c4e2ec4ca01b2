/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Enumerate configuration files over a list of directories, the way
 * systemd's conf-files.c does: a file in an earlier (higher precedence)
 * directory replaces one of the same name in a later one; an empty file
 * or a symlink that resolves to the null device masks the name; the
 * result is sorted by name.
 *
 * Every candidate is opened here, once (O_NOFOLLOW, O_NONBLOCK), and
 * checked on its descriptor: a regular file, a mask, or a problem.  With
 * CONF_FILES_TRUST the file and the directories on the way to it must
 * also be root's alone (trust.h).  A candidate with a problem is kept,
 * for listing, but never used and never hides the next of its name.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum {
	/* Check ownership and modes (for root). */
	CONF_FILES_TRUST = 1 << 0,
	/* A missing directory is an error (it was asked for by name). */
	CONF_FILES_DIRS_EXPLICIT = 1 << 1,
};

struct conf_candidate {
	char *path; /* dir/name as found */
	int fd; /* the open regular file, or -1 (masked, problem) */
	bool masked;
	char *problem; /* why it cannot be used, or NULL */
};

struct conf_file {
	char *name; /* basename */
	struct conf_candidate *candidates; /* highest precedence first */
	size_t n_candidates;
};

struct conf_file_list {
	struct conf_file *files; /* sorted by name */
	size_t n;
	unsigned n_problems; /* candidates and directories with a problem */
};

void conf_file_list_done(struct conf_file_list *l);

/*
 * The first usable candidate of f (a file or a mask), or NULL when every
 * one has a problem.
 */
const struct conf_candidate *conf_file_winner(const struct conf_file *f);

/*
 * List the files.  Problems (an untrusted file or directory, something
 * that is not a regular file, a dangling link) are logged at level and
 * counted in ret->n_problems.  Returns 0, or -ENOENT/-ENOTDIR for a
 * missing explicit directory, -ENOMEM, or -errno when a directory that
 * exists cannot be read.
 */
int conf_files_list(char *const *dirs, const char *suffix, unsigned flags, int level,
		    struct conf_file_list *ret);
