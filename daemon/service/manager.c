// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit-status.h"
#include "log.h"
#include "manager.h"
#include "policy-set.h"
#include "polkit.h"
#include "query.h"
#include "string-util.h"
#include "strv.h"
#include "sysfs.h"

/* ---- running a query for a caller: its report, exit status and messages ---- */

struct captured {
	int *levels;
	char **messages;
	size_t n;
	bool oom;
};

static void capture(int level, const char *msg, void *userdata)
{
	struct captured *c = userdata;
	int *l = reallocarray(c->levels, c->n + 1, sizeof(*l));

	if (!l) {
		c->oom = true;
		return;
	}
	c->levels = l;
	if (strv_extend(&c->messages, msg) < 0) {
		c->oom = true;
		return;
	}
	c->levels[c->n++] = level;
}

static void captured_done(struct captured *c)
{
	free(c->levels);
	strv_free(c->messages);
}

/* a{sv} options: json, explain, ignore_policy_errors.  Anything else is an error. */
static int read_options(sd_bus_message *msg, struct query *q, bool plan, sd_bus_error *error)
{
	int r;

	r = sd_bus_message_enter_container(msg, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
		const char *key;
		int b;
		bool *field;

		r = sd_bus_message_read(msg, "s", &key);
		if (r < 0)
			return r;
		field = streq(key, "json")		   ? &q->json :
			plan && streq(key, "explain")	   ? &q->explain :
			streq(key, "ignore_policy_errors") ? &q->ignore_policy_errors :
							     NULL;
		if (!field)
			return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
						 "Unknown option \"%s\" (known: json,%s "
						 "ignore_policy_errors)",
						 key, plan ? " explain," : "");
		r = sd_bus_message_enter_container(msg, 'v', "b");
		if (r < 0)
			return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
						 "Option \"%s\" takes a boolean", key);
		r = sd_bus_message_read(msg, "b", &b);
		if (r < 0)
			return r;
		*field = b;
		r = sd_bus_message_exit_container(msg);
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(msg);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(msg);
}

