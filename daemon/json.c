// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"
#include "log.h"
#include "match.h"
#include "strv.h"

static void json_object_putp(json_object **o)
{
	if (*o)
		json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_object_putp)

static void json_tokener_freep(json_tokener **t)
{
	if (*t)
		json_tokener_free(*t);
}

static json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* json_object_object_add() takes ownership; NULL values are left out. */
static int add(json_object *o, const char *k, json_object *v)
{
	if (!v)
		return 0;
	return json_object_object_add(o, k, v) < 0 ? -ENOMEM : 0;
}

static int add_str(json_object *o, const char *k, const char *v)
{
	if (!v)
		return 0;
	json_object *s = json_object_new_string(v);

	if (!s)
		return -ENOMEM;
	return add(o, k, s);
}

static json_object *device_to_json(const struct device *d)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	int r = 0;

	if (!o)
		return NULL;
	r |= add_str(o, "kind", device_kind_to_string(d->kind));
	r |= add_str(o, "syspath", d->syspath);
	r |= add_str(o, "name", d->name);
	r |= add_str(o, "driver", d->driver);
	r |= add_str(o, "module", d->module);
	if (d->module_builtin)
		r |= add(o, "module_builtin", json_object_new_boolean(1));
	if (d->kind == DEVICE_PCI) {
		r |= add_str(o, "vendor", d->vendor);
		r |= add_str(o, "device", d->device_id);
		r |= add_str(o, "subsystem_vendor", d->subsystem_vendor);
		r |= add_str(o, "subsystem_device", d->subsystem_device);
		r |= add_str(o, "class", d->class);
		r |= add_str(o, "modalias", d->modalias);
		r |= add_str(o, "slot", d->slot);
		r |= add_str(o, "id_path", d->id_path);
		r |= add_str(o, "physfn", d->physfn_syspath);
		if (d->sriov_totalvfs) {
			r |= add(o, "sriov_numvfs", json_object_new_int64(d->sriov_numvfs));
			r |= add(o, "sriov_totalvfs", json_object_new_int64(d->sriov_totalvfs));
		}
		r |= add_str(o, "kexec_method", kernel_method_to_string(d->kexec_method));
		if (d->has_shutdown >= 0)
			r |= add(o, "has_shutdown", json_object_new_boolean(d->has_shutdown));
	}
	if (d->kind == DEVICE_DISK) {
		r |= add_str(o, "devnode", d->devnode);
		r |= add_str(o, "write_cache", write_cache_to_string(d->write_cache));
	}
	if (d->kind == DEVICE_NET)
		r |= add(o, "up", json_object_new_boolean(d->up));
	if (d->properties) {
		json_object *p = json_object_new_object();

		if (!p)
			return NULL;
		r |= add(o, "properties", p);
		STRV_FOREACH (kv, d->properties) {
			const char *eq = strchr(*kv, '=');
			_cleanup_free_ char *k = eq ? strndup(*kv, (size_t)(eq - *kv)) : NULL;

			if (!k)
				continue;
			r |= add_str(p, k, eq + 1);
		}
	}
	return r ? NULL : TAKE_PTR(o);
}

int inventory_save_json(const struct inventory *inv, FILE *f)
{
	_cleanup_json_ json_object *root = json_object_new_object();
	json_object *kernel, *devs;
	int r = 0;

	if (!root)
		return -ENOMEM;
	r |= add_str(root, "format", INVENTORY_FORMAT);
	r |= add(root, "version", json_object_new_int(INVENTORY_VERSION));
	kernel = json_object_new_object();
	r |= add(root, "kernel", kernel);
	if (!kernel)
		return -ENOMEM;
	r |= add_str(kernel, "release", inv->kernel_release);
	r |= add(kernel, "kexec_method", jstr(kernel_method_to_string(inv->kernel_kexec_method)));
	devs = json_object_new_array();
	r |= add(root, "devices", devs);
	if (!devs || r)
		return -ENOMEM;
	for (size_t i = 0; i < inv->n; i++) {
		json_object *d = device_to_json(inv->devices[i]);

		if (!d || json_object_array_add(devs, d) < 0)
			return -ENOMEM;
	}
	fputs(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_SPACED |
							   JSON_C_TO_STRING_NOSLASHESCAPE),
	      f);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

