// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-parser.h"
#include "exit-status.h"
#include "fileio.h"
#include "file-watch.h"
#include "log.h"
#include "manager.h"
#include "policy-set.h"
#include "polkit.h"
#include "query.h"
#include "reboot.h"
#include "settings.h"
#include "record.h"
#include "kexec-load.h"
#include "verify-output.h"
#include "verify.h"
#include "snapshot.h"
#include "string-util.h"
#include "strv.h"
#include "sysfs.h"
#include "values.h"
#include "udev-adapter.h"

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

/* Answer (s report, i exit_status, a(is) messages); consumes c. */
static int reply_report(sd_bus_message *msg, const char *text, int status, struct captured *c)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_append(reply, "si", strempty(text), status);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(is)");
	for (size_t i = 0; r >= 0 && i < c->n; i++)
		r = sd_bus_message_append(reply, "(is)", c->levels[i], c->messages[i]);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	captured_done(c);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

/* a{sv} options: json, explain, dot, ignore_policy_errors.  Anything else is an error. */
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
			plan && streq(key, "dot")	   ? &q->dot :
			streq(key, "ignore_policy_errors") ? &q->ignore_policy_errors :
							     NULL;
		if (!field)
			return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
						 "Unknown option \"%s\" (known: json,%s "
						 "ignore_policy_errors)",
						 key, plan ? " explain, dot," : "");
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

static int apply_events(struct manager *m);

static int reply_query(sd_bus_message *msg, struct manager *m, bool plan, sd_bus_error *error)
{
	struct scan_options so = m->config.scan;
	struct query q = {
		.policy_dirs = m->config.policy_dirs,
		.scan = &so,
		.inventory = m->inventory,
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
	/* Events that came before the call count: apply them first. */
	r = apply_events(m);
	if (r < 0)
		return sd_bus_error_set_errnof(error, -r, "Cannot read the devices: %m");
	q.inventory = m->inventory;
	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	m->busy = true;
	log_get_fn(&old_fn, &old_data);
	log_set_fn(capture, &c);
	status = plan ? query_plan(&q, f) : query_check(&q, f);
	log_set_fn(old_fn, old_data);
	m->busy = false;
	if (fclose(f) != 0 || c.oom) {
		captured_done(&c);
		return -ENOMEM;
	}
	return reply_report(msg, text, status, &c);
}

static int method_plan(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return reply_query(msg, userdata, true, error);
}

static int method_check(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return reply_query(msg, userdata, false, error);
}

/* ---- load, unload, reboot: reboot.c, as the command line runs it -------------- */

enum action_kind {
	ACT_LOAD,
	ACT_UNLOAD,
	ACT_REBOOT,
};

struct action_args {
	char *kernel, *initrd, *append, *if_stuck;
	int reuse_cmdline, dry_run, force, ignore_inhibitors;
	uint64_t deadline_usec;
	uint32_t jobs;
};

static void action_args_done(struct action_args *a)
{
	free(a->kernel);
	free(a->initrd);
	free(a->append);
	free(a->if_stuck);
}

/* a{sv}: the keys each method takes, with their types; anything else is an error. */
static int read_action_options(sd_bus_message *msg, enum action_kind kind, struct action_args *a,
			       sd_bus_error *error)
{
	static const struct {
		const char *key, *type;
		unsigned kinds; /* 1 << enum action_kind */
		size_t offset;
	} keys[] = {
		{ "kernel", "s", 1 << ACT_LOAD | 1 << ACT_REBOOT,
		  offsetof(struct action_args, kernel) },
		{ "initrd", "s", 1 << ACT_LOAD | 1 << ACT_REBOOT,
		  offsetof(struct action_args, initrd) },
		{ "append", "s", 1 << ACT_LOAD | 1 << ACT_REBOOT,
		  offsetof(struct action_args, append) },
		{ "reuse_cmdline", "b", 1 << ACT_LOAD | 1 << ACT_REBOOT,
		  offsetof(struct action_args, reuse_cmdline) },
		{ "dry_run", "b", 1 << ACT_LOAD | 1 << ACT_REBOOT,
		  offsetof(struct action_args, dry_run) },
		{ "force", "b", 1 << ACT_REBOOT, offsetof(struct action_args, force) },
		{ "ignore_inhibitors", "b", 1 << ACT_REBOOT,
		  offsetof(struct action_args, ignore_inhibitors) },
		{ "deadline_usec", "t", 1 << ACT_REBOOT,
		  offsetof(struct action_args, deadline_usec) },
		{ "jobs", "u", 1 << ACT_REBOOT, offsetof(struct action_args, jobs) },
		{ "if_stuck", "s", 1 << ACT_REBOOT, offsetof(struct action_args, if_stuck) },
	};
	unsigned seen = 0;
	int r;

	r = sd_bus_message_enter_container(msg, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
		const char *key;
		size_t k;

		r = sd_bus_message_read(msg, "s", &key);
		if (r < 0)
			return r;
		for (k = 0; k < ELEMENTSOF(keys); k++)
			if (streq(key, keys[k].key) && (keys[k].kinds & (1U << kind)))
				break;
		if (k == ELEMENTSOF(keys))
			return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
						 "Unknown option \"%s\"", key);
		if (seen & (1U << k))
			return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
						 "Option \"%s\" given twice", key);
		seen |= 1U << k;
		r = sd_bus_message_enter_container(msg, 'v', keys[k].type);
		if (r < 0)
			return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
						 "Option \"%s\" takes type %s", key, keys[k].type);
		if (keys[k].type[0] == 's') {
			const char *v;
			char **field = (char **)((uint8_t *)a + keys[k].offset);

			r = sd_bus_message_read(msg, "s", &v);
			if (r >= 0 && !text_is_valid(v, 4096))
				return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
							 "Option \"%s\": not text", key);
			if (r >= 0) {
				free(*field);
				*field = strdup(v);
				if (!*field)
					return -ENOMEM;
			}
		} else
			r = sd_bus_message_read_basic(msg, keys[k].type[0],
						      (uint8_t *)a + keys[k].offset);
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(msg);
		if (r >= 0)
			r = sd_bus_message_exit_container(msg);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(msg);
}

