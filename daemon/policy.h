/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Policy files: parsing one file (systemd.syntax(7)) and loading the set
 * from the policy.d directories with override-by-name and masking.
 * See man/kexecq.policy.5 for the language.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define POLICY_SUFFIX ".policy"

enum policy_action {
	ACTION_KERNEL, /* leave the device to the kernel's own callbacks */
	ACTION_UNBIND,
	ACTION_UNLOAD,
	ACTION_RESET,
	_ACTION_MAX,
};

enum kernel_method {
	KMETHOD_UNSET = -1,
	KMETHOD_AUTO,
	KMETHOD_SHUTDOWN,
	KMETHOD_REMOVE,
	_KMETHOD_MAX,
};

enum tristate {
	TRI_AUTO,
	TRI_YES,
	TRI_NO,
};

enum on_failure {
	ONFAIL_CONTINUE,
	ONFAIL_ABORT,
};

/* Keys whose origin --explain reports; index into policy.line[]. */
enum policy_key {
	KEY_DESCRIPTION,
	KEY_DOCUMENTATION,
	KEY_AFTER,
	KEY_BEFORE,
	KEY_DRIVER,
	KEY_MODULE,
	KEY_VENDOR,
	KEY_DEVICE,
	KEY_SUBSYSTEM_VENDOR,
	KEY_SUBSYSTEM_DEVICE,
	KEY_CLASS,
	KEY_MODALIAS,
	KEY_PATH,
	KEY_SLOT,
	KEY_PROPERTY,
	KEY_ACTION,
	KEY_KERNEL_METHOD,
	KEY_FLUSH_CACHE,
	KEY_NETWORK_DOWN,
	KEY_DISABLE_SRIOV,
	KEY_TIMEOUT,
	KEY_ON_FAILURE,
	_KEY_MAX,
};

/* One match key: any pattern matches (fnmatch), "!" in front inverts. */
struct match_list {
	char **patterns; /* NULL: key not set */
	bool invert;
};

enum match_field {
	MATCH_DRIVER,
	MATCH_MODULE,
	MATCH_VENDOR,
	MATCH_DEVICE,
	MATCH_SUBSYSTEM_VENDOR,
	MATCH_SUBSYSTEM_DEVICE,
	MATCH_CLASS,
	MATCH_MODALIAS,
	MATCH_PATH,
	MATCH_SLOT,
	_MATCH_FIELD_MAX,
};

struct policy {
	char *name; /* "50-lpfc.policy" */
	char *path; /* the file actually read */

	char *description;
	char **documentation;
	char **after; /* policy names, normalised to end in .policy */
	char **before;

	struct match_list match[_MATCH_FIELD_MAX];
	char **property; /* "KEY=glob", all must match */

	enum policy_action action;
	enum kernel_method kernel_method;
	enum tristate flush_cache;
	bool network_down;
	enum tristate disable_sriov;
	uint64_t timeout_usec;
	enum on_failure on_failure;

	unsigned line[_KEY_MAX]; /* 0: not set in the file (default) */
};

struct policy_set {
	struct policy **policies; /* lexical order of name */
	size_t n;
};

/*
 * How strict to be.  VERIFY reports every problem as an error; RUNTIME
 * logs warnings and drops a bad file as a whole.
 */
enum policy_mode {
	POLICY_VERIFY,
	POLICY_RUNTIME,
};

#define POLICY_TIMEOUT_DEFAULT_USEC (30ULL * 1000000ULL)

struct policy *policy_free(struct policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct policy *, policy_free)
struct policy_set *policy_set_free(struct policy_set *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct policy_set *, policy_set_free)

/*
 * Parse one file.  name is the policy's name (basename).  Problems are
 * logged as "file:line: message" at err (VERIFY) or warning (RUNTIME).
 * Returns 0 and the policy, or -EINVAL with *ret_n_errors set when the
 * file has errors, or another -errno when it cannot be read.
 */
int policy_parse_file(const char *path, const char *name, enum policy_mode mode,
		      struct policy **ret, unsigned *ret_n_errors);

/*
 * Parse a policy held in memory (size bytes, need not be NUL-terminated);
 * path is the name used in messages.  Same results as policy_parse_file().
 */
int policy_parse_buffer(const char *path, const char *name, const char *data, size_t size,
			enum policy_mode mode, struct policy **ret, unsigned *ret_n_errors);

/*
 * Load all policies from dirs (highest precedence first).  Files that fail
 * to parse are logged and skipped (RUNTIME) or counted (VERIFY); the set
 * holds the good ones either way.  ret_n_errors may be NULL.
 */
int policy_set_load(char *const *dirs, enum policy_mode mode, struct policy_set **ret,
		    unsigned *ret_n_errors);

/* Checks that After=/Before= among the set's policies form no cycle. */
int policy_set_check_order(const struct policy_set *s, enum policy_mode mode);

const char *policy_action_to_string(enum policy_action a) _pure_;
const char *kernel_method_to_string(enum kernel_method m) _pure_;
int kernel_method_from_string(const char *s) _pure_;
const char *tristate_to_string(enum tristate t) _pure_;
const char *on_failure_to_string(enum on_failure f) _pure_;
/* "Quiesce.Action" style name of a key, for --explain. */
const char *policy_key_to_string(enum policy_key k) _pure_;
const char *match_field_to_string(enum match_field f) _pure_;

/* The default policy search path, highest precedence first. */
extern char *const policy_default_dirs[];
