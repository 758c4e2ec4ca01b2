# The ABI: kexec_method reads the driver's own choice in brackets and
# round-trips, root-only 0644, EINVAL on bad values; kexec_action (0444)
# says what a kexec would do; the global parameter and its boot setting.
# devices: edu
# append: pci.kexec_method=shutdown
# expect: KEXECQ-PASS bad value refused
# expect-not: callback=(remove|shutdown) reason=kexec
stage1() {
	load_edu has_shutdown=0
	d=/sys/bus/pci/drivers/edu_kexec_test
	g=/sys/module/pci/parameters/kexec_method
	check "boot parameter sets the global default" [ "$(cat $g)" = shutdown ]
	check "driver follows the global default" [ "$(cat $d/kexec_method)" = "[default] auto shutdown remove" ]
	check "without ->shutdown(), under shutdown: nothing" [ "$(cat $d/kexec_action)" = nothing ]
	check "kexec_method is 0644" [ "$(stat -c %a $d/kexec_method)" = 644 ]
	check "kexec_action is read-only" [ "$(stat -c %a $d/kexec_action)" = 444 ]
	check "has_shutdown is gone" [ ! -e $d/has_shutdown ]
	if echo bogus >$d/kexec_method 2>/dev/null; then fail "bad value refused"; else pass "bad value refused"; fi
	if echo default >$g 2>/dev/null; then fail "default refused for the global"; else pass "default refused for the global"; fi
	echo remove >$d/kexec_method
	check "per-driver setting wins" [ "$(cat $d/kexec_method)" = "default auto shutdown [remove]" ]
	check "remove: the driver is unbound on kexec" [ "$(cat $d/kexec_action)" = remove ]
	# Round trip: the bracketed word of a read, written back, restores it.
	echo auto >$d/kexec_method
	saved=$(sed 's/.*\[\(.*\)\].*/\1/' $d/kexec_method)
	echo shutdown >$d/kexec_method
	echo "$saved" >$d/kexec_method
	check "the bracketed word round-trips" [ "$(cat $d/kexec_method)" = "default [auto] shutdown remove" ]
	echo default >$d/kexec_method
	check "default follows the global again" [ "$(cat $d/kexec_method)" = "[default] auto shutdown remove" ]
	echo auto >$g
	check "global writable at run time" [ "$(cat $d/kexec_action)" = remove ]
	# Back to the boot setting: with shutdown, nothing is called on kexec.
	echo shutdown >$g
}
