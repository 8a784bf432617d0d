#!/usr/bin/env bash
# Makes the FreeBSD package target/freebsd/pkg/netdata-plugin-tcp-resets-<version>.pkg
# with FreeBSD's own `pkg create`, from the port in
# packaging/freebsd/net-mgmt/netdata-plugin-tcp-resets, the way the ports
# framework packages a port:
#   - a staging tree as the port's do-install makes it: the plugin with
#     INSTALL_PROGRAM's mode 0555, the alarms and the docs (PORTDOCS, in
#     share/doc/<PORTNAME>) with INSTALL_DATA's 0444;
#   - one file list, the plist: the port's pkg-plist plus its PORTDOCS,
#     owned root:wheel but for the plugin, which pkg-plist makes 0750
#     root:netdata; it must name exactly the staged files;
#   - the metadata (+MANIFEST without files, +DESC, +DISPLAY) from the
#     port's Makefile, pkg-descr and pkg-message.
# pkg records each file's checksum, owner, group, mode and time stamp. The
# same commands run on Linux (pkg 2.8.4 built by ../shared/freebsd-pkg) and
# on FreeBSD (the system's pkg). The output is deterministic: every time
# stamp is SOURCE_DATE_EPOCH, or else the last commit's time.
#
# Environment: FREEBSD_BIN (the plugin binary; default the cross-build's,
# packaging/freebsd/cross-build.sh), FREEBSD_PKG (a pkg binary to use).
# Prints the package's path.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=packaging/lib.sh
. packaging/lib.sh

PREFIX=/usr/local
FREEBSD_BIN=${FREEBSD_BIN:-target/freebsd/x86_64-unknown-freebsd/release/tcp_resets}
OUTDIR=target/freebsd/pkg

# --- The port's metadata ---------------------------------------------------
NAME=$(port_var PORTNAME)
VERSION=$(port_var DISTVERSION)
ORIGIN=$(port_var CATEGORIES | cut -d' ' -f1)/$NAME
COMMENT=$(port_var COMMENT)
# Without MAINTAINER the framework's default (bsd.port.mk: MAINTAINER?=
# ports@FreeBSD.org); pkg requires one. Without WWW the manifest has none
# and pkg create records "UNKNOWN" (pkg's pkg_create.c, when pkg-descr has
# no WWW: line either).
MAINTAINER=$(port_var MAINTAINER)
MAINTAINER=${MAINTAINER:-ports@FreeBSD.org}
WWW=$(port_var WWW)
LICENSE=$(port_var LICENSE)
CATEGORIES=$(port_var CATEGORIES)
PORTDOCS=$(port_var PORTDOCS)
for v in NAME VERSION COMMENT LICENSE CATEGORIES PORTDOCS; do
    [[ -n ${!v} ]] || die "$FREEBSD_PORT/Makefile sets no ${v/NAME/PORTNAME}"
done
CRATE_VERSION=$(crate_version)
[[ $VERSION == "$CRATE_VERSION" ]] \
    || die "$FREEBSD_PORT/Makefile has DISTVERSION $VERSION, Cargo.toml has version $CRATE_VERSION"
# pkg records the dependency's name, origin and version (the ports
# framework records the version it built against).
port_run_depends
for f in pkg-descr pkg-message pkg-plist; do
    [[ -f $FREEBSD_PORT/$f ]] || die "$FREEBSD_PORT/$f not found"
done

if [[ -n ${SOURCE_DATE_EPOCH:-} ]]; then
    MTIME=$SOURCE_DATE_EPOCH
else
    MTIME=$(git log -1 --format=%ct 2>/dev/null || true)
    [[ -n $MTIME ]] || die "no SOURCE_DATE_EPOCH and no git history to take a time stamp from"
