// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The executor.  One thread (the caller's) schedules; each running step
 * or undo has a thread of its own, at most `jobs` of them at a time, not
 * counting abandoned ones.
 *
 * Two bugs from drivers are avoided by construction (see ../shared/seeds):
 *  - zfcp posted too many status buffers because two contexts read a
 *    counter and then decremented it, a race between the read and the
 *    decrement.  Here the count of threads still in the kernel is only
 *    changed by atomic read-modify-write, and the slots are counted by the
 *    scheduler alone.
 *  - IPoIB signalled a completion on some paths only, and sometimes
 *    before the flag that said "busy" was cleared.  Here a worker stores
 *    its result and then marks the work finished (release), and only then
 *    signals, on every path; the scheduler reads the mark (acquire) before
 *    the result, and a step's state is set by the scheduler alone, in one
 *    direction.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"
#include "log.h"

#define THREAD_STACK_SIZE (256 * 1024)

static const char *const state_names[_STATE_MAX] = {
	[STATE_PENDING] = "pending",
	[STATE_RUNNING] = "running",
	[STATE_DONE] = "done",
	[STATE_FAILED] = "failed",
	[STATE_SKIPPED] = "skipped",
	[STATE_TIMED_OUT] = "timed-out",
	[STATE_NOT_RUN] = "not-run",
	[STATE_UNDONE] = "undone",
	[STATE_UNDO_FAILED] = "undo-failed",
};

const char *step_state_to_string(enum step_state s)
{
	return s >= 0 && s < _STATE_MAX ? state_names[s] : NULL;
}

unsigned exec_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n <= (long)EXEC_JOBS_DEFAULT ? EXEC_JOBS_DEFAULT : n > 1024 ? 1024 : (unsigned)n;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- shared between the scheduler and the workers ------------------------------ */

/* Lives as long as the scheduler or any worker, abandoned ones included. */
struct shared {
	atomic_uint refs;
	atomic_uint in_kernel; /* workers that have not returned yet */
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/* One step's job; the scheduler holds a reference, a running worker another. */
struct work {
	atomic_uint refs;
	struct shared *shared;
	const struct exec_ops *ops;
	void *job;

	/* One run (or undo) at a time; set by the scheduler before the thread starts. */
	bool undo;
	/* Written by the worker, then published by finished (release). */
	int r;
	char *message;
	uint64_t end_usec;
	atomic_bool finished;
};

static void shared_unref(struct shared *s)
{
	if (atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static struct shared *shared_new(void)
{
	struct shared *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;

	if (!s)
		return NULL;
	atomic_init(&s->refs, 1);
	atomic_init(&s->in_kernel, 0);
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	return s;
}

static void work_unref(struct work *w)
{
	if (!w || atomic_fetch_sub(&w->refs, 1) != 1)
		return;
	if (w->job)
		w->ops->free(w->job);
	free(w->message);
	shared_unref(w->shared);
	free(w);
}

static void *worker(void *p)
{
	struct work *w = p;
	struct shared *s = w->shared;
	char *message = NULL;
	int r;

	r = w->undo ? w->ops->undo(w->job, &message) : w->ops->run(w->job, &message);

	pthread_mutex_lock(&s->lock);
	w->r = r;
	w->message = message;
	w->end_usec = now_usec();
	/* The result first, then the mark, then the signal: on every path. */
	atomic_store_explicit(&w->finished, true, memory_order_release);
	atomic_fetch_sub(&s->in_kernel, 1);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);

	work_unref(w);
	return NULL;
}

/* Start w on a detached thread with every signal blocked. */
static int work_start(struct work *w, bool undo)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t t;
	int r;

	w->undo = undo;
	w->r = 0;
	free(w->message);
	w->message = NULL;
	atomic_store(&w->finished, false);
	atomic_fetch_add(&w->refs, 1);
	atomic_fetch_add(&w->shared->in_kernel, 1);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, THREAD_STACK_SIZE);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = -pthread_create(&t, &attr, worker, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r < 0) {
		atomic_fetch_sub(&w->shared->in_kernel, 1);
		atomic_fetch_sub(&w->refs, 1);
	}
	return r;
}

/* ---- the scheduler ------------------------------------------------------------------ */

