// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "bus.h"
#include "exec.h"
#include "exit-status.h"
#include "failsafe.h"
#include "freeze.h"
#include "inventory.h"
#include "journal.h"
#include "log.h"
#include "plan-output.h"
#include "report-output.h"
#include "plan.h"
#include "policy-set.h"
#include "reboot.h"
#include "record.h"
#include "scan.h"
#include "snapshot.h"
#include "string-util.h"
#include "strv.h"

#define FROZEN "frozen"
/* systemd-shutdown kills its hooks after 90 s (DEFAULT_TIMEOUT_USEC): keep 5 s. */
#define HOOK_DEADLINE_MAX_USEC (85ULL * 1000000ULL)

static const char *const if_stuck_names[_IF_STUCK_MAX] = {
	[IF_STUCK_RESTART] = "restart",
	[IF_STUCK_ABORT] = "abort",
	[IF_STUCK_KEXEC] = "kexec",
};

const char *if_stuck_to_string(enum if_stuck s)
{
	return s < _IF_STUCK_MAX ? if_stuck_names[s] : NULL;
}

int if_stuck_from_string(const char *s)
{
	for (int i = 0; i < _IF_STUCK_MAX; i++)
		if (streq(s, if_stuck_names[i]))
			return i;
	return -EINVAL;
}

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
		log_error(
			"%u problem%s in the policy files; nothing was done.  Fix %s, or run with "
			"--ignore-policy-errors to skip the broken files.",
			n_errors, n_errors == 1 ? "" : "s", n_errors == 1 ? "it" : "them");
		return EXIT_POLICY;
	}
	return EXIT_OK;
}

static int make_plan(const struct inventory *inv, const struct policy_set *ps, struct plan **ret)
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

/* What identifies a loaded image: its files, their change times and the command line. */
static char *image_id(const struct kexec_image *img)
{
	char *id = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&id, &len);
	struct stat st;

	if (!f)
		return NULL;
	fprintf(f, "%s", img->kernel);
	if (stat(img->kernel, &st) == 0)
		fprintf(f, "@%lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	STRV_FOREACH (i, img->initrds) {
		fprintf(f, "|%s", *i);
		if (stat(*i, &st) == 0)
			fprintf(f, "@%lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	}
	fprintf(f, "|%s", img->cmdline);
	if (fclose(f) != 0) {
		free(id);
		return NULL;
	}
	return id;
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
			fprintf(o->out, "Kernel:       none: %s\n",
				error ? error : "no kernel to load");
		else
			log_error("%s", error ? error : "no kernel to load");
		return EXIT_FAIL;
	}
	if (say) {
		fprintf(o->out, "Kernel:       %s\n              (%s)\n", img->kernel, img->origin);
		fprintf(o->out, "Initrd:       %s\n", img->initrds ? img->initrds[0] : "none");
		STRV_FOREACH (i, img->initrds ? img->initrds + 1 : NULL)
			fprintf(o->out, "              %s\n", *i);
		if (strv_length(img->initrds) > 1)
			fprintf(o->out,
				"              (concatenated in this order, as boot loaders "
				"do)\n");
		fprintf(o->out, "Command line: %s\n", img->cmdline);
	}
	r = kexec_image_verify(img, &error);
	if (r < 0) {
		if (o->dry_run)
			fprintf(o->out, "              would fail: %s\n",
				error ? error : strerror(-r));
		else
			log_error("%s; nothing was changed.", error ? error : strerror(-r));
		return EXIT_FAIL;
	}
	*ret = TAKE_PTR(img);
	return EXIT_OK;
}

