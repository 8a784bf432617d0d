#!/usr/bin/env bash
# Makes the source tarball OUTDIR/netdata-plugin-tcp-resets-<version>.tar.gz
# of the commit HEAD points to (not of the work tree): `git archive`'s files
# and, under vendor/, every crate of Cargo.lock (`cargo vendor --locked`),
# with .cargo/vendor.toml telling cargo to take the crates from there. It
# builds without a network:
#
#   cargo build --release --offline --locked --config .cargo/vendor.toml
#
# and it is the FreeBSD port's one distfile (the port points CARGO_VENDOR_DIR
# at vendor/).
#
# Reproducible: the same commit gives the same bytes on any machine, whatever
# the umask, time zone or locale: entries sorted by name, every time stamp the
# commit's time (or SOURCE_DATE_EPOCH), owner and group 0, modes 0644 or
# 0755 (directories and executables), GNU tar format, gzip without a name or
# time stamp. So a distinfo written once for a release stays true.
#
# Needs git, cargo (the registry, or its cache, for the crates), GNU tar,
# gzip. Prints the tarball's path.
#
#   packaging/source-tarball.sh [OUTDIR]     (default target/dist)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=packaging/lib.sh
. packaging/lib.sh

OUTDIR=${1:-target/dist}
NAME=netdata-plugin-tcp-resets
for t in git cargo tar gzip; do
    command -v "$t" >/dev/null || die "$t not found"
done
tar --version 2>/dev/null | head -n 1 | grep -q 'GNU tar' || die "tar is not GNU tar (its --sort, --mtime and --owner are needed)"
git rev-parse --verify -q HEAD >/dev/null || die "not in a git checkout with a commit"

VERSION=$(git show HEAD:Cargo.toml | sed -n '/^\[package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' | head -n 1)
[[ -n $VERSION ]] || die "cannot read the [package] version from HEAD's Cargo.toml"
MTIME=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct HEAD)}
[[ $MTIME =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH '$MTIME' is not a number of seconds"
TOP=$NAME-$VERSION

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

git archive --format=tar --prefix="$TOP/" HEAD | tar -x -C "$work" \
    || die "git archive HEAD failed"
# The crates, from the registry or cargo's cache (each checked against
# Cargo.lock's checksum).
(cd "$work/$TOP" && cargo vendor --locked --quiet vendor >/dev/null) \
    || die "cargo vendor failed (is the registry, or cargo's cache of it, reachable?)"
[[ -n $(ls -A "$work/$TOP/vendor") ]] || die "cargo vendor wrote no crate"
mkdir -p "$work/$TOP/.cargo"
cat >"$work/$TOP/.cargo/vendor.toml" <<'EOF'
# Written by packaging/source-tarball.sh: the crates of Cargo.lock are in
# vendor/. Build without a network with
#   cargo build --release --offline --locked --config .cargo/vendor.toml
[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "vendor"
EOF

mkdir -p "$OUTDIR"
OUT=$OUTDIR/$TOP.tar.gz
# The modes: rw for the owner, r for the others, x for everyone where anyone
# had it (directories, executables); nothing else of the umask survives.
(cd "$work" && tar --sort=name --format=gnu --mtime="@$MTIME" \
    --owner=0 --group=0 --numeric-owner --mode='u=rwX,go=rX' \
    -cf - "$TOP") | gzip -9 -n >"$OUT.new" || die "tar or gzip failed"
mv -f "$OUT.new" "$OUT"
note "$OUT ($(wc -c <"$OUT") bytes, $(find "$work/$TOP/vendor" -mindepth 1 -maxdepth 1 -type d | wc -l) vendored crates)"
echo "$OUT"
