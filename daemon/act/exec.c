// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The executor.  One thread (the caller's) schedules; a pool of worker
 * threads runs steps and undos, at most `jobs` at a time, not counting
 * abandoned ones.  A worker takes work from a queue, runs it, puts it on
 * the completion queue and signals; a worker stuck in the kernel is simply
 * not counted any more, and the pool grows by one to take its place.
 *
 * The scheduler never blocks but on its condition variable, with a
 * timeout at the nearest deadline (a min-heap of the in-flight deadlines),
 * and calls the event callbacks, which must not block either: output is
 * the callers' to queue (journal.c writes it on its own thread).
 *
 * Two bugs from drivers are avoided by construction (see ../shared/seeds):
 *  - zfcp posted too many status buffers because two contexts read a
 *    counter and then decremented it, a race between the read and the
 *    decrement.  Here the count of threads still in the kernel is only
 *    changed by atomic read-modify-write, and the slots are counted by the
 *    scheduler alone.
 *  - IPoIB signalled a completion on some paths only, and sometimes
 *    before the flag that said "busy" was cleared.  Here a worker stores
 *    its result, marks the work finished and queues it, under the lock,
 *    and only then signals, on every path; a step's state is set by the
 *    scheduler alone.
 * And one from ibmvnic: a reset that arrived while the adapter was still
 * probing was dropped.  Here a result that arrives after its step was
 * abandoned is not dropped: it is recorded (step_result.late) and a
 * rollback undoes it.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"
#include "log.h"

#define THREAD_STACK_SIZE (256 * 1024)
/* What one more thread blocked in the kernel costs, for exec_default_jobs(). */
#define THREAD_COST (128 * 1024)

static const char *const state_names[_STATE_MAX] = {
	[STATE_PENDING] = "pending",	     [STATE_RUNNING] = "running", [STATE_DONE] = "done",
	[STATE_FAILED] = "failed",	     [STATE_SKIPPED] = "skipped", [STATE_GONE] = "gone",
	[STATE_TIMED_OUT] = "timed-out",     [STATE_NOT_RUN] = "not-run", [STATE_UNDONE] = "undone",
	[STATE_UNDO_FAILED] = "undo-failed",
};

const char *step_state_to_string(enum step_state s)
{
	return s >= 0 && s < _STATE_MAX ? state_names[s] : NULL;
}

static unsigned long read_ulong(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	unsigned long v = 0;

	if (!f || fscanf(f, "%lu", &v) != 1)
		return 0;
	return v;
}

unsigned exec_default_jobs(void)
{
	unsigned long n = EXEC_JOBS_MAX, v;
	struct rlimit rl;
	struct sysinfo si;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	/* Leave half of the process's thread allowance to everything else. */
	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur / 2 < n)
		n = rl.rlim_cur / 2;
	v = read_ulong("/proc/sys/kernel/threads-max");
	if (v && v / 8 < n)
		n = v / 8;
	if (sysinfo(&si) == 0) {
		unsigned long long free_bytes = (unsigned long long)si.freeram * si.mem_unit;

		if (free_bytes / THREAD_COST < n)
			n = (unsigned long)(free_bytes / THREAD_COST);
	}
	if (cpus > 0 && (unsigned long)cpus > n)
		n = (unsigned long)cpus;
	return n < 4 ? 4 : (unsigned)n;
}

