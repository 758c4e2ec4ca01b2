// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf-parser.h"
#include "journal-read.h"
#include "log.h"
#include "string-util.h"

/* Warnings said one by one; the rest are counted. */
#define WARNINGS_SHOWN 10U
/* "2026-01-01T10:00:00.123456Z " */
#define STAMP_LEN 27U
/* A duration beyond this (in seconds) is not one kexecq wrote: runs last at most an hour. */
#define DURATION_MAX_SEC 1000000000ULL

struct journal_run *journal_run_free(struct journal_run *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; r->steps && i < r->n; i++) {
		free(r->steps[i].what);
		free(r->steps[i].message);
		free(r->steps[i].deps);
	}
	free(r->steps);
	free(r->started);
	free(r->summary);
	free(r->critical_path);
	free(r);
	return NULL;
}

struct reader {
	const char *path;
	struct journal_run *run;
	unsigned line;
	int64_t t0; /* the run's start, microseconds since the epoch */
};

static void skip_line(struct reader *rd, const char *why)
{
	if (rd->run->n_skipped++ < WARNINGS_SHOWN)
		log_warning("%s:%u: %s; line skipped.", rd->path, rd->line, why);
}

/* n digits at s as a number; false unless they are all digits. */
static bool digits(const char *s, size_t n, unsigned *ret)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*ret = v;
	return true;
}

/* Days since 1970-01-01 of a date in the proleptic Gregorian calendar (Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The stamp journal.c writes, "2026-01-01T10:00:00.123456Z", as microseconds since the epoch. */
static bool parse_stamp(const char *s, size_t len, int64_t *ret)
{
	unsigned y, mo, d, h, mi, sec, us;

	if (len < STAMP_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != '.' || s[26] != 'Z' || (len > STAMP_LEN && s[27] != ' '))
		return false;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
	    !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec) ||
	    !digits(s + 20, 6, &us))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return false;
	*ret = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000000) + us;
	return true;
}