/*
 * logind's shutdown inhibitors that hold against this caller: "block"
 * ones, and for callers other than root "block-weak" ones too, as logind
 * decides for its own reboot calls.  1 with *ret_who when one holds.  No
 * logind: none.  Any other failure to ask: an error (fail closed).
 */
static int inhibited(sd_bus *bus, sd_bus_message *caller, char **ret_who)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_creds *creds = NULL;
	const char *what, *who, *why, *mode;
	uint32_t uid, pid;
	uid_t caller_uid = (uid_t)-1;
	int r;

	if (sd_bus_query_sender_creds(caller, SD_BUS_CREDS_EUID, &creds) >= 0) {
		(void)sd_bus_creds_get_euid(creds, &caller_uid);
		sd_bus_creds_unref(creds);
	}
	r = sd_bus_call_method(bus, "org.freedesktop.login1", "/org/freedesktop/login1",
			       "org.freedesktop.login1.Manager", "ListInhibitors", &e, &reply,
			       NULL);
	if (r < 0) {
		bool no_logind = sd_bus_error_has_names(&e, SD_BUS_ERROR_SERVICE_UNKNOWN,
							SD_BUS_ERROR_NAME_HAS_NO_OWNER);

		log_full_errno(no_logind ? LOG_DEBUG : LOG_WARNING, 0,
			       "Cannot ask logind for inhibitors: %s",
			       e.message ? e.message : strerror(-r));
		sd_bus_error_free(&e);
		return no_logind ? 0 : -EIO;
	}
	r = sd_bus_message_enter_container(reply, 'a', "(ssssuu)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "(ssssuu)", &what, &who, &why, &mode, &uid, &pid)) >
	       0)
		if (strstr(what, "shutdown") &&
		    (streq(mode, "block") || (streq(mode, "block-weak") && caller_uid != 0)))
			return asprintf(ret_who, "\"%s\" (PID %" PRIu32 ", user %" PRIu32 "): %s",
					who, pid, uid, why) < 0 ?
				       -ENOMEM :
				       1;
	return r;
}

/*
 * polkit_check() for a method: 1 go on; otherwise what the method returns
 * (an error, or 1 for "asked polkit, called again when it answers").
 */
static int authorize(struct manager *m, sd_bus_message *msg, const char *action,
		     sd_bus_error *error)
{
	int r = polkit_check(msg, action, &m->polkit, error);

	if (r > 0)
		return 1;
	if (r < 0 || sd_bus_error_is_set(error)) {
		polkit_forget(&m->polkit, msg);
		return r;
	}
	return 0;
}

static void remember_armed(struct manager *m);
static void set_dropin(struct manager *m, bool on);