/* Load img; nothing has been quiesced yet, so a failure changes nothing. */
static int load_image(const struct reboot_options *o, const struct kexec_image *img,
		      bool fail_closed)
{
	_cleanup_free_ char *why = NULL, *error = NULL;
	enum kexec_syscall how = kexec_probe(NULL, &why);
	int r, limit;

	/*
	 * Failing closed needs an unload, which kernel.kexec_load_limit_reboot
	 * counts like a load: with one call left, the load would spend it.
	 */
	if (fail_closed && kexec_load_limit(NULL, &limit) >= 0 && limit >= 0 && limit < 2) {
		log_error(
			"kernel.kexec_load_limit_reboot allows %d more load%s: after this one none "
			"would be left to unload with if the run aborts, so kexecq could not fail "
			"closed; nothing was changed.  Raise it (it counts down only), or reboot.",
			limit, limit == 1 ? "" : "s");
		return EXIT_FAIL;
	}
	if (how == KEXEC_SYSCALL_NONE) {
		log_error("Cannot kexec: %s; nothing was changed.", strna(why));
		return EXIT_FAIL;
	}
	r = kexec_image_load(img, how, NULL, &how, &error);
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

/*
 * Fail closed: whatever went wrong before or during the quiesce, the loaded
 * kernel goes, so that what follows (systemd-shutdown, or an administrator's
 * reboot) is a firmware reboot that resets the devices, never a kexec into
 * devices left running.  The reason goes to the terminal, and during a run
 * to the journal and /dev/kmsg (journal_log_fn).  Returns 0, or -errno when
 * a kernel stays loaded.
 */
static int unload_after_abort(const struct reboot_options *o, const char *fmt, ...) _printf_(2, 3);
static int unload_after_abort(const struct reboot_options *o, const char *fmt, ...)
{
	_cleanup_free_ char *why = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) < 0)
		why = NULL;
	va_end(ap);
	if (kexec_loaded(o->sysfs) == 0) {
		log_error("%s; no kernel is loaded, so no kexec", strna(why));
		return 0;
	}
	r = kexec_unload();
	if (r < 0) {
		log_error("%s; cannot unload the loaded kernel (%s): the next reboot would be a "
			  "kexec",
			  strna(why), strerror(-r));
		return r;
	}
	log_error("%s; loaded kernel unloaded: no kexec", strna(why));
	return 0;
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

	journal_step_ended(p->journal, r, i);
	if (res->state == STATE_SKIPPED && r->plan->steps[i].type == STEP_SET_KERNEL_METHOD) {
		if (!p->method_notice) {
			p->method_notice = true;
			log_warning(
				"This kernel has no kexec_method (it lacks the kexecq patches): "
				"KernelMethod= is not applied; the rest of the plan runs.");
		}
		return;
	}
	if (!p->o->progress && res->state != STATE_FAILED && res->state != STATE_TIMED_OUT &&
	    res->state != STATE_UNDO_FAILED)
		return;
	line = exec_step_line(r, i);
	if (!line)
		return;
	if (p->o->progress)
		journal_print(p->journal, p->o->out, "%s\n", line);
	else
		journal_print(p->journal, stderr, "kexecq: %s\n", line);
}

static void print_summary(const struct reboot_options *o, struct journal *j,
			  const struct exec_report *rep)
{
	_cleanup_free_ char *s = exec_report_summary(rep);

	if (!o->progress || !s)
		return;
	journal_print(j, o->out, "%s\n", s);
	if (rep->n_critical > 0) {
		_cleanup_free_ char *path = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&path, &len);

		if (!m)
			return;
		for (size_t k = 0; k < rep->n_critical; k++) {
			_cleanup_free_ char *d =
				step_describe(&rep->plan->steps[rep->critical_path[k] - 1]);

			fprintf(m, "%s %s", k ? " →" : "", strna(d));
		}
		fclose(m);
		journal_print(j, o->out, "Critical path:%s\n", strempty(path));
	}
	for (size_t i = 0; i < rep->n; i++) {
		_cleanup_free_ char *d = NULL;

		if (!rep->results[i].stuck)
			continue;
		d = step_describe(&rep->plan->steps[i]);
		journal_print(j, o->out, "Step %zu (%s) is still in the kernel.\n", i + 1,
			      strna(d));
	}
}

/* Quiesce along plan; returns the report (EXIT_OK) or a status. */
static int quiesce(const struct reboot_options *o, const struct plan *plan, struct journal *j,
		   struct exec_control *control, struct exec_report **ret)
{
	static struct action_env env; /* outlives abandoned steps: see exec.h */
	static struct progress prog; /* read by the executor's callbacks only during exec_run */
	struct exec_options eo = {
		.jobs = o->jobs,
		.deadline_usec = o->deadline_usec,
		.ops = &action_exec_ops,
		.userdata = &env,
		.on_start = on_start,
		.on_end = on_end,
		.event_userdata = &prog,
		.control = control,
	};
	uint64_t steps_end, rollback_end;
	int r;

