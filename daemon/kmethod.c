// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>

#include "kmethod.h"

static const char *const kmethod_names[_KMETHOD_MAX] = {
	[KMETHOD_AUTO] = "auto",
	[KMETHOD_SHUTDOWN] = "shutdown",
	[KMETHOD_REMOVE] = "remove",
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
