#!/usr/bin/env bash
# Checks the FreeBSD package with FreeBSD's own pkg(8) (on Linux, pkg 2.8.4
# built by ../shared/freebsd-pkg/install.sh):
#   1. `pkg info -F` shows the expected name, version, origin, comment, ABI,
#      maintainer and www (the framework's default and pkg's UNKNOWN when
#      the port sets none), dependency (the port's RUN_DEPENDS) and files;
#      `pkg query -F` the owner, group and mode of each file: the plugin
#      root:netdata 0750.
#   2. Scratch roots (-r) stand in for a FreeBSD system: its base libraries
#      (empty files with their names, which is all pkg looks at) and a
#      stand-in netdata package (name, origin and the minimum version of the
#      dependency). In one, the package is added (the plugin installed 0750
#      root:netdata: pkg looks the group up on this host, which needs it),
#      `info` lists it, `check -s` and `check -m` pass; a changed mode makes
#      `check -m` fail and changed bytes make `check -s` fail, and restored
#      both pass again; `delete` leaves the root as it was before the add.
#   3. The dependency: `add` refuses the package alone; from a local
#      repository (`pkg repo`) holding the stand-in netdata, `add` installs
#      netdata too (without -M), and so does `pkg install` through the
#      repository's catalogue.
#   4. The installed plugin is a FreeBSD x86-64 executable that needs only
#      base libraries (packaging/lib.sh): pkg packs and installs any file,
#      a Linux binary too, without a word.
#
#   packaging/freebsd/test-pkg.sh [path.pkg]
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=packaging/lib.sh
. packaging/lib.sh

NAME=netdata-plugin-tcp-resets
ORIGIN=net-mgmt/$NAME
VERSION=$(crate_version)
PLUGIN=/usr/local/libexec/netdata/plugins.d/tcp_resets.plugin
HEALTH=/usr/local/lib/netdata/conf.d/health.d/tcp_resets_plugin.conf
# Every file: path, owner, group, mode (as pkg query's %Fm prints it).
FILES="$HEALTH root wheel 444
$PLUGIN root netdata 750
/usr/local/share/doc/$NAME/README.md root wheel 444
/usr/local/share/doc/$NAME/tcp_resets_troubleshooting.md root wheel 444"

pkgfile=${1:-target/freebsd/pkg/$NAME-$VERSION.pkg}
[[ -f $pkgfile ]] || die "$pkgfile not found: run packaging/freebsd/build-pkg.sh first"
pkgfile=$(cd "$(dirname "$pkgfile")" && pwd)/$(basename "$pkgfile") # -r wants it absolute
PKG=$(freebsd_pkg_tool)
note "pkg $("$PKG" -v) ($PKG) on $pkgfile"

# What the port declares; without MAINTAINER or WWW, what the framework and
# pkg record instead (build-pkg.sh).
COMMENT=$(port_var COMMENT)
MAINTAINER=$(port_var MAINTAINER)
MAINTAINER=${MAINTAINER:-ports@FreeBSD.org}
WWW=$(port_var WWW)
WWW=${WWW:-UNKNOWN}
port_run_depends
# pkg gives an installed file the group by name, looked up on this host.
getent group netdata >/dev/null \
    || die "no group netdata on this host, which the package's plugin belongs to (apt-get install netdata)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log=$work/log

# Runs pkg; on failure shows its output and stops with LABEL.
run() {
    local label=$1
    shift
    pkg8 "$@" >"$log" 2>&1 || { cat "$log" >&2; die "$label: pkg $* failed (its output is above)"; }
}
# Runs pkg, which must fail and say PATTERN (an extended regexp).
must_fail() {
    local label=$1 pattern=$2
    shift 2
    if pkg8 "$@" >"$log" 2>&1; then
        cat "$log" >&2
        die "$label: pkg $* passed, and should have failed"
    fi
    grep -Eq "$pattern" "$log" || { cat "$log" >&2; die "$label: pkg $* failed without saying /$pattern/"; }
}
expect() { # label, got, want
    [[ $2 == "$3" ]] || die "$1 is '$2', not '$3'"
}

# --- 1. The package as pkg reads it ----------------------------------------
run "info -F" info -F "$pkgfile"
info=$(cat "$log")
field() { sed -n "s/^$1 *: //p" <<<"$info"; }
expect "Name" "$(field Name)" "$NAME"
expect "Version" "$(field Version)" "$VERSION"
expect "Origin" "$(field Origin)" "$ORIGIN"
expect "Comment" "$(field Comment)" "$COMMENT"
expect "Architecture" "$(field Architecture)" "$FREEBSD_ABI"
expect "Maintainer" "$(field Maintainer)" "$MAINTAINER"
expect "WWW" "$(field WWW)" "$WWW"
run "info -d -F" info -d -F "$pkgfile"
expect "the dependency" "$(sed -n 's/^[[:space:]]\{1,\}//p' "$log")" "$DEP_NAME-$DEP_VERSION"
run "query -F %do" query -F "$pkgfile" '%dn %do'
expect "the dependency's origin" "$(cat "$log")" "$DEP_NAME $DEP_ORIGIN"
run "info -l -F" info -l -F "$pkgfile"
expect "the files" "$(sed -n 's/^[[:space:]]\{1,\}//p' "$log" | sort)" "$(cut -d' ' -f1 <<<"$FILES" | sort)"
run "query -F %F" query -F "$pkgfile" '%Fp %Fu %Fg %Fm'
expect "the files' owners and modes" "$(sort "$log")" "$(sort <<<"$FILES")"
note "info -F: $NAME-$VERSION, $ORIGIN, $FREEBSD_ABI, maintainer $MAINTAINER, www $WWW, depends on $DEP_NAME-$DEP_VERSION ($DEP_ORIGIN), $(wc -l <<<"$FILES") files: the plugin root:netdata 0750, the rest root:wheel 0444"