	prog = (struct progress){ .o = o, .journal = j };
	/* Once per process: abandoned steps may read it after exec_run() returned. */
	if (!env.sysfs) {
		env.sysfs = strdup(o->sysfs);
		env.moddir = o->moddir ? strdup(o->moddir) : NULL;
		if (!env.sysfs || (o->moddir && !env.moddir))
			return log_oom(), EXIT_FAIL;
	}
	exec_budget(o->deadline_usec, &steps_end, &rollback_end);
	journal_run_started(j, plan->n, o->jobs ? o->jobs : exec_default_jobs(),
			    o->deadline_usec ?: EXEC_DEADLINE_DEFAULT_USEC, steps_end,
			    rollback_end);
	r = exec_run(plan, &eo, ret);
	if (r < 0) {
		log_error_errno(r, "Cannot run the plan: %m");
		return EXIT_FAIL;
	}
	journal_summary(j, *ret);
	print_summary(o, j, *ret);
	return EXIT_OK;
}

/* The JSON report, through the journal's writer (the terminal may be stopped). */
static void report_json(const struct reboot_options *o, struct journal *j,
			const struct exec_report *rep, const struct kexec_image *img,
			const char *outcome)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *m;

	if (!o->json)
		return;
	m = open_memstream(&text, &len);
	if (!m)
		return;
	(void)exec_report_write_json(rep, img, outcome, m);
	if (fclose(m) == 0)
		journal_print(j, o->out, "%s", text);
}

/* ---- verbs ------------------------------------------------------------------------- */

/*
 * A load or unload outside kexecqd: the kernel slot is no longer what
 * kexecqd armed (/run/kexecq/armed, kexecqd(8)), so that a restarted
 * kexecqd does not take it for its own.
 */
static void forget_armed(const struct reboot_options *o)
{
	_cleanup_free_ char *p = NULL;

	if (!o->service && asprintf(&p, "%s/armed", o->rundir) >= 0)
		(void)unlink(p);
}

int reboot_load(const struct reboot_options *o)
{
	_cleanup_(kexec_image_freep) struct kexec_image *img = NULL;
	int r;

	r = choose_image(o, &img, true);
	if (r != EXIT_OK || o->dry_run)
		return r;
	r = load_image(o, img, false);
	if (r == EXIT_OK)
		forget_armed(o);
	return r;
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
	forget_armed(o);
	fprintf(o->out, "Unloaded.\n");
	return EXIT_OK;
}