/* A decimal number at *p, at most max; advances *p.  No sign, no spaces, no overflow. */
static bool parse_count(const char **p, size_t max, size_t *ret)
{
	const char *s = *p;
	size_t v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		size_t digit = (size_t)(*s - '0');

		if (v > (max - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	*p = s;
	*ret = v;
	return true;
}

/* "0.204" as microseconds: what "%.3f" writes, bounded. */
static bool parse_seconds(const char **p, uint64_t *ret)
{
	const char *s = *p;
	size_t sec;
	uint64_t usec = 0, scale = 100000;

	if (!parse_count(&s, DURATION_MAX_SEC, &sec))
		return false;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return false;
		for (; *s >= '0' && *s <= '9'; s++) {
			usec += (uint64_t)(*s - '0') * scale;
			scale /= 10;
		}
	}
	*p = s;
	*ret = (uint64_t)sec * 1000000ULL + usec;
	return true;
}

/* " (after 1, 2)" at p, to the end; each step before id.  0, or -EINVAL (said). */
static int parse_after(struct reader *rd, const char *p, size_t id, size_t **ret, size_t *ret_n)
{
	_cleanup_free_ size_t *deps = NULL;
	size_t n = 0;

	*ret = NULL;
	*ret_n = 0;
	if (!*p)
		return 0;
	if (strncmp(p, " (after ", 8) != 0)
		return -EINVAL;
	p += 8;
	for (;;) {
		size_t d, *nd;

		if (!parse_count(&p, JOURNAL_RUN_STEPS_MAX, &d))
			return -EINVAL;
		if (d < 1 || d >= id) {
			skip_line(rd, "a step can only wait for steps before it");
			return -ERANGE;
		}
		/* At most one for each step before it; more is not a list kexecq wrote. */
		if (n >= id - 1)
			return -EINVAL;
		nd = realloc(deps, (n + 1) * sizeof(*deps));
		if (!nd)
			return -ENOMEM;
		deps = nd;
		deps[n++] = d;
		if (*p == ')' && !p[1])
			break;
		if (strncmp(p, ", ", 2) != 0)
			return -EINVAL;
		p += 2;
	}
	*ret = TAKE_PTR(deps);
	*ret_n = n;
	return 0;
}

static int set_str(char **field, const char *s, size_t len)
{
	char *c = strndup(s, len);

	if (!c)
		return -ENOMEM;
	free(*field);
	*field = c;
	return 0;
}

/* What follows "WHAT: " on a step line. */
struct status {
	bool started;
	enum step_state state;
	bool has_duration;
	uint64_t duration_usec;
	const char *message; /* points into the line */
};

/*
 * The status at p, to the end of the line: "started[ (after ...)]" (the
 * list is parse_after()'s) or "STATE[ in N s][; MESSAGE]", STATE one of
 * step_state_to_string()'s words.  False when it is neither.
 */
static bool parse_status(const char *p, struct status *ret)
{
	*ret = (struct status){};
	if (startswith(p, "started") && (!p[7] || startswith(p + 7, " (after "))) {
		ret->started = true;
		return true;
	}
	for (int st = 0; st < _STATE_MAX; st++) {
		const char *name = step_state_to_string((enum step_state)st);
		size_t l = strlen(name);
		const char *q = p + l;

		if (strncmp(p, name, l) != 0)
			continue;
		if (startswith(q, " in ")) {
			q += 4;
			if (!parse_seconds(&q, &ret->duration_usec) || !startswith(q, " s"))
				return false;
			q += 2;
			ret->has_duration = true;
		}
		if (*q == ';')
			ret->message = q[1] == ' ' ? q + 2 : q + 1;
		else if (*q)
			continue; /* a longer word ("undone" after "undo...") */
		ret->state = (enum step_state)st;
		return true;
	}
	return false;
}

static int64_t since_start(const struct reader *rd, int64_t t)
{
	/* The clock stepped back during the run: the start, not before it. */
	return t > rd->t0 ? t - rd->t0 : 0;
}

static int step_line(struct reader *rd, const char *text, int64_t t)
{
	struct journal_run *run = rd->run;
	const char *p = text + 1, *rest, *colon = NULL;
	struct journal_step *s;
	struct status st;
	size_t id, n;
	int r;

	while (*p == ' ')
		p++;
	if (!parse_count(&p, JOURNAL_RUN_STEPS_MAX, &id) || *p != '/') {
		skip_line(rd, "not a step number");
		return 0;
	}
	p++;
	if (!parse_count(&p, JOURNAL_RUN_STEPS_MAX, &n) || !startswith(p, "] ")) {
		skip_line(rd, "not a step count");
		return 0;
	}
	if (n != run->n || id < 1 || id > n) {
		skip_line(rd, "a step number that is not one of the run's");
		return 0;
	}
	rest = p + 2;
	s = &run->steps[id - 1];
	/* The description as this step's earlier line gave it, else up to the first status. */
	if (s->what && startswith(rest, s->what) && startswith(rest + strlen(s->what), ": ") &&
	    parse_status(rest + strlen(s->what) + 2, &st))
		colon = rest + strlen(s->what);
	for (const char *q = rest; !colon && (q = strstr(q, ": ")); q++)
		if (parse_status(q + 2, &st))
			colon = q;
	if (!colon) {
		skip_line(rd, "a step line without a state");
		return 0;
	}
	if (st.started) {
		_cleanup_free_ size_t *deps = NULL;
		size_t n_deps;

		r = parse_after(rd, colon + 2 + 7, id, &deps, &n_deps);
		if (r == -ENOMEM)
			return r;
		if (r == -EINVAL)
			skip_line(rd, "not a list of steps after \"started\"");
		if (r < 0)
			return 0;
		free(s->deps);
		s->deps = TAKE_PTR(deps);
		s->n_deps = n_deps;
		s->has_start = true;
		s->start_usec = (uint64_t)since_start(rd, t);
		if (s->state == STATE_PENDING)
			s->state = STATE_RUNNING;
	} else {
		s->state = st.state;
		s->ended_usec = (uint64_t)since_start(rd, t);
		if (st.has_duration && !s->has_duration) {
			s->has_duration = true;
			s->duration_usec = st.duration_usec;
			s->ran = st.state;
			if (!s->has_start) {
				/* No "started" line (a journal from before they had one, or lost): back from the end. */
				s->has_start = true;
				s->start_usec = s->ended_usec > st.duration_usec ?
							s->ended_usec - st.duration_usec :
							0;
			}
		}
		free(s->message);
		s->message = NULL;
		if (st.message && !(s->message = strdup(st.message)))
			return -ENOMEM;
	}
	if (!s->what && set_str(&s->what, rest, (size_t)(colon - rest)) < 0)
		return -ENOMEM;
	return 0;
}

/* "12 steps: 11 done, 1 failed; 0.83 s, critical path 0.81 s" (exec_report_summary()). */
static bool is_summary(const char *text)
{
	const char *p = text;
	size_t n;

	return parse_count(&p, SIZE_MAX, &n) && startswith(p, " step") &&
	       strstr(p, ", critical path ");
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* exec.c's critical_path(), on the journal's durations. */
static int critical_path(struct journal_run *run)
{
	_cleanup_free_ uint64_t *cp = calloc(run->n + 1, sizeof(uint64_t));
	_cleanup_free_ size_t *pred = calloc(run->n + 1, sizeof(size_t));
	size_t best = 0, n = 0;

	if (!cp || !pred)
		return -ENOMEM;
	/* Dependencies have smaller ids (parse_after() checked). */
	for (size_t i = 0; i < run->n; i++) {
		const struct journal_step *s = &run->steps[i];
		uint64_t before = 0;

		if (!s->has_duration)
			continue;
		for (size_t d = 0; d < s->n_deps; d++) {
			size_t k = s->deps[d] - 1;

			if (cp[k] > before) {
				before = cp[k];
				pred[i] = k + 1;
			}
		}
		cp[i] = add_sat(before, s->duration_usec);
		if (!best || cp[i] > cp[best - 1])
			best = i + 1;
	}
	if (!best)
		return 0;
	run->critical_usec = cp[best - 1];
	for (size_t k = best; k; k = pred[k - 1])
		n++;
	run->critical_path = calloc(n, sizeof(size_t));
	if (!run->critical_path)
		return -ENOMEM;
	run->n_critical = n;
	for (size_t k = best; k; k = pred[k - 1]) {
		run->critical_path[--n] = k;
		run->steps[k - 1].critical = true;
	}
	return 0;
}

/* The next line of data[0..size) from *off: its start and length, without the newline. */
static bool next_line(const char *data, size_t size, size_t *off, const char **ret, size_t *ret_len)
{
	const char *nl;

	if (*off >= size)
		return false;
	*ret = data + *off;
	nl = memchr(*ret, '\n', size - *off);
	*ret_len = nl ? (size_t)(nl - *ret) : size - *off;
	*off += *ret_len + 1;
	return true;
}

/* A line as journal.c writes them: a stamp first, and no NUL. */
static bool stamped(const char *l, size_t len, int64_t *ret_t)
{
	return parse_stamp(l, len, ret_t) && !memchr(l, 0, len);
}

int journal_run_parse(const char *path, const char *data, size_t size, struct journal_run **ret)
{
	_cleanup_(journal_run_freep) struct journal_run *run = calloc(1, sizeof(*run));
	struct reader rd = { .path = path, .run = run };
	size_t off = 0, start = 0, len = 0, n = 0;
	unsigned line = 0, start_line = 0;
	const char *l = NULL;
	int64_t t;
	int r;

	if (!run)
		return log_oom();
	/* The last run: from its "quiescing:" line on. */
	while (next_line(data, size, &off, &l, &len)) {
		line++;
		/* Within the line: the data need not end in a NUL (nor a newline). */
		if (stamped(l, len, &t) && len >= STAMP_LEN + 1 + 11 &&
		    memcmp(l + STAMP_LEN + 1, "quiescing: ", 11) == 0) {
			start = (size_t)(l - data);
			start_line = line;
			run->n_runs++;
		}
	}
	if (!run->n_runs)
		return log_error_errno(ENOMSG, "%s: no quiesce in it (no \"quiescing:\" line).",
				       path);

	off = start;
	rd.line = start_line;
	if (!next_line(data, size, &off, &l, &len))
		return -EINVAL; /* found above */
	{
		_cleanup_free_ char *text = strndup(l + STAMP_LEN + 1, len - STAMP_LEN - 1);
		const char *p;

		if (!text)
			return log_oom();
		p = text + 11;
		if (!parse_count(&p, JOURNAL_RUN_STEPS_MAX, &n)) {
			if (*p >= '0' && *p <= '9')
				return log_error_errno(
					E2BIG,
					"%s:%u: a run of more than %u steps: not one "
					"kexecq wrote.",
					path, start_line, JOURNAL_RUN_STEPS_MAX);
			p = "";
		}
		if (!startswith(p, " step"))
			return log_error_errno(EBADMSG,
					       "%s:%u: \"quiescing:\" without a step count.", path,
					       start_line);
	}
	(void)parse_stamp(l, len, &rd.t0);
	run->line = start_line;
	run->started = strndup(l, STAMP_LEN);
	run->steps = calloc(n ? n : 1, sizeof(*run->steps));
	if (!run->started || !run->steps)
		return log_oom();
	run->n = n;

	while (next_line(data, size, &off, &l, &len)) {
		_cleanup_free_ char *text = NULL;

		rd.line++;
		if (len == 0)
			continue;
		if (!stamped(l, len, &t)) {
			skip_line(&rd, "not a journal line (no time stamp)");
			continue;
		}
		if ((uint64_t)since_start(&rd, t) > run->last_usec)
			run->last_usec = (uint64_t)since_start(&rd, t);
		if (len <= STAMP_LEN + 1)
			continue;
		text = strndup(l + STAMP_LEN + 1, len - STAMP_LEN - 1);
		if (!text)
			return log_oom();
		if (text[0] == '[') {
			r = step_line(&rd, text, t);
			if (r < 0)
				return log_oom();
		} else if (is_summary(text)) {
			free(run->summary);
			run->summary = TAKE_PTR(text);
		}
	}
	if (run->n_skipped > WARNINGS_SHOWN)
		log_warning("%s: %u more lines skipped.", path, run->n_skipped - WARNINGS_SHOWN);
	if (critical_path(run) < 0)
		return log_oom();
	*ret = TAKE_PTR(run);
	return 0;
}

int journal_run_read_file(const char *path, struct journal_run **ret)
{
	_cleanup_free_ char *data = NULL;
	size_t size = 0;
	int r;

	r = read_file_logged(path, JOURNAL_FILE_MAX, &data, &size);
	if (r < 0)
		return r;
	return journal_run_parse(path, data, size, ret);
}
