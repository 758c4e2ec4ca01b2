// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Executor benchmark: independent fake steps that sleep (a step waits on a
 * device, not on a CPU), run by exec_run() as kexecq runs a plan.  For each
 * case it prints the wall time, the critical path (the longest step) and
 * their ratio, which is what a parallel quiesce should keep near 1, and the
 * scheduling cost per step (wall less the ideal, divided by the steps).
 * Asserts nothing: figures for the README.
 *
 *   bench-exec [--runs N]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec.h"

static int b_prepare(void *u, const struct step *s, void **ret)
{
	unsigned *ms = malloc(sizeof(*ms));

	(void)u;
	if (!ms)
		return -ENOMEM;
	*ms = (unsigned)atoi(s->object);
	*ret = ms;
	return 0;
}

static int b_run(void *job, char **m)
{
	unsigned ms = *(unsigned *)job;
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	(void)m;
	while (ms && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}

static int b_undo(void *job, char **m)
{
	(void)job;
	(void)m;
	return 0;
}

static const struct exec_ops ops = { b_prepare, b_run, b_undo, free };

/* Median wall time of runs of n independent steps of ms each; NAN on failure. */
static double bench(size_t n, unsigned ms, unsigned jobs, unsigned runs)
{
	struct step *st = calloc(n, sizeof(*st));
	char obj[16];
	double best[64];
	struct plan p = { .steps = st, .n = n };

	if (!st || runs > 64)
		return -1;
	snprintf(obj, sizeof(obj), "%u", ms);
	for (size_t i = 0; i < n; i++)
		st[i] = (struct step){ .id = i + 1, .object = obj, .timeout_usec = 60000000 };
	for (unsigned k = 0; k < runs; k++) {
		struct exec_options o = { .jobs = jobs, .deadline_usec = 600000000, .ops = &ops };
		struct exec_report *r = NULL;

		if (exec_run(&p, &o, &r) < 0 || r->count[STATE_DONE] != n) {
			fprintf(stderr, "bench-exec: the run failed\n");
			exit(1);
		}
		best[k] = (double)r->wall_usec / 1e6;
		exec_report_free(r);
	}
	free(st);
	/* Insertion sort for the median. */
	for (unsigned i = 1; i < runs; i++)
		for (unsigned j = i; j > 0 && best[j - 1] > best[j]; j--) {
			double t = best[j];

			best[j] = best[j - 1];
			best[j - 1] = t;
		}
	return best[runs / 2];
}

static void line(size_t n, unsigned ms, unsigned jobs, unsigned runs)
{
	unsigned j = jobs ? jobs : exec_default_jobs();
	double wall = bench(n, ms, jobs, runs), crit = ms / 1e3;
	/* What n steps of ms cost at best with j at a time: ceil(n / j) rounds. */
	double ideal = (double)((n + j - 1) / j) * crit;

	printf("%5zu steps x %3u ms, --jobs %-4u%s  wall %7.3f s  critical path %6.3f s  ", n, ms,
	       j, jobs ? "         " : " (default)", wall, crit);
	if (ms)
		printf("ratio %5.2fx", wall / crit);
	else
		printf("             ");
	printf("  overhead %6.1f us/step\n", (wall - ideal) * 1e6 / (double)n);
}

int main(int argc, char **argv)
{
	unsigned runs = 5;
	int c;

	while ((c = getopt(argc, argv, "r:")) >= 0)
		if (c == 'r')
			runs = (unsigned)atoi(optarg);
	if (runs < 1 || runs > 64) {
		fprintf(stderr, "usage: bench-exec [-r RUNS (1-64)]\n");
		return 2;
	}
	printf("exec: independent sleeping steps, median of %u runs; default --jobs here: %u\n",
	       runs, exec_default_jobs());
	line(256, 200, 0, runs);
	line(256, 200, 64, runs);
	line(256, 200, 256, runs);
	line(4096, 10, 0, runs);
	line(4096, 10, 64, runs);
	line(4096, 0, 0, runs);
	return 0;
}