static int dry_run(const struct reboot_options *o, const struct kexec_image *img, int img_status,
		   const struct plan *plan, const struct inventory *inv,
		   const struct policy_set *ps)
{
	_cleanup_free_ char *why = NULL;
	enum kexec_syscall how = kexec_probe(NULL, &why);
	bool systemd = bus_systemd_running("/");
	int status = img_status, limit = -1;

	fprintf(o->out, "\nWould load it with: %s\n",
		how == KEXEC_SYSCALL_FILE ? "kexec -s (kexec_file_load)" :
		how == KEXEC_SYSCALL_LOAD ? "kexec -c (kexec_load; this kernel lacks "
					    "kexec_file_load)" :
					    "nothing: cannot kexec here");
	if (how == KEXEC_SYSCALL_NONE) {
		fprintf(o->out, "  (%s)\n", strna(why));
		status = EXIT_FAIL;
	} else if (kexec_load_limit(NULL, &limit) >= 0 && limit > 0)
		fprintf(o->out,
			"  (not probed: kernel.kexec_load_limit_reboot is %d and every kexec "
			"system call counts; kexec -c follows if kexec_file_load is missing)\n",
			limit);
	fprintf(o->out, "\nThen quiesce:\n");
	if (plan_print_text(plan, inv, ps, false, o->out) < 0)
		return EXIT_FAIL;
	fprintf(o->out, "\nThen: ");
	if (o->now)
		fprintf(o->out,
			"sync() and reboot(LINUX_REBOOT_CMD_KEXEC), %u steps at a time, "
			"deadline %.0f s; a step still in the kernel then: %s.\n",
			o->jobs ? o->jobs : exec_default_jobs(),
			(double)(o->deadline_usec ?: EXEC_DEADLINE_DEFAULT_USEC) / 1e6,
			o->if_stuck == IF_STUCK_ABORT ? "no kexec, exit 8" :
			o->if_stuck == IF_STUCK_KEXEC ? "kexec anyway" :
							"file systems read-only, firmware restart");
	else if (systemd)
		fprintf(o->out,
			"freeze the plan in %s/%s and start kexec.target; systemd's "
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

/*
 * Unsafe=: a policy says no kexec is safe with one of the devices.  Says
 * which and why (on the journal too, when there is one).  EXIT_OK when
 * there is none or --force was given.
 */
static int refuse_unsafe(const struct reboot_options *o, const struct plan *plan, struct journal *j)
{
	if (plan->n_unsafe == 0)
		return EXIT_OK;
	for (size_t i = 0; i < plan->n_devices; i++) {
		const struct plan_device *pd = &plan->devices[i];

		_cleanup_free_ char *m = NULL;

		if (!pd->unsafe)
			continue;
		if (asprintf(&m, "%s (%s): a kexec is unsafe: %s (%s)%s", pd->device->name,
			     strna(pd->device->driver), pd->unsafe->unsafe, pd->unsafe->name,
			     o->force ? "; going on: forced" : "") < 0)
			return log_oom(), EXIT_FAIL;
		if (j)
			journal_log(j, o->force ? LOG_WARNING : LOG_ERR, "%s", m);
		else
			(void)log_full_errno(o->force ? LOG_WARNING : LOG_ERR, 0, "%s", m);
	}
	if (o->force)
		return EXIT_OK;
	if (!j)
		log_error(
			"Refusing to kexec (--force overrides; a reboot through firmware is safe).");
	return EXIT_REFUSED;
}

/* ---- the run: signals, the point of no return ------------------------------------ */

static bool signal_unload_first;

static void *signal_thread(void *p)
{
	struct exec_control *c = p;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	for (;;) {
		const char *name;

		if (sigwait(&set, &sig) != 0)
			continue;
		name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
		exec_control_cancel(c, name);
		/*
		 * In the hook, a signal is systemd-shutdown's timeout: it goes on
		 * to kexec without waiting for us, so the kernel goes first, the
		 * rollback after.
		 */
		if (signal_unload_first && exec_control_cancelled(c)) {
			int r = kexec_unload();

			if (r < 0)
				log_error("%s: cannot unload the loaded kernel: %s", name,
					  strerror(-r));
			else
				log_error("%s: loaded kernel unloaded first; rolling back", name);
		}
	}
	return NULL;
}

/*
 * From here on SIGINT (Ctrl-C), SIGTERM and SIGHUP (the ssh session went)
 * ask for an abort: they are blocked in every thread, and a thread of their
 * own turns each into a cancel of the run, which rolls back (unload_first:
 * after unloading the kernel).  SIGPIPE (the reader of our output went) is
 * ignored.  Call before any thread starts.  The control lives as long as
 * the process.
 */
static struct exec_control *signals_take(bool unload_first)
{
	static struct exec_control *c;
	sigset_t set;
	pthread_t t;

	signal_unload_first = unload_first;
	if (c)
		return c;
	c = exec_control_new();
	if (!c)
		return NULL;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&t, NULL, signal_thread, c) != 0) {
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		c = exec_control_free(c);
		return NULL;
	}
	pthread_detach(t);
	return c;
}

/* For the time of a run, log messages go through the journal (log.h). */
struct run_log {
	log_fn_t fn;
	void *userdata;
	bool set;
};

static void run_log_start(struct run_log *l, struct journal *j)
{
	log_get_fn(&l->fn, &l->userdata);
	log_set_fn(journal_log_fn, j);
	l->set = true;
}

static void run_log_end(struct run_log *l)
{
	if (l->set)
		log_set_fn(l->fn, l->userdata);
	l->set = false;
}

/*
 * A thread still in the kernel may still log (through journal_log_fn): the
 * journal and the log function stay as they are for the life of the
 * process, which is short (a restart, or an exit after an abort).
 */
static void run_keep_journal(struct run_log *l, struct journal **j, const struct exec_report *rep)
{
	if (!rep || rep->still_running == 0)
		return;
	(void)TAKE_PTR(*j);
	l->set = false;
}

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/* What is left of the budget after the executor returned, at least 1 s for the restart. */
static uint64_t budget_left(const struct exec_report *rep, uint64_t returned_at)
{
	uint64_t used = rep->wall_usec + (mono_usec() - returned_at);

	return rep->deadline_usec > used + 1000000ULL ? rep->deadline_usec - used : 1000000ULL;
}