# --- Stand-ins for a FreeBSD system and for netdata ---------------------------
new_root() {
    local r=$work/$1 lib
    mkdir -p "$r/lib" "$r/usr/lib" "$r/usr/local"
    for lib in "${FREEBSD_BASE_LIBS[@]}"; do : >"$r/lib/$lib"; done
    printf '%s\n' "$r"
}
repo=$work/repo
mkdir -p "$repo" "$work/standin/usr/local/share/doc/$DEP_NAME" "$work/alone"
echo "A stand-in for the $DEP_NAME package in packaging/freebsd/test-pkg.sh." \
    >"$work/standin/usr/local/share/doc/$DEP_NAME/STAND-IN"
cat >"$work/standin.manifest" <<EOF
{
  "name": "$DEP_NAME", "version": "$DEP_VERSION", "origin": "$DEP_ORIGIN",
  "comment": "Stand-in for $DEP_NAME", "desc": "A stand-in for tests.",
  "maintainer": "nobody@localhost", "www": "https://localhost/", "prefix": "/usr/local",
  "files": { "/usr/local/share/doc/$DEP_NAME/STAND-IN": "" }
}
EOF
run "create the stand-in $DEP_NAME" create -r "$work/standin" -M "$work/standin.manifest" -o "$repo"
cp "$pkgfile" "$repo/"
run "pkg repo" repo "$repo"
cp "$pkgfile" "$work/alone/"
snapshot() { (cd "$1" && find . -path ./var/db/pkg -prune -o -print | sort); }

# --- 2. Install, check, tamper, delete -----------------------------------------
root=$(new_root lifecycle)
run "add $DEP_NAME" -r "$root" add "$repo/$DEP_NAME-$DEP_VERSION.pkg"
before=$(snapshot "$root")
run "add" -r "$root" add "$pkgfile"
run "info" -r "$root" info
grep -q "^$NAME-$VERSION " "$log" || { cat "$log" >&2; die "pkg info does not list $NAME-$VERSION"; }
while read -r f _; do [[ -f $root$f ]] || die "$f was not installed"; done <<<"$FILES"
expect "the installed plugin" "$(stat -c '%a %U %G' "$root$PLUGIN")" "750 root netdata"
run "check -s" -r "$root" check -s -a
run "check -m" -r "$root" check -m -a
check_freebsd_elf "$root$PLUGIN"

chmod 0700 "$root$PLUGIN"
must_fail "check -m after chmod 0700" "tcp_resets\.plugin.*perm" -r "$root" check -m -a
run "check -s after chmod 0700 (the bytes are intact)" -r "$root" check -s -a
chmod 0750 "$root$PLUGIN"
run "check -m with the mode restored" -r "$root" check -m -a

cp -p "$root$HEALTH" "$work/health.orig"
chmod u+w "$root$HEALTH"
printf 'X' | dd of="$root$HEALTH" bs=1 count=1 conv=notrunc status=none # same size
chmod 0444 "$root$HEALTH"
touch -r "$work/health.orig" "$root$HEALTH" # same time stamp
cmp -s "$root$HEALTH" "$work/health.orig" && die "the test did not change $HEALTH"
must_fail "check -s after changing a byte" "checksum mismatch for $HEALTH" -r "$root" check -s -a
run "check -m after changing a byte (mode, owner and time are intact)" -r "$root" check -m -a
cp -p "$work/health.orig" "$root$HEALTH"
run "check -s with the bytes restored" -r "$root" check -s -a
note "installed into a scratch root: info lists it, check -s and -m pass, and fail after a chmod 0700 / a changed byte"

run "delete" -r "$root" delete -y "$NAME"
run "info after delete" -r "$root" info
grep -q "^$NAME-" "$log" && die "pkg info still lists $NAME after delete"
after=$(snapshot "$root")
[[ $after == "$before" ]] \
    || die "delete left the root changed: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | head -n 5 | tr '\n' ' ')"
note "delete: the root is as it was before the add"

# --- 3. The dependency ------------------------------------------------------
root=$(new_root dependency)
must_fail "add without $DEP_NAME" "[Mm]issing dependency.*$DEP_NAME" -r "$root" add "$work/alone/$(basename "$pkgfile")"
run "add from the repository" -r "$root" add "$repo/$(basename "$pkgfile")"
run "query" -r "$root" query '%n-%v %a'
expect "the installed packages (automatic 1/0)" "$(sort "$log")" \
    "$(printf '%s\n' "$DEP_NAME-$DEP_VERSION 1" "$NAME-$VERSION 0" | sort)"

root=$(new_root catalogue)
mkdir -p "$work/repos"
printf 'standin: { url: "file://%s", signature_type: "none", enabled: yes }\n' "$repo" \
    >"$work/repos/standin.conf"
run "update" -R "$work/repos" -r "$root" -o PKG_CACHEDIR="$root/var/cache/pkg" update
run "install" -R "$work/repos" -r "$root" -o PKG_CACHEDIR="$root/var/cache/pkg" install -y "$NAME"
run "query" -r "$root" query '%n-%v %a %R'
expect "the installed packages (automatic 1/0, repository)" "$(sort "$log")" \
    "$(printf '%s\n' "$DEP_NAME-$DEP_VERSION 1 standin" "$NAME-$VERSION 0 standin" | sort)"
note "dependency: refused alone; add and install from a pkg repository bring $DEP_NAME-$DEP_VERSION"
note "PASS: $pkgfile"
