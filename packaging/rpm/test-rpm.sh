#!/usr/bin/env bash
# Builds the .rpm with cargo generate-rpm and checks it with rpm itself, on
# Debian:
#   1. rpmlint is clean with packaging/rpm/rpmlint.toml, and each filter
#      there still matches a finding (no stale filter hides a new one);
#   2. rpm -qpi / -qplv / --requires / --scripts / --filecaps show what
#      Cargo.toml and packaging/rpm/ say: the layout of netdata's own RPMs,
#      the plugin 0750 root:netdata without capabilities, Requires: netdata
#      >= the FreeBSD port's minimum, the two scriptlets;
#   3. installed into a scratch root (rpm --root, --nodeps: the root holds no
#      netdata, only /etc/passwd and /etc/group with a netdata user and group
#      and the /bin/sh, /dev/null, rmdir and timeout the scriptlets use),
#      rpm -V passes,
#      fails after one byte of the plugin changes and after its mode changes,
#      and passes again once restored;
#   4. the plugin installed there runs (--iterations 1, the host's /proc) for
#      root and user netdata and is refused to user nobody;
#   5. Debian's netdata 1.37.1, as user netdata, runs it from that root and
#      loads the alarms from there (packaging/agent.sh, as the .deb test),
#      and the package's %post and %postun make that running netdata reload
#      its alarms;
#   6. rpm -e leaves the root as it was before the install.
#
# Needs root. Without rpm, rpmlint or cargo-generate-rpm it says SKIPPED and
# exits 0, unless REQUIRE_TOOLS=1; without netdata likewise unless
# REQUIRE_NETDATA=1. Run by .ci/run. Usage:
#   packaging/rpm/test-rpm.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=packaging/lib.sh
. packaging/lib.sh

NAME=netdata-plugin-tcp-resets
PLUGIN=/usr/libexec/netdata/plugins.d/tcp_resets.plugin
HEALTH=/usr/lib/netdata/conf.d/health.d/tcp_resets_plugin.conf
DOCDIR=/usr/share/doc/$NAME
fail() { echo "test-rpm: FAIL: $*" >&2; exit 1; }
note() { echo "test-rpm: $*"; }

# Skips (exit 0) or fails, as the variable $1 says, because $2 is missing.
missing() {
    if [[ ${!1:-0} == 1 ]]; then
        fail "$2 is missing and $1=1"
    fi
    echo "test-rpm: SKIPPED: $2 is missing (set $1=1 to make this a failure)" >&2
    exit 0
}
command -v rpm >/dev/null || missing REQUIRE_TOOLS "rpm (apt-get install rpm)"
command -v rpmlint >/dev/null || missing REQUIRE_TOOLS "rpmlint (apt-get install rpmlint)"
command -v cargo-generate-rpm >/dev/null \
    || missing REQUIRE_TOOLS "cargo-generate-rpm (cargo install --locked cargo-generate-rpm)"
command -v netdata >/dev/null || missing REQUIRE_NETDATA "netdata (apt-get install netdata)"
[[ $(id -u) == 0 ]] || fail "needs root (rpm --root, runuser, netdata as its user)"
getent group netdata >/dev/null || fail "no group netdata on this host (is netdata installed?)"
for t in python3 curl runuser ldd; do
    command -v "$t" >/dev/null || fail "$t not found"
done

# Not under /tmp: the agent runs with a /tmp of its own (packaging/agent.sh).
work=$(mktemp -d /var/tmp/test-rpm.XXXXXX)
# shellcheck source=packaging/agent.sh
. packaging/agent.sh
trap 'agent_stop; rm -rf "$work"' EXIT

# --- Build ------------------------------------------------------------------
note "building the package"
VERSION=$(crate_version)
if [[ -n ${SOURCE_DATE_EPOCH:-} ]]; then
    MTIME=$SOURCE_DATE_EPOCH
else
    MTIME=$(git log -1 --format=%ct 2>/dev/null || true)
    [[ -n $MTIME ]] || fail "no SOURCE_DATE_EPOCH and no git history to take a time stamp from"
fi
build_log=$(cargo build --release --locked 2>&1) || { printf '%s\n' "$build_log" >&2; fail "cargo build failed (above)"; }
rpmfile=target/generate-rpm/$NAME-$VERSION-1.x86_64.rpm
rm -f "$rpmfile"
build_log=$(cargo generate-rpm --source-date "$MTIME" 2>&1) \
    || { printf '%s\n' "$build_log" >&2; fail "cargo generate-rpm failed (above)"; }
[[ -f $rpmfile ]] || fail "cargo generate-rpm did not write $rpmfile"
note "built $rpmfile"

# --- 1. rpmlint -----------------------------------------------------------------
note "rpmlint"
lint=$(rpmlint -c packaging/rpm/rpmlint.toml "$rpmfile" 2>&1) || { printf '%s\n' "$lint" >&2; fail "rpmlint failed (above)"; }
printf '%s\n' "$lint"
grep -q ' 0 errors, 0 warnings' <<<"$lint" || fail "rpmlint found errors or warnings (above)"
raw=$(rpmlint "$rpmfile" 2>&1 || true)
while IFS= read -r filter; do
    grep -Eq -- "$filter" <<<"$raw" \
        || fail "the rpmlint filter /$filter/ matches nothing: drop it from packaging/rpm/rpmlint.toml"
