# Kernel v2: a sysfs unbind, rmmod and a PCI remove racing with kexec -e
# while the test driver's ->remove() hangs in the kexec's unbind, then the
# hang released.  The driver core serialises them: no second ->remove(),
# no oops, and the kexec completes (debug kernel).
# kernel: debug
# devices: edu edu edu
# The racers wait for the hanging ->remove() (5 s) and then for each other,
# each unbind running ACPI's interpreter slowly under TCG and lockdep: the
# hung-task limit is 60 s here, which still catches a deadlock.
# append: pci.kexec_method=remove sysctl.kernel.hung_task_timeout_secs=60 sysctl.kernel.hung_task_all_cpu_backtrace=1
# expect: callback=remove hanging until hang=0
# expect: callback=remove reason=kexec
# expect-not: called twice
# timeout: 180
stage1() {
	load_edu hang=1
	d=/sys/bus/pci/drivers/edu_kexec_test
	set -- $(ls $d | grep '^0000:')
	check "three edu devices bound" [ $# = 3 ]
	load_kexec || fail "kexec -l"
	mark KEXEC
	kexec -e &
	sleep 3
	# ->remove() of the last device hangs in the kexec's unbind now.
	echo "$3" >$d/unbind &
	echo 1 >/sys/bus/pci/devices/$3/remove &
	echo "$2" >$d/unbind &
	rmmod edu_kexec_test &
	sleep 2
	echo 0 >/sys/module/edu_kexec_test/parameters/hang
	sleep 60
	fail "the kexec did not happen"
}
