# Kernel v3: 8139cp, a real driver without ->shutdown(), opts in to
# ->remove() on kexec (the series' last patch; QEMU's rtl8139 is an 8139C+).  With the interface up,
# the first kernel releases the driver (the interface is unregistered,
# which stops the chip); the second kernel probes the chip again and
# brings its interface up.
# kernel: debug
# devices: rtl8139
# expect: 8139cp 0000:[0-9a-f:.]+: kexec: releasing 8139cp
# expect: KEXECQ-PASS interface up after kexec
stage1() {
	sleep 1
	f=$(ls /sys/bus/pci/drivers/8139cp | grep -m1 '^0000:')
	check "8139cp bound" [ -n "$f" ]
	check "8139cp opts in: kexec_method remove" [ "$(cat /sys/bus/pci/devices/$f/kexec_method)" = "shutdown [remove]" ]
	check "kexec_action remove" [ "$(cat /sys/bus/pci/devices/$f/kexec_action)" = remove ]
	i=$(ls /sys/bus/pci/devices/$f/net)
	ip-netlink link set "$i" up
	check "interface $i up" sh -c "grep -q 0x1003 /sys/class/net/$i/flags"
}
stage2() {
	sleep 1
	f=$(ls /sys/bus/pci/drivers/8139cp | grep -m1 '^0000:')
	check "8139cp bound after kexec" [ -n "$f" ]
	i=$(ls /sys/bus/pci/devices/$f/net)
	ip-netlink link set "$i" up
	check "interface up after kexec" sh -c "grep -q 0x1003 /sys/class/net/$i/flags"
}
