// SPDX-License-Identifier: LGPL-2.1-or-later
/* Policy parser and loader: every key, every error path, precedence, masking. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "conf-parser.h"
#include "policy-set.h"
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
	ck_assert_uint_eq(p->match[MATCH_DRIVER].line, 2);
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
	{ "[Match]\nDriver=x\n[Quiesce]\nKernelMethod=kexec\n", 4,
	  "KernelMethod=: invalid value \"kexec\" (expected shutdown or remove)" },
	/* The kexecq series' v2 values: named as such. */
	{ "[Match]\nDriver=x\n[Quiesce]\nKernelMethod=auto\n", 4,
	  "KernelMethod=: \"auto\" was a value of the kexecq kernel series' v2" },
	{ "[Match]\nDriver=x\n[Quiesce]\nOnFailure=abort\nKernelMethod=default\n", 5,
	  "KernelMethod=: \"default\" was a value of the kexecq kernel series' v2, whose "
	  "kexec_method was the driver's; v3's is each device's own and takes shutdown or remove" },
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
	{ "[Match]\nProperty=\"ID_MODEL=a b\n", 2, "unterminated quote" },
	{ "[Match]\nDriver=x\n[Quiesce]\nAction=\"unbind\n", 4, "invalid value \"\"unbind\"" },
	{ "[Match]\nDriver=x\n[Quiesce]\nAction=un\x01"
	  "bind\n",
	  4, "\"un\\x01bind\"" },
	{ "[Match]\nDriver=x\nDriver=\xff\xfe\n", 3, "invalid UTF-8: \"Driver=\\xff\\xfe\"" },
	{ "[Match]\nDriver=x\n\xef\xbb\xbf[Quiesce]\n", 3, "expected KEY=VALUE" },
	{ "[Match]\nVendor=0x\n", 2, "Vendor=: \"0x\" is not" },
	{ "[Match]\nDrive r=x\n", 2, "invalid key \"Drive r\"" },
	{ "[Ma tch]\nDriver=x\n", 1, "invalid section name" },
	{ "[Policy]\nAfter=.hidden\n[Match]\nDriver=x\n", 2, "is not a policy name" },
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

/* Parse size bytes (which may hold NUL bytes) in VERIFY mode. */
static int parse_n(const char *text, size_t size, struct policy **ret, unsigned *errors)
{
	return policy_parse_buffer("50-test.policy", "50-test.policy", text, size, POLICY_VERIFY,
				   ret, errors);
}

START_TEST(test_nul_byte)
{
	static const char text[] = "[Match]\nDriver=lpfc\0evil\n";
	struct policy *p;
	unsigned errors;

	testlog_start();
	ck_assert_int_eq(parse_n(text, sizeof(text) - 1, &p, &errors), -EINVAL);
	ck_assert_uint_ge(errors, 1);
	ck_assert_msg(
		testlog_contains("50-test.policy:2: NUL byte in line: \"Driver=lpfc\\x00evil\""),
		"%s", testlog_text());
	testlog_stop();
}
END_TEST

/* A glob longer than the id's width must be kept whole, never overflow. */
START_TEST(test_long_hex_glob)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *glob = malloc(3001);
	struct policy *p;

	memset(glob, '*', 3000);
	glob[0] = '1';
	glob[3000] = 0;
	ck_assert_int_ge(asprintf(&text,
				  "[Match]\nVendor=%s\nClass=0x%s\nSubsystemDevice=[0-9]*?\n", glob,
				  glob),
			 0);
	p = test_policy_from_string("10-glob.policy", text);
	ck_assert_str_eq(p->match[MATCH_VENDOR].patterns[0], glob);
	ck_assert_str_eq(p->match[MATCH_CLASS].patterns[0], glob);
	ck_assert_str_eq(p->match[MATCH_SUBSYSTEM_DEVICE].patterns[0], "[0-9]*?");
	policy_free(p);
}
END_TEST

