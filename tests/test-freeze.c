// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The frozen plan in the run directory: written, read back, removed.
 * Removing never follows a symlink, at the top or below it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "freeze.h"
#include "testlib.h"

static char *path_in(const char *dir, const char *name)
{
	char *p = NULL;

	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

static bool exists(const char *dir, const char *name)
{
	char *p = path_in(dir, name);
	struct stat st;
	bool r = lstat(p, &st) == 0;

	free(p);
	return r;
}

/* dir/victim, with a file and a subdirectory with a file: what must survive. */
static char *make_victim(const char *dir)
{
	char *victim = path_in(dir, "victim");
	char *sub = path_in(victim, "sub");

	ck_assert_int_eq(mkdir(victim, 0700), 0);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	free(testtmp_write(victim, "data", "precious\n"));
	free(testtmp_write(sub, "more", "precious too\n"));
	free(sub);
	return victim;
}

static void assert_victim_intact(const char *victim)
{
	ck_assert(exists(victim, "data"));
	ck_assert(exists(victim, "sub/more"));
}

/* RUNDIR/frozen -> ../victim: the link goes, the victim stays. */
START_TEST(test_remove_symlink_at_top)
{
	char *top = testtmp_dir();
	char *run = path_in(top, "run");
	char *frozen = path_in(run, "frozen");
	char *victim = make_victim(top);

	ck_assert_int_eq(mkdir(run, 0700), 0);
	ck_assert_int_eq(symlink("../victim", frozen), 0);
	ck_assert_int_eq(freeze_remove(frozen), 0);
	ck_assert(!exists(run, "frozen"));
	assert_victim_intact(victim);

	/* Also with a trailing slash, which would resolve the link. */
	ck_assert_int_eq(symlink("../victim", frozen), 0);
	free(frozen);
	frozen = path_in(run, "frozen/");
	ck_assert_int_eq(freeze_remove(frozen), 0);
	ck_assert(!exists(run, "frozen"));
	assert_victim_intact(victim);

	/* Nothing there: fine. */
	ck_assert_int_eq(freeze_remove(frozen), 0);
	free(victim);
	free(frozen);
	free(run);
	free(top);
}
END_TEST

/* Links inside the tree, to a directory and to a file: unlinked, never followed. */
START_TEST(test_remove_symlinks_inside)
{
	char *top = testtmp_dir();
	char *frozen = path_in(top, "frozen");
	char *pd = path_in(frozen, "policy.d");
	char *victim = make_victim(top);
	char *l1 = path_in(pd, "evil.d"), *l2 = path_in(frozen, "inventory.json");

	ck_assert_int_eq(mkdir(frozen, 0700), 0);
	ck_assert_int_eq(mkdir(pd, 0700), 0);
	free(testtmp_write(pd, "50-a.policy", "[Match]\n"));
	ck_assert_int_eq(symlink("../../victim", l1), 0);
	ck_assert_int_eq(symlink("../victim/data", l2), 0);
	ck_assert_int_eq(freeze_remove(frozen), 0);
	ck_assert(!exists(top, "frozen"));
	assert_victim_intact(victim);
	free(l1);
	free(l2);
	free(victim);
	free(pd);
	free(frozen);
	free(top);
}
END_TEST

/* The round trip: written, read back, removed. */
START_TEST(test_write_read_remove)
{
	char *top = testtmp_dir();
	char *frozen = path_in(top, "kexecq/frozen");
	struct inventory *inv = test_inventory("server"), *inv2 = NULL;
	struct policy_set *ps = test_policies("server"), *ps2 = NULL;

	ck_assert_int_eq(freeze_write(frozen, inv, ps, "test\n", NULL), 0);
	ck_assert_int_eq(freeze_read(frozen, &inv2, &ps2, NULL), 0);
	ck_assert_uint_eq(ps2->n, ps->n);
	ck_assert_int_eq(freeze_remove(frozen), 0);
	ck_assert(!exists(top, "kexecq/frozen"));
	ck_assert(exists(top, "kexecq"));
	inventory_free(inv);
	inventory_free(inv2);
	policy_set_free(ps);
	policy_set_free(ps2);
	free(frozen);
	free(top);
}
END_TEST

/* The run's settings travel to the hook in run.conf, and come back as given. */
START_TEST(test_settings_round_trip)
{
	char *top = testtmp_dir();
	char *frozen = path_in(top, "kexecq/frozen");
	struct inventory *inv = test_inventory("server"), *inv2 = NULL;
	struct policy_set *ps = test_policies("server"), *ps2 = NULL;
	struct freeze_settings in = { .deadline_usec = 20000000, .jobs = 7 }, out;

	snprintf(in.if_stuck, sizeof(in.if_stuck), "abort");
	ck_assert_int_eq(freeze_write(frozen, inv, ps, "test\n", &in), 0);
	ck_assert_int_eq(freeze_read(frozen, &inv2, &ps2, &out), 0);
	ck_assert_uint_eq(out.deadline_usec, 20000000);
	ck_assert_uint_eq(out.jobs, 7);
	ck_assert_str_eq(out.if_stuck, "abort");
	inventory_free(inv2);
	policy_set_free(ps2);
	inv2 = NULL;
	ps2 = NULL;
	/* Nothing given: the defaults. */
	ck_assert_int_eq(freeze_write(frozen, inv, ps, "test\n", NULL), 0);
	ck_assert_int_eq(freeze_read(frozen, &inv2, &ps2, &out), 0);
	ck_assert_uint_eq(out.deadline_usec, 0);
	ck_assert_uint_eq(out.jobs, 0);
	ck_assert_str_eq(out.if_stuck, "");
	inventory_free(inv);
	inventory_free(inv2);
	policy_set_free(ps);
	policy_set_free(ps2);
	free(frozen);
	free(top);
}
END_TEST

/* run.conf is read by root in the shutdown path: every mistake is an error that says where. */
START_TEST(test_settings_refused)
{
	static const struct {
		const char *text, *message;
	} bad[] = {
		{ "[Run]\nDeadlineSec=forever\n", "run.conf:2: DeadlineSec= must be" },
		{ "[Run]\nDeadlineSec=2h\n", "run.conf:2: DeadlineSec= must be" },
		{ "[Run]\nJobs=0\n", "run.conf:2: Jobs= must be" },
		{ "[Run]\nJobs=99999\n", "run.conf:2: Jobs= must be" },
		{ "[Run]\nIfStuck=panic\n", "run.conf:2: IfStuck= must be" },
		{ "[Run]\nDeadline=1s\n", "run.conf:2: unknown key Deadline=" },
		{ "Jobs=4\n", "run.conf:1: Jobs= outside [Run]" },
		{ "[Other]\nJobs=4\n", "run.conf:2: Jobs= outside [Run]" },
	};
	struct freeze_settings s;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		testlog_start();
		ck_assert_int_eq(freeze_settings_parse("run.conf", bad[i].text, strlen(bad[i].text),
						       &s),
				 -EINVAL);
		ck_assert_msg(testlog_contains(bad[i].message), "%s: got %s", bad[i].message,
			      testlog_text());
		testlog_stop();
	}
	ck_assert_int_eq(freeze_settings_parse("run.conf", "[Run]\nDeadlineSec=30s\n", 22, &s), 0);
	ck_assert_uint_eq(s.deadline_usec, 30000000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("freeze");
	TCase *tc = test_tcase("freeze");

	tcase_add_test(tc, test_remove_symlink_at_top);
	tcase_add_test(tc, test_remove_symlinks_inside);
	tcase_add_test(tc, test_write_read_remove);
	tcase_add_test(tc, test_settings_round_trip);
	tcase_add_test(tc, test_settings_refused);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
