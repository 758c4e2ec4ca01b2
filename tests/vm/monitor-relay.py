#!/usr/bin/env python3
"""Relay the guest's "KEXECQ-MONITOR <command>" console lines to QEMU's
human monitor (a "# monitor: yes" scenario): hot-plug (device_add,
device_del) at the moment the guest asks for it.  Follows the serial log
as QEMU writes it; each command's answer goes to the relay's own log as
"monitor: <command> -> <answer>".  Ends when QEMU's monitor socket closes
for good (QEMU exited) or when killed.

Usage: monitor-relay.py SERIAL_LOG MONITOR_SOCKET RELAY_LOG
"""
import os
import socket
import sys
import time

log_path, sock_path, out_path = sys.argv[1:4]


def hmp(command):
    """One command on a fresh connection; the answer without the prompts."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sock_path)
    buf = b""
    while not buf.endswith(b"(qemu) "):  # the banner and the first prompt
        buf += s.recv(4096)
    s.sendall(command.encode() + b"\n")
    buf = b""
    while not buf.endswith(b"(qemu) "):
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    s.close()
    text = buf.decode(errors="replace").replace("\r", "")
    # The monitor echoes the command line; keep what follows it.
    lines = [l for l in text.split("\n") if l and not l.startswith("(qemu)") and command not in l]
    return " / ".join(lines) or "ok"


def main():
    for _ in range(600):
        if os.path.exists(sock_path) and os.path.exists(log_path):
            break
        time.sleep(0.1)
    done = 0
    pending = b""
    with open(log_path, "rb") as log, open(out_path, "a", buffering=1) as out:
        while True:
            data = log.read()
            if not data:
                if not os.path.exists(sock_path):
                    return
                time.sleep(0.05)
                continue
            pending += data
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                line = raw.decode(errors="replace").strip("\r")
                if not line.startswith("KEXECQ-MONITOR "):
                    continue
                command = line[len("KEXECQ-MONITOR "):]
                try:
                    answer = hmp(command)
                except OSError as e:
                    answer = "error: %s" % e
                done += 1
                out.write("monitor: %s -> %s\n" % (command, answer))


main()
