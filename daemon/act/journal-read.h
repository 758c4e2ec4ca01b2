/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal read back (journal.c writes it): the last quiesce run in it,
 * step by step, for 'kexecq plot'.  Pure: a buffer in, a struct out;
 * problems go through log.h, each naming file:line.  Every run of this
 * boot appends to the journal; a run starts at its "quiescing:" line.
 *
 * The lines it reads, after the stamp ("2026-01-01T10:00:00.123456Z "):
 *
 *   quiescing: 12 steps, 4 at a time, ...      a run of 12 steps starts
 *   [3/12] WHAT: started (after 1, 2)          step 3, after steps 1 and 2
 *   [ 3/12] WHAT: done in 0.204 s; MESSAGE     it ended (exec_step_line())
 *   [ 3/12] WHAT: undone; MESSAGE              later: the rollback undid it
 *   12 steps: 11 done, 1 failed; 0.83 s, critical path 0.81 s
 *
 * Other lines with a stamp are the run's other news and are passed over; a
 * line without one, or a step line that does not parse, is skipped with a
 * warning.  Nothing in the file is trusted: counts are bounded, step
 * numbers checked against the run's, dependencies against the order.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "macro.h"

/* More steps than a plan has: a run that claims more is refused, not allocated. */
#define JOURNAL_RUN_STEPS_MAX 100000U
/* A journal is read whole, up to this. */
#define JOURNAL_FILE_MAX (64U * 1024U * 1024U)

struct journal_step {
	char *what; /* the description, as written */
	/*
	 * The last state recorded: STATE_PENDING when no line is about the
	 * step, STATE_RUNNING when it started and no end was recorded.
	 */
	enum step_state state;
	enum step_state ran; /* the state its duration came with (done, failed, ...) */
	char *message; /* of its last end line, or NULL */
	bool has_start; /* its "started" line, or its end less its duration */
	bool has_duration; /* it ran: a "STATE in N s" line */
	uint64_t start_usec; /* since the run started */
	uint64_t duration_usec;
	uint64_t ended_usec; /* its last end line, since the run started */
	size_t *deps; /* the steps it waited for (ids, smaller than its own) */
	size_t n_deps;
	bool critical; /* on the critical path */
};

struct journal_run {
	char *started; /* the stamp of its "quiescing:" line */
	unsigned line; /* that line's number */
	unsigned n_runs; /* runs in the journal; this is the last */
	size_t n;
	struct journal_step *steps; /* step id i is steps[i - 1] */
	char *summary; /* the run's summary line, or NULL: it did not end */
	uint64_t last_usec; /* the run's last line, since it started */
	/*
	 * The longest chain of step durations along the dependencies, as
	 * exec.c computes it (its summary's "critical path"), from the
	 * durations the journal gives (to the millisecond).
	 */
	uint64_t critical_usec;
	size_t *critical_path; /* ids, first to last */
	size_t n_critical;
	unsigned n_skipped; /* lines of the run skipped with a warning */
};

struct journal_run *journal_run_free(struct journal_run *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct journal_run *, journal_run_free)

/*
 * The last run in data[0..size), path naming it in messages.  -ENOMSG when
 * there is none, -E2BIG when it claims more than JOURNAL_RUN_STEPS_MAX
 * steps, -ENOMEM; each said through log.h.
 */
int journal_run_parse(const char *path, const char *data, size_t size, struct journal_run **ret);
/* The same for a file: regular (no FIFO blocks it), at most JOURNAL_FILE_MAX bytes. */
int journal_run_read_file(const char *path, struct journal_run **ret);