void exec_budget(uint64_t deadline_usec, uint64_t *ret_steps_end, uint64_t *ret_rollback_end)
{
	uint64_t d = deadline_usec ? deadline_usec : EXEC_DEADLINE_DEFAULT_USEC;
	uint64_t reserve = d / 4, margin = d / 10;

	if (reserve > 20ULL * 1000000ULL)
		reserve = 20ULL * 1000000ULL;
	if (margin > 5ULL * 1000000ULL)
		margin = 5ULL * 1000000ULL;
	*ret_steps_end = d - reserve;
	*ret_rollback_end = d - margin;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
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

/* ---- shared between the scheduler, the workers and a control ------------------------ */

struct work;

/* Lives as long as the scheduler, any worker thread or a control that points to it. */
struct shared {
	atomic_uint refs;
	atomic_uint in_kernel; /* works handed to workers and not back yet */
	pthread_mutex_t lock;
	pthread_cond_t done_cond; /* the scheduler's: a work finished, or a cancel */
	pthread_cond_t todo_cond; /* idle workers': work to take, or quit */
	/* Under lock: */
	struct work *todo, **todo_tail;
	size_t todo_len;
	unsigned idle; /* workers waiting for work */
	struct work *done, **done_tail;
	bool quit; /* the scheduler is gone: workers exit, results are dropped */
	bool cancelled;
};

/* One step's job; the scheduler holds a reference, a worker another while it runs it. */
struct work {
	atomic_uint refs;
	struct shared *shared;
	const struct exec_ops *ops;
	void *job;
	size_t index;
	struct work *next; /* in todo or done, under lock */

	/* One run (or undo) at a time; set by the scheduler before it is queued. */
	bool undo;
	/* Written by the worker under lock, before the work is put on done. */
	int r;
	char *message;
	uint64_t end_usec;
};

static void shared_unref(struct shared *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	pthread_cond_destroy(&s->done_cond);
	pthread_cond_destroy(&s->todo_cond);
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
	pthread_cond_init(&s->done_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&s->todo_cond, NULL);
	s->todo_tail = &s->todo;
	s->done_tail = &s->done;
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
	struct shared *s = p;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct work *w = s->todo;
		char *message = NULL;
		uint64_t end;
		int r;

		if (!w) {
			if (s->quit)
				break;
			s->idle++;
			pthread_cond_wait(&s->todo_cond, &s->lock);
			s->idle--;
			continue;
		}
		s->todo = w->next;
		if (!s->todo)
			s->todo_tail = &s->todo;
		s->todo_len--;
		w->next = NULL;
		pthread_mutex_unlock(&s->lock);

		r = w->undo ? w->ops->undo(w->job, &message) : w->ops->run(w->job, &message);
		end = now_usec();

		pthread_mutex_lock(&s->lock);
		/* The result, then the completion queue, then the signal: on every path. */
		w->r = r;
		w->message = message;
		w->end_usec = end;
		atomic_fetch_sub(&s->in_kernel, 1);
		if (!s->quit) {
			*s->done_tail = w;
			s->done_tail = &w->next;
			pthread_cond_signal(&s->done_cond);
		}
		pthread_mutex_unlock(&s->lock);
		work_unref(w); /* the worker's reference; may free the job */
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	shared_unref(s);
	return NULL;
}

/* A worker thread, detached, every signal blocked; called locked. */
static int worker_spawn(struct shared *s)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t t;
	int r;

	atomic_fetch_add(&s->refs, 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, THREAD_STACK_SIZE);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = -pthread_create(&t, &attr, worker, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r < 0)
		atomic_fetch_sub(&s->refs, 1); /* not the last: the caller holds one */
	return r;
}

/* Hand w to a worker: an idle one, or a new one. */
static int work_queue(struct shared *s, struct work *w, bool undo)
{
	int r = 0;

	w->undo = undo;
	w->r = 0;
	free(w->message);
	w->message = NULL;
	w->next = NULL;
	atomic_fetch_add(&w->refs, 1);
	atomic_fetch_add(&s->in_kernel, 1);

	pthread_mutex_lock(&s->lock);
	*s->todo_tail = w;
	s->todo_tail = &w->next;
	s->todo_len++;
	if (s->idle >= s->todo_len)
		pthread_cond_signal(&s->todo_cond);
	else if ((r = worker_spawn(s)) < 0) {
		/* Take it back, wherever in the queue it is now. */
		for (struct work **pp = &s->todo; *pp; pp = &(*pp)->next)
			if (*pp == w) {
				*pp = w->next;
				if (!*pp)
					s->todo_tail = pp;
				s->todo_len--;
				break;
			}
	}
	pthread_mutex_unlock(&s->lock);
	if (r < 0) {
		atomic_fetch_sub(&s->in_kernel, 1);
		atomic_fetch_sub(&w->refs, 1);
	}
	return r;
}

/* ---- the control ------------------------------------------------------------------- */

struct exec_control {
	pthread_mutex_t lock;
	bool cancelled;
	bool committed; /* past the point of no return: a cancel is too late */
	char why[128];
	char too_late[128]; /* the first cancel that came after the commit */
	struct shared *shared; /* the run in progress */
};