START_TEST(test_limits)
{
	size_t big = CONF_LINE_MAX + 10;
	_cleanup_free_ char *text = malloc(2 * big + 64);
	struct policy *p;
	unsigned errors;
	size_t n;

	/* One physical line over the limit. */
	n = (size_t)sprintf(text, "[Match]\nDriver=");
	memset(text + n, 'a', big);
	n += big;
	n += (size_t)sprintf(text + n, "\n");
	testlog_start();
	ck_assert_int_eq(parse_n(text, n, &p, &errors), -EINVAL);
	ck_assert_msg(testlog_contains(":2: line is longer than 65536 bytes"), "%s",
		      testlog_text());
	testlog_stop();

	/* Short lines that continue beyond the limit. */
	n = (size_t)sprintf(text, "[Match]\nDriver=a");
	while (n < 2 * big) {
		memcpy(text + n, " b\\\n", 4);
		n += 4;
	}
	n += (size_t)sprintf(text + n, "c\n");
	testlog_start();
	ck_assert_int_eq(parse_n(text, n, &p, &errors), -EINVAL);
	ck_assert_msg(testlog_contains(":2: continued line is longer than"), "%s", testlog_text());
	testlog_stop();

	/* The whole file. */
	{
		_cleanup_free_ char *huge = calloc(1, CONF_FILE_MAX + 1);

		testlog_start();
		ck_assert_int_eq(parse_n(huge, CONF_FILE_MAX + 1, &p, &errors), -EINVAL);
		ck_assert(testlog_contains("larger than 1048576 bytes"));
		testlog_stop();
	}
}
END_TEST

START_TEST(test_bom_and_quoting)
{
	struct policy *p = test_policy_from_string(
		"10-q.policy", "\xef\xbb\xbf# with a byte order mark\n"
			       "[Match]\n"
			       "Property=ID_MODEL=\"Some Disk\" 'ID_SERIAL=a \\' b' PLAIN=x\\y\n"
			       "Driver=\"qla2xxx\" 'lp fc'\n"
			       "Slot=\"\"\n"
			       "[Policy]\n"
			       "Documentation=\"https://example.org/a b\" man:kexecq(8)\n");

	ck_assert_int_eq(strv_length(p->property), 3);
	ck_assert_str_eq(p->property[0], "ID_MODEL=Some Disk");
	ck_assert_str_eq(p->property[1], "ID_SERIAL=a ' b");
	ck_assert_str_eq(p->property[2], "PLAIN=x\\y");
	ck_assert_str_eq(p->match[MATCH_DRIVER].patterns[0], "qla2xxx");
	ck_assert_str_eq(p->match[MATCH_DRIVER].patterns[1], "lp fc");
	ck_assert_str_eq(p->match[MATCH_SLOT].patterns[0], "");
	ck_assert_str_eq(p->documentation[0], "https://example.org/a b");
	ck_assert_uint_eq(p->match[MATCH_DRIVER].line, 4);
	policy_free(p);
}
END_TEST

