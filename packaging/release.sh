#!/usr/bin/env bash
# One command for a release. From a clean checkout (nothing modified or
# untracked: the packages must be the commit's), writes target/dist/:
#
#   netdata-plugin-tcp-resets-V.tar.gz          the source with its crates
#                                               vendored (packaging/
#                                               source-tarball.sh), made twice
#                                               to prove it reproducible
#   netdata-plugin-tcp-resets_V-1_amd64.deb     cargo deb     } built from that
#   netdata-plugin-tcp-resets-V-1.x86_64.rpm    cargo generate-rpm } tarball,
#                                               offline, with an empty cargo home
#   netdata-plugin-tcp-resets-V.pkg             FreeBSD 14 amd64, by pkg(8):
#                                               packaging/freebsd/cross-build.sh
#                                               and build-pkg.sh, in this checkout
#   netdata-plugin-tcp-resets-V-freebsd-port.tar.gz
#                                               net-mgmt/netdata-plugin-tcp-resets
#                                               with a distinfo for the tarball
#   SHA256SUMS                                  of all the above
#
# Every step must leave its file, or the release stops with a one-line
# reason; every tool is looked for before anything is built. The time stamps
# are the commit's (SOURCE_DATE_EPOCH). A maintainer with a real address sets
# DEBFULLNAME and DEBEMAIL, which become the .deb's Maintainer.
#
# Needs: git, cargo, cargo-deb and cargo-generate-rpm (cargo install
# --locked), dpkg-dev, GNU tar, gzip, sha256sum, and for the FreeBSD
# package FreeBSD's pkg(8) (../shared/freebsd-pkg/install.sh beside the
# checkout, or FREEBSD_PKG) and what cross-build.sh installs (as root, from
# Debian, if missing).
#
#   packaging/release.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=packaging/lib.sh
. packaging/lib.sh

DIST=target/dist
NAME=netdata-plugin-tcp-resets
export LC_ALL=C

step() { printf '\n=== release: %s\n' "$*" >&2; }

# --- Before anything is built -------------------------------------------------
need() { # tool, how to get it
    command -v "$1" >/dev/null 2>&1 || die "$1 not found ($2)"
}
need git "apt-get install git"
need cargo "https://rustup.rs"
need cargo-deb "cargo install --locked cargo-deb"
need cargo-generate-rpm "cargo install --locked cargo-generate-rpm"
need dpkg-shlibdeps "apt-get install dpkg-dev"
need tar "apt-get install tar"
need gzip "apt-get install gzip"
need sha256sum "apt-get install coreutils"
freebsd_pkg_available \
    || die "FreeBSD's pkg(8) not found: no $FREEBSD_PKG_INSTALLER beside the checkout and no FREEBSD_PKG"
git rev-parse --verify -q HEAD >/dev/null || die "not a git checkout with a commit"
dirty=$(git status --porcelain --untracked-files=normal)
[[ -z $dirty ]] || die "the checkout is not clean (commit or remove: $(head -n 3 <<<"$dirty" | tr '\n' ' '))"

VERSION=$(crate_version)
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct HEAD)
export SOURCE_DATE_EPOCH
note "releasing $NAME $VERSION from $(git rev-parse --short HEAD), time stamps $(date -u -d "@$SOURCE_DATE_EPOCH" '+%F %T UTC')"
DEB_MAINTAINER=()
if [[ -n ${DEBFULLNAME:-} && -n ${DEBEMAIL:-} ]]; then
    DEB_MAINTAINER=(--maintainer "$DEBFULLNAME <$DEBEMAIL>")
fi

rm -rf "$DIST"
mkdir -p "$DIST"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Each step's file must be there.
produced() {
    [[ -s $1 ]] || die "the $2 step did not produce $1"
    note "$1 ($(wc -c <"$1") bytes)"
}

# --- The source tarball ----------------------------------------------------------
step "source tarball, crates vendored"
TARBALL=$DIST/$NAME-$VERSION.tar.gz
packaging/source-tarball.sh "$DIST" >/dev/null
produced "$TARBALL" "source tarball"
# The distinfo below is true for every copy only if the tarball does not
# depend on who makes it: a second one, under another umask, time zone and
# locale, must be the same bytes.
(umask 077 && TZ=Pacific/Kiritimati LC_ALL=C.UTF-8 packaging/source-tarball.sh "$work/again" >/dev/null) \
    || die "the second source tarball failed (above)"
cmp -s "$TARBALL" "$work/again/$(basename "$TARBALL")" \
    || die "the source tarball is not reproducible: a second one (umask 077, another time zone) differs"
note "made twice (your umask and 077, two time zones): the same bytes"

