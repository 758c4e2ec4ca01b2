// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "conf-parser.h"
#include "json-util.h"
#include "log.h"
#include "record.h"
#include "strv.h"
#include "string-util.h"
#include "trust.h"
#include "values.h"

#define RECORD_PREFIX "record-"
#define RECORD_SUFFIX ".json"
/* Up to 9999-12-31: a time that strftime() and every reader can show. */
#define RECORD_TIME_MAX 253402300799LL
#define PROC_FILE_MAX (64U * 1024U)

static const char *const mode_names[_RECORD_MODE_MAX] = {
	[RECORD_MODE_NOW] = "now",
	[RECORD_MODE_SYSTEMD] = "systemd",
};

const char *record_mode_to_string(enum record_mode m)
{
	return m >= 0 && m < _RECORD_MODE_MAX ? mode_names[m] : NULL;
}

int record_mode_from_string(const char *s)
{
	for (int i = 0; i < _RECORD_MODE_MAX; i++)
		if (streq(s, mode_names[i]))
			return i;
	return -EINVAL;
}

struct record *record_new(void)
{
	return calloc(1, sizeof(struct record));
}

static void record_device_done(struct record_device *d)
{
	free(d->name);
	free(d->driver);
	free(d->physfn);
	free(d->pci);
	free(d->devnode);
}

struct record *record_free(struct record *rec)
{
	if (!rec)
		return NULL;
	for (size_t i = 0; i < rec->n; i++)
		record_device_done(&rec->devices[i]);
	free(rec->devices);
	free(rec->boot_id);
	free(rec->from_release);
	free(rec->into_kernel);
	free(rec->into_initrd);
	free(rec->into_cmdline);
	free(rec);
	return NULL;
}

/* A new zeroed device at the end of rec->devices. */
static struct record_device *record_append(struct record *rec, size_t *allocated)
{
	if (rec->n == *allocated) {
		size_t na = *allocated ? *allocated * 2 : 64;
		struct record_device *nd = realloc(rec->devices, na * sizeof(*nd));

		if (!nd)
			return NULL;
		rec->devices = nd;
		*allocated = na;
	}
	memset(&rec->devices[rec->n], 0, sizeof(rec->devices[0]));
	return &rec->devices[rec->n++];
}

