// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "polkit.h"

#define POLKIT_NOT_AUTHORIZED "org.freedesktop.PolicyKit1.Error.NotAuthorized"

struct polkit_query {
	struct polkit_query *next;
	sd_bus_message *request; /* the caller's, referenced */
	char *action;
	sd_bus_slot *slot; /* the question to polkit, while pending */
	int result; /* -1: pending; 1: allowed; 0: not (error says why) */
	sd_bus_error error;
};

static void query_free(struct polkit_query *q)
{
	sd_bus_slot_unref(q->slot);
	sd_bus_message_unref(q->request);
	sd_bus_error_free(&q->error);
	free(q->action);
	free(q);
}

void polkit_forget(struct polkit_query **registry, sd_bus_message *m)
{
	for (struct polkit_query **p = registry; *p;) {
		struct polkit_query *q = *p;

		if (q->request == m && q->result >= 0) {
			*p = q->next;
			query_free(q);
		} else
			p = &q->next;
	}
}

void polkit_registry_free(struct polkit_query **registry)
{
	while (*registry) {
		struct polkit_query *q = *registry;

		*registry = q->next;
		query_free(q);
	}
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct polkit_query *q = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	int authorized = 0, challenge = 0, r;

	(void)ret_error;
	q->slot = sd_bus_slot_unref(q->slot);
	if (e) {
		log_debug("polkit cannot be asked about %s: %s", q->action, e->message);
		sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED,
				  "Not allowed: %s needs root, and polkit could not authorise the "
				  "caller",
				  q->action);
		q->result = 0;
	} else {
		/* CheckAuthorization's answer: (bba{ss}) is_authorized, is_challenge, details. */
		r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
		if (r >= 0)
			r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
		if (r < 0) {
			sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED,
					  "Not allowed: polkit's answer about %s cannot be read",
					  q->action);
			q->result = 0;
		} else if (authorized)
			q->result = 1;
		else {
			sd_bus_error_setf(&q->error, POLKIT_NOT_AUTHORIZED,
					  "Not authorized for %s%s", q->action,
					  challenge ? " (authentication is required)" : "");
			q->result = 0;
		}
	}
	/* Run the method again, which now finds the answer. */
	r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(q->request), q->request);
	if (r < 0)
		log_warning_errno(r, "Cannot run the call again after polkit's answer: %m");
	return 0;
}

int polkit_check(sd_bus_message *m, const char *action, struct polkit_query **registry,
		 sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
	sd_bus_creds *creds = NULL;
	const char *sender = sd_bus_message_get_sender(m);
	struct polkit_query *q;
	uid_t uid;
	int r;

	r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
	if (r < 0)
		return r;
	r = sd_bus_creds_get_euid(creds, &uid);
	sd_bus_creds_unref(creds);
	if (r < 0)
		return r;
	if (uid == 0)
		return 1;
	for (q = *registry; q; q = q->next)
		if (q->request == m && strcmp(q->action, action) == 0) {
			if (q->result < 0)
				return 0; /* still waiting: a second delivery of the same call */
			if (q->result > 0)
				return 1;
			sd_bus_error_set(error, q->error.name, q->error.message);
			return 0;
		}
	if (!sender) {
		sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
				  "Not allowed: %s needs root or polkit", action);
		return 0;
	}

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
		r = sd_bus_message_append(
			call, "a{ss}us", 0,
			(uint32_t)(sd_bus_message_get_allow_interactive_authorization(m) > 0 ? 1 :
											       0),
			"");
	if (r < 0)
		return r;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->request = sd_bus_message_ref(m);
	q->action = strdup(action);
	q->result = -1;
	if (!q->action) {
		query_free(q);
		return -ENOMEM;
	}
	/* polkit's own timeout for an authentication dialog is minutes; ours too. */
	r = sd_bus_call_async(NULL, &q->slot, call, on_polkit_reply, q, 5 * 60 * 1000000ULL);
	if (r < 0) {
		query_free(q);
		return r;
	}
	q->next = *registry;
	*registry = q;
	return 0;
}
