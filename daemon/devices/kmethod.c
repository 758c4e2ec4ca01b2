// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <string.h>

#include "kmethod.h"

static const char *const kmethod_names[_KMETHOD_MAX] = {
	[KMETHOD_AUTO] = "auto",
	[KMETHOD_SHUTDOWN] = "shutdown",
	[KMETHOD_REMOVE] = "remove",
	[KMETHOD_DEFAULT] = "default",
};

static const char *const kaction_names[_KACTION_MAX] = {
	[KACTION_NOTHING] = "nothing",
	[KACTION_SHUTDOWN] = "shutdown",
	[KACTION_REMOVE] = "remove",
};

const char *kernel_method_to_string(enum kernel_method m)
{
	return m >= 0 && m < _KMETHOD_MAX ? kmethod_names[m] : NULL;
}

int kernel_method_from_string(const char *s)
{
	for (int i = 0; i < _KMETHOD_MAX; i++)
		if (streq(s, kmethod_names[i]))
			return i;
	return -EINVAL;
}

int kernel_method_from_sysfs(const char *s)
{
	const char *o = strchr(s, '['), *c = o ? strchr(o, ']') : NULL;

	if (!o || !c)
		return -EINVAL;
	for (int i = 0; i < _KMETHOD_MAX; i++)
		if (strlen(kmethod_names[i]) == (size_t)(c - o - 1) &&
		    strncmp(o + 1, kmethod_names[i], (size_t)(c - o - 1)) == 0)
			return i;
	return -EINVAL;
}

const char *kexec_action_to_string(enum kexec_action a)
{
	return a >= 0 && a < _KACTION_MAX ? kaction_names[a] : NULL;
}

int kexec_action_from_string(const char *s)
{
	for (int i = 0; i < _KACTION_MAX; i++)
		if (streq(s, kaction_names[i]))
			return i;
	return -EINVAL;
}
