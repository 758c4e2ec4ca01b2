// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf-parser.h"
#include "json-util.h"
#include "kernel-version.h"
#include "log.h"
#include "snapshot.h"
#include "string-util.h"
#include "strv.h"
#include "values.h"

static json_object *strv_to_json(char *const *l)
{
	json_object *a = json_object_new_array();

	if (!a)
		return NULL;
	STRV_FOREACH (v, l)
		if (json_object_array_add(a, json_object_new_string(*v)) < 0) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

static json_object *mount_to_json(const struct device_mount *m)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	char dev[32];
	int r = 0;

	if (!o)
		return NULL;
	snprintf(dev, sizeof(dev), "%u:%u", m->major, m->minor);
	r |= json_add_str(o, "mount_point", m->mount_point);
	r |= json_add_str(o, "fstype", m->fstype);
	r |= json_add_str(o, "source", m->source);
	r |= json_add_str(o, "dev", dev);
	r |= json_add(o, "read_only", json_object_new_boolean(m->read_only));
	if (m->via)
		r |= json_add(o, "via", strv_to_json(m->via));
	if (m->md)
		r |= json_add(o, "md", strv_to_json(m->md));
	return r ? NULL : TAKE_PTR(o);
}

static json_object *device_to_json(const struct device *d)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	int r = 0;

	if (!o)
		return NULL;
	r |= json_add_str(o, "kind", device_kind_to_string(d->kind));
	r |= json_add_str(o, "syspath", d->syspath);
	r |= json_add_str(o, "name", d->name);
	r |= json_add_str(o, "driver", d->driver);
	r |= json_add_str(o, "module", d->module);
	if (d->module_builtin)
		r |= json_add(o, "module_builtin", json_object_new_boolean(1));
	if (d->suppress_bind_attrs)
		r |= json_add(o, "suppress_bind_attrs", json_object_new_boolean(1));
	if (d->kind == DEVICE_PCI) {
		r |= json_add_str(o, "vendor", d->vendor);
		r |= json_add_str(o, "device", d->device_id);
		r |= json_add_str(o, "subsystem_vendor", d->subsystem_vendor);
		r |= json_add_str(o, "subsystem_device", d->subsystem_device);
		r |= json_add_str(o, "class", d->class);
		r |= json_add_str(o, "modalias", d->modalias);
		r |= json_add_str(o, "slot", d->slot);
		r |= json_add_str(o, "id_path", d->id_path);
		r |= json_add_str(o, "physfn", d->physfn_syspath);
		if (d->sriov_totalvfs) {
			r |= json_add(o, "sriov_numvfs", json_object_new_int64(d->sriov_numvfs));
			r |= json_add(o, "sriov_totalvfs",
				      json_object_new_int64(d->sriov_totalvfs));
		}
		r |= json_add_str(o, "kexec_method", kernel_method_to_string(d->kexec_method));
		r |= json_add_str(o, "kexec_action", kexec_action_to_string(d->kexec_action));
		r |= json_add_str(o, "bound_below", d->bound_below);
		r |= json_add_str(o, "bound_below_driver", d->bound_below_driver);
		if (d->enable_count)
			r |= json_add(o, "enable", json_object_new_int64(d->enable_count));
		if (d->liveupdate_preserved)
			r |= json_add(o, "liveupdate_preserved", json_object_new_boolean(1));
	}
	if (d->kind == DEVICE_DISK) {
		r |= json_add_str(o, "devnode", d->devnode);
		r |= json_add_str(o, "write_cache", write_cache_to_string(d->write_cache));
		if (d->n_mounts) {
			json_object *ms = json_object_new_array();

			if (!ms)
				return NULL;
			r |= json_add(o, "mounts", ms);
			for (size_t i = 0; i < d->n_mounts; i++) {
				json_object *m = mount_to_json(&d->mounts[i]);

				if (!m || json_object_array_add(ms, m) < 0)
					return NULL;
			}
		}
	}
	if (d->kind == DEVICE_NET)
		r |= json_add(o, "up", json_object_new_boolean(d->up));
	if (d->properties) {
		json_object *p = json_object_new_object();

		if (!p)
			return NULL;
		r |= json_add(o, "properties", p);
		STRV_FOREACH (kv, d->properties) {
			const char *eq = strchr(*kv, '=');
			_cleanup_free_ char *k = eq ? strndup(*kv, (size_t)(eq - *kv)) : NULL;

			if (!k)
				continue;
			r |= json_add_str(p, k, eq + 1);
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
	r |= json_add_str(root, "format", INVENTORY_FORMAT);
	r |= json_add(root, "version", json_object_new_int(INVENTORY_VERSION));
	kernel = json_object_new_object();
	r |= json_add(root, "kernel", kernel);
	if (!kernel)
		return -ENOMEM;
	r |= json_add_str(kernel, "release", inv->kernel_release);
	if (inv->kernel_upstream)
		r |= json_add_str(kernel, "upstream", inv->kernel_upstream);
	r |= json_add(kernel, "per_device_kexec_method",
		      json_object_new_boolean(inv->kernel_per_device_method));
	devs = json_object_new_array();
	r |= json_add(root, "devices", devs);
	if (!devs || r)
		return -ENOMEM;
	for (size_t i = 0; i < inv->n; i++) {
		json_object *d = device_to_json(inv->devices[i]);

		if (!d || json_object_array_add(devs, d) < 0)
			return -ENOMEM;
	}
	return json_write(root, f);
}

/* ---- loading ------------------------------------------------------------ */

struct loader {
	const char *path;
	int version; /* of the snapshot */
	size_t index;
	const char *name; /* of the device, once known */
};

/* "x.json: devices[3] (0000:00:02.0): <what> "<value>"", value escaped. */
static int bad(const struct loader *l, const char *what, const char *value)
{
	_cleanup_free_ char *shown = value ? cescape(value) : NULL;
	_cleanup_free_ char *name = l->name ? cescape(l->name) : NULL;

	return log_error_errno(EBADMSG, "%s: devices[%zu]%s%s%s: %s%s%s%s", l->path, l->index,
			       name ? " (" : "", strempty(name), name ? ")" : "", what,
			       value ? " \"" : "", strempty(shown), value ? "\"" : "");
}

static int get_str(const struct loader *l, json_object *o, const char *key, bool required,
		   char **ret)
{
	json_object *v;
	const char *s;

	*ret = NULL;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return required ? bad(l, "missing", key) : 0;
	if (!json_object_is_type(v, json_type_string))
		return bad(l, "expected a string for", key);
	s = json_object_get_string(v);
	/* json-c accepts \u0000: a string must not end early. */
	if ((size_t)json_object_get_string_len(v) != strlen(s))
		return bad(l, "NUL byte in", key);
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

/* An optional string naming an enum value: 1 and the value, 0 if absent. */
static int get_enum(const struct loader *l, json_object *o, const char *key,
		    int (*from_string)(const char *s), int *ret)
{
	_cleanup_free_ char *s = NULL;
	int r;

	r = get_str(l, o, key, false, &s);
	if (r < 0 || !s)
		return r;
	r = from_string(s);
	if (r < 0) {
		_cleanup_free_ char *what = NULL;

		if (asprintf(&what, "invalid %s", key) < 0)
			return -ENOMEM;
		return bad(l, what, s);
	}
	*ret = r;
	return 1;
}

/*
 * A device's kexec_method or kexec_action: the v3 ABI's values, in a
 * snapshot of version 4 or later.  Older snapshots took them from v2's
 * per-driver attributes, which meant something else: refused, with the
 * file and field named, rather than read as the device's own.
 */
static int get_kexec_enum(const struct loader *l, json_object *o, const char *key,
			  int (*from_string)(const char *s), bool (*is_v2)(const char *s),
			  const char *values, int *ret)
{
	_cleanup_free_ char *s = NULL, *shown = NULL, *name = NULL;
	int r;

	r = get_str(l, o, key, false, &s);
	if (r < 0 || !s)
		return r;
	r = from_string(s);
	if (r >= 0 && l->version >= INVENTORY_VERSION_KEXEC_V3) {
		*ret = r;
		return 1;
	}
	if (r < 0 && !is_v2(s) && l->version >= INVENTORY_VERSION_KEXEC_V3) {
		_cleanup_free_ char *what = NULL;

		if (asprintf(&what, "invalid %s", key) < 0)
			return -ENOMEM;
		return bad(l, what, s);
	}
	shown = cescape(s);
	name = l->name ? cescape(l->name) : NULL;
	if (l->version < INVENTORY_VERSION_KEXEC_V3)
		return log_error_errno(
			EBADMSG,
			"%s: devices[%zu]%s%s%s: %s \"%s\" is from inventory version %d, which "
			"has the v2 ABI of the kexecq kernel series (per driver); this kexecq "
			"reads v3's (version %d, per device): take the snapshot again",
			l->path, l->index, name ? " (" : "", strempty(name), name ? ")" : "", key,
			strempty(shown), l->version, INVENTORY_VERSION_KEXEC_V3);
	return log_error_errno(EBADMSG,
			       "%s: devices[%zu]%s%s%s: %s \"%s\" is a value of the v2 ABI of "
			       "the kexecq kernel series; v3 has %s",
			       l->path, l->index, name ? " (" : "", strempty(name), name ? ")" : "",
			       key, strempty(shown), values);
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

/* How a string field of a device is checked and normalised. */
enum field_check {
	CHECK_NAME, /* name_is_valid(): drivers, modules, slots */
	CHECK_PATH, /* syspath_is_valid(): physfn, devnode */
	CHECK_HEX4, /* a 4-digit hex id, normalised */
	CHECK_CLASS, /* a 6-digit hex class, normalised */
	CHECK_TEXT, /* printable UTF-8: modalias, ID_PATH */
};

static int check_field(const struct loader *l, const char *key, enum field_check c, char **v)
{
	char *n = NULL;
	int r;

	switch (c) {
	case CHECK_NAME:
		return name_is_valid(*v) ? 0 : bad(l, key, *v);
	case CHECK_PATH:
		return syspath_is_valid(*v) ? 0 : bad(l, key, *v);
	case CHECK_TEXT:
		return text_is_valid(*v, SNAPSHOT_VALUE_MAX) ? 0 : bad(l, key, *v);
	case CHECK_HEX4:
	case CHECK_CLASS:
		r = hex_id_normalize(*v, c == CHECK_HEX4 ? 4 : 6, &n);
		if (r == -EINVAL)
			return bad(l, key, *v);
		if (r < 0)
			return r;
		free(*v);
		*v = n;
		return 0;
	}
	return -EINVAL;
}

/* A list of names ("via", "md") of a mount: at most max, each a valid name. */
static int get_names(const struct loader *l, json_object *o, const char *key, const char *where,
		     char ***ret)
{
	_cleanup_strv_free_ char **v = NULL;
	json_object *a;

	*ret = NULL;
	if (!json_object_object_get_ex(o, key, &a) || json_object_is_type(a, json_type_null))
		return 0;
	if (!json_object_is_type(a, json_type_array) ||
	    json_object_array_length(a) > SNAPSHOT_STACK_MAX)
		return bad(l, where, key);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		const char *s = json_object_get_string(e);

		if (!json_object_is_type(e, json_type_string) ||
		    (size_t)json_object_get_string_len(e) != strlen(s) || !name_is_valid(s))
			return bad(l, where, key);
		if (strv_extend(&v, s) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(v);
	return 0;
}

static int mount_from_json(const struct loader *l, size_t i, json_object *o, struct device_mount *m)
{
	_cleanup_free_ char *where = NULL, *dev = NULL;
	int b = 0, n = 0, r;

	if (asprintf(&where, "mounts[%zu]: invalid", i) < 0)
		return -ENOMEM;
	if (!json_object_is_type(o, json_type_object))
		return bad(l, where, "mount");
	r = get_str(l, o, "mount_point", true, &m->mount_point);
	if (r < 0)
		return r;
	/* Any path the kernel can mount on; printed escaped. */
	if (m->mount_point[0] != '/' || strlen(m->mount_point) >= PATH_MAX)
		return bad(l, where, "mount_point");
	r = get_str(l, o, "fstype", true, &m->fstype);
	if (r < 0)
		return r;
	if (!text_is_valid(m->fstype, VALUE_NAME_MAX) || isempty(m->fstype))
		return bad(l, where, "fstype");
	r = get_str(l, o, "source", true, &m->source);
	if (r < 0)
		return r;
	if (!text_is_valid(m->source, SNAPSHOT_VALUE_MAX))
		return bad(l, where, "source");
	r = get_str(l, o, "dev", true, &dev);
	if (r < 0)
		return r;
	if (sscanf(dev, "%u:%u%n", &m->major, &m->minor, &n) != 2 || (size_t)n != strlen(dev) ||
	    dev[0] < '0' || dev[0] > '9')
		return bad(l, where, "dev");
	r = get_bool(l, o, "read_only", &b);
	if (r < 0)
		return r;
	m->read_only = b;
	r = get_names(l, o, "via", where, &m->via);
	if (r < 0)
		return r;
	return get_names(l, o, "md", where, &m->md);
}

static int mounts_from_json(const struct loader *l, json_object *o, struct device *d)
{
	json_object *ms;
	int r;

	if (!json_object_object_get_ex(o, "mounts", &ms))
		return 0;
	if (d->kind != DEVICE_DISK)
		return bad(l, "mounts on a device that is not a disk", NULL);
	if (!json_object_is_type(ms, json_type_array))
		return bad(l, "expected an array for mounts", NULL);
	if (json_object_array_length(ms) > SNAPSHOT_MOUNTS_MAX)
		return bad(l, "too many mounts", NULL);
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		struct device_mount m = {};

		r = mount_from_json(l, i, json_object_array_get_idx(ms, i), &m);
		if (r >= 0)
			r = device_add_mount(d, &m);
		device_mount_done(&m);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool property_key_is_valid(const char *k)
{
	size_t n = strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");

	return n > 0 && n <= VALUE_NAME_MAX && k[n] == 0;
}

static int device_from_json(struct loader *l, json_object *o, struct device **ret)
{
	_cleanup_free_ char *kind = NULL, *syspath = NULL, *name = NULL;
	_cleanup_(device_freep) struct device *d = NULL;
	json_object *props;
	int k, b, r;

	if (!json_object_is_type(o, json_type_object))
		return bad(l, "not an object", NULL);
	r = get_str(l, o, "name", true, &name);
	if (r < 0)
		return r;
	if (!name_is_valid(name))
		return bad(l, "invalid name", name);
	l->name = name;
	r = get_str(l, o, "kind", true, &kind);
	if (r < 0)
		return r;
	k = device_kind_from_string(kind);
	if (k < 0)
		return bad(l, "unknown kind", kind);
	r = get_str(l, o, "syspath", true, &syspath);
	if (r < 0)
		return r;
	if (!syspath_is_valid(syspath))
		return bad(l, "invalid syspath (absolute, no \".\" or \"..\", no \"//\")", syspath);
	d = device_new(k, syspath, name);
	if (!d)
		return -ENOMEM;

	const struct {
		const char *key;
		char **field;
		enum field_check check;
	} strs[] = {
		{ "driver", &d->driver, CHECK_NAME },
		{ "module", &d->module, CHECK_NAME },
		{ "vendor", &d->vendor, CHECK_HEX4 },
		{ "device", &d->device_id, CHECK_HEX4 },
		{ "subsystem_vendor", &d->subsystem_vendor, CHECK_HEX4 },
		{ "subsystem_device", &d->subsystem_device, CHECK_HEX4 },
		{ "class", &d->class, CHECK_CLASS },
		{ "modalias", &d->modalias, CHECK_TEXT },
		{ "slot", &d->slot, CHECK_NAME },
		{ "id_path", &d->id_path, CHECK_TEXT },
		{ "physfn", &d->physfn_syspath, CHECK_PATH },
		{ "devnode", &d->devnode, CHECK_PATH },
		{ "bound_below", &d->bound_below, CHECK_NAME },
		{ "bound_below_driver", &d->bound_below_driver, CHECK_NAME },
	};
	for (size_t i = 0; i < ELEMENTSOF(strs); i++) {
		r = get_str(l, o, strs[i].key, false, strs[i].field);
		if (r < 0)
			return r;
		if (*strs[i].field) {
			r = check_field(l, strs[i].key, strs[i].check, strs[i].field);
			if (r < 0)
				return r;
		}
	}
	b = 0;
	r = get_bool(l, o, "module_builtin", &b);
	if (r < 0)
		return r;
	d->module_builtin = b;
	b = 0;
	r = get_bool(l, o, "suppress_bind_attrs", &b);
	if (r < 0)
		return r;
	d->suppress_bind_attrs = b;
	b = 0;
	r = get_bool(l, o, "up", &b);
	if (r < 0)
		return r;
	d->up = b;
	b = 0;
	r = get_bool(l, o, "liveupdate_preserved", &b);
	if (r < 0)
		return r;
	d->liveupdate_preserved = b;
	r = get_uint(l, o, "enable", &d->enable_count);
	if (r < 0)
		return r;
	r = get_uint(l, o, "sriov_numvfs", &d->sriov_numvfs);
	if (r < 0)
		return r;
	r = get_uint(l, o, "sriov_totalvfs", &d->sriov_totalvfs);
	if (r < 0)
		return r;
	if (d->sriov_numvfs > d->sriov_totalvfs)
		return bad(l, "sriov_numvfs exceeds sriov_totalvfs", NULL);

	r = get_kexec_enum(l, o, "kexec_method", kernel_method_from_string, kernel_method_is_v2,
			   "shutdown and remove", &k);
	if (r < 0)
		return r;
	if (r > 0)
		d->kexec_method = k;
	r = get_kexec_enum(l, o, "kexec_action", kexec_action_from_string, kexec_action_is_v2,
			   "remove, shutdown and clear-master", &k);
	if (r < 0)
		return r;
	if (r > 0)
		d->kexec_action = k;
	if (d->kind != DEVICE_PCI && (d->bound_below || d->bound_below_driver))
		return bad(l, "bound_below on a device that is not a PCI function", NULL);
	if (!d->bound_below != !d->bound_below_driver)
		return bad(l, "bound_below and bound_below_driver go together", NULL);
	/* The kernel has them on PCI devices only: elsewhere, the snapshot was not taken. */
	if (d->kind != DEVICE_PCI && d->kexec_method != KMETHOD_UNSET)
		return bad(l, "kexec_method on a device that is not a PCI function", NULL);
	if (d->kind != DEVICE_PCI && d->kexec_action != KACTION_UNKNOWN)
		return bad(l, "kexec_action on a device that is not a PCI function", NULL);
	r = get_enum(l, o, "write_cache", write_cache_from_string, &k);
	if (r < 0)
		return r;
	if (r > 0)
		d->write_cache = k;
	r = mounts_from_json(l, o, d);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(o, "properties", &props)) {
		size_t n = 0;

		if (!json_object_is_type(props, json_type_object))
			return bad(l, "expected an object for properties", NULL);
		json_object_object_foreach (props, key, val) {
			const char *v;
			char *kv;

			if (++n > SNAPSHOT_PROPERTIES_MAX)
				return bad(l, "too many properties", NULL);
			if (!property_key_is_valid(key))
				return bad(l, "invalid property name", key);
			if (!json_object_is_type(val, json_type_string))
				return bad(l, "expected a string for property", key);
			v = json_object_get_string(val);
			if ((size_t)json_object_get_string_len(val) != strlen(v) ||
			    !text_is_valid(v, SNAPSHOT_VALUE_MAX))
				return bad(l, "invalid value of property", key);
			if (asprintf(&kv, "%s=%s", key, v) < 0)
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
	size_t len;
	int r;

	r = read_file_logged(path, SNAPSHOT_FILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	return inventory_load_json_buffer(path, buf, len, ret);
}

int inventory_load_json_buffer(const char *path, const char *buf, size_t len,
			       struct inventory **ret)
{
	_cleanup_(inventory_freep) struct inventory *inv = inventory_new();
	_cleanup_json_ json_object *root = NULL;
	json_object *v, *kernel, *devs;
	const char *fmt;
	/* "kernel"'s per_device_kexec_method: -1 not said, else false or true. */
	int per_device = -1;
	bool carried = false, any_pci = false;
	int version, r;

	if (!inv)
		return log_oom();
	if (len > SNAPSHOT_FILE_MAX)
		return log_error_errno(EFBIG, "%s: larger than %u bytes", path, SNAPSHOT_FILE_MAX);
	r = json_parse_buffer(path, "inventory object", buf, len, &root);
	if (r < 0)
		return r;
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "format", &v) || !(fmt = json_object_get_string(v)) ||
	    !streq(fmt, INVENTORY_FORMAT))
		return log_error_errno(EBADMSG,
				       "%s: not a kexecq inventory (\"format\" is not \"%s\")",
				       path, INVENTORY_FORMAT);
	if (!json_object_object_get_ex(root, "version", &v) ||
	    !json_object_is_type(v, json_type_int))
		return log_error_errno(EBADMSG, "%s: missing \"version\"", path);
	version = json_object_get_int(v);
	if (version < INVENTORY_VERSION_MIN || version > INVENTORY_VERSION)
		return log_error_errno(
			EPROTONOSUPPORT,
			"%s: inventory version %d is not supported (this kexecq reads %d to %d)",
			path, version, INVENTORY_VERSION_MIN, INVENTORY_VERSION);
	/* Version 2 predates mounts: a plan from it cannot make file systems safe. */
	inv->mounts_known = version >= 3;
	if (json_object_object_get_ex(root, "kernel", &kernel)) {
		if (!json_object_is_type(kernel, json_type_object))
			return log_error_errno(EBADMSG, "%s: \"kernel\" is not an object", path);
		if (json_object_object_get_ex(kernel, "release", &v) &&
		    !json_object_is_type(v, json_type_null)) {
			if (!json_object_is_type(v, json_type_string) ||
			    !name_is_valid(json_object_get_string(v)))
				return log_error_errno(EBADMSG, "%s: kernel: invalid release",
						       path);
			inv->kernel_release = strdup(json_object_get_string(v));
			if (!inv->kernel_release)
				return log_oom();
		}
		if (json_object_object_get_ex(kernel, "upstream", &v) &&
		    !json_object_is_type(v, json_type_null)) {
			const char *up = json_object_is_type(v, json_type_string) ?
						 json_object_get_string(v) :
						 NULL;

			/* It decides which policies apply: a version of the release's series. */
			if (!up || !kernel_upstream_valid(inv->kernel_release, up)) {
				_cleanup_free_ char *shown = up ? cescape(up) : NULL;

				return log_error_errno(
					EBADMSG,
					"%s: kernel: upstream \"%s\" is not a version of the series of "
					"release \"%s\" (such as 6.1.192 for 6.1.0-57-amd64)",
					path, up ? strna(shown) : "(not a string)",
					strna(inv->kernel_release));
			}
			/* Where the release says it, it is the release's (as a live scan has it). */
			if (!kernel_release_says(inv->kernel_release, up)) {
				inv->kernel_upstream = strdup(up);
				if (!inv->kernel_upstream)
					return log_oom();
			}
		}
		/* v2's global method: no v3 kernel has one, and no value maps to v3. */
		if (json_object_object_get_ex(kernel, "kexec_method", &v) &&
		    !json_object_is_type(v, json_type_null)) {
			_cleanup_free_ char *shown = cescape(json_object_get_string(v));

			return log_error_errno(
				EBADMSG,
				"%s: kernel: kexec_method \"%s\" is the global method of the v2 ABI "
				"of the kexecq kernel series, which v3 does not have (inventory "
				"version %d has per_device_kexec_method instead): take the "
				"snapshot again",
				path, strna(shown), INVENTORY_VERSION_KEXEC_V3);
		}
		if (json_object_object_get_ex(kernel, "per_device_kexec_method", &v) &&
		    !json_object_is_type(v, json_type_null)) {
			if (!json_object_is_type(v, json_type_boolean))
				return log_error_errno(EBADMSG,
						       "%s: kernel: expected true or false for "
						       "per_device_kexec_method",
						       path);
			if (version < INVENTORY_VERSION_KEXEC_V3)
				return log_error_errno(
					EBADMSG,
					"%s: kernel: per_device_kexec_method is from inventory "
					"version %d (the v3 ABI of the kexecq kernel series); this "
					"snapshot says version %d: take the snapshot again",
					path, INVENTORY_VERSION_KEXEC_V3, version);
			per_device = json_object_get_boolean(v);
			inv->kernel_per_device_method = per_device;
		}
	}
	if (!json_object_object_get_ex(root, "devices", &devs) ||
	    !json_object_is_type(devs, json_type_array))
		return log_error_errno(EBADMSG, "%s: missing \"devices\" array", path);

	if (json_object_array_length(devs) > SNAPSHOT_DEVICES_MAX)
		return log_error_errno(EFBIG, "%s: more than %u devices", path,
				       SNAPSHOT_DEVICES_MAX);
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		struct loader l = { .path = path, .version = version, .index = i };
		struct device *d = NULL;

		r = device_from_json(&l, json_object_array_get_idx(devs, i), &d);
		if (r < 0)
			return r;
		any_pci = any_pci || d->kind == DEVICE_PCI;
		if (d->kexec_method != KMETHOD_UNSET || d->kexec_action != KACTION_UNKNOWN) {
			_cleanup_free_ char *name = cescape(d->name);

			/*
			 * A kernel without the series has neither attribute: one of the
			 * two is wrong, and which is not for kexecq to guess.
			 */
			if (per_device == 0) {
				log_error_errno(
					EBADMSG,
					"%s: devices[%zu] (%s): %s, but kernel: "
					"per_device_kexec_method is false (a kernel without "
					"the kexecq series has neither attribute): take the "
					"snapshot again",
					path, i, strna(name),
					d->kexec_method != KMETHOD_UNSET ? "kexec_method" :
									   "kexec_action");
				device_free(d);
				return -EBADMSG;
			}
			/* "kernel" not saying it: the devices do. */
			carried = true;
			inv->kernel_per_device_method = true;
		}
		r = inventory_add(inv, d);
		if (r < 0) {
			device_free(d);
			return log_oom();
		}
	}
	/*
	 * Every PCI device of a patched kernel has both (a read may fail with
	 * EBUSY while a driver is bound or unbound, but not every read).
	 */
	if (per_device == 1 && any_pci && !carried)
		return log_error_errno(EBADMSG,
				       "%s: kernel: per_device_kexec_method is true, but no PCI "
				       "function has kexec_method or kexec_action: take the "
				       "snapshot again",
				       path);
	r = inventory_link(inv);
	if (r < 0)
		return log_error_errno(r, "%s: inconsistent inventory: %m", path);
	inv->source = strdup(path);
	if (!inv->source)
		return log_oom();
	*ret = TAKE_PTR(inv);
	return 0;
}
