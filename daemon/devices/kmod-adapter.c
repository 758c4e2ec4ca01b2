// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <libkmod.h>
#include <stdlib.h>
#include <string.h>

#include "kmod-adapter.h"
#include "log.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct kmod_ctx *, kmod_unref)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct kmod_module *, kmod_module_unref)
static void kmod_module_unref_listp(struct kmod_list **l)
{
	if (*l)
		kmod_module_unref_list(*l);
}

_printf_(6, 0) static void kmod_log(void *data, int priority, const char *file, int line,
				    const char *fn, const char *format, va_list args)
{
	char buf[1024];

	(void)data;
	(void)file;
	(void)line;
	(void)fn;
	vsnprintf(buf, sizeof(buf), format, args);
	buf[strcspn(buf, "\n")] = 0;
	log_debug("libkmod: %s", buf);
	(void)priority;
}

static int is_builtin(struct kmod_ctx *ctx, const char *name)
{
	_cleanup_(kmod_module_unrefp) struct kmod_module *m = NULL;
	int r;

	r = kmod_module_new_from_name(ctx, name, &m);
	if (r < 0)
		return r;
	/*
	 * libkmod knows built-ins from modules.builtin; without that index it
	 * reports a /sys/module/<name> directory with no initstate file as
	 * "coming".  Only loadable modules have initstate, so that is a
	 * built-in too (a module really caught mid-load cannot be unloaded
	 * either).
	 */
	r = kmod_module_get_initstate(m);
	return r == KMOD_MODULE_BUILTIN || r == KMOD_MODULE_COMING;
}

static int lookup_alias(struct kmod_ctx *ctx, const char *modalias, char **ret)
{
	_cleanup_(kmod_module_unref_listp) struct kmod_list *list = NULL;
	int r;

	r = kmod_module_new_from_lookup(ctx, modalias, &list);
	if (r < 0)
		return r;
	if (!list)
		return -ENOENT;
	{
		struct kmod_module *m = kmod_module_get_module(list);
		char *n = strdup(kmod_module_get_name(m));

		kmod_module_unref(m);
		if (!n)
			return -ENOMEM;
		*ret = n;
	}
	return 0;
}

int kmod_annotate(const char *moddir, struct inventory *inv)
{
	_cleanup_(kmod_unrefp) struct kmod_ctx *ctx = kmod_new(moddir, NULL);
	int r;

	if (!ctx)
		return log_error_errno(ENOMEM, "Failed to create libkmod context.");
	kmod_set_log_fn(ctx, kmod_log, NULL);
	/* Without indexes (no modules installed) lookups fail; that is fine. */
	(void)kmod_load_resources(ctx);

	for (size_t i = 0; i < inv->n; i++) {
		struct device *d = inv->devices[i];

		if (d->kind != DEVICE_PCI)
			continue;
		/* Only unbound devices get a candidate from their modalias. */
		if (!d->driver && !d->module && d->modalias) {
			r = lookup_alias(ctx, d->modalias, &d->module);
			if (r == -ENOMEM)
				return log_oom();
		}
		if (d->module) {
			r = is_builtin(ctx, d->module);
			if (r == -ENOMEM)
				return log_oom();
			d->module_builtin = r > 0;
		}
	}
	return 0;
}

static int module_open(const char *moddir, const char *name, struct kmod_ctx **ret_ctx,
		       struct kmod_module **ret_mod)
{
	_cleanup_(kmod_unrefp) struct kmod_ctx *ctx = NULL;
	struct kmod_module *m = NULL;
	int r;

	ctx = kmod_new(moddir, NULL);
	if (!ctx)
		return -ENOMEM;
	kmod_set_log_fn(ctx, kmod_log, NULL);
	r = kmod_module_new_from_name(ctx, name, &m);
	if (r < 0)
		return r;
	*ret_ctx = TAKE_PTR(ctx);
	*ret_mod = m;
	return 0;
}

int kmod_unload(const char *moddir, const char *name)
{
	_cleanup_(kmod_unrefp) struct kmod_ctx *ctx = NULL;
	_cleanup_(kmod_module_unrefp) struct kmod_module *m = NULL;
	int r;

	r = module_open(moddir, name, &ctx, &m);
	if (r < 0)
		return r;
	r = kmod_module_get_initstate(m);
	if (r == -ENOENT)
		return -ENOENT;
	if (r == KMOD_MODULE_BUILTIN)
		return -EPERM;
	return kmod_module_remove_module(m, 0);
}

int kmod_load(const char *moddir, const char *name)
{
	_cleanup_(kmod_unrefp) struct kmod_ctx *ctx = NULL;
	_cleanup_(kmod_module_unrefp) struct kmod_module *m = NULL;
	int r;

	r = module_open(moddir, name, &ctx, &m);
	if (r < 0)
		return r;
	r = kmod_module_probe_insert_module(m, 0, NULL, NULL, NULL, NULL);
	return r > 0 ? -EPERM : r; /* > 0: refused by a blacklist or a filter */
}

int kmod_refcount(const char *moddir, const char *name)
{
	_cleanup_(kmod_unrefp) struct kmod_ctx *ctx = NULL;
	_cleanup_(kmod_module_unrefp) struct kmod_module *m = NULL;
	int r;

	r = module_open(moddir, name, &ctx, &m);
	if (r < 0)
		return r;
	return kmod_module_get_refcnt(m);
}
