# Kernel v3, review finding 2 (check-then-unbind race): while the walk
# hangs in the first opted-in edu device's ->remove() on kexec, userspace
# unbinds a second device, hands it to vfio-pci through driver_override
# and asks for a probe, unbinds the third and removes it from the bus, and
# unloads the module.  The decision and the release are made under one
# device lock, and probing is blocked during the walk: vfio-pci does not
# bind (v3-vfio-held shows it binds outside the walk), so it is never
# released by the walk; no ->remove() runs twice, no oops, and the kexec
# completes once the hang is released (debug kernel).
# kernel: debug
# devices: edu edu edu
# The racers wait for the hanging ->remove() and then for each other, each
# unbind running ACPI's interpreter slowly under TCG and lockdep: the
# hung-task limit is 60 s here, which still catches a deadlock.
# append: vfio.enable_unsafe_noiommu_mode=1 sysctl.kernel.hung_task_timeout_secs=60 sysctl.kernel.hung_task_all_cpu_backtrace=1
# expect: callback=remove hanging until hang=0
# expect: KEXECQ-PASS vfio-pci cannot bind during the walk
# expect: callback=remove reason=kexec
# expect: kexec: releasing edu_kexec_test
# expect-not: called twice
# expect-not: kexec: (releasing|keeping) vfio-pci
# timeout: 180
stage1() {
	# The walk goes from the device added last: the highest address.
	set -- $(grep -l 0x11e8 /sys/bus/pci/devices/*/device | sed 's|.*/devices/\([^/]*\)/device|\1|' | sort)
	check "three edu devices" [ $# = 3 ]
	load_edu hang=1 hang_only=$3 kexec_remove=1
	d=/sys/bus/pci/drivers/edu_kexec_test
	check "three edu devices bound" [ "$(ls $d | grep -c '^0000:')" = 3 ]
	load_kexec || fail "kexec -l"
	mark KEXEC
	kexec -e &
	sleep 3
	# $3's ->remove() hangs in the walk now, under its device lock.
	echo "$2" >$d/unbind
	echo vfio-pci >/sys/bus/pci/devices/$2/driver_override
	echo "$2" >/sys/bus/pci/drivers_probe
	check "vfio-pci cannot bind during the walk" [ ! -e /sys/bus/pci/drivers/vfio-pci/$2 ]
	echo "$1" >$d/unbind &
	echo 1 >/sys/bus/pci/devices/$1/remove &
	rmmod edu_kexec_test &
	sleep 2
	echo 0 >/sys/module/edu_kexec_test/parameters/hang
	sleep 60
	fail "the kexec did not happen"
}
