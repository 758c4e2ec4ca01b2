/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy language: what one file says (struct policy) and how it is
 * parsed (policy.c, on conf-parser.c).  Loading the set from the policy.d
 * directories with precedence, masking and trust is policy-set.c.
 * See man/kexecq.policy.5 for the language.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmethod.h"
#include "macro.h"

#define POLICY_SUFFIX ".policy"
/* Longest Description=, Documentation= entry or match pattern. */
#define POLICY_VALUE_MAX 4096

enum policy_action {
	ACTION_KERNEL, /* leave the device to the kernel's own callbacks */
	ACTION_UNBIND,
	ACTION_UNLOAD,
	ACTION_RESET,
	_ACTION_MAX,
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

/*
 * The [Match] keys that compare one device field against a list of globs.
 * This table is the only place a new key is declared: its enum value, its
 * name in files, how its patterns are normalised and the struct device
 * field it reads (used by match.c with offsetof) all come from here.
 *
 *   X(ENUM, "Name", device_field, value kind)
 */
enum match_value {
	MATCH_VALUE_TEXT, /* a glob compared as is */
	MATCH_VALUE_HEX4, /* a 4-digit hex id: plain values zero-padded */
	MATCH_VALUE_CLASS, /* a 6-digit class: plain values shorter are prefixes */
};

#define MATCH_FIELDS(X)                                                            \
	X(DRIVER, "Driver", driver, MATCH_VALUE_TEXT)                              \
	X(MODULE, "Module", module, MATCH_VALUE_TEXT)                              \
	X(VENDOR, "Vendor", vendor, MATCH_VALUE_HEX4)                              \
	X(DEVICE, "Device", device_id, MATCH_VALUE_HEX4)                           \
	X(SUBSYSTEM_VENDOR, "SubsystemVendor", subsystem_vendor, MATCH_VALUE_HEX4) \
	X(SUBSYSTEM_DEVICE, "SubsystemDevice", subsystem_device, MATCH_VALUE_HEX4) \
	X(CLASS, "Class", class, MATCH_VALUE_CLASS)                                \
	X(MODALIAS, "Modalias", modalias, MATCH_VALUE_TEXT)                        \
	X(PATH, "Path", id_path, MATCH_VALUE_TEXT)                                 \
	X(SLOT, "Slot", slot, MATCH_VALUE_TEXT)

enum match_field {
#define X(id, name, field, kind) MATCH_##id,
	MATCH_FIELDS(X)
#undef X
		_MATCH_FIELD_MAX,
};

/* The other keys, whose origin --explain reports; index into policy.line[]. */
enum policy_key {
	KEY_DESCRIPTION,
	KEY_DOCUMENTATION,
	KEY_AFTER,
	KEY_BEFORE,
	KEY_PROPERTY,
	KEY_KERNEL_VERSION,
	KEY_ACTION,
	KEY_KERNEL_METHOD,
	KEY_FLUSH_CACHE,
	KEY_NETWORK_DOWN,
	KEY_DISABLE_SRIOV,
	KEY_TIMEOUT,
	KEY_ON_FAILURE,
	KEY_UNSAFE,
	KEY_QUIESCE_USERSPACE,
	KEY_KERNEL_QUIESCES,
	_KEY_MAX,
};

/* One match key: any pattern matches (fnmatch), "!" in front inverts. */
struct match_list {
	char **patterns; /* NULL: key not set */
	bool invert;
	unsigned line; /* where it was last set */
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
	/*
	 * "<6.9", ">=5.4", "6.1.*": all must hold for the running kernel
	 * (kernel_version_matches()); NULL: any kernel.
	 */
	char **kernel_version;

	enum policy_action action;
	enum kernel_method kernel_method;
	enum tristate flush_cache;
	bool network_down;
	enum tristate disable_sriov;
	uint64_t timeout_usec;
	enum on_failure on_failure;
	/* A kexec with a function this policy governs is unsafe, and why; NULL: it is not. */
	char *unsafe;
	/* Act on functions whose DMA belongs to userspace or a VM too (default no). */
	bool quiesce_userspace;
	/*
	 * The running kernel quiesces these functions on kexec although their
	 * driver has no ->shutdown() (a bus's own shutdown does it): `check`
	 * does not count them at risk.  Knowledge, not an action.
	 */
	bool kernel_quiesces;

	unsigned line[_KEY_MAX]; /* 0: not set in the file (default) */
};

/*
 * How problems are reported: VERIFY logs them as errors, RUNTIME as
 * warnings (for a run that was told to skip broken files).  Either way a
 * file with any problem is rejected whole.
 */
enum policy_mode {
	POLICY_VERIFY,
	POLICY_RUNTIME,
};

#define POLICY_TIMEOUT_DEFAULT_USEC (30ULL * 1000000ULL)
#define POLICY_TIMEOUT_MAX_USEC (3600ULL * 1000000ULL)

struct policy *policy_free(struct policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct policy *, policy_free)

/*
 * Parse a policy held in memory (size bytes, need not be NUL-terminated);
 * path is the name used in messages, name the policy's name (basename).
 * Problems are logged as "path:line: message".  Returns 0 and the policy,
 * or -EINVAL with *ret_n_errors set when the file has problems, or
 * -ENOMEM.  ret_n_errors may be NULL.
 */
int policy_parse_buffer(const char *path, const char *name, const char *data, size_t size,
			enum policy_mode mode, struct policy **ret, unsigned *ret_n_errors);

/*
 * Parse an open file: read whole (a regular file of at most
 * CONF_FILE_MAX bytes, checked on fd), then as policy_parse_buffer().
 */
int policy_parse_fd(int fd, const char *path, const char *name, enum policy_mode mode,
		    struct policy **ret, unsigned *ret_n_errors);

/*
 * Parse a file named on the command line (policy verify FILE): opened
 * without blocking on a FIFO, then as policy_parse_fd().
 */
int policy_parse_file(const char *path, const char *name, enum policy_mode mode,
		      struct policy **ret, unsigned *ret_n_errors);

const char *policy_action_to_string(enum policy_action a) _pure_;
const char *tristate_to_string(enum tristate t) _pure_;
const char *on_failure_to_string(enum on_failure f) _pure_;
/* "Quiesce.Action" style name of a key, for --explain. */
const char *policy_key_to_string(enum policy_key k) _pure_;
const char *match_field_to_string(enum match_field f) _pure_;

/*
 * One KernelVersion= expression against the running kernel: an operator
 * (<, <=, =, !=, >=, >) and a version compared with strverscmp(3) against
 * version (the upstream version where the release does not say it:
 * kernel-version.h), or release when version is NULL; without an operator
 * a glob(7) on the whole release, which names the kernel build (flavour,
 * ABI).  A NULL release (unknown) matches nothing.  kernel_version_valid()
 * says whether expr is well formed.
 */
bool kernel_version_matches(const char *expr, const char *release, const char *version);
bool kernel_version_valid(const char *expr);

/* "lpfc" and "lpfc.policy" both give "lpfc.policy"; NULL if not a name. */
char *policy_name_normalize(const char *s);
