// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <systemd/sd-bus.h>

#include "client.h"
#include "exit-status.h"
#include "log.h"
#include "manager.h"

static int append_bool(sd_bus_message *m, const char *key, bool v)
{
	return sd_bus_message_append(m, "{sv}", key, "b", (int)v);
}

/*
 * A (s report, i exit_status, a(is) messages) answer: the report to out,
 * the messages logged at their levels.  0, or -errno when it cannot be read.
 */
static int print_answer(sd_bus_message *reply, FILE *out, int *ret_status)
{
	const char *text;
	int status, level, r;

	r = sd_bus_message_read(reply, "si", &text, &status);
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', "(is)");
	if (r < 0)
		return r;
	log_debug("Answered by kexecqd.");
	fputs(text, out);
	while ((r = sd_bus_message_read(reply, "(is)", &level, &text)) > 0)
		log_internal(level, 0, "%s", text);
	*ret_status = status;
	return 0;
}

int client_query(const char *method, const struct query *q, FILE *out, int *ret_status)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	if (sd_bus_open_system(&bus) < 0)
		return 0;
	r = sd_bus_message_new_method_call(bus, &call, KEXECQ_BUS_NAME, KEXECQ_BUS_PATH,
					   KEXECQ_BUS_INTERFACE, method);
	if (r >= 0)
		r = sd_bus_message_open_container(call, 'a', "{sv}");
	if (r >= 0 && q->json)
		r = append_bool(call, "json", true);
	if (r >= 0 && q->explain)
		r = append_bool(call, "explain", true);
	if (r >= 0 && q->dot)
		r = append_bool(call, "dot", true);
	if (r >= 0 && q->ignore_policy_errors)
		r = append_bool(call, "ignore_policy_errors", true);
	if (r >= 0)
		r = sd_bus_message_close_container(call);
	if (r < 0)
		return 0;
	r = sd_bus_call(bus, call, 120 * 1000000ULL, &error, &reply);
	if (r < 0) {
		log_debug("kexecqd not asked (%s): running in process",
			  error.message ? error.message : strerror(-r));
		sd_bus_error_free(&error);
		return 0;
	}
	return print_answer(reply, out, ret_status) < 0 ? 0 : 1;
}

int client_reload(char **ret_next)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	*ret_next = NULL;
	if (sd_bus_open_system(&bus) < 0)
		return 0;
	r = sd_bus_call_method(bus, KEXECQ_BUS_NAME, KEXECQ_BUS_PATH, KEXECQ_BUS_INTERFACE,
			       "Reload", &error, NULL, NULL);
	if (r < 0) {
		bool absent = sd_bus_error_has_names(&error, SD_BUS_ERROR_SERVICE_UNKNOWN,
						     SD_BUS_ERROR_NAME_HAS_NO_OWNER);

		if (!absent)
			log_error("kexecqd refused to reload: %s",
				  error.message ? error.message : strerror(-r));
		sd_bus_error_free(&error);
		return absent ? 0 : r;
	}
	r = sd_bus_get_property_string(bus, KEXECQ_BUS_NAME, KEXECQ_BUS_PATH, KEXECQ_BUS_INTERFACE,
				       "NextReboot", &error, ret_next);
	sd_bus_error_free(&error);
	return r < 0 ? r : 1;
}

static int append_string(sd_bus_message *m, const char *key, const char *v)
{
	return v ? sd_bus_message_append(m, "{sv}", key, "s", v) : 0;
}

int client_run(const char *method, const struct client_action *a, FILE *out, int *ret_status)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	bool reboot = streq(method, "Reboot"), load = reboot || streq(method, "Load");
	int r;

	if (sd_bus_open_system(&bus) < 0)
		return 0;
	r = sd_bus_message_new_method_call(bus, &call, KEXECQ_BUS_NAME, KEXECQ_BUS_PATH,
					   KEXECQ_BUS_INTERFACE, method);
	if (r >= 0)
		r = sd_bus_message_set_allow_interactive_authorization(call, true);
	if (r >= 0)
		r = sd_bus_message_open_container(call, 'a', "{sv}");
	if (r >= 0 && load) {
		r = append_string(call, "kernel", a->kernel);
		if (r >= 0)
			r = append_string(call, "initrd", a->initrd);
		if (r >= 0)
			r = append_string(call, "append", a->append);
		if (r >= 0 && a->reuse_cmdline)
			r = append_bool(call, "reuse_cmdline", true);
		if (r >= 0 && a->dry_run)
			r = append_bool(call, "dry_run", true);
	}
	if (r >= 0 && reboot) {
		if (a->force)
			r = append_bool(call, "force", true);
		if (r >= 0 && a->ignore_inhibitors)
			r = append_bool(call, "ignore_inhibitors", true);
		if (r >= 0 && a->deadline_usec)
			r = sd_bus_message_append(call, "{sv}", "deadline_usec", "t",
						  a->deadline_usec);
		if (r >= 0 && a->jobs)
			r = sd_bus_message_append(call, "{sv}", "jobs", "u", (uint32_t)a->jobs);
		if (r >= 0)
			r = append_string(call, "if_stuck", a->if_stuck);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(call);
	if (r < 0)
		return 0;
	/* Loading a kernel under TCG, or polkit asking for a password: minutes, not seconds. */
	r = sd_bus_call(bus, call, 600 * 1000000ULL, &error, &reply);
	if (r < 0) {
		if (sd_bus_error_has_names(&error, SD_BUS_ERROR_SERVICE_UNKNOWN,
					   SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
			log_debug("kexecqd is not on the bus: running in process");
			sd_bus_error_free(&error);
			return 0;
		}
		/* Refused: never run in process instead (that would bypass the refusal). */
		log_error("kexecqd refused %s: %s", method,
			  error.message ? error.message : strerror(-r));
		*ret_status =
			sd_bus_error_has_name(&error, KEXECQ_ERROR_INHIBITED)	 ? EXIT_INHIBITED :
			sd_bus_error_has_name(&error, SD_BUS_ERROR_INVALID_ARGS) ? EXIT_USAGE :
										   EXIT_FAIL;
		sd_bus_error_free(&error);
		return 1;
	}
	r = print_answer(reply, out, ret_status);
	if (r < 0) {
		log_error("kexecqd's answer to %s cannot be read: %s", method, strerror(-r));
		*ret_status = EXIT_FAIL;
	}
	return 1;
}
