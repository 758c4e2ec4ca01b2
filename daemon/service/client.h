/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kexecq as kexecqd's client: plan and check are asked of the daemon when
 * it is on the bus, and run in process when it is not.  The daemon runs
 * the same code (query.h), so stdout, the exit status and the messages
 * are the same either way.
 */
#pragma once

#include <stdbool.h>
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
