/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * 'kexecq plot': a run read back from the journal (journal-read.h) drawn
 * as an SVG timeline, as systemd-analyze plot draws a boot.  Pure: it
 * writes to a stream and reads nothing.
 *
 * One row per step, in step order: a bar (<rect class="bar STATE">) from
 * its start to its end on the time axis, filled with the colour of its
 * outcome, data-duration-usec its duration; a step that did not run gets
 * a small hollow mark (no data-duration-usec), one that never ended a bar
 * to the journal's last line; beside the label, a swatch of the same
 * colour (<rect class="swatch">), for the steps that took no time.
 * The steps of the critical path have the
 * class "critical" and a thick black outline.  Every string from the
 * journal is escaped.
 */
#pragma once

#include <stdio.h>

#include "exec.h"
#include "journal-read.h"

/* source: the journal's name, said in the heading with the run's start. */
int plot_write_svg(const struct journal_run *run, const char *source, FILE *f);

/* The fill of a bar of a step in state s ("#rrggbb"). */
const char *plot_state_color(enum step_state s) _pure_;
