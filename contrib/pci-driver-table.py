#!/usr/bin/env python3
"""List the PCI drivers of a Linux source tree and whether they have
->remove(), ->shutdown() and .driver_managed_dma.

Usage:
    contrib/pci-driver-table.py [--tsv FILE] [--quiet] KERNEL_SOURCE_TREE

What it does
------------
It reads every .c and .h file of the tree (except Documentation/, scripts/,
tools/ and usr/, which hold no kernel drivers) and takes each definition
with an initializer of a ``struct pci_driver`` object:

    [static] [const] struct pci_driver [__attr] VAR [__attr...] = { ... };

on one line or several.  A driver is one such definition in one
translation unit: a .c file that is only #included by other .c files
(sound/pci/echoaudio/echoaudio.c, by 14 card drivers) gives one entry per
including file, each with its own KBUILD_MODNAME (note ``compiled in``).
An array ``struct pci_driver VAR[] = { {...}, ... }`` gives one entry per
element, named ``VAR[i]`` (Linux 6.12 has none).  Definitions under
``#if 0`` are skipped and listed in the summary.

For each driver it reports the file, the variable, the driver name (the
``.name`` member: the directory name under /sys/bus/pci/drivers/), whether
``.remove``, ``.shutdown`` and ``.driver_managed_dma = true`` are set,
whether ``.shutdown`` is the same function as ``.remove`` (``shutdown=remove``)
or a function in the same file whose whole body is a call to ``.remove``
(``shutdown calls remove``), and how the driver is registered.

The driver name is resolved from string literals, ``KBUILD_MODNAME``,
``KBUILD_BASENAME``, object-like ``#define`` macros and ``char NAME[] =
"..."`` / ``char *NAME = "..."`` variables, and concatenations of these
(``DRV_NAME "_pci"``).  KBUILD_MODNAME is the composite module that names the
file's object (``foo-y += file.o``, ``foo-objs := ...``) in the Kbuild or
Makefile of its directory or an ancestor, else the file's basename, as
Kbuild does ('-' and ',' become '_').  Macros are looked for in the file,
then in the headers it includes (two levels of any #include, a third of
"quoted" ones, nearest first), searched like the compiler would: the
includer's directory for "quoted", then the -I directories of the
Makefiles' ccflags, then include/, include/uapi/ and arch/x86 (or the
file's arch).  Variables are looked for there too and, if not static, in
the other .c files of the directory.  Anything else is reported with the
name column set to ``?EXPR`` and the note ``name-unresolved``.

How it parses, and what is heuristic
------------------------------------
It is not a C compiler nor a preprocessor.  Comments are dropped, then
preprocessor conditionals are tracked line by line: code under ``#if 0``
(and the ``#else`` of ``#if 1``) is ignored; every other branch of every
conditional is read, so a member counts when it appears in *any* branch of
an ``#if``/``#ifdef`` inside the initializer, and the entry then carries the
note ``conditional:MEMBER(CONDITION)``.  ``.shutdown = foo_shutdown`` with a
``#define foo_shutdown NULL`` in the ``#else`` branch is counted as present
and noted ``conditional:shutdown(macro may be NULL)``; an unconditional
``#define ... NULL`` counts as absent.  Whether the whole definition sits
under an ``#if`` (``#ifdef CONFIG_PCI`` in a dual ISA/PCI driver) is noted
as ``under:CONDITION`` but does not make the entry conditional.  No config
is evaluated: the table describes the source, not one build, and counts
drivers for every architecture.

Initializers are split at top-level commas.  Designated members
(``.remove = f``, ``.driver.pm = ...``, nested ``.driver = { ... }`` and
``.err_handler = &x``) are read; only the top-level ``name``, ``remove``,
``shutdown`` and ``driver_managed_dma`` matter (a ``.shutdown`` inside
``.driver = { }`` is not the PCI one).  An item that is a macro
(``FOO_PCI_OPS`` or ``SET_FOO(a, b)``) is expanded from its ``#define`` when
one is found and its members are read (note ``via-macro:NAME``); otherwise
the note ``unparsed:ITEM`` says the entry may be missing a member.  A member
value of ``NULL``/``0`` counts as absent; wrappers such as ``pm_ptr(f)`` are
peeled to compare functions.  Whether a ->shutdown() that is not ->remove()
actually quiesces the device is not judged.

Registration is looked for in the file and its including file, then, for
non-static variables, in the .c files of the same directory and of its
parent: ``module_pci_driver(VAR)``, ``pci_register_driver(&VAR)``, any other
call or macro with VAR or &VAR as an argument (``module_comedi_pci_driver``,
``drm_module_pci_driver``, ``module_driver``), through ``#define ALIAS VAR``,
``PTR = &VAR`` and ``{ &VAR, ... }``.  It is only a note: drivers are counted
whether registered or not.  Members set at run time are found in three
shapes only: ``VAR.remove = f`` in those files; a function taking ``struct
pci_driver *p`` that sets ``p->remove`` and is called as ``FUNC(&VAR)``
(ssb_pcihost_register, mlxsw_pci_driver_register); and a global ``struct
pci_driver *P`` whose ``P->remove`` is set and which is assigned ``P =
&VAR``, or assigned something else in VAR's file ("probably": the x86
uncore drivers).  They are noted as ``runtime:FIELD=f(how)`` and counted
like initializer members.  Other run-time assignments are missed.

Not counted: ``struct pci_driver`` objects embedded in another structure
that a subsystem fills in at run time (``struct saa7146_extension``); their
definitions are counted separately in the summary.  Rust PCI drivers are
not scanned (there are none in 6.12).  Definitions generated by macros are
not seen (none in 6.12).

Output
------
A summary goes to stdout (unless --quiet): the command line, the kernel
version (VERSION.PATCHLEVEL.SUBLEVEL and EXTRAVERSION of the top Makefile)
and the counts.  With --tsv FILE, a table with one line per driver:

    name  file  remove  shutdown  driver_managed_dma  notes

(remove, shutdown and driver_managed_dma are 1 or 0, like the
/sys/bus/pci/drivers/*/has_shutdown attribute; file is relative to the
tree; notes are ``; ``-separated and start with ``var=`` and ``line=``),
sorted by file and line, after a comment line naming the kernel version
and the command, and a header line.  The output depends only on the tree
and the arguments.
"""

