// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <sys/stat.h>

#include "file-watch.h"
#include "log.h"
#include "string-util.h"
#include "strv.h"

/* Files written without a pause (a package being unpacked): no callback later than this. */
#define SETTLE_MAX_USEC (5 * 1000 * 1000ULL)

#define WATCH_MASK                                                                          \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | \
	 IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW)

struct watched {
	char *path; /* the directory watched */
	char **prefixes; /* names that count; NULL: all */
	sd_event_source *source;
	dev_t dev; /* the file system it was on when watched */
};

struct file_watch {
	sd_event *event;
	char **paths;
	char ***prefixes; /* per path, NULL for all */
	size_t n_paths;
	struct watched *watched;
	size_t n_watched;
	sd_event_source *timer;
	sd_event_source *mounts; /* /proc/self/mountinfo, EPOLLPRI on a mount change */
	uint64_t settle_usec;
	uint64_t first_usec; /* the first change of the burst the timer waits for */
	file_watch_fn fn;
	void *userdata;
};

static void unwatch(struct file_watch *w)
{
	for (size_t i = 0; i < w->n_watched; i++) {
		sd_event_source_disable_unref(w->watched[i].source);
		free(w->watched[i].path);
		strv_free(w->watched[i].prefixes);
	}
	free(w->watched);
	w->watched = NULL;
	w->n_watched = 0;
}

static bool counts(const struct watched *d, const char *name)
{
	if (!d->prefixes)
		return true;
	if (!name || !*name)
		return false;
	STRV_FOREACH (p, d->prefixes)
		if (startswith(name, *p))
			return true;
	return false;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* Call back settle_usec after the last change, at most SETTLE_MAX_USEC after the first. */
static void schedule(struct file_watch *w)
{
	uint64_t now = 0, at;
	int enabled;

	(void)sd_event_now(w->event, CLOCK_MONOTONIC, &now);
	if (!w->timer) {
		w->first_usec = now;
		/* Accuracy 10 ms, not sd-event's default of 250 ms. */
		if (sd_event_add_time(w->event, &w->timer, CLOCK_MONOTONIC, now + w->settle_usec,
				      10000, on_timer, w) < 0)
			w->fn(w->userdata); /* cannot wait: now, then */
		return;
	}
	/* The first change of a burst: the callback comes at most SETTLE_MAX_USEC after it. */
	if (sd_event_source_get_enabled(w->timer, &enabled) < 0 || enabled == SD_EVENT_OFF)
		w->first_usec = now;
	at = now + w->settle_usec;
	if (at > w->first_usec + SETTLE_MAX_USEC)
		at = w->first_usec + SETTLE_MAX_USEC;
	(void)sd_event_source_set_time(w->timer, at);
	(void)sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT);
}

static int rewatch(struct file_watch *w);

static int on_inotify(sd_event_source *s, const struct inotify_event *ev, void *userdata)
{
	struct file_watch *w = userdata;
	const struct watched *d = NULL;

	for (size_t i = 0; i < w->n_watched; i++)
		if (w->watched[i].source == s)
			d = &w->watched[i];
	if (!d)
		return 0;
	/*
	 * Its file system went away (an automounted /boot or /efi expiring, an
	 * umount): not a change of what kexec would load.  The mount table
	 * says so too, and on_mounts() watches what is there now.
	 */
	if (ev->mask & IN_UNMOUNT) {
		log_debug("%s was unmounted: not watched until the next change", d->path);
		return 0;
	}
	if (ev->mask & IN_IGNORED)
		return 0;
	/* The directory itself went away or moved: a change; watched again after it. */
	if (!(ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW)) &&
	    !counts(d, ev->len ? ev->name : NULL))
		return 0;
	log_debug("%s/%s changed", d->path, ev->len ? ev->name : "");
	schedule(w);
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct file_watch *w = userdata;

	(void)s, (void)usec;
	/* Directories may have come or gone: watch what is there now. */
	(void)rewatch(w);
	w->fn(w->userdata);
	return 0;
}

/*
 * The mount table changed.  A file system that appeared where a watched
 * directory is (an automounted /boot mounted again by kernel-install) is a
 * change: watch it, and call back.  One that went away (expired) is not:
 * watch what is there now, without mounting it again and without calling
 * back, so that no expiry ever re-arms.
 */
static int on_mounts(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct file_watch *w = userdata;
	bool appeared = false;

	(void)s, (void)fd, (void)revents;
	for (size_t i = 0; i < w->n_watched; i++) {
		struct statx sx;

		/*
		 * statx() with AT_NO_AUTOMOUNT: an expired automount point is
		 * looked at, not mounted again (statfs() would mount it).
		 */
		if (statx(AT_FDCWD, w->watched[i].path, AT_NO_AUTOMOUNT, STATX_TYPE, &sx) < 0 ||
		    makedev(sx.stx_dev_major, sx.stx_dev_minor) == w->watched[i].dev)
			continue;
		if (!(sx.stx_attributes & STATX_ATTR_AUTOMOUNT))
			appeared = true;
	}
	(void)rewatch(w);
	if (appeared)
		schedule(w);
	return 0;
}

