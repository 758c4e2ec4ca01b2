// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The policy language on top of conf-parser.c: a table of keys, each with
 * its section, a parse function and where in struct policy the value
 * lands.  Errors carry file:line and are counted; a file with any error
 * is rejected whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf-parser.h"
#include "log.h"
#include "policy.h"
#include "string-util.h"
#include "strv.h"
#include "values.h"

static const char *const action_names[_ACTION_MAX] = {
	[ACTION_KERNEL] = "kernel",
	[ACTION_UNBIND] = "unbind",
	[ACTION_UNLOAD] = "unload",
	[ACTION_RESET] = "reset",
};

static const struct {
	const char *name;
	enum match_value kind;
} match_fields[_MATCH_FIELD_MAX] = {
#define X(id, n, field, k) [MATCH_##id] = { .name = n, .kind = k },
	MATCH_FIELDS(X)
#undef X
};

const char *policy_action_to_string(enum policy_action a)
{
	return a >= 0 && a < _ACTION_MAX ? action_names[a] : NULL;
}

const char *tristate_to_string(enum tristate t)
{
	return t == TRI_YES ? "yes" : t == TRI_NO ? "no" : "auto";
}

const char *on_failure_to_string(enum on_failure f)
{
	return f == ONFAIL_ABORT ? "abort" : "continue";
}

const char *match_field_to_string(enum match_field f)
{
	return f >= 0 && f < _MATCH_FIELD_MAX ? match_fields[f].name : NULL;
}

char *policy_name_normalize(const char *s)
{
	size_t len = strlen(s), sl = strlen(POLICY_SUFFIX);
	char *n;

	if (!name_is_valid(s) || s[0] == '.')
		return NULL;
	if (len > sl && streq(s + len - sl, POLICY_SUFFIX))
		return strdup(s);
	if (asprintf(&n, "%s" POLICY_SUFFIX, s) < 0)
		return NULL;
	return n;
}

/* ---- values ------------------------------------------------------------ */

/* Quote a value for a message, escaping what is not printable. */
#define SHOW(v) _cleanup_free_ char *shown = cescape(v)

/* A word or value must be text: no control characters, not too long. */
static bool value_ok(struct conf_parser *p, const char *key, const char *v)
{
	if (text_is_valid(v, POLICY_VALUE_MAX))
		return true;
	if (strlen(v) > POLICY_VALUE_MAX) {
		conf_error(p, "%s=: value longer than %u bytes", key, POLICY_VALUE_MAX);
	} else {
		SHOW(v);
		conf_error(p, "%s=: control character in \"%s\"", key, strna(shown));
	}
	return false;
}

typedef int (*parse_fn)(struct conf_parser *p, const char *key, const char *value, void *data);

static int parse_string(struct conf_parser *p, const char *key, const char *value, void *data)
{
	char **s = data;

	if (!isempty(value) && !value_ok(p, key, value))
		return 0;
	free(*s);
	*s = isempty(value) ? NULL : strdup(value);
	return isempty(value) || *s ? 0 : -ENOMEM;
}

/*
 * The words of a list value, with quoting; every word must be text.
 * Returns 0 and the words, 0 and NULL after reporting a problem, or -ENOMEM.
 */
static int split_words(struct conf_parser *p, const char *key, const char *value, char ***ret_words)
{
	_cleanup_strv_free_ char **words = NULL;
	int r;

	*ret_words = NULL;
	r = strv_split_quoted(value, &words);
	if (r == -EINVAL) {
		SHOW(value);
		conf_error(p, "%s=: unterminated quote in \"%s\"", key, strna(shown));
		return 0;
	}
	if (r < 0)
		return r;
	STRV_FOREACH (w, words)
		if (!value_ok(p, key, *w))
			return 0;
	*ret_words = TAKE_PTR(words);
	return 0;
}

/* List keys: an empty value resets the list *l; otherwise as split_words(). */
static int list_words(struct conf_parser *p, const char *key, const char *value, char ***l,
		      char ***ret_words)
{
	*ret_words = NULL;
	if (isempty(value)) {
		*l = strv_free(*l);
		return 0;
	}
	return split_words(p, key, value, ret_words);
}

