/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who may change the machine through kexecqd: root, or a caller polkit
 * authorises for the action (org.kexecq1.reboot, ...), as logind's reboot
 * calls do.  Without polkit on the bus, only root.
 *
 * Asynchronous, the way systemd's bus_verify_polkit_async() is: the first
 * time a method asks, the question goes to polkit and the method returns
 * without answering; when polkit answers, the caller's message is queued
 * again and the method runs anew, this time finding the answer.  The
 * event loop never waits for polkit (an authentication dialog may take
 * minutes).  Interaction is allowed only when the caller's message says so.
 */
#pragma once

#include <systemd/sd-bus.h>

struct polkit_query;

/*
 * 1: allowed.  0 with error set: not allowed (AccessDenied, or polkit's
 * NotAuthorized).  0 without error: asked, the method must return 1 and
 * will be called again.  Negative errno: could not ask.
 */
int polkit_check(sd_bus_message *m, const char *action, struct polkit_query **registry,
		 sd_bus_error *error);

/* The method is done with m: drop its answers. */
void polkit_forget(struct polkit_query **registry, sd_bus_message *m);
void polkit_registry_free(struct polkit_query **registry);