/*
 * A step still in the kernel (rep->n_stuck, aborted or not) holds its
 * device's lock, on which the kernel's device_shutdown() (kexec and reboot
 * alike) would wait forever, and its thread keeps this process from ever
 * being reaped.  Returns EXIT_OK to go on with the jump (--if-stuck=kexec,
 * a run that did not abort), or a status; by default it does not return
 * at all but restarts through the firmware (failsafe.h).  In the hook,
 * abort means restart: systemd-shutdown goes on without it either way.
 */
static int stuck_path(const struct reboot_options *o, struct journal *j,
		      const struct exec_report *rep, uint64_t returned_at, bool hook)
{
	struct failsafe f = {
		.sysrq = o->sysrq, .mountinfo = o->mountinfo, .journal = j, .remount = true
	};
	enum if_stuck what = o->if_stuck;
	uint64_t left;

	for (size_t i = 0; i < rep->n; i++) {
		_cleanup_free_ char *d = NULL;

		if (!rep->results[i].stuck)
			continue;
		d = step_describe(&rep->plan->steps[i]);
		log_full_errno(LOG_CRIT, 0,
			       "step %zu (%s) is stuck in the kernel: its driver never returned",
			       i + 1, strna(d));
	}
	if (what == IF_STUCK_KEXEC && rep->aborted)
		what = IF_STUCK_RESTART; /* nothing to kexec into after an abort */
	if (what == IF_STUCK_ABORT && hook)
		what = IF_STUCK_RESTART;
	switch (what) {
	case IF_STUCK_KEXEC:
		log_full_errno(LOG_CRIT, 0,
			       "kexec anyway (--if-stuck=kexec): the kernel's device "
			       "shutdown may wait on that device");
		return EXIT_OK;
	case IF_STUCK_ABORT:
		(void)unload_after_abort(o, "a step is stuck in the kernel (--if-stuck=abort)");
		log_error("No kexec; the machine keeps running with what was quiesced, and this "
			  "process cannot end until the driver returns.  See %s/journal.",
			  o->rundir);
		return EXIT_STUCK;
	default:
		break;
	}
	(void)unload_after_abort(o, "a step is stuck in the kernel, and a kexec would wait on its "
				    "device");
	left = budget_left(rep, returned_at);
	log_full_errno(LOG_CRIT, 0,
		       "restarting through the firmware without device shutdown "
		       "(--if-stuck=restart), after making file systems read-only");
	(void)failsafe_filesystems(&f, left * 7 / 10);
	log_full_errno(LOG_CRIT, 0, "restarting now");
	(void)journal_flush(j, left / 5);
	(void)failsafe_restart(&f);
	(void)journal_flush(j, left / 10);
	log_error("Could not restart through the firmware: the machine keeps running, with what "
		  "was quiesced and no kernel loaded.");
	return EXIT_STUCK;
}

/* The end of a run that did not abort: the watchdog, the jump. */
static int jump(const struct reboot_options *o, struct journal *j, const struct exec_report *rep,
		const struct kexec_image *img, struct exec_control *control, uint64_t returned_at)
{
	_cleanup_free_ char *error = NULL;
	char why[64];
	uint64_t left = budget_left(rep, returned_at);
	int r;

	if (exec_control_too_late(control, why, sizeof(why)))
		log_notice("%s came after the quiesce was done, at the point of no return: the "
			   "kexec goes on.",
			   why);
	report_json(o, j, rep, img, "kexec");
	if (o->watchdog_sec) {
		r = watchdog_arm(o->watchdog_device, o->watchdog_sec, &error);
		if (r < 0)
			journal_log(j, LOG_WARNING, "no watchdog across the jump: %s",
				    strna(error));
		else
			journal_log(j, LOG_NOTICE, "%s armed for %u s across the jump",
				    o->watchdog_device, o->watchdog_sec);
	}
	journal_log(j, LOG_NOTICE, "kexec into %s", img->kernel);
	/* The rest of the budget: half to the output, half to the page cache. */
	(void)journal_flush(j, left / 2);
	if (failsafe_sync(left / 2) < 0)
		journal_log(j, LOG_WARNING,
			    "sync did not finish within the deadline: kexec anyway");
	r = kexec_jump();
	log_error_errno(r, "reboot(LINUX_REBOOT_CMD_KEXEC) failed: %m; the devices stay quiesced");
	return EXIT_FAIL;
}

