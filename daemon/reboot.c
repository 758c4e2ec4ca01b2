// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "bus.h"
#include "exec.h"
#include "exit-status.h"
#include "freeze.h"
#include "inventory.h"
#include "journal.h"
#include "log.h"
#include "plan-output.h"
#include "plan.h"
#include "policy-set.h"
#include "reboot.h"
#include "record.h"
#include "scan.h"
#include "snapshot.h"
#include "string-util.h"
#include "strv.h"

#define FROZEN "frozen"

/* ---- the pieces ------------------------------------------------------------------- */

static int load_policies(const struct reboot_options *o, struct policy_set **ret)
{
	unsigned n_errors = 0;
	unsigned flags = (o->policy_dirs_explicit ? POLICY_DIRS_EXPLICIT : 0) |
			 (o->ignore_policy_errors ? POLICY_SKIP_BROKEN : 0);
	int r;

	r = policy_set_load(o->policy_dirs, flags, ret, &n_errors);
	if (r < 0)
		return r == -ENOENT || r == -ENOTDIR ? EXIT_USAGE : EXIT_FAIL;
	if (n_errors && !o->ignore_policy_errors) {
		*ret = policy_set_free(*ret);
		log_error("%u problem%s in the policy files; nothing was done.  Fix %s, or run with "
			  "--ignore-policy-errors to skip the broken files.",
			  n_errors, n_errors == 1 ? "" : "s", n_errors == 1 ? "it" : "them");
		return EXIT_POLICY;
	}
	return EXIT_OK;
}

static int make_plan(const struct inventory *inv, const struct policy_set *ps,
		     struct plan **ret)
{
	_cleanup_free_ char *error = NULL;
	int r = plan_build(inv, ps, ret, &error);