static int run_action(sd_bus_message *msg, struct manager *m, enum action_kind kind,
		      sd_bus_error *error)
{
	_cleanup_(action_args_done) struct action_args a = {};
	_cleanup_free_ char *text = NULL, *boot_id = NULL, *who = NULL;
	struct captured c = {};
	size_t len = 0;
	log_fn_t old_fn;
	void *old_data;
	FILE *f;
	int status, r;

	r = read_action_options(msg, kind, &a, error);
	if (r < 0 || sd_bus_error_is_set(error))
		return r;
	r = authorize(m, msg, KEXECQ_POLKIT_REBOOT, error);
	if (r <= 0)
		return r < 0 || sd_bus_error_is_set(error) ? r : 1;
	if (kind == ACT_REBOOT && !a.dry_run) {
		if (a.ignore_inhibitors) {
			r = authorize(m, msg, KEXECQ_POLKIT_IGNORE_INHIBIT, error);
			if (r <= 0)
				return r < 0 || sd_bus_error_is_set(error) ? r : 1;
		} else {
			r = inhibited(m->bus, msg, &who);
			if (r < 0)
				return sd_bus_error_set_errnof(
					error, -r, "Cannot tell whether a reboot is inhibited: %m");
			if (r > 0)
				return sd_bus_error_setf(error, KEXECQ_ERROR_INHIBITED,
							 "A reboot is inhibited by %s", who);
		}
	}
	polkit_forget(&m->polkit, msg);
	/* The daemon's working directory is not the caller's. */
	if ((a.kernel && a.kernel[0] != '/') || (a.initrd && a.initrd[0] != '/'))
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "kernel and initrd must be absolute paths");
	if (a.if_stuck && if_stuck_from_string(a.if_stuck) < 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "if_stuck must be restart, abort or kexec");
	/* The next boot's marker (record.h); a dry run shows it too, as the CLI does. */
	if (kind == ACT_REBOOT && boot_id_read("/proc", &boot_id) < 0 && !a.dry_run)
		return sd_bus_error_set_errnof(error, EIO, "Cannot read this boot's id");

	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	{
		struct reboot_options o = {
			.kexec = {
				.root = "/",
				.kernel = a.kernel,
				.initrd = a.initrd,
				.append = a.append,
				.reuse_cmdline = a.reuse_cmdline,
				.from_boot_id = boot_id,
			},
			.policy_dirs = m->config.policy_dirs ? m->config.policy_dirs : policy_default_dirs,
			.policy_dirs_explicit = m->config.policy_dirs != NULL,
			.sysfs = m->config.scan.sysfs,
			.rundir = "/run/kexecq",
			.kmsg = "/dev/kmsg",
			.state_dir = "/var/lib/kexecq",
			.proc = "/proc",
			.jobs = a.jobs,
			.deadline_usec = a.deadline_usec,
			.if_stuck = a.if_stuck ? (enum if_stuck)if_stuck_from_string(a.if_stuck) :
						 IF_STUCK_RESTART,
			.watchdog_device = "/dev/watchdog0",
			.sysrq = "/proc/sysrq-trigger",
			.mountinfo = "/proc/self/mountinfo",
			.dry_run = a.dry_run,
			.force = a.force,
			.service = true,
			.out = f,
		};

		m->busy = true;
		log_get_fn(&old_fn, &old_data);
		log_set_fn(capture, &c);
		status = kind == ACT_LOAD   ? reboot_load(&o) :
			 kind == ACT_UNLOAD ? reboot_unload(&o) :
					      reboot_run(&o);
		log_set_fn(old_fn, old_data);
		m->busy = false;
		/* A reboot that started kexec.target: from now on "rebooting". */
		if (kind == ACT_REBOOT && !a.dry_run && status == EXIT_OK)
			m->state = "rebooting";
		/* What is loaded now is the caller's: arming waits for Reload. */
		if ((kind == ACT_LOAD || kind == ACT_UNLOAD) && !a.dry_run && status == EXIT_OK) {
			m->hold = kind == ACT_LOAD ? "a kernel was loaded with kexecq load" :
						     "the kernel was unloaded with kexecq unload";
			m->armed_image = mfree(m->armed_image);
			remember_armed(m);
			/* Nothing loaded: no drop-in may ask for a kexec (systemctl would load one). */
			if (kind == ACT_UNLOAD)
				set_dropin(m, false);
		}
		m->last_kexec = mfree(m->last_kexec);
	}
	if (fclose(f) != 0 || c.oom) {
		captured_done(&c);
		return -ENOMEM;
	}
	(void)sd_bus_emit_properties_changed(m->bus, KEXECQ_BUS_PATH, KEXECQ_BUS_INTERFACE, "State",
					     NULL);
	return reply_report(msg, text, status, &c);
}

static int method_load(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return run_action(msg, userdata, ACT_LOAD, error);
}

static int method_unload(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return run_action(msg, userdata, ACT_UNLOAD, error);
}

static int method_reboot(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return run_action(msg, userdata, ACT_REBOOT, error);
}

/* ---- kexec by default ---------------------------------------------------------- */

