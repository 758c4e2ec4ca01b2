// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json-util.h"
#include "next-reboot.h"
#include "verify-output.h"

/* Record times in UTC, the same on every host of a fleet. */
static const char *format_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, size, "@%lld", (long long)t);
	return buf;
}

/* "12 PCI functions, 3 interfaces and 2 disks" */
static void print_counts(const unsigned *n, FILE *f)
{
	fprintf(f, "%u PCI function%s, %u interface%s and %u disk%s", n[DEVICE_PCI],
		n[DEVICE_PCI] == 1 ? "" : "s", n[DEVICE_NET], n[DEVICE_NET] == 1 ? "" : "s",
		n[DEVICE_DISK], n[DEVICE_DISK] == 1 ? "" : "s");
}

/* Two lines, the second indented by indent. */
static void print_record_line(const struct record *rec, int indent, FILE *f)
{
	char t[64];

	fprintf(f,
		"kexec %u in a row, from boot %s (kernel %s)\n%*sby kexecq reboot%s at %s, into %s",
		rec->count, rec->boot_id, rec->from_release, indent, "",
		rec->mode == RECORD_MODE_NOW ? " --now" : "", format_time(rec->time, t, sizeof(t)),
		rec->into_kernel);
	if (rec->into_initrd)
		fprintf(f, " (initrd %s)", rec->into_initrd);
	fputc('\n', f);
}

static void print_finding(const struct verify_finding *x, FILE *f)
{
	_cleanup_free_ char *below = NULL;

	if (x->pci && asprintf(&below, "below %s", x->pci) < 0)
		below = NULL;
	if (!x->error)
		fputs("notice: ", f);
	switch (x->problem) {
	case VERIFY_MISSING:
		if (x->kind == DEVICE_PCI)
			fprintf(f, "%-14s missing (%s%s)\n", x->name,
				x->expected ? "was bound to " : "was unbound",
				strempty(x->expected));
		else
			fprintf(f, "%-14s missing (%s%s%s)\n", x->name,
				x->kind == DEVICE_NET ? "interface" : "disk", below ? ", " : "",
				strempty(below));
		break;
	case VERIFY_UNBOUND:
		fprintf(f, "%-14s unbound (was bound to %s)\n", x->name, strna(x->expected));
		break;
	case VERIFY_OTHER_DRIVER:
		fprintf(f, "%-14s bound to %s (was %s)\n", x->name, strna(x->found),
			strna(x->expected));
		break;
	case VERIFY_DOWN:
		fprintf(f, "%-14s down (was up%s%s)\n", x->name, below ? "; " : "",
			strempty(below));
		break;
	case VERIFY_RENAMED:
		fprintf(f, "%s %s is now %s%s%s\n", x->kind == DEVICE_NET ? "interface" : "disk",
			x->name, strna(x->found), below ? ", " : "", strempty(below));
		break;
	case VERIFY_SRIOV_OFF:
		fprintf(f, "%s: SR-IOV is off, its %u VF%s %s not created again\n", x->name, x->vfs,
			x->vfs == 1 ? "" : "s", x->vfs == 1 ? "was" : "were");
		break;
	default:
		break;
	}
}

int verify_print_text(const char *boot_id, const struct record *rec, const struct verify_result *v,
		      FILE *f)
{
	if (!rec) {
		fprintf(f, "This boot (%s) did not come from a kexecq kexec: nothing to verify.\n",
			boot_id);
		return ferror(f) ? -EIO : 0;
	}
	fprintf(f, "Boot %s: ", boot_id);
	print_record_line(rec, 2, f);
	for (size_t i = 0; i < v->n; i++)
		if (v->findings[i].error)
			print_finding(&v->findings[i], f);
	for (size_t i = 0; i < v->n; i++)
		if (!v->findings[i].error)
			print_finding(&v->findings[i], f);
	if (v->n_errors) {
		fprintf(f, "%u difference%s from the record (", v->n_errors,
			v->n_errors == 1 ? "" : "s");
		print_counts(v->recorded, f);
		fprintf(f, " recorded).\n");
	} else if (v->n_notices) {
		fprintf(f, "No difference from the record (");
		print_counts(v->recorded, f);
		fprintf(f, " recorded), %u notice%s.\n", v->n_notices,
			v->n_notices == 1 ? "" : "s");
	} else {
		fprintf(f, "Every device came back as it was: ");
		print_counts(v->recorded, f);
		fprintf(f, ".\n");
	}
	return ferror(f) ? -EIO : 0;
}

