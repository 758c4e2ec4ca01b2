// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Trust checks on policy files and the directories on the way to them,
 * and on the run directory.
 * They apply to root only, so this suite needs root: without it, it is
 * skipped (exit 77) with the reason, never passed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "freeze.h"
#include "journal.h"
#include "log.h"
#include "policy-set.h"
#include "testlib.h"
#include "trust.h"

#define NOBODY 65534

static char *path_in(const char *dir, const char *name)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

/* Two-level search path: etc over lib, each holding a vendor-looking policy. */
struct env {
	char *etc, *lib;
	char *v[3];
};

static void env_init(struct env *e)
{
	e->etc = testtmp_dir();
	e->lib = testtmp_dir();
	e->v[0] = e->etc;
	e->v[1] = e->lib;
	e->v[2] = NULL;
	free(testtmp_write(e->lib, "50-lpfc.policy",
			   "[Match]\nDriver=lpfc\n[Quiesce]\nAction=unbind\n"));
}

static void env_done(struct env *e)
{
	free(e->etc);
	free(e->lib);
}

/*
 * Load strictly and with skipping.  Strict: one error naming the file and
 * why.  Skipping: the vendor policy in lib still governs lpfc.
 */
static void expect_refused(struct env *e, const char *what, const char *why)
{
	struct policy_set *s = NULL;
	unsigned errors = 0;

	testlog_start();
	ck_assert_int_eq(policy_set_load(e->v, 0, &s, &errors), 0);
	ck_assert_uint_eq(errors, 1);
	ck_assert_msg(testlog_contains(what), "expected \"%s\" in: %s", what, testlog_text());
	ck_assert_msg(testlog_contains(why), "expected \"%s\" in: %s", why, testlog_text());
	testlog_stop();
	policy_set_free(s);

	testlog_start();
	ck_assert_int_eq(policy_set_load(e->v, POLICY_SKIP_BROKEN, &s, &errors), 0);
	testlog_stop();
	ck_assert_uint_eq(s->n, 1);
	ck_assert_str_eq(s->policies[0]->name, "50-lpfc.policy");
	ck_assert_msg(strstr(s->policies[0]->path, e->lib) == s->policies[0]->path,
		      "governed by %s", s->policies[0]->path);
	ck_assert_int_eq(s->policies[0]->action, ACTION_UNBIND);
	policy_set_free(s);
}

static void expect_used(struct env *e, const char *dir)
{
	struct policy_set *s = NULL;
	unsigned errors = 0;

	testlog_start();
	ck_assert_int_eq(policy_set_load(e->v, 0, &s, &errors), 0);
	ck_assert_msg(errors == 0, "%s", testlog_text());
	testlog_stop();
	ck_assert(s->n == 0 || strstr(s->policies[0]->path, dir) == s->policies[0]->path);
	policy_set_free(s);
}

START_TEST(test_file_modes)
{
	struct env e;
	_cleanup_free_ char *p = NULL;

	env_init(&e);
	p = testtmp_write(e.etc, "50-lpfc.policy", "[Match]\nDriver=lpfc\n");
	ck_assert_int_eq(chmod(p, 0666), 0);
	expect_refused(&e, "50-lpfc.policy: refusing it", "writable by every user (mode 0666)");

	ck_assert_int_eq(chmod(p, 0664), 0);
	ck_assert_int_eq(chown(p, 0, 1000), 0);
	expect_refused(&e, "50-lpfc.policy: refusing it", "writable by group 1000 (mode 0664)");

	ck_assert_int_eq(chown(p, NOBODY, 0), 0);
	ck_assert_int_eq(chmod(p, 0644), 0);
	expect_refused(&e, "50-lpfc.policy: refusing it", "owned by uid 65534, not root");

	/* Root's group may write. */
	ck_assert_int_eq(chown(p, 0, 0), 0);
	ck_assert_int_eq(chmod(p, 0664), 0);
	expect_used(&e, e.etc);
	env_done(&e);
}
END_TEST

/* An empty file anyone can write must not disable the vendor policy. */
START_TEST(test_untrusted_mask)
{
	struct env e;
	_cleanup_free_ char *p = NULL;

	env_init(&e);
	p = testtmp_write(e.etc, "50-lpfc.policy", "");
	ck_assert_int_eq(chmod(p, 0666), 0);
	expect_refused(&e, "50-lpfc.policy: refusing it", "writable by every user");

	/* In a sticky directory, another user's link to /dev/null is no mask either. */
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(chmod(e.etc, 01777), 0);
	ck_assert_int_eq(symlink("/dev/null", p), 0);
	ck_assert_int_eq(lchown(p, NOBODY, NOBODY), 0);
	expect_refused(&e, "50-lpfc.policy: refusing it", "owned by uid 65534");

	/* Root's own link there is a mask: nothing governs lpfc. */
	ck_assert_int_eq(lchown(p, 0, 0), 0);
	expect_used(&e, e.etc);
	env_done(&e);
}
END_TEST