struct sched {
	const struct plan *plan;
	const struct exec_options *o;
	struct exec_report *rep;
	struct shared *shared;
	struct work **works; /* by step index; NULL once abandoned or never prepared */
	uint64_t t0;

	/* Dependents of each step (CSR), and what each still waits for. */
	size_t *dep_start, *dependents, *waiting;

	size_t *ready; /* FIFO of step indexes */
	size_t ready_head, ready_tail;
	size_t *running; /* step indexes */
	size_t n_running;
	uint64_t *deadline; /* by step index, absolute */
	size_t *stack;

	size_t order;
	bool stopping;
	unsigned jobs;
};

static void event(struct sched *s, exec_event_fn fn, size_t i)
{
	if (fn)
		fn(s->o->event_userdata, s->rep, i);
}

static int set_msg(char **m, const char *fmt, ...) _printf_(2, 3);
static int set_msg(char **m, const char *fmt, ...)
{
	va_list ap;
	char *n = NULL;

	va_start(ap, fmt);
	if (vasprintf(&n, fmt, ap) < 0)
		n = NULL;
	va_end(ap);
	free(*m);
	*m = n;
	return 0;
}

static void abort_run(struct sched *s, size_t i);

/* Step i will not run, nor anything that waits for it. */
static void not_run(struct sched *s, size_t i, const char *why)
{
	size_t sp = 0;

	s->stack[sp++] = i;
	while (sp > 0) {
		size_t k = s->stack[--sp];
		struct step_result *res = &s->rep->results[k];

		if (res->state != STATE_PENDING)
			continue;
		res->state = STATE_NOT_RUN;
		set_msg(&res->message, "%s", why);
		event(s, s->o->on_end, k);
		/* An OnFailure=abort step that never ran did not do its job either. */
		if (s->plan->steps[k].on_failure == ONFAIL_ABORT)
			abort_run(s, k);
		for (size_t d = s->dep_start[k]; d < s->dep_start[k + 1]; d++)
			if (s->rep->results[s->dependents[d]].state == STATE_PENDING)
				s->stack[sp++] = s->dependents[d];
	}
}

static void abort_run(struct sched *s, size_t i)
{
	if (s->rep->aborted)
		return;
	s->rep->aborted = true;
	s->rep->abort_step = i + 1;
	s->stopping = true;
}

/* Step i has ended (done, failed, skipped): let the steps after it go. */
static void release_dependents(struct sched *s, size_t i)
{
	const struct step *st = &s->plan->steps[i];
	bool failed = s->rep->results[i].state == STATE_FAILED;

	for (size_t d = s->dep_start[i]; d < s->dep_start[i + 1]; d++) {
		size_t k = s->dependents[d];
		const struct step *ks = &s->plan->steps[k];

		if (s->rep->results[k].state != STATE_PENDING)
			continue;
		/*
		 * No reset or module unload of a device whose unbind failed; nothing
		 * at all after a failed guard (file systems not read-only).
		 */
		if (failed && ((st->device && ks->device == st->device) || st->guard)) {
			char why[64];

			snprintf(why, sizeof(why), "step %zu %s failed", i + 1,
				 st->guard ? "(a guard)" : "on the same device");
			not_run(s, k, why);
			continue;
		}
		if (--s->waiting[k] == 0)
			s->ready[s->ready_tail++] = k;
	}
}

static void finish(struct sched *s, size_t slot)
{
	size_t i = s->running[slot];
	struct work *w = s->works[i];
	struct step_result *res = &s->rep->results[i];

	res->end_usec = w->end_usec - s->t0;
	res->error = w->r < 0 ? w->r : 0;
	res->message = TAKE_PTR(w->message);
	res->state = w->r >= 0 ? STATE_DONE : w->r == -EOPNOTSUPP ? STATE_SKIPPED : STATE_FAILED;
	res->order = ++s->order;
	s->running[slot] = s->running[--s->n_running];
	event(s, s->o->on_end, i);
	if (res->state == STATE_FAILED && s->plan->steps[i].on_failure == ONFAIL_ABORT)
		abort_run(s, i);
	release_dependents(s, i);
}