/*
 * systemd before 255 reboots through the firmware on `systemctl reboot`
 * even with a kernel loaded (systemd#26635): a runtime drop-in makes
 * systemd-reboot.service, which reboot.target pulls in, ask for a kexec
 * instead.  Every reboot through reboot.target (systemctl reboot, reboot,
 * logind's Reboot) then kexecs; `systemctl reboot --force` and reboot -f
 * bypass it and still reboot through the firmware.
 *
 * systemd-reboot.service is only "SuccessAction=reboot-force".  systemctl
 * --force kexec makes PID 1 leave for systemd-shutdown kexec before that
 * action can run; should the request fail, FailureAction= still reboots:
 * nothing waits at reboot.target.  A reboot that asked for the firmware
 * (systemctl reboot --firmware-setup, --boot-loader-entry=, a reboot
 * argument) is left to it: the condition fails, the unit is skipped, and
 * its SuccessAction reboots through the firmware.
 */
static const char dropin_text[] =
	"# Written by kexecqd while a kernel is armed for kexec (kexecqd(8)).\n"
	"[Unit]\n"
	"# A failed kexec request still reboots, through the firmware.\n"
	"FailureAction=reboot-force\n"
	"[Service]\n"
	"Type=oneshot\n"
	"# Reboots that asked for the firmware (its setup, a one-shot boot loader\n"
	"# entry or menu, a reboot argument) go there: skipped, this unit's SuccessAction.\n"
	"ExecCondition=/bin/sh -c '"
	"test ! -e /run/systemd/reboot-param && "
	"test ! -e /sys/firmware/efi/efivars/LoaderEntryOneShot-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f && "
	"test ! -e /sys/firmware/efi/efivars/LoaderConfigTimeoutOneShot-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f && "
	"{ f=/sys/firmware/efi/efivars/OsIndications-8be4df61-93ca-11d2-aa0d-00e098032b8c; "
	"test ! -e $$f || test $$(( $$(od -An -tu1 -j4 -N1 $$f) & 1 )) = 0; }'\n"
	"ExecStart=\n"
	"ExecStart=systemctl --force kexec\n";

static void set_dropin(struct manager *m, bool on)
{
	const char *dir = m->config.dropin_dir ? m->config.dropin_dir : REBOOT_DROPIN_DIR;
	_cleanup_free_ char *path = NULL, *old = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	if (asprintf(&path, "%s/" REBOOT_DROPIN_NAME, dir) < 0)
		return;
	if (on) {
		/* The same text already there (this daemon's, or an earlier one's): nothing to do. */
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		size_t size;

		if (fd >= 0 && read_regular_fd(fd, 64 * 1024, &old, &size) >= 0 &&
		    streq(old, dropin_text))
			return;
		(void)mkdir(dir, 0755);
		r = write_file_atomic(path, dropin_text, 0644);
		if (r < 0) {
			log_warning_errno(r, "Cannot write %s: %m; systemctl reboot may not kexec",
					  path);
			return;
		}
	} else if (unlink(path) < 0)
		return;
	/* systemd reads drop-ins on daemon-reload. */
	r = sd_bus_call_method(m->bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			       "org.freedesktop.systemd1.Manager", "Reload", &e, NULL, NULL);
	if (r < 0) {
		bool no_systemd = sd_bus_error_has_names(&e, SD_BUS_ERROR_SERVICE_UNKNOWN,
							 SD_BUS_ERROR_NAME_HAS_NO_OWNER);

		log_full_errno(no_systemd ? LOG_DEBUG : LOG_WARNING, 0,
			       "systemd did not reload %s: %s", path,
			       e.message ? e.message : strerror(-r));
	}
	sd_bus_error_free(&e);
}

static void set_next_reboot(struct manager *m, const char *text)
{
	char *t = strdup(text);

	if (!t)
		return;
	free(m->next_reboot);
	m->next_reboot = t;
	m->last_kexec = mfree(m->last_kexec);
	if (m->slot)
		(void)sd_bus_emit_properties_changed(m->bus, KEXECQ_BUS_PATH, KEXECQ_BUS_INTERFACE,
						     "NextReboot", NULL);
}

/* PID 1 is stopping units (SystemState "stopping"): a shutdown is under way. */
static bool shutting_down(struct manager *m)
{
	_cleanup_free_ char *state = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_get_property_string(m->bus, "org.freedesktop.systemd1",
				       "/org/freedesktop/systemd1",
				       "org.freedesktop.systemd1.Manager", "SystemState", &e,
				       &state);
	sd_bus_error_free(&e);
	return r >= 0 && streq(state, "stopping");
}

/*
 * What kexecqd loaded, kept in the run directory (RuntimeDirectoryPreserve=)
 * so that a restarted daemon still knows the kernel in the slot is its own:
 * `kexecq disable` then unloads it, and the same image is not loaded twice.
 */
