// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plot-output.h"
#include "string-util.h"

/* The drawing, in pixels. */
#define LEFT 20
#define AXIS_W 800.0
#define LABEL_W 640
#define HEAD_H 100 /* the rows start here */
#define ROW_H 22
#define BAR_H 16
#define MARK_W 6 /* a step with no duration: a hollow mark */
#define LEGEND_H 96
/* The axis ends at most here (31 years): stamps further apart are not a run. */
#define AXIS_MAX_USEC (1000000ULL * 1000000000ULL)
/* Steps of the critical path named in the legend; the rest are counted. */
#define PATH_SHOWN 24

static const char *const colors[_STATE_MAX] = {
	[STATE_PENDING] = "#eeeeee",	 [STATE_RUNNING] = "#fff176", [STATE_DONE] = "#4caf50",
	[STATE_FAILED] = "#e53935",	 [STATE_SKIPPED] = "#bdbdbd", [STATE_GONE] = "#90a4ae",
	[STATE_TIMED_OUT] = "#ff9800",	 [STATE_NOT_RUN] = "#ffffff", [STATE_UNDONE] = "#64b5f6",
	[STATE_UNDO_FAILED] = "#8e24aa",
};

const char *plot_state_color(enum step_state s)
{
	return s >= 0 && s < _STATE_MAX ? colors[s] : "#ffffff";
}

/* What the legend calls a state: the journal's word, or what its absence means. */
static const char *state_name(enum step_state s)
{
	return s == STATE_PENDING ? "no record" :
	       s == STATE_RUNNING ? "no end recorded" :
				    step_state_to_string(s);
}

/* s as XML character data or an attribute value: made printable, then &<>"' escaped. */
static void xml_puts(const char *s, FILE *f)
{
	_cleanup_free_ char *shown = cescape_markup(strna(s));

	for (const char *p = strna(shown); *p; p++)
		switch (*p) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*p, f);
		}
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* A tick every 1, 2 or 5 times a power of ten microseconds, at most ten of them. */
static uint64_t tick_step(uint64_t end)
{
	uint64_t raw = end / 10, mag = 1000; /* the journal counts in milliseconds */

	while (mag <= raw / 10)
		mag *= 10;
	return raw <= mag ? mag : raw <= 2 * mag ? 2 * mag : raw <= 5 * mag ? 5 * mag : 10 * mag;
}

static int decimals(uint64_t step)
{
	return step >= 1000000 ? 0 : step >= 100000 ? 1 : step >= 10000 ? 2 : 3;
}

/* "done in 0.204 s, then undone": how the step went, in words. */
static void print_outcome(const struct journal_step *s, FILE *f)
{
	if (s->has_duration) {
		fprintf(f, "%s in %.3f s", step_state_to_string(s->ran),
			(double)s->duration_usec / 1e6);
		if (s->state != s->ran)
			fprintf(f, ", then %s", step_state_to_string(s->state));
	} else if (s->state == STATE_RUNNING)
		fprintf(f, "started at %.3f s, no end recorded", (double)s->start_usec / 1e6);
	else if (s->state == STATE_PENDING)
		fputs("no record in the journal", f);
	else
		fputs(step_state_to_string(s->state), f);
}

