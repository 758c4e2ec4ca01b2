// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kexecq plot's two halves: the journal read back (journal-read.c), from
 * the fixtures in tests/data/journal/ and from a run of the executor on
 * fake steps written by journal.c itself; and the SVG drawn from it
 * (plot-output.c).  tests/test-pictures.sh parses the SVG of the real
 * binary.
 *
 * KEXECQ_TEST_JOURNAL_OUT=FILE keeps the journal of the run (how
 * tests/data/journal/quiesce.journal was made).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec.h"
#include "journal-read.h"
#include "journal.h"
#include "plot-output.h"
#include "string-util.h"
#include "testlib.h"

static struct journal_run *run;

static void teardown(void)
{
	run = journal_run_free(run);
	testlog_stop();
}

static int read_fixture(const char *name)
{
	_cleanup_free_ char *path = NULL;

	ck_assert_int_ge(asprintf(&path, "%s/journal/%s", TESTDATA, name), 0);
	return journal_run_read_file(path, &run);
}

static char *svg_of(const struct journal_run *r)
{
	char *svg = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&svg, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(plot_write_svg(r, "test <journal> & \"more\"", f), 0);
	ck_assert_int_eq(fclose(f), 0);
	return svg;
}

static size_t count(const char *haystack, const char *needle)
{
	size_t n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* The ids of the steps of the critical path, as "1 9". */
static char *path_of(const struct journal_run *r)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	ck_assert_ptr_nonnull(f);
	for (size_t k = 0; k < r->n_critical; k++)
		fprintf(f, "%s%zu", k ? " " : "", r->critical_path[k]);
	ck_assert_int_eq(fclose(f), 0);
	return s;
}

/* ---- fixtures ---------------------------------------------------------------- */

/*
 * A journal of two runs, the last written by journal.c on the executor's
 * fake steps (below): every outcome, a rollback, a step that came back
 * after its timeout.
 */
START_TEST(test_fixture_last_run)
{
	static const enum step_state want[] = {
		STATE_UNDONE, STATE_UNDONE,    STATE_UNDONE,  STATE_SKIPPED, STATE_GONE,
		STATE_FAILED, STATE_TIMED_OUT, STATE_NOT_RUN, STATE_FAILED,
	};
	_cleanup_free_ char *path = NULL, *svg = NULL;

	ck_assert_int_eq(read_fixture("quiesce.journal"), 0);
	ck_assert_uint_eq(run->n_runs, 2);
	ck_assert_uint_eq(run->line, 7);
	ck_assert_str_eq(run->started, "2026-11-30T12:59:17.812658Z");
	ck_assert_uint_eq(run->n, ELEMENTSOF(want));
	ck_assert_uint_eq(run->n_skipped, 0);
	for (size_t i = 0; i < run->n; i++)
		ck_assert_msg(run->steps[i].state == want[i], "step %zu: %s", i + 1,
			      step_state_to_string(run->steps[i].state));
	/* Undone after it was done; the step that came back late kept its first duration. */
	ck_assert_int_eq(run->steps[0].ran, STATE_DONE);
	ck_assert(run->steps[0].has_duration);
	ck_assert_uint_eq(run->steps[0].duration_usec, 153000);
	ck_assert_uint_eq(run->steps[0].start_usec, 152);
	ck_assert_uint_eq(run->steps[6].duration_usec, 100000);
	ck_assert(!run->steps[7].has_duration);
	ck_assert(!run->steps[7].has_start);
	ck_assert_str_eq(run->steps[5].what, "unbind fail from <script>alert(1)</script>");
	ck_assert_str_eq(run->steps[5].message, "it failed: <b>\"quoted\" & more</b>");
	/* Dependencies, from the "started (after ...)" lines. */
	ck_assert_uint_eq(run->steps[2].n_deps, 1);
	ck_assert_uint_eq(run->steps[2].deps[0], 2);
	ck_assert_uint_eq(run->steps[8].n_deps, 2);
	ck_assert_uint_eq(run->steps[8].deps[0], 1);
	ck_assert_uint_eq(run->steps[8].deps[1], 3);
	path = path_of(run);
	ck_assert_str_eq(path, "1 9");
	for (size_t i = 0; i < run->n; i++)
		ck_assert(run->steps[i].critical == (i == 0 || i == 8));
	ck_assert_ptr_nonnull(run->summary);
	ck_assert_ptr_nonnull(strstr(run->summary, "9 steps: 2 failed, 1 skipped, 1 gone"));

	svg = svg_of(run);
	ck_assert_uint_eq(count(svg, "<rect class=\"bar "), run->n);
	ck_assert_uint_eq(count(svg, "<rect class=\"bar undone critical\""), 1);
	ck_assert_uint_eq(count(svg, "<rect class=\"bar failed critical\""), 1);
	ck_assert_uint_eq(count(svg, " critical\""), 2 + 1); /* and the legend's */
	ck_assert_ptr_null(strstr(svg, "<script>"));
	ck_assert_ptr_nonnull(strstr(svg, "from &lt;script&gt;alert(1)&lt;/script&gt;: failed"));
	ck_assert_ptr_nonnull(strstr(svg, "test &lt;journal&gt; &amp; &quot;more&quot;, line 7: "
					  "the last of 2 runs in it"));
	ck_assert_ptr_nonnull(strstr(svg, "the quiesce that started 2026-11-30T12:59:17.812658Z"));
}
END_TEST