static char *armed_path(struct manager *m)
{
	char *p = NULL;

	if (asprintf(&p, "%s/armed", m->config.rundir ? m->config.rundir : "/run/kexecq") < 0)
		return NULL;
	return p;
}

static void remember_armed(struct manager *m)
{
	_cleanup_free_ char *path = armed_path(m);

	if (!path)
		return;
	if (!m->armed_image)
		(void)unlink(path);
	else if (write_file_atomic(path, m->armed_image, 0600) < 0)
		log_debug("Cannot remember what was armed in %s", path);
}

static void recall_armed(struct manager *m)
{
	_cleanup_free_ char *path = armed_path(m), *id = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t size;

	if (!path || kexec_loaded(m->config.scan.sysfs ? m->config.scan.sysfs : "/sys") <= 0)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || read_regular_fd(fd, 64 * 1024, &id, &size) < 0 || size == 0)
		return;
	free(m->armed_image);
	m->armed_image = TAKE_PTR(id);
	log_debug("The kernel loaded is the one an earlier kexecqd armed.");
}

/*
 * Unload what this daemon loaded (or, all: whatever is loaded, as after a
 * failed arming, when a kernel loaded by an earlier kexecqd may be there),
 * remove the frozen plan and the drop-in.
 */
static void disarm(struct manager *m, bool all)
{
	if (m->armed_image || all) {
		struct reboot_options o = {
			.sysfs = m->config.scan.sysfs,
			.rundir = m->config.rundir ? m->config.rundir : "/run/kexecq",
			.service = true,
		};
		FILE *null = fopen("/dev/null", "we");

		o.out = null ? null : stdout;
		(void)reboot_unload(&o);
		if (null)
			fclose(null);
		m->armed_image = mfree(m->armed_image);
		remember_armed(m);
	}
	set_dropin(m, false);
}

/*
 * Keep the next reboot armed, or disarmed: load the default kernel (once
 * per image), freeze the current plan; on failure say so loudly and leave
 * the next reboot to the firmware, with nothing half done: what an earlier
 * arming loaded is unloaded, its frozen plan removed (a policy that now
 * says Unsafe= must not be bypassed by the plan frozen before it).  Held
 * while a shutdown is under way, and after a Load or Unload asked for by
 * hand, until Reload.
 */
static void arm(struct manager *m)
{
	_cleanup_free_ char *text = NULL, *boot_id = NULL;
	struct captured c = {};
	size_t len = 0;
	log_fn_t old_fn;
	void *old_data;
	FILE *f;
	int status;

	/*
	 * A shutdown under way (ours, or anyone's: systemctl reboot through the
	 * drop-in, systemctl kexec): the frozen plan is the one it goes with.
	 * One that was cancelled lets arming go on.
	 */
	if (shutting_down(m))
		return;
	if (streq(m->state, "rebooting"))
		m->state = "idle";
	if (m->kexec_by_default && m->hold) {
		_cleanup_free_ char *why = NULL;

		if (asprintf(&why, "kexec by default is held: %s (kexecq enable resumes it)",
			     m->hold) >= 0)
			set_next_reboot(m, why);
		return;
	}
	atomic_fetch_add(&m->rearms, 1);
	if (!m->kexec_by_default) {
		disarm(m, false);
		set_next_reboot(m, "firmware: kexec by default is off (kexecq enable)");
		return;
	}
	(void)boot_id_read("/proc", &boot_id);
	f = open_memstream(&text, &len);
	if (!f)
		return;
	{
		struct reboot_options o = {
			.kexec = { .root = "/", .from_boot_id = boot_id },
			.policy_dirs = m->config.policy_dirs ? m->config.policy_dirs :
							       policy_default_dirs,
			.policy_dirs_explicit = m->config.policy_dirs != NULL,
			.sysfs = m->config.scan.sysfs,
			.rundir = m->config.rundir ? m->config.rundir : "/run/kexecq",
			.kmsg = "/dev/kmsg",
			.state_dir = "/var/lib/kexecq",
			.proc = "/proc",
			.if_stuck = IF_STUCK_RESTART,
			.watchdog_device = "/dev/watchdog0",
			.sysrq = "/proc/sysrq-trigger",
			.mountinfo = "/proc/self/mountinfo",
			.service = true,
			.arm_only = true,
			.armed_image = &m->armed_image,
			.out = f,
		};

		log_get_fn(&old_fn, &old_data);
		log_set_fn(capture, &c);
		status = reboot_run(&o);
		log_set_fn(old_fn, old_data);
	}
	if (fclose(f) != 0) {
		captured_done(&c);
		return;
	}
	if (status == EXIT_OK) {
		/* The choice of kernel comes first, then "Armed: ...". */
		char *armed = strstr(text, "Armed: ");

		armed = armed ? armed + strlen("Armed: ") : text;
		armed[strcspn(armed, "\n")] = 0;
		remember_armed(m);
		set_dropin(m, true);
		set_next_reboot(m, armed);
		log_info("Armed: %s", armed);
	} else {
		_cleanup_free_ char *why = NULL;
		const char *last = c.n ? c.messages[c.n - 1] : "see the log";

		/* Loudly, and nothing left half done: the firmware reboots next. */
		for (size_t i = 0; i < c.n; i++)
			log_error("Cannot arm the next reboot for kexec: %s", c.messages[i]);
		disarm(m, true);
		if (asprintf(&why, "firmware: cannot arm kexec (%s)", last) >= 0)
			set_next_reboot(m, why);
	}
	captured_done(&c);
}

