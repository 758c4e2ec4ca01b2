// SPDX-License-Identifier: LGPL-2.1-or-later
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/kexec.h>
#include <linux/openat2.h>
#include <linux/reboot.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kexec-load.h"
#include "log.h"
#include "string-util.h"
#include "strv.h"
#include "sysfs.h"

#define ENTRY_MAX (64 * 1024) /* a boot loader entry or loader.conf */
#define ENTRIES_MAX 1024
#define KEXEC_OUTPUT_MAX 4096
#define INITRDS_MAX 32 /* initrd lines in an entry */
/*
 * Several initrds are copied into one, in memory: at most this much.  The
 * kernel takes up to 2 GiB (kernel_read_file, INT_MAX); distributions'
 * initrds are tens of MiB, microcode a few.
 */
#define INITRD_CONCAT_MAX (UINT64_C(1) << 30)

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

static const char *const syscall_names[] = {
	[KEXEC_SYSCALL_NONE] = "none",
	[KEXEC_SYSCALL_FILE] = "kexec_file_load",
	[KEXEC_SYSCALL_LOAD] = "kexec_load",
};

const char *kexec_syscall_to_string(enum kexec_syscall s)
{
	return s <= KEXEC_SYSCALL_LOAD ? syscall_names[s] : NULL;
}

struct kexec_image *kexec_image_free(struct kexec_image *img)
{
	if (!img)
		return NULL;
	free(img->kernel);
	strv_free(img->initrds);
	free(img->cmdline);
	free(img->origin);
	free(img);
	return NULL;
}

static char *path_join(const char *root, const char *a, const char *b)
{
	char *p = NULL;

	if (asprintf(&p, "%s%s%s%s%s", streq(root, "/") ? "" : root, *a == '/' ? "" : "/", a,
		     b && *b != '/' ? "/" : "", b ? b : "") < 0)
		return NULL;
	return p;
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A small text file (an entry, loader.conf, /proc/cmdline), whole. */
static int read_small(const char *path, char **ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	_cleanup_free_ char *buf = NULL;
	size_t n = 0;
	ssize_t k;
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	buf = malloc(ENTRY_MAX + 1);
	if (!buf)
		return -ENOMEM;
	while (n < ENTRY_MAX && (k = read(fd, buf + n, ENTRY_MAX - n)) > 0)
		n += (size_t)k;
	if (n == ENTRY_MAX)
		return -EFBIG;
	buf[n] = 0;
	if (memchr(buf, 0, n))
		return -EBADMSG;
	*ret = TAKE_PTR(buf);
	return 0;
}

/* ---- Boot Loader Spec type #1 entries ------------------------------------------------- */

/* A path in an entry and the line it is on, for messages. */
struct entry_path {
	char *path;
	unsigned line;
};

struct entry {
	char *id; /* file name without .conf */
	char *dir; /* the partition root the paths are relative to */
	char *path;
	char *title, *version, *machine_id, *sort_key, *options;
	struct entry_path linux_path;
	struct entry_path *initrd;
	size_t n_initrd;
};

static void entry_done(struct entry *e)
{
	free(e->id);
	free(e->dir);
	free(e->path);
	free(e->title);
	free(e->version);
	free(e->machine_id);
	free(e->sort_key);
	free(e->linux_path.path);
	free(e->options);
	for (size_t i = 0; i < e->n_initrd; i++)
		free(e->initrd[i].path);
	free(e->initrd);
}

static int set_str(char **field, const char *v)
{
	char *n = strdup(v);

	if (!n)
		return -ENOMEM;
	free(*field);
	*field = n;
	return 0;
}

static int entry_add_initrd(struct entry *e, const char *value, unsigned line)
{
	struct entry_path *n = realloc(e->initrd, (e->n_initrd + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	e->initrd = n;
	n[e->n_initrd].path = strdup(value);
	if (!n[e->n_initrd].path)
		return -ENOMEM;
	n[e->n_initrd++].line = line;
	return 0;
}

static int entry_parse(struct entry *e, char *text)
{
	unsigned n = 0;
	int r = 0;

	for (char *line = text, *next; line && r >= 0; line = next) {
		char *key, *value;

		n++;
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		line += strspn(line, " \t");
		if (*line == '#' || *line == 0)
			continue;
		key = line;
		value = key + strcspn(key, " \t");
		if (*value)
			*value++ = 0;
		value += strspn(value, " \t");
		value[strcspn(value, "\r")] = 0;
		if (streq(key, "title"))
			r = set_str(&e->title, value);
		else if (streq(key, "version"))
			r = set_str(&e->version, value);
		else if (streq(key, "machine-id"))
			r = set_str(&e->machine_id, value);
		else if (streq(key, "sort-key"))
			r = set_str(&e->sort_key, value);
		else if (streq(key, "linux")) {
			r = set_str(&e->linux_path.path, value);
			e->linux_path.line = n;
		} else if (streq(key, "initrd"))
			r = entry_add_initrd(e, value, n);
		else if (streq(key, "options")) {
			char *o = NULL;

			/* Several options lines are joined. */
			if (asprintf(&o, "%s%s%s", e->options ? e->options : "",
				     e->options ? " " : "", value) < 0)
				return -ENOMEM;
			free(e->options);
			e->options = o;
		}
	}
	return r;
}

/* systemd-boot's order: sort-key first (ascending), machine-id, version and id descending. */
static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int r;

	if (!!x->sort_key != !!y->sort_key)
		return x->sort_key ? -1 : 1;
	if (x->sort_key && y->sort_key) {
		r = strcmp(x->sort_key, y->sort_key);
		if (r)
			return r;
		r = strcmp(strempty(x->machine_id), strempty(y->machine_id));
		if (r)
			return r;
		r = strverscmp(strempty(y->version), strempty(x->version));
		if (r)
			return r;
	}
	return strverscmp(y->id, x->id);
}

static int load_entries(const char *root, struct entry **ret, size_t *ret_n, char **ret_default)
{
	static const char *const partitions[] = { "/boot", "/efi", "/boot/efi" };
	struct entry *entries = NULL;
	size_t n = 0;
	int r = 0;

	for (size_t p = 0; p < ELEMENTSOF(partitions) && r >= 0; p++) {
		_cleanup_free_ char *dir = path_join(root, partitions[p], "loader/entries");
		_cleanup_free_ char *conf = path_join(root, partitions[p], "loader/loader.conf");
		_cleanup_closedir_ DIR *d = NULL;
		struct dirent *de;

		if (!dir || !conf)
			return -ENOMEM;
		if (!*ret_default) {
			_cleanup_free_ char *text = NULL;

			if (read_small(conf, &text) >= 0) {
				/* loader.conf: "default GLOB". */
				for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
					l += strspn(l, " \t");
					if (startswith(l, "default") &&
					    isspace((unsigned char)l[7])) {
						l += 7 + strspn(l + 7, " \t");
						l[strcspn(l, " \t\r")] = 0;
						if (*l && !(*ret_default = strdup(l)))
							return -ENOMEM;
					}
				}
			}
		}
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d)) && n < ENTRIES_MAX) {
			_cleanup_free_ char *text = NULL;
			struct entry *e, *ne;
			size_t len = strlen(de->d_name);

			if (len <= 5 || !streq(de->d_name + len - 5, ".conf") ||
			    de->d_name[0] == '.')
				continue;
			ne = realloc(entries, (n + 1) * sizeof(*entries));
			if (!ne) {
				r = -ENOMEM;
				break;
			}
			entries = ne;
			e = &entries[n];
			*e = (struct entry){};
			e->id = strndup(de->d_name, len - 5);
			e->dir = path_join(root, partitions[p], NULL);
			e->path = path_join(dir, de->d_name, NULL);
			if (!e->id || !e->dir || !e->path) {
				entry_done(e);
				r = -ENOMEM;
				break;
			}
			if (read_small(e->path, &text) < 0 || entry_parse(e, text) < 0 ||
			    !e->linux_path.path) {
				/* Type #2 (UKIs) and broken entries are not ours to boot. */
				entry_done(e);
				continue;
			}
			n++;
		}
	}
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			entry_done(&entries[i]);
		free(entries);
		return r;
	}
	if (n > 1)
		qsort(entries, n, sizeof(*entries), entry_cmp);
	*ret = entries;
	*ret_n = n;
	return 0;
}