static void print_row(const struct journal_run *run, size_t i, double scale, uint64_t axis, FILE *f)
{
	const struct journal_step *s = &run->steps[i];
	uint64_t start = min_u64(s->start_usec, axis), len;
	double x, w, y = HEAD_H + (double)i * ROW_H;
	bool mark = false;

	if (s->has_duration)
		len = min_u64(s->duration_usec, axis - start);
	else if (s->state == STATE_RUNNING && s->has_start)
		len = run->last_usec > start ? min_u64(run->last_usec - start, axis - start) : 0;
	else {
		/* Not run (or nothing known): a mark where the journal said so. */
		start = s->state == STATE_PENDING ? 0 : min_u64(s->ended_usec, axis);
		len = 0;
		mark = true;
	}
	x = LEFT + (double)start * scale;
	w = mark ? MARK_W : (double)len * scale;

	fprintf(f, "<g class=\"step\" data-step=\"%zu\">\n", i + 1);
	fprintf(f,
		"<rect class=\"bar %s%s\" x=\"%.3f\" y=\"%.1f\" width=\"%.3f\" height=\"%d\" "
		"fill=\"%s\" data-state=\"%s\" data-start-usec=\"%llu\"",
		step_state_to_string(s->state), s->critical ? " critical" : "", x, y + 3, w, BAR_H,
		plot_state_color(s->state), step_state_to_string(s->state),
		(unsigned long long)start);
	if (s->has_duration)
		fprintf(f, " data-duration-usec=\"%llu\"", (unsigned long long)s->duration_usec);
	if (s->critical)
		fputs(" stroke=\"#000000\" stroke-width=\"3\"", f);
	else if (mark || !s->has_duration)
		fputs(" stroke=\"#777777\" stroke-width=\"1\" stroke-dasharray=\"3,2\"", f);
	else
		fputs(" stroke=\"#555555\" stroke-width=\"0.5\"", f);
	/* The tooltip: everything the journal says of the step. */
	fprintf(f, "><title>step %zu: ", i + 1);
	xml_puts(s->what ? s->what : "(no description)", f);
	fputc('\n', f);
	print_outcome(s, f);
	for (size_t d = 0; d < s->n_deps; d++)
		fprintf(f, "%s%zu", d ? ", " : "\nafter steps ", s->deps[d]);
	if (s->message) {
		fputc('\n', f);
		xml_puts(s->message, f);
	}
	fputs("</title></rect>\n", f);

	/* The outcome's colour again beside the label: a bar of a step that took no time is not seen. */
	fprintf(f,
		"<rect class=\"swatch\" x=\"%.3f\" y=\"%.1f\" width=\"8\" height=\"8\" fill=\"%s\" "
		"stroke=\"#555555\" stroke-width=\"0.5\"/>\n",
		x + w + 5, y + 7, plot_state_color(s->state));
	fprintf(f, "<text class=\"label\" x=\"%.3f\" y=\"%.1f\"%s>%zu  ", x + w + 17, y + 15,
		s->critical ? " font-weight=\"bold\"" : "", i + 1);
	xml_puts(s->what ? s->what : "(no description)", f);
	fputs(": ", f);
	print_outcome(s, f);
	fputs("</text>\n</g>\n", f);
}

static void print_legend(const struct journal_run *run, double y, FILE *f)
{
	bool present[_STATE_MAX] = {};
	double x = LEFT + 70;

	for (size_t i = 0; i < run->n; i++)
		if (run->steps[i].state >= 0 && run->steps[i].state < _STATE_MAX)
			present[run->steps[i].state] = true;
	fprintf(f, "<g class=\"legend\">\n<text x=\"%d\" y=\"%.1f\">Outcome:</text>\n", LEFT,
		y + 12);
	for (int st = 0; st < _STATE_MAX; st++) {
		if (!present[st])
			continue;
		fprintf(f,
			"<rect class=\"legend %s\" x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" "
			"fill=\"%s\" stroke=\"#555555\" stroke-width=\"0.5\"/>\n"
			"<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
			step_state_to_string((enum step_state)st), x, y, colors[st], x + 18, y + 12,
			state_name((enum step_state)st));
		x += 18 + 7.0 * (double)strlen(state_name((enum step_state)st)) + 20;
	}
	y += 26;
	fprintf(f,
		"<rect class=\"legend critical\" x=\"%d\" y=\"%.1f\" width=\"28\" height=\"14\" "
		"fill=\"#ffffff\" stroke=\"#000000\" stroke-width=\"3\"/>\n"
		"<text x=\"%d\" y=\"%.1f\">Thick outline, bold label: the critical path, the longest "
		"chain of step durations along the dependencies (a step starts after the steps it "
		"waits for)",
		LEFT, y, LEFT + 36, y + 12);
	if (run->n_critical) {
		fprintf(f, ": %.3f s, step%s", (double)run->critical_usec / 1e6,
			run->n_critical == 1 ? "" : "s");
		for (size_t k = 0; k < run->n_critical && k < PATH_SHOWN; k++)
			fprintf(f, "%s%zu", k ? " → " : " ", run->critical_path[k]);
		if (run->n_critical > PATH_SHOWN)
			fprintf(f, " and %zu more", run->n_critical - PATH_SHOWN);
	} else
		fputs(": none, no step ran", f);
	fputs(".</text>\n", f);
	fprintf(f,
		"<text x=\"%d\" y=\"%.1f\">A bar starts when its step started and is as long as "
		"it ran (the journal's stamps and durations, to the millisecond); a step that "
		"did not run is a hollow mark.</text>\n</g>\n",
		LEFT, y + 34);
}

