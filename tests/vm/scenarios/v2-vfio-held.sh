# Kernel v2: vfio-pci (driver_managed_dma) holds an edu device that a
# program keeps open, as a VM would.  vfio-pci's ->remove() waits for that
# program; the series never unbinds such a driver unless its own method
# says so, not even under pci.kexec_method=remove, and the kexec completes.
# (QEMU 7.2 has no IOMMU for a PC machine's TCG guest that vfio would
# accept here: vfio runs in its no-IOMMU mode, which is the same driver
# and the same ->remove().)
# kernel: debug
# devices: edu edu
# append: pci.kexec_method=remove vfio.enable_unsafe_noiommu_mode=1
# expect: KEXECQ-VFIO holding 0000:
# expect: callback=remove reason=kexec
stage1() {
	load_edu
	d=/sys/bus/pci/drivers/edu_kexec_test
	bdf=$(ls $d | grep '^0000:' | tail -1)
	echo "$bdf" >$d/unbind
	echo vfio-pci >/sys/bus/pci/devices/$bdf/driver_override
	echo "$bdf" >/sys/bus/pci/drivers_probe
	check "vfio-pci bound" [ -e /sys/bus/pci/drivers/vfio-pci/$bdf ]
	check "vfio-pci is not unbound on kexec" [ "$(cat /sys/bus/pci/drivers/vfio-pci/kexec_action)" != remove ]
	group=/dev/vfio/noiommu-$(basename "$(readlink /sys/bus/pci/devices/$bdf/iommu_group)")
	# Wait until it holds the device (a fixed sleep lost this race on a
	# loaded machine: the kexec came before the open), then show its line.
	vfio-hold "$group" "$bdf" >/tmp/vfio-hold.out &
	i=0
	while ! grep -q holding /tmp/vfio-hold.out && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	cat /tmp/vfio-hold.out
}