/* LoaderEntryDefault: set by bootctl set-default, UTF-16LE after 4 bytes of attributes. */
static char *efi_default_entry(const char *root)
{
	_cleanup_free_ char *path = path_join(
		root,
		"/sys/firmware/efi/efivars/LoaderEntryDefault-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f",
		NULL);
	_cleanup_close_ int fd = -EBADF;
	unsigned char buf[512];
	char *out;
	ssize_t n;
	size_t k = 0;

	if (!path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf));
	if (n < 6)
		return NULL;
	out = calloc((size_t)n / 2 + 1, 1);
	if (!out)
		return NULL;
	for (ssize_t i = 4; i + 1 < n; i += 2) {
		if (buf[i] == 0 && buf[i + 1] == 0)
			break;
		if (buf[i + 1] != 0 || !isprint(buf[i])) { /* only plain ASCII ids */
			free(out);
			return NULL;
		}
		out[k++] = (char)buf[i];
	}
	return out;
}

/* "BOOT_IMAGE=/vmlinuz-6.1 root=/dev/sda1 ro" → "root=/dev/sda1 ro" */
static char *this_cmdline(const char *root)
{
	_cleanup_free_ char *path = path_join(root, "/proc/cmdline", NULL), *text = NULL;
	char *out, *o;

	if (!path || read_small(path, &text) < 0)
		return strdup("");
	out = o = calloc(strlen(text) + 1, 1);
	if (!out)
		return NULL;
	for (char *w = strtok(text, " \t\n"); w; w = strtok(NULL, " \t\n")) {
		if (startswith(w, "BOOT_IMAGE="))
			continue;
		o += sprintf(o, "%s%s", o == out ? "" : " ", w);
	}
	return out;
}

/*
 * s without its KEXEC_CMDLINE_FROM parameters, words joined by one space.
 * Words end at white space outside double quotes, as the kernel splits
 * them (lib/cmdline.c next_arg()), so a quoted value keeps its spaces.
 */
