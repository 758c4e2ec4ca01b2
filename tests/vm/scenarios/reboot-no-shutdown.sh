# A driver without ->shutdown() is not removed on reboot (only on kexec).
# devices: edu
# end: reboot
# expect: edu_kexec_test .*: bound
# expect-not: callback=
stage1() {
	load_edu has_shutdown=0
	reboot -f
}
