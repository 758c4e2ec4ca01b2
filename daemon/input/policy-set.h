/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The set of policies in force: files from the policy.d directories,
 * highest precedence first, where a file replaces same-named files of
 * lower precedence and an empty file or a link to /dev/null masks them.
 *
 * Root acts on what these files say, so each file that takes part in
 * precedence (masks included) and every directory on the way to it must
 * be owned by root and writable by nobody else (conf-files.c, trust.c).
 * A broken or untrusted file is an error; with POLICY_SKIP_BROKEN it is
 * skipped with a warning and the next file of the same name governs.
 */
#pragma once

#include "policy.h"

/* More policy files than this in the search path is an error. */
#define POLICY_FILES_MAX 4096U

struct policy_set {
	struct policy **policies; /* lexical order of name */
	size_t n;
};

enum {
	/* Skip broken and untrusted files (warnings), falling back by name. */
	POLICY_SKIP_BROKEN = 1 << 0,
	/* The directories were given explicitly: a missing one is an error. */
	POLICY_DIRS_EXPLICIT = 1 << 1,
};

struct policy_set *policy_set_free(struct policy_set *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct policy_set *, policy_set_free)

/*
 * Load the set.  Every problem is logged with its file (and line); the
 * count goes to *ret_n_errors (problems that were skipped under
 * POLICY_SKIP_BROKEN are counted too, as warnings do not stop a run).
 * Returns 0 and the set of the good files, or -ENOENT for a missing
 * explicit directory, -E2BIG for more than POLICY_FILES_MAX files,
 * -ENOMEM, or another -errno when a directory cannot be read.
 */
int policy_set_load(char *const *dirs, unsigned flags, struct policy_set **ret,
		    unsigned *ret_n_errors);

/* Checks that After=/Before= among the set's policies form no cycle. */
int policy_set_check_order(const struct policy_set *s, enum policy_mode mode);

/* The default policy search path, highest precedence first. */
extern char *const policy_default_dirs[];
