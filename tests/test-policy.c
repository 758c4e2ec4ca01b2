// SPDX-License-Identifier: LGPL-2.1-or-later
/* Policy parser and loader: every key, every error path, precedence, masking. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "policy.h"
#include "strv.h"
#include "testlib.h"

/* Parse text as NAME in VERIFY mode; returns r and leaves messages in the log. */
static int parse(const char *text, struct policy **ret, unsigned *errors)
{
	_cleanup_free_ char *dir = testtmp_dir();
	_cleanup_free_ char *path = testtmp_write(dir, "50-test.policy", text);

	*ret = NULL;
	*errors = 0;
	return policy_parse_file(path, "50-test.policy", POLICY_VERIFY, ret, errors);
}

START_TEST(test_every_key)
{
	struct policy *p = test_policy_from_string(
		"70-all.policy", "# a comment\n"
				 "; another comment\n"
				 "[Policy]\n"
				 "Description = Every key once\n"
				 "Documentation=man:kexecq.policy(5) https://example.org/bug\n"
				 "After=10-a 20-b.policy\n"
				 "Before=90-z\n"
				 "\n"
				 "[Match]\n"
				 "Driver=lpfc qla2*\n"
				 "Module=!e1000e\n"
				 "Vendor=0x10DF\n"
				 "Device=f1*\n"
				 "SubsystemVendor=10df\n"
				 "SubsystemDevice=1\n"
				 "Class=0x0c04\n"
				 "Modalias=pci:v000010DF*\n"
				 "Path=pci-0000:04:00.*\n"
				 "Slot=4 5\n"
				 "Property=ID_VENDOR_FROM_DATABASE=Emulex* PCI_SLOT_NAME=0000:*\n"
				 "[Quiesce]\n"
				 "Action=unload\n"
				 "KernelMethod=remove\n"
				 "FlushCache=no\n"
				 "NetworkDown=yes\n"
				 "DisableSRIOV=yes\n"
				 "TimeoutSec=1min 30s\n"
				 "OnFailure=abort\n"
				 "X-Vendor-Extension=ignored\n");

	ck_assert_str_eq(p->description, "Every key once");
	ck_assert_int_eq(strv_length(p->documentation), 2);
	ck_assert_str_eq(p->after[0], "10-a.policy");
	ck_assert_str_eq(p->after[1], "20-b.policy");
	ck_assert_str_eq(p->before[0], "90-z.policy");
	ck_assert_str_eq(p->match[MATCH_DRIVER].patterns[1], "qla2*");
	ck_assert(p->match[MATCH_MODULE].invert);
	ck_assert_str_eq(p->match[MATCH_VENDOR].patterns[0], "10df");
	ck_assert_str_eq(p->match[MATCH_DEVICE].patterns[0], "f1*");
	ck_assert_str_eq(p->match[MATCH_SUBSYSTEM_DEVICE].patterns[0], "0001");
	ck_assert_str_eq(p->match[MATCH_CLASS].patterns[0], "0c04*");
	ck_assert_str_eq(p->match[MATCH_SLOT].patterns[1], "5");
	ck_assert_int_eq(strv_length(p->property), 2);
	ck_assert_int_eq(p->action, ACTION_UNLOAD);
	ck_assert_int_eq(p->kernel_method, KMETHOD_REMOVE);
	ck_assert_int_eq(p->flush_cache, TRI_NO);
	ck_assert(p->network_down);
	ck_assert_int_eq(p->disable_sriov, TRI_YES);
	ck_assert_uint_eq(p->timeout_usec, 90ULL * 1000000ULL);
	ck_assert_int_eq(p->on_failure, ONFAIL_ABORT);
	ck_assert_uint_eq(p->line[KEY_DESCRIPTION], 4);
	ck_assert_uint_eq(p->line[KEY_ACTION], 22);
	ck_assert_uint_eq(p->line[KEY_ON_FAILURE], 28);
	policy_free(p);
}
END_TEST

START_TEST(test_defaults)
{
	struct policy *p = test_policy_from_string("10-min.policy", "[Match]\nDriver=x\n");

	ck_assert_int_eq(p->action, ACTION_KERNEL);
	ck_assert_int_eq(p->kernel_method, KMETHOD_UNSET);
	ck_assert_int_eq(p->flush_cache, TRI_AUTO);
	ck_assert(!p->network_down);
	ck_assert_int_eq(p->disable_sriov, TRI_AUTO);
	ck_assert_uint_eq(p->timeout_usec, POLICY_TIMEOUT_DEFAULT_USEC);
	ck_assert_int_eq(p->on_failure, ONFAIL_CONTINUE);
	ck_assert_uint_eq(p->line[KEY_ACTION], 0);
	policy_free(p);
}
END_TEST

