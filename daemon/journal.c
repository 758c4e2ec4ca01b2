// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
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
 * records every 5 s (printk.devkmsg=ratelimit, the default).  A run
 * writes a bounded number of lines (one per step, a summary) at the end
 * of the system's life, where losing them defeats the purpose: the device
 * is opened again for each burst.  printk.devkmsg=off is respected: the
 * kernel refuses the writes.
 */
#define KMSG_BURST 10

struct journal {
	FILE *file;
	char *kmsg_path;
	int kmsg_fd;
	unsigned kmsg_lines;
};

struct journal *journal_open(const char *rundir, const char *kmsg)
{
	struct journal *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->kmsg_fd = -EBADF;
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
		else
			setvbuf(j->file, NULL, _IOLBF, 0);
	}
	if (kmsg && !(j->kmsg_path = strdup(kmsg)))
		return journal_close(j);
	return j;
}

struct journal *journal_close(struct journal *j)
{
	if (!j)
		return NULL;
	if (j->file)
		fclose(j->file);
	if (j->kmsg_fd >= 0)
		close(j->kmsg_fd);
	free(j->kmsg_path);
	free(j);
	return NULL;
}

static void kmsg_write(struct journal *j, int level, const char *text)
{
	_cleanup_free_ char *line = NULL;
	int n;

	if (!j->kmsg_path)
		return;
	if (j->kmsg_fd >= 0 && j->kmsg_lines % KMSG_BURST == 0) {
		close(j->kmsg_fd);
		j->kmsg_fd = -EBADF;
	}
	if (j->kmsg_fd < 0) {
		j->kmsg_fd = open(j->kmsg_path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (j->kmsg_fd < 0)
			return;
	}
	/* <level> makes it a kernel log record with that priority; facility user. */
	n = asprintf(&line, "<%d>kexecq: %s\n", (1 << 3) | level, text);
	if (n > 0 && write(j->kmsg_fd, line, (size_t)n) == n)
		j->kmsg_lines++;
}

static void file_write(struct journal *j, const char *text)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	if (!j->file)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(j->file, "%s.%06ldZ %s\n", stamp, ts.tv_nsec / 1000, text);
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
	if (r < 0)
		return;
	file_write(j, text);
	kmsg_write(j, level, text);
}

char *exec_step_line(const struct exec_report *r, size_t i)
{
	const struct step_result *res = &r->results[i];
	_cleanup_free_ char *what = step_describe(&r->plan->steps[i]);
	const char *msg = res->state == STATE_UNDONE || res->state == STATE_UNDO_FAILED ?
				  res->undo_message :
				  res->message;
	_cleanup_free_ char *shown = msg ? cescape(msg) : NULL;
	char *line = NULL;
	int width = 1;

	for (size_t n = r->n; n >= 10; n /= 10)
		width++;
	if (res->state == STATE_NOT_RUN || res->state == STATE_PENDING ||
	    res->state == STATE_RUNNING || res->state == STATE_UNDONE ||
	    res->state == STATE_UNDO_FAILED) {
		if (asprintf(&line, "[%*zu/%zu] %s: %s%s%s", width, i + 1, r->n, strna(what),
			     step_state_to_string(res->state), shown ? "; " : "",
			     shown ? shown : "") < 0)
			return NULL;
	} else if (asprintf(&line, "[%*zu/%zu] %s: %s in %.3f s%s%s", width, i + 1, r->n,
			    strna(what), step_state_to_string(res->state),
			    (double)(res->end_usec - res->start_usec) / 1e6, shown ? "; " : "",
			    shown ? shown : "") < 0)
		return NULL;
	return line;
}

char *exec_report_summary(const struct exec_report *r)
{
	char *s = NULL, counts[256] = "";
	size_t off = 0;

	for (int st = STATE_DONE; st < _STATE_MAX; st++)
		if (r->count[st] && off < sizeof(counts))
			off += (size_t)snprintf(counts + off, sizeof(counts) - off, "%s%zu %s",
						off ? ", " : "", r->count[st],
						step_state_to_string((enum step_state)st));
	if (asprintf(&s, "%zu step%s%s%s; %.3f s, critical path %.3f s%s%s", r->n,
		     r->n == 1 ? "" : "s", off ? ": " : "", counts, (double)r->wall_usec / 1e6,
		     (double)r->critical_usec / 1e6,
		     r->aborted ? "; aborted and rolled back" : "",
		     r->deadline_passed ? "; the plan's deadline passed" : "") < 0)
		return NULL;
	return s;
}

void journal_step_started(struct journal *j, const struct exec_report *r, size_t i)
{
	_cleanup_free_ char *what = NULL;

	if (!j || !j->file)
		return;
	what = step_describe(&r->plan->steps[i]);
	if (what) {
		_cleanup_free_ char *line = NULL;

		if (asprintf(&line, "[%zu/%zu] %s: started", i + 1, r->n, what) >= 0)
			file_write(j, line);
	}
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
	if (!line)
		return;
	file_write(j, line);
	kmsg_write(j, level, line);
}

void journal_summary(struct journal *j, const struct exec_report *r)
{
	_cleanup_free_ char *s = exec_report_summary(r);

	if (s)
		journal_log(j, r->aborted || r->count[STATE_FAILED] ? LOG_WARNING : LOG_INFO, "%s",
			    s);
}