/* ---- loading ------------------------------------------------------------ */

struct loader {
	const char *path;
	size_t index;
};

static int bad(const struct loader *l, const char *what, const char *key)
{
	return log_error_errno(EBADMSG, "%s: devices[%zu]: %s \"%s\"", l->path, l->index, what,
			       key);
}

static int get_str(const struct loader *l, json_object *o, const char *key, bool required,
		   char **ret)
{
	json_object *v;

	*ret = NULL;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return required ? bad(l, "missing", key) : 0;
	if (!json_object_is_type(v, json_type_string))
		return bad(l, "expected a string for", key);
	*ret = strdup(json_object_get_string(v));
	return *ret ? 0 : -ENOMEM;
}

static int get_bool(const struct loader *l, json_object *o, const char *key, int *ret)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return bad(l, "expected true or false for", key);
	*ret = json_object_get_boolean(v);
	return 0;
}

static int get_uint(const struct loader *l, json_object *o, const char *key, unsigned *ret)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return bad(l, "expected a number for", key);
	n = json_object_get_int64(v);
	if (n < 0 || n > 65535)
		return bad(l, "out of range:", key);
	*ret = (unsigned)n;
	return 0;
}

static int device_from_json(const struct loader *l, json_object *o, struct device **ret)
{
	_cleanup_free_ char *kind = NULL, *syspath = NULL, *name = NULL, *s = NULL;
	_cleanup_(device_freep) struct device *d = NULL;
	json_object *props;
	int k, b, r;

	if (!json_object_is_type(o, json_type_object))
		return log_error_errno(EBADMSG, "%s: devices[%zu]: not an object", l->path,
				       l->index);
	r = get_str(l, o, "kind", true, &kind);
	if (r < 0)
		return r;
	k = device_kind_from_string(kind);
	if (k < 0)
		return bad(l, "unknown kind", kind);
	r = get_str(l, o, "syspath", true, &syspath);
	if (r < 0)
		return r;
	if (syspath[0] != '/')
		return bad(l, "syspath must be absolute:", syspath);
	r = get_str(l, o, "name", true, &name);
	if (r < 0)
		return r;
	d = device_new(k, syspath, name);
	if (!d)
		return -ENOMEM;

	struct {
		const char *key;
		char **field;
	} strs[] = {
		{ "driver", &d->driver },
		{ "module", &d->module },
		{ "vendor", &d->vendor },
		{ "device", &d->device_id },
		{ "subsystem_vendor", &d->subsystem_vendor },
		{ "subsystem_device", &d->subsystem_device },
		{ "class", &d->class },
		{ "modalias", &d->modalias },
		{ "slot", &d->slot },
		{ "id_path", &d->id_path },
		{ "physfn", &d->physfn_syspath },
		{ "devnode", &d->devnode },
	};
	for (size_t i = 0; i < ELEMENTSOF(strs); i++) {
		r = get_str(l, o, strs[i].key, false, strs[i].field);
		if (r < 0)
			return r;
	}
	b = 0;
	r = get_bool(l, o, "module_builtin", &b);
	if (r < 0)
		return r;
	d->module_builtin = b;
	r = get_bool(l, o, "has_shutdown", &d->has_shutdown);
	if (r < 0)
		return r;
	b = 0;
	r = get_bool(l, o, "up", &b);
	if (r < 0)
		return r;
	d->up = b;
	r = get_uint(l, o, "sriov_numvfs", &d->sriov_numvfs);
	if (r < 0)
		return r;
	r = get_uint(l, o, "sriov_totalvfs", &d->sriov_totalvfs);
	if (r < 0)
		return r;
	if (d->sriov_numvfs > d->sriov_totalvfs)
		return bad(l, "sriov_numvfs exceeds", "sriov_totalvfs");

	r = get_str(l, o, "kexec_method", false, &s);
	if (r < 0)
		return r;
	if (s) {
		k = kernel_method_from_string(s);
		if (k < 0)
			return bad(l, "invalid kexec_method", s);
		d->kexec_method = k;
		free(TAKE_PTR(s));
	}
	r = get_str(l, o, "write_cache", false, &s);
	if (r < 0)
		return r;
	if (s) {
		k = write_cache_from_string(s);
		if (k < 0)
			return bad(l, "invalid write_cache", s);
		d->write_cache = k;
	}
	if (json_object_object_get_ex(o, "properties", &props)) {
		if (!json_object_is_type(props, json_type_object))
			return bad(l, "expected an object for", "properties");
		json_object_object_foreach (props, key, val) {
			char *kv;

			if (!json_object_is_type(val, json_type_string))
				return bad(l, "expected a string for property", key);
			if (asprintf(&kv, "%s=%s", key, json_object_get_string(val)) < 0)
				return -ENOMEM;
			if (strv_consume(&d->properties, kv) < 0) {
				free(kv);
				return -ENOMEM;
			}
		}
	}
	*ret = TAKE_PTR(d);
	return 0;
}

