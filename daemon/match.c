// SPDX-License-Identifier: LGPL-2.1-or-later
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "strv.h"

static const enum policy_key field_key[_MATCH_FIELD_MAX] = {
	[MATCH_DRIVER] = KEY_DRIVER,
	[MATCH_MODULE] = KEY_MODULE,
	[MATCH_VENDOR] = KEY_VENDOR,
	[MATCH_DEVICE] = KEY_DEVICE,
	[MATCH_SUBSYSTEM_VENDOR] = KEY_SUBSYSTEM_VENDOR,
	[MATCH_SUBSYSTEM_DEVICE] = KEY_SUBSYSTEM_DEVICE,
	[MATCH_CLASS] = KEY_CLASS,
	[MATCH_MODALIAS] = KEY_MODALIAS,
	[MATCH_PATH] = KEY_PATH,
	[MATCH_SLOT] = KEY_SLOT,
};

const char *match_field_value(const struct device *d, enum match_field f)
{
	switch (f) {
	case MATCH_DRIVER:
		return d->driver;
	case MATCH_MODULE:
		return d->module;
	case MATCH_VENDOR:
		return d->vendor;
	case MATCH_DEVICE:
		return d->device_id;
	case MATCH_SUBSYSTEM_VENDOR:
		return d->subsystem_vendor;
	case MATCH_SUBSYSTEM_DEVICE:
		return d->subsystem_device;
	case MATCH_CLASS:
		return d->class;
	case MATCH_MODALIAS:
		return d->modalias;
	case MATCH_PATH:
		return d->id_path;
	case MATCH_SLOT:
		return d->slot;
	default:
		return NULL;
	}
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

static bool property_matches(const struct device *d, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char key[256];
	const char *v;
	size_t kl = (size_t)(eq - kv);

	if (kl >= sizeof(key))
		return false;
	memcpy(key, kv, kl);
	key[kl] = 0;
	v = device_get_property(d, key);
	return v && fnmatch(eq + 1, v, 0) == 0;
}

bool policy_matches(const struct policy *p, const struct device *d)
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
	return true;
}

const struct policy *match_device(const struct policy_set *s, const struct device *d)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (policy_matches(s->policies[i], d))
			return s->policies[i];
	return NULL;
}

char *match_explain(const struct policy *p, const struct device *d)
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
			m->invert ? "!" : "", strempty(pats), p->line[field_key[i]],
			strna(match_field_value(d, i)));
		first = false;
	}
	STRV_FOREACH (kv, p->property) {
		fprintf(f, "%sProperty=%s (line %u)", first ? "" : ", ", *kv,
			p->line[KEY_PROPERTY]);
		first = false;
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
