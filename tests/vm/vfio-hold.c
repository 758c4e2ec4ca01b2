// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Hold a PCI device open through VFIO in no-IOMMU mode, as a VM holding a
 * passed-through device does, until killed.  For the VM scenario in which
 * vfio-pci must not be unbound on kexec (its ->remove() would wait for us).
 *
 * Usage: vfio-hold /dev/vfio/noiommu-N 0000:00:04.0
 */
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	int container, group, device;

	if (argc != 3) {
		fprintf(stderr, "usage: vfio-hold GROUP-DEVICE PCI-ADDRESS\n");
		return 2;
	}
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	group = open(argv[1], O_RDWR | O_CLOEXEC);
	if (container < 0 || group < 0) {
		perror("vfio-hold: open");
		return 1;
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0 ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU) < 0) {
		perror("vfio-hold: attach");
		return 1;
	}
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, argv[2]);
	if (device < 0) {
		perror("vfio-hold: VFIO_GROUP_GET_DEVICE_FD");
		return 1;
	}
	printf("KEXECQ-VFIO holding %s\n", argv[2]);
	fflush(stdout);
	for (;;)
		pause();
}
