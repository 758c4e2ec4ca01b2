# The ABI: bracketed read, root-only 0644, EINVAL on bad values, "default",
# the global parameter and its boot-time setting.
# devices: edu
# append: pci.kexec_method=shutdown
# expect: KEXECQ-PASS bad value refused
# expect-not: callback=(remove|shutdown) reason=kexec
stage1() {
	load_edu has_shutdown=0
	d=/sys/bus/pci/drivers/edu_kexec_test
	g=/sys/module/pci/parameters/kexec_method
	check "boot parameter sets the global default" [ "$(cat $g)" = shutdown ]
	check "driver follows the global default" [ "$(cat $d/kexec_method)" = "auto [shutdown] remove" ]
	check "kexec_method is 0644" [ "$(stat -c %a $d/kexec_method)" = 644 ]
	check "has_shutdown is read-only" [ "$(stat -c %a $d/has_shutdown)" = 444 ]
	if echo bogus >$d/kexec_method 2>/dev/null; then fail "bad value refused"; else pass "bad value refused"; fi
	if echo default >$g 2>/dev/null; then fail "default refused for the global"; else pass "default refused for the global"; fi
	echo remove >$d/kexec_method
	check "per-driver setting wins" [ "$(cat $d/kexec_method)" = "auto shutdown [remove]" ]
	echo default >$d/kexec_method
	check "default follows the global again" [ "$(cat $d/kexec_method)" = "auto [shutdown] remove" ]
	echo auto >$g
	check "global writable at run time" [ "$(cat $d/kexec_method)" = "[auto] shutdown remove" ]
	# Back to the boot setting: with shutdown, nothing is called on kexec.
	echo shutdown >$g
}