/* Before the journal said what a step waited for: each step on its own. */
START_TEST(test_fixture_without_dependencies)
{
	_cleanup_free_ char *path = NULL;

	ck_assert_int_eq(read_fixture("old-format.journal"), 0);
	ck_assert_uint_eq(run->n, 3);
	ck_assert_uint_eq(run->n_skipped, 0);
	for (size_t i = 0; i < run->n; i++) {
		ck_assert_uint_eq(run->steps[i].n_deps, 0);
		ck_assert_int_eq(run->steps[i].state, STATE_DONE);
	}
	ck_assert_uint_eq(run->steps[1].start_usec, 1200);
	ck_assert_uint_eq(run->steps[2].start_usec, 205300);
	path = path_of(run);
	ck_assert_str_eq(path, "2");
	ck_assert_uint_eq(run->critical_usec, 204000);
}
END_TEST

/*
 * Hostile lines: garbage, numbers beyond any run, steps that are not the
 * run's, dependencies on later steps, markup.  Each is skipped with a
 * warning that names the line; the rest of the run is read.
 */
START_TEST(test_fixture_crafted)
{
	_cleanup_free_ char *svg = NULL;

	testlog_start();
	ck_assert_int_eq(read_fixture("crafted.journal"), 0);
	ck_assert_uint_eq(run->n, 3);
	ck_assert_uint_eq(run->n_skipped, 12);
	ck_assert(testlog_contains("crafted.journal:4: not a journal line (no time stamp); line "
				   "skipped."));
	ck_assert(testlog_contains("crafted.journal:5: not a step count; line skipped."));
	ck_assert(testlog_contains("crafted.journal:6: a step number that is not one of the "
				   "run's; line skipped."));
	ck_assert(testlog_contains("crafted.journal:7: a step can only wait for steps before "
				   "it; line skipped."));
	ck_assert(testlog_contains("crafted.journal:8: a step line without a state; line "
				   "skipped."));
	ck_assert(testlog_contains("crafted.journal:10: not a list of steps after \"started\"; "
				   "line skipped."));
	ck_assert(testlog_contains("crafted.journal:11: a step line without a state"));
	ck_assert(testlog_contains("crafted.journal:13: not a journal line"));
	ck_assert(testlog_contains("crafted.journal:14: not a step count"));
	ck_assert(testlog_contains("crafted.journal:15: not a step number"));
	/* Ten said one by one (4 to 15), the rest (16, 17) counted. */
	ck_assert(!testlog_contains("crafted.journal:16:"));
	ck_assert(testlog_contains("crafted.journal: 2 more lines skipped."));
	ck_assert_int_eq(run->steps[0].state, STATE_DONE);
	ck_assert_str_eq(run->steps[0].what, "unbind <script>alert(\"x\")</script> from a&b");
	ck_assert_uint_eq(run->steps[0].duration_usec, 250000);
	/* A started step whose end the journal never got. */
	ck_assert_int_eq(run->steps[1].state, STATE_RUNNING);
	ck_assert(run->steps[1].has_start && !run->steps[1].has_duration);
	ck_assert_int_eq(run->steps[2].state, STATE_PENDING);
	ck_assert_ptr_null(run->summary);

	svg = svg_of(run);
	ck_assert_ptr_null(strstr(svg, "<script>"));
	ck_assert_ptr_nonnull(strstr(
		svg, "unbind &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; from a&amp;b"));
	ck_assert_ptr_nonnull(strstr(svg, "(12 lines skipped)"));
	ck_assert_ptr_nonnull(strstr(svg, "no summary: the run did not end"));
	ck_assert_ptr_nonnull(strstr(svg, "<rect class=\"bar running"));
	ck_assert_ptr_nonnull(strstr(svg, "<rect class=\"bar pending"));
}
END_TEST

