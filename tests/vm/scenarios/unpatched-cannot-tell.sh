# Without the series a driver cannot tell kexec from reboot: the best it
# has, system_state, says "reboot" during a kexec.
# kernel: unpatched debian
# devices: edu
# expect: callback=shutdown reason=reboot
# expect-not: reason=kexec
stage1() {
	load_edu has_shutdown=1
}