done < <(python3 -c 'import sys, tomllib; [print(f) for f in tomllib.load(open(sys.argv[1], "rb"))["Filters"]]' packaging/rpm/rpmlint.toml)
note "rpmlint: clean; every filter in packaging/rpm/rpmlint.toml still matches a finding"

# --- 2. What rpm reads from the package ---------------------------------------
q() { rpm -qp "$@" "$rpmfile" 2>/dev/null; }
expect() { # label, got, want
    [[ $2 == "$3" ]] || fail "$1 is '$2', not '$3'"
}
info=$(q -i)
field() { sed -n "s/^$1 *: //p" <<<"$info"; }
expect "Name" "$(field Name)" "$NAME"
expect "Version" "$(field Version)" "$VERSION"
expect "Release" "$(field Release)" "1"
expect "Architecture" "$(field Architecture)" "x86_64"
expect "License" "$(field License)" "GPL-3.0-or-later"
expect "Summary" "$(field Summary)" "Netdata plugin for TCP resets, their causes and SYN cookies"
expect "URL" "$(q --qf '%{URL}')" "(none)"
# Every file: type and mode, owner, group, path.
expect "the files" "$(q --qf '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILENAMES}\n]' | sort -k4)" \
    "$(sort -k4 <<EOF
-rw-r--r-- root root $HEALTH
-rwxr-x--- root netdata $PLUGIN
-rw-r--r-- root root $DOCDIR/README.md
-rw-r--r-- root root $DOCDIR/tcp_resets_troubleshooting.md
EOF
)"
expect "the documentation files" "$(q -d | sort)" "$(printf '%s\n' "$DOCDIR/README.md" "$DOCDIR/tcp_resets_troubleshooting.md")"
expect "the configuration files" "$(q -c)" ""
expect "the plugin's capabilities" "$(q --qf '[%{FILECAPS}\n]' | sort -u | tr -d '\n')" ""
q -l | grep -x "$PLUGIN" >/dev/null || fail "rpm -qpl lacks $PLUGIN"
port_run_depends
expect "the netdata dependency" "$(q --requires | grep '^netdata')" "netdata >= $DEP_VERSION"
scripts=$(q --scripts)
grep -q '^postinstall scriptlet (using /bin/sh):$' <<<"$scripts" || fail "no %post for /bin/sh: $scripts"
grep -q '^postuninstall scriptlet (using /bin/sh):$' <<<"$scripts" || fail "no %postun for /bin/sh: $scripts"
POSTIN=$(q --qf '%{POSTIN}')
POSTUN=$(q --qf '%{POSTUN}')
expect "%post" "$POSTIN" "$(cat packaging/rpm/post.sh)"
expect "%postun" "$POSTUN" "$(cat packaging/rpm/postun.sh)"
expect "the other scriptlets" "$(q --qf '%{PREIN}%{PREUN}')" "(none)(none)"
note "rpm -qp: $NAME-$VERSION-1, GPL-3.0-or-later, no URL; 4 files, the plugin -rwxr-x--- root:netdata without capabilities; Requires netdata >= $DEP_VERSION; %post and %postun as packaging/rpm/"

# --- 3. A scratch root --------------------------------------------------------
root=$work/root
# Traversable by user netdata, who runs the plugin from here below.
chmod 0755 "$work"
# The directories netdata's package and the base system own, which the
# package's files go into.
mkdir -p "$root"/{dev,etc,var/tmp,var/lib/rpm,usr/share/doc,usr/libexec/netdata/plugins.d} \
    "$root"/usr/lib/netdata/conf.d/health.d
mknod -m 0666 "$root/dev/null" c 1 3
gid=$(getent group netdata | cut -d: -f3)
uid=$(getent passwd netdata | cut -d: -f3)
printf 'root:x:0:0:root:/root:/bin/sh\nnetdata:x:%s:%s::/var/lib/netdata:/bin/sh\n' "$uid" "$gid" >"$root/etc/passwd"
printf 'root:x:0:\nnetdata:x:%s:\n' "$gid" >"$root/etc/group"
# The scriptlets run chrooted into the root: give them a shell, /dev/null
# and the two commands they call (netdatacli is absent, as where netdata is
# not installed).
provide() { # host binary, path in the root
    local lib
    install -D -m 0755 "$1" "$root$2"
    for lib in $(ldd "$1" | grep -o '/[^ ]*'); do
        [[ -e $root$lib ]] || install -D -m 0755 "$lib" "$root$lib"
    done
}
provide "$(readlink -f /bin/sh)" /bin/sh
provide "$(command -v rmdir)" /usr/bin/rmdir
provide "$(command -v timeout)" /usr/bin/timeout
r() { rpm --root "$root" --dbpath /var/lib/rpm "$@"; }
r --initdb
snapshot() { (cd "$root" && find . -path ./var/lib/rpm -prune -o -printf '%M %u %g %p\n' | sort -k4); }
before=$(snapshot)

