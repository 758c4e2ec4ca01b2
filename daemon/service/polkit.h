/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who may change the machine through kexecqd: root, or a caller polkit
 * authorises for the action (org.kexecq1.reboot, ...), as logind's
 * reboot calls do.  Without polkit on the bus, only root.
 */
#pragma once

#include <systemd/sd-bus.h>

/*
 * 1: allowed.  0: not allowed, with error set (AccessDenied, or polkit's
 * NotAuthorized).  Negative errno on a failure to ask.
 */
int polkit_check(sd_bus_message *m, const char *action, sd_bus_error *error);