struct exec_control *exec_control_new(void)
{
	struct exec_control *c = calloc(1, sizeof(*c));

	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

struct exec_control *exec_control_free(struct exec_control *c)
{
	if (!c)
		return NULL;
	shared_unref(c->shared);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return NULL;
}

void exec_control_cancel(struct exec_control *c, const char *why)
{
	pthread_mutex_lock(&c->lock);
	if (c->committed) {
		if (!c->too_late[0])
			snprintf(c->too_late, sizeof(c->too_late), "%s", why ? why : "cancelled");
		pthread_mutex_unlock(&c->lock);
		return;
	}
	if (!c->cancelled) {
		c->cancelled = true;
		snprintf(c->why, sizeof(c->why), "%s", why ? why : "cancelled");
	}
	if (c->shared) {
		pthread_mutex_lock(&c->shared->lock);
		c->shared->cancelled = true;
		pthread_cond_signal(&c->shared->done_cond);
		pthread_mutex_unlock(&c->shared->lock);
	}
	pthread_mutex_unlock(&c->lock);
}

/* The point of no return: commit unless cancelled; true when committed. */
static bool exec_control_commit(struct exec_control *c)
{
	bool ok;

	pthread_mutex_lock(&c->lock);
	ok = !c->cancelled;
	if (ok)
		c->committed = true;
	pthread_mutex_unlock(&c->lock);
	return ok;
}

bool exec_control_too_late(struct exec_control *c, char *buf, size_t size)
{
	bool b;

	pthread_mutex_lock(&c->lock);
	b = c->too_late[0] != 0;
	if (b && buf)
		snprintf(buf, size, "%s", c->too_late);
	pthread_mutex_unlock(&c->lock);
	return b;
}

bool exec_control_cancelled(struct exec_control *c)
{
	bool b;

	pthread_mutex_lock(&c->lock);
	b = c->cancelled;
	pthread_mutex_unlock(&c->lock);
	return b;
}

static void control_attach(struct exec_control *c, struct shared *s)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	shared_unref(c->shared);
	c->shared = s;
	if (s) {
		atomic_fetch_add(&s->refs, 1);
		if (c->cancelled) {
			pthread_mutex_lock(&s->lock);
			s->cancelled = true;
			pthread_mutex_unlock(&s->lock);
		}
	}
	pthread_mutex_unlock(&c->lock);
}

/* ---- the scheduler ------------------------------------------------------------------ */

struct timer {
	uint64_t when;
	size_t i;
	uint64_t seq;
};

enum inflight {
	IDLE,
	RUN, /* a run in a worker, counted against jobs */
	UNDO,
	ABANDONED_RUN, /* not counted any more; a late result is still seen */
	ABANDONED_UNDO,
	UNDO_OVER, /* its undo ended, whatever the result */
};

struct sched {
	const struct plan *plan;
	const struct exec_options *o;
	struct exec_report *rep;
	struct shared *shared;
	struct work **works; /* by step index, once prepared */
	uint64_t t0, steps_end, rollback_end; /* absolute */

	/* Dependents of each step (CSR), and what each still waits for. */
	size_t *dep_start, *dependents, *waiting;

	size_t *ready; /* FIFO of step indexes (steps, then undos) */
	size_t ready_head, ready_tail;
	size_t *stack; /* pairs for not_run() */

	enum inflight *inflight; /* by step index */
	uint64_t *seq; /* of the step's current timer */
	uint64_t next_seq;
	struct timer *heap;
	size_t n_heap;
	unsigned active; /* RUN and UNDO: what counts against jobs */
	unsigned abandoned_runs, abandoned_undos; /* not back yet */

	bool *undo_cand; /* rollback: this step's effect is to be undone */
	size_t *undo_wait; /* later steps (transitively) whose undo or run has not ended */
	/* Rollback: for each step, the nearest undo candidates it depends on (CSR). */
	size_t *anc_start, *anc;

	size_t order;
	bool stopping, rolling_back, cancel_seen;
	unsigned jobs;
};

static void event(struct sched *s, exec_event_fn fn, size_t i)
{
	if (fn)
		fn(s->o->event_userdata, s->rep, i);
}

static void heap_push(struct sched *s, uint64_t when, size_t i)
{
	size_t k = s->n_heap++;

	s->seq[i] = ++s->next_seq;
	s->heap[k] = (struct timer){ when, i, s->seq[i] };
	while (k > 0 && s->heap[(k - 1) / 2].when > s->heap[k].when) {
		struct timer t = s->heap[k];

		s->heap[k] = s->heap[(k - 1) / 2];
		s->heap[(k - 1) / 2] = t;
		k = (k - 1) / 2;
	}
}

static void heap_pop(struct sched *s)
{
	size_t k = 0;

	s->heap[0] = s->heap[--s->n_heap];
	for (;;) {
		size_t l = 2 * k + 1, m = k;

		if (l < s->n_heap && s->heap[l].when < s->heap[m].when)
			m = l;
		if (l + 1 < s->n_heap && s->heap[l + 1].when < s->heap[m].when)
			m = l + 1;
		if (m == k)
			break;
		struct timer t = s->heap[k];

		s->heap[k] = s->heap[m];
		s->heap[m] = t;
		k = m;
	}
}

