/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The record and the output of a run: every step's start and end in
 * <rundir>/journal (appended, one line each), one line per ended step on
 * /dev/kmsg, so that the story is in the kernel log when the console and
 * journald are gone, and in the next kernel's pstore console record when
 * ramoops is configured; and the terminal's progress lines.
 *
 * All of it is written by one thread of the journal's own: the functions
 * below format and queue, and never block on a terminal, a pipe or the
 * kernel log, so the executor's thread (which keeps the deadlines) can
 * call them.  journal_flush() waits, with a bound, for the queue to drain.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "exec.h"
#include "macro.h"

struct journal;

/*
 * Open the journal and start its writer.  rundir (e.g. /run/kexecq) is
 * created 0700 if missing; NULL: no file.  kmsg is the kernel log device
 * (/dev/kmsg); NULL: none.  A journal that cannot be written is a warning,
 * never a reason to stop.  NULL only when out of memory.
 */
struct journal *journal_open(const char *rundir, const char *kmsg);
/*
 * Drain (at most JOURNAL_CLOSE_USEC) and free.  A writer still blocked
 * then (a terminal stopped with Ctrl-S) is left behind with its queue.
 */
struct journal *journal_close(struct journal *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct journal *, journal_close)
#define JOURNAL_CLOSE_USEC (2ULL * 1000000ULL)

/* Wait until everything queued is written, at most timeout_usec: 0 or -ETIMEDOUT. */
int journal_flush(struct journal *j, uint64_t timeout_usec);

/* A line in the file and on /dev/kmsg ("kexecq: " and the text). */
void journal_log(struct journal *j, int level, const char *fmt, ...) _printf_(3, 4);
/* Text for the terminal (stdout or stderr), written in order with the rest. */
void journal_print(struct journal *j, FILE *stream, const char *fmt, ...) _printf_(3, 4);
/*
 * A log_fn_t (log.h) for the time of a run: messages go to stderr as the
 * command line prints them, and warnings and errors to the file and
 * /dev/kmsg too, which is where a shutdown hook's errors are seen.
 */
void journal_log_fn(int level, const char *msg, void *journal);

/*
 * A run of n steps starts: "quiescing: 12 steps, 4 at a time, deadline
 * 80.0 s (steps until 60.0 s, rollback until 75.0 s)", in both; the line
 * journal-read.h starts a run at.
 */
void journal_run_started(struct journal *j, size_t n, unsigned jobs, uint64_t deadline_usec,
			 uint64_t steps_end, uint64_t rollback_end);
/*
 * Step i of the report started (file only: "[3/12] WHAT: started", and
 * " (after 1, 2)" when it waited for other steps) or ended (both:
 * exec_step_line()).  journal-read.h reads them back.
 */
void journal_step_started(struct journal *j, const struct exec_report *r, size_t i);
void journal_step_ended(struct journal *j, const struct exec_report *r, size_t i);
/* The summary of a finished run, in both: the counts, then what could not be undone. */
void journal_summary(struct journal *j, const struct exec_report *r);

/* "12 steps: 11 done, 1 failed; 0.83 s, critical path 0.81 s".  Malloc'd. */
char *exec_report_summary(const struct exec_report *r);
/* "[ 3/12] unbind 0000:00:04.0 (edu): done in 0.204 s; message".  Malloc'd. */
char *exec_step_line(const struct exec_report *r, size_t i);
