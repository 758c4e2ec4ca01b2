# Without the series, a driver without ->shutdown() is not called on kexec:
# its device is left running.
# kernel: unpatched debian
# devices: edu
# expect: edu_kexec_test 0000:[0-9a-f:.]+: bound: edu .*shutdown callback no
# expect-not: callback=(shutdown|remove) reason=(kexec|reboot)
stage1() {
	load_edu has_shutdown=0
}