/* Abandon step i at its deadline; its thread stays in the kernel. */
static void time_out(struct sched *s, size_t slot, uint64_t now, bool plan_deadline)
{
	size_t i = s->running[slot];
	struct step_result *res = &s->rep->results[i];
	char why[80];

	res->state = STATE_TIMED_OUT;
	res->error = -ETIME;
	res->end_usec = now - s->t0;
	res->order = ++s->order;
	if (plan_deadline)
		set_msg(&res->message, "abandoned at the plan's deadline after %.1f s",
			(double)(res->end_usec - res->start_usec) / 1e6);
	else
		set_msg(&res->message,
			"no answer within %.1f s: abandoned, still running in the kernel",
			(double)s->plan->steps[i].timeout_usec / 1e6);
	work_unref(TAKE_PTR(s->works[i]));
	s->running[slot] = s->running[--s->n_running];
	event(s, s->o->on_end, i);
	if (s->plan->steps[i].on_failure == ONFAIL_ABORT)
		abort_run(s, i);
	snprintf(why, sizeof(why), "step %zu timed out and may still be running", i + 1);
	for (size_t d = s->dep_start[i]; d < s->dep_start[i + 1]; d++)
		not_run(s, s->dependents[d], why);
}

static int launch(struct sched *s, size_t i)
{
	const struct step *st = &s->plan->steps[i];
	struct step_result *res = &s->rep->results[i];
	struct work *w;
	uint64_t now = now_usec();
	int r;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	atomic_init(&w->refs, 1);
	atomic_init(&w->finished, false);
	w->ops = s->o->ops;
	w->shared = s->shared;
	atomic_fetch_add(&s->shared->refs, 1);
	s->works[i] = w;

	res->state = STATE_RUNNING;
	res->start_usec = now - s->t0;
	event(s, s->o->on_start, i);
	r = s->o->ops->prepare(s->o->userdata, st, &w->job);
	if (r >= 0)
		r = work_start(w, false);
	if (r < 0) {
		/* Finished before it started: the same path as any other end. */
		w->r = r;
		w->end_usec = now_usec();
		set_msg(&w->message, "cannot start: %s", strerror(-r));
		atomic_store(&w->finished, true);
	}
	s->deadline[i] = now + st->timeout_usec;
	s->running[s->n_running++] = i;
	return 0;
}

/* Wait until some running work finishes or until `until`; called locked. */
static void wait_locked(struct sched *s, uint64_t until)
{
	struct timespec ts = {
		.tv_sec = (time_t)(until / 1000000ULL),
		.tv_nsec = (long)(until % 1000000ULL) * 1000,
	};

	for (;;) {
		for (size_t k = 0; k < s->n_running; k++)
			if (atomic_load_explicit(&s->works[s->running[k]]->finished,
						 memory_order_acquire))
				return;
		if (pthread_cond_timedwait(&s->shared->cond, &s->shared->lock, &ts) == ETIMEDOUT)
			return;
	}
}

static int run_steps(struct sched *s, uint64_t plan_deadline)
{
	const struct plan *p = s->plan;
	int r;

	for (size_t i = 0; i < p->n; i++)
		if (s->waiting[i] == 0)
			s->ready[s->ready_tail++] = i;

	for (;;) {
		uint64_t until = plan_deadline, now;

		while (!s->stopping && s->n_running < s->jobs && s->ready_head < s->ready_tail) {
			size_t i = s->ready[s->ready_head++];

			if (s->rep->results[i].state != STATE_PENDING)
				continue;
			r = launch(s, i);
			if (r < 0)
				return r;
		}
		if (s->n_running == 0)
			break;
		for (size_t k = 0; k < s->n_running; k++)
			if (s->deadline[s->running[k]] < until)
				until = s->deadline[s->running[k]];

		pthread_mutex_lock(&s->shared->lock);
		wait_locked(s, until);
		pthread_mutex_unlock(&s->shared->lock);

		now = now_usec();
		for (size_t k = 0; k < s->n_running;) {
			size_t i = s->running[k];

			if (atomic_load_explicit(&s->works[i]->finished, memory_order_acquire))
				finish(s, k);
			else if (now >= s->deadline[i])
				time_out(s, k, now, false);
			else
				k++;
		}
		if (now >= plan_deadline && (s->n_running > 0 || s->ready_head < s->ready_tail)) {
			s->rep->deadline_passed = true;
			s->stopping = true;
			while (s->n_running > 0)
				time_out(s, 0, now, true);
		}
	}

	for (size_t i = 0; i < p->n; i++) {
		char why[80];

		if (s->rep->results[i].state != STATE_PENDING)
			continue;
		if (s->rep->aborted)
			snprintf(why, sizeof(why), "the run was aborted when step %zu failed",
				 s->rep->abort_step);
		else
			snprintf(why, sizeof(why), "the plan's deadline passed");
		not_run(s, i, why);
	}
	return 0;
}

