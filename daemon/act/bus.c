// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "bus.h"
#include "macro.h"

bool bus_systemd_running(const char *root)
{
	_cleanup_free_ char *p = NULL;
	struct stat st;

	if (asprintf(&p, "%s/run/systemd/system", streq(root, "/") ? "" : root) < 0)
		return false;
	return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int connect_systemd(sd_bus **ret)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	if (geteuid() != 0 || access("/run/systemd/private", F_OK) < 0)
		return sd_bus_open_system(ret);
	r = sd_bus_new(&bus);
	if (r < 0)
		return r;
	r = sd_bus_set_address(bus, "unix:path=/run/systemd/private");
	if (r < 0)
		return r;
	r = sd_bus_start(bus);
	if (r < 0)
		return sd_bus_open_system(ret); /* the broker, then */
	*ret = TAKE_PTR(bus);
	return 0;
}

int bus_start_unit(const char *unit, const char *mode, char **ret_job, char **ret_error)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *job;
	int r;

	r = connect_systemd(&bus);
	if (r < 0) {
		if (asprintf(ret_error, "cannot connect to systemd: %s", strerror(-r)) < 0)
			*ret_error = NULL;
		return r;
	}
	r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			       "org.freedesktop.systemd1.Manager", "StartUnit", &error, &reply,
			       "ss", unit, mode);
	if (r < 0) {
		if (asprintf(ret_error, "systemd refused to start %s: %s", unit,
			     error.message ? error.message : strerror(-r)) < 0)
			*ret_error = NULL;
		sd_bus_error_free(&error);
		return r;
	}
	r = sd_bus_message_read(reply, "o", &job);
	if (r < 0)
		return r;
	if (ret_job && !(*ret_job = strdup(job)))
		return -ENOMEM;
	return 0;
}

static int set_error(char **ret_error, int r, const sd_bus_error *error, const char *what,
		     const char *unit)
{
	if (asprintf(ret_error, "systemd refused to %s %s: %s", what, unit,
		     error && error->message ? error->message : strerror(-r)) < 0)
		*ret_error = NULL;
	return r;
}

int bus_enable_unit(const char *unit, bool enable, char **ret_error)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	*ret_error = NULL;
	r = connect_systemd(&bus);
	if (r < 0) {
		if (asprintf(ret_error, "cannot connect to systemd: %s", strerror(-r)) < 0)
			*ret_error = NULL;
		return r;
	}
	r = sd_bus_message_new_method_call(bus, &call, "org.freedesktop.systemd1",
					   "/org/freedesktop/systemd1",
					   "org.freedesktop.systemd1.Manager",
					   enable ? "EnableUnitFiles" : "DisableUnitFiles");
	if (r >= 0)
		r = sd_bus_message_append(call, "as", 1, unit);
	/* runtime=false; EnableUnitFiles also takes force=false. */
	if (r >= 0)
		r = enable ? sd_bus_message_append(call, "bb", 0, 0) :
			     sd_bus_message_append(call, "b", 0);
	if (r < 0)
		return set_error(ret_error, r, NULL, enable ? "enable" : "disable", unit);
	r = sd_bus_call(bus, call, 0, &error, NULL);
	if (r < 0) {
		r = set_error(ret_error, r, &error, enable ? "enable" : "disable", unit);
		sd_bus_error_free(&error);
		return r;
	}
	/* As systemctl enable does: make the new symlinks count. */
	r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			       "org.freedesktop.systemd1.Manager", "Reload", &error, NULL, NULL);
	if (r < 0) {
		r = set_error(ret_error, r, &error, "reload after enabling", unit);
		sd_bus_error_free(&error);
	}
	return r;
}

int bus_systemd_version(char **ret)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	*ret = NULL;
	r = connect_systemd(&bus);
	if (r < 0)
		return r;
	r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				       "org.freedesktop.systemd1.Manager", "Version", &error, ret);
	sd_bus_error_free(&error);
	return r;
}

int bus_unit_has_dropin(const char *unit, const char *path)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	char **paths = NULL;
	const char *object;
	int r, found = 0;

	r = connect_systemd(&bus);
	if (r < 0)
		return r;
	r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			       "org.freedesktop.systemd1.Manager", "LoadUnit", &error, &reply, "s",
			       unit);
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &object);
	if (r >= 0)
		r = sd_bus_get_property_strv(bus, "org.freedesktop.systemd1", object,
					     "org.freedesktop.systemd1.Unit", "DropInPaths", &error,
					     &paths);
	sd_bus_error_free(&error);
	if (r < 0)
		return r;
	for (char **p = paths; p && *p; p++) {
		if (streq(*p, path))
			found = 1;
		free(*p);
	}
	free(paths);
	return found;
}