import argparse
import bisect
import os
import re
import shlex
import sys

SKIP_TOP_DIRS = {".git", "Documentation", "scripts", "tools", "usr"}
TRACKED = ("name", "remove", "shutdown", "driver_managed_dma")

COMMENT_OR_LITERAL_RE = re.compile(
    r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
DEF_RE = re.compile(
    r'\bstruct\s+pci_driver\s+((?:__\w+(?:\s*\([^()]*\))?\s+)*)(\w+)\s*'
    r'(\[[^\]]*\])?\s*((?:__\w+(?:\s*\([^()]*\))?\s*)*)=\s*\{')
DEFINE_RE = re.compile(r'#\s*define\s+(\w+)(\([^)]*\))?(.*)', re.S)
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*(?:"([^"]+)"|<([^>]+)>)', re.M)
INCDIR_RE = re.compile(r'-I\s*(\S+)')
STRVAR_RE = r'\bchar\s+(?:const\s+)?(?:\*\s*(?:const\s+)?)?%s\s*(?:\[\s*\w*\s*\])?\s*(?:__\w+\s*)*=\s*([^;{]+);'
TOKEN_RE = re.compile(r'"(?:\\.|[^"\\])*"|[A-Za-z_]\w*|\S')
CAST_RE = re.compile(r'\(\s*(?:const\s+)?(?:unsigned\s+)?(?:char|void)\s*(?:const\s*)?\*\s*\)')
MAKE_ASSIGN_RE = re.compile(r'^\s*(?:override\s+)?([^\s:+?=]+)\s*(?::=|\+=|\?=|=)\s*(.*)$')
COMPOSITE_RE = re.compile(r'^(.+?)-(?:objs-)?(?:y|m|objs|\$\(\w+\))$')
NOT_MODULES = {"obj", "lib", "ccflags", "asflags", "ldflags", "cflags",
               "subdir-ccflags", "subdir-asflags", "always", "hostprogs",
               "extra", "targets", "userprogs", "subdir", "clean-files",
               "header-test", "userccflags", "obj-m", "obj-y", "head"}
SETTER_FIELDS = "remove|shutdown|name|driver_managed_dma"


# ---------------------------------------------------------------- C text

def strip_comments(text):
    """Blank out comments, keeping offsets and newlines; keep literals."""
    def blank(m):
        s = m.group(0)
        if s[0] != "/":
            return s
        return re.sub(r"[^\n]", " ", s)
    return COMMENT_OR_LITERAL_RE.sub(blank, text)


def skip_literal(text, i):
    """Index after the string or char literal starting at text[i]."""
    q = text[i]
    i += 1
    while i < len(text) and text[i] != q and text[i] != "\n":
        i += 2 if text[i] == "\\" else 1
    return i + 1


