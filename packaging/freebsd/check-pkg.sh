#!/usr/bin/env bash
# Checks the FreeBSD package made by build-pkg.sh, reading it back with
# bsdtar (libarchive) and zstd, independently of how it was written:
#   - zstd-compressed tar; first members +COMPACT_MANIFEST, then +MANIFEST;
#   - both manifests are valid JSON with the required fields, the compact
#     one without files or scripts; the version is Cargo.toml's;
#   - every file of the manifest is in the archive and the other way round,
#     with the manifest's sha256 ("1$<hex>"), owner root:wheel (0:0), and
#     the expected mode; flatsize is the sum of the files' sizes;
#   - the plugin is a FreeBSD x86-64 ELF (EI_OSABI 9 or a FreeBSD ABI note).
#
#   packaging/freebsd/check-pkg.sh [path.pkg]
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { printf 'check-pkg.sh: error: %s\n' "$*" >&2; exit 1; }

NAME=netdata-plugin-tcp-resets
VERSION=$(sed -n '/^\[package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
PKG=${1:-target/freebsd/pkg/$NAME-$VERSION.pkg}
[[ -f $PKG ]] || die "$PKG not found: run packaging/freebsd/build-pkg.sh first"
for t in bsdtar zstd readelf; do
    command -v "$t" >/dev/null || die "$t not found (apt-get install libarchive-tools zstd binutils)"
done

# zstd frame magic: 28 b5 2f fd.
magic=$(od -An -tx1 -N4 "$PKG" | tr -d ' \n')
[[ $magic == 28b52ffd ]] || die "$PKG is not zstd-compressed (magic $magic)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
zstd -q -d -c "$PKG" >"$work/pkg.tar" || die "$PKG does not decompress"
bsdtar -tvPf "$work/pkg.tar" >"$work/list" || die "$PKG is not a readable tar"
mkdir "$work/x"
bsdtar -xPf "$work/pkg.tar" -C "$work/x" --no-same-owner -s ',^/,root/,' \
    || die "cannot extract $PKG"

# Numeric owners and modes, as bsdtar reports them.
bsdtar -tvPf "$work/pkg.tar" --numeric-owner >"$work/list-numeric"

/usr/bin/python3 - "$work" "$VERSION" <<'PY' || die "$PKG failed the checks above"
import hashlib, json, os, sys

work, version = sys.argv[1], sys.argv[2]
errors = []
def check(ok, msg):
    if not ok:
        errors.append(msg)

def entries(path):
    out = []
    for line in open(path):
        f = line.split(None, 8)
        out.append({"mode": f[0], "owner": f[2], "group": f[3], "size": int(f[4]),
                    "name": f[8].rstrip("\n")})
    return out

names = entries(work + "/list")
numeric = entries(work + "/list-numeric")
order = [e["name"] for e in names]
check(order[:2] == ["+COMPACT_MANIFEST", "+MANIFEST"],
      f"the first members are {order[:2]}, not +COMPACT_MANIFEST, +MANIFEST")
check(len(set(order)) == len(order), "a member appears twice")

def load(name):
    try:
        with open(os.path.join(work, "x", name), encoding="utf-8") as f:
            return json.load(f)
    except Exception as e:  # noqa: BLE001 - any failure is a finding
        errors.append(f"{name} is not valid JSON: {e}")
        return {}

compact, full = load("+COMPACT_MANIFEST"), load("+MANIFEST")
required = {
    "name": "netdata-plugin-tcp-resets",
    "origin": "net-mgmt/netdata-plugin-tcp-resets",
    "version": version,
    "prefix": "/usr/local",
    "abi": "FreeBSD:14:amd64",
    "arch": "freebsd:14:x86:64",
    "licenselogic": "single",
    "licenses": ["GPLv3+"],
}
for m, label in ((compact, "+COMPACT_MANIFEST"), (full, "+MANIFEST")):
    for k, v in required.items():
        check(m.get(k) == v, f"{label}: {k} is {m.get(k)!r}, not {v!r}")
    for k in ("comment", "desc", "maintainer", "www"):
        check(isinstance(m.get(k), str) and m.get(k), f"{label}: {k} missing or empty")
    dep = m.get("deps", {}).get("netdata", {})
    check(dep.get("origin") == "net-mgmt/netdata" and isinstance(dep.get("version"), str),
          f"{label}: deps.netdata is {dep!r}")
    check(isinstance(m.get("flatsize"), int), f"{label}: flatsize is not an integer")
for k in ("files", "directories", "scripts"):
    check(k not in compact, f"+COMPACT_MANIFEST has '{k}', which pkg leaves out of it")
common = {k: v for k, v in full.items() if k not in ("files", "directories", "scripts")}
check(common == compact, "+COMPACT_MANIFEST differs from +MANIFEST without files and scripts")
post = full.get("scripts", {}).get("post-install", "")
check("reload-health" in post and post.rstrip().endswith("exit 0"),
      "the post-install script does not reload health or may fail")

files = full.get("files", {})
check(isinstance(files, dict) and files, "+MANIFEST has no files")
expected_modes = {
    "/usr/local/libexec/netdata/plugins.d/tcp_resets.plugin": "-rwxr-xr-x",
    "/usr/local/lib/netdata/conf.d/health.d/tcp_resets_plugin.conf": "-rw-r--r--",
    "/usr/local/share/doc/netdata-plugin-tcp-resets/tcp_resets_troubleshooting.md": "-rw-r--r--",
    "/usr/local/share/doc/netdata-plugin-tcp-resets/README.md": "-rw-r--r--",
}
check(set(files) == set(expected_modes),
      f"+MANIFEST files {sorted(files)} are not {sorted(expected_modes)}")
members = {e["name"]: e for e in names[2:]}
check(set(members) == set(files), f"archive members {sorted(members)} are not the manifest's files")
total = 0
for path, sum_ in files.items():
    e = members.get(path)
    if e is None:
        continue
    data = open(os.path.join(work, "x", "root" + path), "rb").read()
    total += len(data)
    check(sum_ == "1$" + hashlib.sha256(data).hexdigest(), f"{path}: sha256 differs from the manifest")
    check(e["mode"] == expected_modes.get(path), f"{path}: mode {e['mode']}")
for e in names:
    check((e["owner"], e["group"]) == ("root", "wheel"), f"{e['name']}: owner {e['owner']}:{e['group']}")
for e in numeric:
    check((e["owner"], e["group"]) == ("0", "0"), f"{e['name']}: uid:gid {e['owner']}:{e['group']}")
check(full.get("flatsize") == total, f"flatsize {full.get('flatsize')} is not the files' total {total}")

if errors:
    for e in errors:
        print("check-pkg.sh: " + e, file=sys.stderr)
    sys.exit(1)
PY

# The plugin: a FreeBSD x86-64 ELF.
bin=$work/x/root/usr/local/libexec/netdata/plugins.d/tcp_resets.plugin
hdr=$(od -An -tx1 -N20 "$bin" | tr -s ' \n' ' ')
read -r -a b <<<"$hdr"
[[ ${b[0]}${b[1]}${b[2]}${b[3]} == 7f454c46 ]] || die "the plugin is not an ELF file"
[[ ${b[4]} == 02 ]] || die "the plugin is not a 64-bit ELF"
[[ ${b[18]}${b[19]} == 3e00 ]] || die "the plugin is not x86-64 (e_machine ${b[18]}${b[19]})"
if [[ ${b[7]} != 09 ]]; then
    notes=$(readelf -n "$bin")
    awk '/^Displaying notes/ { tag = /\.note\.tag/ } tag && $1 == "FreeBSD" { found = 1 }
        END { exit !found }' <<<"$notes" \
        || die "the plugin has EI_OSABI ${b[7]} and no FreeBSD ABI note"
fi

printf 'check-pkg.sh: %s is a valid FreeBSD package (%s members)\n' "$PKG" "$(wc -l <"$work/list")"
