/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What `kexecq verify` and `kexecq status` print, as text and as JSON
 * ("kexecq-verify" and "kexecq-status", version 1; man/kexecq.8).  Renders
 * what the front end gathered; reads nothing itself.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "record.h"
#include "verify.h"

#define VERIFY_FORMAT "kexecq-verify"
#define STATUS_FORMAT "kexecq-status"
#define VERIFY_OUTPUT_VERSION 1

/*
 * rec NULL: this boot did not come from a kexecq kexec, nothing to verify.
 * path: where rec was read from.
 */
int verify_print_text(const char *boot_id, const struct record *rec, const struct verify_result *v,
		      FILE *f);
int verify_write_json(const char *boot_id, const char *path, const struct record *rec,
		      const struct verify_result *v, FILE *f);

/* How the last kexecq kexec went, as far as this boot can tell. */
enum kexec_outcome {
	OUTCOME_NONE, /* no record at all */
	OUTCOME_PENDING, /* kexecq reboot ran in this boot and the kernel is loaded */
	OUTCOME_ABANDONED, /* it ran in this boot, the kernel is not loaded (aborted, unloaded) */
	OUTCOME_BOOTED, /* this boot came from it */
	OUTCOME_UNKNOWN, /* a record of an earlier boot that this boot did not come from */
};

struct status {
	const char *boot_id;
	const char *release; /* uname -r */
	int kexec_loaded; /* 1, 0, -ENOENT: no kexec in this kernel, other -errno: unknown */
	const struct record *mine; /* written by kexecq reboot in this boot, or NULL */
	const char *frozen_path;
	int frozen; /* 1: read, 0: none, < 0: unreadable */
	size_t frozen_devices, frozen_policies;
	const char *from; /* this boot's kexecq.from=, or NULL */
	const struct record *from_record; /* its record, NULL when it cannot be read */
	const struct verify_result *verify; /* from_record against now, or NULL */
	const struct record *latest; /* the newest record of another boot, or NULL */
	/* For "Next reboot" (next-reboot.h). */
	int kexec_by_default; /* 1, 0, < 0: the settings cannot be read */
	bool systemd;
	const char *systemd_version;
	bool dropin, dropin_loaded, hook;
};

enum kexec_outcome status_outcome(const struct status *s, const struct record **ret_record);
const char *kexec_outcome_to_string(enum kexec_outcome o) _pure_;

int status_print_text(const struct status *s, FILE *f);
/* The "Last kexec" and "Verify" lines as one ("booted: into this boot; verify: ..."), for kexecqd. */
int status_last_kexec_text(const struct status *s, char **ret);
int status_write_json(const struct status *s, FILE *f);
