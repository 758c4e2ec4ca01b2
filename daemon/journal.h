/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The record of a run: every step's start and end in <rundir>/journal
 * (appended, one line each) and one line per ended step on /dev/kmsg, so
 * that the story is in the kernel log when the console and journald are
 * gone, and in the next kernel's pstore console record when ramoops is
 * configured.  Written from the executor's thread only.
 */
#pragma once

#include <stdio.h>

#include "exec.h"
#include "macro.h"

struct journal;

/*
 * Open the journal.  rundir (e.g. /run/kexecq) is created 0700 if missing;
 * NULL: no file.  kmsg is the kernel log device (/dev/kmsg); NULL: none.
 * A journal that cannot be written is a warning, never a reason to stop.
 */
struct journal *journal_open(const char *rundir, const char *kmsg);
struct journal *journal_close(struct journal *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct journal *, journal_close)

/* A line in both places: "kexecq: " and the text on /dev/kmsg. */
void journal_log(struct journal *j, int level, const char *fmt, ...) _printf_(3, 4);
/* Step i of the report started (file only) or ended (both). */
void journal_step_started(struct journal *j, const struct exec_report *r, size_t i);
void journal_step_ended(struct journal *j, const struct exec_report *r, size_t i);
/* The summary line of a finished run, in both. */
void journal_summary(struct journal *j, const struct exec_report *r);

/* "12 steps: 11 done, 1 failed; 0.83 s, critical path 0.81 s".  Malloc'd. */
char *exec_report_summary(const struct exec_report *r);
/* "[ 3/12] unbind 0000:00:04.0 (edu): done in 0.204 s; message".  Malloc'd. */
char *exec_step_line(const struct exec_report *r, size_t i);