/* Undo done steps, the last done first, one at a time. */
static void rollback(struct sched *s)
{
	const struct plan *p = s->plan;
	uint64_t until = now_usec() + (s->o->rollback_deadline_usec ?: EXEC_ROLLBACK_DEADLINE_USEC);
	_cleanup_free_ size_t *by_order = calloc(s->order + 1, sizeof(size_t));

	if (!by_order)
		return;
	for (size_t i = 0; i < p->n; i++)
		if (s->rep->results[i].state == STATE_DONE && s->works[i])
			by_order[s->rep->results[i].order] = i + 1;

	for (size_t o = s->order; o > 0; o--) {
		size_t i;
		struct work *w;
		struct step_result *res;
		uint64_t step_until;
		int r;

		if (!by_order[o])
			continue;
		i = by_order[o] - 1;
		w = s->works[i];
		res = &s->rep->results[i];
		step_until = now_usec() + p->steps[i].timeout_usec;
		if (step_until > until)
			step_until = until;

		r = work_start(w, true);
		if (r < 0) {
			res->state = STATE_UNDO_FAILED;
			set_msg(&res->undo_message, "cannot start: %s", strerror(-r));
			event(s, s->o->on_end, i);
			continue;
		}
		pthread_mutex_lock(&s->shared->lock);
		while (!atomic_load_explicit(&w->finished, memory_order_acquire)) {
			struct timespec ts = {
				.tv_sec = (time_t)(step_until / 1000000ULL),
				.tv_nsec = (long)(step_until % 1000000ULL) * 1000,
			};

			if (pthread_cond_timedwait(&s->shared->cond, &s->shared->lock, &ts) ==
			    ETIMEDOUT)
				break;
		}
		pthread_mutex_unlock(&s->shared->lock);

		if (!atomic_load_explicit(&w->finished, memory_order_acquire)) {
			res->state = STATE_UNDO_FAILED;
			set_msg(&res->undo_message, "undo abandoned after %.1f s",
				(double)p->steps[i].timeout_usec / 1e6);
			work_unref(TAKE_PTR(s->works[i]));
		} else if (w->r < 0) {
			res->state = STATE_UNDO_FAILED;
			res->undo_message = TAKE_PTR(w->message);
		} else if (w->r > 0) {
			res->state = STATE_UNDONE;
			res->undo_message = TAKE_PTR(w->message);
		} else
			continue; /* nothing to undo: stays done */
		event(s, s->o->on_end, i);
	}
}

static void critical_path(struct exec_report *rep)
{
	const struct plan *p = rep->plan;
	_cleanup_free_ uint64_t *cp = calloc(p->n + 1, sizeof(uint64_t));
	_cleanup_free_ size_t *pred = calloc(p->n + 1, sizeof(size_t));
	size_t best = 0, n = 0;

	if (!cp || !pred)
		return;
	/* Steps are in topological order: dependencies have smaller ids. */
	for (size_t i = 0; i < p->n; i++) {
		const struct step_result *res = &rep->results[i];
		uint64_t before = 0;

		if (res->end_usec < res->start_usec || res->state == STATE_NOT_RUN ||
		    res->state == STATE_PENDING)
			continue;
		for (size_t d = 0; d < p->steps[i].n_deps; d++) {
			size_t k = p->steps[i].deps[d] - 1;

			if (cp[k] > before) {
				before = cp[k];
				pred[i] = k + 1;
			}
		}
		cp[i] = before + (res->end_usec - res->start_usec);
		if (!best || cp[i] > cp[best - 1])
			best = i + 1;
	}
	if (!best)
		return;
	rep->critical_usec = cp[best - 1];
	for (size_t k = best; k; k = pred[k - 1])
		n++;
	rep->critical_path = calloc(n, sizeof(size_t));
	if (!rep->critical_path)
		return;
	rep->n_critical = n;
	for (size_t k = best; k; k = pred[k - 1])
		rep->critical_path[--n] = k;
}