START_TEST(test_continuation_and_reset)
{
	struct policy *p = test_policy_from_string("10-c.policy",
						   "[Match]\n"
						   "Driver=a \\\n"
						   "# comment inside a continuation\n"
						   "  b \\\n"
						   "  c\n"
						   "Module=x\n"
						   "Module=\n"
						   "Module=y\n"
						   "[Quiesce]\n"
						   "Action=unbind\n"
						   "Action=\n");

	ck_assert_int_eq(strv_length(p->match[MATCH_DRIVER].patterns), 3);
	ck_assert_str_eq(p->match[MATCH_DRIVER].patterns[2], "c");
	ck_assert_uint_eq(p->line[KEY_DRIVER], 2);
	ck_assert_int_eq(strv_length(p->match[MATCH_MODULE].patterns), 1);
	ck_assert_str_eq(p->match[MATCH_MODULE].patterns[0], "y");
	ck_assert_int_eq(p->action, ACTION_KERNEL);
	policy_free(p);
}
END_TEST

/* Each bad input: the text, the line the error must name, a fragment of the message. */
static const struct {
	const char *text;
	unsigned line;
	const char *msg;
} bad_inputs[] = {
	{ "[Match]\nDriver=x\n[Quiesce]\nActon=unbind\n", 4, "unknown key \"Acton\"" },
	{ "[Match]\nDriver=x\n[Quiesce]\nAction=explode\n", 4,
	  "Action=: invalid value \"explode\"" },
	{ "[Match]\nDriver=x\n[Quiesce]\nKernelMethod=kexec\n", 4, "KernelMethod=: invalid value" },
	{ "[Match]\nDriver=x\n[Quiesce]\nFlushCache=maybe\n", 4, "FlushCache=: invalid value" },
	{ "[Match]\nDriver=x\n[Quiesce]\nNetworkDown=auto\n", 4, "NetworkDown=: invalid boolean" },
	{ "[Match]\nDriver=x\n[Quiesce]\nDisableSRIOV=2\n", 4, "DisableSRIOV=: invalid value" },
	{ "[Match]\nDriver=x\n[Quiesce]\nTimeoutSec=soon\n", 4, "TimeoutSec=: invalid time span" },
	{ "[Match]\nDriver=x\n[Quiesce]\nTimeoutSec=0\n", 4, "must be greater than zero" },
	{ "[Match]\nDriver=x\n[Quiesce]\nTimeoutSec=2h\n", 4, "longer than one hour" },
	{ "[Match]\nDriver=x\n[Quiesce]\nTimeoutSec=5 fortnights\n", 4, "invalid time span" },
	{ "[Match]\nDriver=x\n[Quiesce]\nOnFailure=retry\n", 4, "OnFailure=: invalid value" },
	{ "[Match]\nDriver=x\n[Bogus]\n", 3, "unknown section [Bogus]" },
	{ "Driver=x\n[Match]\nDriver=x\n", 1, "outside of any section" },
	{ "[Match\nDriver=x\n", 1, "invalid section header" },
	{ "[Match]\nDriver=x\njust words\n", 3, "expected KEY=VALUE" },
	{ "[Match]\nVendor=0x12345\n", 2, "Vendor=: \"0x12345\" is not a 4-digit hex" },
	{ "[Match]\nDevice=zz\n", 2, "Device=: \"zz\" is not" },
	{ "[Match]\nClass=0x0g\n", 2, "Class=: \"0x0g\"" },
	{ "[Match]\nDriver=!\n", 2, "\"!\" must be followed" },
	{ "[Match]\nDriver=a\nDriver=!b\n", 3, "cannot mix negated and plain" },
	{ "[Match]\nProperty=NOVALUE\n", 2, "not of the form KEY=VALUE" },
	{ "[Policy]\nAfter=../etc/passwd\n[Match]\nDriver=x\n", 2, "is not a policy name" },
	{ "[Policy]\nDescription=no match\n", 2, "no [Match] keys" },
	{ "[Match]\n[Quiesce]\nAction=unbind\n", 3, "no [Match] keys" },
};