/* ---- JSON ---------------------------------------------------------------------------- */

static json_object *jstr_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* Adds k: null when v is NULL (json_add() leaves NULL out). */
static int add_nullable(json_object *o, const char *k, json_object *v)
{
	return json_object_object_add(o, k, v) < 0 ? -ENOMEM : 0;
}

static json_object *record_summary_json(const struct record *rec, const char *path)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *from, *into;
	int r = 0;

	if (!o)
		return NULL;
	if (path)
		r |= json_add_str(o, "path", path);
	r |= json_add_str(o, "boot_id", rec->boot_id);
	r |= json_add(o, "time", json_object_new_int64(rec->time));
	r |= json_add(o, "count", json_object_new_int64(rec->count));
	r |= json_add_str(o, "mode", record_mode_to_string(rec->mode));
	from = json_object_new_object();
	if (!from || json_add(o, "from", from) < 0)
		return json_object_put(from), NULL;
	into = json_object_new_object();
	if (!into || json_add(o, "into", into) < 0)
		return json_object_put(into), NULL;
	r |= json_add(o, "devices", json_object_new_int64((int64_t)rec->n));
	r |= json_add_str(from, "release", rec->from_release);
	r |= json_add_str(into, "kernel", rec->into_kernel);
	r |= add_nullable(into, "initrd", jstr_or_null(rec->into_initrd));
	r |= json_add_str(into, "cmdline", rec->into_cmdline);
	return r ? NULL : TAKE_PTR(o);
}

static json_object *finding_json(const struct verify_finding *x)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	int r = 0;

	if (!o)
		return NULL;
	r |= json_add_str(o, "problem", verify_problem_to_string(x->problem));
	r |= json_add_str(o, "severity", x->error ? "error" : "notice");
	r |= json_add_str(o, "kind", device_kind_to_string(x->kind));
	r |= json_add_str(o, "name", x->name);
	if (x->kind != DEVICE_PCI)
		r |= add_nullable(o, "pci", jstr_or_null(x->pci));
	r |= add_nullable(o, "expected", jstr_or_null(x->expected));
	r |= add_nullable(o, "found", jstr_or_null(x->found));
	if (x->problem == VERIFY_SRIOV_OFF)
		r |= json_add(o, "vfs", json_object_new_int64(x->vfs));
	return r ? NULL : TAKE_PTR(o);
}

static json_object *verify_json(const struct verify_result *v, bool summary_only)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *rec, *list;
	int r = 0;

	if (!o)
		return NULL;
	rec = json_object_new_object();
	if (!rec || json_add(o, "recorded", rec) < 0)
		return json_object_put(rec), NULL;
	r |= json_add(rec, "pci", json_object_new_int64(v->recorded[DEVICE_PCI]));
	r |= json_add(rec, "net", json_object_new_int64(v->recorded[DEVICE_NET]));
	r |= json_add(rec, "disk", json_object_new_int64(v->recorded[DEVICE_DISK]));
	r |= json_add(o, "ok", json_object_new_boolean(v->n_errors == 0));
	r |= json_add(o, "errors", json_object_new_int64(v->n_errors));
	r |= json_add(o, "notices", json_object_new_int64(v->n_notices));
	if (r)
		return NULL;
	if (summary_only)
		return TAKE_PTR(o);
	list = json_object_new_array();
	if (!list || json_add(o, "findings", list) < 0)
		return json_object_put(list), NULL;
	for (size_t i = 0; i < v->n; i++) {
		json_object *x = finding_json(&v->findings[i]);

		if (!x || json_object_array_add(list, x) < 0) {
			json_object_put(x);
			return NULL;
		}
	}
	return TAKE_PTR(o);
}

