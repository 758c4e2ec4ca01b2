// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <string.h>

#include "kmethod.h"

static const char *const kmethod_names[_KMETHOD_MAX] = {
	[KMETHOD_SHUTDOWN] = "shutdown",
	[KMETHOD_REMOVE] = "remove",
};

static const char *const kaction_names[_KACTION_MAX] = {
	[KACTION_CLEAR_MASTER] = "clear-master",
	[KACTION_SHUTDOWN] = "shutdown",
	[KACTION_REMOVE] = "remove",
};

const char *kernel_method_to_string(enum kernel_method m)
{
	return m >= 0 && m < _KMETHOD_MAX ? kmethod_names[m] : NULL;
}

/* The method named by s[0..n), or -EINVAL. */
static int method_from_word(const char *s, size_t n)
{
	for (int i = 0; i < _KMETHOD_MAX; i++)
		if (strlen(kmethod_names[i]) == n && strncmp(s, kmethod_names[i], n) == 0)
			return i;
	return -EINVAL;
}

int kernel_method_from_string(const char *s)
{
	return s ? method_from_word(s, strlen(s)) : -EINVAL;
}

int kernel_method_from_sysfs(const char *s)
{
	static const char blanks[] = " \t\n";
	bool seen[_KMETHOD_MAX] = {};
	int current = -EINVAL;

	if (!s)
		return -EINVAL;
	for (s += strspn(s, blanks); *s; s += strspn(s, blanks)) {
		size_t n = strcspn(s, blanks);
		bool bracketed = n >= 2 && s[0] == '[' && s[n - 1] == ']';
		int m = bracketed ? method_from_word(s + 1, n - 2) : method_from_word(s, n);

		/* Each method once: "[shutdown] shutdown" is no read of the kernel's. */
		if (m < 0 || seen[m] || (bracketed && current >= 0))
			return -EINVAL;
		seen[m] = true;
		if (bracketed)
			current = m;
		s += n;
	}
	return current;
}

bool kernel_method_is_v2(const char *s)
{
	return s && (streq(s, "auto") || streq(s, "default"));
}

const char *kexec_action_to_string(enum kexec_action a)
{
	return a >= 0 && a < _KACTION_MAX ? kaction_names[a] : NULL;
}

int kexec_action_from_string(const char *s)
{
	for (int i = 0; s && i < _KACTION_MAX; i++)
		if (streq(s, kaction_names[i]))
			return i;
	return -EINVAL;
}

bool kexec_action_is_v2(const char *s)
{
	return s && streq(s, "nothing");
}