fi
[[ $MTIME =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH '$MTIME' is not a number of seconds"

PKG=$(freebsd_pkg_tool)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
STAGE=$work/stage META=$work/meta PLIST=$work/plist
mkdir -p "$STAGE$PREFIX" "$META"

# --- Staging, as the port's do-install ---------------------------------------
# Path under PREFIX, source in this tree, mode.
DOCSDIR=share/doc/$NAME
STAGED=(
    "libexec/netdata/plugins.d/tcp_resets.plugin|$FREEBSD_BIN|0555"
    "lib/netdata/conf.d/health.d/tcp_resets_plugin.conf|health.d/tcp_resets_plugin.conf|0444"
    "$DOCSDIR/README.md|README.md|0444"
    "$DOCSDIR/tcp_resets_troubleshooting.md|health.d/tcp_resets_troubleshooting.md|0444"
)
[[ -f $FREEBSD_BIN ]] || die "$FREEBSD_BIN not found: run packaging/freebsd/cross-build.sh first"
for entry in "${STAGED[@]}"; do
    IFS='|' read -r path src mode <<<"$entry"
    [[ -f $src ]] || die "$src not found"
    mkdir -p "$(dirname "$STAGE$PREFIX/$path")"
    install -m "$mode" "$src" "$STAGE$PREFIX/$path"
done

# --- The plist: pkg-plist and PORTDOCS ---------------------------------------
# A file line is a path, or @(owner,group,mode) and a path (the plugin:
# 0750 root:netdata, whatever mode do-install staged).
plist_path() { sed 's/^@([^)]*)[[:space:]]*//'; }
{
    echo "@owner root"
    echo "@group wheel"
    {
        grep -v -e '^[[:space:]]*$' -e '^@[^(]' "$FREEBSD_PORT/pkg-plist"
        for doc in $PORTDOCS; do echo "$DOCSDIR/$doc"; done
    } | while IFS= read -r line; do
        printf '%s\t%s\n' "$(plist_path <<<"$line")" "$line"
    done | sort -t $'\t' -k1,1 | cut -f2-
} >"$PLIST"
# Like the ports framework's check-plist: the plist names exactly the
# staged files.
staged=$(cd "$STAGE$PREFIX" && find . -type f | sed 's|^\./||' | sort)
listed=$(grep -v '^@[^(]' "$PLIST" | plist_path)
[[ $staged == "$listed" ]] \
    || die "the plist (${listed//$'\n'/ }) does not name exactly the staged files (${staged//$'\n'/ })"

# --- The metadata -----------------------------------------------------------
json_str() {
    local s=$1
    [[ $s != *[[:cntrl:]]* ]] || die "a control character in the metadata: $s"
    s=${s//\\/\\\\}
    printf '"%s"' "${s//\"/\\\"}"
}
json_list() {
    local out="" w
    for w in "$@"; do out+="${out:+, }$(json_str "$w")"; done
    printf '[%s]' "$out"
}
# shellcheck disable=SC2086 # CATEGORIES and LICENSE are word lists
{
    printf '{\n'
    printf '  "name": %s,\n' "$(json_str "$NAME")"
    printf '  "version": %s,\n' "$(json_str "$VERSION")"
    printf '  "origin": %s,\n' "$(json_str "$ORIGIN")"
    printf '  "comment": %s,\n' "$(json_str "$COMMENT")"
    printf '  "maintainer": %s,\n' "$(json_str "$MAINTAINER")"
    [[ -z $WWW ]] || printf '  "www": %s,\n' "$(json_str "$WWW")"
    printf '  "prefix": %s,\n' "$(json_str "$PREFIX")"
    printf '  "categories": %s,\n' "$(json_list $CATEGORIES)"
    printf '  "licenselogic": "single",\n'
    printf '  "licenses": %s,\n' "$(json_list $LICENSE)"
    printf '  "deps": { %s: { "origin": %s, "version": %s } },\n' \
        "$(json_str "$DEP_NAME")" "$(json_str "$DEP_ORIGIN")" "$(json_str "$DEP_VERSION")"
    printf '  "options": { "DOCS": "on" }\n'
    printf '}\n'
} >"$META/+MANIFEST"
cp "$FREEBSD_PORT/pkg-descr" "$META/+DESC"
cp "$FREEBSD_PORT/pkg-message" "$META/+DISPLAY"

# --- pkg create ---------------------------------------------------------------
mkdir -p "$OUTDIR"
OUT=$OUTDIR/$NAME-$VERSION.pkg
rm -f "$OUT"
if ! log=$(pkg8 create --format tzst -t "$MTIME" -r "$STAGE" -m "$META" -p "$PLIST" \
    -o "$OUTDIR" 2>&1); then
    printf '%s\n' "$log" >&2
    die "pkg create failed (its output is above)"
fi
# pkg create says nothing when all is well; anything it says is a finding
# (a duplicate file listing, a missing file, ...).
[[ -z $log ]] || { printf '%s\n' "$log" >&2; die "pkg create complained (above)"; }
[[ -f $OUT ]] || die "pkg create did not write $OUT"
note "$OUT ($(wc -c <"$OUT") bytes)"
echo "$OUT"
