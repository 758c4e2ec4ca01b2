// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Count the kernel's uevents that kexecqd listens to (the subsystems of
 * udev_events_open(): pci, scsi, nvme, block, net), independently of it,
 * for the hot-plug scenario's "no event lost".  Runs until SIGTERM, then
 * prints "uevents N" and exits.
 *
 * Usage: uevent-count &  ...  kill $!; wait
 */
#include <linux/netlink.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(void)
{
	static const char *const subsystems[] = { "pci", "scsi", "nvme", "block", "net" };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	struct sigaction act = { .sa_handler = on_term };
	int size = 16 * 1024 * 1024;
	unsigned long n = 0;
	char buf[16384];
	int fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("uevent-count: netlink");
		return 1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	sigaction(SIGTERM, &act, NULL); /* no SA_RESTART: recv returns EINTR */
	/* Ready: the caller may start the hot-plug now. */
	printf("uevent-count: listening\n");
	fflush(stdout);
	while (!stop) {
		ssize_t len = recv(fd, buf, sizeof(buf) - 1, 0);

		if (len <= 0)
			continue;
		buf[len] = 0;
		/* "ACTION@DEVPATH\0KEY=VALUE\0..." */
		for (char *p = buf + strlen(buf) + 1; p < buf + len; p += strlen(p) + 1)
			if (strncmp(p, "SUBSYSTEM=", 10) == 0)
				for (size_t i = 0; i < sizeof(subsystems) / sizeof(*subsystems);
				     i++)
					if (strcmp(p + 10, subsystems[i]) == 0) {
						printf("uevent-count: %s\n", buf);
						n++;
					}
	}
	printf("uevents %lu\n", n);
	return 0;
}
