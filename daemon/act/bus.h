/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The only file that talks D-Bus (sd-bus): asking systemd to start a unit,
 * as `systemctl kexec` does.
 */
#pragma once

#include <stdbool.h>

/* Is PID 1 systemd?  (Its runtime directory exists, as sd_booted() checks.) */
bool bus_systemd_running(const char *root);

/*
 * Start unit with job mode ("replace-irreversibly" for kexec.target, as
 * systemctl).  As root, systemd's private socket is used, so that this
 * works without a D-Bus broker; else the system bus.  On failure
 * *ret_error says what systemd answered.  *ret_job: the job's object path.
 */
int bus_start_unit(const char *unit, const char *mode, char **ret_job, char **ret_error);
