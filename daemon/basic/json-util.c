// SPDX-License-Identifier: LGPL-2.1-or-later
#include <string.h>

#include "json-util.h"
#include "log.h"

static void json_tokener_freep(json_tokener **t)
{
	if (*t)
		json_tokener_free(*t);
}

int json_parse_buffer(const char *path, const char *what, const char *buf, size_t len,
		      json_object **ret)
{
	_cleanup_(json_tokener_freep) json_tokener *tok = NULL;
	json_object *root;
	enum json_tokener_error e;

	if (len > INT32_MAX)
		return log_error_errno(EFBIG, "%s: too large", path);
	tok = json_tokener_new();
	if (!tok)
		return log_oom();
	root = json_tokener_parse_ex(tok, buf, (int)len);
	e = json_tokener_get_error(tok);
	if (!root || e != json_tokener_success) {
		size_t off = json_tokener_get_parse_end(tok), line = 1;

		for (size_t i = 0; i < off && i < len; i++)
			line += buf[i] == '\n';
		if (root)
			json_object_put(root);
		if (e == json_tokener_continue)
			return log_error_errno(EBADMSG,
					       "%s:%zu: not valid JSON: the file ends inside "
					       "the %s",
					       path, line, what);
		return log_error_errno(EBADMSG, "%s:%zu: not valid JSON: %s", path, line,
				       json_tokener_error_desc(e));
	}
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
		if (!strchr(" \t\r\n", buf[i])) {
			json_object_put(root);
			return log_error_errno(EBADMSG, "%s: data after the %s", path, what);
		}
	*ret = root;
	return 0;
}
