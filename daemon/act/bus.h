/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Asking systemd (PID 1) over D-Bus: start a unit, as `systemctl kexec`
 * does; enable or disable a unit file; its version.
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

/*
 * systemctl enable|disable UNIT, then daemon-reload: the unit's [Install]
 * links.  On failure *ret_error says what systemd answered.
 */
int bus_enable_unit(const char *unit, bool enable, char **ret_error);

/* PID 1's version string ("252.39-1~deb12u2"); -errno when it cannot be asked. */
int bus_systemd_version(char **ret);

/* 1 when PID 1 has read drop-in path for unit (its DropInPaths), 0 when not, -errno. */
int bus_unit_has_dropin(const char *unit, const char *path);