/* Only regular files are read: a FIFO must not block, a device must not be read. */
START_TEST(test_not_regular)
{
	_cleanup_free_ char *dir = testtmp_dir();
	_cleanup_free_ char *fifo = NULL;
	struct policy *p = NULL;
	unsigned errors = 0;

	ck_assert_int_ge(asprintf(&fifo, "%s/10-fifo.policy", dir), 0);
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	testlog_start();
	ck_assert_int_eq(policy_parse_file(fifo, "10-fifo.policy", POLICY_VERIFY, &p, &errors),
			 -EINVAL);
	ck_assert(testlog_contains("10-fifo.policy: not a regular file"));
	testlog_stop();

	testlog_start();
	ck_assert_int_eq(policy_parse_file("/dev/zero", "zero.policy", POLICY_VERIFY, &p, &errors),
			 -EINVAL);
	ck_assert(testlog_contains("/dev/zero: not a regular file"));
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

static char *path_in(const char *dir, const char *name)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

static void link_to(const char *target, const char *dir, const char *name)
{
	_cleanup_free_ char *p = path_in(dir, name);

	ck_assert_int_eq(symlink(target, p), 0);
}

START_TEST(test_precedence_and_masking)
{
	struct policy_set *s = NULL;
	struct dirs3 d;
	unsigned errors = 99;

	dirs3_init(&d);
	free(testtmp_write(d.lib, "50-a.policy", "[Match]\nDriver=lib\n"));
	free(testtmp_write(d.run, "50-a.policy", "[Match]\nDriver=run\n"));
	free(testtmp_write(d.etc, "50-a.policy", "[Match]\nDriver=etc\n"));
	free(testtmp_write(d.lib, "10-b.policy", "[Match]\nDriver=b\n"));
	free(testtmp_write(d.lib, "60-masked-empty.policy", "[Match]\nDriver=m\n"));
	free(testtmp_write(d.etc, "60-masked-empty.policy", ""));
	free(testtmp_write(d.lib, "70-masked-null.policy", "[Match]\nDriver=n\n"));
	link_to("/dev/null", d.run, "70-masked-null.policy");
	free(testtmp_write(d.lib, "80-not-a-policy.conf", "[Match]\nDriver=z\n"));
	free(testtmp_write(d.run, "05-c.policy", "[Match]\nDriver=c\n"));
	{
		/* A directory named like a policy is not one. */
		_cleanup_free_ char *sub = path_in(d.lib, "90-dir.policy");

		ck_assert_int_eq(mkdir(sub, 0755), 0);
	}

	ck_assert_int_eq(policy_set_load(d.v, 0, &s, &errors), 0);
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

/* A mask is a link that resolves to the null device, however it is spelled. */
START_TEST(test_mask_spellings)
{
	static const char *const spellings[] = {
		"//dev//null",
		"/dev/./null",
		"/dev/../dev/null",
		NULL /* relative, below */,
	};
	struct policy_set *s = NULL;
	struct dirs3 d;
	unsigned errors = 99;
	_cleanup_free_ char *rel = NULL;

	dirs3_init(&d);
	/* ../../.. from the temporary directory reaches "/" whatever its depth below it. */
	{
		size_t depth = 0;

		for (const char *c = d.etc; *c; c++)
			depth += *c == '/';
		rel = calloc(depth * 3 + 16, 1);
		for (size_t i = 0; i < depth; i++)
			strcat(rel, "../");
		strcat(rel, "dev/null");
	}
	for (size_t i = 0; i < ELEMENTSOF(spellings); i++) {
		_cleanup_free_ char *name = NULL;

		ck_assert_int_ge(asprintf(&name, "%02zu-x.policy", i), 0);
		free(testtmp_write(d.lib, name, "[Match]\nDriver=vendor\n"));
		link_to(spellings[i] ? spellings[i] : rel, d.etc, name);
	}
	/* A link to a regular empty file masks too; a link to /dev/zero is refused. */
	free(testtmp_write(d.lib, "20-empty-target.policy", "[Match]\nDriver=vendor\n"));
	free(testtmp_write(d.run, "empty", ""));
	{
		_cleanup_free_ char *t = path_in(d.run, "empty");

		link_to(t, d.etc, "20-empty-target.policy");
	}
	free(testtmp_write(d.lib, "30-zero.policy", "[Match]\nDriver=vendor\n"));
	link_to("/dev/zero", d.etc, "30-zero.policy");

	testlog_start();
	ck_assert_int_eq(policy_set_load(d.v, 0, &s, &errors), 0);
	/* Only the /dev/zero link is a problem; it does not hide the vendor file. */
	ck_assert_uint_eq(errors, 1);
	ck_assert_msg(testlog_contains("30-zero.policy: refusing it: not a regular file"), "%s",
		      testlog_text());
	testlog_stop();
	ck_assert_uint_eq(s->n, 1);
	ck_assert_str_eq(s->policies[0]->name, "30-zero.policy");
	ck_assert(strstr(s->policies[0]->path, d.lib) == s->policies[0]->path);
	policy_set_free(s);
	dirs3_done(&d);
}
END_TEST

/*
 * A typo in an /etc override: without --ignore-policy-errors the run must
 * stop (errors counted); with it, the vendor file of the same name governs
 * and a warning says so.
 */
START_TEST(test_broken_override)
{
	struct policy_set *s = NULL;
	struct dirs3 d;
	unsigned errors = 0;

	dirs3_init(&d);
	free(testtmp_write(d.lib, "50-lpfc.policy",
			   "[Match]\nDriver=lpfc\n[Quiesce]\nAction=unbind\n"));
	free(testtmp_write(d.etc, "50-lpfc.policy",
			   "[Match]\nDriver=lpfc\n[Quiesce]\nAction=unbind\nTimeoutSec=1 minuet\n"));
	free(testtmp_write(d.lib, "60-other.policy", "[Match]\nDriver=other\n"));

	testlog_start();
	ck_assert_int_eq(policy_set_load(d.v, 0, &s, &errors), 0);
	ck_assert_uint_eq(errors, 1);
	ck_assert_msg(testlog_contains("50-lpfc.policy:5: TimeoutSec=: invalid time span"), "%s",
		      testlog_text());
	testlog_stop();
	policy_set_free(s);

	testlog_start();
	ck_assert_int_eq(policy_set_load(d.v, POLICY_SKIP_BROKEN, &s, &errors), 0);
	ck_assert_uint_eq(errors, 1);
	ck_assert_uint_eq(s->n, 2);
	ck_assert_str_eq(s->policies[0]->name, "50-lpfc.policy");
	ck_assert(strstr(s->policies[0]->path, d.lib) == s->policies[0]->path);
	ck_assert_int_eq(s->policies[0]->action, ACTION_UNBIND);
	ck_assert_msg(testlog_contains("50-lpfc.policy: skipped; "), "%s", testlog_text());
	ck_assert(testlog_contains(" governs its name instead"));
	testlog_stop();
	policy_set_free(s);

	/* With nothing to fall back to, the warning says the default governs. */
	{
		_cleanup_free_ char *v = path_in(d.lib, "50-lpfc.policy");

		ck_assert_int_eq(unlink(v), 0);
	}
	testlog_start();
	ck_assert_int_eq(policy_set_load(d.v, POLICY_SKIP_BROKEN, &s, &errors), 0);
	ck_assert_uint_eq(s->n, 1);
	ck_assert(testlog_contains("the built-in default governs its devices"));
	testlog_stop();
	policy_set_free(s);
	dirs3_done(&d);
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
	ck_assert_int_eq(policy_set_load(dirv, 0, &s, &errors), 0);
	ck_assert_uint_eq(errors, 0);
	policy_set_free(s);
	testlog_stop();

	free(testtmp_write(dirv[0], "30-c.policy", "[Policy]\nAfter=10-a\n[Match]\nDriver=c\n"));
	testlog_start();
	ck_assert_int_eq(policy_set_load(dirv, 0, &s, &errors), 0);
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

	/* The default search path may be missing in parts... */
	ck_assert_int_eq(policy_set_load(dirv, 0, &s, NULL), 0);
	ck_assert_uint_eq(s->n, 0);
	s = policy_set_free(s);
	/* ...a directory asked for by name may not. */
	testlog_start();
	ck_assert_int_eq(policy_set_load(dirv, POLICY_DIRS_EXPLICIT, &s, NULL), -ENOENT);
	ck_assert_ptr_null(s);
	ck_assert(testlog_contains("/nonexistent/a: cannot open policy directory"));
	testlog_stop();
}
END_TEST

/* Too many files: refused before the quadratic order check. */
START_TEST(test_too_many_files)
{
	char *dirv[2] = { testtmp_dir(), NULL };
	struct policy_set *s = NULL;

	for (unsigned i = 0; i <= POLICY_FILES_MAX; i++) {
		_cleanup_free_ char *name = NULL;

		ck_assert_int_ge(asprintf(&name, "%05u.policy", i), 0);
		free(testtmp_write(dirv[0], name, ""));
	}
	testlog_start();
	ck_assert_int_eq(policy_set_load(dirv, 0, &s, NULL), -E2BIG);
	ck_assert(testlog_contains("More than 4096 policy files"));
	testlog_stop();
	free(dirv[0]);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = test_tcase("parse");

	/* test_limits parses files at the size limits: Check's 4 s is short under ASan on a loaded machine. */
	tcase_set_timeout(tc, 60);

	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_continuation_and_reset);
	tcase_add_loop_test(tc, test_bad_input, 0, (int)ELEMENTSOF(bad_inputs));
	tcase_add_test(tc, test_all_errors_reported);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_long_hex_glob);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_bom_and_quoting);
	tcase_add_test(tc, test_not_regular);
	suite_add_tcase(s, tc);

	tc = test_tcase("load");
	/* test_too_many_files writes 4097 files: Check's default 4 s is short on a loaded machine. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_precedence_and_masking);
	tcase_add_test(tc, test_mask_spellings);
	tcase_add_test(tc, test_broken_override);
	tcase_add_test(tc, test_order_cycle);
	tcase_add_test(tc, test_missing_dirs);
	tcase_add_test(tc, test_too_many_files);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(policy_suite());
}
