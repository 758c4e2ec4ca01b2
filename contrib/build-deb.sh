#!/bin/bash
# Build the Debian package the way a release is packaged: the release
# tarball (make dist) as the upstream source, contrib/debian as debian/,
# dpkg-buildpackage -us -uc, then lintian on the result.
#
# Usage: contrib/build-deb.sh [--nocheck] [OUTDIR]
#   OUTDIR (default _build/deb) receives the source package, the .deb
#   files, the .changes and lintian.txt.  --nocheck: skip the package's
#   own make check (DEB_BUILD_OPTIONS=nocheck), for callers that ran the
#   same tests on the same tree already.
# Exits non-zero when the build fails or lintian reports an error.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
nocheck=
if [ "${1:-}" = --nocheck ]; then
	nocheck=1
	shift
fi
out=$(realpath -m "${1:-$top/_build/deb}")

die() { echo "build-deb.sh: $*" >&2; exit 1; }
for t in dpkg-buildpackage dh lintian; do
	command -v "$t" >/dev/null || die "$t is missing (contrib/install-deps.sh)"
done

rm -rf "$out"
mkdir -p "$out/dist"
# The tarball, from a build tree of its own (no sanitizer or werror flags).
(cd "$top" && [ -x configure ] || autoreconf -fi >/dev/null)
(cd "$out/dist" && "$top/configure" -q && make -s dist-gzip) >"$out/dist.log" 2>&1 ||
	{ tail -30 "$out/dist.log"; die "make dist failed (log: $out/dist.log)"; }
tarball=$(ls "$out"/dist/kexecq-*.tar.gz)
version=$(basename "$tarball" .tar.gz)
version=${version#kexecq-}
debver=$(dpkg-parsechangelog -l "$top/contrib/debian/changelog" -S Version)
[ "${debver%-*}" = "$version" ] ||
	die "contrib/debian/changelog is at $debver, the tarball at $version: add a changelog entry (dch)"

cp "$tarball" "$out/kexecq_$version.orig.tar.gz"
tar -C "$out" -xzf "$tarball"
src=$out/kexecq-$version
cp -a "$top/contrib/debian" "$src/debian"

echo "dpkg-buildpackage -us -uc in $src"
(cd "$src" && DEB_BUILD_OPTIONS="${nocheck:+nocheck} parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc) >"$out/build.log" 2>&1 ||
	{ tail -40 "$out/build.log"; die "dpkg-buildpackage failed (log: $out/build.log)"; }

changes=$(ls "$out"/kexecq_*.changes)
# An error fails the build; so does a warning that is not kept, with why,
# in contrib/debian/lintian-kept.  Info tags are printed.
status=0
lintian --info --display-info --fail-on error "$changes" >"$out/lintian.txt" 2>&1 || status=$?
grep -E '^[EWI]: ' "$out/lintian.txt" || true
[ "$status" -eq 0 ] || die "lintian reports errors (above; $out/lintian.txt explains each)"
kept=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/contrib/debian/lintian-kept")
new=$(sed -nE 's/^W: [^:]+: ([a-z0-9.+-]+).*/\1/p' "$out/lintian.txt" | sort -u | grep -vxF "$kept" || true)
[ -z "$new" ] || die "lintian warnings not in contrib/debian/lintian-kept: $new"
echo "built:"
ls -1 "$out"/*.deb "$out"/*.dsc