static int read_settings(struct manager *m)
{
	struct settings s;
	int r = settings_read(m->config.settings ? m->config.settings : SETTINGS_PATH, &s);

	if (r < 0)
		return r;
	m->kexec_by_default = s.kexec_by_default;
	return 0;
}

/*
 * A boot entry, a kernel link, a policy or the settings changed: read the
 * policies and settings again and re-arm (a new image is loaded, the same
 * one is not; the plan is frozen again either way).
 */
static int count_policies(struct manager *m);

static void on_files_changed(void *userdata)
{
	struct manager *m = userdata;

	if (count_policies(m) < 0)
		log_warning("The policies cannot be read; the plan keeps the ones read last.");
	if (read_settings(m) < 0)
		log_warning("The settings cannot be read; KexecByDefault=%s stays.",
			    m->kexec_by_default ? "yes" : "no");
	arm(m);
	(void)sd_bus_emit_properties_changed(m->bus, KEXECQ_BUS_PATH, KEXECQ_BUS_INTERFACE,
					     "PolicyCount", "KexecByDefault", NULL);
}

#define FILES_SETTLE_USEC (500 * 1000ULL)

static int watch_files(struct manager *m)
{
	static const char *const kernel_links[] = { "vmlinuz", "initrd.img", NULL };
	char *const *dirs = m->config.policy_dirs ? m->config.policy_dirs : policy_default_dirs;
	const char *settings = m->config.settings ? m->config.settings : SETTINGS_PATH;
	_cleanup_free_ char *settings_dir = strdup(settings);
	const char *settings_name[2] = { NULL, NULL };
	struct file_watch_path paths[16 + 8] = {
		/* What kexec_image_choose() reads (kexec-load.h). */
		{ "/boot" },
		{ "/boot/loader" },
		{ "/boot/loader/entries" },
		{ "/efi/loader" },
		{ "/efi/loader/entries" },
		{ "/boot/efi/loader" },
		{ "/boot/efi/loader/entries" },
		{ "/", kernel_links },
	};
	size_t n = 8;
	char *slash;

	if (!settings_dir)
		return -ENOMEM;
	slash = strrchr(settings_dir, '/');
	if (slash && slash != settings_dir) {
		*slash = 0;
		settings_name[0] = slash + 1;
		paths[n++] = (struct file_watch_path){ settings_dir, settings_name };
	}
	STRV_FOREACH (d, dirs)
		if (n < ELEMENTSOF(paths) - 1)
			paths[n++] = (struct file_watch_path){ *d };
	paths[n] = (struct file_watch_path){};
	return file_watch_new(m->event, paths, FILES_SETTLE_USEC, on_files_changed, m, &m->files);
}

/* ---- the inventory and the policies ---------------------------------------- */

static int rescan(struct manager *m)
{
	struct inventory *inv = NULL;
	int r;

	r = m->config.snapshot ? inventory_load_json(m->config.snapshot, &inv) :
				 inventory_scan(&m->config.scan, &inv);
	if (r < 0)
		return r;
	inventory_free(m->inventory);
	m->inventory = inv;
	m->generation++;
	m->last_kexec = mfree(m->last_kexec); /* its verify compares with the devices */
	if (m->slot)
		(void)sd_bus_emit_signal(m->bus, KEXECQ_BUS_PATH, KEXECQ_BUS_INTERFACE,
					 "InventoryChanged", "tu", m->generation, (uint32_t)inv->n);
	return 0;
}

/* Apply what the queue says by a rescan; then, and only then, empty it. */
static int apply_events(struct manager *m)
{
	size_t n = strv_length(m->queue);
	int r;

	if (n == 0 && !m->lost)
		return 0;
	r = rescan(m);
	if (r < 0)
		return r; /* the queue stays: the next try applies it */
	m->queue = strv_free(m->queue);
	m->lost = false;
	atomic_fetch_add(&m->events_applied, n);
	/* The frozen plan follows the devices. */
	if (m->kexec_by_default)
		arm(m);
	(void)sd_bus_emit_properties_changed(m->bus, KEXECQ_BUS_PATH, KEXECQ_BUS_INTERFACE,
					     "InventoryGeneration", "InventorySize",
					     "EventsApplied", NULL);
	return 0;
}