/* The nearest live timer (stale ones are dropped), or UINT64_MAX. */
static uint64_t heap_next(struct sched *s)
{
	while (s->n_heap > 0) {
		const struct timer *t = &s->heap[0];

		if (t->seq == s->seq[t->i] &&
		    (s->inflight[t->i] == RUN || s->inflight[t->i] == UNDO))
			return t->when;
		heap_pop(s);
	}
	return UINT64_MAX;
}

static void abort_run(struct sched *s, size_t i, const char *cancel_why)
{
	if (s->rep->aborted)
		return;
	s->rep->aborted = true;
	s->rep->abort_step = i;
	if (cancel_why)
		s->rep->cancel_reason = strdup(cancel_why);
	s->stopping = true;
}

/* Step i will not run, nor anything that waits for it; each says why. */
static void not_run(struct sched *s, size_t i, const char *why)
{
	size_t sp = 0;

	s->stack[sp++] = i;
	s->stack[sp++] = SIZE_MAX; /* the first: why */
	while (sp > 0) {
		size_t cause = s->stack[--sp], k = s->stack[--sp];
		struct step_result *res = &s->rep->results[k];

		if (res->state != STATE_PENDING)
			continue;
		res->state = STATE_NOT_RUN;
		if (cause == SIZE_MAX)
			set_msg(&res->message, "%s", why);
		else
			set_msg(&res->message, "it waits for step %zu, which was not run",
				cause + 1);
		event(s, s->o->on_end, k);
		/* An OnFailure=abort step that never ran did not do its job either. */
		if (s->plan->steps[k].on_failure == ONFAIL_ABORT)
			abort_run(s, k + 1, NULL);
		for (size_t d = s->dep_start[k]; d < s->dep_start[k + 1]; d++)
			if (s->rep->results[s->dependents[d]].state == STATE_PENDING) {
				s->stack[sp++] = s->dependents[d];
				s->stack[sp++] = k;
			}
	}
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

/*
 * Step i's undo has ended (or it came back and needs none): the nearest
 * steps before it that took effect may be undone once nothing after them
 * is still waiting.
 */
static void undo_release(struct sched *s, size_t i)
{
	if (!s->anc_start)
		return;
	for (size_t a = s->anc_start[i]; a < s->anc_start[i + 1]; a++) {
		size_t k = s->anc[a];

		if (s->undo_wait[k] > 0 && --s->undo_wait[k] == 0 && s->inflight[k] == IDLE)
			s->ready[s->ready_tail++] = k;
	}
}

static int launch(struct sched *s, size_t i, bool undo)
{
	const struct step *st = &s->plan->steps[i];
	struct step_result *res = &s->rep->results[i];
	uint64_t now = now_usec(), until;
	struct work *w = s->works[i];
	int r;

	if (!undo) {
		w = calloc(1, sizeof(*w));
		if (!w)
			return -ENOMEM;
		atomic_init(&w->refs, 1);
		w->ops = s->o->ops;
		w->shared = s->shared;
		w->index = i;
		atomic_fetch_add(&s->shared->refs, 1);
		s->works[i] = w;
		res->state = STATE_RUNNING;
		res->start_usec = now - s->t0;
		event(s, s->o->on_start, i);
		r = s->o->ops->prepare(s->o->userdata, st, &w->job);
	} else
		r = 0;
	if (r >= 0)
		r = work_queue(s->shared, w, undo);
	if (r < 0) {
		/* Finished before it started: the same path as any other end. */
		pthread_mutex_lock(&s->shared->lock);
		w->r = r;
		w->end_usec = now_usec();
		set_msg(&w->message, "cannot start: %s", strerror(-r));
		*s->shared->done_tail = w;
		s->shared->done_tail = &w->next;
		pthread_mutex_unlock(&s->shared->lock);
	}
	until = now + st->timeout_usec;
	if (until > (undo ? s->rollback_end : s->steps_end))
		until = undo ? s->rollback_end : s->steps_end;
	s->inflight[i] = undo ? UNDO : RUN;
	s->active++;
	heap_push(s, until, i);
	return 0;
}

static void run_ended(struct sched *s, size_t i, struct work *w)
{
	struct step_result *res = &s->rep->results[i];

	s->inflight[i] = IDLE;
	s->active--;
	res->end_usec = w->end_usec - s->t0;
	res->error = w->r < 0 ? w->r : 0;
	res->message = TAKE_PTR(w->message);
	res->state = w->r >= 0		 ? STATE_DONE :
		     w->r == -EOPNOTSUPP ? STATE_SKIPPED :
		     w->r == -ENODEV	 ? STATE_GONE :
					   STATE_FAILED;
	res->order = ++s->order;
	event(s, s->o->on_end, i);
	if (res->state == STATE_FAILED && s->plan->steps[i].on_failure == ONFAIL_ABORT)
		abort_run(s, i + 1, NULL);
	release_dependents(s, i);
}

/* An abandoned step came back: record its result where a rollback sees it. */
static void run_came_back(struct sched *s, size_t i, struct work *w)
{
	struct step_result *res = &s->rep->results[i];

	s->inflight[i] = IDLE;
	s->abandoned_runs--;
	res->late = true;
	res->late_error = w->r > 0 ? 0 : w->r;
	res->late_usec = w->end_usec - s->t0;
	res->late_message = TAKE_PTR(w->message);
	event(s, s->o->on_end, i);
	if (!s->rolling_back)
		return;
	if (res->late_error == 0) {
		/* It took effect: undo it now (nothing after it ran), then release. */
		s->undo_cand[i] = true;
		s->ready[s->ready_tail++] = i;
	} else
		undo_release(s, i);
}

/* Abandon step i at its deadline; its thread stays in the kernel. */
static void run_abandon(struct sched *s, size_t i, uint64_t now, bool plan_deadline)
{
	struct step_result *res = &s->rep->results[i];
	char why[80];

	s->inflight[i] = ABANDONED_RUN;
	s->active--;
	s->abandoned_runs++;
	res->state = STATE_TIMED_OUT;
	res->error = -ETIME;
	res->end_usec = now - s->t0;
	res->order = ++s->order;
	if (plan_deadline)
		set_msg(&res->message, "abandoned at the run's deadline after %.1f s",
			(double)(res->end_usec - res->start_usec) / 1e6);
	else
		set_msg(&res->message,
			"no answer within %.1f s: abandoned, still running in the kernel",
			(double)(res->end_usec - res->start_usec) / 1e6);
	event(s, s->o->on_end, i);
	if (s->plan->steps[i].on_failure == ONFAIL_ABORT)
		abort_run(s, i + 1, NULL);
	snprintf(why, sizeof(why), "step %zu timed out and may still be running", i + 1);
	for (size_t d = s->dep_start[i]; d < s->dep_start[i + 1]; d++)
		not_run(s, s->dependents[d], why);
}

static void undo_ended(struct sched *s, size_t i, struct work *w)
{
	struct step_result *res = &s->rep->results[i];
	bool back = s->inflight[i] == ABANDONED_UNDO;

	if (back) {
		s->abandoned_undos--;
		s->inflight[i] = UNDO_OVER;
		if (w->r > 0) {
			res->state = STATE_UNDONE;
			set_msg(&res->undo_message, "undone late, %.1f s after the run started%s%s",
				(double)(w->end_usec - s->t0) / 1e6, w->message ? ": " : "",
				w->message ? w->message : "");
			event(s, s->o->on_end, i);
		}
		undo_release(s, i);
		return;
	}
	s->inflight[i] = UNDO_OVER;
	s->active--;
	if (w->r != 0) {
		res->state = w->r > 0 ? STATE_UNDONE : STATE_UNDO_FAILED;
		free(res->undo_message);
		res->undo_message = TAKE_PTR(w->message);
		event(s, s->o->on_end, i);
	} /* else nothing to undo: the state stays */
	undo_release(s, i);
}

static void undo_abandon(struct sched *s, size_t i)
{
	struct step_result *res = &s->rep->results[i];

	s->inflight[i] = ABANDONED_UNDO;
	s->active--;
	s->abandoned_undos++;
	res->state = STATE_UNDO_FAILED;
	set_msg(&res->undo_message, "undo abandoned at its deadline, still in the kernel");
	event(s, s->o->on_end, i);
	/* What it depends on stays as it is until it comes back. */
}

static void completed(struct sched *s, struct work *w)
{
	size_t i = w->index;

	switch (s->inflight[i]) {
	case RUN:
		run_ended(s, i, w);
		break;
	case ABANDONED_RUN:
		run_came_back(s, i, w);
		break;
	case UNDO:
	case ABANDONED_UNDO:
		undo_ended(s, i, w);
		break;
	default:
		break;
	}
}

/* Wait until something finishes, a cancel, or `until`; handle what finished. */
static void pump(struct sched *s, uint64_t until)
{
	struct timespec ts = {
		.tv_sec = (time_t)(until / 1000000ULL),
		.tv_nsec = (long)(until % 1000000ULL) * 1000,
	};
	struct work *list;
	bool cancelled;

	pthread_mutex_lock(&s->shared->lock);
	while (!s->shared->done && !(s->shared->cancelled && !s->cancel_seen))
		if (pthread_cond_timedwait(&s->shared->done_cond, &s->shared->lock, &ts) ==
		    ETIMEDOUT)
			break;
	list = s->shared->done;
	s->shared->done = NULL;
	s->shared->done_tail = &s->shared->done;
	cancelled = s->shared->cancelled;
	pthread_mutex_unlock(&s->shared->lock);

	while (list) {
		struct work *w = list;

		list = w->next;
		w->next = NULL;
		completed(s, w);
	}
	if (cancelled && !s->cancel_seen) {
		s->cancel_seen = true;
		if (!s->rep->aborted) {
			char why[160];

			pthread_mutex_lock(&s->o->control->lock);
			snprintf(why, sizeof(why), "%s", s->o->control->why);
			pthread_mutex_unlock(&s->o->control->lock);
			abort_run(s, 0, why);
		}
	}
}

/* Abandon what passed its deadline. */
static void expire(struct sched *s, uint64_t now)
{
	while (heap_next(s) <= now) {
		size_t i = s->heap[0].i;

		heap_pop(s);
		if (s->inflight[i] == RUN)
			run_abandon(s, i, now, now >= s->steps_end);
		else
			undo_abandon(s, i);
	}
}

static int run_steps(struct sched *s)
{
	const struct plan *p = s->plan;
	int r;

	for (size_t i = 0; i < p->n; i++)
		if (s->waiting[i] == 0)
			s->ready[s->ready_tail++] = i;

	for (;;) {
		uint64_t until, now;

		now = now_usec();
		if (now >= s->steps_end && s->ready_head < s->ready_tail && !s->stopping) {
			/* Nothing starts once the budget for steps is spent. */
			s->rep->deadline_passed = true;
			s->stopping = true;
		}
		while (!s->stopping && s->active < s->jobs && s->ready_head < s->ready_tail) {
			size_t i = s->ready[s->ready_head++];

			if (s->rep->results[i].state != STATE_PENDING)
				continue;
			r = launch(s, i, false);
			if (r < 0)
				return r;
		}
		if (s->active == 0 && (s->stopping || s->ready_head == s->ready_tail))
			break;
		until = heap_next(s);
		if (until > s->steps_end)
			until = s->steps_end;
		pump(s, until);
		now = now_usec();
		if (now >= s->steps_end && (s->active > 0 || s->ready_head < s->ready_tail)) {
			s->rep->deadline_passed = true;
			s->stopping = true;
		}
		expire(s, now);
	}

	for (size_t i = 0; i < p->n; i++) {
		char why[80];

		if (s->rep->results[i].state != STATE_PENDING)
			continue;
		if (s->rep->cancel_reason)
			snprintf(why, sizeof(why), "the run was cancelled (%s)",
				 s->rep->cancel_reason);
		else if (s->rep->aborted)
			snprintf(why, sizeof(why), "the run was aborted when step %zu failed",
				 s->rep->abort_step);
		else
			snprintf(why, sizeof(why), "the run's deadline passed");
		not_run(s, i, why);
	}
	return 0;
}

/* No abort: wait, within the budget, for abandoned steps to come back. */
static void wait_abandoned(struct sched *s)
{
	while (s->abandoned_runs > 0 && !s->rep->aborted) {
		uint64_t now = now_usec();

		if (now >= s->rollback_end)
			break;
		pump(s, s->rollback_end);
	}
}

/* Is an undo waiting for a step after it that is still in the kernel? */
static bool undo_held(const struct sched *s)
{
	if (s->abandoned_undos == 0)
		return false;
	for (size_t i = 0; i < s->plan->n; i++)
		if (s->undo_cand[i] && s->inflight[i] == IDLE && s->undo_wait[i] > 0)
			return true;
	return false;
}

/*
 * The order of the rollback: a step's undo waits for every later step that
 * depends on it, directly or through steps with nothing to undo (skipped,
 * failed), to be undone, and for steps still in the kernel to come back.
 * For each such later step, the nearest candidates before it (anc) are
 * counted in their undo_wait; undo_release() counts down.
 */
static int rollback_order(struct sched *s)
{
	const struct plan *p = s->plan;
	_cleanup_free_ size_t *stamp = calloc(p->n + 1, sizeof(size_t)), *stack = NULL;
	size_t n_anc = 0, cap = 0;

	s->anc_start = calloc(p->n + 1, sizeof(size_t));
	stack = calloc(p->n + 1, sizeof(size_t));
	if (!stamp || !stack || !s->anc_start)
		return -ENOMEM;
	for (size_t k = 0; k < p->n; k++) {
		size_t sp = 0;

		s->anc_start[k] = n_anc;
		if (!s->undo_cand[k] && s->inflight[k] != ABANDONED_RUN)
			continue;
		stack[sp++] = k;
		while (sp > 0) {
			size_t x = stack[--sp];

			for (size_t d = 0; d < p->steps[x].n_deps; d++) {
				size_t a = p->steps[x].deps[d] - 1;

				if (stamp[a] == k + 1)
					continue;
				stamp[a] = k + 1;
				if (!s->undo_cand[a]) {
					stack[sp++] =
						a; /* nothing to undo there: look further back */
					continue;
				}
				if (n_anc == cap) {
					size_t *m = realloc(s->anc, (cap = cap ? 2 * cap : 64) *
									    sizeof(size_t));

					if (!m)
						return -ENOMEM;
					s->anc = m;
				}
				s->anc[n_anc++] = a;
				s->undo_wait[a]++;
			}
		}
	}
	s->anc_start[p->n] = n_anc;
	return 0;
}

/*
 * Undo what took effect, the reverse of the plan's order: a step is undone
 * once every dependent that took effect has been undone (or its undo ended
 * otherwise), independent undos in parallel, each within its timeout and
 * all within the budget.  Abandoned steps that come back meanwhile with
 * success are undone too.
 */
static int rollback(struct sched *s)
{
	const struct plan *p = s->plan;
	int r;

	s->rolling_back = true;
	s->stopping = false;
	s->ready_head = s->ready_tail = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct step_result *res = &s->rep->results[i];

		s->undo_cand[i] = res->state == STATE_DONE || (res->state == STATE_TIMED_OUT &&
							       res->late && res->late_error == 0);
	}
	r = rollback_order(s);
	if (r < 0)
		return r;
	for (size_t i = p->n; i > 0; i--)
		if (s->undo_cand[i - 1] && s->undo_wait[i - 1] == 0)
			s->ready[s->ready_tail++] = i - 1;

	for (;;) {
		uint64_t until, now = now_usec();

		while (now < s->rollback_end && s->active < s->jobs &&
		       s->ready_head < s->ready_tail) {
			r = launch(s, s->ready[s->ready_head++], true);
			if (r < 0)
				return r;
		}
		if (s->active == 0 && s->ready_head == s->ready_tail && s->abandoned_runs == 0 &&
		    !undo_held(s))
			break;
		if (now >= s->rollback_end && s->active == 0)
			break;
		until = heap_next(s);
		if (until > s->rollback_end)
			until = s->rollback_end;
		pump(s, until);
		expire(s, now_usec());
	}

	/* Whatever could not be started in time. */
	for (size_t i = 0; i < p->n; i++) {
		struct step_result *res = &s->rep->results[i];

		if (!s->undo_cand[i] || s->inflight[i] != IDLE)
			continue;
		res->state = STATE_UNDO_FAILED;
		if (s->undo_wait[i] > 0)
			set_msg(&res->undo_message, "not undone: a step after it was still in the "
						    "kernel when the run's deadline passed");
		else
			set_msg(&res->undo_message, "not undone: the run's deadline passed first");
		event(s, s->o->on_end, i);
	}
	return 0;
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
	control_attach(s->o->control, NULL);
	if (s->shared) {
		pthread_mutex_lock(&s->shared->lock);
		s->shared->quit = true;
		s->shared->done = NULL;
		s->shared->done_tail = &s->shared->done;
		pthread_cond_broadcast(&s->shared->todo_cond);
		pthread_mutex_unlock(&s->shared->lock);
	}
	if (s->works)
		for (size_t i = 0; i < s->plan->n; i++)
			work_unref(s->works[i]);
	free(s->works);
	free(s->dep_start);
	free(s->dependents);
	free(s->waiting);
	free(s->ready);
	free(s->stack);
	free(s->inflight);
	free(s->seq);
	free(s->heap);
	free(s->undo_cand);
	free(s->undo_wait);
	free(s->anc_start);
	free(s->anc);
	shared_unref(s->shared);
}