/* After the quiesce of --now or the hook: the outcome, and what follows from it. */
static int after_quiesce(const struct reboot_options *o, struct journal *j,
			 const struct exec_report *rep, const struct kexec_image *img,
			 struct exec_control *control, bool hook)
{
	uint64_t returned_at = mono_usec();
	int r;

	if (rep->aborted) {
		if (rep->cancel_reason)
			r = unload_after_abort(
				o, "cancelled (%s): rolled back%s", rep->cancel_reason,
				rep->rollback_incomplete ? ", not everything undone" : "");
		else
			r = unload_after_abort(
				o,
				"step %zu failed and its policy says OnFailure=abort: "
				"rolled back%s",
				rep->abort_step,
				rep->rollback_incomplete ? ", not everything undone" : "");
		report_json(o, j, rep, img, "aborted");
		/*
		 * In the hook, a kernel that stays loaded would be kexec'd into by
		 * systemd-shutdown: fail closed the only way left.
		 */
		if (rep->n_stuck || (hook && r < 0))
			return stuck_path(o, j, rep, returned_at, hook) ?: EXIT_ABORTED;
		return EXIT_ABORTED;
	}
	if (rep->n_stuck) {
		r = stuck_path(o, j, rep, returned_at, hook);
		if (r != EXIT_OK) {
			report_json(o, j, rep, img, "stuck");
			return r;
		}
	}
	if (hook) {
		report_json(o, j, rep, NULL, "quiesced");
		return rep->count[STATE_FAILED] || rep->count[STATE_TIMED_OUT] ? EXIT_STEPS_FAILED :
										 EXIT_OK;
	}
	return jump(o, j, rep, img, control, returned_at);
}