#define SETTLE_USEC (100 * 1000ULL)

static int on_settled(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct manager *m = userdata;
	int r;

	(void)usec;
	/* Never under a plan in the making: come back when it is done. */
	if (m->busy)
		return sd_event_source_set_time_relative(s, SETTLE_USEC) < 0 ?
			       0 :
			       sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	r = apply_events(m);
	if (r < 0) {
		log_warning_errno(r, "Cannot read the devices after %zu events, retrying: %m",
				  strv_length(m->queue));
		(void)sd_event_source_set_time_relative(s, 1000 * 1000ULL);
		(void)sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	}
	return 0;
}

static void settle_later(struct manager *m)
{
	if (!m->settle_timer) {
		/* Accuracy 1 ms: sd-event's default (0) lets it fire up to 250 ms late. */
		if (sd_event_add_time_relative(m->event, &m->settle_timer, CLOCK_MONOTONIC,
					       SETTLE_USEC, 1000, on_settled, m) < 0)
			m->lost = true; /* the next query rescans */
		return;
	}
	(void)sd_event_source_set_time_relative(m->settle_timer, SETTLE_USEC);
	(void)sd_event_source_set_enabled(m->settle_timer, SD_EVENT_ONESHOT);
}

static int on_events(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct manager *m = userdata;

	(void)s, (void)fd, (void)revents;
	for (;;) {
		_cleanup_free_ char *action = NULL, *syspath = NULL;
		char *line = NULL;
		int r = udev_events_read(m->events, &action, &syspath);

		if (r == 0)
			break;
		if (r == -ENOBUFS) {
			atomic_fetch_add(&m->events_lost, 1);
			m->lost = true;
			log_warning("Device events were lost (the socket overflowed): rescanning.");
			continue;
		}
		if (r < 0) {
			m->lost = true;
			break;
		}
		atomic_fetch_add(&m->events_received, 1);
		log_debug("Device event: %s %s", action, syspath);
		if (asprintf(&line, "%s %s", action, syspath) < 0 ||
		    strv_consume(&m->queue, line) < 0) {
			free(line);
			m->lost = true; /* a rescan covers what could not be queued */
		}
	}
	settle_later(m);
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

	r = authorize(m, msg, KEXECQ_POLKIT_REBOOT, error);
	if (r <= 0)
		return r < 0 || sd_bus_error_is_set(error) ? r : 1;
	polkit_forget(&m->polkit, msg);
	m->hold = NULL; /* kexec by default resumes */
	m->lost = true; /* read everything again, queued events included */
	r = apply_events(m);
	if (r < 0)
		return sd_bus_error_set_errnof(error, -r, "Cannot read the devices: %m");
	r = count_policies(m);
	if (r < 0)
		return sd_bus_error_set_errnof(error, -r, "Cannot read the policies: %m");
	if (read_settings(m) < 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "The settings cannot be read (see kexecqd's log)");
	arm(m);
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

static int property_counter(sd_bus *bus, const char *path, const char *interface,
			    const char *property, sd_bus_message *reply, void *userdata,
			    sd_bus_error *error)
{
	struct manager *m = userdata;
	uint64_t v = streq(property, "EventsReceived") ? atomic_load(&m->events_received) :
		     streq(property, "EventsApplied")  ? atomic_load(&m->events_applied) :
							 atomic_load(&m->events_lost);

	(void)bus, (void)path, (void)interface, (void)error;
	return sd_bus_message_append(reply, "t", v);
}

static int property_reboot(sd_bus *bus, const char *path, const char *interface,
			   const char *property, sd_bus_message *reply, void *userdata,
			   sd_bus_error *error)
{
	struct manager *m = userdata;

	(void)bus, (void)path, (void)interface, (void)error;
	if (streq(property, "KexecByDefault"))
		return sd_bus_message_append(reply, "b", (int)m->kexec_by_default);
	return sd_bus_message_append(reply, "s", strempty(m->next_reboot));
}

/* How the last kexec went, as `kexecq status` says it (its "Last kexec" and "Verify" lines). */
static int property_last_kexec(sd_bus *bus, const char *path, const char *interface,
			       const char *property, sd_bus_message *reply, void *userdata,
			       sd_bus_error *error)
{
	static const char state_dir[] = "/var/lib/kexecq";
	struct manager *m = userdata;
	_cleanup_(record_freep) struct record *mine = NULL, *from_rec = NULL, *latest = NULL,
					      *now = NULL;
	_cleanup_(verify_result_freep) struct verify_result *v = NULL;
	_cleanup_free_ char *boot_id = NULL, *from = NULL, *text = NULL;
	struct status s = {};

	(void)bus, (void)path, (void)interface, (void)property, (void)error;
	if (m->last_kexec)
		return sd_bus_message_append(reply, "s", m->last_kexec);
	if (boot_id_read("/proc", &boot_id) < 0)
		return sd_bus_message_append(reply, "s", "unknown: this boot's id cannot be read");
	s.boot_id = boot_id;
	s.kexec_loaded = kexec_loaded(m->config.scan.sysfs ? m->config.scan.sysfs : "/sys");
	if (record_load(state_dir, boot_id, &mine) >= 0)
		s.mine = mine;
	if (boot_from_read("/proc", &from) > 0) {
		s.from = from;
		if (record_load(state_dir, from, &from_rec) >= 0) {
			s.from_record = from_rec;
			now = record_new();
			if (now && m->inventory && record_add_inventory(now, m->inventory) >= 0 &&
			    verify_compare(from_rec, now, &v) >= 0)
				s.verify = v;
		}
	}
	if (record_load_latest(state_dir, boot_id, &latest) >= 0)
		s.latest = latest;
	if (status_last_kexec_text(&s, &text) < 0)
		return -ENOMEM;
	/* Until something changes what it says (an arming, an action, an event). */
	m->last_kexec = TAKE_PTR(text);
	return sd_bus_message_append(reply, "s", m->last_kexec);
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("State", "s", property_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("InventoryGeneration", "t", NULL, offsetof(struct manager, generation),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("InventorySize", "u", property_inventory_size, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("PolicyCount", "u", NULL, offsetof(struct manager, n_policies),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("KexecLoaded", "b", property_kexec_loaded, 0, 0),
	SD_BUS_PROPERTY("KexecByDefault", "b", property_reboot, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("NextReboot", "s", property_reboot, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LastKexec", "s", property_last_kexec, 0, 0),
	SD_BUS_PROPERTY("EventsReceived", "t", property_counter, 0, 0),
	SD_BUS_PROPERTY("EventsApplied", "t", property_counter, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("EventsLost", "t", property_counter, 0, 0),
	SD_BUS_METHOD_WITH_ARGS("Plan", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("s", report, "i", exit_status, "a(is)", messages),
				method_plan, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Check", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("s", report, "i", exit_status, "a(is)", messages),
				method_check, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Load", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("s", output, "i", exit_status, "a(is)", messages),
				method_load, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Unload", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("s", output, "i", exit_status, "a(is)", messages),
				method_unload, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Reboot", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("s", output, "i", exit_status, "a(is)", messages),
				method_reboot, SD_BUS_VTABLE_UNPRIVILEGED),
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
	/* Listen first, then read: nothing that happens in between is missed. */
	if (!m->config.snapshot) {
		r = udev_events_open(&m->events);
		if (r < 0)
			return log_error_errno(r, "Cannot listen to device events: %m");
		r = sd_event_add_io(m->event, &m->events_source, udev_events_fd(m->events), EPOLLIN,
				    on_events, m);
		if (r < 0)
			return log_error_errno(r, "Cannot watch device events: %m");
	}
	r = rescan(m);
	if (r < 0)
		return log_error_errno(r, "Cannot read the devices: %m");
	r = count_policies(m);
	if (r < 0)
		return log_error_errno(r, "Cannot read the policies: %m");
	r = read_settings(m);
	if (r < 0)
		return r;
	recall_armed(m);
	/* Watch first, then arm: a change in between re-arms. */
	if (!m->config.snapshot) {
		r = watch_files(m);
		if (r < 0)
			return log_error_errno(r, "Cannot watch the boot entries and policies: %m");
	}
	arm(m);
	r = sd_bus_add_object_vtable(m->bus, &m->slot, KEXECQ_BUS_PATH, KEXECQ_BUS_INTERFACE,
				     manager_vtable, m);
	if (r < 0)
		return log_error_errno(r, "Cannot publish %s: %m", KEXECQ_BUS_PATH);
	return 0;
}

void manager_done(struct manager *m)
{
	polkit_registry_free(&m->polkit);
	m->files = file_watch_free(m->files);
	m->armed_image = mfree(m->armed_image);
	m->last_kexec = mfree(m->last_kexec);
	m->next_reboot = mfree(m->next_reboot);
	m->slot = sd_bus_slot_unref(m->slot);
	m->settle_timer = sd_event_source_unref(m->settle_timer);
	m->events_source = sd_event_source_unref(m->events_source);
	m->events = udev_events_close(m->events);
	m->queue = strv_free(m->queue);
	m->inventory = inventory_free(m->inventory);
}