def match_brace(text, i):
    """Index of the bracket closing the one at text[i], or -1."""
    depth = 0
    while i < len(text):
        c = text[i]
        if c in "\"'":
            i = skip_literal(text, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def split_top(text, start, end):
    """Split text[start:end] at top-level commas: [(item, offset)]."""
    items, depth, i, begin = [], 0, start, start
    while i < end:
        c = text[i]
        if c in "\"'":
            i = skip_literal(text, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            items.append((text[begin:i], begin))
            begin = i + 1
        i += 1
    items.append((text[begin:end], begin))
    out = []
    for item, off in items:
        stripped = item.strip()
        if stripped:
            out.append((stripped, off + len(item) - len(item.lstrip())))
    return out


def const_value(expr):
    """0 or 1 for '#if 0' / '#if 1', else None."""
    expr = expr.strip()
    return int(expr) if expr in ("0", "1") else None


def directive_of(line):
    """(keyword, argument) of a preprocessor line, or None."""
    m = re.match(r'\s*#\s*(\w+)(.*)', line, re.S)
    return (m.group(1), " ".join(m.group(2).split())) if m else None


class CondState:
    """One open #if: the condition of the current branch, whether it is
    dead (#if 0, or after a taken #if 1), and whether it is a condition at
    all (an include guard, or the live branch of #if 0/#if 1 is none)."""

    def __init__(self, kind, arg):
        text = {"ifdef": "defined(%s)" % arg, "ifndef": "!defined(%s)" % arg}.get(kind, arg)
        c = const_value(arg) if kind == "if" else None
        self.text = text
        self.silent = bool(kind == "ifndef" and re.search(r'_H_*$', arg)) or c == 1
        self.dead, self.taken, self.consts = c == 0, c == 1, c is not None

    def elif_(self, arg):
        c = const_value(arg)
        self.text = arg
        self.dead = self.taken or c == 0
        self.taken = self.taken or c == 1
        self.consts = self.consts and c is not None
        self.silent = c == 1

    def else_(self):
        self.dead = self.taken
        self.text = "else of " + self.text
        self.silent = self.consts


def scan_conditionals(code):
    """Per line: (is_directive, dead, tuple of open conditions)."""
    lines = code.split("\n")
    info, stack, i = [], [], 0
    while i < len(lines):
        state = (False, any(s.dead for s in stack),
                 tuple(s.text for s in stack if not s.silent))
        d = directive_of(lines[i])
        if not d:
            info.append(state)
            i += 1
            continue
        j, logical = i, lines[i]
        while logical.endswith("\\") and j + 1 < len(lines):
            j += 1
            logical = logical[:-1] + " " + lines[j]
        kind, arg = directive_of(logical)
        if kind in ("if", "ifdef", "ifndef"):
            stack.append(CondState(kind, arg))
        elif kind == "elif" and stack:
            stack[-1].elif_(arg)
        elif kind in ("elifdef", "elifndef") and stack:
            stack[-1].elif_(kind + " " + arg)
        elif kind == "else" and stack:
            stack[-1].else_()
        elif kind == "endif" and stack:
            stack.pop()
        info.extend([(True, state[1], state[2])] * (j - i + 1))
        i = j + 1
    return info


class Source:
    """A C file: comment-free text, conditionals, macros, includes."""

    def __init__(self, tree, rel, text):
        self.tree, self.rel = tree, rel
        self.code = strip_comments(text)
        lines = self.code.split("\n")
        self.info = scan_conditionals(self.code)
        self.line_starts = [0]
        for ln in lines[:-1]:
            self.line_starts.append(self.line_starts[-1] + len(ln) + 1)
        self.clean = "\n".join(
            " " * len(ln) if inf[0] or inf[1] else ln
            for ln, inf in zip(lines, self.info))
        self.macros = self._macros(lines)
        self.headers = None
        self.includes = [(bool(q), q or a) for q, a in INCLUDE_RE.findall(self.code)]

    def _macros(self, lines):
        """name -> [(params or None, body, conditional)] of live #defines."""
        macros, i = {}, 0
        while i < len(lines):
            ln = lines[i]
            j = i
            while ln.endswith("\\") and j + 1 < len(lines):
                j += 1
                ln = ln[:-1] + " " + lines[j]
            d = directive_of(ln)
            if d and d[0] == "define" and not self.info[i][1]:
                m = DEFINE_RE.match(ln.strip())
                if m:
                    params = m.group(2)
                    if params:
                        params = [p.strip() for p in params[1:-1].split(",")]
                    macros.setdefault(m.group(1), []).append(
                        (params, m.group(3).strip(), bool(self.info[i][2])))
            i = j + 1
        return macros

    def line_of(self, offset):
        return bisect.bisect_right(self.line_starts, offset)

    def conds_at(self, offset):
        return self.info[self.line_of(offset) - 1][2]


# ---------------------------------------------------------------- tree

class Tree:
    """Cached access to the files and Makefiles of a source tree."""

    def __init__(self, root):
        self.root = root
        self.sources, self.dir_files = {}, {}
        self.makefiles, self.mktext, self.incdirs = {}, {}, {}
        self.listed = set()     # objects named in a parsed Makefile
        self.includers = {}     # .c file -> .c files that #include it

    def read(self, rel):
        try:
            with open(os.path.join(self.root, rel), encoding="utf-8",
                      errors="replace") as f:
                return f.read()
        except OSError:
            return None

    def source(self, rel):
        if rel not in self.sources:
            text = self.read(rel)
            self.sources[rel] = Source(self, rel, text) if text is not None else None
        return self.sources[rel]

    def c_files_in(self, d):
        if d not in self.dir_files:
            try:
                names = sorted(os.listdir(os.path.join(self.root, d)))
            except OSError:
                names = []
            self.dir_files[d] = [os.path.join(d, n) for n in names if n.endswith(".c")]
        return self.dir_files[d]

    def walk(self):
        """Every .c and .h file, relative, sorted."""
        out = []
        for top, dirs, files in os.walk(self.root):
            rel_top = os.path.relpath(top, self.root)
            if rel_top == ".":
                dirs[:] = [d for d in dirs if d not in SKIP_TOP_DIRS]
                rel_top = ""
            dirs.sort()
            out.extend(os.path.join(rel_top, f) for f in sorted(files)
                       if f.endswith((".c", ".h")))
        return out

    def version(self):
        text = self.read("Makefile") or ""
        get = lambda k: (re.search(r'^%s[ \t]*=[ \t]*(\S*)' % k, text, re.M) or [None, "?"])[1]
        v = "%s.%s.%s" % (get("VERSION"), get("PATCHLEVEL"), get("SUBLEVEL"))
        extra = get("EXTRAVERSION")
        return v + (extra if extra != "?" else "")

    def makefile(self, d):
        """Text of the Kbuild or Makefile of directory d, lines joined."""
        if d not in self.mktext:
            self.mktext[d] = ""
            for name in ("Kbuild", "Makefile"):
                text = self.read(os.path.join(d, name))
                if text is not None:
                    self.mktext[d] = re.sub(r'\\\n', ' ', text)
                    break
        return self.mktext[d]

    def include_dirs(self, d):
        """-I directories the Makefiles give to the files of directory d:
        ccflags/EXTRA_CFLAGS of d, subdir-ccflags of d and its ancestors."""
        if d in self.incdirs:
            return self.incdirs[d]
        dirs, cur = [], d
        while cur and not self.makefile(cur):
            cur = os.path.dirname(cur)
        home = cur
        while True:
            for line in self.makefile(cur).split("\n"):
                m = MAKE_ASSIGN_RE.match(line.split("#", 1)[0])
                if not m or "flags" not in m.group(1).lower():
                    continue
                if cur != home and not m.group(1).startswith("subdir-"):
                    continue
                for path in INCDIR_RE.findall(m.group(2)):
                    path = path.replace("$(srctree)/", "").replace("$(srctree)", "")
                    path = re.sub(r'\$\((?:src|obj)\)', cur or ".", path)
                    if "$" not in path and not path.startswith("/"):
                        dirs.append(os.path.normpath(path))
            if not cur:
                break
            cur = os.path.dirname(cur)
        self.incdirs[d] = dirs
        return dirs

    def find_header(self, includer, name, quoted):
        """Source of the header an #include names, as the compiler would
        look for it: the includer's directory for "quoted", then -I
        directories of the Makefiles, include/, include/uapi/, arch/x86."""
        d = os.path.dirname(includer)
        arch = includer.split("/")[1] if includer.startswith("arch/") else "x86"
        bases = ([d] if quoted else []) + self.include_dirs(d) + [
            "include", "include/uapi", "arch/%s/include" % arch,
            "arch/%s/include/uapi" % arch]
        for base in bases:
            rel = os.path.normpath(os.path.join(base, name))
            if rel.startswith(".."):
                continue
            h = self.source(rel) if rel.endswith(".h") or rel.endswith(".c") else None
            if h is not None:
                return h
        return None

    def is_listed(self, rel):
        """Whether a Kbuild/Makefile of the file's directory or an
        ancestor names its object (it is compiled on its own)."""
        d = os.path.dirname(rel)
        while True:
            self.composites(d)
            if not d:
                break
            d = os.path.dirname(d)
        return rel[:-2] + ".o" in self.listed

    def note_c_includes(self, rel, text):
        """Remember the .c files that rel #includes."""
        for inc in re.findall(r'#\s*include\s*"([^"]+\.c)"', text):
            target = os.path.normpath(os.path.join(os.path.dirname(rel), inc))
            self.includers.setdefault(target, []).append(rel)

    def units(self, rel, depth=0):
        """Translation units a file is compiled in: itself, unless only
        other .c files #include it, and those (recursively)."""
        incs = self.includers.get(rel, [])
        out = [] if incs and not self.is_listed(rel) else [rel]
        for inc in sorted(set(incs)):
            out.extend(self.units(inc, depth + 1) if depth < 3 else [inc])
        return out

    def composites(self, d):
        """Object path (tree-relative) -> set of composite modules, for the
        Kbuild or Makefile of directory d."""
        if d in self.makefiles:
            return self.makefiles[d]
        comp = {}
        for line in self.makefile(d).split("\n"):
            m = MAKE_ASSIGN_RE.match(line.split("#", 1)[0])
            if not m:
                continue
            self.listed.update(os.path.normpath(os.path.join(d, tok))
                               for tok in m.group(2).split()
                               if tok.endswith(".o") and "$" not in tok)
            c = COMPOSITE_RE.match(m.group(1))
            if not c or "$" in c.group(1) or c.group(1) in NOT_MODULES \
                    or c.group(1).endswith("flags"):
                continue
            for tok in m.group(2).split():
                if tok.endswith(".o") and "$" not in tok:
                    obj = os.path.normpath(os.path.join(d, tok))
                    comp.setdefault(obj, set()).add(c.group(1))
        self.makefiles[d] = comp
        return comp


def module_name(tree, rel):
    """KBUILD_MODNAME of a .c file and how it was found."""
    obj = rel[:-2] + ".o"
    d = os.path.dirname(rel)
    while True:
        mods = tree.composites(d).get(obj)
        if mods:
            name = ":".join(sorted(mods))
            how = "composite in %s" % (os.path.join(d, "Makefile") if d else "Makefile")
            return fix_name(name), how, len(mods) > 1
        if not d:
            break
        d = os.path.dirname(d)
    return fix_name(os.path.basename(rel)[:-2]), "basename", False


def fix_name(name):
    return name.replace("-", "_").replace(",", "_")


# ---------------------------------------------------------------- lookups

def headers_of(tree, src):
    """Sources of the headers src includes, nearest first: two levels of
    any #include, a third level of "quoted" ones."""
    if src.headers is not None:
        return src.headers
    seen, out, level = {src.rel}, [], [src]
    for depth in (1, 2, 3):
        nxt = []
        for s in level:
            for quoted, inc in s.includes:
                if depth == 3 and not quoted:
                    continue
                h = tree.find_header(s.rel, inc, quoted)
                if h is not None and h.rel not in seen:
                    seen.add(h.rel)
                    nxt.append(h)
        out.extend(nxt)
        level = nxt
    src.headers = out
    return out


def find_macro(tree, src, name, tu=None):
    """(defining source, [definitions]) of an object-like macro, looked
    for in src and its headers, then in the translation unit tu (the .c
    file that #includes src) and its headers."""
    return find_def(tree, src, name, tu, function_like=False)


def find_fmacro(tree, src, name, tu=None):
    """Same as find_macro, for a function-like macro."""
    return find_def(tree, src, name, tu, function_like=True)


def find_def(tree, src, name, tu, function_like):
    scope = [src] + headers_of(tree, src)
    if tu is not None and tu is not src:
        scope += [tu] + headers_of(tree, tu)
    for s in scope:
        defs = [d for d in s.macros.get(name, []) if (d[0] is not None) == function_like]
        if defs:
            return s, defs
    return None, []


def find_strvar(tree, src, name, tu=None):
    """(source, initializer) of a char array/pointer variable: in the file
    or its headers, in the translation unit that includes it, or (if not
    static) in a .c file of the same directory."""
    pat = re.compile(STRVAR_RE % re.escape(name))
    cands = [(s, True) for s in [src] + headers_of(tree, src)]
    if tu is not None and tu is not src:
        cands += [(s, True) for s in [tu] + headers_of(tree, tu)]
    cands += [(tree.source(f), False) for f in tree.c_files_in(os.path.dirname(src.rel))
              if f != src.rel]
    for s, static_ok in cands:
        if s is None:
            continue
        for m in pat.finditer(s.clean):
            line = s.clean[s.clean.rfind("\n", 0, m.start()) + 1:m.start()]
            if static_ok or "static" not in line:
                return s, m.group(1)
    return None, None


def resolve_string(tree, src, expr, tu, depth=0):
    """(string or None, how) for a .name expression found in src, part
    of translation unit tu (which gives KBUILD_MODNAME)."""
    if depth > 8:
        return None, "too deep"
    expr = CAST_RE.sub(" ", expr).strip()
    while expr.startswith("(") and match_brace(expr, 0) == len(expr) - 1:
        expr = expr[1:-1].strip()
    parts, hows = [], []
    for tok in TOKEN_RE.findall(expr):
        if tok.startswith('"'):
            parts.append(tok[1:-1])
            hows.append("literal")
        elif tok == "KBUILD_BASENAME":
            parts.append(fix_name(os.path.basename(tu.rel)[:-2]))
            hows.append("KBUILD_BASENAME")
        elif tok == "KBUILD_MODNAME":
            name, how, ambiguous = module_name(tree, tu.rel)
            if ambiguous:
                return None, "KBUILD_MODNAME in several modules: " + name
            parts.append(name)
            hows.append("KBUILD_MODNAME(%s)" % how)
        elif re.match(r'[A-Za-z_]', tok):
            val, how = resolve_identifier(tree, src, tok, tu, depth)
            if val is None:
                return None, how
            parts.append(val)
            hows.append(how)
        else:
            return None, "expression " + expr
    if not parts:
        return None, "empty"
    return "".join(parts), " + ".join(hows)


def resolve_identifier(tree, src, tok, tu, depth):
    """(string or None, how) of a macro or string variable."""
    s, defs = find_macro(tree, src, tok, tu)
    if defs:
        vals = {resolve_string(tree, s, d[1], tu, depth + 1) for d in defs}
        if len({v for v, _ in vals}) != 1:
            return None, "macro %s has several values" % tok
        val, how = vals.pop()
        return val, how if val is None else "macro %s in %s" % (tok, s.rel)
    s, init = find_strvar(tree, src, tok, tu)
    if init is None:
        return None, "unknown identifier " + tok
    val, how = resolve_string(tree, s, init, tu, depth + 1)
    return val, how if val is None else "variable %s in %s" % (tok, s.rel)


def peel(value):
    """Function identifier of a member value; None for NULL/0."""
    v = CAST_RE.sub(" ", value).strip()
    while True:
        v = v.strip().lstrip("&").strip()
        if v.startswith("(") and match_brace(v, 0) == len(v) - 1:
            v = v[1:-1]
            continue
        m = re.match(r'^\w+\s*\((.*)\)$', v, re.S)
        if m and match_brace(v, v.index("(")) == len(v) - 1:
            v = m.group(1)
            continue
        break
    if v in ("NULL", "0", "false"):
        return None
    return v


def function_value(tree, src, value, tu):
    """(identifier or None, conditional-null) of a remove/shutdown value,
    following object-like macros: '#define foo_shutdown NULL' makes the
    member absent, unless that #define sits under an #if (the function
    exists in the other branch): then it is present but conditional."""
    ident = peel(value)
    if ident is None or not re.match(r'^[A-Za-z_]\w*$', ident):
        return ident, False
    s, defs = find_macro(tree, src, ident, tu)
    if not defs:
        return ident, False
    vals = [peel(d[1]) if d[1] else None for d in defs]
    if all(v is None for v in vals) and not any(d[2] for d in defs):
        return None, False
    live = [v for v in vals if v is not None]
    return (live[0] if live else ident), len(live) != len(vals)


def shutdown_calls_remove(src, shutdown, remove):
    """True when the shutdown function's body is just 'remove(arg);'."""
    m = re.search(r'\b%s\s*\(\s*struct\s+pci_dev\s*\*\s*(\w+)\s*\)\s*\{'
                  % re.escape(shutdown), src.clean)
    if not m:
        return False
    end = match_brace(src.clean, m.end() - 1)
    body = re.sub(r'\s+', '', src.clean[m.end():end])
    arg = m.group(1)
    return body in ("%s(%s);" % (remove, arg), "%s(%s);return;" % (remove, arg))


# ---------------------------------------------------------------- drivers

class Driver:
    """One struct pci_driver definition and what we learnt about it."""

    def __init__(self, src, var, offset, tu):
        self.src, self.var, self.offset, self.tu = src, var, offset, tu
        self.line = src.line_of(offset)
        self.static = False
        self.members = {}     # member -> [(value, offset, conditions, macro)]
        self.resolved = {}    # member -> function identifier or None
        self.notes = []
        self.name = None
        self.registration = None
        self.runtime = {}     # member -> (value, how)

    def effective(self, member):
        """Function identifier set for member, from initializer or run time."""
        if member in self.runtime:
            return peel(self.runtime[member][0])
        return self.resolved.get(member)


def parse_items(tree, src, drv, items, base_conds, via=None, depth=0):
    """Record the top-level designated members of an initializer."""
    for item, off in items:
        m = re.match(r'\.\s*(\w+)((?:\s*\.\s*\w+)*)\s*=\s*(.*)\Z', item, re.S) \
            or re.match(r'(\w+)()\s*:\s*(.*)\Z', item, re.S)
        if m:
            if m.group(2).strip() or m.group(1) not in TRACKED:
                continue
            conds = src.conds_at(off)[len(base_conds):]
            drv.members.setdefault(m.group(1), []).append(
                (m.group(3).strip(), off, conds, via))
            continue
        m = re.match(r'^([A-Za-z_]\w*)\s*(?:\((.*)\))?$', item, re.S)
        if m and depth < 3:
            s, defs = find_macro(tree, src, m.group(1), drv.tu) if not m.group(2) \
                else find_fmacro(tree, src, m.group(1), drv.tu)
            if defs:
                body = expand(defs[0], m.group(2))
                sub = split_top(body, 0, len(body))
                drv.notes.append("via-macro:" + m.group(1))
                parse_items(tree, src, drv,
                            [(t, off) for t, _ in sub], base_conds, m.group(1), depth + 1)
                continue
        drv.notes.append("unparsed:" + " ".join(item.split())[:40])


def expand(definition, args):
    """Body of a macro with its parameters replaced by the arguments."""
    params, body, _ = definition
    if params and args is not None:
        values = [a for a, _ in split_top(args, 0, len(args))]
        for p, v in zip(params, values):
            body = re.sub(r'\b%s\b' % re.escape(p), v, body)
    return body


def definitions(tree, src, tu):
    """Drivers defined in a source file, compiled as part of tu."""
    out = []
    for m in DEF_RE.finditer(src.clean):
        brace = m.end() - 1
        end = match_brace(src.clean, brace)
        if end < 0:
            continue
        base = src.conds_at(m.start())
        start = max(src.clean.rfind(c, 0, m.start()) for c in ";}{")
        static = "static" in src.clean[start + 1:m.start()].split()
        if m.group(3):
            elems = split_top(src.clean, brace + 1, end)
            for i, (elem, off) in enumerate(elems):
                if not elem.startswith("{"):
                    continue
                drv = Driver(src, "%s[%d]" % (m.group(2), i), off, tu)
                drv.static = static
                drv.notes.append("array element")
                inner = src.clean.index("{", off)
                parse_items(tree, src, drv, split_top(src.clean, inner + 1,
                            match_brace(src.clean, inner)), base)
                out.append((drv, base))
        else:
            drv = Driver(src, m.group(2), m.start(), tu)
            drv.static = static
            parse_items(tree, src, drv, split_top(src.clean, brace + 1, end), base)
            out.append((drv, base))
    return out


def analyse(tree, drv, base):
    """Fill name, function identities and notes of a parsed driver."""
    src = drv.src
    if base:
        drv.notes.append("under:" + " && ".join(base))
    for member, entries in sorted(drv.members.items()):
        if len(entries) > 1:
            drv.notes.append("%s set %d times" % (member, len(entries)))
        for value, off, conds, via in entries:
            if conds:
                drv.notes.append("conditional:%s(%s)" % (member, " && ".join(conds)))
    for member in ("remove", "shutdown"):
        idents = []
        for value, off, conds, via in drv.members.get(member, []):
            ident, cnull = function_value(tree, src, value, drv.tu)
            if cnull:
                drv.notes.append("conditional:%s(macro may be NULL)" % member)
            if ident is None:
                drv.notes.append("%s=NULL" % member)
            else:
                idents.append(ident)
        drv.resolved[member] = idents[0] if idents else None
    dma = [v for v, _, _, _ in drv.members.get("driver_managed_dma", [])
           if v.strip() not in ("false", "0")]
    drv.resolved["driver_managed_dma"] = dma[0] if dma else None
    names = drv.members.get("name")
    if names:
        drv.name_expr = names[0][0]
        drv.name, drv.name_how = resolve_string(tree, src, drv.name_expr, drv.tu)
    else:
        drv.name_expr, drv.name, drv.name_how = "", None, "no .name member"


# ---------------------------------------------------------------- run time

def find_setters(src):
    """Functions taking 'struct pci_driver *p' that set p->FIELD, and global
    'struct pci_driver *P' pointers whose P->FIELD is set, in one file."""
    funcs, ptrs = {}, {}
    for m in re.finditer(r'\b(\w+)\s*\(([^()]*\bstruct\s+pci_driver\s*\*\s*(\w+)[^()]*)\)\s*\{',
                         src.clean):
        end = match_brace(src.clean, m.end() - 1)
        body = src.clean[m.end():end]
        sets = dict(re.findall(r'\b%s\s*->\s*(%s)\s*=\s*([^;=][^;]*);'
                               % (re.escape(m.group(3)), SETTER_FIELDS), body))
        if sets:
            funcs[m.group(1)] = sets
    for m in re.finditer(r'^(?:static\s+)?struct\s+pci_driver\s*\*\s*(\w+)\s*;', src.clean, re.M):
        sets = dict(re.findall(r'\b%s\s*->\s*(%s)\s*=\s*([^;=][^;]*);'
                               % (re.escape(m.group(1)), SETTER_FIELDS), src.clean))
        if sets:
            ptrs[m.group(1)] = sets
    return funcs, ptrs


def aliases(src, var):
    """var and the object-like macros defined as exactly var."""
    names = [var]
    for name, defs in src.macros.items():
        if any(d[0] is None and d[1] == var for d in defs):
            names.append(name)
    return names


def find_registration(tree, drv, funcs, ptrs):
    """How the driver is registered, and members it gets at run time."""
    var = drv.var.split("[")[0]
    d = os.path.dirname(drv.src.rel)
    places = [drv.src.rel] + ([drv.tu.rel] if drv.tu is not drv.src else [])
    if not drv.static:
        places += [f for f in tree.c_files_in(d) if f not in places] \
            + (tree.c_files_in(os.path.dirname(d)) if d else [])
    for rel in places:
        s = tree.source(rel)
        if s is None or var not in s.code:
            continue
        found = registration_in(s, aliases(s, var), drv, funcs, ptrs)
        if found:
            where = "" if rel == drv.src.rel else " in " + rel
            drv.registration = found + where
            return
    drv.registration = None


def enclosing_call(text, pos):
    """Name of the function or macro whose argument list holds text[pos],
    within the same statement; None at file or block level."""
    depth, i = 0, pos - 1
    while i >= 0:
        c = text[i]
        if c in ")]":
            depth += 1
        elif c in "([":
            if depth == 0:
                if c == "[":
                    return None
                m = re.search(r'(\w+)\s*$', text[max(0, i - 80):i])
                return m.group(1) if m else None
            depth -= 1
        elif c in ";{}" and depth == 0:
            return None
        i -= 1
    return None


def registration_in(s, names, drv, funcs, ptrs):
    """Registration of a driver named by any of names in source s: the
    best of the uses found, a register/module call first."""
    text, uses = s.clean, []
    for n in names:
        n = re.escape(n)
        for m in re.finditer(r'\b%s\s*\.\s*(%s)\s*=\s*([^;=][^;]*);' % (n, SETTER_FIELDS), text):
            drv.runtime[m.group(1)] = (m.group(2).strip(), "assigned in " + s.rel)
        for m in re.finditer(r'\b%s\b' % n, text):
            before = text[max(0, m.start() - 200):m.start()].rstrip()
            if re.search(r'\b(?:struct|union|enum)$', before):
                continue
            amp = before.endswith("&")
            call = enclosing_call(text, m.start())
            if call and "unregister" not in call and call != "sizeof":
                rank = 0 if re.search(r'regist|module|builtin', call) else 1
                uses.append((rank, call, amp))
            elif amp:
                p = re.search(r'(\w+)\s*=\s*&$', before)
                if p:
                    uses.append((2, p.group(1), amp))
                elif re.search(r'[{,]\s*&$', before):
                    uses.append((3, None, amp))
    if not uses:
        return None
    rank, name, amp = min(uses, key=lambda u: (u[0], not u[2]))
    if rank == 2 or not drv.runtime:
        ptr = name if rank == 2 else indirect_pointer(text, ptrs)
        for field, value in ptrs.get(ptr, {}).items():
            drv.runtime[field] = (value, "set through pointer %s%s" % (
                ptr, "" if rank == 2 else ", which this file assigns: probably"))
    if rank < 2:
        if amp:
            for field, value in funcs.get(name, {}).items():
                drv.runtime[field] = (value, "set by %s()" % name)
        return ("registered by %s()" if rank == 0 else "passed to %s()") % name
    if rank == 2:
        return "assigned to pointer " + name
    return "listed in an array"


def indirect_pointer(text, ptrs):
    """A run-time setter pointer the file assigns other than '= &VAR'."""
    for p in sorted(ptrs):
        if re.search(r'\b%s\s*=\s*(?!&|NULL\b)\w' % re.escape(p), text):
            return p
    return None


# ---------------------------------------------------------------- report

def embedded_wrappers(tree, sources):
    """Struct types embedding a struct pci_driver member (not a pointer)."""
    types = set()
    for s in sources:
        for m in re.finditer(r'\bstruct\s+(\w+)\s*\{', s.clean):
            end = match_brace(s.clean, m.end() - 1)
            if re.search(r'\bstruct\s+pci_driver\s+\w+\s*;', s.clean[m.end():end]):
                types.add(m.group(1))
    return sorted(types)


def count_wrapper_defs(tree, files, types):
    """type -> [(file, var)] of definitions with initializer."""
    found = {t: [] for t in types}
    if not types:
        return found
    pat = re.compile(r'\bstruct\s+(%s)\s+(\w+)\s*=\s*\{' % "|".join(types))
    for rel in files:
        text = tree.read(rel)
        if text is None or not any(t in text for t in types):
            continue
        s = tree.source(rel)
        for m in pat.finditer(s.clean):
            found[m.group(1)].append((rel, m.group(2)))
    return found


def row(drv):
    """TSV fields of a driver."""
    rm = drv.effective("remove") is not None
    sd = drv.effective("shutdown") is not None
    dma = drv.effective("driver_managed_dma") is not None
    notes = ["var=%s" % drv.var, "line=%d" % drv.line]
    if drv.tu is not drv.src:
        notes.append("compiled in " + drv.tu.rel)
    name = drv.name
    if name is None:
        name = "?" + (" ".join(drv.name_expr.split()) or "")
        notes.append("name-unresolved(%s)" % drv.name_how)
    elif drv.name_how != "literal":
        notes.append("name from " + drv.name_how.replace(" in %s" % drv.src.rel, ""))
    if rm and sd:
        if drv.effective("shutdown") == drv.effective("remove"):
            notes.append("shutdown=remove")
        elif shutdown_calls_remove(drv.src, drv.effective("shutdown"), drv.effective("remove")):
            notes.append("shutdown calls remove")
    for field, (value, how) in sorted(drv.runtime.items()):
        notes.append("runtime:%s=%s(%s)" % (field, " ".join(value.split()), how))
    notes.append(drv.registration or "registration not found")
    if drv.src.rel.startswith("samples/"):
        notes.append("sample")
    notes.extend(drv.notes)
    clean = lambda x: re.sub(r'[\t\n]+', ' ', x)
    return [clean(name), drv.src.rel, str(int(rm)), str(int(sd)), str(int(dma)),
            clean("; ".join(notes))]


def is_conditional(r):
    return "conditional:" in r[5]


def summary(rows, version, cmd, wrappers, skipped):
    """Text summary of the table."""
    total = len(rows)
    sd = [r for r in rows if r[3] == "1"]
    at_risk = [r for r in rows if r[2] == "1" and r[3] == "0"]
    neither = [r for r in rows if r[2] == "0" and r[3] == "0"]
    sd_only = [r for r in rows if r[2] == "0" and r[3] == "1"]
    dma = [r for r in rows if r[4] == "1"]
    same = [r for r in rows if "shutdown=remove" in r[5]]
    calls = [r for r in rows if "shutdown calls remove" in r[5]]
    cond = [r for r in rows if is_conditional(r)]
    cond_sd = [r for r in cond if "conditional:shutdown" in r[5] or "conditional:remove" in r[5]]
    unres = [r for r in rows if "name-unresolved" in r[5]]
    unparsed = [r for r in rows if "unparsed:" in r[5]]
    unreg = [r for r in rows if "registration not found" in r[5]]
    runtime = [r for r in rows if "runtime:" in r[5]]
    names = {}
    for r in rows:
        names.setdefault(r[0], []).append(r[1])
    dups = sorted(n for n, f in names.items() if len(f) > 1)
    tops = {}
    for r in rows:
        tops[r[1].split("/")[0]] = tops.get(r[1].split("/")[0], 0) + 1
    out = [
        "PCI drivers in Linux %s" % version,
        "command: %s" % cmd,
        "",
        "struct pci_driver definitions:           %5d" % total,
        "  with ->shutdown():                     %5d" % len(sd),
        "    ->shutdown() is ->remove():          %5d" % len(same),
        "    ->shutdown() only calls ->remove():  %5d" % len(calls),
        "  with ->remove() and no ->shutdown():   %5d" % len(at_risk),
        "  with neither:                          %5d" % len(neither),
        "  with ->shutdown() and no ->remove():   %5d" % len(sd_only),
        "  with .driver_managed_dma = true:       %5d  (%s)" % (
            len(dma), ", ".join(r[0] for r in dma)),
        "",
        "conditional entries (a tracked member under #if in the initializer): %d" % len(cond),
        "  of which ->remove()/->shutdown() conditional: %d (%s)" % (
            len(cond_sd), ", ".join(r[0] for r in cond_sd)),
        "unresolved driver names: %d%s" % (len(unres), (" (%s)" % ", ".join(
            "%s:%s" % (r[1], r[0]) for r in unres)) if unres else ""),
        "initializer items not understood: %d%s" % (len(unparsed), (" (%s)" % ", ".join(
            r[1] for r in unparsed)) if unparsed else ""),
        "members set at run time: %d (%s)" % (len(runtime), ", ".join(r[0] for r in runtime)),
        "registration not found: %d%s" % (len(unreg), (" (%s)" % ", ".join(
            "%s:%s" % (r[1], r[0]) for r in unreg)) if unreg else ""),
        "driver names defined more than once: %d%s" % (len(dups), (" (%s)" % ", ".join(dups))
                                                       if dups else ""),
        "by top directory: %s" % ", ".join(
            "%s/ %d" % (d, n) for d, n in sorted(tops.items(), key=lambda t: (-t[1], t[0]))),
        "definitions under #if 0, ignored: %d%s" % (len(skipped), (" (%s)" % ", ".join(skipped))
                                                    if skipped else ""),
    ]
    for t, defs in wrappers.items():
        out.append("not counted: %d definitions of struct %s, which embeds a struct pci_driver"
                   " (%s)" % (len(defs), t, ", ".join(v for _, v in defs)))
    return "\n".join(out) + "\n"


def dead_definitions(src):
    """Variables of pci_driver definitions in dead (#if 0) code."""
    live = set(m.group(2) for m in DEF_RE.finditer(src.clean))
    return ["%s:%s" % (src.rel, m.group(2)) for m in DEF_RE.finditer(src.code)
            if m.group(2) not in live]


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Table of the PCI drivers of a Linux source tree: "
                    "->remove(), ->shutdown(), driver_managed_dma.")
    p.add_argument("tree", help="top of the kernel source tree")
    p.add_argument("--tsv", metavar="FILE", help="write the table to FILE")
    p.add_argument("--quiet", action="store_true", help="no summary on stdout")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv[1:])
    tree = Tree(args.tree)
    if not os.path.isfile(os.path.join(args.tree, "Makefile")):
        sys.exit("%s: not a kernel source tree" % args.tree)
    version = tree.version()
    cmd = " ".join(shlex.quote(a) for a in argv)
    files = tree.walk()
    candidates, sources, found, skipped = [], [], [], []
    for rel in files:
        text = tree.read(rel)
        if text is None:
            continue
        if '.c"' in text:
            tree.note_c_includes(rel, text)
        if "pci_driver" in text:
            candidates.append(rel)
    for rel in candidates:
        s = tree.source(rel)
        sources.append(s)
        skipped.extend(dead_definitions(s))
        for tu in tree.units(rel):
            found.extend(definitions(tree, s, tree.source(tu)))
    funcs, ptrs = {}, {}
    for s in sources:
        f, p = find_setters(s)
        funcs.update(f)
        ptrs.update(p)
    drivers = []
    for drv, base in found:
        analyse(tree, drv, base)
        find_registration(tree, drv, funcs, ptrs)
        drivers.append(drv)
    drivers.sort(key=lambda d: (d.src.rel, d.line, d.tu.rel))
    rows = [row(d) for d in drivers]
    wrappers = count_wrapper_defs(tree, files, embedded_wrappers(tree, sources))
    if args.tsv:
        with open(args.tsv, "w", encoding="utf-8") as f:
            f.write("# PCI drivers of Linux %s, by contrib/pci-driver-table.py: %s\n"
                    % (version, cmd))
            f.write("name\tfile\tremove\tshutdown\tdriver_managed_dma\tnotes\n")
            for r in rows:
                f.write("\t".join(r) + "\n")
    if not args.quiet:
        sys.stdout.write(summary(rows, version, cmd, wrappers, skipped))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