static int reply_query(sd_bus_message *msg, struct manager *m, bool plan, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct scan_options so = m->config.scan;
	struct query q = {
		.policy_dirs = m->config.policy_dirs,
		.scan = &so,
		/*
		 * Read afresh for each call until the udev monitor keeps
		 * m->inventory current: a stale graph must not be planned for.
		 */
		.tables = m->config.tables,
	};
	struct captured c = {};
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f;
	log_fn_t old_fn;
	void *old_data;
	int status, r;

	r = read_options(msg, &q, plan, error);
	if (r < 0 || sd_bus_error_is_set(error))
		return r;
	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	m->state = "planning";
	log_get_fn(&old_fn, &old_data);
	log_set_fn(capture, &c);
	status = plan ? query_plan(&q, f) : query_check(&q, f);
	log_set_fn(old_fn, old_data);
	m->state = "idle";
	if (fclose(f) != 0 || c.oom) {
		captured_done(&c);
		return -ENOMEM;
	}
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_append(reply, "si", strempty(text), status);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(is)");
	for (size_t i = 0; r >= 0 && i < c.n; i++)
		r = sd_bus_message_append(reply, "(is)", c.levels[i], c.messages[i]);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	captured_done(&c);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int method_plan(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return reply_query(msg, userdata, true, error);
}

static int method_check(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return reply_query(msg, userdata, false, error);
}

/* ---- the inventory and the policies ---------------------------------------- */

static int rescan(struct manager *m)
{
	struct inventory *inv = NULL;
	int r;

	r = inventory_scan(&m->config.scan, &inv);
	if (r < 0)
		return r;
	inventory_free(m->inventory);
	m->inventory = inv;
	m->generation++;
	if (m->slot)
		(void)sd_bus_emit_signal(m->bus, KEXECQ_BUS_PATH, KEXECQ_BUS_INTERFACE,
					 "InventoryChanged", "tu", m->generation, (uint32_t)inv->n);
	return 0;
}

static int count_policies(struct manager *m)
{
	_cleanup_(policy_set_freep) struct policy_set *ps = NULL;
	unsigned n_errors = 0;
	int r;

	r = policy_set_load(m->config.policy_dirs ? m->config.policy_dirs : policy_default_dirs,
			    (m->config.policy_dirs ? POLICY_DIRS_EXPLICIT : 0) | POLICY_SKIP_BROKEN,
			    &ps, &n_errors);
	if (r < 0)
		return r;
	m->n_policies = (unsigned)ps->n;
	return (int)n_errors;
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct manager *m = userdata;
	int r;

	r = polkit_check(msg, KEXECQ_POLKIT_REBOOT, error);
	if (r <= 0)
		return r;
	r = rescan(m);
	if (r < 0)
		return sd_bus_error_set_errnof(error, -r, "Cannot read the devices: %m");
	r = count_policies(m);
	if (r < 0)
		return sd_bus_error_set_errnof(error, -r, "Cannot read the policies: %m");
	(void)sd_bus_emit_properties_changed(m->bus, KEXECQ_BUS_PATH, KEXECQ_BUS_INTERFACE,
					     "PolicyCount", "InventoryGeneration", "InventorySize",
					     NULL);
	return sd_bus_reply_method_return(msg, "uu", m->n_policies, (uint32_t)r);
}

/* ---- properties ------------------------------------------------------------ */

static int property_kexec_loaded(sd_bus *bus, const char *path, const char *interface,
				 const char *property, sd_bus_message *reply, void *userdata,
				 sd_bus_error *error)
{
	struct manager *m = userdata;
	_cleanup_free_ char *v = NULL;
	int loaded = 0;

	(void)bus, (void)path, (void)interface, (void)property, (void)error;
	if (sysfs_read(m->config.scan.sysfs ? m->config.scan.sysfs : "/sys", "kernel/kexec_loaded",
		       &v) >= 0)
		loaded = startswith(v, "1") != NULL;
	return sd_bus_message_append(reply, "b", loaded);
}

static int property_inventory_size(sd_bus *bus, const char *path, const char *interface,
				   const char *property, sd_bus_message *reply, void *userdata,
				   sd_bus_error *error)
{
	struct manager *m = userdata;

	(void)bus, (void)path, (void)interface, (void)property, (void)error;
	return sd_bus_message_append(reply, "u", m->inventory ? (uint32_t)m->inventory->n : 0);
}

static int property_state(sd_bus *bus, const char *path, const char *interface,
			  const char *property, sd_bus_message *reply, void *userdata,
			  sd_bus_error *error)
{
	struct manager *m = userdata;

	(void)bus, (void)path, (void)interface, (void)property, (void)error;
	return sd_bus_message_append(reply, "s", m->state);
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("State", "s", property_state, 0, 0),
	SD_BUS_PROPERTY("InventoryGeneration", "t", NULL, offsetof(struct manager, generation),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("InventorySize", "u", property_inventory_size, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("PolicyCount", "u", NULL, offsetof(struct manager, n_policies),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("KexecLoaded", "b", property_kexec_loaded, 0, 0),
	SD_BUS_METHOD_WITH_ARGS("Plan", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("s", report, "i", exit_status, "a(is)", messages),
				method_plan, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Check", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("s", report, "i", exit_status, "a(is)", messages),
				method_check, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS,
				SD_BUS_RESULT("u", policies, "u", refused), method_reload,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_ARGS("InventoryChanged", SD_BUS_ARGS("t", generation, "u", size), 0),
	SD_BUS_VTABLE_END,
};

int manager_start(struct manager *m)
{
	int r;

	m->state = "idle";
	r = rescan(m);
	if (r < 0)
		return log_error_errno(r, "Cannot read the devices: %m");
	r = count_policies(m);
	if (r < 0)
		return log_error_errno(r, "Cannot read the policies: %m");
	r = sd_bus_add_object_vtable(m->bus, &m->slot, KEXECQ_BUS_PATH, KEXECQ_BUS_INTERFACE,
				     manager_vtable, m);
	if (r < 0)
		return log_error_errno(r, "Cannot publish %s: %m", KEXECQ_BUS_PATH);
	return 0;
}

void manager_done(struct manager *m)
{
	m->slot = sd_bus_slot_unref(m->slot);
	m->inventory = inventory_free(m->inventory);
}
