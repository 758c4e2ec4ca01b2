// SPDX-License-Identifier: LGPL-2.1-or-later
#include <fnmatch.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "strv.h"

/* Where each [Match] field's value lives in struct device (policy.h's table). */
static const size_t field_offset[_MATCH_FIELD_MAX] = {
#define X(id, name, field, kind) [MATCH_##id] = offsetof(struct device, field),
	MATCH_FIELDS(X)
#undef X
};

const char *match_field_value(const struct device *d, enum match_field f)
{
	if (f < 0 || f >= _MATCH_FIELD_MAX)
		return NULL;
	return *(char *const *)((const char *)d + field_offset[f]);
}

/*
 * A missing value (unbound device, no slot) matches no positive list, and
 * every negated one: "Driver=!lpfc" governs unbound devices too.
 */
static bool list_matches(const struct match_list *m, const char *value)
{
	bool any = false;

	if (!m->patterns)
		return true;
	if (value)
		STRV_FOREACH (p, m->patterns)
			if (fnmatch(*p, value, 0) == 0) {
				any = true;
				break;
			}
	return any != m->invert;
}

/* "KEY=glob": the device has property KEY and its value matches glob. */
static bool property_matches(const struct device *d, const char *kv)
{
	size_t kl = strcspn(kv, "=");

	STRV_FOREACH (p, d->properties)
		if (strncmp(*p, kv, kl) == 0 && (*p)[kl] == '=')
			return fnmatch(kv + kl + 1, *p + kl + 1, 0) == 0;
	return false;
}

bool policy_matches(const struct policy *p, const struct device *d, const char *release,
		    const char *version)
{
	if (d->kind != DEVICE_PCI)
		return false;
	/* Driver first: it is set on nearly every policy and rejects fastest. */
	for (int f = 0; f < _MATCH_FIELD_MAX; f++)
		if (!list_matches(&p->match[f], match_field_value(d, f)))
			return false;
	STRV_FOREACH (kv, p->property)
		if (!property_matches(d, *kv))
			return false;
	STRV_FOREACH (e, p->kernel_version)
		if (!kernel_version_matches(*e, release, version))
			return false;
	return true;
}

const struct policy *match_device(const struct policy_set *s, const struct device *d,
				  const char *release, const char *version)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (policy_matches(s->policies[i], d, release, version))
			return s->policies[i];
	return NULL;
}

char *match_explain(const struct policy *p, const struct device *d, const char *release,
		    const char *version)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	bool first = true;

	if (!f)
		return NULL;
	for (int i = 0; i < _MATCH_FIELD_MAX; i++) {
		const struct match_list *m = &p->match[i];
		_cleanup_free_ char *pats = NULL;

		if (!m->patterns)
			continue;
		pats = strv_join(m->patterns, " ");
		fprintf(f, "%s%s=%s%s (line %u: %s)", first ? "" : ", ", match_field_to_string(i),
			m->invert ? "!" : "", strempty(pats), m->line,
			strna(match_field_value(d, i)));
		first = false;
	}
	STRV_FOREACH (kv, p->property) {
		fprintf(f, "%sProperty=%s (line %u)", first ? "" : ", ", *kv,
			p->line[KEY_PROPERTY]);
		first = false;
	}
	if (p->kernel_version) {
		_cleanup_free_ char *e = strv_join(p->kernel_version, " ");

		/* Operators compare the version, globs the release: say both where they differ. */
		if (version)
			fprintf(f, "%sKernelVersion=%s (line %u: %s, release %s)",
				first ? "" : ", ", strempty(e), p->line[KEY_KERNEL_VERSION],
				version, strna(release));
		else
			fprintf(f, "%sKernelVersion=%s (line %u: %s)", first ? "" : ", ",
				strempty(e), p->line[KEY_KERNEL_VERSION], strna(release));
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
