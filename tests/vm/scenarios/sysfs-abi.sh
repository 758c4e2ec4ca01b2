# The v3 ABI, per device: kexec_method reads the current choice in
# brackets (the driver's kexec_remove until root writes one) and
# round-trips, 0644, EINVAL on other words, ENODEV for remove without a
# driver, EOPNOTSUPP for a driver that can never be released (vfio-pci);
# the choice is forgotten on unbind.  kexec_action (0444) says what a
# kexec would do now: remove, shutdown or clear-master.
# devices: edu edu edu
# append: vfio.enable_unsafe_noiommu_mode=1
# expect: KEXECQ-PASS bad value refused
# expect: kexec: releasing edu_kexec_test
# expect: callback=remove reason=kexec
stage1() {
	load_edu has_shutdown=0
	d=/sys/bus/pci/drivers/edu_kexec_test
	set -- $(ls $d | grep '^0000:')
	check "three edu devices bound" [ $# = 3 ]
	a=/sys/bus/pci/devices/$1 b=/sys/bus/pci/devices/$2 c=/sys/bus/pci/devices/$3
	check "no global method any more" [ ! -e /sys/module/pci/parameters/kexec_method ]
	check "no per-driver kexec_method" [ ! -e $d/kexec_method ]
	check "no per-driver kexec_action" [ ! -e $d/kexec_action ]
	check "the driver's choice: shutdown" [ "$(cat $a/kexec_method)" = "[shutdown] remove" ]
	check "without ->shutdown(), not released: clear-master" [ "$(cat $a/kexec_action)" = clear-master ]
	check "kexec_method is 0644" [ "$(stat -c %a $a/kexec_method)" = 644 ]
	check "kexec_action is 0444" [ "$(stat -c %a $a/kexec_action)" = 444 ]
	if echo bogus >$a/kexec_method 2>/dev/null; then fail "bad value refused"; else pass "bad value refused"; fi
	if echo auto >$a/kexec_method 2>/dev/null; then fail "v2's auto refused"; else pass "v2's auto refused"; fi
	echo remove >$a/kexec_method
	check "remove set" [ "$(cat $a/kexec_method)" = "shutdown [remove]" ]
	check "remove: released on kexec" [ "$(cat $a/kexec_action)" = remove ]
	check "per device: the other one unchanged" [ "$(cat $b/kexec_method)" = "[shutdown] remove" ]
	# Round trip: the bracketed word of a read, written back, keeps it.
	saved=$(sed 's/.*\[\(.*\)\].*/\1/' $a/kexec_method)
	echo shutdown >$a/kexec_method
	check "shutdown set" [ "$(cat $a/kexec_action)" = clear-master ]
	echo "$saved" >$a/kexec_method
	check "the bracketed word round-trips" [ "$(cat $a/kexec_method)" = "shutdown [remove]" ]
	# Forgotten on unbind: a rebind starts from the driver's choice.
	echo remove >$b/kexec_method
	echo "$2" >$d/unbind
	check "unbound device reads shutdown" [ "$(cat $b/kexec_method)" = "[shutdown] remove" ]
	check "unbound device: clear-master" [ "$(cat $b/kexec_action)" = clear-master ]
	if echo remove >$b/kexec_method 2>/tmp/err; then fail "remove without a driver refused"; else
		check "remove without a driver: ENODEV" grep -q "No such device" /tmp/err; fi
	check "shutdown without a driver: accepted (round trip)" sh -c "echo shutdown >$b/kexec_method"
	echo "$2" >$d/bind
	check "rebound: the mark is gone" [ "$(cat $b/kexec_method)" = "[shutdown] remove" ]
	# vfio-pci (driver_managed_dma) can never be released on kexec.
	echo "$3" >$d/unbind
	echo vfio-pci >$c/driver_override
	echo "$3" >/sys/bus/pci/drivers_probe
	check "vfio-pci bound" [ -e /sys/bus/pci/drivers/vfio-pci/$3 ]
	if echo remove >$c/kexec_method 2>/tmp/err; then fail "remove refused for vfio-pci"; else
		check "remove for vfio-pci: EOPNOTSUPP" grep -q "not supported" /tmp/err; fi
	check "vfio-pci: clear-master" [ "$(cat $c/kexec_action)" = clear-master ]
	check "the refusal is logged" sh -c "dmesg | grep -q 'cannot remove vfio-pci on kexec: the driver manages DMA for userspace'"
}