START_TEST(test_fixture_no_run)
{
	testlog_start();
	ck_assert_int_eq(read_fixture("no-run.journal"), -ENOMSG);
	ck_assert_ptr_null(run);
	ck_assert(testlog_contains("no-run.journal: no quiesce in it (no \"quiescing:\" line)."));
}
END_TEST

START_TEST(test_fixture_too_many_steps)
{
	testlog_start();
	ck_assert_int_eq(read_fixture("too-many-steps.journal"), -E2BIG);
	ck_assert(testlog_contains("too-many-steps.journal:2: a run of more than 100000 steps"));
}
END_TEST

START_TEST(test_missing_file)
{
	testlog_start();
	ck_assert_int_eq(read_fixture("nonexistent.journal"), -ENOENT);
	ck_assert(testlog_contains("nonexistent.journal: cannot open: No such file or directory"));
}
END_TEST

/* What a file can hold and a fixture cannot show: NULs, no final newline, nothing. */
START_TEST(test_buffers)
{
	static const char nul[] =
		"2026-01-01T00:00:00.000000Z quiescing: 1 step, 1 at a time\n"
		"2026-01-01T00:00:00.100000Z [1/1] unbind a\0b from c: started\n"
		"2026-01-01T00:00:00.200000Z [1/1] unbind x from c: done in 0.1 s";

	testlog_start();
	ck_assert_int_eq(journal_run_parse("nul", nul, sizeof(nul) - 1, &run), 0);
	ck_assert_uint_eq(run->n_skipped, 1);
	ck_assert(testlog_contains("nul:2: not a journal line"));
	ck_assert_int_eq(run->steps[0].state, STATE_DONE);
	ck_assert_uint_eq(run->steps[0].duration_usec, 100000);
	/* No started line: it began its duration before its end. */
	ck_assert_uint_eq(run->steps[0].start_usec, 100000);
	run = journal_run_free(run);
	ck_assert_int_eq(journal_run_parse("empty", "", 0, &run), -ENOMSG);
	{
		/* No NUL after the data: a line cut short at the end is read within it (ASan). */
		static const char cut[] = "2026-01-01T00:00:00.000000Z quie";
		_cleanup_free_ char *exact = malloc(sizeof(cut) - 1);

		ck_assert_ptr_nonnull(exact);
		memcpy(exact, cut, sizeof(cut) - 1);
		ck_assert_int_eq(journal_run_parse("cut", exact, sizeof(cut) - 1, &run), -ENOMSG);
	}
	ck_assert_int_eq(journal_run_parse("zero", "2026-01-01T00:00:00.000000Z quiescing: 0 steps",
					   46, &run),
			 0);
	ck_assert_uint_eq(run->n, 0);
	ck_assert_uint_eq(run->n_critical, 0);
	free(svg_of(run));
}
END_TEST

/* ---- written by journal.c, read back ------------------------------------------------ */