# --- .deb and .rpm, built from the tarball alone -----------------------------
step "the plugin from the tarball: offline, with an empty cargo home"
tar -xzf "$TARBALL" -C "$work"
src=$work/$NAME-$VERSION
[[ -f $src/.cargo/vendor.toml ]] || die "the tarball has no .cargo/vendor.toml"
export CARGO_HOME=$work/cargo-home CARGO_NET_OFFLINE=true
mkdir -p "$work/deb" "$work/rpm"
mkdir -p "$CARGO_HOME"
(cd "$src" && cargo build --release --offline --locked --config .cargo/vendor.toml) \
    || die "the tarball does not build offline (above)"
produced "$src/target/release/tcp_resets" "offline build"
# cargo deb asks cargo about the package too: the same sources, for any
# command run in the tarball's tree.
sed "s|^directory = \"vendor\"$|directory = \"$src/vendor\"|" "$src/.cargo/vendor.toml" \
    >"$CARGO_HOME/config.toml"
grep -q "^directory = \"$src/vendor\"$" "$CARGO_HOME/config.toml" \
    || die "cannot point $CARGO_HOME/config.toml at the vendored crates"

step ".deb (cargo deb)"
(cd "$src" && cargo deb --no-build --locked --offline "${DEB_MAINTAINER[@]}" -o "$work/deb/") >/dev/null \
    || die "cargo deb failed (above)"
DEB=$DIST/${NAME}_$VERSION-1_amd64.deb
cp "$work/deb/${NAME}_$VERSION-1_amd64.deb" "$DEB" 2>/dev/null || true
produced "$DEB" ".deb"

step ".rpm (cargo generate-rpm)"
(cd "$src" && cargo generate-rpm --source-date "$SOURCE_DATE_EPOCH" -o "$work/rpm/") >/dev/null \
    || die "cargo generate-rpm failed (above)"
RPM=$DIST/$NAME-$VERSION-1.x86_64.rpm
cp "$work/rpm/$NAME-$VERSION-1.x86_64.rpm" "$RPM" 2>/dev/null || true
produced "$RPM" ".rpm"
unset CARGO_HOME CARGO_NET_OFFLINE

# --- FreeBSD ------------------------------------------------------------------
step "FreeBSD .pkg (cross-build, pkg create)"
# Clippy for FreeBSD is CI's check, not a release step.
FREEBSD_SKIP_CLIPPY=1 packaging/freebsd/cross-build.sh >/dev/null \
    || die "packaging/freebsd/cross-build.sh failed (above)"
built=$(packaging/freebsd/build-pkg.sh | tail -n 1) || die "packaging/freebsd/build-pkg.sh failed (above)"
PKGFILE=$DIST/$NAME-$VERSION.pkg
cp "$built" "$PKGFILE" 2>/dev/null || true
produced "$PKGFILE" "FreeBSD .pkg"

step "FreeBSD port with its distinfo"
# distinfo is made here, beside the tarball it describes, and never
# committed: the tarball holds the port, so a committed distinfo could never
# name the tarball's own checksum. The tarball is reproducible, so this
# distinfo stays true for every copy of it.
portdir=$work/port/net-mgmt/$NAME
mkdir -p "$portdir"
cp "$FREEBSD_PORT"/Makefile "$FREEBSD_PORT"/pkg-descr "$FREEBSD_PORT"/pkg-message \
    "$FREEBSD_PORT"/pkg-plist "$portdir/"
[[ ! -e $FREEBSD_PORT/distinfo ]] || die "$FREEBSD_PORT/distinfo is committed: the release writes it"
{
    echo "TIMESTAMP = $SOURCE_DATE_EPOCH"
    echo "SHA256 ($(basename "$TARBALL")) = $(sha256sum "$TARBALL" | cut -d' ' -f1)"
    echo "SIZE ($(basename "$TARBALL")) = $(wc -c <"$TARBALL")"
} >"$portdir/distinfo"
PORT=$DIST/$NAME-$VERSION-freebsd-port.tar.gz
(cd "$work/port" && tar --sort=name --format=gnu --mtime="@$SOURCE_DATE_EPOCH" \
    --owner=0 --group=0 --numeric-owner --mode='u=rwX,go=rX' -cf - net-mgmt) \
    | gzip -9 -n >"$PORT"
produced "$PORT" "FreeBSD port"

# --- Checksums ----------------------------------------------------------------
step "SHA256SUMS"
want=$(printf '%s\n' "$(basename "$TARBALL")" "$(basename "$DEB")" "$(basename "$RPM")" \
    "$(basename "$PKGFILE")" "$(basename "$PORT")" | sort)
got=$(cd "$DIST" && find . -maxdepth 1 -type f -printf '%f\n' | sort)
[[ $got == "$want" ]] || die "target/dist holds '${got//$'\n'/ }', not '${want//$'\n'/ }'"
mapfile -t files <<<"$want"
(cd "$DIST" && sha256sum "${files[@]}" >SHA256SUMS && sha256sum --quiet -c SHA256SUMS) \
    || die "SHA256SUMS does not check"
produced "$DIST/SHA256SUMS" "checksum"
cat "$DIST/SHA256SUMS"
note "done: $(wc -l <"$DIST/SHA256SUMS") files in $DIST"
