/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The report of a run (exec.h) for programs: 'kexecq reboot --json'. */
#pragma once

#include <stdio.h>

struct exec_report;
struct kexec_image;
/*
 * A run's report as JSON ("kexecq-report" version 1): what was loaded
 * (image may be NULL), each step's state, times and message, the summary
 * and the critical path.
 */
int exec_report_write_json(const struct exec_report *r, const struct kexec_image *image,
			   const char *outcome, FILE *f);
