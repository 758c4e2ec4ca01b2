/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kexecq as kexecqd's client: plan, check, load, unload and reboot are
 * asked of the daemon when it is on the bus, and run in process when it is
 * not.  The daemon runs the same code (query.h, reboot.h), so stdout, the
 * exit status and the messages are the same either way.  Through the
 * daemon, callers polkit allows may load and reboot without being root,
 * and a reboot honours logind's shutdown inhibitors.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "query.h"

/* The daemon's unit, which kexec by default enables. */
#define KEXECQD_UNIT "kexecqd.service"

/*
 * Ask kexecqd to run method ("Plan" or "Check") with q's json, explain and
 * ignore_policy_errors; write the report to out and log its messages at
 * their levels.  1 and *ret_status: answered.  0: no daemon on the bus (or
 * it could not answer); run in process.
 */
int client_query(const char *method, const struct query *q, FILE *out, int *ret_status);

/*
 * Ask kexecqd to read its settings, policies and devices again (Reload)
 * and say what the next reboot will be (NextReboot).  1: answered, with
 * *ret_next; 0: no daemon on the bus; negative: it refused (logged).
 */
int client_reload(char **ret_next);

/* Load, Unload and Reboot's options (kexecqd(8)); unset ones are not sent. */
struct client_action {
	const char *kernel, *initrd, *append, *if_stuck;
	bool reuse_cmdline, dry_run, force, ignore_inhibitors;
	uint64_t deadline_usec; /* 0: not sent */
	unsigned jobs; /* 0: not sent */
};

/*
 * Ask kexecqd to run method ("Load", "Unload" or "Reboot"), allowing
 * polkit to ask for a password; write its output to out, log its messages.
 * 1 and *ret_status: answered, or refused (the error logged, the status
 * EXIT_FAIL, EXIT_USAGE or EXIT_INHIBITED); 0: no daemon on the bus, run
 * in process.
 */
int client_run(const char *method, const struct client_action *a, FILE *out, int *ret_status);