int inventory_load_json(const char *path, struct inventory **ret)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t len = 0, cap = 0;

	f = fopen(path, "re");
	if (!f)
		return log_error_errno(errno, "%s: cannot open: %m", path);
	for (;;) {
		size_t n;

		if (cap - len < 65536) {
			char *nb = realloc(buf, cap + 262144);

			if (!nb)
				return log_oom();
			buf = nb;
			cap += 262144;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		return log_error_errno(EIO, "%s: read error", path);
	return inventory_load_json_buffer(path, buf, len, ret);
}

int inventory_load_json_buffer(const char *path, const char *buf, size_t len,
			       struct inventory **ret)
{
	_cleanup_(inventory_freep) struct inventory *inv = inventory_new();
	_cleanup_(json_tokener_freep) json_tokener *tok = NULL;
	_cleanup_json_ json_object *root = NULL;
	json_object *v, *kernel, *devs;
	const char *fmt;
	int r;

	if (!inv)
		return log_oom();
	if (len > INT_MAX)
		return log_error_errno(EFBIG, "%s: too large", path);
	tok = json_tokener_new();
	if (!tok)
		return log_oom();
	root = json_tokener_parse_ex(tok, buf, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success) {
		size_t off = json_tokener_get_parse_end(tok), line = 1;

		for (size_t i = 0; i < off && i < len; i++)
			line += buf[i] == '\n';
		return log_error_errno(EBADMSG, "%s:%zu: not valid JSON: %s", path, line,
				       json_tokener_error_desc(json_tokener_get_error(tok)));
	}
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "format", &v) || !(fmt = json_object_get_string(v)) ||
	    !streq(fmt, INVENTORY_FORMAT))
		return log_error_errno(EBADMSG,
				       "%s: not a kexecq inventory (\"format\" is not \"%s\")",
				       path, INVENTORY_FORMAT);
	if (!json_object_object_get_ex(root, "version", &v) ||
	    !json_object_is_type(v, json_type_int))
		return log_error_errno(EBADMSG, "%s: missing \"version\"", path);
	if (json_object_get_int(v) != INVENTORY_VERSION)
		return log_error_errno(
			EPROTONOSUPPORT,
			"%s: inventory version %d is not supported (this kexecq reads %d)", path,
			json_object_get_int(v), INVENTORY_VERSION);
	if (json_object_object_get_ex(root, "kernel", &kernel)) {
		if (json_object_object_get_ex(kernel, "release", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    !(inv->kernel_release = strdup(json_object_get_string(v))))
			return log_oom();
		if (json_object_object_get_ex(kernel, "kexec_method", &v) &&
		    !json_object_is_type(v, json_type_null)) {
			r = kernel_method_from_string(strempty(json_object_get_string(v)));
			if (r < 0)
				return log_error_errno(EBADMSG,
						       "%s: kernel: invalid kexec_method \"%s\"",
						       path, json_object_get_string(v));
			inv->kernel_kexec_method = r;
		}
	}
	if (!json_object_object_get_ex(root, "devices", &devs) ||
	    !json_object_is_type(devs, json_type_array))
		return log_error_errno(EBADMSG, "%s: missing \"devices\" array", path);

	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		struct loader l = { .path = path, .index = i };
		struct device *d = NULL;

		r = device_from_json(&l, json_object_array_get_idx(devs, i), &d);
		if (r < 0)
			return r;
		r = inventory_add(inv, d);
		if (r < 0) {
			device_free(d);
			return log_oom();
		}
	}
	r = inventory_link(inv);
	if (r < 0)
		return log_error_errno(r, "%s: inconsistent inventory: %m", path);
	inv->source = strdup(path);
	if (!inv->source)
		return log_oom();
	*ret = TAKE_PTR(inv);
	return 0;
}