note "rpm -i into a scratch root"
out=$(r -i --nodeps --force-debian "$(realpath "$rpmfile")" 2>&1) || { printf '%s\n' "$out" >&2; fail "rpm -i failed (above)"; }
[[ -z $out ]] || { printf '%s\n' "$out" >&2; fail "rpm -i said something (above): a scriptlet failed, or a user or group is unknown"; }
expect "rpm -q" "$(r -q "$NAME")" "$NAME-$VERSION-1.x86_64"
expect "the installed plugin" "$(stat -c '%a %U %G' "$root$PLUGIN")" "750 root netdata"
expect "the installed alarms" "$(stat -c '%a %U %G' "$root$HEALTH")" "644 root root"
cmp -s "$root$HEALTH" health.d/tcp_resets_plugin.conf || fail "$HEALTH differs from health.d/tcp_resets_plugin.conf"
cmp -s "$root$PLUGIN" target/release/tcp_resets || fail "$PLUGIN differs from target/release/tcp_resets"

verify() { r -V --nodeps "$NAME" 2>&1; }
out=$(verify) || fail "rpm -V failed on a fresh install: $out"
[[ -z $out ]] || fail "rpm -V reports on a fresh install: $out"

cp -p "$root$PLUGIN" "$work/plugin.orig"
offset=$(($(stat -c %s "$root$PLUGIN") / 2))
byte=$(od -An -tx1 -j "$offset" -N1 "$root$PLUGIN" | tr -d ' ')
printf '%b' "\\x$(printf '%02x' $((0x$byte ^ 0xff)))" | dd of="$root$PLUGIN" bs=1 seek="$offset" conv=notrunc status=none
touch -r "$work/plugin.orig" "$root$PLUGIN" # same size, same time stamp
cmp -s "$root$PLUGIN" "$work/plugin.orig" && fail "the test did not change a byte of the plugin"
if out=$(verify); then fail "rpm -V passed after a byte of the plugin changed"; fi
grep -Eq "^\\.\\.5\\.{6}  +$PLUGIN\$" <<<"$out" || fail "rpm -V did not report (only) the digest of the plugin: $out"
cp -p "$work/plugin.orig" "$root$PLUGIN"
out=$(verify) || fail "rpm -V fails with the plugin's bytes restored: $out"

chmod 0755 "$root$PLUGIN"
if out=$(verify); then fail "rpm -V passed after chmod 0755 of the plugin"; fi
grep -Eq "^\\.M\\.{7}  +$PLUGIN\$" <<<"$out" || fail "rpm -V did not report (only) the plugin's mode: $out"
chmod 0750 "$root$PLUGIN"
out=$(verify) || fail "rpm -V fails with the plugin's mode restored: $out"
note "rpm -V passes, fails after a changed byte (5) and after chmod 0755 (M) of the plugin, passes once restored"

# --- 4. The installed plugin runs, for netdata only -------------------------------
"$root$PLUGIN" --iterations 1 1 | grep -q '^CHART tcp_resets.resets ' || fail "the installed plugin does not run"
out=$(runuser -u netdata -- "$root$PLUGIN" --iterations 1 1 2>&1) || fail "user netdata cannot run the plugin: $out"
grep -q '^CHART tcp_resets.resets ' <<<"$out" || fail "the plugin run by user netdata sent no chart"
if out=$(runuser -u nobody -- "$root$PLUGIN" --iterations 1 1 2>&1); then
    fail "user nobody ran the plugin (0750 root:netdata must refuse it)"
fi
grep -q 'Permission denied' <<<"$out" || fail "user nobody was refused without 'Permission denied': $out"
note "the installed plugin runs for root and user netdata, user nobody is refused"

# --- 5. Debian's netdata 1.37.1 runs it and loads the alarms from the root ---------
mkdir -p "$work/user-health"
agent_start rpm "    plugins = \"$root/usr/libexec/netdata/plugins.d\"
    stock health config = $root/usr/lib/netdata/conf.d/health.d
    health config = $work/user-health"
agent_expect_reload rpm "%post" sh -c "$POSTIN"
# $1 = 1: %postun after an upgrade (0, an erase, would rmdir the host's doc
# directory).
agent_expect_reload rpm "%postun 1" sh -c "$POSTUN" postun 1
agent_stop

# --- 6. Erase ------------------------------------------------------------------
out=$(r -e --force-debian "$NAME" 2>&1) || { printf '%s\n' "$out" >&2; fail "rpm -e failed (above)"; }
[[ -z $out ]] || { printf '%s\n' "$out" >&2; fail "rpm -e said something (above)"; }
if r -q "$NAME" >/dev/null 2>&1; then fail "rpm still knows $NAME after rpm -e"; fi
after=$(snapshot)
[[ $after == "$before" ]] \
    || fail "rpm -e left the root changed: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | head -n 5 | tr '\n' ' ')"
note "rpm -e: the root is as it was before the install"
note "PASS: $rpmfile"