int reboot_run(const struct reboot_options *o)
{
	_cleanup_(kexec_image_freep) struct kexec_image *img = NULL;
	_cleanup_(inventory_freep) struct inventory *inv = NULL;
	_cleanup_(policy_set_freep) struct policy_set *ps = NULL;
	_cleanup_(plan_freep) struct plan *plan = NULL;
	_cleanup_(exec_report_freep) struct exec_report *rep = NULL;
	_cleanup_(journal_closep) struct journal *j = NULL;
	_cleanup_(run_log_end) struct run_log rl = {};
	_cleanup_free_ char *frozen = rundir_path(o, FROZEN);
	struct exec_control *control = NULL;
	_cleanup_(exec_control_freep) struct exec_control *service_control = NULL;
	int r, img_status;

	if (!frozen)
		return log_oom(), EXIT_FAIL;
	if (!o->dry_run && !o->now && !bus_systemd_running("/")) {
		log_error("PID 1 is not systemd: use 'kexecq reboot --now' to quiesce and kexec "
			  "without it.");
		return EXIT_FAIL;
	}
	if (!o->now && o->deadline_usec > HOOK_DEADLINE_MAX_USEC) {
		log_error("systemd gives its shutdown hooks 90 s in all: --deadline can be at most "
			  "%llu s without --now.",
			  HOOK_DEADLINE_MAX_USEC / 1000000ULL);
		return EXIT_USAGE;
	}

	/* Everything that can fail without touching the system, first. */
	img_status = choose_image(o, &img, !o->json);
	if (img_status != EXIT_OK && !o->dry_run)
		return img_status;
	r = load_policies(o, &ps);
	if (r != EXIT_OK)
		return r;
	{
		struct scan_options so = { .sysfs = o->sysfs,
					   .moddir = o->moddir,
					   .proc = o->proc };

		r = o->inventory ? inventory_load_json(o->inventory, &inv) :
				   inventory_scan(&so, &inv);
		if (r < 0)
			return EXIT_FAIL;
	}
	r = make_plan(inv, ps, &plan);
	if (r != EXIT_OK)
		return r;
	if (o->dry_run) {
		r = dry_run(o, img, img_status, plan, inv, ps);
		if (r == EXIT_OK && plan->n_unsafe && !o->force) {
			fprintf(o->out, "\nThe reboot would be refused: a kexec is unsafe with the "
					"devices above (--force overrides).\n");
			r = EXIT_REFUSED;
		}
		return r;
	}
	plan_warnings(plan, NULL, true);
	r = refuse_unsafe(o, plan, NULL);
	if (r != EXIT_OK)
		return r;

	/*
	 * A signal from here on is an abort, handled: before the load.  In
	 * kexecqd the event loop owns the signals and there is no --now: a
	 * control of its own, never cancelled by a signal.
	 */
	if (o->service && o->now) {
		log_error("kexecqd does not reboot --now: it freezes the plan for systemd's hook.");
		return EXIT_USAGE;
	}
	control = o->service ? (service_control = exec_control_new()) : signals_take(false);
	if (!control)
		return log_oom(), EXIT_FAIL;
	/* Armed already with this very image: no second load (each one counts, kexec_load_limit_reboot). */
	{
		_cleanup_free_ char *id = image_id(img);

		if (!id)
			return log_oom(), EXIT_FAIL;
		if (o->arm_only && o->armed_image && *o->armed_image &&
		    streq(*o->armed_image, id) && kexec_loaded(o->sysfs) > 0)
			r = EXIT_OK;
		else
			r = load_image(o, img, true);
		if (r != EXIT_OK)
			return r;
		if (o->arm_only && o->armed_image) {
			free(*o->armed_image);
			*o->armed_image = TAKE_PTR(id);
		}
	}

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
		_cleanup_free_ char *initrds = strv_join(img->initrds, " + ");
		struct freeze_settings fs = { .deadline_usec = o->deadline_usec,
					      .jobs = o->jobs,
					      .force = o->force };

		snprintf(fs.if_stuck, sizeof(fs.if_stuck), "%s", if_stuck_to_string(o->if_stuck));
		if (!initrds ||
		    asprintf(&info,
			     "frozen by kexecq reboot at %ld\nkernel %s\ninitrd %s\ncmdline %s\n",
			     (long)time(NULL), img->kernel, img->initrds ? initrds : "n/a",
			     img->cmdline) < 0) {
			(void)unload_after_abort(o, "out of memory");
			return log_oom(), EXIT_FAIL;
		}
		r = freeze_write(frozen, inv, ps, info, &fs);
		if (r >= 0 && exec_control_cancelled(control))
			r = -ECANCELED;
		if (r >= 0 && o->arm_only) {
			fprintf(o->out,
				"Armed: the next reboot kexecs into %s with the frozen plan (%zu step%s) "
				"in %s.\n",
				img->kernel, plan->n, plan->n == 1 ? "" : "s", frozen);
			return EXIT_OK;
		}
		if (r >= 0)
			r = bus_start_unit("kexec.target", "replace-irreversibly", &job, &error);
		if (r < 0) {
			if (error)
				log_error("%s", error);
			(void)freeze_remove(frozen);
			(void)unload_after_abort(o, r == -ECANCELED ?
							    "cancelled before kexec.target "
							    "was started" :
							    "cannot start kexec.target");
			return r == -ECANCELED ? EXIT_ABORTED : EXIT_FAIL;
		}
		if (!o->json)
			fprintf(o->out,
				"Frozen plan (%zu step%s) in %s; started kexec.target (%s).  "
				"systemd's shutdown hook quiesces and kexecs.\n",
				plan->n, plan->n == 1 ? "" : "s", frozen, job);
		report_json(o, NULL, NULL, img, "started kexec.target");
		return EXIT_OK;
	}

	/* --now: file systems first, so nothing waits in the page cache for a removed disk. */
	sync();
	j = journal_open(o->rundir, o->kmsg);
	if (!j) {
		(void)unload_after_abort(o, "out of memory");
		return log_oom(), EXIT_FAIL;
	}
	run_log_start(&rl, j);
	plan_warnings(plan, j, false);
	if (exec_control_cancelled(control)) {
		(void)unload_after_abort(o,
					 "cancelled before the quiesce began: nothing was changed");
		return EXIT_ABORTED;
	}
	r = quiesce(o, plan, j, control, &rep);
	if (r != EXIT_OK) {
		(void)unload_after_abort(o, "the plan could not run");
		return r;
	}
	r = after_quiesce(o, j, rep, img, control, false);
	run_keep_journal(&rl, &j, rep);
	return r;
}

