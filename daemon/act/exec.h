/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The executor: runs a plan's DAG on a pool of worker threads, each step
 * with its deadline, the whole run (rollback included) inside one budget,
 * and rolls back what was done when a step that must not fail
 * (OnFailure=abort) fails or when the run is cancelled (a signal).
 *
 * Each step ends exactly once, and its state moves one way:
 *
 *   pending ─► running ─► done | failed | skipped | timed-out (abandoned)
 *      └─────────────────► not-run (aborted, deadline, a dependency hung)
 *   done ─► undone | undo-failed (rollback)
 *
 * A step still running at its deadline is abandoned: its thread is left
 * in the kernel and no longer counts against --jobs; steps that depend on
 * it are not run (the kernel is still busy with that object).  If it comes
 * back later while the executor still runs, its late result is recorded
 * beside the abandonment (step_result.late): a late success is undone by
 * a rollback like any done step.  Steps that depend on a failed step run,
 * unless they act on the same device (no reset after a failed unbind).
 * What is done is not decided here: exec_ops does it (action.c for real
 * devices, tests for fakes).
 *
 * The budget (exec_budget()): from the start, steps may run for the
 * deadline less a reserve for rollback; rollback, and the wait for
 * abandoned steps to come back, end a margin before the deadline, which
 * is left to the caller to act on the outcome (the jump, or the fail-safe
 * restart when something is still stuck in the kernel).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"

enum step_state {
	STATE_PENDING,
	STATE_RUNNING,
	STATE_DONE,
	STATE_FAILED,
	STATE_SKIPPED, /* the kernel lacks what it needs (-EOPNOTSUPP): not a failure */
	STATE_GONE, /* its device went away (-ENODEV, hot-unplug): nothing left to quiesce */
	STATE_TIMED_OUT, /* abandoned at its deadline; see late */
	STATE_NOT_RUN,
	STATE_UNDONE,
	STATE_UNDO_FAILED,
	_STATE_MAX,
};

/*
 * How steps are carried out.  prepare() runs on the executor's thread and
 * copies what the step needs into a job; run() and undo() run on worker
 * threads and may block; free() is called once the job is finished with,
 * possibly on a worker thread long after exec_run() returned.  The ops and
 * their userdata must therefore stay valid for the life of the process.
 */
struct exec_ops {
	int (*prepare)(void *userdata, const struct step *s, void **ret_job);
	int (*run)(void *job, char **ret_message);
	int (*undo)(void *job, char **ret_message); /* > 0 undone, 0 nothing to undo */
	void (*free)(void *job);
};

struct step_result {
	enum step_state state;
	int error; /* -errno of a failure */
	char *message;
	uint64_t start_usec, end_usec; /* since the run started */
	size_t order; /* 1-based order of completion */
	char *undo_message;
	/* A timed-out step that came back while the executor still ran. */
	bool late;
	int late_error; /* its result: 0 (done, it took effect) or -errno */
	uint64_t late_usec;
	char *late_message;
	/* Abandoned (its run or its undo) and not back when the executor returned. */
	bool stuck;
};

struct exec_report {
	const struct plan *plan; /* for reading the report while the plan lives */
	size_t n;
	struct step_result *results; /* n, by step index */
	size_t count[_STATE_MAX];
	bool aborted; /* an OnFailure=abort step failed, or cancelled: rolled back */
	size_t abort_step; /* the step's id; 0 when cancelled */
	char *cancel_reason; /* why it was cancelled ("SIGTERM"), or NULL */
	bool deadline_passed;
	bool rollback_incomplete; /* something done could not be undone (see results) */
	unsigned still_running; /* threads not back from the kernel (abandoned steps, undos) */
	size_t n_stuck; /* steps with stuck set */
	uint64_t deadline_usec; /* the budget (exec_budget() splits it) */
	uint64_t wall_usec;
	uint64_t critical_usec; /* longest chain of step durations along dependencies */
	size_t *critical_path; /* step ids, first to last */
	size_t n_critical;
};

/*
 * What happened, as it happens: on_start when a step starts, on_end when it
 * ends, when a late result comes back (late set) and when its undo ends.
 * Called on the executor's scheduling thread, which keeps the deadlines:
 * they must not block.  Queue output for another thread (journal.c does).
 */
typedef void (*exec_event_fn)(void *userdata, const struct exec_report *r, size_t step_index);

/* Lets another thread cancel a run (a signal-handling thread). */
struct exec_control;
struct exec_control *exec_control_new(void);
struct exec_control *exec_control_free(struct exec_control *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct exec_control *, exec_control_free)
/*
 * Cancel the run in progress, or the next one: it is rolled back.  A run
 * that ended without an abort commits its control as its last act (the
 * point of no return); a cancel after that is only recorded, for
 * exec_control_too_late().  Thread-safe.
 */
void exec_control_cancel(struct exec_control *c, const char *why);
bool exec_control_cancelled(struct exec_control *c);
/* Did a cancel come after the commit?  Its reason in buf. */
bool exec_control_too_late(struct exec_control *c, char *buf, size_t size);

struct exec_options {
	unsigned jobs; /* concurrent steps; 0: exec_default_jobs() */
	uint64_t deadline_usec; /* everything, rollback included; 0: EXEC_DEADLINE_DEFAULT_USEC */
	const struct exec_ops *ops;
	void *userdata;
	exec_event_fn on_start, on_end; /* either may be NULL */
	void *event_userdata;
	struct exec_control *control; /* may be NULL */
};

/* Below systemd's 90 s for system-shutdown hooks. */
#define EXEC_DEADLINE_DEFAULT_USEC (80ULL * 1000000ULL)

/*
 * The budget of a run with deadline D: steps start and run until D less a
 * quarter (the rollback's reserve, at most 20 s); the rollback and the wait
 * for abandoned steps end at D less the margin (a tenth, at most 5 s), which
 * is the caller's: to write the outcome and jump, or to make file systems
 * safe and restart.  Both are offsets from the start.
 */
void exec_budget(uint64_t deadline_usec, uint64_t *ret_steps_end, uint64_t *ret_rollback_end);

/*
 * The default number of steps at a time: what the machine can afford, at
 * least 4 and at most EXEC_JOBS_MAX.  Not the CPU count: a step
 * spends its time waiting on a device (a controller's firmware, a cache
 * flush, a reset), not on a CPU, and the kernel serialises what must be
 * serialised (module unloads, SR-IOV changes) with its own locks.  A thread
 * blocked in a sysfs write costs a kernel stack and a few pages of its own
 * stack, so the bound follows the process's thread limits (RLIMIT_NPROC,
 * kernel.threads-max) rather than a guess.  With the former fixed bound of
 * 64, 256 independent 200 ms steps took 4x their critical path.
 */
#define EXEC_JOBS_MAX 4096U
unsigned exec_default_jobs(void);

/*
 * Run the plan.  Returns 0 with the report (look at aborted, n_stuck), or
 * -errno when it could not run at all (out of memory, bad dependencies).
 */
int exec_run(const struct plan *p, const struct exec_options *o, struct exec_report **ret);

struct exec_report *exec_report_free(struct exec_report *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct exec_report *, exec_report_free)

const char *step_state_to_string(enum step_state s) _pure_;
