// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "netlink-adapter.h"

static void mnl_socket_closep(struct mnl_socket **s)
{
	if (*s)
		(void)mnl_socket_close(*s);
}

int netlink_link_set_up(const char *ifname, bool up)
{
	_cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
	char buf[8192]; /* MNL_SOCKET_BUFFER_SIZE, a VLA in libmnl's header */
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	unsigned seq, portid;
	ssize_t n;
	int r;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	portid = mnl_socket_get_portid(nl);
	seq = (unsigned)time(NULL);

	/* RTM_NEWLINK on an existing link, by name: the kernel looks it up. */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = up ? IFF_UP : 0;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	/* The answer is one NLMSG_ERROR: error 0 is the ack. */
	r = mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL);
	return r < 0 ? -errno : 0;
}