START_TEST(test_bad_input)
{
	struct policy *p;
	unsigned errors;
	char where[64];
	int r;

	testlog_start();
	r = parse(bad_inputs[_i].text, &p, &errors);
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_ptr_null(p);
	ck_assert_uint_ge(errors, 1);
	snprintf(where, sizeof(where), "50-test.policy:%u: ", bad_inputs[_i].line);
	ck_assert_msg(testlog_contains(where), "expected \"%s\" in: %s", where, testlog_text());
	ck_assert_msg(testlog_contains(bad_inputs[_i].msg), "expected \"%s\" in: %s",
		      bad_inputs[_i].msg, testlog_text());
	testlog_stop();
}
END_TEST

START_TEST(test_all_errors_reported)
{
	struct policy *p;
	unsigned errors;

	testlog_start();
	ck_assert_int_eq(parse("[Match]\nDriver=x\n[Quiesce]\nA=1\nB=2\nAction=no\n", &p, &errors),
			 -EINVAL);
	ck_assert_uint_eq(errors, 3);
	ck_assert(testlog_contains(":4: "));
	ck_assert(testlog_contains(":5: "));
	ck_assert(testlog_contains(":6: "));
	testlog_stop();
}
END_TEST

START_TEST(test_missing_file)
{
	struct policy *p = NULL;
	unsigned errors = 0;

	testlog_start();
	ck_assert_int_eq(policy_parse_file("/nonexistent/x.policy", "x.policy", POLICY_VERIFY, &p,
					   &errors),
			 -ENOENT);
	ck_assert(testlog_contains("/nonexistent/x.policy: cannot open"));
	testlog_stop();
}
END_TEST

/* ---- loading the set ------------------------------------------------------------- */

struct dirs3 {
	char *etc, *run, *lib;
	char *v[4];
};

static void dirs3_init(struct dirs3 *d)
{
	d->etc = testtmp_dir();
	d->run = testtmp_dir();
	d->lib = testtmp_dir();
	d->v[0] = d->etc;
	d->v[1] = d->run;
	d->v[2] = d->lib;
	d->v[3] = NULL;
}

static void dirs3_done(struct dirs3 *d)
{
	free(d->etc);
	free(d->run);
	free(d->lib);
}

START_TEST(test_precedence_and_masking)
{
	struct policy_set *s = NULL;
	struct dirs3 d;
	unsigned errors = 99;
	char *link;

	dirs3_init(&d);
	free(testtmp_write(d.lib, "50-a.policy", "[Match]\nDriver=lib\n"));
	free(testtmp_write(d.run, "50-a.policy", "[Match]\nDriver=run\n"));
	free(testtmp_write(d.etc, "50-a.policy", "[Match]\nDriver=etc\n"));
	free(testtmp_write(d.lib, "10-b.policy", "[Match]\nDriver=b\n"));
	free(testtmp_write(d.lib, "60-masked-empty.policy", "[Match]\nDriver=m\n"));
	free(testtmp_write(d.etc, "60-masked-empty.policy", ""));
	free(testtmp_write(d.lib, "70-masked-null.policy", "[Match]\nDriver=n\n"));
	ck_assert_int_ge(asprintf(&link, "%s/70-masked-null.policy", d.run), 0);
	ck_assert_int_eq(symlink("/dev/null", link), 0);
	free(link);
	free(testtmp_write(d.lib, "80-not-a-policy.conf", "[Match]\nDriver=z\n"));
	free(testtmp_write(d.run, "05-c.policy", "[Match]\nDriver=c\n"));

	ck_assert_int_eq(policy_set_load(d.v, POLICY_RUNTIME, &s, &errors), 0);
	ck_assert_uint_eq(errors, 0);
	ck_assert_uint_eq(s->n, 3);
	/* Lexical order of names, whatever directory they came from. */
	ck_assert_str_eq(s->policies[0]->name, "05-c.policy");
	ck_assert_str_eq(s->policies[1]->name, "10-b.policy");
	ck_assert_str_eq(s->policies[2]->name, "50-a.policy");
	ck_assert_str_eq(s->policies[2]->match[MATCH_DRIVER].patterns[0], "etc");
	ck_assert(strstr(s->policies[2]->path, d.etc) == s->policies[2]->path);
	policy_set_free(s);
	dirs3_done(&d);
}
END_TEST

START_TEST(test_runtime_drops_bad_file_whole)
{
	struct policy_set *s = NULL;
	struct dirs3 d;
	unsigned errors = 0;

	dirs3_init(&d);
	free(testtmp_write(d.lib, "10-good.policy", "[Match]\nDriver=good\n"));
	free(testtmp_write(d.lib, "20-bad.policy",
			   "[Match]\nDriver=bad\n[Quiesce]\nAction=unbind\nTimeoutSec=never\n"));
	testlog_start();
	ck_assert_int_eq(policy_set_load(d.v, POLICY_RUNTIME, &s, &errors), 0);
	ck_assert_uint_eq(errors, 1);
	ck_assert_uint_eq(s->n, 1);
	ck_assert_str_eq(s->policies[0]->name, "10-good.policy");
	ck_assert(testlog_contains("20-bad.policy:5: TimeoutSec=: invalid time span"));
	ck_assert(testlog_contains("20-bad.policy: ignoring the whole file"));
	testlog_stop();
	policy_set_free(s);
	dirs3_done(&d);
}
END_TEST