/* Watch dir for names (NULL: all); a directory watched twice is fine (sd-event shares). */
static int add(struct file_watch *w, const char *dir, char **names)
{
	struct watched *a = reallocarray(w->watched, w->n_watched + 1, sizeof(*a));
	struct watched *d;
	int r;

	if (!a)
		return -ENOMEM;
	w->watched = a;
	d = &a[w->n_watched];
	*d = (struct watched){};
	d->path = strdup(dir);
	if (!d->path)
		return -ENOMEM;
	if (names && !(d->prefixes = strv_copy(names))) {
		free(d->path);
		return -ENOMEM;
	}
	/*
	 * No IN_ONLYDIR: sd-event then opens dir without O_DIRECTORY, which
	 * does not trigger an automount (namei.c, follow_automount()); a
	 * mounted file system there is watched, an expired one is not mounted
	 * again by this.
	 */
	{
		struct stat st;

		if (stat(dir, &st) == 0)
			d->dev = st.st_dev;
	}
	r = sd_event_add_inotify(w->event, &d->source, dir, WATCH_MASK, on_inotify, w);
	if (r < 0) {
		free(d->path);
		strv_free(d->prefixes);
		return r;
	}
	w->n_watched++;
	return 0;
}

/* path, or the nearest existing parent for the next name on the way to it. */
static int watch_one(struct file_watch *w, const char *path, char **prefixes)
{
	_cleanup_free_ char *dir = strdup(path);
	struct stat st;

	if (!dir)
		return -ENOMEM;
	for (;;) {
		char *slash, *name[2] = {};

		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			return add(w, dir, prefixes);
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return 0; /* nothing to watch: "/" always exists */
		*slash = 0;
		prefixes = NULL;
		name[0] = slash + 1;
		/* The parent exists? Watch it for this one name. */
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
			_cleanup_free_ char *n = strdup(name[0]);
			char *v[2] = { n, NULL };

			if (!n)
				return -ENOMEM;
			return add(w, dir, v);
		}
	}
}

static int rewatch(struct file_watch *w)
{
	int r = 0;

	unwatch(w);
	for (size_t i = 0; i < w->n_paths; i++) {
		int k = watch_one(w, w->paths[i], w->prefixes[i]);

		if (k < 0) {
			log_debug_errno(k, "Cannot watch %s: %m", w->paths[i]);
			if (r == 0)
				r = k;
		}
	}
	return r;
}

int file_watch_new(sd_event *e, const struct file_watch_path *paths, uint64_t settle_usec,
		   file_watch_fn fn, void *userdata, struct file_watch **ret)
{
	_cleanup_(file_watch_freep) struct file_watch *w = calloc(1, sizeof(*w));
	size_t n = 0;
	int r;

	if (!w)
		return -ENOMEM;
	w->event = sd_event_ref(e);
	w->settle_usec = settle_usec;
	w->fn = fn;
	w->userdata = userdata;
	while (paths[n].path)
		n++;
	w->prefixes = calloc(n + 1, sizeof(*w->prefixes));
	if (!w->prefixes)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (strv_extend(&w->paths, paths[i].path) < 0)
			return -ENOMEM;
		w->n_paths++;
		if (paths[i].prefixes &&
		    !(w->prefixes[i] = strv_copy((char *const *)paths[i].prefixes)))
			return -ENOMEM;
	}
	r = rewatch(w);
	if (r == -ENOMEM)
		return r;
	{
		int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);

		/* Without it, a file system mounted again is seen at the next change elsewhere. */
		if (fd >= 0 && sd_event_add_io(e, &w->mounts, fd, EPOLLPRI, on_mounts, w) >= 0)
			(void)sd_event_source_set_io_fd_own(w->mounts, true);
		else if (fd >= 0)
			close(fd);
	}
	*ret = TAKE_PTR(w);
	return 0;
}

struct file_watch *file_watch_free(struct file_watch *w)
{
	if (!w)
		return NULL;
	unwatch(w);
	sd_event_source_disable_unref(w->timer);
	sd_event_source_disable_unref(w->mounts);
	for (size_t i = 0; i < w->n_paths; i++)
		strv_free(w->prefixes[i]);
	free(w->prefixes);
	strv_free(w->paths);
	sd_event_unref(w->event);
	free(w);
	return NULL;
}

size_t file_watch_count(const struct file_watch *w)
{
	return w ? w->n_watched : 0;
}
