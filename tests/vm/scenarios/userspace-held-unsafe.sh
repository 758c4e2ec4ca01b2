# A function given to userspace and a refused kexec, with the installed
# kexecq: one edu device is bound to vfio-pci and held open by a program
# (as a VM holds an assigned device; vfio in its no-IOMMU mode, as
# v3-vfio-held explains), and an administrator's policy says Driver=*
# Action=unbind.  kexecq plan leaves the vfio-pci function alone and says
# why (unbinding it would block in vfio's ->remove() until the program lets
# go), check reports it in use.  A second policy declares a kexec unsafe
# with the other edu: reboot --now refuses (exit 10) and changes nothing;
# with --force it unbinds that edu only and kexecs.
# devices: edu edu
# append: vfio.enable_unsafe_noiommu_mode=1
# expect: KEXECQ-VFIO holding 0000:
# expect: Left alone \(nothing unbinds, resets or unloads them\):
# expect: 0000:00:0[0-9a-f].0 \(vfio-pci\): bound to vfio-pci, which gives its DMA to userspace
# expect: 10-all.policy: nothing done to 0000:00:0[0-9a-f].0 \(vfio-pci\)
# expect: in-use +bound to vfio-pci and in use
# expect: Kexec refused \(kexecq reboot goes on only with --force\):
# expect: a kexec is unsafe: test hardware that needs a power cycle \(05-unsafe.policy\)
# expect: ^KEXECQ-PASS reboot refuses without --force \(exit 10\)
# expect: ^KEXECQ-PASS nothing was unbound by the refused reboot
# expect: going on: forced
# expect: kexecq: \[ *1/1\] unbind 0000:00:0[0-9a-f].0 from edu_kexec_test: done
# expect: kexecq: 1 steps?: 1 done
# expect: ^KEXECQ-STAGE2
# expect-not: unbind 0000:00:0[0-9a-f].0 from vfio-pci
# timeout: 180
stage1() {
	load_edu
	d=/sys/bus/pci/drivers/edu_kexec_test
	bdf=$(ls $d | grep '^0000:' | tail -1)
	other=$(ls $d | grep '^0000:' | head -1)
	hold_with_vfio "$bdf"
	policy 10-all.policy <<-EOF2
		[Match]
		Driver=*
		[Quiesce]
		Action=unbind
	EOF2
	kexecq plan
	kexecq check
	policy 05-unsafe.policy <<-EOF2
		[Match]
		Path=pci-$other
		[Quiesce]
		Action=unbind
		Unsafe=test hardware that needs a power cycle
	EOF2
	kexecq plan
	kexecq_reboot_now
	rc=$?
	check "reboot refuses without --force (exit 10)" [ $rc -eq 10 ]
	check "nothing was unbound by the refused reboot" [ -e $d/$other ]
	kexecq_reboot_now --force
	fail "kexecq reboot --now --force returned $?"
}
