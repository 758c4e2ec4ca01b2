# Kernel v3: two opted-in edu devices on one legacy interrupt line (slots
# 4 and 8 share INTA# on QEMU's PC machine), each with a device-managed
# shared handler, both released on kexec.  Each ->remove() first raises an
# interrupt on the line: the handler of the device released before must
# be gone (devres released by the driver core's release), not called with
# its device removed, as v1 left it installed.
# kernel: debug
# devices: edu@0x4 edu@0x8
# append: pci=nomsi
# expect: raised an interrupt: handled
# expect: 0000:00:04.0: kexec: releasing edu_kexec_test
# expect: 0000:00:08.0: kexec: releasing edu_kexec_test
# expect-not: interrupt handler ran after ->remove\(\)
stage1() {
	load_edu irq=1 kexec_remove=1
	a=$(cat /sys/bus/pci/devices/0000:00:04.0/irq) b=$(cat /sys/bus/pci/devices/0000:00:08.0/irq)
	check "both devices on one interrupt line ($a, $b)" [ "$a" = "$b" ]
	check "the line is shared by two handlers" sh -c "grep -E '^ *$a:' /proc/interrupts | grep -q 'edu_kexec_test, edu_kexec_test'"
}
