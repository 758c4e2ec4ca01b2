# Kernel v3: an SR-IOV physical function is never released while its VFs
# are enabled.  Its ->remove() disables SR-IOV, which removes the VFs --
# with their drivers and whatever holds them, after the walk shut them
# down -- and sleeps a second per PF.  QEMU's NVMe PF with 2 VFs (q35):
# root marks the PF remove, kexec_action says remove until the VFs are
# enabled and shutdown after; the kexec keeps nvme bound and says why, and
# the second kernel binds the PF again.
# kernel: debug
# machine: q35
# devices: nvme-sriov
# expect: nvme 0000:[0-9a-f:.]+: kexec: keeping nvme bound: virtual functions are enabled
# expect-not: kexec: releasing nvme
# timeout: 180
stage1() {
	sleep 2
	pf=$(ls /sys/bus/pci/drivers/nvme | grep -m1 '^0000:')
	p=/sys/bus/pci/devices/$pf
	check "nvme bound to the PF" [ -n "$pf" ]
	echo remove >$p/kexec_method || fail "remove refused for the PF"
	check "no VFs: kexec_action remove" [ "$(cat $p/kexec_action)" = remove ]
	# The VFs have no resources until nvme virt-mgmt gives them some: do
	# not let nvme try to probe them.
	echo 0 >$p/sriov_drivers_autoprobe
	echo 2 >$p/sriov_numvfs
	check "two VFs" [ "$(ls -d $p/virtfn* | wc -l)" = 2 ]
	check "VFs enabled: kexec_action shutdown" [ "$(cat $p/kexec_action)" = shutdown ]
	check "still marked remove" [ "$(cat $p/kexec_method)" = "shutdown [remove]" ]
}
stage2() {
	sleep 2
	check "nvme bound again" sh -c "ls /sys/bus/pci/drivers/nvme | grep -q '^0000:'"
	check "NVMe namespace after kexec" sh -c "ls /sys/block | grep -q '^nvme0n1'"
}