/*
 * The systemd-shutdown hook's part.  Fails closed: any error before or
 * during the quiesce unloads the kernel, so that systemd-shutdown reboots
 * through the firmware instead of kexecing into devices left running, and
 * says why on /dev/kmsg (the hook's stderr goes nowhere).  Its budget runs
 * from its start: systemd-shutdown gives all hooks 90 s.
 */
int reboot_apply_final(const struct reboot_options *o)
{
	_cleanup_(inventory_freep) struct inventory *inv = NULL;
	_cleanup_(policy_set_freep) struct policy_set *ps = NULL;
	_cleanup_(plan_freep) struct plan *plan = NULL;
	_cleanup_(exec_report_freep) struct exec_report *rep = NULL;
	_cleanup_(journal_closep) struct journal *j = NULL;
	_cleanup_(run_log_end) struct run_log rl = {};
	_cleanup_free_ char *frozen = rundir_path(o, FROZEN);
	struct exec_control *control = signals_take(true);
	struct freeze_settings fs = {};
	struct reboot_options ro = *o;
	uint64_t t0 = mono_usec(), spent;
	int r;

	j = journal_open(o->rundir, o->kmsg);
	if (j)
		run_log_start(&rl, j);
	if (!frozen || !j || !control) {
		(void)unload_after_abort(o, "out of memory: nothing quiesced");
		return log_oom(), EXIT_FAIL;
	}
	if (access(frozen, F_OK) < 0 && errno == ENOENT) {
		/* A plain `systemctl kexec`: the installed policies still apply. */
		struct scan_options so = { .sysfs = o->sysfs,
					   .moddir = o->moddir,
					   .proc = o->proc };

		journal_log(j, LOG_NOTICE,
			    "no frozen plan in %s: planning from the installed "
			    "policies",
			    frozen);
		r = load_policies(o, &ps);
		if (r != EXIT_OK) {
			(void)unload_after_abort(o,
						 "the policies cannot be used: nothing quiesced");
			return r;
		}
		r = inventory_scan(&so, &inv);
		if (r < 0) {
			(void)unload_after_abort(
				o, "cannot read the devices (%s): nothing quiesced", strerror(-r));
			return EXIT_FAIL;
		}
	} else if ((r = freeze_read(frozen, &inv, &ps, &fs)) < 0) {
		(void)unload_after_abort(o,
					 "cannot use the frozen plan in %s (%s): nothing quiesced",
					 frozen, strerror(-r));
		return EXIT_FAIL;
	}
	/* What 'kexecq reboot' was told, where this command line left the defaults. */
	if (!ro.deadline_usec)
		ro.deadline_usec = fs.deadline_usec ?: EXEC_DEADLINE_DEFAULT_USEC;
	if (!ro.jobs)
		ro.jobs = fs.jobs;
	if (ro.if_stuck == IF_STUCK_RESTART && fs.if_stuck[0])
		ro.if_stuck = (enum if_stuck)if_stuck_from_string(fs.if_stuck);
	if (ro.deadline_usec > HOOK_DEADLINE_MAX_USEC)
		ro.deadline_usec = HOOK_DEADLINE_MAX_USEC;
	ro.force = ro.force || fs.force;
	o = &ro;
	r = make_plan(inv, ps, &plan);
	if (r != EXIT_OK) {
		(void)unload_after_abort(o, "cannot plan: nothing quiesced");
		return r;
	}
	plan_warnings(plan, j, false);
	r = refuse_unsafe(o, plan, j);
	if (r != EXIT_OK) {
		(void)unload_after_abort(o, "a policy says a kexec is unsafe (Unsafe=): nothing "
					    "quiesced, reboot through firmware");
		return r;
	}
	/* What reading and planning took comes out of the budget. */
	spent = mono_usec() - t0;
	ro.deadline_usec = ro.deadline_usec > spent + 1000000ULL ? ro.deadline_usec - spent :
								   1000000ULL;
	r = quiesce(o, plan, j, control, &rep);
	if (r != EXIT_OK) {
		(void)unload_after_abort(o, "the plan could not run");
		return r;
	}
	r = after_quiesce(o, j, rep, NULL, control, true);
	run_keep_journal(&rl, &j, rep);
	return r;
}
