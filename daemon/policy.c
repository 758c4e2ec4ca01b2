// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Policy language: one parser for one file, one loader for the set.
 *
 * The parser is table driven: each key names its section, a parse
 * function and where in struct policy the value lands.  Errors carry
 * file:line and are counted; a file with any error is rejected whole.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-files.h"
#include "log.h"
#include "policy.h"
#include "strv.h"

char *const policy_default_dirs[] = {
	(char *)SYSCONFDIR "/kexecq/policy.d",
	(char *)"/run/kexecq/policy.d",
	(char *)PREFIX_LIBDIR "/kexecq/policy.d",
	NULL,
};

static const char *const action_names[_ACTION_MAX] = {
	[ACTION_KERNEL] = "kernel",
	[ACTION_UNBIND] = "unbind",
	[ACTION_UNLOAD] = "unload",
	[ACTION_RESET] = "reset",
};

static const char *const kmethod_names[_KMETHOD_MAX] = {
	[KMETHOD_AUTO] = "auto",
	[KMETHOD_SHUTDOWN] = "shutdown",
	[KMETHOD_REMOVE] = "remove",
};

static const char *const match_field_names[_MATCH_FIELD_MAX] = {
	[MATCH_DRIVER] = "Driver",
	[MATCH_MODULE] = "Module",
	[MATCH_VENDOR] = "Vendor",
	[MATCH_DEVICE] = "Device",
	[MATCH_SUBSYSTEM_VENDOR] = "SubsystemVendor",
	[MATCH_SUBSYSTEM_DEVICE] = "SubsystemDevice",
	[MATCH_CLASS] = "Class",
	[MATCH_MODALIAS] = "Modalias",
	[MATCH_PATH] = "Path",
	[MATCH_SLOT] = "Slot",
};

const char *policy_action_to_string(enum policy_action a)
{
	return a >= 0 && a < _ACTION_MAX ? action_names[a] : NULL;
}

const char *kernel_method_to_string(enum kernel_method m)
{
	return m >= 0 && m < _KMETHOD_MAX ? kmethod_names[m] : NULL;
}

int kernel_method_from_string(const char *s)
{
	for (int i = 0; i < _KMETHOD_MAX; i++)
		if (streq(s, kmethod_names[i]))
			return i;
	return -EINVAL;
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
	return f >= 0 && f < _MATCH_FIELD_MAX ? match_field_names[f] : NULL;
}

/* ---- parse context ---------------------------------------------------- */

struct parser {
	const char *path;
	unsigned line;
	int level; /* LOG_ERR or LOG_WARNING */
	unsigned n_errors;
};

_printf_(2, 3) static void parse_error(struct parser *p, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)log_full_errno(p->level, 0, "%s:%u: %s", p->path, p->line, msg);
	p->n_errors++;
}

typedef int (*parse_fn)(struct parser *p, const char *key, const char *value, void *data);

struct key_def {
	const char *section;
	const char *name;
	const char *full; /* "Section.Name", for messages */
	enum policy_key key;
	parse_fn parse;
	size_t offset;
};

static int parse_string(struct parser *p, const char *key, const char *value, void *data)
{
	char **s = data;

	(void)p;
	(void)key;
	free(*s);
	*s = isempty(value) ? NULL : strdup(value);
	return isempty(value) || *s ? 0 : -ENOMEM;
}

/* List keys: an empty value resets *l; otherwise *ret_words holds its words. */
static int list_words(const char *value, char ***l, char ***ret_words)
{
	*ret_words = NULL;
	if (isempty(value)) {
		*l = strv_free(*l);
		return 0;
	}
	return strv_split_ws(value, ret_words);
}