START_TEST(test_directory)
{
	struct env e;

	env_init(&e);
	free(testtmp_write(e.etc, "50-lpfc.policy", "[Match]\nDriver=lpfc\n"));
	ck_assert_int_eq(chown(e.etc, NOBODY, 0), 0);
	expect_refused(&e, "refusing every policy here: directory", "owned by uid 65534");

	ck_assert_int_eq(chown(e.etc, 0, 1000), 0);
	ck_assert_int_eq(chmod(e.etc, 0775), 0);
	expect_refused(&e, "refusing every policy here", "writable by group 1000 (mode 0775)");

	ck_assert_int_eq(chmod(e.etc, 0757), 0);
	expect_refused(&e, "refusing every policy here", "writable by every user (mode 0757)");

	/* Sticky: others cannot replace root's entries there. */
	ck_assert_int_eq(chmod(e.etc, 01777), 0);
	expect_used(&e, e.etc);
	env_done(&e);
}
END_TEST

/* Every directory on the way counts, not only the last. */
START_TEST(test_ancestor)
{
	struct env e;
	_cleanup_free_ char *top = testtmp_dir();
	_cleanup_free_ char *sub = path_in(top, "policy.d");

	env_init(&e);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	free(testtmp_write(sub, "50-lpfc.policy", "[Match]\nDriver=lpfc\n"));
	free(e.etc);
	e.etc = strdup(sub);
	e.v[0] = e.etc;

	ck_assert_int_eq(chmod(top, 0777), 0);
	expect_refused(&e, "refusing every policy here: directory", "writable by every user");
	ck_assert_int_eq(chmod(top, 01777), 0);
	expect_used(&e, sub);
	ck_assert_int_eq(chmod(top, 0700), 0);
	env_done(&e);
}
END_TEST

/* A policy that is a symlink: where its target lives is checked too. */
START_TEST(test_symlink_target)
{
	struct env e;
	_cleanup_free_ char *elsewhere = testtmp_dir();
	_cleanup_free_ char *target = NULL, *link = NULL;

	env_init(&e);
	target = testtmp_write(elsewhere, "lpfc.policy", "[Match]\nDriver=lpfc\n");
	link = path_in(e.etc, "50-lpfc.policy");
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(chmod(elsewhere, 0777), 0);
	expect_refused(&e, "50-lpfc.policy: refusing it: directory", "writable by every user");
	ck_assert_int_eq(chmod(elsewhere, 0755), 0);
	expect_used(&e, e.etc);
	env_done(&e);
}
END_TEST

/* trust_open_run_dir(path): refused with -expect and a message holding want, nothing created. */
static void expect_run_dir_refused(const char *path, int expect, const char *want)
{
	_cleanup_free_ char *problem = NULL;
	int fd = trust_open_run_dir(path, true, &problem);

	if (fd >= 0)
		close(fd);
	ck_assert_msg(fd == expect, "%s: %d, not %d (%s)", path, fd, expect, strna(problem));
	ck_assert_ptr_nonnull(problem);
	ck_assert_msg(strstr(problem, path), "%s", problem);
	ck_assert_msg(strstr(problem, want), "expected \"%s\" in: %s", want, problem);
}

static void expect_run_dir_used(const char *path)
{
	_cleanup_free_ char *problem = NULL;
	int fd = trust_open_run_dir(path, true, &problem);

	ck_assert_msg(fd >= 0, "%s: %s", path, strna(problem));
	close(fd);
}

