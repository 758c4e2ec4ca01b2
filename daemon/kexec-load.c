// SPDX-License-Identifier: LGPL-2.1-or-later
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	free(img->initrd);
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

struct entry {
	char *id; /* file name without .conf */
	char *dir; /* the partition root the paths are relative to */
	char *path;
	char *title, *version, *machine_id, *sort_key, *linux_path, *options;
	char **initrd;
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
	free(e->linux_path);
	free(e->options);
	strv_free(e->initrd);
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

static int entry_parse(struct entry *e, char *text)
{
	int r = 0;

	for (char *line = text, *next; line && r >= 0; line = next) {
		char *key, *value;

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
		else if (streq(key, "linux"))
			r = set_str(&e->linux_path, value);
		else if (streq(key, "initrd"))
			r = strv_extend(&e->initrd, value);
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
					if (startswith(l, "default") && isspace((unsigned char)l[7])) {
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

			if (len <= 5 || !streq(de->d_name + len - 5, ".conf") || de->d_name[0] == '.')
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
			if (read_small(e->path, &text) < 0 || entry_parse(e, text) < 0 || !e->linux_path) {
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
		root, "/sys/firmware/efi/efivars/LoaderEntryDefault-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f",
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
		free(img->initrd);
		if (!(img->initrd = strdup(req->initrd)))
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
	if (asprintf(&joined, "%s%s%s", base_clean, *base_clean && append ? " " : "",
		     strempty(append)) < 0) {
		joined = NULL;
		return -ENOMEM;
	}
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

int kexec_image_choose(const struct kexec_request *req, struct kexec_image **ret,
		       char **ret_error)
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
			    (startswith(want, entries[i].id) && streq(want + strlen(entries[i].id), ".conf")))
				e = &entries[i];
		if (!e)
			e = &entries[0];
		img->kernel = path_join(e->dir, e->linux_path, NULL);
		img->initrd = e->initrd ? path_join(e->dir, e->initrd[0], NULL) : NULL;
		r = asprintf(&img->origin, "Boot Loader Spec entry %s (%s%s)", e->path,
			     e == &entries[0] && !want ? "first in boot menu order" : "the default",
			     e->initrd && e->initrd[1] ? "; only its first initrd is passed" : "");
		if (r < 0)
			img->origin = NULL;
		r = img->kernel && img->origin && (!e->initrd || img->initrd) ?
			    finish_image(req, img, e->options ? e->options : "") :
			    -ENOMEM;
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
				    *i2 = path_join(req->root, "/boot/initrd.img", NULL), *k3 = NULL,
				    *i3 = NULL;
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
			if (asprintf(ret_error,
				     "no kernel to load: no Boot Loader Spec entry in /boot, /efi or "
				     "/boot/efi loader/entries, no /vmlinuz or /boot/vmlinuz, no %s; "
				     "name one with --kernel",
				     k3) < 0)
				*ret_error = NULL;
			return -ENOENT;
		}
		img->kernel = strdup(k);
		img->initrd = is_file(i) ? strdup(i) : NULL;
		img->origin = strdup(origin);
		if (!img->kernel || !img->origin || (is_file(i) && !img->initrd))
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
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	ssize_t n;
	int r;

	if (fd < 0) {
		r = -errno;
		if (asprintf(ret_error, "%s %s: %s", what, path, strerror(-r)) < 0)
			*ret_error = NULL;
		return r;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		if (asprintf(ret_error, "%s %s: %s", what, path,
			     S_ISREG(st.st_mode) ? "empty file" : "not a regular file") < 0)
			*ret_error = NULL;
		return -EINVAL;
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
	if (img->initrd)
		return check_file("initrd", img->initrd, NULL, 0, NULL, ret_error);
	return 0;
}

/* ---- system calls and kexec-tools ---------------------------------------------------------- */

enum kexec_syscall kexec_probe(char **ret_error)
{
	const char *why = NULL;
	long r;

	/*
	 * kexec_file_load with no file: EBADF means the call exists (and
	 * would read the descriptor); nothing is loaded or unloaded.
	 */
	r = syscall(SYS_kexec_file_load, -1, -1, 0UL, "", 0UL);
	if (r < 0 && errno == EBADF)
		return KEXEC_SYSCALL_FILE;
	if (r < 0 && errno == ENOSYS) {
		/* kexec_load's unknown-flags check comes before anything else. */
		r = syscall(SYS_kexec_load, 0UL, 0UL, NULL, ~0UL);
		if (r < 0 && errno == EINVAL)
			return KEXEC_SYSCALL_LOAD;
		why = errno == EPERM ? "kexec_load is not permitted (lockdown or "
				       "kernel.kexec_load_disabled)" :
				       "this kernel was built without kexec";
	} else if (r < 0 && errno == EPERM)
		why = "not permitted: kexec needs CAP_SYS_BOOT, and kernel.kexec_load_disabled "
		      "must be 0";
	else if (r < 0 && errno == EBUSY)
		return KEXEC_SYSCALL_FILE; /* a load in progress: the call exists */
	else
		why = "unexpected answer from kexec_file_load";
	if (ret_error && !(*ret_error = strdup(why)))
		*ret_error = NULL;
	return KEXEC_SYSCALL_NONE;
}

/* Run kexec-tools with argv, its output (at most KEXEC_OUTPUT_MAX) in *ret_output. */
static int run_kexec(char *const argv[], char **ret_output)
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
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -ENOENT : -EIO;
}

int kexec_image_load(const struct kexec_image *img, enum kexec_syscall how, char **ret_error)
{
	_cleanup_free_ char *initrd = NULL, *cmdline = NULL, *out = NULL;
	char *argv[8];
	size_t a = 0;
	int r;

	if (how == KEXEC_SYSCALL_NONE)
		return -ENOSYS;
	if (asprintf(&cmdline, "--command-line=%s", img->cmdline) < 0)
		return -ENOMEM;
	if (img->initrd && asprintf(&initrd, "--initrd=%s", img->initrd) < 0)
		return -ENOMEM;
	argv[a++] = (char *)KEXEC_PATH;
	argv[a++] = (char *)(how == KEXEC_SYSCALL_FILE ? "-s" : "-c");
	argv[a++] = (char *)"-l";
	argv[a++] = img->kernel;
	if (initrd)
		argv[a++] = initrd;
	argv[a++] = cmdline;
	argv[a] = NULL;
	r = run_kexec(argv, &out);
	if (r < 0) {
		_cleanup_free_ char *shown = out ? cescape(out) : NULL;

		if (asprintf(ret_error, "%s %s -l %s failed%s%s", KEXEC_PATH, argv[1], img->kernel,
			     shown && *shown ? ": " : "", shown ? shown : "") < 0)
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
	sync();
	if (reboot(LINUX_REBOOT_CMD_KEXEC) < 0)
		return -errno;
	return -EIO; /* not reached */
}
