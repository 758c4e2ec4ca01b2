// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>

#include "log.h"
#include "polkit.h"

#define POLKIT_NOT_AUTHORIZED "org.freedesktop.PolicyKit1.Error.NotAuthorized"

int polkit_check(sd_bus_message *m, const char *action, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
	sd_bus_error perr = SD_BUS_ERROR_NULL;
	sd_bus_creds *creds = NULL;
	const char *sender = sd_bus_message_get_sender(m);
	int authorized = 0, challenge = 0, r;
	uid_t uid;

	r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
	if (r < 0)
		return r;
	r = sd_bus_creds_get_euid(creds, &uid);
	sd_bus_creds_unref(creds);
	if (r < 0)
		return r;
	if (uid == 0)
		return 1;
	if (!sender)
		return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
					 "Not allowed: %s needs root or polkit", action),
		       0;

	/* CheckAuthorization(subject (sa{sv}), action s, details a{ss}, flags u, cancel s). */
	r = sd_bus_message_new_method_call(sd_bus_message_get_bus(m), &call,
					   "org.freedesktop.PolicyKit1",
					   "/org/freedesktop/PolicyKit1/Authority",
					   "org.freedesktop.PolicyKit1.Authority",
					   "CheckAuthorization");
	if (r >= 0)
		r = sd_bus_message_append(call, "(sa{sv})s", "system-bus-name", 1, "name", "s",
					  sender, action);
	if (r >= 0)
		r = sd_bus_message_append(call, "a{ss}us", 0, 1 /* allow interaction */, "");
	if (r < 0)
		return r;
	r = sd_bus_call(NULL, call, 25 * 1000000ULL, &perr, &reply);
	if (r < 0) {
		log_debug("polkit cannot be asked about %s: %s", action,
			  perr.message ? perr.message : strerror(-r));
		sd_bus_error_free(&perr);
		return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
					 "Not allowed: %s needs root, and polkit is not available "
					 "to authorise others",
					 action),
		       0;
	}
	r = sd_bus_message_read(reply, "(bb", &authorized, &challenge);
	if (r < 0)
		return r;
	if (authorized)
		return 1;
	return sd_bus_error_setf(error, POLKIT_NOT_AUTHORIZED, "Not authorized for %s%s", action,
				 challenge ? " (authentication is required)" : ""),
	       0;
}