static int sched_init(struct sched *s)
{
	const struct plan *p = s->plan;
	_cleanup_free_ size_t *fill = NULL;
	size_t n_edges = 0, n = p->n + 1;

	for (size_t i = 0; i < p->n; i++)
		n_edges += p->steps[i].n_deps;
	s->works = calloc(n, sizeof(*s->works));
	s->dep_start = calloc(n, sizeof(size_t));
	s->dependents = calloc(n_edges + 1, sizeof(size_t));
	s->waiting = calloc(n, sizeof(size_t));
	/* Each step is queued at most twice: to run, and to be undone. */
	s->ready = calloc(2 * n, sizeof(size_t));
	s->stack = calloc(2 * (n_edges + n), sizeof(size_t));
	s->inflight = calloc(n, sizeof(*s->inflight));
	s->seq = calloc(n, sizeof(uint64_t));
	s->heap = calloc(2 * n, sizeof(*s->heap));
	s->undo_cand = calloc(n, sizeof(bool));
	s->undo_wait = calloc(n, sizeof(size_t));
	s->shared = shared_new();
	fill = calloc(n, sizeof(size_t));
	if (!s->works || !s->dep_start || !s->dependents || !s->waiting || !s->ready || !s->stack ||
	    !s->inflight || !s->seq || !s->heap || !s->undo_cand || !s->undo_wait || !s->shared ||
	    !fill)
		return -ENOMEM;

	/* Dependents, counted then placed (CSR). */
	for (size_t i = 0; i < p->n; i++)
		for (size_t d = 0; d < p->steps[i].n_deps; d++) {
			size_t k = p->steps[i].deps[d];

			if (k < 1 || k > p->n || k - 1 == i)
				return -EINVAL;
			s->dep_start[k]++;
		}
	/* dep_start[k] counted the dependents of step k - 1; sums make it step k's start. */
	for (size_t i = 1; i <= p->n; i++)
		s->dep_start[i] += s->dep_start[i - 1];
	for (size_t i = 0; i < p->n; i++) {
		s->waiting[i] = p->steps[i].n_deps;
		for (size_t d = 0; d < p->steps[i].n_deps; d++) {
			size_t k = p->steps[i].deps[d] - 1;

			s->dependents[s->dep_start[k] + fill[k]++] = i;
		}
	}
	return 0;
}