static char *cmdline_drop_from(const char *s)
{
	char *out = calloc(strlen(s) + 1, 1), *o = out;

	if (!out)
		return NULL;
	for (const char *p = s;;) {
		const char *w;
		bool quoted = false;

		p += strspn(p, " \t\n");
		if (!*p)
			break;
		for (w = p; *p && (quoted || !strchr(" \t\n", *p)); p++)
			if (*p == '"')
				quoted = !quoted;
		/* The prefix has no space or quote: a match lies within the word. */
		if (startswith(w, KEXEC_CMDLINE_FROM))
			continue;
		if (o != out)
			*o++ = ' ';
		memcpy(o, w, (size_t)(p - w));
		o += p - w;
	}
	*o = 0;
	return out;
}

/*
 * cmdline with param added as a kernel parameter: before a "--" word, after
 * which the kernel passes the words to init, else at the end.
 */
static char *cmdline_add(const char *cmdline, const char *param)
{
	char *out = NULL;

	for (const char *p = cmdline;;) {
		const char *w;
		bool quoted = false;

		p += strspn(p, " \t\n");
		if (!*p)
			break;
		for (w = p; *p && (quoted || !strchr(" \t\n", *p)); p++)
			if (*p == '"')
				quoted = !quoted;
		if (p - w == 2 && startswith(w, "--")) {
			if (asprintf(&out, "%.*s%s %s", (int)(w - cmdline), cmdline, param, w) < 0)
				return NULL;
			return out;
		}
	}
	if (asprintf(&out, "%s%s%s", cmdline, *cmdline ? " " : "", param) < 0)
		return NULL;
	return out;
}

static int finish_image(const struct kexec_request *req, struct kexec_image *img,
			const char *base_cmdline)
{
	_cleanup_free_ char *proc = NULL, *base_clean = NULL, *marker = NULL, *joined = NULL;
	const char *base = base_cmdline, *append = isempty(req->append) ? NULL : req->append;

	if (req->initrd) {
		img->initrds = strv_free(img->initrds);
		if (strv_extend(&img->initrds, req->initrd) < 0)
			return -ENOMEM;
	}
	if (!base || req->reuse_cmdline) {
		proc = this_cmdline(req->root);
		if (!proc)
			return -ENOMEM;
		base = proc;
	}
	/* The marker of this boot's own kexec must not reach the next one. */
	base_clean = cmdline_drop_from(base);
	if (!base_clean)
		return -ENOMEM;
	/* --append adds kernel parameters: before a "--", like the marker. */
	joined = append ? cmdline_add(base_clean, append) : strdup(base_clean);
	if (!joined)
		return -ENOMEM;
	if (!req->from_boot_id) {
		img->cmdline = TAKE_PTR(joined);
		return 0;
	}
	if (asprintf(&marker, "%s%s", KEXEC_CMDLINE_FROM, req->from_boot_id) < 0) {
		marker = NULL;
		return -ENOMEM;
	}
	img->cmdline = cmdline_add(joined, marker);
	return img->cmdline ? 0 : -ENOMEM;
}

/* The path of an open file, symlinks resolved, from /proc/self/fd. */
static char *fd_path(int fd)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0 || target[0] != '/')
		return NULL;
	target[n] = 0;
	return strdup(target);
}

static bool path_has_dotdot(const char *p)
{
	while (*p) {
		size_t n;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += n;
	}
	return false;
}

/*
 * openat2() confined to dirfd as if it were "/": ".." and absolute symlinks
 * stop at dirfd, /proc magic links are refused.  Without openat2 (before
 * Linux 5.6, or refused by a seccomp filter, which often says EPERM), walk
 * the path a component at a time with O_NOFOLLOW: no symlink is followed
 * at all, and *ret_no_symlinks says that the walk refused one.
 */
static int open_in_root(int dirfd, const char *path, bool *ret_no_symlinks)
{
	_cleanup_close_ int dir = -EBADF;
	const char *p = path;
	int fd;

	*ret_no_symlinks = false;
#ifdef SYS_openat2
	{
		struct open_how how = {
			.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};

		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
	}
#endif
	dir = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (dir < 0)
		return -errno;
	for (;;) {
		_cleanup_free_ char *name = NULL;
		size_t n;
		bool last;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		last = p[n + strspn(p + n, "/")] == 0;
		if (n == 0)
			return -EISDIR; /* "" or "/": the partition itself */
		name = strndup(p, n);
		if (!name)
			return -ENOMEM;
		fd = openat(dir, name,
			    last ? O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW :
				   O_RDONLY | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW);
		if (fd < 0) {
			struct stat st;

			if (errno == ELOOP || (errno == ENOTDIR &&
					       fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
					       S_ISLNK(st.st_mode))) {
				*ret_no_symlinks = true;
				return -ELOOP;
			}
			return -errno;
		}
		if (last)
			return fd;
		close(dir);
		dir = fd;
		p += n;
	}
}

/*
 * An entry's path, relative to the root of its partition, and only there
 * (Boot Loader Spec): no ".." component, and no symlink that leads
 * elsewhere.  *ret is where the file really is, for kexec to open, with no
 * symlink left on the way.  Errors name the entry file, line and path.
 */
