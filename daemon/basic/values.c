// SPDX-License-Identifier: LGPL-2.1-or-later
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "string-util.h"
#include "values.h"

int parse_boolean(const char *v)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

int parse_timespan(const char *s, uint64_t *ret)
{
	static const struct {
		const char *suffix;
		uint64_t usec;
	} units[] = {
		{ "us", 1ULL },
		{ "usec", 1ULL },
		{ "ms", 1000ULL },
		{ "msec", 1000ULL },
		{ "s", 1000000ULL },
		{ "sec", 1000000ULL },
		{ "second", 1000000ULL },
		{ "seconds", 1000000ULL },
		{ "m", 60000000ULL },
		{ "min", 60000000ULL },
		{ "minute", 60000000ULL },
		{ "minutes", 60000000ULL },
		{ "h", 3600000000ULL },
		{ "hr", 3600000000ULL },
		{ "hour", 3600000000ULL },
		{ "hours", 3600000000ULL },
	};
	uint64_t total = 0;
	const char *p = s;
	bool any = false;

	for (;;) {
		unsigned long long n;
		uint64_t mult = 1000000ULL;
		char *end;
		size_t ul;

		p += strspn(p, " \t");
		if (!*p)
			break;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		errno = 0;
		n = strtoull(p, &end, 10);
		if (errno)
			return -ERANGE;
		p = end;
		p += strspn(p, " \t");
		ul = strspn(p, "abcdefghijklmnopqrstuvwxyz");
		if (ul > 0) {
			bool found = false;

			for (size_t i = 0; i < ELEMENTSOF(units) && !found; i++)
				if (strlen(units[i].suffix) == ul &&
				    strncmp(p, units[i].suffix, ul) == 0) {
					mult = units[i].usec;
					found = true;
				}
			if (!found)
				return -EINVAL;
			p += ul;
		}
		if (n > UINT64_MAX / mult || total + n * mult < total)
			return -ERANGE;
		total += n * mult;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*ret = total;
	return 0;
}

static const char *skip_0x(const char *s)
{
	return s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? s + 2 : s;
}

static void lowercase(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

int hex_id_normalize(const char *s, size_t width, char **ret)
{
	const char *h = skip_0x(s);
	size_t len = strlen(h);
	char *out;

	if (len == 0 || len > width || strspn(h, "0123456789abcdefABCDEF") != len)
		return -EINVAL;
	out = malloc(width + 1);
	if (!out)
		return -ENOMEM;
	memset(out, '0', width - len);
	memcpy(out + width - len, h, len + 1);
	lowercase(out);
	*ret = out;
	return 0;
}

int hex_pattern_normalize(const char *pat, size_t width, bool prefix_short, char **ret)
{
	const char *h = skip_0x(pat);
	size_t len = strlen(h), hex = strspn(h, "0123456789abcdefABCDEF");
	char *out;

	if (len == 0)
		return -EINVAL;
	if (hex == len) {
		if (len > width)
			return -EINVAL;
		if (!prefix_short)
			return hex_id_normalize(h, width, ret);
		/* Sized from the input: the digits, maybe "*", the NUL. */
		out = malloc(len + 2);
		if (!out)
			return -ENOMEM;
		memcpy(out, h, len + 1);
		if (len < width)
			strcat(out, "*");
	} else {
		if (strspn(h, "0123456789abcdefABCDEF*?[]!-") != len)
			return -EINVAL;
		out = strdup(h);
		if (!out)
			return -ENOMEM;
	}
	lowercase(out);
	*ret = out;
	return 0;
}

static bool name_char_ok(char c)
{
	return c > ' ' && c < 0x7f && c != '/';
}

bool name_is_valid(const char *s)
{
	size_t n = 0;

	if (!s || streq(s, ".") || streq(s, ".."))
		return false;
	for (; s[n]; n++)
		if (n >= VALUE_NAME_MAX || !name_char_ok(s[n]))
			return false;
	return n > 0;
}

bool syspath_is_valid(const char *s)
{
	size_t len;

	if (!s || s[0] != '/')
		return false;
	len = strlen(s);
	if (len < 2 || len >= PATH_MAX || s[len - 1] == '/')
		return false;
	for (const char *c = s + 1; *c;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || n > VALUE_NAME_MAX || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!name_char_ok(c[i]))
				return false;
		c += n;
		if (*c == '/')
			c++;
	}
	return true;
}

bool text_is_valid(const char *s, size_t max)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n > max || !utf8_is_valid_n(s, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

int kernel_series(const char *s, unsigned *major, unsigned *minor)
{
	char *end;
	unsigned long a, b;

	errno = 0;
	a = strtoul(s, &end, 10);
	if (errno || end == s || *end != '.' || a > 1000)
		return -EINVAL;
	s = end + 1;
	b = strtoul(s, &end, 10);
	if (errno || end == s || b > 1000)
		return -EINVAL;
	*major = (unsigned)a;
	*minor = (unsigned)b;
	return 0;
}
