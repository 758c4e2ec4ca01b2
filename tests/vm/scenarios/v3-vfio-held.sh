# Kernel v3, review finding 3 (unbounded waits): vfio-pci holds an edu
# device that a program keeps open, as a VM would, after the device was
# marked remove for its previous driver.  The mark is forgotten on unbind
# (finding 2's vfio-pci case), root cannot mark vfio-pci's device
# (EOPNOTSUPP: driver_managed_dma), so its ->remove(), which would wait for
# the program forever, never runs on kexec; the other, opted-in edu device
# is released, and the kexec completes.  (QEMU 7.2 has no IOMMU for a PC
# machine's TCG guest that vfio would accept here: vfio runs in its
# no-IOMMU mode, which is the same driver and the same ->remove().)
# kernel: debug
# devices: edu edu
# append: vfio.enable_unsafe_noiommu_mode=1
# expect: KEXECQ-VFIO holding 0000:
# expect: callback=remove reason=kexec
# expect: KEXECQ-PASS vfio-pci cannot be marked remove
# expect-not: kexec: (releasing|keeping) vfio-pci
stage1() {
	load_edu kexec_remove=1
	d=/sys/bus/pci/drivers/edu_kexec_test
	bdf=$(ls $d | grep '^0000:' | tail -1)
	a=/sys/bus/pci/devices/$bdf
	echo remove >$a/kexec_method
	hold_with_vfio "$bdf"
	check "the mark for edu is forgotten" [ "$(cat $a/kexec_method)" = "[shutdown] remove" ]
	if echo remove >$a/kexec_method 2>/dev/null; then fail "vfio-pci cannot be marked remove"; else
		pass "vfio-pci cannot be marked remove"; fi
	check "vfio-pci: clear-master on kexec" [ "$(cat $a/kexec_action)" = clear-master ]
}