static void sched_done(struct sched *s)
{
	if (s->works)
		for (size_t i = 0; i < s->plan->n; i++)
			work_unref(s->works[i]);
	free(s->works);
	free(s->dep_start);
	free(s->dependents);
	free(s->waiting);
	free(s->ready);
	free(s->running);
	free(s->deadline);
	free(s->stack);
	if (s->shared)
		shared_unref(s->shared);
}

int exec_run(const struct plan *p, const struct exec_options *o, struct exec_report **ret)
{
	_cleanup_(exec_report_freep) struct exec_report *rep = NULL;
	struct sched s = { .plan = p, .o = o };
	size_t n_edges = 0;
	uint64_t plan_deadline;
	int r = -ENOMEM;

	rep = calloc(1, sizeof(*rep));
	if (!rep)
		return -ENOMEM;
	rep->plan = p;
	rep->n = p->n;
	rep->results = calloc(p->n + 1, sizeof(*rep->results));
	s.rep = rep;
	s.jobs = o->jobs ? o->jobs : exec_default_jobs();
	for (size_t i = 0; i < p->n; i++)
		n_edges += p->steps[i].n_deps;
	s.works = calloc(p->n + 1, sizeof(*s.works));
	s.dep_start = calloc(p->n + 1, sizeof(size_t));
	s.dependents = calloc(n_edges + 1, sizeof(size_t));
	s.waiting = calloc(p->n + 1, sizeof(size_t));
	s.ready = calloc(p->n + 1, sizeof(size_t));
	s.running = calloc(s.jobs + 1, sizeof(size_t));
	s.deadline = calloc(p->n + 1, sizeof(uint64_t));
	s.stack = calloc(p->n + 1, sizeof(size_t));
	s.shared = shared_new();
	if (!rep->results || !s.works || !s.dep_start || !s.dependents || !s.waiting || !s.ready ||
	    !s.running || !s.deadline || !s.stack || !s.shared)
		goto out;

	/* Dependents, counted then placed (CSR). */
	for (size_t i = 0; i < p->n; i++)
		for (size_t d = 0; d < p->steps[i].n_deps; d++) {
			size_t k = p->steps[i].deps[d];

			if (k < 1 || k > p->n || k - 1 == i) {
				r = -EINVAL;
				goto out;
			}
			s.dep_start[k]++;
		}
	/* dep_start[k] counted the dependents of step k - 1; sums make it step k's start. */
	for (size_t i = 1; i <= p->n; i++)
		s.dep_start[i] += s.dep_start[i - 1];
	{
		_cleanup_free_ size_t *fill = calloc(p->n + 1, sizeof(size_t));

		if (!fill)
			goto out;
		for (size_t i = 0; i < p->n; i++) {
			s.waiting[i] = p->steps[i].n_deps;
			for (size_t d = 0; d < p->steps[i].n_deps; d++) {
				size_t k = p->steps[i].deps[d] - 1;

				s.dependents[s.dep_start[k] + fill[k]++] = i;
			}
		}
	}

	s.t0 = now_usec();
	plan_deadline = s.t0 + (o->deadline_usec ? o->deadline_usec : EXEC_DEADLINE_DEFAULT_USEC);
	r = run_steps(&s, plan_deadline);
	if (r < 0)
		goto out;
	if (rep->aborted)
		rollback(&s);
	rep->wall_usec = now_usec() - s.t0;
	rep->still_running = atomic_load(&s.shared->in_kernel);
	for (size_t i = 0; i < p->n; i++)
		rep->count[rep->results[i].state]++;
	critical_path(rep);
	*ret = TAKE_PTR(rep);
	r = 0;
out:
	sched_done(&s);
	return r;
}

struct exec_report *exec_report_free(struct exec_report *r)
{
	if (!r)
		return NULL;
	if (r->results)
		for (size_t i = 0; i < r->n; i++) {
			free(r->results[i].message);
			free(r->results[i].undo_message);
		}
	free(r->results);
	free(r->critical_path);
	free(r);
	return NULL;
}