int exec_run(const struct plan *p, const struct exec_options *o, struct exec_report **ret)
{
	_cleanup_(exec_report_freep) struct exec_report *rep = NULL;
	struct sched s = { .plan = p, .o = o };
	uint64_t steps_end, rollback_end;
	int r;

	rep = calloc(1, sizeof(*rep));
	if (!rep)
		return -ENOMEM;
	rep->plan = p;
	rep->n = p->n;
	rep->results = calloc(p->n + 1, sizeof(*rep->results));
	if (!rep->results)
		return -ENOMEM;
	s.rep = rep;
	s.jobs = o->jobs ? o->jobs : exec_default_jobs();
	r = sched_init(&s);
	if (r < 0)
		goto out;
	control_attach(o->control, s.shared);
	if (o->control && exec_control_cancelled(o->control)) {
		/* Cancelled before it started: nothing runs. */
		s.cancel_seen = true;
		abort_run(&s, 0, o->control->why);
	}

	rep->deadline_usec = o->deadline_usec ? o->deadline_usec : EXEC_DEADLINE_DEFAULT_USEC;
	exec_budget(rep->deadline_usec, &steps_end, &rollback_end);
	s.t0 = now_usec();
	s.steps_end = s.t0 + steps_end;
	s.rollback_end = s.t0 + rollback_end;

	r = run_steps(&s);
	if (r < 0)
		goto out;
	wait_abandoned(&s);
	/*
	 * The point of no return: from here the run is not rolled back, and a
	 * cancel is only recorded as too late.  One that came before it aborts.
	 */
	if (!rep->aborted && o->control && !exec_control_commit(o->control)) {
		char why[160];

		pthread_mutex_lock(&o->control->lock);
		snprintf(why, sizeof(why), "%s", o->control->why);
		pthread_mutex_unlock(&o->control->lock);
		abort_run(&s, 0, why);
	}
	if (rep->aborted) {
		r = rollback(&s);
		if (r < 0)
			goto out;
	}
	rep->wall_usec = now_usec() - s.t0;
	rep->still_running = atomic_load(&s.shared->in_kernel);
	for (size_t i = 0; i < p->n; i++) {
		struct step_result *res = &rep->results[i];

		res->stuck = s.inflight[i] == ABANDONED_RUN || s.inflight[i] == ABANDONED_UNDO;
		rep->n_stuck += res->stuck;
		rep->count[res->state]++;
		/* Done steps whose undo had nothing to do stay done: not incomplete. */
		if (rep->aborted && (res->state == STATE_UNDO_FAILED ||
				     (res->stuck && res->state == STATE_TIMED_OUT)))
			rep->rollback_incomplete = true;
	}
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
			free(r->results[i].late_message);
		}
	free(r->results);
	free(r->critical_path);
	free(r->cancel_reason);
	free(r);
	return NULL;
}
