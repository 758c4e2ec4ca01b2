// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "string-util.h"
#include "trust.h"

/*
 * The kernel rate-limits each opener of /dev/kmsg to a burst of 10
 * records every 5 s (printk.devkmsg=ratelimit, the default) and drops the
 * rest.  The journal keeps one descriptor and stays inside that limit:
 * consecutive lines of one level are packed into one record (the console
 * and pstore print each line of a record with its own prefix), and when
 * the burst is used up the writer waits for the next window instead of
 * writing into the void.  printk.devkmsg=on lifts the limit; =off makes
 * the kernel refuse the writes, which is respected.
 */
#define KMSG_BURST 10
#define KMSG_RESERVED 3 /* of each burst, for warnings and errors */
#define KMSG_WINDOW_USEC (5ULL * 1000000ULL + 100000ULL) /* the kernel's 5 s, and a margin */
#define KMSG_RECORD_MAX 900 /* below the kernel's 1024-byte record limit */
/* Steps end in bursts: lines younger than this wait for the rest of theirs, to share records. */
#define KMSG_GATHER_USEC 20000ULL

enum target {
	TO_FILE = 1 << 0,
	TO_KMSG = 1 << 1,
	TO_STREAM = 1 << 2,
};

struct entry {
	struct entry *next;
	uint64_t queued_usec;
	struct timespec stamp; /* CLOCK_REALTIME when queued: the file's time of the event */
	unsigned targets;
	int level;
	FILE *stream;
	char text[];
};

struct journal {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* the writer's: work, or closing */
	pthread_cond_t drained; /* flushers': the queue is written */
	struct entry *head, **tail; /* under lock */
	bool busy; /* the writer holds entries it has not written yet */
	size_t kmsg_backlog; /* lines waiting for the next kmsg window (under lock) */
	bool closing;
	bool orphaned; /* journal_close() gave up waiting: the writer frees it all */

	/* The writer's alone. */
	FILE *file;
	char *kmsg_path;
	int kmsg_fd;
	struct entry *kmsg_head, **kmsg_tail;
	uint64_t window_start;
	unsigned window_records;
};

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static struct timespec abs_ts(uint64_t usec)
{
	return (struct timespec){ .tv_sec = (time_t)(usec / 1000000ULL),
				  .tv_nsec = (long)(usec % 1000000ULL) * 1000 };
}

/*
 * The time is when the line was queued, not written: a writer held up by
 * a stopped terminal does not move the steps in time ('kexecq plot' draws
 * them from these stamps).
 */
