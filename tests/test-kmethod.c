// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kexecq series' v3 ABI values (kmethod.h): the bracketed read of a
 * device's kexec_method, the words policies and snapshots use, and the
 * v2 values that are recognised only to be named in errors.
 */
#include <errno.h>

#include "kmethod.h"
#include "testlib.h"

START_TEST(test_from_sysfs)
{
	static const struct {
		const char *text;
		int method;
	} cases[] = {
		/* What the kernel's kexec_method_show() emits, read whole or stripped. */
		{ "[shutdown] remove\n", KMETHOD_SHUTDOWN },
		{ "shutdown [remove]\n", KMETHOD_REMOVE },
		{ "[shutdown] remove", KMETHOD_SHUTDOWN },
		{ "shutdown [remove]", KMETHOD_REMOVE },
		{ "  shutdown\t[remove] \n", KMETHOD_REMOVE },
		/* One word bracketed, every word a method. */
		{ "[remove]", KMETHOD_REMOVE },
		{ "shutdown remove", -EINVAL },
		{ "[shutdown] [remove]", -EINVAL },
		{ "[shutdown] remove kexec", -EINVAL },
		/* Each method once. */
		{ "[shutdown] shutdown", -EINVAL },
		{ "shutdown [shutdown]", -EINVAL },
		{ "remove [shutdown] remove", -EINVAL },
		{ "[remove] remove", -EINVAL },
		{ "[kexec] remove", -EINVAL },
		{ "[ shutdown] remove", -EINVAL },
		{ "[shutdown]remove", -EINVAL },
		{ "[]", -EINVAL },
		{ "[", -EINVAL },
		{ "", -EINVAL },
		/* v2's per-driver read, whatever is bracketed. */
		{ "default [auto] shutdown remove", -EINVAL },
		{ "default auto [shutdown] remove", -EINVAL },
		{ "default auto shutdown [remove]", -EINVAL },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		ck_assert_msg(kernel_method_from_sysfs(cases[i].text) == cases[i].method,
			      "\"%s\": %d, expected %d", cases[i].text,
			      kernel_method_from_sysfs(cases[i].text), cases[i].method);
	ck_assert_int_eq(kernel_method_from_sysfs(NULL), -EINVAL);
}
END_TEST

START_TEST(test_words)
{
	ck_assert_int_eq(kernel_method_from_string("shutdown"), KMETHOD_SHUTDOWN);
	ck_assert_int_eq(kernel_method_from_string("remove"), KMETHOD_REMOVE);
	ck_assert_str_eq(kernel_method_to_string(KMETHOD_SHUTDOWN), "shutdown");
	ck_assert_str_eq(kernel_method_to_string(KMETHOD_REMOVE), "remove");
	ck_assert_ptr_null(kernel_method_to_string(KMETHOD_UNSET));
	ck_assert_ptr_null(kernel_method_to_string(_KMETHOD_MAX));
	ck_assert_int_eq(kernel_method_from_string("[remove]"), -EINVAL);
	ck_assert_int_eq(kernel_method_from_string("Remove"), -EINVAL);
	ck_assert_int_eq(kernel_method_from_string(""), -EINVAL);

	ck_assert_int_eq(kexec_action_from_string("clear-master"), KACTION_CLEAR_MASTER);
	ck_assert_int_eq(kexec_action_from_string("shutdown"), KACTION_SHUTDOWN);
	ck_assert_int_eq(kexec_action_from_string("remove"), KACTION_REMOVE);
	ck_assert_str_eq(kexec_action_to_string(KACTION_CLEAR_MASTER), "clear-master");
	ck_assert_ptr_null(kexec_action_to_string(KACTION_UNKNOWN));
	ck_assert_int_eq(kexec_action_from_string("clear_master"), -EINVAL);
}
END_TEST

/* v2's values are not v3's, and are told apart from typos. */
START_TEST(test_v2_values)
{
	static const char *const v2_methods[] = { "auto", "default" };

	for (size_t i = 0; i < ELEMENTSOF(v2_methods); i++) {
		ck_assert_int_eq(kernel_method_from_string(v2_methods[i]), -EINVAL);
		ck_assert(kernel_method_is_v2(v2_methods[i]));
	}
	ck_assert(!kernel_method_is_v2("shutdown"));
	ck_assert(!kernel_method_is_v2("kexec"));
	ck_assert(!kernel_method_is_v2(NULL));
	ck_assert_int_eq(kexec_action_from_string("nothing"), -EINVAL);
	ck_assert(kexec_action_is_v2("nothing"));
	ck_assert(!kexec_action_is_v2("clear-master"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kmethod");
	TCase *tc = test_tcase("kmethod");

	tcase_add_test(tc, test_from_sysfs);
	tcase_add_test(tc, test_words);
	tcase_add_test(tc, test_v2_values);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