static int entry_resolve(const struct entry *e, int partfd, const char *key,
			 const struct entry_path *p, char **ret, char **ret_error)
{
	_cleanup_close_ int fd = -EBADF;
	const char *why = NULL;
	bool no_symlinks;

	if (isempty(p->path))
		why = "empty path";
	else if (path_has_dotdot(p->path))
		why = "\"..\" is not allowed: paths are relative to the partition's root";
	else {
		fd = open_in_root(partfd, p->path, &no_symlinks);
		if (fd == -ENOMEM)
			return -ENOMEM;
		if (fd < 0 && no_symlinks)
			why = "a symlink on the way, not followed (this kernel has no openat2(), "
			      "which keeps symlinks inside the partition)";
		else if (fd < 0)
			why = strerror(-fd);
		else if (!(*ret = fd_path(fd)))
			why = "cannot tell where it is (no /proc?)";
	}
	if (!why)
		return 0;
	if (asprintf(ret_error, "%s:%u: %s %s: %s (resolved inside %s)", e->path, p->line, key,
		     p->path, why, e->dir) < 0)
		*ret_error = NULL;
	return fd < 0 && fd != -EBADF ? fd : -EINVAL;
}

/* The image of entry e: its paths resolved inside its partition. */
static int entry_to_image(const struct entry *e, struct kexec_image *img, char **ret_error)
{
	_cleanup_close_ int partfd = open(e->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (partfd < 0) {
		r = -errno;
		if (asprintf(ret_error, "%s: %s", e->dir, strerror(-r)) < 0)
			*ret_error = NULL;
		return r;
	}
	r = entry_resolve(e, partfd, "linux", &e->linux_path, &img->kernel, ret_error);
	if (r < 0)
		return r;
	/* Every initrd, in order (microcode first on Arch): they are concatenated. */
	for (size_t i = 0; i < e->n_initrd; i++) {
		char *path = NULL;

		if (i == INITRDS_MAX) {
			if (asprintf(ret_error, "%s:%u: more than %d initrd lines", e->path,
				     e->initrd[i].line, INITRDS_MAX) < 0)
				*ret_error = NULL;
			return -E2BIG;
		}
		r = entry_resolve(e, partfd, "initrd", &e->initrd[i], &path, ret_error);
		if (r < 0)
			return r;
		if (strv_consume(&img->initrds, path) < 0) {
			free(path);
			return -ENOMEM;
		}
	}
	return 0;
}

int kexec_image_choose(const struct kexec_request *req, struct kexec_image **ret, char **ret_error)
{
	_cleanup_(kexec_image_freep) struct kexec_image *img = calloc(1, sizeof(*img));
	struct entry *entries = NULL;
	_cleanup_free_ char *want = NULL, *conf_default = NULL, *release_buf = NULL;
	const char *release = req->release;
	size_t n = 0;
	int r;

	if (!img)
		return -ENOMEM;
	if (req->kernel) {
		img->kernel = strdup(req->kernel);
		img->origin = strdup("given with --kernel");
		if (!img->kernel || !img->origin)
			return -ENOMEM;
		r = finish_image(req, img, NULL);
		if (r < 0)
			return r;
		*ret = TAKE_PTR(img);
		return 0;
	}

	/* 1. Boot Loader Spec. */
	want = efi_default_entry(req->root);
	r = load_entries(req->root, &entries, &n, &conf_default);
	if (r < 0)
		return r;
	if (!want)
		want = TAKE_PTR(conf_default);
	if (n > 0) {
		const struct entry *e = NULL;

		for (size_t i = 0; i < n && !e && want; i++)
			if (fnmatch(want, entries[i].id, 0) == 0 ||
			    (startswith(want, entries[i].id) &&
			     streq(want + strlen(entries[i].id), ".conf")))
				e = &entries[i];
		if (!e) {
			e = &entries[0];
			/* As systemd-boot does, but said: a default that names no usable entry. */
			if (want)
				log_warning(
					"The default boot entry \"%s\" is not a usable entry (missing, "
					"unparseable or not a kernel and initrd): using %s, the first "
					"in boot menu order.",
					want, e->path);
		}
		if (want && e == &entries[0] &&
		    !(fnmatch(want, e->id, 0) == 0 ||
		      (startswith(want, e->id) && streq(want + strlen(e->id), ".conf"))))
			r = asprintf(
				&img->origin,
				"Boot Loader Spec entry %s (first in boot menu order: the default "
				"\"%s\" is not usable)",
				e->path, want);
		else
			r = asprintf(&img->origin, "Boot Loader Spec entry %s (%s)", e->path,
				     want ? "the default" : "first in boot menu order");
		if (r < 0)
			img->origin = NULL;
		r = img->origin ? entry_to_image(e, img, ret_error) : -ENOMEM;
		if (r >= 0)
			r = finish_image(req, img, e->options ? e->options : "");
		for (size_t i = 0; i < n; i++)
			entry_done(&entries[i]);
		free(entries);
		if (r < 0)
			return r;
		*ret = TAKE_PTR(img);
		return 0;
	}
	free(entries);

	/* 2. The distribution's links; 3. the running kernel. */
	if (!release) {
		struct utsname u;

		if (uname(&u) < 0)
			return -errno;
		release = release_buf = strdup(u.release);
		if (!release_buf)
			return -ENOMEM;
	}
	{
		_cleanup_free_ char *k1 = path_join(req->root, "/vmlinuz", NULL),
				    *i1 = path_join(req->root, "/initrd.img", NULL),
				    *k2 = path_join(req->root, "/boot/vmlinuz", NULL),
				    *i2 = path_join(req->root, "/boot/initrd.img", NULL),
				    *k3 = NULL, *i3 = NULL;
		const char *k = NULL, *i = NULL, *origin = NULL;

		if (asprintf(&k3, "%s/boot/vmlinuz-%s", streq(req->root, "/") ? "" : req->root,
			     release) < 0 ||
		    asprintf(&i3, "%s/boot/initrd.img-%s", streq(req->root, "/") ? "" : req->root,
			     release) < 0)
			return -ENOMEM;
		if (!k1 || !i1 || !k2 || !i2)
			return -ENOMEM;
		if (is_file(k1))
			k = k1, i = i1, origin = "the distribution's /vmlinuz link";
		else if (is_file(k2))
			k = k2, i = i2, origin = "the distribution's /boot/vmlinuz link";
		else if (is_file(k3))
			k = k3, i = i3, origin = "the running kernel's image";
		if (!k) {
			if (asprintf(
				    ret_error,
				    "no kernel to load: no Boot Loader Spec entry in /boot, /efi or "
				    "/boot/efi loader/entries, no /vmlinuz or /boot/vmlinuz, no %s; "
				    "name one with --kernel",
				    k3) < 0)
				*ret_error = NULL;
			return -ENOENT;
		}
		img->kernel = strdup(k);
		img->origin = strdup(origin);
		if (!img->kernel || !img->origin ||
		    (is_file(i) && strv_extend(&img->initrds, i) < 0))
			return -ENOMEM;
	}
	r = finish_image(req, img, NULL);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(img);
	return 0;
}

/* ---- checks ------------------------------------------------------------------------------- */

static int check_file(const char *what, const char *path, unsigned char *head, size_t head_size,
		      off_t *ret_size, char **ret_error)
{
	/*
	 * O_PATH first: a device node (a tty, /dev/watchdog0) named as a
	 * kernel must not be opened for real, not even by a dry run.
	 */
	_cleanup_close_ int pfd = open(path, O_PATH | O_CLOEXEC);
	_cleanup_close_ int fd = -EBADF;
	char proc[64];
	struct stat st;
	ssize_t n;
	int r;

	if (pfd < 0) {
		r = -errno;
		if (asprintf(ret_error, "%s %s: %s", what, path, strerror(-r)) < 0)
			*ret_error = NULL;
		return r;
	}
	if (fstat(pfd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		if (asprintf(ret_error, "%s %s: %s", what, path,
			     S_ISREG(st.st_mode) ? "empty file" : "not a regular file") < 0)
			*ret_error = NULL;
		return -EINVAL;
	}
	/* The same file, opened for reading through the checked descriptor. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		if (asprintf(ret_error, "%s %s: %s", what, path, strerror(-r)) < 0)
			*ret_error = NULL;
		return r;
	}
	if (head) {
		memset(head, 0, head_size);
		n = read(fd, head, head_size);
		if (n < 0)
			return -errno;
	}
	if (ret_size)
		*ret_size = st.st_size;
	return 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int kexec_image_verify(const struct kexec_image *img, char **ret_error)
{
	unsigned char h[0x210];
	off_t size = 0;
	int r;

	r = check_file("kernel", img->kernel, h, sizeof(h), &size, ret_error);
	if (r < 0)
		return r;
	/*
	 * An x86 bzImage says how long it is: the setup sectors (0x1f1, 0 means
	 * 4) and the protected-mode part in 16-byte units (syssize, 0x1f4).
	 * kexec_load takes a truncated image and jumps into it; refuse it here.
	 */
	if (memcmp(h + 0x202, "HdrS", 4) == 0) {
		uint64_t setup = (uint64_t)((h[0x1f1] ? h[0x1f1] : 4) + 1) * 512;
		uint64_t need = setup + (uint64_t)le32(h + 0x1f4) * 16;

		if ((uint64_t)size < need) {
			if (asprintf(ret_error,
				     "kernel %s is truncated: its boot header says %" PRIu64
				     " bytes, the file has %lld",
				     img->kernel, need, (long long)size) < 0)
				*ret_error = NULL;
			return -ENOEXEC;
		}
	}
	/* x86 boot protocol "HdrS" at 0x202; PE "MZ" (EFI stub, UKI, arm64 Image); ELF. */
	if (memcmp(h + 0x202, "HdrS", 4) != 0 && memcmp(h, "MZ", 2) != 0 &&
	    memcmp(h, "\177ELF", 4) != 0) {
		if (asprintf(ret_error,
			     "kernel %s is not a kernel image (no x86 boot header, PE or ELF "
			     "signature)",
			     img->kernel) < 0)
			*ret_error = NULL;
		return -ENOEXEC;
	}
	{
		uint64_t total = 0;

		STRV_FOREACH (i, img->initrds) {
			off_t isize = 0;

			r = check_file("initrd", *i, NULL, 0, &isize, ret_error);
			if (r < 0)
				return r;
			total += (uint64_t)isize + 3;
		}
		if (strv_length(img->initrds) > 1 && total > INITRD_CONCAT_MAX) {
			if (asprintf(ret_error,
				     "the initrds are %" PRIu64
				     " MiB together; kexecq concatenates "
				     "at most %" PRIu64 " MiB",
				     total >> 20, INITRD_CONCAT_MAX >> 20) < 0)
				*ret_error = NULL;
			return -EFBIG;
		}
	}
	return 0;
}

/* ---- system calls and kexec-tools ---------------------------------------------------------- */

/* /proc/sys/kernel/<name>, whole and without the newline. */
static int read_sysctl(const struct kexec_env *env, const char *name, char **ret)
{
	_cleanup_free_ char *path = NULL;
	char *v = NULL;
	int r;

	if (asprintf(&path, "%s/sys/kernel/%s", env && env->proc ? env->proc : "/proc", name) < 0)
		return -ENOMEM;
	r = read_small(path, &v);
	if (r < 0)
		return r;
	v[strcspn(v, "\n")] = 0;
	*ret = v;
	return 0;
}

int kexec_load_limit(const struct kexec_env *env, int *ret_limit)
{
	_cleanup_free_ char *v = NULL;
	char *end;
	long l;
	int r = read_sysctl(env, "kexec_load_limit_reboot", &v);

	if (r < 0)
		return r;
	errno = 0;
	l = strtol(v, &end, 10);
	if (errno || end == v || *end || l < -1 || l > INT_MAX)
		return -EBADMSG;
	*ret_limit = (int)l;
	return 0;
}

/*
 * How kexec_probe() knows without spending a load.
 *
 * Since Linux 6.7 kernel.kexec_load_limit_reboot (and _panic, for crash
 * kernels) count loads: -1 (the default) is no limit, and an
 * administrator may lower it, never raise it, e.g. to 1 so that nothing
 * after boot can replace the kernel loaded at boot.  kexec_load_permitted()
 * takes one off at the very top of both kexec_load and kexec_file_load,
 * before the arguments are looked at (6.12: kernel/kexec_core.c,
 * kexec.c, kexec_file.c), so a probe with a bad descriptor or bad flags
 * uses one up like a load.  A call the kernel lacks answers ENOSYS
 * without counting.  Hence:
 *
 *  - no limit (-1), or no such setting (before 6.7, where nothing is
 *    counted): probe as before, kexec_file_load with fd -1 (EBADF: it
 *    exists), then kexec_load with flags it rejects (EINVAL: it exists);
 *  - a limit of 0: nothing more can be loaded, say so;
 *  - a limit above 0, or the setting unreadable (no /proc): no system
 *    call; answer kexec_file_load (x86-64 since 3.17, arm64 since 5.0,
 *    needed under lockdown), and let kexec_image_load() go to kexec_load
 *    only when `kexec -s` fails and the count shows that the call never
 *    got as far as counting (ENOSYS).
 *
 * An unload counts too: with a limit of 1, the load takes the last one
 * and an abort cannot unload.
 *
 * kernel.kexec_load_disabled = 1 refuses both calls before counting; it is
 * read rather than probed so that the message says which setting.
 */
enum kexec_syscall kexec_probe(const struct kexec_env *env, char **ret_error)
{
	_cleanup_free_ char *disabled = NULL, *osrelease = NULL;
	const char *why = NULL;
	int limit = -1, k;
	long r;

	if (read_sysctl(env, "kexec_load_disabled", &disabled) >= 0 && streq(disabled, "1")) {
		why = "not permitted: kernel.kexec_load_disabled is 1 (it cannot be reset before "
		      "the next boot)";
		goto none;
	}
	k = kexec_load_limit(env, &limit);
	if (k >= 0 && limit == 0) {
		why = "not permitted: kernel.kexec_load_limit_reboot is 0, this boot allows no "
		      "more kexec loads";
		goto none;
	}
	if ((k >= 0 && limit > 0) ||
	    (k < 0 && (k != -ENOENT || read_sysctl(env, "osrelease", &osrelease) < 0)))
		return KEXEC_SYSCALL_FILE; /* loads counted, or cannot tell: no probe */

	/*
	 * kexec_file_load with no file: EBADF means the call exists (and
	 * would read the descriptor); nothing is loaded or unloaded.
	 */
	r = syscall(SYS_kexec_file_load, -1, -1, 0UL, "", 0UL);
	if (r < 0 && errno == EBADF)
		return KEXEC_SYSCALL_FILE;
	if (r < 0 && errno == ENOSYS) {
		/*
		 * kexec_load with a flag no kernel knows (bit 15) and more
		 * segments than allowed: EINVAL after the permission checks.  Not
		 * KEXEC_ON_CRASH, which would count against the panic limit, and
		 * never zero segments, which would mean "unload".
		 */
		r = syscall(SYS_kexec_load, 0UL, ~0UL, NULL, 1UL << 15);
		if (r < 0 && errno == EINVAL)
			return KEXEC_SYSCALL_LOAD;
		why = errno == EPERM  ? "kexec_load is not permitted (lockdown or "
					"kernel.kexec_load_disabled)" :
		      errno == ENOSYS ? "this kernel was built without kexec" :
					"unexpected answer from kexec_load";
	} else if (r < 0 && errno == EPERM)
		why = "not permitted: kexec needs CAP_SYS_BOOT, and kernel.kexec_load_disabled "
		      "must be 0";
	else if (r < 0 && errno == EBUSY)
		return KEXEC_SYSCALL_FILE; /* a load in progress: the call exists */
	else
		why = "unexpected answer from kexec_file_load";
none:
	if (ret_error && !(*ret_error = strdup(why)))
		*ret_error = NULL;
	return KEXEC_SYSCALL_NONE;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Append the file at path to fd; *total counts what is in fd. */
static int append_file(int fd, const char *path, uint64_t *total, char *buf, size_t size,
		       char **ret_error)
{
	_cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	uint64_t left;
	int r;

	if (in < 0 || fstat(in, &st) < 0) {
		r = -errno;
		if (asprintf(ret_error, "initrd %s: %s", path, strerror(-r)) < 0)
			*ret_error = NULL;
		return r;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > INITRD_CONCAT_MAX - *total) {
		if (asprintf(ret_error, "initrd %s: %s", path,
			     S_ISREG(st.st_mode) ? "the initrds are too large together" :
						   "not a regular file") < 0)
			*ret_error = NULL;
		return S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
	}
	for (left = (uint64_t)st.st_size; left > 0;) {
		ssize_t k = read(in, buf, left < size ? (size_t)left : size);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = k < 0 ? -errno : -ENODATA;
			if (asprintf(ret_error, "initrd %s: %s", path,
				     k < 0 ? strerror(-r) : "shorter than it was a moment ago") < 0)
				*ret_error = NULL;
			return r;
		}
		r = write_all(fd, buf, (size_t)k);
		if (r < 0) {
			if (asprintf(ret_error, "copying initrd %s: %s", path, strerror(-r)) < 0)
				*ret_error = NULL;
			return r;
		}
		left -= (uint64_t)k;
	}
	*total += (uint64_t)st.st_size;
	return 0;
}

/*
 * kexec takes one initrd; boot loaders given several (systemd-boot, GRUB)
 * pass them one after the other, each starting at a multiple of 4 bytes,
 * the gap filled with zeros: the kernel's initramfs unpacker reads
 * concatenated cpio archives, compressed or not, skips zeros between
 * them, and wants an uncompressed archive to start 4-byte aligned.  Do
 * the same into a sealed memfd: nothing to clean up, nothing on disk, and
 * no file name another process could race for.  kexec-tools opens its
 * --initrd path with open(2) for both calls (kexec_file_load: its fd is
 * passed to the kernel; kexec_load: it is read), so /proc/self/fd/N of the
 * inherited descriptor names it; kexec-tools itself passes memfds to
 * kexec_file_load since 2.0.27 (decompressed kernels).
 */
static int initrds_concat(char *const *initrds, int *ret_fd, char **ret_error)
{
	static const char zeros[4] = {};
	_cleanup_free_ char *buf = malloc(128 * 1024);
	_cleanup_close_ int fd = -EBADF;
	uint64_t total = 0;
	int r;

	if (!buf)
		return -ENOMEM;
	fd = memfd_create("kexecq-initrd", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
	if (fd < 0 && errno == EINVAL) /* before Linux 6.3 */
		fd = memfd_create("kexecq-initrd", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		r = -errno;
		if (asprintf(ret_error, "cannot make the concatenated initrd: memfd_create: %s",
			     strerror(-r)) < 0)
			*ret_error = NULL;
		return r;
	}
	STRV_FOREACH (i, initrds) {
		if (total % 4) {
			size_t pad = 4 - total % 4;

			r = write_all(fd, zeros, pad);
			if (r < 0)
				return r;
			total += pad;
		}
		r = append_file(fd, *i, &total, buf, 128 * 1024, ret_error);
		if (r < 0)
			return r;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return -errno;
	if (fd < 3) {
		/* The child puts /dev/null and a pipe on 0-2: keep clear of them. */
		int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);

		if (n < 0)
			return -errno;
		close(fd);
		fd = n;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/*
 * Run kexec-tools with argv, its output (at most KEXEC_OUTPUT_MAX) in
 * *ret_output and its exit status (-1: killed) in *ret_status; keep_fd (or
 * -1) is inherited by it.  0, -ENOENT (cannot run it) or -EIO (failed).
 */
static int run_kexec(char *const argv[], int keep_fd, int *ret_status, char **ret_output)
{
	_cleanup_free_ char *out = calloc(KEXEC_OUTPUT_MAX + 1, 1);
	int pipefd[2], status;
	size_t n = 0;
	ssize_t k;
	pid_t pid;

	if (!out)
		return -ENOMEM;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(pipefd[0]);
		close(pipefd[1]);
		return -e;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		if (keep_fd >= 0)
			(void)fcntl(keep_fd, F_SETFD, 0);
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	while ((k = read(pipefd[0], out + n, KEXEC_OUTPUT_MAX - n)) > 0 ||
	       (k < 0 && errno == EINTR)) {
		if (k > 0)
			n += (size_t)k;
		if (n == KEXEC_OUTPUT_MAX) {
			char sink[512];

			while (read(pipefd[0], sink, sizeof(sink)) > 0)
				;
			break;
		}
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = 0;
	*ret_output = TAKE_PTR(out);
	*ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -ENOENT : -EIO;
}

/* kexec-tools' exit status for EFALLBACK (-3): kexec_file_load said ENOSYS, EINVAL, ENOEXEC or ENOTSUP. */
#define KEXEC_EXIT_FALLBACK 253

int kexec_image_load(const struct kexec_image *img, enum kexec_syscall how,
		     const struct kexec_env *env, enum kexec_syscall *ret_used, char **ret_error)
{
	_cleanup_free_ char *initrd = NULL, *cmdline = NULL, *out = NULL, *joined = NULL;
	_cleanup_close_ int initrd_fd = -EBADF;
	const char *kexec = env && env->kexec ? env->kexec : KEXEC_PATH;
	char *argv[9];
	size_t a = 0;
	int r, status = 0, limit = -1, limit_after = -1;

	if (how == KEXEC_SYSCALL_NONE)
		return -ENOSYS;
	if (asprintf(&cmdline, "--command-line=%s", img->cmdline) < 0)
		return -ENOMEM;
	if (strv_length(img->initrds) > 1) {
		r = initrds_concat(img->initrds, &initrd_fd, ret_error);
		if (r < 0)
			return r;
		joined = strv_join(img->initrds, " + ");
		if (!joined || asprintf(&initrd, "--initrd=/proc/self/fd/%d", initrd_fd) < 0)
			return -ENOMEM;
	} else if (img->initrds && asprintf(&initrd, "--initrd=%s", img->initrds[0]) < 0)
		return -ENOMEM;
	/*
	 * Options first, then "--": a kernel named "-e…" (--kernel takes any
	 * name) would otherwise be an option.  kexec-tools reads the options
	 * again in the image loader (getopt_long over the same argv), and
	 * getopt stops at "--" each time, so they must all come before it.
	 */
	argv[a++] = (char *)kexec;
	argv[a++] = (char *)(how == KEXEC_SYSCALL_FILE ? "-s" : "-c");
	argv[a++] = (char *)"-l";
	if (initrd)
		argv[a++] = initrd;
	argv[a++] = cmdline;
	argv[a++] = (char *)"--";
	argv[a++] = img->kernel;
	argv[a] = NULL;
	if (how == KEXEC_SYSCALL_FILE && kexec_load_limit(env, &limit) < 0)
		limit = -1;
	r = run_kexec(argv, initrd_fd, &status, &out);
	/*
	 * Loads counted (see kexec_probe): nothing probed, -s was a guess.  If
	 * kexec_file_load is missing, kexec -s exits with EFALLBACK and the
	 * count is as it was (ENOSYS comes before counting); an image the
	 * kernel refused (EINVAL, ENOEXEC, …) used a load up, and kexec_load
	 * would not take it either: no second try then.
	 */
	if (r == -EIO && status == KEXEC_EXIT_FALLBACK && limit > 0 &&
	    kexec_load_limit(env, &limit_after) >= 0 && limit_after == limit) {
		log_debug("kexec -s: no kexec_file_load here (%s); loading with kexec -c",
			  strna(out));
		how = KEXEC_SYSCALL_LOAD;
		argv[1] = (char *)"-c";
		out = mfree(out);
		r = run_kexec(argv, initrd_fd, &status, &out);
	}
	if (r >= 0 && ret_used)
		*ret_used = how;
	if (r < 0) {
		_cleanup_free_ char *shown = out ? cescape(out) : NULL, *via = NULL;

		if (joined && asprintf(&via, " (initrds %s concatenated, as %s)", joined,
				       initrd + strlen("--initrd=")) < 0)
			return -ENOMEM;
		if (asprintf(ret_error, "%s %s -l -- %s%s failed%s%s", kexec, argv[1], img->kernel,
			     strempty(via), shown && *shown ? ": " : "", strempty(shown)) < 0)
			*ret_error = NULL;
	}
	return r;
}

int kexec_unload(void)
{
	long r;

	r = syscall(SYS_kexec_file_load, -1, -1, 0UL, "", (unsigned long)KEXEC_FILE_UNLOAD);
	if (r == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	r = syscall(SYS_kexec_load, 0UL, 0UL, NULL, (unsigned long)KEXEC_ARCH_DEFAULT);
	return r == 0 ? 0 : -errno;
}

int kexec_loaded(const char *sysfs)
{
	_cleanup_free_ char *v = NULL;
	int r = sysfs_read(sysfs, "kernel/kexec_loaded", &v);

	if (r < 0)
		return r;
	return streq(v, "1");
}

int kexec_jump(void)
{
	if (reboot(LINUX_REBOOT_CMD_KEXEC) < 0)
		return -errno;
	return -EIO; /* not reached */
}