	if (r == -ELOOP) {
		log_error("Cannot order the plan: %s", strna(error));
		return EXIT_PLAN;
	}
	if (r < 0) {
		log_error_errno(r, "Failed to build the plan: %m");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static char *rundir_path(const struct reboot_options *o, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", o->rundir, name) < 0)
		return NULL;
	return p;
}

/* Choose and check the image; print the choice.  EXIT_OK or a status. */
static int choose_image(const struct reboot_options *o, struct kexec_image **ret, bool say)
{
	_cleanup_(kexec_image_freep) struct kexec_image *img = NULL;
	_cleanup_free_ char *error = NULL;
	int r;

	r = kexec_image_choose(&o->kexec, &img, &error);
	if (r < 0) {
		if (r == -ENOMEM)
			return log_oom(), EXIT_FAIL;
		if (o->dry_run)
			fprintf(o->out, "Kernel:       none: %s\n", error ? error : "no kernel to load");
		else
			log_error("%s", error ? error : "no kernel to load");
		return EXIT_FAIL;
	}
	if (say) {
		fprintf(o->out, "Kernel:       %s\n              (%s)\n", img->kernel, img->origin);
		fprintf(o->out, "Initrd:       %s\n", img->initrd ? img->initrd : "none");
		fprintf(o->out, "Command line: %s\n", img->cmdline);
	}
	r = kexec_image_verify(img, &error);
	if (r < 0) {
		if (o->dry_run)
			fprintf(o->out, "              would fail: %s\n", error ? error : strerror(-r));
		else
			log_error("%s; nothing was changed.", error ? error : strerror(-r));
		return EXIT_FAIL;
	}
	*ret = TAKE_PTR(img);
	return EXIT_OK;
}

/* Load img; nothing has been quiesced yet, so a failure changes nothing. */
static int load_image(const struct reboot_options *o, const struct kexec_image *img)
{
	_cleanup_free_ char *why = NULL, *error = NULL;
	enum kexec_syscall how = kexec_probe(&why);
	int r;

	if (how == KEXEC_SYSCALL_NONE) {
		log_error("Cannot kexec: %s; nothing was changed.", strna(why));
		return EXIT_FAIL;
	}
	r = kexec_image_load(img, how, &error);
	if (r < 0) {
		log_error("Loading the kernel failed (%s): %s; nothing was changed.",
			  kexec_syscall_to_string(how), error ? error : strerror(-r));
		return EXIT_FAIL;
	}
	if (kexec_loaded(o->sysfs) == 0) {
		log_error("kexec reported success but %s/kernel/kexec_loaded says 0.", o->sysfs);
		return EXIT_FAIL;
	}
	if (!o->json)
		fprintf(o->out, "Loaded %s with %s.\n", img->kernel, kexec_syscall_to_string(how));
	return EXIT_OK;
}

static void unload_after_abort(const struct reboot_options *o, struct journal *j)
{
	int r = kexec_unload();

	if (r < 0) {
		log_error_errno(r, "Cannot unload the kernel: %m.  Unload it with 'kexecq unload' "
				   "before rebooting, or the next reboot will be a kexec.");
		journal_log(j, LOG_ERR, "cannot unload the loaded kernel: %s", strerror(-r));
	} else {
		journal_log(j, LOG_NOTICE, "loaded kernel unloaded: no kexec");
	}
}

/* The planner's warnings (KernelMethod= on a kernel without it, ...): once each. */
static void plan_warnings(const struct plan *plan, struct journal *j, bool say)
{
	STRV_FOREACH (w, plan->warnings) {
		if (say)
			log_warning("%s", *w);
		journal_log(j, LOG_WARNING, "%s", *w);
	}
}

/* ---- running a plan --------------------------------------------------------------- */

struct progress {
	const struct reboot_options *o;
	struct journal *journal;
	bool method_notice; /* the "no kexec_method" notice was given */
};

static void on_start(void *userdata, const struct exec_report *r, size_t i)
{
	struct progress *p = userdata;

	journal_step_started(p->journal, r, i);
}

static void on_end(void *userdata, const struct exec_report *r, size_t i)
{
	struct progress *p = userdata;
	const struct step_result *res = &r->results[i];
	_cleanup_free_ char *line = NULL;

	if (res->state == STATE_SKIPPED &&
	    r->plan->steps[i].type == STEP_SET_KERNEL_METHOD) {
		if (!p->method_notice) {
			p->method_notice = true;
			log_warning("This kernel has no kexec_method (it lacks the kexecq patches): "
				   "KernelMethod= is not applied; the rest of the plan runs.");
			journal_log(p->journal, LOG_NOTICE,
				    "this kernel has no kexec_method: KernelMethod= not applied");
		}
		journal_step_ended(p->journal, r, i);
		return;
	}
	journal_step_ended(p->journal, r, i);
	if (!p->o->progress && res->state != STATE_FAILED && res->state != STATE_TIMED_OUT &&
	    res->state != STATE_UNDO_FAILED)
		return;
	line = exec_step_line(r, i);
	if (!line)
		return;
	if (p->o->progress)
		fprintf(p->o->out, "%s\n", line);
	else if (!p->o->json)
		log_warning("%s", line);
	else
		fprintf(stderr, "%s\n", line);
	fflush(p->o->out);
}

static void print_summary(const struct reboot_options *o, const struct exec_report *rep)
{
	_cleanup_free_ char *s = exec_report_summary(rep);

	if (!o->progress || !s)
		return;
	fprintf(o->out, "%s\n", s);
	if (rep->n_critical > 0) {
		fprintf(o->out, "Critical path:");
		for (size_t k = 0; k < rep->n_critical; k++) {
			_cleanup_free_ char *d =
				step_describe(&rep->plan->steps[rep->critical_path[k] - 1]);

			fprintf(o->out, "%s %s", k ? " →" : "", strna(d));
		}
		fputc('\n', o->out);
	}
	if (rep->still_running)
		fprintf(o->out, "%u step%s abandoned, still in the kernel.\n", rep->still_running,
			rep->still_running == 1 ? "" : "s");
}

/* Quiesce along plan; returns the report (EXIT_OK) or a status. */
static int quiesce(const struct reboot_options *o, const struct plan *plan, struct journal *j,
		   struct exec_report **ret)
{
	static struct action_env env; /* outlives abandoned steps: see exec.h */
	struct progress prog = { .o = o, .journal = j };
	struct exec_options eo = {
		.jobs = o->jobs,
		.deadline_usec = o->deadline_usec,
		.ops = &action_exec_ops,
		.userdata = &env,
		.on_start = on_start,
		.on_end = on_end,
		.event_userdata = &prog,
	};
	int r;

	env.sysfs = strdup(o->sysfs);
	env.moddir = o->moddir ? strdup(o->moddir) : NULL;
	if (!env.sysfs || (o->moddir && !env.moddir))
		return log_oom(), EXIT_FAIL;
	journal_log(j, LOG_INFO, "quiescing: %zu step%s, %u at a time, deadline %.0f s", plan->n,
		    plan->n == 1 ? "" : "s", o->jobs ? o->jobs : exec_default_jobs(),
		    (double)(o->deadline_usec ? o->deadline_usec : EXEC_DEADLINE_DEFAULT_USEC) /
			    1e6);
	r = exec_run(plan, &eo, ret);
	if (r < 0) {
		log_error_errno(r, "Cannot run the plan: %m");
		journal_log(j, LOG_ERR, "cannot run the plan: %s", strerror(-r));
		return EXIT_FAIL;
	}
	journal_summary(j, *ret);
	print_summary(o, *ret);
	return EXIT_OK;
}

static void report_json(const struct reboot_options *o, const struct exec_report *rep,
			const struct kexec_image *img, const char *outcome)
{
	if (o->json)
		(void)exec_report_write_json(rep, img, outcome, o->out);
	fflush(o->out);
}

/* ---- verbs ------------------------------------------------------------------------- */

int reboot_load(const struct reboot_options *o)
{
	_cleanup_(kexec_image_freep) struct kexec_image *img = NULL;
	int r;

	r = choose_image(o, &img, true);
	if (r != EXIT_OK || o->dry_run)
		return r;
	return load_image(o, img);
}

int reboot_unload(const struct reboot_options *o)
{
	_cleanup_free_ char *frozen = rundir_path(o, FROZEN);
	int r;

	if (!frozen)
		return log_oom(), EXIT_FAIL;
	r = kexec_loaded(o->sysfs);
	if (r == -ENOENT) {
		log_error("This kernel has no kexec support.");
		return EXIT_FAIL;
	}
	(void)freeze_remove(frozen);
	if (r == 0) {
		fprintf(o->out, "No kernel loaded.\n");
		return EXIT_OK;
	}
	r = kexec_unload();
	if (r < 0) {
		log_error_errno(r, "Cannot unload the kernel: %m");
		return EXIT_FAIL;
	}
	fprintf(o->out, "Unloaded.\n");
	return EXIT_OK;
}

static int dry_run(const struct reboot_options *o, const struct kexec_image *img, int img_status,
		   const struct plan *plan, const struct inventory *inv,
		   const struct policy_set *ps)
{
	_cleanup_free_ char *why = NULL;
	enum kexec_syscall how = kexec_probe(&why);
	bool systemd = bus_systemd_running("/");
	int status = img_status;

	fprintf(o->out, "\nWould load it with: %s\n",
		how == KEXEC_SYSCALL_FILE ? "kexec -s (kexec_file_load)" :
		how == KEXEC_SYSCALL_LOAD ? "kexec -c (kexec_load; this kernel lacks "
					    "kexec_file_load)" :
					    "nothing: cannot kexec here");
	if (how == KEXEC_SYSCALL_NONE) {
		fprintf(o->out, "  (%s)\n", strna(why));
		status = EXIT_FAIL;
	}
	fprintf(o->out, "\nThen quiesce:\n");
	if (plan_print_text(plan, inv, ps, false, o->out) < 0)
		return EXIT_FAIL;
	fprintf(o->out, "\nThen: ");
	if (o->now)
		fprintf(o->out, "sync() and reboot(LINUX_REBOOT_CMD_KEXEC), %u steps at a time, "
				"deadline %.0f s.\n",
			o->jobs ? o->jobs : exec_default_jobs(),
			(double)(o->deadline_usec ?: EXEC_DEADLINE_DEFAULT_USEC) / 1e6);
	else if (systemd)
		fprintf(o->out, "freeze the plan in %s/%s and start kexec.target; systemd's "
				"shutdown hook quiesces after file systems are unmounted.\n",
			o->rundir, FROZEN);
	else {
		fprintf(o->out, "nothing: PID 1 is not systemd, so 'kexecq reboot' would refuse; "
				"use --now.\n");
		status = status == EXIT_OK ? EXIT_FAIL : status;
	}
	if (status != EXIT_OK)
		fprintf(o->out, "\nThe reboot would fail (see above); nothing was changed.\n");
	(void)img;
	return status;
}

int reboot_run(const struct reboot_options *o)
{
	_cleanup_(kexec_image_freep) struct kexec_image *img = NULL;
	_cleanup_(inventory_freep) struct inventory *inv = NULL;
	_cleanup_(policy_set_freep) struct policy_set *ps = NULL;
	_cleanup_(plan_freep) struct plan *plan = NULL;
	_cleanup_(exec_report_freep) struct exec_report *rep = NULL;
	_cleanup_(journal_closep) struct journal *j = NULL;
	_cleanup_free_ char *frozen = rundir_path(o, FROZEN);
	int r, img_status;

	if (!frozen)
		return log_oom(), EXIT_FAIL;
	if (!o->dry_run && !o->now && !bus_systemd_running("/")) {
		log_error("PID 1 is not systemd: use 'kexecq reboot --now' to quiesce and kexec "
			  "without it.");
		return EXIT_FAIL;
	}

	/* Everything that can fail without touching the system, first. */
	img_status = choose_image(o, &img, !o->json);
	if (img_status != EXIT_OK && !o->dry_run)
		return img_status;
	r = load_policies(o, &ps);
	if (r != EXIT_OK)
		return r;
	{
		struct scan_options so = { .sysfs = o->sysfs, .moddir = o->moddir };

		r = o->inventory ? inventory_load_json(o->inventory, &inv) : inventory_scan(&so, &inv);
		if (r < 0)
			return EXIT_FAIL;
	}
	r = make_plan(inv, ps, &plan);
	if (r != EXIT_OK)
		return r;
	if (o->dry_run)
		return dry_run(o, img, img_status, plan, inv, ps);
	plan_warnings(plan, NULL, true);

	r = load_image(o, img);
	if (r != EXIT_OK)
		return r;

	/*
	 * The boot record for 'kexecq verify' in the next kernel (record.h):
	 * now, while the root file system is writable and nothing is quiesced
	 * yet.  Without one the reboot goes on; verify will say it is missing.
	 */
	if (o->state_dir && o->kexec.from_boot_id &&
	    record_write_for_kexec(o->state_dir, o->proc, o->kexec.from_boot_id, inv, img,
				   o->now ? RECORD_MODE_NOW : RECORD_MODE_SYSTEMD) < 0)
		log_warning("No boot record: 'kexecq verify' cannot check the next boot.");

	if (!o->now) {
		_cleanup_free_ char *info = NULL, *job = NULL, *error = NULL;

		if (asprintf(&info, "frozen by kexecq reboot at %ld\nkernel %s\ninitrd %s\ncmdline %s\n",
			     (long)time(NULL), img->kernel, strna(img->initrd), img->cmdline) < 0)
			return log_oom(), EXIT_FAIL;
		r = freeze_write(frozen, inv, ps, info);
		if (r >= 0)
			r = bus_start_unit("kexec.target", "replace-irreversibly", &job, &error);
		if (r < 0) {
			if (error)
				log_error("%s", error);
			(void)freeze_remove(frozen);
			unload_after_abort(o, NULL);
			return EXIT_FAIL;
		}
		if (!o->json)
			fprintf(o->out,
				"Frozen plan (%zu step%s) in %s; started kexec.target (%s).  "
				"systemd's shutdown hook quiesces and kexecs.\n",
				plan->n, plan->n == 1 ? "" : "s", frozen, job);
		report_json(o, NULL, img, "started kexec.target");
		return EXIT_OK;
	}

	/* --now: file systems first, so nothing waits in the page cache for a removed disk. */
	sync();
	j = journal_open(o->rundir, o->kmsg);
	if (!j)
		return log_oom(), EXIT_FAIL;
	plan_warnings(plan, j, false);
	r = quiesce(o, plan, j, &rep);
	if (r != EXIT_OK) {
		unload_after_abort(o, j);
		return r;
	}
	if (rep->aborted) {
		log_error("Step %zu failed and its policy says OnFailure=abort: what was done is "
			  "undone, no kexec.",
			  rep->abort_step);
		unload_after_abort(o, j);
		report_json(o, rep, img, "aborted");
		return EXIT_ABORTED;
	}
	report_json(o, rep, img, "kexec");
	journal_log(j, LOG_NOTICE, "kexec into %s", img->kernel);
	r = kexec_jump();
	log_error_errno(r, "reboot(LINUX_REBOOT_CMD_KEXEC) failed: %m");
	journal_log(j, LOG_ERR, "reboot(KEXEC) failed: %s", strerror(-r));
	return EXIT_FAIL;
}

int reboot_apply_final(const struct reboot_options *o)
{
	_cleanup_(inventory_freep) struct inventory *inv = NULL;
	_cleanup_(policy_set_freep) struct policy_set *ps = NULL;
	_cleanup_(plan_freep) struct plan *plan = NULL;
	_cleanup_(exec_report_freep) struct exec_report *rep = NULL;
	_cleanup_(journal_closep) struct journal *j = NULL;
	_cleanup_free_ char *frozen = rundir_path(o, FROZEN);
	int r;

	if (!frozen)
		return log_oom(), EXIT_FAIL;
	j = journal_open(o->rundir, o->kmsg);
	if (!j)
		return log_oom(), EXIT_FAIL;
	if (access(frozen, F_OK) < 0 && errno == ENOENT) {
		/* A plain `systemctl kexec`: the installed policies still apply. */
		struct scan_options so = { .sysfs = o->sysfs, .moddir = o->moddir };

		journal_log(j, LOG_NOTICE, "no frozen plan in %s: planning from the installed "
					   "policies",
			    frozen);
		r = load_policies(o, &ps);
		if (r != EXIT_OK) {
			journal_log(j, LOG_ERR, "the policies cannot be read: nothing quiesced");
			return r;
		}
		if (inventory_scan(&so, &inv) < 0) {
			journal_log(j, LOG_ERR, "cannot read the devices: nothing quiesced");
			return EXIT_FAIL;
		}
	} else if (freeze_read(frozen, &inv, &ps) < 0) {
		journal_log(j, LOG_ERR, "cannot read the frozen plan in %s: nothing quiesced",
			    frozen);
		return EXIT_FAIL;
	}
	r = make_plan(inv, ps, &plan);
	if (r != EXIT_OK) {
		journal_log(j, LOG_ERR, "cannot plan: nothing quiesced");
		return r;
	}
	plan_warnings(plan, j, true);
	r = quiesce(o, plan, j, &rep);
	if (r != EXIT_OK)
		return r;
	if (rep->aborted) {
		/* Without a loaded kernel systemd-shutdown falls back to a firmware reboot. */
		journal_log(j, LOG_ERR,
			    "step %zu failed under OnFailure=abort: rolled back; unloading the "
			    "kernel so that the system reboots through firmware instead",
			    rep->abort_step);
		unload_after_abort(o, j);
		report_json(o, rep, NULL, "aborted");
		return EXIT_ABORTED;
	}
	report_json(o, rep, NULL, "quiesced");
	return rep->count[STATE_FAILED] || rep->count[STATE_TIMED_OUT] ? EXIT_STEPS_FAILED :
									 EXIT_OK;
}
