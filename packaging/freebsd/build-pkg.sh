#!/usr/bin/env bash
# Builds the FreeBSD package target/freebsd/pkg/netdata-plugin-tcp-resets-<version>.pkg
# from the cross-built binary (packaging/freebsd/cross-build.sh).
#
# On Linux it writes the package format of pkg(8) 1.17+ itself: a pax tar,
# zstd-compressed, whose first members are +COMPACT_MANIFEST and +MANIFEST
# (compact JSON as libpkg emits them), then the files under their absolute
# paths, owned root:wheel (uid 0, gid 0). The output is deterministic:
# every time stamp is SOURCE_DATE_EPOCH, or else the last commit's time.
# On FreeBSD it stages the same files and runs `pkg create`.
#
# Environment overrides (for inputs that do not exist yet, never commit
# placeholders): FREEBSD_BIN, HEALTH_CONF, TROUBLESHOOTING_MD, README_MD;
# NETDATA_DEP_VERSION (the netdata version recorded in deps, default
# "0": pkg resolves the dependency by name and origin).
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { printf 'build-pkg.sh: error: %s\n' "$*" >&2; exit 1; }

NAME=netdata-plugin-tcp-resets
ORIGIN=net-mgmt/$NAME
PORT=packaging/freebsd/$ORIGIN
PREFIX=/usr/local
ABI=FreeBSD:14:amd64
ARCH=freebsd:14:x86:64
VERSION=$(sed -n '/^\[package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
[[ -n $VERSION ]] || die "cannot read the version from Cargo.toml"

FREEBSD_BIN=${FREEBSD_BIN:-target/freebsd/x86_64-unknown-freebsd/release/tcp_resets}
HEALTH_CONF=${HEALTH_CONF:-health.d/tcp_resets_plugin.conf}
TROUBLESHOOTING_MD=${TROUBLESHOOTING_MD:-health.d/tcp_resets_troubleshooting.md}
README_MD=${README_MD:-README.md}
NETDATA_DEP_VERSION=${NETDATA_DEP_VERSION:-0}
[[ -f $FREEBSD_BIN ]] || die "$FREEBSD_BIN not found: run packaging/freebsd/cross-build.sh first"
for f in "$HEALTH_CONF" "$TROUBLESHOOTING_MD" "$README_MD" "$PORT/pkg-descr" "$PORT/pkg-message"; do
    [[ -f $f ]] || die "$f not found"
done

if [[ -n ${SOURCE_DATE_EPOCH:-} ]]; then
    MTIME=$SOURCE_DATE_EPOCH
else
    MTIME=$(git log -1 --format=%ct 2>/dev/null || true)
    [[ -n $MTIME ]] || die "no SOURCE_DATE_EPOCH and no git history to take a time stamp from"
fi
[[ $MTIME =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH '$MTIME' is not a number of seconds"

OUTDIR=target/freebsd/pkg
OUT=$OUTDIR/$NAME-$VERSION.pkg
STAGE=$OUTDIR/stage
rm -rf "$STAGE"
mkdir -p "$STAGE"

# Files: path in the package, source, mode.
FILES=(
    "$PREFIX/libexec/netdata/plugins.d/tcp_resets.plugin|$FREEBSD_BIN|0755"
    "$PREFIX/lib/netdata/conf.d/health.d/tcp_resets_plugin.conf|$HEALTH_CONF|0644"
    "$PREFIX/share/doc/$NAME/README.md|$README_MD|0644"
    "$PREFIX/share/doc/$NAME/tcp_resets_troubleshooting.md|$TROUBLESHOOTING_MD|0644"
)
for entry in "${FILES[@]}"; do
    IFS='|' read -r path src mode <<<"$entry"
    install -D -m "$mode" "$src" "$STAGE$path"
done

# Runs after installation; never fails the installation.
POST_INSTALL='if pgrep -x netdata >/dev/null 2>&1; then
    for c in "${PKG_PREFIX:-/usr/local}/sbin/netdatacli" "${PKG_PREFIX:-/usr/local}/bin/netdatacli"; do
        if [ -x "$c" ]; then "$c" reload-health >/dev/null 2>&1 || true; break; fi
    done
fi
exit 0'

# The message is the port's pkg-message text.
MESSAGE=$(sed -n '/<<EOM$/,/^EOM$/p' "$PORT/pkg-message" | sed '1d;$d')
COMMENT=$(sed -n 's/^COMMENT=[[:space:]]*//p' "$PORT/Makefile")
MAINTAINER=$(sed -n 's/^MAINTAINER=[[:space:]]*//p' "$PORT/Makefile")
WWW=$(sed -n 's/^WWW=[[:space:]]*//p' "$PORT/Makefile")
[[ -n $COMMENT && -n $MAINTAINER && -n $WWW && -n $MESSAGE ]] \
    || die "cannot read COMMENT, MAINTAINER, WWW or the message from $PORT"

# The manifests, as pkg's own JSON (one compact object).
export NAME ORIGIN VERSION PREFIX ABI ARCH COMMENT MAINTAINER WWW MESSAGE POST_INSTALL \
    NETDATA_DEP_VERSION STAGE DESC_FILE="$PORT/pkg-descr"
FILE_LIST=$(printf '%s\n' "${FILES[@]}" | cut -d'|' -f1,3)
export FILE_LIST
/usr/bin/python3 - <<'PY' || die "cannot write the manifests"
import hashlib, json, os

e = os.environ
files = {}
flatsize = 0
for line in e["FILE_LIST"].splitlines():
    path, _mode = line.split("|")
    with open(e["STAGE"] + path, "rb") as f:
        data = f.read()
    files[path] = "1$" + hashlib.sha256(data).hexdigest()
    flatsize += len(data)
with open(e["DESC_FILE"]) as f:
    desc = f.read().strip()

compact = {
    "name": e["NAME"],
    "origin": e["ORIGIN"],
    "version": e["VERSION"],
    "comment": e["COMMENT"],
    "maintainer": e["MAINTAINER"],
    "www": e["WWW"],
    "abi": e["ABI"],
    "arch": e["ARCH"],
    "prefix": e["PREFIX"],
    "flatsize": flatsize,
    "licenselogic": "single",
    "licenses": ["GPLv3+"],
    "desc": desc,
    "deps": {"netdata": {"origin": "net-mgmt/netdata", "version": e["NETDATA_DEP_VERSION"]}},
    "categories": ["net-mgmt"],
    "messages": [{"message": e["MESSAGE"], "type": "install"}],
}
full = dict(compact)
full["files"] = files
full["scripts"] = {"post-install": e["POST_INSTALL"]}
dump = lambda o: json.dumps(o, separators=(",", ":"), ensure_ascii=False)
with open(e["STAGE"] + "/+COMPACT_MANIFEST", "w") as f:
    f.write(dump(compact))
with open(e["STAGE"] + "/+MANIFEST", "w") as f:
    f.write(dump(full))
PY

mkdir -p "$OUTDIR"
if [[ $(uname -s) == FreeBSD ]]; then
    # pkg create takes the metadata from +MANIFEST and the files from the
    # stage; ownership comes from a plist with @owner/@group/@mode.
    plist=$OUTDIR/plist
    {
        echo "@owner root"
        echo "@group wheel"
        for entry in "${FILES[@]}"; do
            IFS='|' read -r path _ mode <<<"$entry"
            echo "@mode $mode"
            echo "$path"
        done
    } >"$plist"
    rm -f "$OUT"
    SOURCE_DATE_EPOCH=$MTIME pkg create --format tzst -r "$STAGE" -m "$STAGE" -p "$plist" -o "$OUTDIR" \
        || die "pkg create failed"
else
    command -v zstd >/dev/null || die "zstd not found (apt-get install zstd)"
    export MTIME
    tmp=$OUT.tar
    # Python's tarfile gives full control over names (absolute), owners and
    # times; check-pkg.sh reads the result back with bsdtar.
    /usr/bin/python3 - "$tmp" <<'PY' || die "cannot write the tar archive"
import io, os, sys, tarfile

e = os.environ
mtime = int(e["MTIME"])
members = [("+COMPACT_MANIFEST", "0644"), ("+MANIFEST", "0644")]
members += [tuple(l.split("|")) for l in e["FILE_LIST"].splitlines()]
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as tar:
    for name, mode in members:
        src = e["STAGE"] + "/" + name if name.startswith("+") else e["STAGE"] + name
        with open(src, "rb") as f:
            data = f.read()
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = int(mode, 8)
        info.mtime = mtime
        info.uid = info.gid = 0
        info.uname, info.gname = "root", "wheel"
        info.type = tarfile.REGTYPE
        tar.addfile(info, io.BytesIO(data))
PY
    zstd -q -19 -f --no-progress "$tmp" -o "$OUT" || die "zstd failed"
    rm -f "$tmp"
fi
[[ -f $OUT ]] || die "$OUT was not produced"
printf 'build-pkg.sh: %s (%s bytes)\n' "$OUT" "$(stat -c %s "$OUT" 2>/dev/null || stat -f %z "$OUT")" >&2
echo "$OUT"
