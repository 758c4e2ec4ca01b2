// SPDX-License-Identifier: LGPL-2.1-or-later
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-version.h"
#include "macro.h"
#include "string-util.h"
#include "sysfs.h"
#include "values.h"

/* The leading "6.1.192" of word (up to a space, '-', '+' or '~'), if it is a version. */
static char *version_prefix(const char *word)
{
	size_t n = 0, dots = 0;

	while (isdigit((unsigned char)word[n]) || word[n] == '.') {
		if (word[n] == '.') {
			/* No empty component: "6..1" and "6." are not versions. */
			if (n == 0 || word[n - 1] == '.')
				return NULL;
			dots++;
		}
		n++;
	}
	if (n == 0 || dots == 0 || word[n - 1] == '.')
		return NULL;
	/* Not '~': "6.17~rc3" is a release candidate, not 6.17. */
	if (word[n] && !strchr(" \t\n-+", word[n]))
		return NULL;
	return strndup(word, n);
}

static bool same_series(const char *a, const char *b)
{
	unsigned a1, a2, b1, b2;

	return kernel_series(a, &a1, &a2) >= 0 && kernel_series(b, &b1, &b2) >= 0 && a1 == b1 &&
	       a2 == b2;
}

bool kernel_upstream_valid(const char *release, const char *upstream)
{
	_cleanup_free_ char *v = NULL;

	if (!release || !upstream)
		return false;
	v = version_prefix(upstream);
	return v && streq(v, upstream) && same_series(release, upstream);
}

bool kernel_release_says(const char *release, const char *upstream)
{
	const char *rest = startswith(release, upstream);

	return rest && !isdigit((unsigned char)*rest) && *rest != '.';
}

static char *derive(const char *proc_version, const char *version_signature)
{
	/* Ubuntu: "Ubuntu 5.15.0-91.101-generic 5.15.131": the last word. */
	if (version_signature && startswith(version_signature, "Ubuntu ")) {
		const char *end = version_signature + strlen(version_signature), *w;

		while (end > version_signature && isspace((unsigned char)end[-1]))
			end--;
		w = end;
		while (w > version_signature && !isspace((unsigned char)w[-1]))
			w--;
		/* The whole word: not "5.15.131" of "5.15.131-rc1". */
		if (w > version_signature) {
			char *v = version_prefix(w);

			if (v && strlen(v) == (size_t)(end - w))
				return v;
			free(v);
		}
	}
	/*
	 * Debian: "... #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-26)".
	 * Only the part from the last '#' (uname -v): the compiler's version
	 * before it says "(Debian 12.2.0-14+deb12u1)" too.
	 */
	if (proc_version) {
		const char *p = strrchr(proc_version, '#'), *d = NULL, *q;

		for (q = p; q && (q = strstr(q, " Debian ")); q++)
			d = q + strlen(" Debian ");
		if (d)
			return version_prefix(d);
	}
	return NULL;
}

char *kernel_upstream_version(const char *release, const char *proc_version,
			      const char *version_signature)
{
	_cleanup_free_ char *prefix = NULL;
	char *v;

	if (!release)
		return NULL;
	/* "Linux version 6.1.0-57-amd64 (...": another kernel's is ignored. */
	if (proc_version) {
		if (asprintf(&prefix, "Linux version %s ", release) < 0) {
			prefix = NULL;
			return NULL;
		}
		if (!startswith(proc_version, prefix))
			proc_version = NULL;
	}
	v = derive(proc_version, version_signature);
	if (v && (!kernel_upstream_valid(release, v) || kernel_release_says(release, v))) {
		free(v);
		v = NULL;
	}
	return v;
}

char *kernel_upstream_read(const char *proc, const char *release)
{
	_cleanup_free_ char *version = NULL, *signature = NULL;

	(void)sysfs_read(proc, "version", &version);
	(void)sysfs_read(proc, "version_signature", &signature);
	return kernel_upstream_version(release, version, signature);
}
