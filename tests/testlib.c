// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot.h"
#include "log.h"
#include "strv.h"
#include "testlib.h"

static char *log_buf;
static size_t log_len;
static FILE *log_stream;

static void capture(int level, const char *msg, void *userdata)
{
	(void)level;
	(void)userdata;
	if (log_stream) {
		fprintf(log_stream, "%s\n", msg);
		fflush(log_stream);
	}
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "log: %s\n", msg);
}

void testlog_start(void)
{
	testlog_stop();
	log_stream = open_memstream(&log_buf, &log_len);
	ck_assert_ptr_nonnull(log_stream);
	log_set_fn(capture, NULL);
	log_set_max_level(LOG_DEBUG);
}

const char *testlog_text(void)
{
	if (log_stream)
		fflush(log_stream);
	return log_buf ? log_buf : "";
}

bool testlog_contains(const char *needle)
{
	return strstr(testlog_text(), needle) != NULL;
}

void testlog_stop(void)
{
	if (log_stream)
		fclose(log_stream);
	log_stream = NULL;
	free(log_buf);
	log_buf = NULL;
	log_len = 0;
	log_set_fn(NULL, NULL);
	log_set_max_level(LOG_WARNING);
}

static char **tmp_dirs;

char *testtmp_dir(void)
{
	const char *t = getenv("TMPDIR");
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/kexecq-test.XXXXXX", t ? t : "/tmp"), 0);
	ck_assert_ptr_nonnull(mkdtemp(p));
	ck_assert_int_eq(strv_extend(&tmp_dirs, p), 0);
	return p;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void testtmp_cleanup(void)
{
	STRV_FOREACH (d, tmp_dirs)
		(void)nftw(*d, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tmp_dirs = strv_free(tmp_dirs);
}

char *testtmp_write(const char *dir, const char *name, const char *content)
{
	char *path;
	FILE *f;

	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
	f = fopen(path, "we");
	ck_assert_msg(f != NULL, "cannot create %s", path);
	fputs(content, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
	return path;
}

/* mkdir -p of the directory that will hold path (its last component excluded). */
static void mkdir_parents(const char *path)
{
	_cleanup_free_ char *p = strdup(path);

	ck_assert_ptr_nonnull(p);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		ck_assert_msg(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", p,
			      strerror(errno));
		*s = '/';
	}
}

char *test_sysfs_tree(const char *name)
{
	_cleanup_free_ char *path = NULL, *line = NULL;
	char *root = testtmp_dir();
	size_t cap = 0;
	FILE *f;

	ck_assert_int_ge(asprintf(&path, "%s/sysfs/%s.tree", TESTDATA, name), 0);
	f = fopen(path, "re");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		_cleanup_free_ char *where = NULL;
		char *rel, *arg;

		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || line[0] == 0)
			continue;
		ck_assert_msg(strlen(line) > 2 && line[1] == ' ', "%s: bad line \"%s\"", path,
			      line);
		rel = line + 2;
		arg = strchr(rel, ' ');
		if (arg)
			*arg++ = 0;
		/* With a trailing slash for a directory, which is then made too. */
		ck_assert_int_ge(asprintf(&where, "%s/%s%s", root, rel, line[0] == 'd' ? "/" : ""),
				 0);
		mkdir_parents(where);
		switch (line[0]) {
		case 'd':
			break;
		case 'f':
			free(testtmp_write(root, rel, arg ? arg : ""));
			break;
		case 'l':
			ck_assert_ptr_nonnull(arg);
			ck_assert_msg(symlink(arg, where) == 0, "symlink %s: %s", where,
				      strerror(errno));
			break;
		default:
			ck_abort_msg("%s: bad line \"%s\"", path, line);
		}
	}
	fclose(f);
	return root;
}

struct inventory *test_inventory(const char *name)
{
	_cleanup_free_ char *path = NULL;
	struct inventory *inv = NULL;
	int r;

	ck_assert_int_ge(asprintf(&path, "%s/inventory/%s.json", TESTDATA, name), 0);
	r = inventory_load_json(path, &inv);
	ck_assert_msg(r >= 0, "loading %s: %s", path, strerror(-r));
	return inv;
}

struct policy_set *test_policies(const char *name)
{
	_cleanup_free_ char *dir = NULL;
	struct policy_set *s = NULL;
	char *dirs[2] = {};
	unsigned errors = 0;

	ck_assert_int_ge(asprintf(&dir, "%s/policy/%s", TESTDATA, name), 0);
	dirs[0] = dir;
	ck_assert_int_eq(policy_set_load(dirs, 0, &s, &errors), 0);
	ck_assert_msg(errors == 0, "%u errors in %s", errors, dir);
	return s;
}

struct policy *test_policy_from_string(const char *name, const char *text)
{
	_cleanup_free_ char *dir = testtmp_dir();
	_cleanup_free_ char *path = testtmp_write(dir, name, text);
	struct policy *p = NULL;
	unsigned errors = 0;
	int r;

	r = policy_parse_file(path, name, POLICY_VERIFY, &p, &errors);
	ck_assert_msg(r == 0, "policy %s did not parse (%u errors)", name, errors);
	return p;
}

int plan_find(const struct plan *p, enum step_type t, const char *object)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->steps[i].type == t && streq(p->steps[i].object, object))
			return (int)i;
	return -1;
}

bool plan_before(const struct plan *p, int a, int b)
{
	/* Depth-first search through b's prerequisites (ids are index + 1). */
	const struct step *s;

	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	s = &p->steps[b];
	for (size_t i = 0; i < s->n_deps; i++) {
		int d = (int)s->deps[i] - 1;

		ck_assert_int_lt(d, b); /* topological order */
		if (d == a || plan_before(p, a, d))
			return true;
	}
	return false;
}

TCase *test_tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, NULL, testtmp_cleanup);
	return tc;
}

int test_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	testtmp_cleanup();
	return failed ? 1 : 0;
}
