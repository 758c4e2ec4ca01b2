# auto with a ->shutdown(): the kernel calls ->shutdown(), as before, and
# the driver can now tell it is a kexec.
# devices: edu
# append: pci.kexec_method=auto
# expect: callback=shutdown reason=kexec
# expect-not: callback=remove reason=kexec
stage1() {
	load_edu has_shutdown=1
}