struct fake {
	char *object;
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int fake_prepare(void *userdata, const struct step *s, void **ret)
{
	struct fake *f = calloc(1, sizeof(*f));

	(void)userdata;
	ck_assert_ptr_nonnull(f);
	f->object = strdup(s->object);
	ck_assert_ptr_nonnull(f->object);
	*ret = f;
	return 0;
}

/* The object says what the step does: "sleep:MS", then "fail", "skip", "gone" or "ok". */
static int fake_run(void *job, char **msg)
{
	struct fake *f = job;
	const char *p = strstr(f->object, "sleep:");

	if (p)
		sleep_ms((unsigned)atoi(p + 6));
	if (strstr(f->object, "fail")) {
		*msg = strdup("it failed: <b>\"quoted\" & more</b>");
		return -EIO;
	}
	if (strstr(f->object, "skip"))
		return -EOPNOTSUPP;
	if (strstr(f->object, "gone"))
		return -ENODEV;
	return 0;
}

/* "noundo": nothing to undo. */
static int fake_undo(void *job, char **msg)
{
	struct fake *f = job;

	*msg = strdup("undone");
	return strstr(f->object, "noundo") ? 0 : 1;
}

static void fake_free(void *job)
{
	struct fake *f = job;

	free(f->object);
	free(f);
}

static const struct exec_ops fake_ops = {
	.prepare = fake_prepare,
	.run = fake_run,
	.undo = fake_undo,
	.free = fake_free,
};

static void on_start(void *userdata, const struct exec_report *r, size_t i)
{
	journal_step_started(userdata, r, i);
}

static void on_end(void *userdata, const struct exec_report *r, size_t i)
{
	journal_step_ended(userdata, r, i);
}

static void add_dep(struct plan *p, size_t id, size_t before)
{
	struct step *s = &p->steps[id - 1];

	s->deps = realloc(s->deps, (s->n_deps + 1) * sizeof(size_t));
	ck_assert_ptr_nonnull(s->deps);
	s->deps[s->n_deps++] = before;
}

/*
 * Every outcome in one run: 1-3 done and then undone by the rollback that
 * 9's failure starts, 4 skipped, 5 gone, 6 failed (the run goes on), 7
 * abandoned at its 0.1 s timeout and back at 0.4 s with nothing to undo,
 * 8 not run (it waits for 7).  Critical path 1 → 9 (0.15 + 0.06 s; 2 → 3
 * is 0.08 s).
 */
static struct plan *every_outcome(void)
{
	static const char *const objects[] = {
		"sleep:150", "sleep:30",	 "sleep:50", "skip",	      "gone",
		"fail",	     "sleep:400+noundo", "ok",	     "sleep:60+fail",
	};
	struct plan *p = calloc(1, sizeof(*p));

