/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The executor: runs a plan's DAG on a bounded number of threads, each
 * step with its deadline and the whole plan with one, and rolls back what
 * was done when a step that must not fail (OnFailure=abort) fails.
 *
 * Each step's state moves one way:
 *
 *   pending ─► running ─► done | failed | skipped | timed-out
 *      └─────────────────► not-run (aborted, deadline, a dependency hung)
 *   done ─► undone | undo-failed (rollback)
 *
 * A step still running at its deadline is abandoned: its thread is left
 * in the kernel, its slot is given to the next step, and the executor
 * never waits for it again.  Steps that depend on it are not run (the
 * kernel is still busy with that object); steps that depend on a failed
 * step run, unless they act on the same device (no reset after a failed
 * unbind).  What is done is not decided here: exec_ops does it (action.c
 * for real devices, tests for fakes).
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
	STATE_TIMED_OUT,
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
	size_t order; /* 1-based order of completion (rollback goes backwards) */
	char *undo_message;
};

struct exec_report {
	const struct plan *plan; /* for reading the report while the plan lives */
	size_t n;
	struct step_result *results; /* n, by step index */
	size_t count[_STATE_MAX];
	bool aborted; /* an OnFailure=abort step failed: the run was rolled back */
	size_t abort_step; /* its id */
	bool deadline_passed;
	unsigned still_running; /* abandoned steps and undos not back from the kernel */
	uint64_t wall_usec;
	uint64_t critical_usec; /* longest chain of step durations along dependencies */
	size_t *critical_path; /* step ids, first to last */
	size_t n_critical;
};

/* What happened, as it happens, on the executor's thread. */
typedef void (*exec_event_fn)(void *userdata, const struct exec_report *r, size_t step_index);

struct exec_options {
	unsigned jobs; /* concurrent steps; 0: exec_default_jobs() */
	uint64_t deadline_usec; /* for the whole plan; 0: EXEC_DEADLINE_DEFAULT_USEC */
	uint64_t rollback_deadline_usec; /* for the rollback; 0: EXEC_ROLLBACK_DEADLINE_USEC */
	const struct exec_ops *ops;
	void *userdata;
	exec_event_fn on_start, on_end; /* either may be NULL; on_end also for rollbacks */
	void *event_userdata;
};

/* Below systemd's 90 s for system-shutdown hooks. */
#define EXEC_DEADLINE_DEFAULT_USEC (80ULL * 1000000ULL)
#define EXEC_ROLLBACK_DEADLINE_USEC (60ULL * 1000000ULL)

/*
 * The default number of steps at a time: EXEC_JOBS_DEFAULT, or the CPU
 * count where that is more.  Not the CPU count: a step spends its time
 * waiting on a device (a controller's firmware, a cache flush, a reset),
 * not on a CPU, and the kernel serialises what must be serialised
 * (module unloads, SR-IOV changes) with its own locks.  Bounded by CPUs,
 * sixteen NVMe drives on a 4-CPU host would be unbound in four rounds; in
 * the VM benchmark (tests/vm/bench-reboot.sh) 8 devices on 2 CPUs took
 * twice their critical path at the old default of 4.  The bound is there so
 * that a plan of thousands of steps does not start thousands of threads.
 */
#define EXEC_JOBS_DEFAULT 64U
unsigned exec_default_jobs(void);

/*
 * Run the plan.  Returns 0 with the report (look at aborted), or -errno
 * when it could not run at all (out of memory, no threads).
 */
int exec_run(const struct plan *p, const struct exec_options *o, struct exec_report **ret);

struct exec_report *exec_report_free(struct exec_report *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct exec_report *, exec_report_free)

const char *step_state_to_string(enum step_state s) _pure_;