static int cmp_device(const void *a, const void *b)
{
	const struct record_device *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Sort; the first duplicate (kind, name) or NULL. */
static const struct record_device *record_sort(struct record *rec)
{
	if (rec->n > 1)
		qsort(rec->devices, rec->n, sizeof(rec->devices[0]), cmp_device);
	for (size_t i = 1; i < rec->n; i++)
		if (cmp_device(&rec->devices[i - 1], &rec->devices[i]) == 0)
			return &rec->devices[i];
	return NULL;
}

const struct record_device *record_find(const struct record *rec, enum device_kind kind,
					const char *name)
{
	struct record_device key = { .kind = kind, .name = (char *)name };

	if (!rec->n || !name)
		return NULL;
	return bsearch(&key, rec->devices, rec->n, sizeof(rec->devices[0]), cmp_device);
}

static int dup_or_null(const char *s, char **ret)
{
	*ret = NULL;
	if (!s)
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

int record_add_inventory(struct record *rec, const struct inventory *inv)
{
	size_t allocated = rec->n;
	const struct record_device *dup;

	for (size_t i = 0; i < inv->n; i++) {
		const struct device *d = inv->devices[i], *p;
		struct record_device *rd;
		int r = 0;

		if (d->kind != DEVICE_PCI && d->kind != DEVICE_NET && d->kind != DEVICE_DISK)
			continue;
		rd = record_append(rec, &allocated);
		if (!rd)
			return -ENOMEM;
		rd->kind = d->kind;
		r |= dup_or_null(d->name, &rd->name);
		if (d->kind == DEVICE_PCI) {
			r |= dup_or_null(d->driver, &rd->driver);
			r |= dup_or_null(d->physfn ? d->physfn->name : NULL, &rd->physfn);
		} else {
			/* The nearest PCI function above it; the tree is acyclic (inventory_link). */
			for (p = d->parent; p && p->kind != DEVICE_PCI; p = p->parent)
				;
			r |= dup_or_null(p ? p->name : NULL, &rd->pci);
			if (d->kind == DEVICE_DISK)
				r |= dup_or_null(d->devnode, &rd->devnode);
			rd->up = d->kind == DEVICE_NET && d->up;
		}
		if (r < 0 || !rd->name)
			return -ENOMEM;
	}
	dup = record_sort(rec);
	if (dup)
		return log_error_errno(EEXIST, "Two %s devices named %s: cannot record them.",
				       device_kind_to_string(dup->kind), dup->name);
	return 0;
}

/* ---- writing ------------------------------------------------------------------------ */

static json_object *device_to_json(const struct record_device *d)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	int r = 0;

	if (!o)
		return NULL;
	r |= json_add_str(o, "kind", device_kind_to_string(d->kind));
	r |= json_add_str(o, "name", d->name);
	switch (d->kind) {
	case DEVICE_PCI:
		/* Unbound is an explicit null. */
		if (d->driver)
			r |= json_add_str(o, "driver", d->driver);
		else if (json_object_object_add(o, "driver", NULL) < 0)
			r = -ENOMEM;
		r |= json_add_str(o, "physfn", d->physfn);
		break;
	case DEVICE_NET:
		r |= json_add_str(o, "pci", d->pci);
		r |= json_add(o, "up", json_object_new_boolean(d->up));
		break;
	default:
		r |= json_add_str(o, "pci", d->pci);
		r |= json_add_str(o, "devnode", d->devnode);
		break;
	}
	return r ? NULL : TAKE_PTR(o);
}

int record_write_json(const struct record *rec, FILE *f)
{
	_cleanup_json_ json_object *root = json_object_new_object();
	json_object *from, *into, *devs;
	int r = 0;

	if (!root)
		return -ENOMEM;
	r |= json_add_str(root, "format", RECORD_FORMAT);
	r |= json_add(root, "version", json_object_new_int(RECORD_VERSION));
	r |= json_add_str(root, "boot_id", rec->boot_id);
	r |= json_add(root, "time", json_object_new_int64(rec->time));
	r |= json_add(root, "count", json_object_new_int64(rec->count));
	r |= json_add_str(root, "mode", record_mode_to_string(rec->mode));
	from = json_object_new_object();
	r |= json_add(root, "from", from);
	into = json_object_new_object();
	r |= json_add(root, "into", into);
	devs = json_object_new_array();
	r |= json_add(root, "devices", devs);
	if (!from || !into || !devs || r)
		return -ENOMEM;
	r |= json_add_str(from, "release", rec->from_release);
	r |= json_add_str(into, "kernel", rec->into_kernel);
	r |= json_add_str(into, "initrd", rec->into_initrd);
	r |= json_add_str(into, "cmdline", rec->into_cmdline);
	if (r)
		return -ENOMEM;
	for (size_t i = 0; i < rec->n; i++) {
		json_object *d = device_to_json(&rec->devices[i]);

		if (!d || json_object_array_add(devs, d) < 0) {
			json_object_put(d);
			return -ENOMEM;
		}
	}
	return json_write(root, f);
}

/* ---- reading: every field checked, errors name the file and the field ------------------ */

struct reader {
	const char *path;
	const char *object; /* "from", "into", NULL: top level or a device */
	size_t index; /* of the device, with in_device */
	bool in_device;
	const char *name; /* of the device, once known */
};

/* "x.json: devices[3] (eth0): \"up\": expected true or false", logged; -EBADMSG. */
_printf_(3, 4) static int bad(const struct reader *rd, const char *field, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL, *where = NULL, *name = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return log_oom();
	if (rd->in_device) {
		name = rd->name ? cescape(rd->name) : NULL;
		n = asprintf(&where, "devices[%zu]%s%s%s: ", rd->index, name ? " (" : "",
			     strempty(name), name ? ")" : "");
	} else
		n = asprintf(&where, "%s%s", rd->object ? rd->object : "", rd->object ? ": " : "");
	if (n < 0)
		return log_oom();
	return log_error_errno(EBADMSG, "%s: %s%s%s%s%s", rd->path, where, field ? "\"" : "",
			       strempty(field), field ? "\": " : "", msg);
}

/* The value of key, or NULL when absent or null. */
static json_object *get(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

/* A string without NUL bytes (json-c accepts \u0000); NULL when absent. */
static int get_str(const struct reader *rd, json_object *o, const char *key, bool required,
		   const char **ret)
{
	json_object *v = get(o, key);
	const char *s;

	*ret = NULL;
	if (!v)
		return required ? bad(rd, key, "missing") : 0;
	if (!json_object_is_type(v, json_type_string))
		return bad(rd, key, "expected a string");
	s = json_object_get_string(v);
	if ((size_t)json_object_get_string_len(v) != strlen(s))
		return bad(rd, key, "contains a NUL byte");
	*ret = s;
	return 0;
}

enum check {
	CHECK_NAME, /* name_is_valid() */
	CHECK_DEVNODE, /* syspath_is_valid(), under /dev */
	CHECK_PATH, /* printable UTF-8, at most RECORD_PATH_MAX */
	CHECK_CMDLINE, /* printable UTF-8, at most RECORD_CMDLINE_MAX */
	CHECK_BOOT_ID,
	CHECK_RELEASE, /* name_is_valid(), as `uname -r` prints it */
};

/* A checked copy of a string field; NULL when absent and not required. */
static int get_checked(const struct reader *rd, json_object *o, const char *key, enum check c,
		       bool required, char **ret)
{
	_cleanup_free_ char *shown = NULL;
	const char *s, *what = NULL;
	int r;

	*ret = NULL;
	r = get_str(rd, o, key, required, &s);
	if (r < 0 || !s)
		return r;
	switch (c) {
	case CHECK_NAME:
	case CHECK_RELEASE:
		if (!name_is_valid(s))
			what = "printable ASCII, no spaces or \"/\", at most 255 characters";
		break;
	case CHECK_DEVNODE:
		if (!syspath_is_valid(s) || !startswith(s, "/dev/"))
			what = "a path under /dev without \".\", \"..\" or empty components";
		break;
	case CHECK_PATH:
		if (!*s || !text_is_valid(s, RECORD_PATH_MAX))
			what = "a path of printable UTF-8, at most 4096 bytes";
		break;
	case CHECK_CMDLINE:
		if (!text_is_valid(s, RECORD_CMDLINE_MAX))
			what = "printable UTF-8, at most 65536 bytes";
		break;
	case CHECK_BOOT_ID:
		if (!boot_id_is_valid(s))
			what = "a boot id as /proc/sys/kernel/random/boot_id has it";
		break;
	}
	if (what) {
		shown = cescape_n(s, strlen(s), 256);
		return bad(rd, key, "invalid value \"%s\" (expected %s)", strna(shown), what);
	}
	*ret = strdup(s);
	return *ret ? 0 : log_oom();
}

static int get_int(const struct reader *rd, json_object *o, const char *key, int64_t min,
		   int64_t max, int64_t *ret)
{
	json_object *v = get(o, key);
	int64_t n;

	if (!v)
		return bad(rd, key, "missing");
	if (!json_object_is_type(v, json_type_int))
		return bad(rd, key, "expected an integer");
	/* json-c clamps what does not fit in 64 bits: out of range either way. */
	n = json_object_get_int64(v);
	if (n < min || n > max)
		return bad(rd, key, "%s out of range (%lld to %lld)", json_object_get_string(v),
			   (long long)min, (long long)max);
	*ret = n;
	return 0;
}

static int get_object(const struct reader *rd, json_object *o, const char *key, json_object **ret)
{
	json_object *v = get(o, key);

	if (!v)
		return bad(rd, key, "missing");
	if (!json_object_is_type(v, json_type_object))
		return bad(rd, key, "expected an object");
	*ret = v;
	return 0;
}

static int device_from_json(struct reader *rd, json_object *o, struct record_device *d)
{
	const char *kind;
	json_object *v;
	int k, r;

	if (!json_object_is_type(o, json_type_object))
		return bad(rd, NULL, "expected an object");
	r = get_checked(rd, o, "name", CHECK_NAME, true, &d->name);
	if (r < 0)
		return r;
	rd->name = d->name;
	r = get_str(rd, o, "kind", true, &kind);
	if (r < 0)
		return r;
	k = device_kind_from_string(kind);
	if (k != DEVICE_PCI && k != DEVICE_NET && k != DEVICE_DISK) {
		_cleanup_free_ char *shown = cescape_n(kind, strlen(kind), 64);

		return bad(rd, "kind", "invalid value \"%s\" (expected pci, net or disk)",
			   strna(shown));
	}
	d->kind = k;
	switch (d->kind) {
	case DEVICE_PCI:
		r = get_checked(rd, o, "driver", CHECK_NAME, false, &d->driver);
		if (r >= 0)
			r = get_checked(rd, o, "physfn", CHECK_NAME, false, &d->physfn);
		return r;
	case DEVICE_NET:
		r = get_checked(rd, o, "pci", CHECK_NAME, false, &d->pci);
		if (r < 0)
			return r;
		v = get(o, "up");
		if (!v)
			return bad(rd, "up", "missing");
		if (!json_object_is_type(v, json_type_boolean))
			return bad(rd, "up", "expected true or false");
		d->up = json_object_get_boolean(v);
		return 0;
	default:
		r = get_checked(rd, o, "pci", CHECK_NAME, false, &d->pci);
		if (r >= 0)
			r = get_checked(rd, o, "devnode", CHECK_DEVNODE, false, &d->devnode);
		return r;
	}
}

/* Each "pci" and "physfn" names a PCI function of the record; a VF is not its own PF. */
static int check_references(const char *path, const struct record *rec)
{
	for (size_t i = 0; i < rec->n; i++) {
		const struct record_device *d = &rec->devices[i];
		const char *ref = d->kind == DEVICE_PCI ? d->physfn : d->pci;
		const char *key = d->kind == DEVICE_PCI ? "physfn" : "pci";
		const struct record_device *t;

		if (!ref)
			continue;
		t = record_find(rec, DEVICE_PCI, ref);
		if (!t)
			return log_error_errno(EBADMSG,
					       "%s: %s %s: \"%s\": \"%s\" is not a PCI function of "
					       "the record",
					       path, device_kind_to_string(d->kind), d->name, key,
					       ref);
		if (t == d)
			return log_error_errno(EBADMSG, "%s: pci %s: \"physfn\": names itself",
					       path, d->name);
	}
	return 0;
}

int record_parse_buffer(const char *path, const char *buf, size_t len, struct record **ret)
{
	_cleanup_(record_freep) struct record *rec = record_new();
	_cleanup_json_ json_object *root = NULL;
	struct reader rd = { .path = path };
	json_object *from, *into, *devs, *v;
	const struct record_device *dup;
	const char *s;
	size_t allocated = 0;
	int64_t n;
	int r;

	if (!rec)
		return log_oom();
	if (len > RECORD_FILE_MAX)
		return log_error_errno(EFBIG, "%s: larger than %u bytes", path, RECORD_FILE_MAX);
	r = json_parse_buffer(path, "record", buf, len, &root);
	if (r < 0)
		return r;
	if (!json_object_is_type(root, json_type_object))
		return log_error_errno(EBADMSG, "%s: not a kexecq boot record (not an object)",
				       path);
	r = get_str(&rd, root, "format", false, &s);
	if (r < 0)
		return r;
	if (!s || !streq(s, RECORD_FORMAT))
		return log_error_errno(EBADMSG,
				       "%s: not a kexecq boot record (\"format\" is not \"%s\")",
				       path, RECORD_FORMAT);
	r = get_int(&rd, root, "version", 0, INT32_MAX, &n);
	if (r < 0)
		return r;
	if (n != RECORD_VERSION)
		return log_error_errno(EPROTONOSUPPORT,
				       "%s: record version %lld is not supported (this kexecq "
				       "reads %d)",
				       path, (long long)n, RECORD_VERSION);
	r = get_checked(&rd, root, "boot_id", CHECK_BOOT_ID, true, &rec->boot_id);
	if (r < 0)
		return r;
	r = get_int(&rd, root, "time", 0, RECORD_TIME_MAX, &rec->time);
	if (r < 0)
		return r;
	r = get_int(&rd, root, "count", 1, UINT32_MAX, &n);
	if (r < 0)
		return r;
	rec->count = (uint32_t)n;
	r = get_str(&rd, root, "mode", true, &s);
	if (r < 0)
		return r;
	r = record_mode_from_string(s);
	if (r < 0) {
		_cleanup_free_ char *shown = cescape_n(s, strlen(s), 64);

		return bad(&rd, "mode", "invalid value \"%s\" (expected now or systemd)",
			   strna(shown));
	}
	rec->mode = r;

	r = get_object(&rd, root, "from", &from);
	if (r < 0)
		return r;
	rd.object = "from";
	r = get_checked(&rd, from, "release", CHECK_RELEASE, true, &rec->from_release);
	if (r < 0)
		return r;
	rd.object = NULL;
	r = get_object(&rd, root, "into", &into);
	if (r < 0)
		return r;
	rd.object = "into";
	r = get_checked(&rd, into, "kernel", CHECK_PATH, true, &rec->into_kernel);
	if (r >= 0)
		r = get_checked(&rd, into, "initrd", CHECK_PATH, false, &rec->into_initrd);
	if (r >= 0)
		r = get_checked(&rd, into, "cmdline", CHECK_CMDLINE, true, &rec->into_cmdline);
	if (r < 0)
		return r;
	rd.object = NULL;

	devs = get(root, "devices");
	if (!devs)
		return bad(&rd, "devices", "missing");
	if (!json_object_is_type(devs, json_type_array))
		return bad(&rd, "devices", "expected an array");
	if (json_object_array_length(devs) > RECORD_DEVICES_MAX)
		return bad(&rd, "devices", "more than %u devices", RECORD_DEVICES_MAX);
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		struct record_device *d = record_append(rec, &allocated);

		if (!d)
			return log_oom();
		rd = (struct reader){ .path = path, .in_device = true, .index = i };
		v = json_object_array_get_idx(devs, i);
		r = device_from_json(&rd, v, d);
		if (r < 0)
			return r;
	}
	dup = record_sort(rec);
	if (dup)
		return log_error_errno(EBADMSG, "%s: \"devices\": %s %s appears twice", path,
				       device_kind_to_string(dup->kind), dup->name);
	r = check_references(path, rec);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(rec);
	return 0;
}

/* Open flags for files that may be crafted: no FIFO blocks us, no terminal is taken. */
#define OPEN_HOSTILE (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

int record_read_file(const char *path, struct record **ret)
{
	_cleanup_close_ int fd = open(path, OPEN_HOSTILE);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	if (fd < 0)
		return log_error_errno(errno, "%s: cannot open: %m", path);
	r = read_regular_fd_logged(fd, path, RECORD_FILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	return record_parse_buffer(path, buf, len, ret);
}

/* ---- this boot ------------------------------------------------------------------------ */

bool boot_id_is_valid(const char *s)
{
	if (!s || strlen(s) != BOOT_ID_LEN)
		return false;
	for (size_t i = 0; i < BOOT_ID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' :
			   !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

/* <proc>/<rel>, whole and NUL-free; errors logged with the path. */
static int read_proc(const char *proc, const char *rel, char **ret)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t len;
	int r;

	if (asprintf(&path, "%s/%s", proc, rel) < 0)
		return log_oom();
	fd = open(path, OPEN_HOSTILE);
	if (fd < 0)
		return log_error_errno(errno, "%s: cannot open: %m", path);
	r = read_regular_fd_logged(fd, path, PROC_FILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	if (memchr(buf, 0, len))
		return log_error_errno(EBADMSG, "%s: contains a NUL byte", path);
	*ret = TAKE_PTR(buf);
	return 0;
}

int boot_id_read(const char *proc, char **ret)
{
	_cleanup_free_ char *id = NULL, *shown = NULL;
	int r = read_proc(proc, "sys/kernel/random/boot_id", &id);

	if (r < 0)
		return r;
	id[strcspn(id, "\n")] = 0;
	if (!boot_id_is_valid(id)) {
		shown = cescape_n(id, strlen(id), 64);
		return log_error_errno(EBADMSG,
				       "%s/sys/kernel/random/boot_id: \"%s\" is not a boot id",
				       proc, strna(shown));
	}
	*ret = TAKE_PTR(id);
	return 0;
}

int boot_from_read(const char *proc, char **ret)
{
	_cleanup_free_ char *cmdline = NULL;
	const char *found = NULL;
	size_t found_len = 0;
	char *id;
	int r;

	*ret = NULL;
	r = read_proc(proc, "cmdline", &cmdline);
	if (r < 0)
		return r;
	/* The last one counts, as for the kernel's own parameters. */
	for (const char *p = cmdline; *p;) {
		size_t n;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n > strlen(KEXEC_CMDLINE_FROM) && startswith(p, KEXEC_CMDLINE_FROM)) {
			found = p + strlen(KEXEC_CMDLINE_FROM);
			found_len = n - strlen(KEXEC_CMDLINE_FROM);
		} else if (n == strlen(KEXEC_CMDLINE_FROM) && startswith(p, KEXEC_CMDLINE_FROM)) {
			found = p + n;
			found_len = 0;
		}
		p += n;
	}
	if (!found)
		return 0;
	id = strndup(found, found_len);
	if (!id)
		return log_oom();
	if (!boot_id_is_valid(id)) {
		_cleanup_free_ char *shown = cescape_n(id, strlen(id), 64);

		free(id);
		return log_error_errno(EBADMSG, "%s/cmdline: %s\"%s\" is not a boot id", proc,
				       KEXEC_CMDLINE_FROM, strna(shown));
	}
	*ret = id;
	return 1;
}

/* ---- the state directory --------------------------------------------------------------- */

/* As root: dir and every directory above it root's and writable by nobody else. */
static int check_dir(int dfd, const char *dir)
{
	_cleanup_free_ char *problem = NULL;
	struct stat st;
	char buf[128];
	const char *why;
	int r;

	if (geteuid() != 0)
		return 0;
	if (fstat(dfd, &st) < 0)
		return log_error_errno(errno, "%s: %m", dir);
	why = trust_problem(&st, buf, sizeof(buf));
	if (why)
		return log_error_errno(EPERM, "%s: not trusted (%s)", dir, why);
	/* The directory itself: a sticky bit does not keep others' files out of it. */
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return log_error_errno(EPERM, "%s: not trusted (others may write it, mode %04o)",
				       dir, (unsigned)(st.st_mode & 07777));
	r = trust_check_dir_chain(dfd, &problem);
	if (r < 0)
		return log_error_errno(r, "%s: %m", dir);
	if (problem)
		return log_error_errno(EPERM, "%s: not trusted (%s)", dir, problem);
	return 0;
}

static int open_dir(const char *dir, bool create)
{
	_cleanup_close_ int dfd = -EBADF;
	int r;

	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return log_error_errno(errno, "Cannot create %s: %m", dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT && !create)
			return -ENOENT;
		return log_error_errno(errno, "%s: cannot open: %m", dir);
	}
	r = check_dir(dfd, dir);
	if (r < 0)
		return r;
	return TAKE_FD(dfd);
}

static char *record_name(const char *boot_id)
{
	char *n = NULL;

	if (asprintf(&n, RECORD_PREFIX "%s" RECORD_SUFFIX, boot_id) < 0)
		return NULL;
	return n;
}

char *record_path(const char *dir, const char *boot_id)
{
	char *p = NULL;

	if (asprintf(&p, "%s/" RECORD_PREFIX "%s" RECORD_SUFFIX, dir, boot_id) < 0)
		return NULL;
	return p;
}

/* The boot id in a record file's name, or NULL. */
static char *record_name_id(const char *name)
{
	const char *id = startswith(name, RECORD_PREFIX);

	if (!id || strlen(id) != BOOT_ID_LEN + strlen(RECORD_SUFFIX) ||
	    !streq(id + BOOT_ID_LEN, RECORD_SUFFIX))
		return NULL;
	id = strndup(id, BOOT_ID_LEN);
	if (id && !boot_id_is_valid(id))
		return mfree((char *)id);
	return (char *)id;
}

struct entry {
	char *id;
	struct timespec mtime;
};

static int cmp_newest_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec > y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec > y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void entries_free(struct entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i].id);
	free(e);
}

