// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Trust checks on policy files and the directories on the way to them.
 * They apply to root only, so this suite needs root: without it, it is
 * skipped (exit 77) with the reason, never passed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy-set.h"
#include "testlib.h"

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

static Suite *trust_suite(void)
{
	Suite *s = suite_create("trust");
	TCase *tc = test_tcase("trust");

	tcase_add_test(tc, test_file_modes);
	tcase_add_test(tc, test_untrusted_mask);
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_ancestor);
	tcase_add_test(tc, test_symlink_target);
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