int verify_write_json(const char *boot_id, const char *path, const struct record *rec,
		      const struct verify_result *v, FILE *f)
{
	_cleanup_json_ json_object *root = json_object_new_object();
	_cleanup_json_ json_object *body = NULL;
	int r = 0;

	if (!root)
		return -ENOMEM;
	r |= json_add_str(root, "format", VERIFY_FORMAT);
	r |= json_add(root, "version", json_object_new_int(VERIFY_OUTPUT_VERSION));
	r |= json_add_str(root, "boot_id", boot_id);
	r |= json_add(root, "from_kexec", json_object_new_boolean(rec != NULL));
	if (!rec) {
		struct verify_result none = {};

		r |= add_nullable(root, "record", NULL);
		body = verify_json(&none, false);
	} else {
		r |= add_nullable(root, "record", record_summary_json(rec, path));
		body = verify_json(v, false);
	}
	if (r || !body)
		return -ENOMEM;
	json_object_object_foreach (body, k, val)
		if (json_object_object_add(root, k, json_object_get(val)) < 0)
			return -ENOMEM;
	return json_write(root, f);
}

/* ---- status ---------------------------------------------------------------------------- */

static const char *const outcome_names[] = {
	[OUTCOME_NONE] = "none",	   [OUTCOME_PENDING] = "pending",
	[OUTCOME_ABANDONED] = "abandoned", [OUTCOME_BOOTED] = "booted",
	[OUTCOME_UNKNOWN] = "unknown",
};

const char *kexec_outcome_to_string(enum kexec_outcome o)
{
	return o >= 0 && o < ELEMENTSOF(outcome_names) ? outcome_names[o] : NULL;
}

enum kexec_outcome status_outcome(const struct status *s, const struct record **ret_record)
{
	*ret_record = NULL;
	if (s->mine) {
		*ret_record = s->mine;
		return s->kexec_loaded == 1 ? OUTCOME_PENDING : OUTCOME_ABANDONED;
	}
	if (s->from) {
		*ret_record = s->from_record;
		return OUTCOME_BOOTED;
	}
	if (s->latest) {
		*ret_record = s->latest;
		return OUTCOME_UNKNOWN;
	}
	return OUTCOME_NONE;
}

static void next_reboot_of(const struct status *s, struct next_reboot *n)
{
	struct next_reboot_facts f = {
		.kexec_loaded = s->kexec_loaded,
		.mine = s->mine,
		.frozen = s->frozen,
		.frozen_devices = s->frozen_devices,
		.frozen_policies = s->frozen_policies,
		.kexec_by_default = s->kexec_by_default,
		.systemd = s->systemd,
		.systemd_version = s->systemd_version,
		.dropin = s->dropin,
		.dropin_loaded = s->dropin_loaded,
		.hook = s->hook,
	};

	next_reboot_describe(&f, n);
}

static void print_next_reboot(const struct status *s, FILE *f)
{
	struct next_reboot n;

	next_reboot_of(s, &n);
	fprintf(f, "Next reboot:  ");
	if (!n.kexec)
		fprintf(f, "through the firmware: %s\n", n.reason);
	else {
		fprintf(f, "kexec into %s", n.kernel ? n.kernel : "the kernel loaded");
		if (n.initrd)
			fprintf(f, " (initrd %s)", n.initrd);
		if (n.plan == NEXT_PLAN_FROZEN)
			fprintf(f,
				", quiescing along the frozen plan (%zu device%s, %zu polic%s)\n",
				s->frozen_devices, s->frozen_devices == 1 ? "" : "s",
				s->frozen_policies, s->frozen_policies == 1 ? "y" : "ies");
		else if (n.plan == NEXT_PLAN_AT_SHUTDOWN)
			fprintf(f, ", quiescing along a plan the shutdown hook makes from the "
				   "installed policies\n");
		else
			fprintf(f, ", WITHOUT quiescing anything\n");
		fprintf(f, "              on ");
		for (size_t i = 0; n.callers[i]; i++)
			fprintf(f, "%s%s", i ? (n.callers[i + 1] ? ", " : " and ") : "",
				n.callers[i]);
		fprintf(f, ": %s\n", n.reason);
	}
	if (n.hint)
		fprintf(f, "              (%s)\n", n.hint);
}

