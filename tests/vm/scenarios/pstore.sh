# ramoops keeps stage 1's console across the kexec (run.sh reserves the
# memory in both kernels): a line written to the kernel log just before
# the kexec is in stage 2's /sys/fs/pstore, which its init reports.
# expect: ^KEXECQ-PSTORE-RECORD console-ramoops-0
# expect: ^KEXECQ-PSTORE .*kexecq-pstore: written in stage 1$
stage1() {
	echo "kexecq-pstore: written in stage 1" >/dev/kmsg
}