START_TEST(test_untrusted_files)
{
	struct policy *p = NULL;
	unsigned errors = 0;
	char *dir, *path;

	if (geteuid() != 0)
		return; /* the check applies to root only; nothing to test */
	dir = testtmp_dir();
	path = testtmp_write(dir, "10-w.policy", "[Match]\nDriver=x\n");
	ck_assert_int_eq(chmod(path, 0666), 0);
	testlog_start();
	ck_assert_int_eq(policy_parse_file(path, "10-w.policy", POLICY_VERIFY, &p, &errors),
			 -EINVAL);
	ck_assert(testlog_contains("a user other than root can write"));
	testlog_stop();

	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(chown(path, 65534, 0), 0);
	testlog_start();
	ck_assert_int_eq(policy_parse_file(path, "10-w.policy", POLICY_VERIFY, &p, &errors),
			 -EINVAL);
	ck_assert(testlog_contains("owner 65534"));
	testlog_stop();

	ck_assert_int_eq(chown(path, 0, 0), 0);
	ck_assert_int_eq(chmod(dir, 01777), 0);
	testlog_start();
	ck_assert_int_eq(policy_parse_file(path, "10-w.policy", POLICY_VERIFY, &p, &errors),
			 -EINVAL);
	ck_assert(testlog_contains("world-writable directory"));
	testlog_stop();

	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(policy_parse_file(path, "10-w.policy", POLICY_VERIFY, &p, &errors), 0);
	policy_free(p);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_order_cycle)
{
	struct policy_set *s = NULL;
	char *dirv[2] = {};
	unsigned errors = 0;

	dirv[0] = testtmp_dir();
	free(testtmp_write(dirv[0], "10-a.policy", "[Policy]\nAfter=20-b\n[Match]\nDriver=a\n"));
	free(testtmp_write(dirv[0], "20-b.policy", "[Policy]\nAfter=30-c\n[Match]\nDriver=b\n"));
	free(testtmp_write(dirv[0], "30-c.policy",
			   "[Policy]\nBefore=20-b 10-a\n[Match]\nDriver=c\n"));
	testlog_start();
	ck_assert_int_eq(policy_set_load(dirv, POLICY_VERIFY, &s, &errors), 0);
	ck_assert_uint_eq(errors, 0);
	policy_set_free(s);
	testlog_stop();

	free(testtmp_write(dirv[0], "30-c.policy", "[Policy]\nAfter=10-a\n[Match]\nDriver=c\n"));
	testlog_start();
	ck_assert_int_eq(policy_set_load(dirv, POLICY_VERIFY, &s, &errors), 0);
	ck_assert_uint_eq(errors, 1);
	ck_assert_msg(testlog_contains("ordering cycle between policies"), "%s", testlog_text());
	ck_assert(testlog_contains("10-a.policy"));
	ck_assert(testlog_contains("20-b.policy"));
	ck_assert(testlog_contains("30-c.policy"));
	testlog_stop();
	policy_set_free(s);
	free(dirv[0]);
}
END_TEST

START_TEST(test_missing_dirs)
{
	char *dirv[] = { (char *)"/nonexistent/a", (char *)"/nonexistent/b", NULL };
	struct policy_set *s = NULL;

	ck_assert_int_eq(policy_set_load(dirv, POLICY_RUNTIME, &s, NULL), 0);
	ck_assert_uint_eq(s->n, 0);
	policy_set_free(s);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = test_tcase("parse");

	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_continuation_and_reset);
	tcase_add_loop_test(tc, test_bad_input, 0, (int)ELEMENTSOF(bad_inputs));
	tcase_add_test(tc, test_all_errors_reported);
	tcase_add_test(tc, test_missing_file);
	suite_add_tcase(s, tc);

	tc = test_tcase("load");
	tcase_add_test(tc, test_precedence_and_masking);
	tcase_add_test(tc, test_runtime_drops_bad_file_whole);
	tcase_add_test(tc, test_untrusted_files);
	tcase_add_test(tc, test_order_cycle);
	tcase_add_test(tc, test_missing_dirs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(policy_suite());
}