/* The run directory (/run/kexecq): root's, writable by root alone, no symlink; created 0700. */
START_TEST(test_run_dir)
{
	_cleanup_free_ char *top = testtmp_dir(), *run = path_in(top, "kexecq");
	_cleanup_free_ char *link = path_in(top, "link"), *file = NULL;
	struct stat st;

	/* Missing: created 0700. */
	expect_run_dir_used(run);
	ck_assert_int_eq(lstat(run, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(chmod(run, 0755), 0);
	expect_run_dir_used(run);

	ck_assert_int_eq(chmod(run, 0777), 0);
	expect_run_dir_refused(run, -EPERM, "writable by every user (mode 0777)");
	ck_assert_int_eq(chmod(run, 01777), 0); /* a sticky bit does not help */
	expect_run_dir_refused(run, -EPERM, "writable by every user (mode 1777)");
	ck_assert_int_eq(chmod(run, 0770), 0); /* nor root's group */
	expect_run_dir_refused(run, -EPERM, "writable by its group (mode 0770)");
	ck_assert_int_eq(chmod(run, 0700), 0);
	ck_assert_int_eq(chown(run, NOBODY, 0), 0);
	expect_run_dir_refused(run, -EPERM, "owned by uid 65534, not root");
	ck_assert_int_eq(chown(run, 0, 0), 0);

	/* A symlink to a good directory, and a file: refused, not followed. */
	ck_assert_int_eq(symlink("kexecq", link), 0);
	expect_run_dir_refused(link, -ELOOP, "is a symlink");
	file = testtmp_write(top, "file", "");
	expect_run_dir_refused(file, -ENOTDIR, "is not a directory");

	/* A directory above that others may write. */
	ck_assert_int_eq(chmod(top, 0777), 0);
	expect_run_dir_refused(run, -EPERM, "writable by every user");
	ck_assert_int_eq(chmod(top, 0700), 0);
	expect_run_dir_used(run);
}
END_TEST

/* Its users: the journal and the frozen plan do not write through a bad one. */
START_TEST(test_run_dir_users)
{
	_cleanup_free_ char *top = testtmp_dir(), *elsewhere = path_in(top, "elsewhere");
	_cleanup_free_ char *link = path_in(top, "kexecq"), *frozen = path_in(link, "frozen");
	_cleanup_free_ char *wide = path_in(top, "wide"), *wide_frozen = path_in(wide, "frozen");
	_cleanup_free_ char *target = path_in(elsewhere, "frozen"), *jpath = NULL;
	struct inventory *inv = test_inventory("server"), *inv2 = NULL;
	struct policy_set *ps = test_policies("server"), *ps2 = NULL;
	struct journal *j;
	struct stat st;

	ck_assert_int_eq(mkdir(elsewhere, 0700), 0);
	ck_assert_int_eq(symlink("elsewhere", link), 0);

	/* A symlinked run directory: no journal, no frozen plan written through it. */
	testlog_start();
	j = journal_open(link, NULL);
	ck_assert_ptr_nonnull(j);
	journal_log(j, LOG_INFO, "written?");
	journal_close(j);
	ck_assert_msg(testlog_contains("is a symlink"), "%s", testlog_text());
	jpath = path_in(elsewhere, "journal");
	ck_assert_int_eq(lstat(jpath, &st), -1);
	ck_assert_int_eq(freeze_write(frozen, inv, ps, "info\n", NULL), -ELOOP);
	ck_assert_int_eq(lstat(target, &st), -1);

	/* Nor read or removed through it. */
	ck_assert_int_eq(mkdir(target, 0700), 0);
	ck_assert_int_eq(freeze_read(frozen, &inv2, &ps2, NULL), -ELOOP);
	ck_assert_int_lt(freeze_remove(frozen), 0);
	ck_assert_int_eq(lstat(target, &st), 0);
	testlog_stop();

	/* One every user may write: the same. */
	ck_assert_int_eq(mkdir(wide, 0700), 0);
	ck_assert_int_eq(chmod(wide, 01777), 0);
	testlog_start();
	ck_assert_int_eq(freeze_write(wide_frozen, inv, ps, "info\n", NULL), -EPERM);
	ck_assert_msg(testlog_contains("Refusing the run directory"), "%s", testlog_text());
	ck_assert_msg(testlog_contains("writable by every user (mode 1777)"), "%s", testlog_text());
	ck_assert_int_eq(lstat(wide_frozen, &st), -1);
	testlog_stop();

	/* A good one works. */
	ck_assert_int_eq(chmod(wide, 0700), 0);
	ck_assert_int_eq(freeze_write(wide_frozen, inv, ps, "info\n", NULL), 0);
	ck_assert_int_eq(freeze_read(wide_frozen, &inv2, &ps2, NULL), 0);
	ck_assert_int_eq(freeze_remove(wide_frozen), 0);
	ck_assert_int_eq(lstat(wide_frozen, &st), -1);
	inventory_free(inv);
	inventory_free(inv2);
	policy_set_free(ps);
	policy_set_free(ps2);
}
END_TEST

static Suite *trust_suite(void)
{
	Suite *s = suite_create("trust");
	TCase *tc = test_tcase("trust");

	tcase_add_test(tc, test_file_modes);
	tcase_add_test(tc, test_untrusted_mask);
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_ancestor);
	tcase_add_test(tc, test_symlink_target);
	tcase_add_test(tc, test_run_dir);
	tcase_add_test(tc, test_run_dir_users);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (geteuid() != 0) {
		printf("SKIP: trust checks apply to root only; run the suite as root\n");
		return 77;
	}
	return test_run_suite(trust_suite());
}
