# systemd 252 as PID 1: systemctl kexec, with the second kernel loaded by
# kexec -l, goes through kexec.target to systemd-shutdown, which runs the
# executables in /usr/lib/systemd/system-shutdown/ with argv[1] "kexec"
# before its /sbin/kexec -e: the hook's kernel-log line is on stage 1's
# console and, kept by ramoops, in stage 2's pstore.
# init: systemd
# expect: ^\[ *[0-9.]+\] kexecq-hook: called with kexec$
# expect: ^\[ *[0-9.]+\] systemd-shutdown\[1\]: Rebooting with kexec\.
# expect: ^KEXECQ-PSTORE .*kexecq-hook: called with kexec$
stage1() {
	check "systemd is PID 1" [ "$(cat /proc/1/comm)" = systemd ]
	cat >/usr/lib/systemd/system-shutdown/kexecq-hook <<'HOOK'
#!/bin/sh
echo "kexecq-hook: called with $1" >/dev/kmsg
HOOK
	chmod +x /usr/lib/systemd/system-shutdown/kexecq-hook
}
