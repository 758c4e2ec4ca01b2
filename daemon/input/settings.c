// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-parser.h"
#include "log.h"
#include "fileio.h"
#include "settings.h"
#include "string-util.h"
#include "values.h"

#define SETTINGS_MAX (64U * 1024U)

static int assignment(struct conf_parser *p, const char *section, const char *key,
		      const char *value)
{
	struct settings *s = p->userdata;
	int b;

	if (!section || !streq(section, "Reboot")) {
		conf_error(p, "%s= outside [Reboot]", key);
		return 0;
	}
	if (streq(key, "KexecByDefault")) {
		b = parse_boolean(value);
		if (b < 0)
			conf_error(p, "KexecByDefault= must be a boolean");
		else
			s->kexec_by_default = b;
	} else if (!startswith(key, "X-"))
		conf_error(p, "unknown key %s=", key);
	return 0;
}

int settings_parse(const char *path, const char *text, size_t size, struct settings *ret)
{
	struct settings s = {};
	struct conf_parser p = {
		.path = path,
		.level = LOG_ERR,
		.userdata = &s,
		.assignment = assignment,
	};
	int r = conf_parse_buffer(&p, text, size);

	if (r < 0)
		return r;
	if (p.n_errors)
		return -EINVAL;
	*ret = s;
	return 0;
}

int settings_read(const char *path, struct settings *ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	_cleanup_free_ char *buf = NULL;
	size_t size;
	int r;

	*ret = (struct settings){};
	if (fd < 0)
		return errno == ENOENT ? 0 : log_error_errno(errno, "%s: cannot open: %m", path);
	r = read_regular_fd_logged(fd, path, SETTINGS_MAX, &buf, &size);
	if (r < 0)
		return r;
	return settings_parse(path, buf, size, ret);
}

int settings_write(const char *path, const struct settings *s)
{
	_cleanup_free_ char *text = NULL;
	int r;

	if (asprintf(&text,
		     "# kexecq's settings (kexecqd(8)); written by kexecq enable|disable.\n"
		     "[Reboot]\n"
		     "KexecByDefault=%s\n",
		     s->kexec_by_default ? "yes" : "no") < 0)
		return log_oom();
	r = write_file_atomic(path, text, 0644);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s: %m", path);
	return 0;
}
