// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A stand-in for polkitd on a private bus (tests/test-bus.sh): owns
 * org.freedesktop.PolicyKit1 and answers CheckAuthorization with
 * ANSWER ("yes" or "no") after DELAY seconds, counting the questions on
 * stdout ("asked ACTION interactive=N").
 *
 *   fake-polkit ANSWER DELAY
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

static int yes;
static uint64_t delay_usec;

struct pending {
	sd_bus_message *m;
};

static int answer(sd_event_source *s, uint64_t usec, void *userdata)
{
	sd_bus_message *m = userdata;

	(void)s, (void)usec;
	(void)sd_bus_reply_method_return(m, "(bba{ss})", yes, 0, 0);
	sd_bus_message_unref(m);
	return 0;
}

static int check(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *kind, *action, *k, *v;
	uint32_t flags;
	int r;

	(void)userdata, (void)error;
	r = sd_bus_message_enter_container(m, 'r', "sa{sv}");
	if (r < 0)
		return r;
	r = sd_bus_message_read(m, "s", &kind);
	if (r < 0 || (r = sd_bus_message_skip(m, "a{sv}")) < 0 ||
	    (r = sd_bus_message_exit_container(m)) < 0 ||
	    (r = sd_bus_message_read(m, "s", &action)) < 0)
		return r;
	r = sd_bus_message_enter_container(m, 'a', "{ss}");
	while (r >= 0 && (r = sd_bus_message_read(m, "{ss}", &k, &v)) > 0)
		;
	if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0 ||
	    (r = sd_bus_message_read(m, "u", &flags)) < 0)
		return r;
	printf("asked %s interactive=%u\n", action, flags & 1);
	fflush(stdout);
	return sd_event_add_time_relative(sd_bus_get_event(sd_bus_message_get_bus(m)), NULL,
					  CLOCK_MONOTONIC, delay_usec, 0, answer,
					  sd_bus_message_ref(m)) < 0 ?
		       -ENOMEM :
		       1;
}

static const sd_bus_vtable vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("CheckAuthorization", "(sa{sv})sa{ss}us", "(bba{ss})", check,
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};

int main(int argc, char **argv)
{
	sd_event *e = NULL;
	sd_bus *bus = NULL;

	if (argc != 3)
		return 2;
	yes = strcmp(argv[1], "yes") == 0;
	delay_usec = (uint64_t)(atof(argv[2]) * 1e6);
	if (sd_event_default(&e) < 0 || sd_bus_open_system(&bus) < 0 ||
	    sd_bus_attach_event(bus, e, 0) < 0 ||
	    sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/PolicyKit1/Authority",
				     "org.freedesktop.PolicyKit1.Authority", vtable, NULL) < 0 ||
	    sd_bus_request_name(bus, "org.freedesktop.PolicyKit1", 0) < 0) {
		fprintf(stderr, "fake-polkit: cannot start\n");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	return sd_event_loop(e) < 0;
}
