// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Prints what the code defines and the documentation must cover, from the
 * tables themselves, for tests/test-man.sh and tests/test-completion.sh:
 *
 *   verb NAME                    kexecq's verbs (verbs[] in kexecq.c)
 *   option VERB -S --LONG[=]     an option each verb takes (options[] and
 *                                option_verbs()); VERB "-" for an option
 *                                that takes no verb (--version); -S is "-"
 *                                without a short form, "=" ends a long
 *                                option that takes a value
 *   key Section.Name             a policy key (daemon/input/policy.c's key
 *                                table and the [Match] X-macro table)
 *   value Section.Name VALUE     an enumerated value of a key
 *
 * kexecq.c is compiled in here with its main() renamed, so that nothing is
 * kept by hand and the CLI has no hidden option for this.
 */
#include <ctype.h>

int kexecq_main(int argc, char *argv[]);
#define main kexecq_main
#include "../daemon/tools/kexecq.c"
#undef main

static void print_option(const char *verb, const struct option *o)
{
	char s[3] = "-";

	if (o->val > 0 && o->val < 0x100 && isalnum(o->val))
		s[1] = (char)o->val;
	printf("option %s %s --%s%s\n", verb, s[1] ? s : "-", o->name,
	       o->has_arg == required_argument ? "=" : "");
}

int main(void)
{
	for (size_t v = 0; v < ELEMENTSOF(verbs); v++)
		printf("verb %s\n", verbs[v].name);
	for (size_t i = 0; options[i].name; i++) {
		unsigned mask = option_verbs(options[i].val);

		if (mask == 0)
			print_option("-", &options[i]);
		for (size_t v = 0; v < ELEMENTSOF(verbs); v++)
			if (mask & verbs[v].verb)
				print_option(verbs[v].name, &options[i]);
	}
	for (int k = 0; k < _KEY_MAX; k++) {
		const char *name = policy_key_to_string(k);

		if (!name) {
			fprintf(stderr, "policy key %d has no entry in the key table\n", k);
			return EXIT_FAIL;
		}
		printf("key %s\n", name);
	}
	for (int f = 0; f < _MATCH_FIELD_MAX; f++)
		printf("key Match.%s\n", match_field_to_string(f));
	for (int a = 0; a < _ACTION_MAX; a++)
		printf("value Quiesce.Action %s\n", policy_action_to_string(a));
	for (int m = 0; m < _KMETHOD_MAX; m++)
		printf("value Quiesce.KernelMethod %s\n", kernel_method_to_string(m));
	return EXIT_OK;
}
