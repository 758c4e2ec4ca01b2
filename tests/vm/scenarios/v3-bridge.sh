# Kernel v3, review finding 4 (two passes inverted the order: a port set
# to remove lost bus mastering before the device below was shut down):
# one walk, children first, and bridges are never released.  An edu
# device with ->shutdown() behind a PCI-to-PCI bridge copies a pattern by
# DMA in its ->shutdown() on kexec: the bridge still forwards it.  Root
# cannot mark the bridge remove.  initcall_debug makes the walk log each
# device it shuts down: the bridge comes after the device below it.  The
# control: with the bridge's Bus Master Enable cleared by hand, the same
# DMA fails, so the check can fail.
# kernel: debug
# devices: edu-bridged
# append: initcall_debug
# expect: KEXECQ-PASS control: the DMA fails through a bridge that is no bus master
# expect: KEXECQ-PASS the DMA in ->shutdown\(\) on kexec went through the bridge
# expect: KEXECQ-PASS the bridge was shut down after the device below it
# expect: callback=shutdown reason=kexec
# timeout: 180
edu_dev() { ls /sys/bus/pci/drivers/edu_kexec_test | grep -m1 '^0000:'; }
# bridge_master 0|1: set the bridge's Bus Master Enable (command bit 2).
bridge_master() {
	local c=/sys/bus/pci/devices/$br/config v
	v=$(dd if=$c bs=1 skip=4 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	if [ "$1" = 1 ]; then v=$((v | 4)); else v=$((v & ~4)); fi
	printf "\\$(printf %o $v)" | dd of=$c bs=1 seek=4 count=1 conv=notrunc 2>/dev/null
}
stage1() {
	load_edu has_shutdown=1 dma=1
	e=$(edu_dev)
	check "edu bound behind the bridge" [ -n "$e" ]
	br=$(basename "$(readlink -f /sys/bus/pci/devices/$e/..)")
	echo "$br" >/tmp/bridge
	check "the bridge has no driver" [ ! -e /sys/bus/pci/devices/$br/driver ]
	if echo remove >/sys/bus/pci/devices/$br/kexec_method 2>/dev/null; then
		fail "the bridge cannot be marked remove"; else pass "the bridge cannot be marked remove"; fi
	# The control: unbind runs ->remove(), which tests DMA too.
	dmesg -c >/dev/null
	bridge_master 0
	echo "$e" >/sys/bus/pci/drivers/edu_kexec_test/unbind
	check "control: the DMA fails through a bridge that is no bus master" sh -c "dmesg | grep -q 'dma failed'"
	bridge_master 1
	echo "$e" >/sys/bus/pci/drivers/edu_kexec_test/bind
	dmesg -c >/dev/null
	echo "$e" >/sys/bus/pci/drivers/edu_kexec_test/unbind
	check "the DMA goes through with the bridge a bus master" sh -c "dmesg | grep -q 'dma ok'"
	echo "$e" >/sys/bus/pci/drivers/edu_kexec_test/bind
	check "edu bound again" [ "$(edu_dev)" = "$e" ]
}
stage2() {
	prev_log >/tmp/prev
	if grep -A3 'callback=shutdown reason=kexec' /tmp/prev | grep -q 'dma ok'; then
		pass "the DMA in ->shutdown() on kexec went through the bridge"
	else
		fail "the DMA in ->shutdown() on kexec went through the bridge"
	fi
	# "pci 0000:00:0N.0: shutdown" for the bridge after the edu's line.
	e=$(grep -m1 -n 'edu_kexec_test .*: shutdown$' /tmp/prev | cut -d: -f1)
	b=$(grep -n 'pci 0000:00:[0-9a-f.]*: shutdown$' /tmp/prev | tail -1 | cut -d: -f1)
	if [ -n "$e" ] && [ -n "$b" ] && [ "$b" -gt "$e" ]; then
		pass "the bridge was shut down after the device below it"
	else
		fail "the bridge was shut down after the device below it ($e, $b)"
	fi
}