/* ---- plans ------------------------------------------------------------------ */

static json_object *step_to_json(const struct step *s)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	_cleanup_free_ char *desc = step_describe(s);
	json_object *deps;
	int r = 0;

	if (!o || !desc)
		return NULL;
	r |= add(o, "id", json_object_new_int64((int64_t)s->id));
	r |= add_str(o, "type", step_type_to_string(s->type));
	r |= add_str(o, "object", s->object);
	r |= add_str(o, "description", desc);
	if (s->device)
		r |= add_str(o, "syspath", s->device->syspath);
	r |= add_str(o, "driver", s->driver);
	if (s->type == STEP_SET_KERNEL_METHOD) {
		r |= add_str(o, "method", kernel_method_to_string(s->method));
		r |= add_str(o, "previous_method", kernel_method_to_string(s->previous_method));
	}
	r |= add(o, "level", json_object_new_int((int)s->level));
	deps = json_object_new_array();
	r |= add(o, "after", deps);
	if (!deps)
		return NULL;
	for (size_t i = 0; i < s->n_deps; i++)
		r |= json_object_array_add(deps, json_object_new_int64((int64_t)s->deps[i]));
	r |= add(o, "timeout_usec", json_object_new_int64((int64_t)s->timeout_usec));
	r |= add_str(o, "on_failure", on_failure_to_string(s->on_failure));
	if (s->policy) {
		r |= add_str(o, "policy", s->policy->name);
		r |= add_str(o, "policy_path", s->policy->path);
		r |= add_str(o, "key", policy_key_to_string(s->key));
		if (s->policy->line[s->key])
			r |= add(o, "line", json_object_new_int((int)s->policy->line[s->key]));
	}
	r |= add_str(o, "reason", s->reason);
	return r ? NULL : TAKE_PTR(o);
}

int plan_write_json(const struct plan *plan, const struct inventory *inv, FILE *f)
{
	_cleanup_json_ json_object *root = json_object_new_object();
	json_object *steps, *devs, *warn;
	int r = 0;

	if (!root)
		return -ENOMEM;
	r |= add_str(root, "format", "kexecq-plan");
	r |= add(root, "version", json_object_new_int(1));
	r |= add_str(root, "inventory", inv->source);
	r |= add(root, "kernel_kexec_method",
		 jstr(kernel_method_to_string(inv->kernel_kexec_method)));
	r |= add(root, "levels", json_object_new_int((int)plan->n_levels));
	steps = json_object_new_array();
	devs = json_object_new_array();
	warn = json_object_new_array();
	r |= add(root, "steps", steps);
	r |= add(root, "devices", devs);
	r |= add(root, "warnings", warn);
	if (!steps || !devs || !warn || r)
		return -ENOMEM;
	for (size_t i = 0; i < plan->n; i++) {
		json_object *s = step_to_json(&plan->steps[i]);

		if (!s || json_object_array_add(steps, s) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < plan->n_devices; i++) {
		const struct plan_device *pd = &plan->devices[i];
		json_object *o = json_object_new_object();

		if (!o || json_object_array_add(devs, o) < 0)
			return -ENOMEM;
		r |= add_str(o, "name", pd->device->name);
		r |= add_str(o, "driver", pd->device->driver);
		r |= add_str(o, "policy", pd->policy ? pd->policy->name : NULL);
		if (pd->policy) {
			_cleanup_free_ char *why = match_explain(pd->policy, pd->device);

			r |= add_str(o, "action", policy_action_to_string(pd->policy->action));
			r |= add_str(o, "match", why);
		} else {
			r |= add_str(o, "action", "kernel");
		}
	}
	STRV_FOREACH (w, plan->warnings)
		r |= json_object_array_add(warn, json_object_new_string(*w));
	if (r)
		return -ENOMEM;
	fputs(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_SPACED |
							   JSON_C_TO_STRING_NOSLASHESCAPE),
	      f);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}