/* The records in dfd, newest first (by mtime). */
static int list_records(int dfd, const char *dir, struct entry **ret, size_t *ret_n)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct entry *e = NULL;
	size_t n = 0, allocated = 0;
	struct dirent *de;
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);

	if (fd < 0)
		return log_error_errno(errno, "%s: %m", dir);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return log_error_errno(errno, "%s: cannot list: %m", dir);
	}
	/* The duplicate shares dfd's offset: start from the first entry. */
	rewinddir(d);
	while ((de = readdir(d))) {
		char *id = record_name_id(de->d_name);
		struct stat st;

		if (!id)
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode)) {
			free(id);
			continue;
		}
		if (n == allocated) {
			size_t na = allocated ? allocated * 2 : 16;
			struct entry *ne = realloc(e, na * sizeof(*ne));

			if (!ne) {
				free(id);
				entries_free(e, n);
				return log_oom();
			}
			e = ne;
			allocated = na;
		}
		e[n++] = (struct entry){ .id = id, .mtime = st.st_mtim };
	}
	if (n > 1)
		qsort(e, n, sizeof(*e), cmp_newest_first);
	*ret = e;
	*ret_n = n;
	return 0;
}

/* Keep the newest RECORD_KEEP records, and keep always. */
static void prune(int dfd, const char *dir, const char *keep)
{
	struct entry *e = NULL;
	size_t n = 0, kept = 0;

	if (list_records(dfd, dir, &e, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *name = NULL;

		if (streq(e[i].id, keep) || kept < RECORD_KEEP - 1) {
			kept += !streq(e[i].id, keep);
			continue;
		}
		name = record_name(e[i].id);
		if (name && unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
			log_warning_errno(errno, "Cannot remove the old record %s/%s: %m", dir,
					  name);
	}
	entries_free(e, n);
}

/* rec as JSON in memory, and proof that record_parse_buffer() takes it back. */
static int serialize_checked(const char *path, const struct record *rec, char **ret,
			     size_t *ret_len)
{
	_cleanup_(record_freep) struct record *back = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	if (!f)
		return log_oom();
	r = record_write_json(rec, f);
	if (fclose(f) != 0 || r < 0)
		return log_oom();
	/* Never write what 'kexecq verify' would refuse: the error names the field. */
	r = record_parse_buffer(path, buf, len, &back);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int record_save(const char *dir, const struct record *rec)
{
	_cleanup_free_ char *name = NULL, *tmp = NULL, *path = NULL, *buf = NULL;
	_cleanup_close_ int dfd = -EBADF, fd = -EBADF;
	size_t len = 0;
	int r;

	if (!boot_id_is_valid(rec->boot_id))
		return log_error_errno(EINVAL, "Cannot save a record without a valid boot id.");
	name = record_name(rec->boot_id);
	if (!name || asprintf(&tmp, ".%s.new", name) < 0 || asprintf(&path, "%s/%s", dir, name) < 0)
		return log_oom();
	r = serialize_checked(path, rec, &buf, &len);
	if (r < 0)
		return r;
	dfd = open_dir(dir, true);
	if (dfd < 0)
		return dfd;
	(void)unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return log_error_errno(errno, "Cannot write %s: cannot create %s/%s: %m", path, dir,
				       tmp);
	r = write_all(fd, buf, len);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (close(TAKE_FD(fd)) < 0 && r >= 0)
		r = -errno;
	if (r < 0)
		goto fail;
	if (renameat(dfd, tmp, dfd, name) < 0) {
		r = -errno;
		goto fail;
	}
	/* The rename itself is durable only once the directory is. */
	if (fsync(dfd) < 0)
		return log_error_errno(errno, "Cannot write %s: fsync of %s: %m", path, dir);
	prune(dfd, dir, rec->boot_id);
	return 0;
fail:
	(void)unlinkat(dfd, tmp, 0);
	return log_error_errno(r, "Cannot write %s: %m", path);
}

static int load_at(int dfd, const char *dir, const char *boot_id, struct record **ret)
{
	_cleanup_(record_freep) struct record *rec = NULL;
	_cleanup_free_ char *name = record_name(boot_id), *path = NULL, *buf = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	char why_buf[128];
	const char *why;
	size_t len;
	int r;

	if (!name || asprintf(&path, "%s/%s", dir, name) < 0)
		return log_oom();
	fd = openat(dfd, name, OPEN_HOSTILE | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		if (errno == ELOOP)
			return log_error_errno(errno, "%s: a symbolic link: refused", path);
		return log_error_errno(errno, "%s: cannot open: %m", path);
	}
	if (geteuid() == 0) {
		if (fstat(fd, &st) < 0)
			return log_error_errno(errno, "%s: %m", path);
		why = trust_problem(&st, why_buf, sizeof(why_buf));
		if (why)
			return log_error_errno(EPERM, "%s: not trusted (%s)", path, why);
	}
	r = read_regular_fd_logged(fd, path, RECORD_FILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	r = record_parse_buffer(path, buf, len, &rec);
	if (r < 0)
		return r;
	if (!streq(rec->boot_id, boot_id))
		return log_error_errno(EBADMSG,
				       "%s: \"boot_id\": \"%s\" is not the boot its name says",
				       path, rec->boot_id);
	*ret = TAKE_PTR(rec);
	return 0;
}

int record_load(const char *dir, const char *boot_id, struct record **ret)
{
	_cleanup_close_ int dfd = -EBADF;

	if (!boot_id_is_valid(boot_id))
		return log_error_errno(EINVAL, "Not a boot id: %s", boot_id);
	dfd = open_dir(dir, false);
	if (dfd < 0)
		return dfd;
	return load_at(dfd, dir, boot_id, ret);
}

int record_load_latest(const char *dir, const char *skip_boot_id, struct record **ret)
{
	_cleanup_close_ int dfd = open_dir(dir, false);
	struct entry *e = NULL;
	size_t n = 0;
	int r = -ENOENT;

	if (dfd < 0)
		return dfd;
	r = list_records(dfd, dir, &e, &n);
	if (r < 0)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < n && r == -ENOENT; i++)
		if (!skip_boot_id || !streq(e[i].id, skip_boot_id))
			r = load_at(dfd, dir, e[i].id, ret);
	entries_free(e, n);
	return r;
}

int record_write_for_kexec(const char *dir, const char *proc, const char *boot_id,
			   const struct inventory *inv, const struct kexec_image *img,
			   enum record_mode mode)
{
	_cleanup_(record_freep) struct record *rec = record_new(), *prev = NULL;
	_cleanup_free_ char *from = NULL;
	struct utsname u;
	int r;

	if (!rec || !(rec->boot_id = strdup(boot_id)))
		return log_oom();
	/* Kexecs in a row: one more than the record of the boot this one came from. */
	rec->count = 1;
	r = boot_from_read(proc, &from);
	if (r > 0) {
		r = record_load(dir, from, &prev);
		if (r >= 0)
			rec->count = prev->count < UINT32_MAX ? prev->count + 1 : UINT32_MAX;
		else {
			rec->count = 2;
			log_warning(
				"This boot came from a kexec (%s%s) whose record cannot be read: "
				"counting it as the second kexec in a row.",
				KEXEC_CMDLINE_FROM, from);
		}
	}
	rec->time = (int64_t)time(NULL);
	rec->mode = mode;
	if (inv->kernel_release)
		rec->from_release = strdup(inv->kernel_release);
	else if (uname(&u) == 0)
		rec->from_release = strdup(u.release);
	if (!rec->from_release || dup_or_null(img->kernel, &rec->into_kernel) < 0 ||
	    (img->initrds && !(rec->into_initrd = strv_join(img->initrds, " + "))) ||
	    dup_or_null(img->cmdline, &rec->into_cmdline) < 0)
		return log_oom();
	r = record_add_inventory(rec, inv);
	if (r < 0)
		return r == -ENOMEM ? log_oom() : r;
	r = record_save(dir, rec);
	if (r < 0)
		return r;
	log_info("Recorded %zu devices in %s/" RECORD_PREFIX "%s" RECORD_SUFFIX " (kexec %" PRIu32
		 " in a row).",
		 rec->n, dir, rec->boot_id, rec->count);
	return 0;
}
