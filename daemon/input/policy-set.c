// SPDX-License-Identifier: LGPL-2.1-or-later
/* Loading the set: precedence and trust (conf-files.c), then each winner parsed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf-files.h"
#include "log.h"
#include "policy-set.h"
#include "string-util.h"
#include "strv.h"

/*
 * Fixed, whatever the prefix, as systemd and kmod do for their own
 * configuration: the man page documents these.
 */
char *const policy_default_dirs[] = {
	(char *)"/etc/kexecq/policy.d",
	(char *)"/run/kexecq/policy.d",
	(char *)"/usr/lib/kexecq/policy.d",
	NULL,
};

struct policy_set *policy_set_free(struct policy_set *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		policy_free(s->policies[i]);
	free(s->policies);
	free(s);
	return NULL;
}

/*
 * The policy for one name: the first usable candidate.  A broken one is
 * counted; under POLICY_SKIP_BROKEN the next candidate is tried, and the
 * warning says which file governs instead.
 */
static int load_one(const struct conf_file *f, unsigned flags, struct policy **ret,
		    unsigned *n_errors)
{
	bool skip = flags & POLICY_SKIP_BROKEN;
	enum policy_mode mode = skip ? POLICY_RUNTIME : POLICY_VERIFY;
	const char *broken = NULL;

	*ret = NULL;
	for (size_t k = 0; k < f->n_candidates; k++) {
		const struct conf_candidate *c = &f->candidates[k];
		unsigned e = 0;
		int r;

		if (c->problem)
			continue; /* logged and counted by conf_files_list() */
		if (broken) {
			_cleanup_free_ char *b = cescape(broken), *w = cescape(c->path);

			log_warning("%s: skipped; %s governs its name instead", strna(b), strna(w));
		}
		if (c->masked) {
			log_debug("%s: masked by %s", f->name, c->path);
			return 0;
		}
		r = policy_parse_fd(c->fd, c->path, f->name, mode, ret, &e);
		if (r == -ENOMEM)
			return r;
		if (r >= 0)
			return 0;
		*n_errors += e ? e : 1;
		if (!skip)
			return 0;
		broken = c->path;
	}
	if (broken) {
		_cleanup_free_ char *b = cescape(broken);

		log_warning("%s: skipped; no other file has its name, so the built-in "
			    "default governs its devices",
			    strna(b));
	}
	return 0;
}

int policy_set_load(char *const *dirs, unsigned flags, struct policy_set **ret,
		    unsigned *ret_n_errors)
{
	_cleanup_(policy_set_freep) struct policy_set *s = calloc(1, sizeof(*s));
	struct conf_file_list files = {};
	unsigned cflags = 0, n_errors = 0;
	int level = flags & POLICY_SKIP_BROKEN ? LOG_WARNING : LOG_ERR;
	int r;

	if (!s)
		return log_oom();
	if (geteuid() == 0)
		cflags |= CONF_FILES_TRUST;
	if (flags & POLICY_DIRS_EXPLICIT)
		cflags |= CONF_FILES_DIRS_EXPLICIT;
	r = conf_files_list(dirs, POLICY_SUFFIX, cflags, level, &files);
	if (r < 0)
		return r;
	/* The order check is quadratic in the number of policies. */
	if (files.n > POLICY_FILES_MAX) {
		conf_file_list_done(&files);
		return log_error_errno(E2BIG, "More than %u policy files in the search path.",
				       POLICY_FILES_MAX);
	}
	n_errors += files.n_problems;
	s->policies = calloc(files.n ? files.n : 1, sizeof(*s->policies));
	if (!s->policies) {
		conf_file_list_done(&files);
		return log_oom();
	}
	for (size_t i = 0; i < files.n; i++) {
		struct policy *pol;

		r = load_one(&files.files[i], flags, &pol, &n_errors);
		if (r < 0) {
			conf_file_list_done(&files);
			return log_oom();
		}
		if (pol)
			s->policies[s->n++] = pol;
	}
	conf_file_list_done(&files);

	if (policy_set_check_order(s, flags & POLICY_SKIP_BROKEN ? POLICY_RUNTIME : POLICY_VERIFY) <
	    0)
		n_errors++;
	if (ret_n_errors)
		*ret_n_errors = n_errors;
	*ret = TAKE_PTR(s);
	return 0;
}

/*
 * After=/Before= between policies alone must be acyclic.  (Cycles that only
 * appear together with the device tree are found by the planner.)
 */
int policy_set_check_order(const struct policy_set *s, enum policy_mode mode)
{
	size_t n = s->n;
	_cleanup_free_ unsigned char *adj = calloc(n * n + 1, 1);
	_cleanup_free_ int *color = calloc(n + 1, sizeof(int));
	_cleanup_free_ size_t *stack = calloc(n + 1, sizeof(size_t));
	_cleanup_free_ size_t *iter = calloc(n + 1, sizeof(size_t));
	int level = mode == POLICY_VERIFY ? LOG_ERR : LOG_WARNING;

	if (!adj || !color || !stack || !iter)
		return log_oom();

	/* adj[a * n + b]: a must run before b.  After= names what goes first. */
	for (size_t i = 0; i < n; i++) {
		const struct policy *pi = s->policies[i];

		for (int before = 0; before < 2; before++)
			STRV_FOREACH (o, before ? pi->before : pi->after) {
				bool found = false;

				for (size_t j = 0; j < n; j++)
					if (streq(s->policies[j]->name, *o)) {
						adj[before ? i * n + j : j * n + i] = 1;
						found = true;
					}
				if (!found)
					log_debug("%s:%u: %s=%s names no loaded policy; ignored",
						  pi->path,
						  pi->line[before ? KEY_BEFORE : KEY_AFTER],
						  before ? "Before" : "After", *o);
			}
	}

	/* Iterative DFS; a grey node reached again closes a cycle. */
	for (size_t root = 0; root < n; root++) {
		size_t sp = 0;

		if (color[root])
			continue;
		stack[sp] = root;
		iter[sp] = 0;
		color[root] = 1;
		sp++;
		while (sp > 0) {
			size_t v = stack[sp - 1];

			if (iter[sp - 1] >= n) {
				color[v] = 2;
				sp--;
				continue;
			}
			size_t w = iter[sp - 1]++;

			if (!adj[v * n + w])
				continue;
			if (color[w] == 1) {
				char msg[1024] = "";
				size_t k = 0;

				while (stack[k] != w)
					k++;
				for (; k < sp; k++) {
					strncat(msg, s->policies[stack[k]]->name,
						sizeof(msg) - strlen(msg) - 1);
					strncat(msg, " -> ", sizeof(msg) - strlen(msg) - 1);
				}
				strncat(msg, s->policies[w]->name, sizeof(msg) - strlen(msg) - 1);
				return log_full_errno(level, ELOOP,
						      "ordering cycle between policies: %s", msg);
			}
			if (color[w] == 0) {
				color[w] = 1;
				stack[sp] = w;
				iter[sp] = 0;
				sp++;
			}
		}
	}
	return 0;
}