static int parse_strv(struct parser *p, const char *key, const char *value, void *data)
{
	char ***l = data;
	_cleanup_strv_free_ char **words = NULL;
	int r;

	(void)p;
	(void)key;
	r = list_words(value, l, &words);
	if (r < 0 || !words)
		return r;
	STRV_FOREACH (w, words) {
		r = strv_extend(l, *w);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_policy_names(struct parser *p, const char *key, const char *value, void *data)
{
	char ***l = data;
	_cleanup_strv_free_ char **words = NULL;
	int r;

	r = list_words(value, l, &words);
	if (r < 0 || !words)
		return r;
	STRV_FOREACH (w, words) {
		_cleanup_free_ char *n = NULL;
		size_t len = strlen(*w), sl = strlen(POLICY_SUFFIX);

		if (strchr(*w, '/') || **w == '.') {
			parse_error(p, "%s=: \"%s\" is not a policy name", key, *w);
			continue;
		}
		if (len > sl && streq(*w + len - sl, POLICY_SUFFIX))
			n = strdup(*w);
		else if (asprintf(&n, "%s" POLICY_SUFFIX, *w) < 0)
			n = NULL;
		if (!n)
			return -ENOMEM;
		r = strv_consume(l, TAKE_PTR(n));
		if (r < 0)
			return r;
	}
	return 0;
}

static bool is_glob_char(char c)
{
	return strchr("*?[]!-", c) != NULL;
}

/*
 * Hex ids (Vendor=, Device=, …) and Class= are compared as lower-case hex
 * strings without "0x": "0x10DF" becomes "10df".  A plain number shorter
 * than the field is zero-padded (ids) or taken as a prefix (Class=0104
 * means class 01, subclass 04, any prog-if).
 */
static char *normalize_hex_pattern(struct parser *p, const char *key, const char *pat, size_t width,
				   bool prefix_short)
{
	const char *s = pat;
	bool glob = false;
	size_t len;
	char *out;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	len = strlen(s);
	for (const char *c = s; *c; c++) {
		if (is_glob_char(*c))
			glob = true;
		else if (!isxdigit((unsigned char)*c))
			len = SIZE_MAX;
	}
	if (len == 0 || len == SIZE_MAX || (!glob && len > width)) {
		parse_error(p, "%s=: \"%s\" is not a %zu-digit hex value or glob", key, pat, width);
		return NULL;
	}
	out = calloc(1, width + 2);
	if (!out)
		return NULL;
	if (!glob && len < width && !prefix_short) {
		memset(out, '0', width - len);
		strcpy(out + width - len, s);
	} else {
		strcpy(out, s);
		if (!glob && len < width)
			strcat(out, "*");
	}
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return out;
}

struct match_key_data {
	struct match_list *list;
	enum match_field field;
};

static int parse_match(struct parser *p, const char *key, const char *value, void *data)
{
	struct match_list *m = data;
	enum match_field field = MATCH_DRIVER;
	_cleanup_strv_free_ char **words = NULL;
	const char *v = value;
	bool invert = false;
	int r;

	for (int i = 0; i < _MATCH_FIELD_MAX; i++)
		if (streq(key, match_field_names[i]))
			field = i;

	if (isempty(v)) {
		m->patterns = strv_free(m->patterns);
		m->invert = false;
		return 0;
	}
	if (*v == '!') {
		invert = true;
		v++;
	}
	r = strv_split_ws(v, &words);
	if (r < 0)
		return r;
	if (!words[0]) {
		parse_error(p, "%s=: \"!\" must be followed by a list of patterns", key);
		return 0;
	}
	if (m->patterns && m->invert != invert) {
		parse_error(
			p, "%s=: cannot mix negated and plain lists; reset with an empty %s= first",
			key, key);
		return 0;
	}
	m->invert = invert;
	STRV_FOREACH (w, words) {
		char *n = NULL;

		switch (field) {
		case MATCH_VENDOR:
		case MATCH_DEVICE:
		case MATCH_SUBSYSTEM_VENDOR:
		case MATCH_SUBSYSTEM_DEVICE:
			n = normalize_hex_pattern(p, key, *w, 4, false);
			if (!n)
				continue;
			break;
		case MATCH_CLASS:
			n = normalize_hex_pattern(p, key, *w, 6, true);
			if (!n)
				continue;
			break;
		case MATCH_SLOT:
		case MATCH_PATH:
		case MATCH_MODALIAS:
		case MATCH_DRIVER:
		case MATCH_MODULE:
		default:
			n = strdup(*w);
			break;
		}
		if (!n)
			return -ENOMEM;
		r = strv_consume(&m->patterns, n);
		if (r < 0) {
			free(n);
			return r;
		}
	}
	return 0;
}

static int parse_property(struct parser *p, const char *key, const char *value, void *data)
{
	char ***l = data;
	_cleanup_strv_free_ char **words = NULL;
	int r;

	r = list_words(value, l, &words);
	if (r < 0 || !words)
		return r;
	STRV_FOREACH (w, words) {
		const char *eq = strchr(*w, '=');

		if (!eq || eq == *w) {
			parse_error(p, "%s=: \"%s\" is not of the form KEY=VALUE", key, *w);
			continue;
		}
		r = strv_extend(l, *w);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_action(struct parser *p, const char *key, const char *value, void *data)
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
	parse_error(p, "%s=: invalid value \"%s\" (expected kernel, unbind, unload or reset)", key,
		    value);
	return 0;
}

static int parse_kernel_method(struct parser *p, const char *key, const char *value, void *data)
{
	enum kernel_method *m = data;
	int r;

	if (isempty(value)) {
		*m = KMETHOD_UNSET;
		return 0;
	}
	r = kernel_method_from_string(value);
	if (r < 0) {
		parse_error(p, "%s=: invalid value \"%s\" (expected auto, shutdown or remove)", key,
			    value);
		return 0;
	}
	*m = r;
	return 0;
}

static int parse_boolean_value(const char *v)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

static int parse_bool(struct parser *p, const char *key, const char *value, void *data)
{
	bool *b = data;
	int r;

	if (isempty(value)) {
		*b = false;
		return 0;
	}
	r = parse_boolean_value(value);
	if (r < 0) {
		parse_error(p, "%s=: invalid boolean \"%s\"", key, value);
		return 0;
	}
	*b = r;
	return 0;
}

static int parse_tristate(struct parser *p, const char *key, const char *value, void *data)
{
	enum tristate *t = data;
	int r;

	if (isempty(value) || streq(value, "auto")) {
		*t = TRI_AUTO;
		return 0;
	}
	r = parse_boolean_value(value);
	if (r < 0) {
		parse_error(p, "%s=: invalid value \"%s\" (expected auto or a boolean)", key,
			    value);
		return 0;
	}
	*t = r ? TRI_YES : TRI_NO;
	return 0;
}

static int parse_on_failure(struct parser *p, const char *key, const char *value, void *data)
{
	enum on_failure *f = data;

	if (isempty(value) || streq(value, "continue"))
		*f = ONFAIL_CONTINUE;
	else if (streq(value, "abort"))
		*f = ONFAIL_ABORT;
	else
		parse_error(p, "%s=: invalid value \"%s\" (expected continue or abort)", key,
			    value);
	return 0;
}

/*
 * A time span as in systemd.time(7): "30", "30s", "1min 30s", "500ms".
 * A bare number is seconds.  Zero and "infinity" are refused: every step
 * needs a deadline.
 */
static int parse_timespan(const char *s, uint64_t *ret)
{
	static const struct {
		const char *suffix;
		uint64_t usec;
	} units[] = {
		{ "us", 1ULL },
		{ "usec", 1ULL },
		{ "ms", 1000ULL },
		{ "msec", 1000ULL },
		{ "s", 1000000ULL },
		{ "sec", 1000000ULL },
		{ "second", 1000000ULL },
		{ "seconds", 1000000ULL },
		{ "m", 60000000ULL },
		{ "min", 60000000ULL },
		{ "minute", 60000000ULL },
		{ "minutes", 60000000ULL },
		{ "h", 3600000000ULL },
		{ "hr", 3600000000ULL },
		{ "hour", 3600000000ULL },
		{ "hours", 3600000000ULL },
	};
	uint64_t total = 0;
	const char *p = s;
	bool any = false;

	for (;;) {
		unsigned long long n;
		uint64_t mult = 1000000ULL;
		char *end;
		size_t ul;
		bool found = false;

		p += strspn(p, " \t");
		if (!*p)
			break;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		errno = 0;
		n = strtoull(p, &end, 10);
		if (errno)
			return -ERANGE;
		p = end;
		p += strspn(p, " \t");
		ul = strspn(p, "abcdefghijklmnopqrstuvwxyz");
		if (ul > 0) {
			for (size_t i = 0; i < ELEMENTSOF(units); i++)
				if (strlen(units[i].suffix) == ul &&
				    strncmp(p, units[i].suffix, ul) == 0) {
					mult = units[i].usec;
					found = true;
				}
			if (!found)
				return -EINVAL;
			p += ul;
		}
		if (n > UINT64_MAX / mult || total + n * mult < total)
			return -ERANGE;
		total += n * mult;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*ret = total;
	return 0;
}

static int parse_timeout(struct parser *p, const char *key, const char *value, void *data)
{
	uint64_t *t = data, v;

	if (isempty(value)) {
		*t = POLICY_TIMEOUT_DEFAULT_USEC;
		return 0;
	}
	if (parse_timespan(value, &v) < 0) {
		parse_error(p, "%s=: invalid time span \"%s\"", key, value);
		return 0;
	}
	if (v == 0) {
		parse_error(p, "%s=: must be greater than zero", key);
		return 0;
	}
	if (v > 3600ULL * 1000000ULL) {
		parse_error(p, "%s=: %s is longer than one hour", key, value);
		return 0;
	}
	*t = v;
	return 0;
}

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
	KEY("Match", "Driver", KEY_DRIVER, parse_match, OFF(match[MATCH_DRIVER])),
	KEY("Match", "Module", KEY_MODULE, parse_match, OFF(match[MATCH_MODULE])),
	KEY("Match", "Vendor", KEY_VENDOR, parse_match, OFF(match[MATCH_VENDOR])),
	KEY("Match", "Device", KEY_DEVICE, parse_match, OFF(match[MATCH_DEVICE])),
	KEY("Match", "SubsystemVendor", KEY_SUBSYSTEM_VENDOR, parse_match,
	    OFF(match[MATCH_SUBSYSTEM_VENDOR])),
	KEY("Match", "SubsystemDevice", KEY_SUBSYSTEM_DEVICE, parse_match,
	    OFF(match[MATCH_SUBSYSTEM_DEVICE])),
	KEY("Match", "Class", KEY_CLASS, parse_match, OFF(match[MATCH_CLASS])),
	KEY("Match", "Modalias", KEY_MODALIAS, parse_match, OFF(match[MATCH_MODALIAS])),
	KEY("Match", "Path", KEY_PATH, parse_match, OFF(match[MATCH_PATH])),
	KEY("Match", "Slot", KEY_SLOT, parse_match, OFF(match[MATCH_SLOT])),
	KEY("Match", "Property", KEY_PROPERTY, parse_property, OFF(property)),
	KEY("Quiesce", "Action", KEY_ACTION, parse_action, OFF(action)),
	KEY("Quiesce", "KernelMethod", KEY_KERNEL_METHOD, parse_kernel_method, OFF(kernel_method)),
	KEY("Quiesce", "FlushCache", KEY_FLUSH_CACHE, parse_tristate, OFF(flush_cache)),
	KEY("Quiesce", "NetworkDown", KEY_NETWORK_DOWN, parse_bool, OFF(network_down)),
	KEY("Quiesce", "DisableSRIOV", KEY_DISABLE_SRIOV, parse_tristate, OFF(disable_sriov)),
	KEY("Quiesce", "TimeoutSec", KEY_TIMEOUT, parse_timeout, OFF(timeout_usec)),
	KEY("Quiesce", "OnFailure", KEY_ON_FAILURE, parse_on_failure, OFF(on_failure)),
};

const char *policy_key_to_string(enum policy_key k)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (keys[i].key == k)
			return keys[i].full;
	return NULL;
}

static const struct key_def *key_lookup(const char *section, const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (streq(keys[i].section, section) && streq(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static bool section_known(const char *s)
{
	return streq(s, "Policy") || streq(s, "Match") || streq(s, "Quiesce");
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

static char *strip(char *s)
{
	char *e;

	s += strspn(s, " \t\r\n");
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n", e[-1]))
		*--e = 0;
	return s;
}

/*
 * Root reads policy that decides which drivers to unbind and unload: a file
 * someone else could have written is not to be trusted.
 */
static int check_trusted(struct parser *p, int fd)
{
	_cleanup_free_ char *dir = strdup(p->path);
	struct stat st;

	if (!dir)
		return -ENOMEM;
	if (geteuid() != 0)
		return 0;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_uid != 0 || (st.st_mode & S_IWOTH) ||
	    ((st.st_mode & S_IWGRP) && st.st_gid != 0)) {
		p->line = 0;
		(void)log_full_errno(p->level, 0,
				     "%s: refusing a policy file that a user other than root can "
				     "write (owner %u, mode %04o)",
				     p->path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		p->n_errors++;
		return 0;
	}
	if (stat(dirname(dir), &st) == 0 && (st.st_mode & S_IWOTH)) {
		(void)log_full_errno(p->level, 0,
				     "%s: refusing a policy file in world-writable directory %s",
				     p->path, dir);
		p->n_errors++;
	}
	return 0;
}

static bool match_is_empty(const struct policy *pol)
{
	for (int i = 0; i < _MATCH_FIELD_MAX; i++)
		if (pol->match[i].patterns)
			return false;
	return !pol->property;
}

static int parse_stream(struct parser *p, FILE *f, struct policy *pol)
{
	_cleanup_free_ char *section = NULL, *buf = NULL, *logical = NULL;
	size_t bufsz = 0, loglen = 0;
	bool seen_match = false;
	unsigned start_line = 0;
	int r;

	for (;;) {
		ssize_t n = getline(&buf, &bufsz, f);
		bool cont;
		char *l, *eq, *key, *value;
		const struct key_def *k;

		if (n < 0) {
			if (ferror(f))
				return -errno;
			if (!logical)
				break;
			/* File ends inside a continuation: take what we have. */
			n = 0;
			buf[0] = 0;
			cont = false;
		} else {
			p->line++;
		}
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = 0;
		if (n > 0 && buf[n - 1] == '\r')
			buf[--n] = 0;

		l = buf + strspn(buf, " \t");
		/* Comment lines are skipped, even inside a continuation. */
		if (*l == '#' || *l == ';')
			continue;

		n = (ssize_t)strlen(l);
		cont = n > 0 && l[n - 1] == '\\';
		if (cont)
			l[--n] = ' ';

		if (!logical) {
			start_line = p->line;
			logical = strdup(l);
			if (!logical)
				return -ENOMEM;
			loglen = (size_t)n;
		} else {
			char *c = realloc(logical, loglen + (size_t)n + 1);

			if (!c)
				return -ENOMEM;
			logical = c;
			memcpy(logical + loglen, l, (size_t)n + 1);
			loglen += (size_t)n;
		}
		if (cont && !feof(f))
			continue;

		{
			_cleanup_free_ char *line = TAKE_PTR(logical);
			unsigned cur = p->line;

			loglen = 0;
			p->line = start_line;
			l = strip(line);

			if (!*l) {
				p->line = cur;
				continue;
			}
			if (*l == '[') {
				size_t len = strlen(l);

				if (len < 3 || l[len - 1] != ']') {
					parse_error(p, "invalid section header \"%s\"", l);
					free(section);
					section = NULL;
				} else {
					free(section);
					section = strndup(l + 1, len - 2);
					if (!section)
						return -ENOMEM;
					if (!section_known(section) && !startswith(section, "X-"))
						parse_error(p, "unknown section [%s]", section);
					if (streq(section, "Match"))
						seen_match = true;
				}
				p->line = cur;
				continue;
			}
			eq = strchr(l, '=');
			if (!eq) {
				parse_error(p, "expected KEY=VALUE, got \"%s\"", l);
				p->line = cur;
				continue;
			}
			*eq = 0;
			key = strip(l);
			value = strip(eq + 1);
			if (!section) {
				parse_error(p, "assignment \"%s=\" outside of any section", key);
			} else if (!startswith(section, "X-") && section_known(section) &&
				   !startswith(key, "X-")) {
				k = key_lookup(section, key);
				if (!k) {
					parse_error(p, "unknown key \"%s\" in section [%s]", key,
						    section);
				} else {
					r = k->parse(p, key, value, (uint8_t *)pol + k->offset);
					if (r < 0)
						return r;
					pol->line[k->key] = isempty(value) ? 0 : p->line;
				}
			}
			p->line = cur;
		}
	}

	if (!seen_match || match_is_empty(pol)) {
		p->line = p->line ? p->line : 1;
		parse_error(p, "no [Match] keys: a policy must say which devices it governs "
			       "(use Driver=* to match every device)");
	}
	return 0;
}

int policy_parse_buffer(const char *path, const char *name, const char *data, size_t size,
			enum policy_mode mode, struct policy **ret, unsigned *ret_n_errors)
{
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct parser p = {
		.path = path,
		.level = mode == POLICY_VERIFY ? LOG_ERR : LOG_WARNING,
	};
	int r;

	if (ret_n_errors)
		*ret_n_errors = 0;
	f = fmemopen(size ? (void *)data : (void *)"", size ? size : 1, "r");
	if (!f)
		return -errno;
	if (!size)
		(void)fgetc(f);
	pol = policy_new(path, name);
	if (!pol)
		return log_oom();
	r = parse_stream(&p, f, pol);
	if (r < 0)
		return log_full_errno(p.level, r, "%s: read failed: %m", path);
	if (ret_n_errors)
		*ret_n_errors = p.n_errors;
	if (p.n_errors > 0)
		return -EINVAL;
	*ret = TAKE_PTR(pol);
	return 0;
}

int policy_parse_file(const char *path, const char *name, enum policy_mode mode,
		      struct policy **ret, unsigned *ret_n_errors)
{
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct parser p = {
		.path = path,
		.level = mode == POLICY_VERIFY ? LOG_ERR : LOG_WARNING,
	};
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return log_full_errno(p.level, errno, "%s: cannot open: %m", path);
	f = fdopen(fd, "re");
	if (!f) {
		r = -errno;
		close(fd);
		return r;
	}
	r = check_trusted(&p, fd);
	if (r < 0)
		return log_full_errno(p.level, r, "%s: cannot check ownership: %m", path);

	pol = policy_new(path, name);
	if (!pol)
		return log_oom();
	r = parse_stream(&p, f, pol);
	if (r < 0)
		return log_full_errno(p.level, r, "%s: read failed: %m", path);

	if (ret_n_errors)
		*ret_n_errors = p.n_errors;
	if (p.n_errors > 0) {
		if (mode == POLICY_RUNTIME)
			log_warning("%s: ignoring the whole file (%u problem%s)", path, p.n_errors,
				    p.n_errors == 1 ? "" : "s");
		return -EINVAL;
	}
	*ret = TAKE_PTR(pol);
	return 0;
}

/* ---- the set -------------------------------------------------------------- */

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

int policy_set_load(char *const *dirs, enum policy_mode mode, struct policy_set **ret,
		    unsigned *ret_n_errors)
{
	_cleanup_(policy_set_freep) struct policy_set *s = calloc(1, sizeof(*s));
	struct conf_file_list files = {};
	unsigned total = 0;
	int r;

	if (!s)
		return log_oom();
	r = conf_files_list(dirs, POLICY_SUFFIX, &files);
	if (r < 0)
		return r;
	s->policies = calloc(files.n ? files.n : 1, sizeof(*s->policies));
	if (!s->policies) {
		conf_file_list_done(&files);
		return log_oom();
	}
	for (size_t i = 0; i < files.n; i++) {
		struct policy *pol = NULL;
		unsigned n_errors = 0;

		if (files.files[i].masked) {
			log_debug("%s: masked", files.files[i].path);
			continue;
		}
		r = policy_parse_file(files.files[i].path, files.files[i].name, mode, &pol,
				      &n_errors);
		if (r == -ENOMEM) {
			conf_file_list_done(&files);
			return r;
		}
		if (r < 0) {
			total += n_errors ? n_errors : 1;
			continue;
		}
		s->policies[s->n++] = pol;
	}
	conf_file_list_done(&files);

	r = policy_set_check_order(s, mode);
	if (r < 0)
		total++;

	if (ret_n_errors)
		*ret_n_errors = total;
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

	/* adj[a * n + b]: a must run before b. */
	for (size_t i = 0; i < n; i++) {
		const struct policy *pi = s->policies[i];

		STRV_FOREACH (a, pi->after) {
			bool found = false;

			for (size_t j = 0; j < n; j++)
				if (streq(s->policies[j]->name, *a)) {
					adj[j * n + i] = 1;
					found = true;
				}
			if (!found)
				log_debug("%s:%u: After=%s names no loaded policy; ignored",
					  pi->path, pi->line[KEY_AFTER], *a);
		}
		STRV_FOREACH (b, pi->before) {
			bool found = false;

			for (size_t j = 0; j < n; j++)
				if (streq(s->policies[j]->name, *b)) {
					adj[i * n + j] = 1;
					found = true;
				}
			if (!found)
				log_debug("%s:%u: Before=%s names no loaded policy; ignored",
					  pi->path, pi->line[KEY_BEFORE], *b);
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
