#!/usr/bin/env python3
"""Check JSON documents printed by kexecq against man/kexecq-json.7.

The page documents each format in a section

    .SS "kexecq\\-status, version 1"

with one entry per field:

    .TP
    .B from.record.into.initrd
    String or null.  ...
    .TP
    .B steps[].method
    String; absent unless ...

The path names the field from the top of the document (a[] is every
element of the array a); the text before the first ";" or "." is its
type (string, integer, boolean, object, array of strings|integers|objects),
"or null" when it may be null; "; always" means the key is in every
object that holds it, "; absent ..." that it may be left out.

This script reads every document given and checks, for each format:

  1. its "format" and "version" are those of a section of the page;
  2. every key it prints (by path) is documented;
  3. every documented key is printed by at least one document;
  4. every value has the documented type (null only where documented);
  5. a key documented as always there is in every object at its parent.

Usage: json-format.py PAGE DOCUMENT.json...
Prints "ok ..." / "not ok ..." lines; exit status 1 on any failure.
"""
import json
import re
import sys

TYPES = {
    "string": str,
    "integer": int,
    "boolean": bool,
    "object": dict,
}


def parse_type(text):
    """'Array of strings or null' -> (list, str, True)"""
    t = text.strip().lower()
    nullable = t.endswith(" or null")
    if nullable:
        t = t[: -len(" or null")]
    if t.startswith("array of "):
        elem = t[len("array of "):]
        elem = elem[:-1] if elem.endswith("s") else elem
        if elem not in TYPES:
            raise ValueError(f"unknown element type {elem!r}")
        return (list, TYPES[elem], nullable)
    if t not in TYPES:
        raise ValueError(f"unknown type {t!r}")
    return (TYPES[t], None, nullable)


def parse_page(path):
    """{format: {"version": N, "fields": {path: (type, elem, nullable, required)}}}"""
    formats = {}
    cur = None
    lines = open(path, encoding="utf-8").read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r'^\.SS "(kexecq\\-[a-z]+), version (\d+)"', line)
        if m:
            cur = {"version": int(m.group(2)), "fields": {}}
            formats[m.group(1).replace("\\-", "-")] = cur
        elif line.startswith(".SH") or line.startswith(".SS"):
            cur = None
        elif cur is not None and line == ".TP" and i + 1 < len(lines) and lines[i + 1].startswith(".B "):
            name = lines[i + 1][3:].strip()
            body = []
            j = i + 2
            while j < len(lines) and not lines[j].startswith((".TP", ".SS", ".SH")):
                body.append(lines[j])
                j += 1
            text = " ".join(body)
            m = re.match(r"^([^;.]*)([;.])\s*(\S*)", text)
            if not m:
                raise ValueError(f"{path}: {name}: no type")
            typ, elem, nullable = parse_type(m.group(1))
            required = m.group(2) == "." or m.group(3).rstrip(".") == "always"
            if m.group(2) == ";" and m.group(3).rstrip(".") not in ("always", "absent"):
                raise ValueError(f"{path}: {name}: say 'always' or 'absent ...' after the type")
            if name in cur["fields"]:
                raise ValueError(f"{path}: {name} documented twice")
            cur["fields"][name] = (typ, elem, nullable, required)
            i = j
            continue
        i += 1
    return formats


def walk(value, path, values, instances):
    """values: path -> [value]; instances: path of an object -> [its keys]"""
    if isinstance(value, dict):
        instances.setdefault(path, []).append(set(value))
        for k, v in value.items():
            p = f"{path}.{k}" if path else k
            values.setdefault(p, []).append(v)
            walk(v, p, values, instances)
    elif isinstance(value, list):
        for v in value:
            walk(v, path + "[]", values, instances)


def type_ok(v, typ, elem, nullable):
    if v is None:
        return nullable
    if typ is int and isinstance(v, bool):
        return False
    if not isinstance(v, typ):
        return False
    if typ is list:
        return all(isinstance(x, elem) and not (elem is int and isinstance(x, bool)) for x in v)
    return True


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    failures = 0

    def check(ok, what):
        nonlocal failures
        print(("ok - " if ok else "not ok - ") + what)
        if not ok:
            failures += 1

    formats = parse_page(argv[1])
    seen = {f: {"values": {}, "instances": {}} for f in formats}
    for doc in argv[2:]:
        d = json.load(open(doc, encoding="utf-8"))
        fmt = d.get("format")
        if fmt not in formats:
            check(False, f"{doc}: format {fmt!r} has no section in the page")
            continue
        check(d.get("version") == formats[fmt]["version"],
              f"{doc}: {fmt} version {d.get('version')} is the page's ({formats[fmt]['version']})")
        walk(d, "", seen[fmt]["values"], seen[fmt]["instances"])

    for fmt, spec in sorted(formats.items()):
        fields = spec["fields"]
        values = seen[fmt]["values"]
        instances = seen[fmt]["instances"]
        if not values:
            check(False, f"{fmt}: no document of this format was given")
            continue
        undocumented = sorted(set(values) - set(fields))
        check(not undocumented, f"{fmt}: every key printed is documented"
              + (f"; not documented: {', '.join(undocumented)}" if undocumented else ""))
        unseen = sorted(set(fields) - set(values))
        check(not unseen, f"{fmt}: every documented key is printed by some fixture"
              + (f"; never printed: {', '.join(unseen)}" if unseen else ""))
        bad_type, bad_presence = [], []
        for name, (typ, elem, nullable, required) in sorted(fields.items()):
            for v in values.get(name, []):
                if not type_ok(v, typ, elem, nullable):
                    bad_type.append(f"{name} = {json.dumps(v)[:40]}")
                    break
            if required:
                parent = name.rsplit(".", 1)[0] if "." in name else ""
                key = name.rsplit(".", 1)[-1]
                if any(key not in keys for keys in instances.get(parent, [])):
                    bad_presence.append(name)
        check(not bad_type, f"{fmt}: every value has its documented type"
              + (f"; wrong: {'; '.join(bad_type)}" if bad_type else ""))
        check(not bad_presence, f"{fmt}: keys documented as always there are"
              + (f"; missing somewhere: {', '.join(bad_presence)}" if bad_presence else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