	ck_assert_ptr_nonnull(p);
	p->n = ELEMENTSOF(objects);
	p->steps = calloc(p->n, sizeof(*p->steps));
	ck_assert_ptr_nonnull(p->steps);
	for (size_t i = 0; i < p->n; i++) {
		struct step *s = &p->steps[i];

		s->id = i + 1;
		s->type = STEP_UNBIND;
		s->object = strdup(objects[i]);
		s->driver = strdup(i == 5 ? "<script>alert(1)</script>" : "fake");
		s->reason = strdup("test");
		s->timeout_usec = 5000000;
		s->on_failure = ONFAIL_CONTINUE;
		s->method = s->previous_method = KMETHOD_UNSET;
		ck_assert(s->object && s->driver && s->reason);
	}
	add_dep(p, 3, 2);
	add_dep(p, 8, 7);
	add_dep(p, 9, 1);
	add_dep(p, 9, 3);
	p->steps[6].timeout_usec = 100000;
	p->steps[8].on_failure = ONFAIL_ABORT;
	return p;
}

START_TEST(test_written_and_read_back)
{
	_cleanup_(plan_freep) struct plan *p = every_outcome();
	_cleanup_(exec_report_freep) struct exec_report *rep = NULL;
	_cleanup_free_ char *dir = testtmp_dir(), *file = NULL, *summary = NULL, *svg = NULL;
	const char *keep = getenv("KEXECQ_TEST_JOURNAL_OUT");
	struct journal *j = journal_open(dir, NULL);
	struct exec_options o = {
		.jobs = 8,
		.ops = &fake_ops,
		.on_start = on_start,
		.on_end = on_end,
		.event_userdata = j,
	};
	uint64_t steps_end, rollback_end;

	ck_assert_ptr_nonnull(j);
	exec_budget(EXEC_DEADLINE_DEFAULT_USEC, &steps_end, &rollback_end);
	journal_run_started(j, p->n, o.jobs, EXEC_DEADLINE_DEFAULT_USEC, steps_end, rollback_end);
	ck_assert_int_eq(exec_run(p, &o, &rep), 0);
	journal_summary(j, rep);
	ck_assert_ptr_null(journal_close(j));
	ck_assert(rep->aborted);
	ck_assert_int_eq(rep->results[6].state, STATE_TIMED_OUT);
	ck_assert(rep->results[6].late);

	ck_assert_int_ge(asprintf(&file, "%s/journal", dir), 0);
	if (keep) {
		_cleanup_free_ char *cmd = NULL;

		ck_assert_int_ge(asprintf(&cmd, "cp '%s' '%s'", file, keep), 0);
		ck_assert_int_eq(system(cmd), 0);
	}
	ck_assert_int_eq(journal_run_read_file(file, &run), 0);
	ck_assert_uint_eq(run->n_runs, 1);
	ck_assert_uint_eq(run->n_skipped, 0);
	ck_assert_uint_eq(run->n, p->n);
	for (size_t i = 0; i < p->n; i++) {
		const struct step_result *res = &rep->results[i];
		const struct journal_step *s = &run->steps[i];
		_cleanup_free_ char *what = step_describe(&p->steps[i]);
		uint64_t ran = res->end_usec - res->start_usec;

		ck_assert_str_eq(s->what, what);
		ck_assert_msg(s->state == res->state,
			      "step %zu: %s in the journal, %s in the report", i + 1,
			      step_state_to_string(s->state), step_state_to_string(res->state));
		/* A step that did not run has no "started" line to say what it waited for. */
		ck_assert_uint_eq(s->n_deps, res->state == STATE_NOT_RUN ? 0 : p->steps[i].n_deps);
		for (size_t d = 0; d < s->n_deps; d++)
			ck_assert_uint_eq(s->deps[d], p->steps[i].deps[d]);
		ck_assert(s->has_duration == (res->state != STATE_NOT_RUN));
		if (s->has_duration)
			/* "%.3f s": to the millisecond. */
			ck_assert_msg(
				s->duration_usec + 500 >= ran && s->duration_usec <= ran + 500,
				"step %zu: %llu us in the journal, %llu in the report", i + 1,
				(unsigned long long)s->duration_usec, (unsigned long long)ran);
	}
	/* The critical path is the executor's. */
	ck_assert_uint_eq(run->n_critical, rep->n_critical);
	for (size_t k = 0; k < run->n_critical; k++)
		ck_assert_uint_eq(run->critical_path[k], rep->critical_path[k]);
	ck_assert_uint_eq(run->n_critical, 2);
	ck_assert_uint_eq(run->critical_path[0], 1);
	ck_assert_uint_eq(run->critical_path[1], 9);
	summary = exec_report_summary(rep);
	ck_assert_str_eq(run->summary, summary);

	svg = svg_of(run);
	ck_assert_uint_eq(count(svg, "<rect class=\"bar "), p->n);
	ck_assert_ptr_null(strstr(svg, "<script>"));
	ck_assert_ptr_nonnull(strstr(svg, "fill=\"#ff9800\" data-state=\"timed-out\""));
}
END_TEST

/* ---- the drawing ------------------------------------------------------------------------ */

START_TEST(test_colors_distinct)
{
	/* Every outcome has a fill of its own. */
	for (int a = 0; a < _STATE_MAX; a++)
		for (int b = a + 1; b < _STATE_MAX; b++)
			ck_assert_str_ne(plot_state_color((enum step_state)a),
					 plot_state_color((enum step_state)b));
}
END_TEST

static Suite *plot_suite(void)
{
	Suite *s = suite_create("plot");
	TCase *tc = test_tcase("journal-read");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_fixture_last_run);
	tcase_add_test(tc, test_fixture_without_dependencies);
	tcase_add_test(tc, test_fixture_crafted);
	tcase_add_test(tc, test_fixture_no_run);
	tcase_add_test(tc, test_fixture_too_many_steps);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_buffers);
	suite_add_tcase(s, tc);

	tc = test_tcase("written");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_written_and_read_back);
	suite_add_tcase(s, tc);

	tc = test_tcase("plot-output");
	tcase_add_test(tc, test_colors_distinct);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(plot_suite());
}
