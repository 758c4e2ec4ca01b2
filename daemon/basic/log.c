// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static void log_to_stderr(int level, const char *msg, void *userdata)
{
	(void)userdata;
	(void)level;
	fprintf(stderr, "%s\n", msg);
}

static log_fn_t log_fn = log_to_stderr;
static void *log_userdata;
static int log_max_level = LOG_INFO;

void log_set_fn(log_fn_t fn, void *userdata)
{
	log_fn = fn ? fn : log_to_stderr;
	log_userdata = userdata;
}

void log_get_fn(log_fn_t *ret_fn, void **ret_userdata)
{
	*ret_fn = log_fn;
	*ret_userdata = log_userdata;
}

void log_set_max_level(int level)
{
	log_max_level = level;
}

int log_get_max_level(void)
{
	return log_max_level;
}

int log_level_from_string(const char *s)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
	};
	char *end;
	long l;

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (streq(s, names[i]))
			return (int)i;
	errno = 0;
	l = strtol(s, &end, 10);
	if (errno || *end || end == s || l < 0 || l > LOG_DEBUG)
		return -EINVAL;
	return (int)l;
}

int log_internal(int level, int error, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int e = error < 0 ? -error : error;

	/* Let %m print the error we were given, not whatever errno holds. */
	errno = e;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_fn(level, buf, log_userdata);
	return -e;
}