int plot_write_svg(const struct journal_run *run, const char *source, FILE *f)
{
	uint64_t end = run->last_usec, step, axis;
	double scale, rows_end = HEAD_H + (double)run->n * ROW_H;
	int width = LEFT + (int)AXIS_W + LABEL_W;

	for (size_t i = 0; i < run->n; i++) {
		const struct journal_step *s = &run->steps[i];
		uint64_t e = s->start_usec + min_u64(s->duration_usec, AXIS_MAX_USEC);

		if (s->has_duration && e > end)
			end = e;
		if (s->has_start && s->start_usec > end)
			end = s->start_usec;
	}
	end = min_u64(end, AXIS_MAX_USEC);
	step = tick_step(end);
	axis = end / step * step < end || end == 0 ? (end / step + 1) * step : end;
	scale = AXIS_W / (double)axis;

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
		"viewBox=\"0 0 %d %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
		width, rows_end + LEGEND_H, width, rows_end + LEGEND_H);
	fputs("<title>kexecq plot: the quiesce that started ", f);
	xml_puts(run->started, f);
	fprintf(f,
		"</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n"
		"<text class=\"heading\" x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">"
		"kexecq: the quiesce that started ",
		LEFT);
	xml_puts(run->started, f);
	fprintf(f, "</text>\n<text class=\"source\" x=\"%d\" y=\"44\">", LEFT);
	xml_puts(source, f);
	if (run->n_runs > 1)
		fprintf(f, ", line %u: the last of %u runs in it", run->line, run->n_runs);
	else
		fprintf(f, ", line %u: the only run in it", run->line);
	if (run->n_skipped)
		fprintf(f, " (%u line%s skipped)", run->n_skipped, run->n_skipped == 1 ? "" : "s");
	fprintf(f, "</text>\n<text class=\"summary\" x=\"%d\" y=\"62\">", LEFT);
	if (run->summary)
		xml_puts(run->summary, f);
	else
		fprintf(f,
			"%zu step%s; no summary: the run did not end in this journal (killed, or "
			"the jump came first)",
			run->n, run->n == 1 ? "" : "s");
	fputs("</text>\n", f);

	/* The time axis: a line and a label per tick. */
	fputs("<g class=\"axis\">\n", f);
	for (uint64_t t = 0; t <= axis; t += step) {
		double x = LEFT + (double)t * scale;

		fprintf(f,
			"<line class=\"tick\" x1=\"%.3f\" y1=\"%d\" x2=\"%.3f\" y2=\"%.0f\" "
			"stroke=\"#dddddd\"/>\n"
			"<text class=\"tick\" x=\"%.3f\" y=\"%d\" text-anchor=\"middle\">%.*f s</text>\n",
			x, HEAD_H - 6, x, rows_end, x, HEAD_H - 12, t ? decimals(step) : 0,
			(double)t / 1e6);
	}
	fputs("</g>\n", f);
	if (run->n == 0)
		fprintf(f, "<text x=\"%d\" y=\"%d\">The run had no steps.</text>\n", LEFT,
			HEAD_H + 15);
	for (size_t i = 0; i < run->n; i++)
		print_row(run, i, scale, axis, f);
	print_legend(run, rows_end + 20, f);
	fputs("</svg>\n", f);
	return ferror(f) ? -EIO : 0;
}