static void file_write(struct journal *j, const struct entry *e)
{
	struct tm tm;
	char stamp[32];

	if (!j->file)
		return;
	gmtime_r(&e->stamp.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(j->file, "%s.%06ldZ %s\n", stamp, e->stamp.tv_nsec / 1000, e->text);
}

static void entries_free(struct entry *e)
{
	while (e) {
		struct entry *n = e->next;

		free(e);
		e = n;
	}
}

/* Append e's line to a record body of n bytes; false when it does not fit. */
static bool pack(char *body, size_t size, size_t *n, const struct entry *e)
{
	size_t len = strlen(e->text);
	bool cut = len > KMSG_RECORD_MAX - 20;

	if (cut)
		len = KMSG_RECORD_MAX - 20;
	if (*n > 0 && *n + len + 16 > KMSG_RECORD_MAX)
		return false;
	*n += (size_t)snprintf(body + *n, size - *n, "%skexecq: %.*s%s", *n ? "\n" : "", (int)len,
			       e->text, cut ? "..." : "");
	return true;
}

/*
 * Write what the window allows.  Lines go in order, consecutive lines of
 * one level sharing a record, while the window has more than KMSG_RESERVED
 * records left.  The last KMSG_RESERVED are kept for what must not be
 * lost: errors first (the reason for an abort or a restart), then
 * warnings, each record packing such lines from anywhere in the queue, so
 * that they never wait behind step lines.  Returns 0, or when to try again.
 */
static uint64_t kmsg_emit(struct journal *j, bool gather)
{
	if (j->kmsg_fd < 0 && j->kmsg_head) {
		j->kmsg_fd = open(j->kmsg_path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (j->kmsg_fd < 0) {
			/* No kernel log: drop the lines, they are in the file. */
			entries_free(j->kmsg_head);
			j->kmsg_head = NULL;
			j->kmsg_tail = &j->kmsg_head;
			return 0;
		}
	}
	while (j->kmsg_head) {
		char rec[KMSG_RECORD_MAX + 64], body[KMSG_RECORD_MAX + 64];
		uint64_t now = now_usec();
		int level = LOG_DEBUG, limit;
		size_t n = 0;

		if (!j->window_start || now >= j->window_start + KMSG_WINDOW_USEC) {
			j->window_start = now;
			j->window_records = 0;
		}
		if (j->window_records >= KMSG_BURST)
			return j->window_start + KMSG_WINDOW_USEC;
		if (j->window_records < KMSG_BURST - KMSG_RESERVED) {
			if (gather && now < j->kmsg_head->queued_usec + KMSG_GATHER_USEC)
				return j->kmsg_head->queued_usec + KMSG_GATHER_USEC;
			/* In order: the first line, and those after it of its level. */
			level = j->kmsg_head->level;
			while (j->kmsg_head && j->kmsg_head->level == level &&
			       pack(body, sizeof(body), &n, j->kmsg_head)) {
				struct entry *e = j->kmsg_head;

				j->kmsg_head = e->next;
				free(e);
			}
		} else {
			/* The reserve: errors, else warnings, from anywhere in the queue. */
			limit = LOG_WARNING;
			for (struct entry *e = j->kmsg_head; e; e = e->next)
				if (e->level <= LOG_ERR)
					limit = LOG_ERR;
			for (struct entry **pp = &j->kmsg_head; *pp;) {
				struct entry *e = *pp;

				if (e->level > limit) {
					pp = &e->next;
					continue;
				}
				if (!pack(body, sizeof(body), &n, e))
					break;
				if (e->level < level)
					level = e->level;
				*pp = e->next;
				free(e);
			}
			if (n == 0)
				return j->window_start + KMSG_WINDOW_USEC;
		}
		j->kmsg_tail = &j->kmsg_head;
		while (*j->kmsg_tail)
			j->kmsg_tail = &(*j->kmsg_tail)->next;
		/* <level> makes it a kernel log record with that priority; facility user. */
		n = (size_t)snprintf(rec, sizeof(rec), "<%d>%.*s\n", (1 << 3) | level, (int)n,
				     body);
		j->window_records++;
		(void)!write(j->kmsg_fd, rec, n);
	}
	return 0;
}

static void journal_free(struct journal *j)
{
	entries_free(j->head);
	entries_free(j->kmsg_head);
	if (j->file)
		fclose(j->file);
	if (j->kmsg_fd >= 0)
		close(j->kmsg_fd);
	free(j->kmsg_path);
	pthread_cond_destroy(&j->cond);
	pthread_cond_destroy(&j->drained);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

static void *writer(void *p)
{
	struct journal *j = p;
	uint64_t retry = 0;
	bool orphaned;

	pthread_mutex_lock(&j->lock);
	for (;;) {
		struct entry *list;
		size_t backlog = 0;

		while (!j->head && !j->closing) {
			if (retry) {
				struct timespec ts = abs_ts(retry);

				if (pthread_cond_timedwait(&j->cond, &j->lock, &ts) == ETIMEDOUT)
					break;
			} else
				pthread_cond_wait(&j->cond, &j->lock);
		}
		if (j->closing && !j->head)
			break;
		list = j->head;
		j->head = NULL;
		j->tail = &j->head;
		j->busy = true;
		pthread_mutex_unlock(&j->lock);

		while (list) {
			struct entry *e = list;

			list = e->next;
			e->next = NULL;
			if (e->targets & TO_STREAM) {
				fputs(e->text, e->stream);
				fflush(e->stream);
			}
			if (e->targets & TO_FILE)
				file_write(j, e);
			if ((e->targets & TO_KMSG) && j->kmsg_path) {
				*j->kmsg_tail = e;
				j->kmsg_tail = &e->next;
			} else
				free(e);
		}
		if (j->file)
			fflush(j->file);
		retry = kmsg_emit(j, true);
		for (struct entry *e = j->kmsg_head; e; e = e->next)
			backlog++;

		pthread_mutex_lock(&j->lock);
		j->busy = false;
		j->kmsg_backlog = backlog;
		pthread_cond_broadcast(&j->drained);
	}
	orphaned = j->orphaned;
	pthread_mutex_unlock(&j->lock);
	if (orphaned)
		journal_free(j);
	return NULL;
}

struct journal *journal_open(const char *rundir, const char *kmsg)
{
	struct journal *j = calloc(1, sizeof(*j));
	pthread_condattr_t ca;
	sigset_t all, old;

	if (!j)
		return NULL;
	j->kmsg_fd = -EBADF;
	j->tail = &j->head;
	j->kmsg_tail = &j->kmsg_head;
	pthread_mutex_init(&j->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cond, &ca);
	pthread_cond_init(&j->drained, &ca);
	pthread_condattr_destroy(&ca);
	if (rundir) {
		/* Created 0700 if missing; refused if it is a symlink or others could write it. */
		_cleanup_free_ char *problem = NULL;
		_cleanup_close_ int dfd = trust_open_run_dir(rundir, true, &problem);
		int fd;

		if (dfd < 0)
			log_warning_errno(dfd, "%s; no journal.", problem ? problem : rundir);
		else if ((fd = openat(dfd, "journal",
				      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
				      0600)) < 0)
			log_warning_errno(errno, "Cannot open %s/journal, no journal: %m", rundir);
		else if (!(j->file = fdopen(fd, "a")))
			close(fd);
	}
	if (kmsg && !(j->kmsg_path = strdup(kmsg)))
		return journal_close(j);
	/* Signals are for the thread that waits for them (reboot.c), not the writer. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	j->started = pthread_create(&j->thread, NULL, writer, j) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!j->started)
		log_warning("Cannot start the journal's writer: writing on the caller's thread.");
	return j;
}

/* Drained: nothing queued, nothing in hand, no kmsg backlog; called locked. */
static bool drained(struct journal *j)
{
	return !j->head && !j->busy && j->kmsg_backlog == 0;
}

int journal_flush(struct journal *j, uint64_t timeout_usec)
{
	struct timespec ts = abs_ts(now_usec() + timeout_usec);
	int r = 0;

	if (!j || !j->started)
		return 0;
	pthread_mutex_lock(&j->lock);
	while (!drained(j))
		if (pthread_cond_timedwait(&j->drained, &j->lock, &ts) == ETIMEDOUT) {
			r = drained(j) ? 0 : -ETIMEDOUT;
			break;
		}
	pthread_mutex_unlock(&j->lock);
	return r;
}

struct journal *journal_close(struct journal *j)
{
	if (!j)
		return NULL;
	if (j->started) {
		if (journal_flush(j, JOURNAL_CLOSE_USEC) < 0) {
			/* Blocked on a stopped terminal: leave it, it frees all when it is done. */
			pthread_t t = j->thread;

			pthread_detach(t);
			pthread_mutex_lock(&j->lock);
			j->closing = true;
			j->orphaned = true;
			pthread_cond_signal(&j->cond);
			pthread_mutex_unlock(&j->lock);
			return NULL;
		}
		pthread_mutex_lock(&j->lock);
		j->closing = true;
		pthread_cond_signal(&j->cond);
		pthread_mutex_unlock(&j->lock);
		pthread_join(j->thread, NULL);
	}
	journal_free(j);
	return NULL;
}

static void queue(struct journal *j, unsigned targets, int level, FILE *stream, const char *text)
{
	size_t len = strlen(text);
	struct entry *e = malloc(sizeof(*e) + len + 1);

	if (!e)
		return;
	e->next = NULL;
	e->queued_usec = now_usec();
	clock_gettime(CLOCK_REALTIME, &e->stamp);
	e->targets = targets;
	e->level = level;
	e->stream = stream;
	memcpy(e->text, text, len + 1);
	if (!j->started) {
		/* No writer thread: write here, as before. */
		if (targets & TO_STREAM) {
			fputs(text, stream);
			fflush(stream);
		}
		if (targets & TO_FILE)
			file_write(j, e);
		if ((targets & TO_KMSG) && j->kmsg_path) {
			*j->kmsg_tail = e;
			j->kmsg_tail = &e->next;
			(void)kmsg_emit(j, false);
		} else
			free(e);
		return;
	}
	pthread_mutex_lock(&j->lock);
	*j->tail = e;
	j->tail = &e->next;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
}

void journal_log(struct journal *j, int level, const char *fmt, ...)
{
	_cleanup_free_ char *text = NULL;
	va_list ap;
	int r;

	if (!j)
		return;
	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r >= 0)
		queue(j, TO_FILE | TO_KMSG, level, NULL, text);
}

void journal_print(struct journal *j, FILE *stream, const char *fmt, ...)
{
	_cleanup_free_ char *text = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	if (!j) {
		fputs(text, stream);
		fflush(stream);
		return;
	}
	queue(j, TO_STREAM, LOG_INFO, stream, text);
}

void journal_log_fn(int level, const char *msg, void *userdata)
{
	struct journal *j = userdata;

	if (level <= LOG_ERR)
		journal_print(j, stderr, "kexecq: %s\n", msg);
	else if (level == LOG_WARNING)
		journal_print(j, stderr, "kexecq: warning: %s\n", msg);
	else
		journal_print(j, stderr, "%s\n", msg);
	if (j && level <= LOG_WARNING)
		queue(j, TO_FILE | TO_KMSG, level, NULL, msg);
}

char *exec_step_line(const struct exec_report *r, size_t i)
{
	const struct step_result *res = &r->results[i];
	_cleanup_free_ char *what = step_describe(&r->plan->steps[i]);
	const char *msg = res->state == STATE_UNDONE || res->state == STATE_UNDO_FAILED ?
				  res->undo_message :
				  res->message;
	_cleanup_free_ char *shown = msg ? cescape(msg) : NULL, *late = NULL;
	char *line = NULL;
	int width = 1;

	for (size_t n = r->n; n >= 10; n /= 10)
		width++;
	if (res->late && res->state == STATE_TIMED_OUT) {
		/* The abandoned step came back: that is what this line is about. */
		_cleanup_free_ char *lm = res->late_message ? cescape(res->late_message) : NULL;

		if (asprintf(&late, "; came back %.3f s after it started: %s%s%s",
			     (double)(res->late_usec - res->start_usec) / 1e6,
			     res->late_error == 0	    ? "done" :
			     res->late_error == -EOPNOTSUPP ? "skipped" :
							      strerror(-res->late_error),
			     lm ? ", " : "", lm ? lm : "") < 0)
			return NULL;
	}
	if (res->state == STATE_NOT_RUN || res->state == STATE_PENDING ||
	    res->state == STATE_RUNNING || res->state == STATE_UNDONE ||
	    res->state == STATE_UNDO_FAILED) {
		if (asprintf(&line, "[%*zu/%zu] %s: %s%s%s", width, i + 1, r->n, strna(what),
			     step_state_to_string(res->state), shown ? "; " : "",
			     shown ? shown : "") < 0)
			return NULL;
	} else if (asprintf(&line, "[%*zu/%zu] %s: %s in %.3f s%s%s%s", width, i + 1, r->n,
			    strna(what), step_state_to_string(res->state),
			    (double)(res->end_usec - res->start_usec) / 1e6, shown ? "; " : "",
			    shown ? shown : "", strempty(late)) < 0)
		return NULL;
	return line;
}

char *exec_report_summary(const struct exec_report *r)
{
	char *s = NULL, counts[256] = "", why[192] = "";
	size_t off = 0;

	for (int st = STATE_DONE; st < _STATE_MAX; st++)
		if (r->count[st] && off < sizeof(counts))
			off += (size_t)snprintf(counts + off, sizeof(counts) - off, "%s%zu %s",
						off ? ", " : "", r->count[st],
						step_state_to_string((enum step_state)st));
	if (r->cancel_reason)
		snprintf(why, sizeof(why), "; cancelled (%s)", r->cancel_reason);
	else if (r->aborted)
		snprintf(why, sizeof(why), "; step %zu must not fail", r->abort_step);
	if (asprintf(&s, "%zu step%s%s%s; %.3f s, critical path %.3f s%s%s%s%s", r->n,
		     r->n == 1 ? "" : "s", off ? ": " : "", counts, (double)r->wall_usec / 1e6,
		     (double)r->critical_usec / 1e6,
		     r->deadline_passed ? "; the deadline passed" : "", why,
		     !r->aborted	    ? "" :
		     r->rollback_incomplete ? "; rolled back, but not everything could be undone" :
					      "; rolled back: every effect undone",
		     r->n_stuck ? "; still in the kernel: see below" : "") < 0)
		return NULL;
	return s;
}

void journal_run_started(struct journal *j, size_t n, unsigned jobs, uint64_t deadline_usec,
			 uint64_t steps_end, uint64_t rollback_end)
{
	journal_log(j, LOG_INFO,
		    "quiescing: %zu step%s, %u at a time, deadline %.1f s (steps until %.1f s, "
		    "rollback until %.1f s)",
		    n, n == 1 ? "" : "s", jobs, (double)deadline_usec / 1e6,
		    (double)steps_end / 1e6, (double)rollback_end / 1e6);
}

void journal_step_started(struct journal *j, const struct exec_report *r, size_t i)
{
	const struct step *s = &r->plan->steps[i];
	_cleanup_free_ char *what = NULL, *line = NULL, *after = NULL;
	size_t len = 0;
	FILE *m;

	if (!j || !j->file)
		return;
	what = step_describe(s);
	/* " (after 1, 2)": the steps it waited for, for 'kexecq plot' (journal-read.h). */
	m = open_memstream(&after, &len);
	if (!what || !m) {
		if (m)
			fclose(m);
		return;
	}
	for (size_t d = 0; d < s->n_deps; d++)
		fprintf(m, "%s%zu", d ? ", " : " (after ", s->deps[d]);
	if (s->n_deps)
		fputc(')', m);
	if (fclose(m) != 0)
		return;
	if (asprintf(&line, "[%zu/%zu] %s: started%s", i + 1, r->n, what, strempty(after)) >= 0)
		queue(j, TO_FILE, LOG_INFO, NULL, line);
}

void journal_step_ended(struct journal *j, const struct exec_report *r, size_t i)
{
	_cleanup_free_ char *line = NULL;
	enum step_state st = r->results[i].state;
	int level = st == STATE_FAILED || st == STATE_TIMED_OUT || st == STATE_UNDO_FAILED ?
			    LOG_WARNING :
			    LOG_INFO;

	if (!j)
		return;
	line = exec_step_line(r, i);
	if (line)
		queue(j, TO_FILE | TO_KMSG, level, NULL, line);
}

void journal_summary(struct journal *j, const struct exec_report *r)
{
	_cleanup_free_ char *s = exec_report_summary(r);

	if (s)
		journal_log(j,
			    r->aborted || r->count[STATE_FAILED] || r->n_stuck ? LOG_WARNING :
										 LOG_INFO,
			    "%s", s);
	/* What could not be undone; what is still in the kernel is reboot.c's to say. */
	for (size_t i = 0; i < r->n; i++) {
		const struct step_result *res = &r->results[i];
		_cleanup_free_ char *what = NULL;

		if (!r->aborted || res->state != STATE_UNDO_FAILED)
			continue;
		what = step_describe(&r->plan->steps[i]);
		journal_log(j, LOG_ERR, "step %zu (%s) could not be undone%s", i + 1, strna(what),
			    res->stuck ? ": its undo is still in the kernel" : "");
	}
}