static int parse_strv(struct conf_parser *p, const char *key, const char *value, void *data)
{
	char ***l = data;
	_cleanup_strv_free_ char **words = NULL;
	int r;

	r = list_words(p, key, value, l, &words);
	if (r < 0 || !words)
		return r;
	STRV_FOREACH (w, words) {
		r = strv_extend(l, *w);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_policy_names(struct conf_parser *p, const char *key, const char *value, void *data)
{
	char ***l = data;
	_cleanup_strv_free_ char **words = NULL;
	int r;

	r = list_words(p, key, value, l, &words);
	if (r < 0 || !words)
		return r;
	STRV_FOREACH (w, words) {
		char *n = policy_name_normalize(*w);

		if (!n) {
			SHOW(*w);
			if (!name_is_valid(*w) || **w == '.') {
				conf_error(p, "%s=: \"%s\" is not a policy name", key,
					   strna(shown));
				continue;
			}
			return -ENOMEM;
		}
		r = strv_consume(l, n);
		if (r < 0) {
			free(n);
			return r;
		}
	}
	return 0;
}

static int normalize_pattern(struct conf_parser *p, const char *key, enum match_value kind,
			     const char *w, char **ret)
{
	int r;

	*ret = NULL;
	switch (kind) {
	case MATCH_VALUE_HEX4:
	case MATCH_VALUE_CLASS:
		r = hex_pattern_normalize(w, kind == MATCH_VALUE_HEX4 ? 4 : 6,
					  kind == MATCH_VALUE_CLASS, ret);
		if (r == -EINVAL) {
			SHOW(w);
			conf_error(p, "%s=: \"%s\" is not a %d-digit hex value or glob", key,
				   strna(shown), kind == MATCH_VALUE_HEX4 ? 4 : 6);
			return 0;
		}
		return r;
	case MATCH_VALUE_TEXT:
	default:
		*ret = strdup(w);
		return *ret ? 0 : -ENOMEM;
	}
}

static int parse_match(struct conf_parser *p, const char *key, const char *value,
		       struct policy *pol, enum match_field field)
{
	struct match_list *m = &pol->match[field];
	_cleanup_strv_free_ char **words = NULL;
	const char *v = value;
	bool invert = false;
	int r;

	if (isempty(v)) {
		m->patterns = strv_free(m->patterns);
		m->invert = false;
		m->line = 0;
		return 0;
	}
	if (*v == '!') {
		invert = true;
		v++;
	}
	r = split_words(p, key, v, &words);
	if (r < 0 || !words)
		return r;
	if (!words[0]) {
		conf_error(p, "%s=: \"!\" must be followed by a list of patterns", key);
		return 0;
	}
	if (m->patterns && m->invert != invert) {
		conf_error(p,
			   "%s=: cannot mix negated and plain lists; reset with an empty %s= first",
			   key, key);
		return 0;
	}
	STRV_FOREACH (w, words) {
		char *n;

		r = normalize_pattern(p, key, match_fields[field].kind, *w, &n);
		if (r < 0)
			return r;
		if (!n)
			continue;
		r = strv_consume(&m->patterns, n);
		if (r < 0) {
			free(n);
			return r;
		}
	}
	m->invert = invert;
	m->line = p->line;
	return 0;
}

static int parse_property(struct conf_parser *p, const char *key, const char *value, void *data)
{
	char ***l = data;
	_cleanup_strv_free_ char **words = NULL;
	int r;

	r = list_words(p, key, value, l, &words);
	if (r < 0 || !words)
		return r;
	STRV_FOREACH (w, words) {
		const char *eq = strchr(*w, '=');

		if (!eq || eq == *w) {
			SHOW(*w);
			conf_error(p, "%s=: \"%s\" is not of the form KEY=VALUE", key,
				   strna(shown));
			continue;
		}
		r = strv_extend(l, *w);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- KernelVersion= ----------------------------------------------------- */

static const char *version_operator(const char *expr, int *ret_op)
{
	static const struct {
		const char *s;
		int op;
	} ops[] = {
		/* Two-character operators first. */
		{ "<=", 'l' }, { ">=", 'g' }, { "!=", 'n' },
		{ "<", '<' },  { ">", '>' },  { "=", '=' },
	};

	for (size_t i = 0; i < ELEMENTSOF(ops); i++)
		if (startswith(expr, ops[i].s)) {
			*ret_op = ops[i].op;
			return expr + strlen(ops[i].s);
		}
	*ret_op = 0;
	return expr;
}

bool kernel_version_valid(const char *expr)
{
	int op;
	const char *v = version_operator(expr, &op);

	if (isempty(v) || strpbrk(v, " \t<>=!"))
		return false;
	/* A version after an operator is compared, not globbed. */
	return !op || !strpbrk(v, "*?[");
}

bool kernel_version_matches(const char *expr, const char *release, const char *version)
{
	int op, c;
	const char *v = version_operator(expr, &op);

	if (!release)
		return false;
	if (!op)
		return fnmatch(v, release, 0) == 0;
	c = strverscmp(version ? version : release, v);
	switch (op) {
	case '<':
		return c < 0;
	case 'l':
		return c <= 0;
	case '=':
		return c == 0;
	case 'n':
		return c != 0;
	case 'g':
		return c >= 0;
	case '>':
		return c > 0;
	default:
		return false;
	}
}

static int parse_kernel_version(struct conf_parser *p, const char *key, const char *value,
				void *data)
{
	char ***l = data;
	_cleanup_strv_free_ char **words = NULL;
	int r;

	r = list_words(p, key, value, l, &words);
	if (r < 0 || !words)
		return r;
	STRV_FOREACH (w, words) {
		if (!kernel_version_valid(*w)) {
			SHOW(*w);
			conf_error(
				p,
				"%s=: \"%s\" is not a comparison such as <6.9 or >=5.4 (operators "
				"< <= = != >= >), nor a glob on the release",
				key, strna(shown));
			continue;
		}
		r = strv_extend(l, *w);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_action(struct conf_parser *p, const char *key, const char *value, void *data)
{
	enum policy_action *a = data;

	if (isempty(value)) {
		*a = ACTION_KERNEL;
		return 0;
	}
	for (int i = 0; i < _ACTION_MAX; i++)
		if (streq(value, action_names[i])) {
			*a = i;
			return 0;
		}
	SHOW(value);
	conf_error(p, "%s=: invalid value \"%s\" (expected kernel, unbind, unload or reset)", key,
		   strna(shown));
	return 0;
}

static int parse_kernel_method(struct conf_parser *p, const char *key, const char *value,
			       void *data)
{
	enum kernel_method *m = data;
	int r;

	if (isempty(value)) {
		*m = KMETHOD_UNSET;
		return 0;
	}
	r = kernel_method_from_string(value);
	if (r < 0 && kernel_method_is_v2(value)) {
		conf_error(p,
			   "%s=: \"%s\" was a value of the kexecq kernel series' v2, whose "
			   "kexec_method was the driver's; v3's is each device's own and takes "
			   "shutdown or remove (leave %s= unset for the driver's choice)",
			   key, value, key);
		return 0;
	}
	if (r < 0) {
		SHOW(value);
		conf_error(p, "%s=: invalid value \"%s\" (expected shutdown or remove)", key,
			   strna(shown));
		return 0;
	}
	*m = r;
	return 0;
}

static int parse_bool(struct conf_parser *p, const char *key, const char *value, void *data)
{
	bool *b = data;
	int r;

	if (isempty(value)) {
		*b = false;
		return 0;
	}
	r = parse_boolean(value);
	if (r < 0) {
		SHOW(value);
		conf_error(p, "%s=: invalid boolean \"%s\"", key, strna(shown));
		return 0;
	}
	*b = r;
	return 0;
}

static int parse_tristate(struct conf_parser *p, const char *key, const char *value, void *data)
{
	enum tristate *t = data;
	int r;

	if (isempty(value) || streq(value, "auto")) {
		*t = TRI_AUTO;
		return 0;
	}
	r = parse_boolean(value);
	if (r < 0) {
		SHOW(value);
		conf_error(p, "%s=: invalid value \"%s\" (expected auto or a boolean)", key,
			   strna(shown));
		return 0;
	}
	*t = r ? TRI_YES : TRI_NO;
	return 0;
}

static int parse_on_failure(struct conf_parser *p, const char *key, const char *value, void *data)
{
	enum on_failure *f = data;

	if (isempty(value) || streq(value, "continue"))
		*f = ONFAIL_CONTINUE;
	else if (streq(value, "abort"))
		*f = ONFAIL_ABORT;
	else {
		SHOW(value);
		conf_error(p, "%s=: invalid value \"%s\" (expected continue or abort)", key,
			   strna(shown));
	}
	return 0;
}

/* Zero and "infinity" are refused: every step needs a deadline. */
static int parse_timeout(struct conf_parser *p, const char *key, const char *value, void *data)
{
	uint64_t *t = data, v;

	if (isempty(value)) {
		*t = POLICY_TIMEOUT_DEFAULT_USEC;
		return 0;
	}
	if (parse_timespan(value, &v) < 0) {
		SHOW(value);
		conf_error(p, "%s=: invalid time span \"%s\"", key, strna(shown));
		return 0;
	}
	if (v == 0) {
		conf_error(p, "%s=: must be greater than zero", key);
		return 0;
	}
	if (v > POLICY_TIMEOUT_MAX_USEC) {
		SHOW(value);
		conf_error(p, "%s=: %s is longer than one hour", key, strna(shown));
		return 0;
	}
	*t = v;
	return 0;
}

/* ---- the key table ----------------------------------------------------- */

struct key_def {
	const char *section;
	const char *name;
	const char *full; /* "Section.Name", for messages */
	enum policy_key key;
	parse_fn parse;
	size_t offset;
};

#define OFF(f) offsetof(struct policy, f)
#define KEY(section, name, ...)                              \
	{                                                    \
		section, name, section "." name, __VA_ARGS__ \
	}

static const struct key_def keys[] = {
	KEY("Policy", "Description", KEY_DESCRIPTION, parse_string, OFF(description)),
	KEY("Policy", "Documentation", KEY_DOCUMENTATION, parse_strv, OFF(documentation)),
	KEY("Policy", "After", KEY_AFTER, parse_policy_names, OFF(after)),
	KEY("Policy", "Before", KEY_BEFORE, parse_policy_names, OFF(before)),
	KEY("Match", "Property", KEY_PROPERTY, parse_property, OFF(property)),
	KEY("Match", "KernelVersion", KEY_KERNEL_VERSION, parse_kernel_version,
	    OFF(kernel_version)),
	KEY("Quiesce", "Action", KEY_ACTION, parse_action, OFF(action)),
	KEY("Quiesce", "KernelMethod", KEY_KERNEL_METHOD, parse_kernel_method, OFF(kernel_method)),
	KEY("Quiesce", "FlushCache", KEY_FLUSH_CACHE, parse_tristate, OFF(flush_cache)),
	KEY("Quiesce", "NetworkDown", KEY_NETWORK_DOWN, parse_bool, OFF(network_down)),
	KEY("Quiesce", "DisableSRIOV", KEY_DISABLE_SRIOV, parse_tristate, OFF(disable_sriov)),
	KEY("Quiesce", "TimeoutSec", KEY_TIMEOUT, parse_timeout, OFF(timeout_usec)),
	KEY("Quiesce", "OnFailure", KEY_ON_FAILURE, parse_on_failure, OFF(on_failure)),
	KEY("Quiesce", "Unsafe", KEY_UNSAFE, parse_string, OFF(unsafe)),
	KEY("Quiesce", "QuiesceUserspace", KEY_QUIESCE_USERSPACE, parse_bool,
	    OFF(quiesce_userspace)),
	KEY("Quiesce", "KernelQuiesces", KEY_KERNEL_QUIESCES, parse_bool, OFF(kernel_quiesces)),
};

const char *policy_key_to_string(enum policy_key k)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (keys[i].key == k)
			return keys[i].full;
	return NULL;
}

static bool section_known(const char *s)
{
	return streq(s, "Policy") || streq(s, "Match") || streq(s, "Quiesce");
}

static int on_section(struct conf_parser *p, const char *section)
{
	if (!section_known(section) && !startswith(section, "X-")) {
		SHOW(section);
		conf_error(p, "unknown section [%s]", strna(shown));
	}
	return 0;
}

static int on_assignment(struct conf_parser *p, const char *section, const char *key,
			 const char *value)
{
	struct policy *pol = p->userdata;
	int r;

	if (!section) {
		SHOW(key);
		conf_error(p, "assignment \"%s=\" outside of any section", strna(shown));
		return 0;
	}
	/* Extensions and unknown sections (reported once, at the header). */
	if (startswith(section, "X-") || !section_known(section) || startswith(key, "X-"))
		return 0;
	if (streq(section, "Match"))
		for (int f = 0; f < _MATCH_FIELD_MAX; f++)
			if (streq(key, match_fields[f].name))
				return parse_match(p, key, value, pol, f);
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		const struct key_def *k = &keys[i];

		if (!streq(k->section, section) || !streq(k->name, key))
			continue;
		r = k->parse(p, key, value, (uint8_t *)pol + k->offset);
		if (r < 0)
			return r;
		pol->line[k->key] = isempty(value) ? 0 : p->line;
		return 0;
	}
	SHOW(key);
	conf_error(p, "unknown key \"%s\" in section [%s]", strna(shown), section);
	return 0;
}

/* ---- the file ----------------------------------------------------------- */

struct policy *policy_free(struct policy *p)
{
	if (!p)
		return NULL;
	free(p->name);
	free(p->path);
	free(p->description);
	strv_free(p->documentation);
	strv_free(p->after);
	strv_free(p->before);
	for (int i = 0; i < _MATCH_FIELD_MAX; i++)
		strv_free(p->match[i].patterns);
	strv_free(p->property);
	strv_free(p->kernel_version);
	free(p->unsafe);
	free(p);
	return NULL;
}

static struct policy *policy_new(const char *path, const char *name)
{
	_cleanup_(policy_freep) struct policy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->path = strdup(path);
	p->name = strdup(name);
	if (!p->path || !p->name)
		return NULL;
	p->action = ACTION_KERNEL;
	p->kernel_method = KMETHOD_UNSET;
	p->flush_cache = TRI_AUTO;
	p->disable_sriov = TRI_AUTO;
	p->timeout_usec = POLICY_TIMEOUT_DEFAULT_USEC;
	p->on_failure = ONFAIL_CONTINUE;
	return TAKE_PTR(p);
}

static bool match_is_empty(const struct policy *pol)
{
	for (int i = 0; i < _MATCH_FIELD_MAX; i++)
		if (pol->match[i].patterns)
			return false;
	return !pol->property;
}

int policy_parse_buffer(const char *path, const char *name, const char *data, size_t size,
			enum policy_mode mode, struct policy **ret, unsigned *ret_n_errors)
{
	_cleanup_(policy_freep) struct policy *pol = policy_new(path, name);
	struct conf_parser p = {
		.path = path,
		.level = mode == POLICY_VERIFY ? LOG_ERR : LOG_WARNING,
		.section = on_section,
		.assignment = on_assignment,
	};
	int r;

	if (ret_n_errors)
		*ret_n_errors = 0;
	if (!pol)
		return log_oom();
	p.userdata = pol;
	if (size > CONF_FILE_MAX) {
		conf_error(&p, "larger than %u bytes", CONF_FILE_MAX);
	} else {
		r = conf_parse_buffer(&p, data, size);
		if (r < 0)
			return log_full_errno(p.level, r, "%s: %m", path);
		if (match_is_empty(pol)) {
			p.line = p.line ? p.line : 1;
			conf_error(&p,
				   "no [Match] keys: a policy must say which devices it governs "
				   "(use Driver=* to match every device)");
		}
	}
	if (ret_n_errors)
		*ret_n_errors = p.n_errors;
	if (p.n_errors > 0)
		return -EINVAL;
	*ret = TAKE_PTR(pol);
	return 0;
}

int policy_parse_fd(int fd, const char *path, const char *name, enum policy_mode mode,
		    struct policy **ret, unsigned *ret_n_errors)
{
	int level = mode == POLICY_VERIFY ? LOG_ERR : LOG_WARNING;
	_cleanup_free_ char *buf = NULL;
	size_t size;
	int r;

	if (ret_n_errors)
		*ret_n_errors = 0;
	r = read_regular_fd(fd, CONF_FILE_MAX, &buf, &size);
	if (r == -EBADFD)
		r = log_full_errno(level, r, "%s: not a regular file", path);
	else if (r == -EFBIG)
		r = log_full_errno(level, r, "%s: larger than %u bytes", path, CONF_FILE_MAX);
	else if (r < 0)
		r = log_full_errno(level, r, "%s: cannot read: %m", path);
	if (r < 0) {
		if (ret_n_errors)
			*ret_n_errors = 1;
		return r == -ENOMEM ? r : -EINVAL;
	}
	return policy_parse_buffer(path, name, buf, size, mode, ret, ret_n_errors);
}

int policy_parse_file(const char *path, const char *name, enum policy_mode mode,
		      struct policy **ret, unsigned *ret_n_errors)
{
	_cleanup_close_ int fd = -EBADF;

	/* Named by the user, so a symlink is followed; a FIFO must not block. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (ret_n_errors)
			*ret_n_errors = 1;
		return log_full_errno(mode == POLICY_VERIFY ? LOG_ERR : LOG_WARNING, errno,
				      "%s: cannot open: %m", path);
	}
	return policy_parse_fd(fd, path, name, mode, ret, ret_n_errors);
}