static json_object *next_reboot_json(const struct status *s)
{
	json_object *o = json_object_new_object(), *by;
	struct next_reboot n;
	int r = 0;

	if (!o)
		return NULL;
	next_reboot_of(s, &n);
	r |= json_add(o, "kexec", json_object_new_boolean(n.kexec));
	r |= add_nullable(
		o, "plan",
		!n.kexec ? NULL :
			   json_object_new_string(n.plan == NEXT_PLAN_FROZEN	  ? "frozen" :
						  n.plan == NEXT_PLAN_AT_SHUTDOWN ? "at-shutdown" :
										    "none"));
	r |= add_nullable(o, "kernel", jstr_or_null(n.kernel));
	r |= add_nullable(o, "initrd", jstr_or_null(n.initrd));
	r |= add_nullable(o, "cmdline", jstr_or_null(n.cmdline));
	by = json_object_new_array();
	for (size_t i = 0; by && n.callers[i]; i++)
		r |= json_object_array_add(by, json_object_new_string(n.callers[i]));
	r |= json_add(o, "on", by);
	r |= json_add_str(o, "reason", n.reason);
	r |= add_nullable(o, "hint", jstr_or_null(n.hint));
	if (r) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void print_verify_line(const struct status *s, FILE *f)
{
	if (s->from_record) {
		if (!s->verify)
			fprintf(f, "the devices cannot be read\n");
		else if (s->verify->n_errors)
			fprintf(f, "%u difference%s, %u notice%s (see 'kexecq verify')\n",
				s->verify->n_errors, s->verify->n_errors == 1 ? "" : "s",
				s->verify->n_notices, s->verify->n_notices == 1 ? "" : "s");
		else {
			fprintf(f, "every device came back (");
			print_counts(s->verify->recorded, f);
			fprintf(f, ")%s\n",
				s->verify->n_notices ? "; notices: see 'kexecq verify'" : "");
		}
	}
}

static void print_last_kexec(const struct status *s, FILE *f)
{
	const struct record *last;
	enum kexec_outcome o = status_outcome(s, &last);
	char t[64];

	switch (o) {
	case OUTCOME_NONE:
		fprintf(f, "none recorded\n");
		break;
	case OUTCOME_PENDING:
		fprintf(f, "pending: recorded at %s, the kernel is loaded\n",
			format_time(last->time, t, sizeof(t)));
		break;
	case OUTCOME_ABANDONED:
		fprintf(f,
			"abandoned: recorded at %s, the kernel is no longer loaded (aborted or "
			"unloaded)\n",
			format_time(last->time, t, sizeof(t)));
		break;
	case OUTCOME_BOOTED:
		fprintf(f, "booted: into this boot\n");
		break;
	case OUTCOME_UNKNOWN:
		fprintf(f,
			"unknown: boot %s recorded one at %s into %s, but this boot did not come "
			"from it\n",
			last->boot_id, format_time(last->time, t, sizeof(t)), last->into_kernel);
		break;
	}
}

int status_print_text(const struct status *s, FILE *f)
{
	char t[64];

	fprintf(f, "Boot:         %s (kernel %s)\n", s->boot_id, s->release);
	if (!s->from)
		fprintf(f, "Came from:    not a kexecq kexec\n");
	else if (!s->from_record)
		fprintf(f,
			"Came from:    a kexecq kexec from boot %s, whose record cannot be read\n",
			s->from);
	else {
		fprintf(f, "Came from:    ");
		print_record_line(s->from_record, 14, f);
	}
	if (s->from_record) {
		fprintf(f, "Verify:       ");
		print_verify_line(s, f);
	}
	fprintf(f, "Loaded:       ");
	if (s->kexec_loaded == -ENOENT)
		fprintf(f, "no kexec in this kernel\n");
	else if (s->kexec_loaded < 0)
		fprintf(f, "unknown (%s)\n", strerror(-s->kexec_loaded));
	else if (s->kexec_loaded == 0)
		fprintf(f, "no kernel\n");
	else if (s->mine)
		fprintf(f, "%s, by kexecq reboot at %s\n", s->mine->into_kernel,
			format_time(s->mine->time, t, sizeof(t)));
	else
		fprintf(f, "a kernel, not by kexecq reboot in this boot\n");
	fprintf(f, "Frozen plan:  ");
	if (s->frozen > 0)
		fprintf(f, "%s: %zu device%s, %zu polic%s\n", s->frozen_path, s->frozen_devices,
			s->frozen_devices == 1 ? "" : "s", s->frozen_policies,
			s->frozen_policies == 1 ? "y" : "ies");
	else if (s->frozen == 0)
		fprintf(f, "none\n");
	else
		fprintf(f, "%s cannot be read (see above)\n", s->frozen_path);
	print_next_reboot(s, f);
	fprintf(f, "Last kexec:   ");
	print_last_kexec(s, f);
	return ferror(f) ? -EIO : 0;
}

/* What print(s, f) prints, without its newline. */
static char *line_of(void (*print)(const struct status *, FILE *), const struct status *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	print(s, f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	text[strcspn(text, "\n")] = 0;
	return text;
}

int status_last_kexec_text(const struct status *s, char **ret)
{
	_cleanup_free_ char *last = line_of(print_last_kexec, s), *v = NULL;

	if (!last)
		return -ENOMEM;
	if (!s->from_record) {
		*ret = TAKE_PTR(last);
		return 0;
	}
	v = line_of(print_verify_line, s);
	if (!v || asprintf(ret, "%s; verify: %s", last, v) < 0)
		return -ENOMEM;
	return 0;
}

int status_write_json(const struct status *s, FILE *f)
{
	_cleanup_json_ json_object *root = json_object_new_object();
	const struct record *last;
	enum kexec_outcome o = status_outcome(s, &last);
	json_object *from = NULL, *loaded = NULL, *frozen = NULL, *lk = NULL;
	int r = 0;

	if (!root)
		return -ENOMEM;
	r |= json_add_str(root, "format", STATUS_FORMAT);
	r |= json_add(root, "version", json_object_new_int(VERIFY_OUTPUT_VERSION));
	r |= json_add_str(root, "boot_id", s->boot_id);
	r |= json_add_str(root, "release", s->release);
	if (s->from) {
		from = json_object_new_object();
		if (!from)
			return -ENOMEM;
		r |= json_add_str(from, "boot_id", s->from);
		r |= add_nullable(from, "record",
				  s->from_record ? record_summary_json(s->from_record, NULL) :
						   NULL);
		r |= add_nullable(from, "verify",
				  s->from_record && s->verify ? verify_json(s->verify, true) :
								NULL);
	}
	r |= add_nullable(root, "from", from);
	r |= add_nullable(root, "kexec_loaded",
			  s->kexec_loaded >= 0 ? json_object_new_boolean(s->kexec_loaded) : NULL);
	if (s->kexec_loaded == 1 && s->mine) {
		loaded = json_object_new_object();
		if (!loaded)
			return -ENOMEM;
		r |= json_add_str(loaded, "kernel", s->mine->into_kernel);
		r |= add_nullable(loaded, "initrd", jstr_or_null(s->mine->into_initrd));
		r |= json_add_str(loaded, "cmdline", s->mine->into_cmdline);
		r |= json_add(loaded, "time", json_object_new_int64(s->mine->time));
		r |= json_add_str(loaded, "mode", record_mode_to_string(s->mine->mode));
	}
	r |= add_nullable(root, "loaded_by_kexecq", loaded);
	if (s->frozen != 0) {
		frozen = json_object_new_object();
		if (!frozen)
			return -ENOMEM;
		r |= json_add_str(frozen, "path", s->frozen_path);
		r |= json_add(frozen, "readable", json_object_new_boolean(s->frozen > 0));
		if (s->frozen > 0) {
			r |= json_add(frozen, "devices",
				      json_object_new_int64((int64_t)s->frozen_devices));
			r |= json_add(frozen, "policies",
				      json_object_new_int64((int64_t)s->frozen_policies));
		}
	}
	r |= add_nullable(root, "frozen", frozen);
	{
		json_object *next = next_reboot_json(s);

		if (!next)
			return -ENOMEM;
		r |= json_add(root, "next_reboot", next);
	}
	if (o != OUTCOME_NONE) {
		lk = json_object_new_object();
		if (!lk)
			return -ENOMEM;
		r |= json_add_str(lk, "outcome", kexec_outcome_to_string(o));
		r |= add_nullable(lk, "record", last ? record_summary_json(last, NULL) : NULL);
	}
	r |= add_nullable(root, "last_kexec", lk);
	if (r)
		return -ENOMEM;
	return json_write(root, f);
}
