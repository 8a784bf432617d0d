#!/usr/bin/env bash
# Builds the .deb, lints it, installs it next to Debian's netdata, checks
# that the plugin is 0750 root:netdata (user netdata runs it, user nobody is
# refused) and that an administrator's dpkg-statoverride wins, proves that
# netdata (as its user, with its installed directories) runs the plugin and
# loads the alarms and that the maintainer scripts make a running netdata
# reload them, then removes and purges it and checks nothing of ours is
# left. The netdata runs are packaging/agent.sh's.
#
# Needs root and Debian's netdata package; run by .ci/run. Usage:
#   packaging/debian/test-deb.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=packaging/lib.sh
. packaging/lib.sh

PKG=netdata-plugin-tcp-resets
PLUGIN=/usr/libexec/netdata/plugins.d/tcp_resets.plugin
fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
note() { echo "test-deb: $*"; }

[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i)"
command -v netdata >/dev/null || fail "netdata is not installed"
command -v lintian >/dev/null || fail "lintian is not installed"
command -v cargo-deb >/dev/null || fail "cargo-deb is not installed (cargo install cargo-deb)"

note "building the package"
# cargo deb prints the package's path last; on failure its output (the
# build's errors) is shown before the one-line reason.
if ! build_log=$(cargo deb 2>&1); then
    printf '%s\n' "$build_log" >&2
    fail "cargo deb failed (its output is above)"
fi
deb=$(grep -E '\.deb$' <<<"$build_log" | tail -n 1 || true)
[ -f "$deb" ] || fail "cargo deb produced no package"
version=$(crate_version)
case $(dpkg-deb -f "$deb" Version) in
    "$version" | "$version"-*) ;;
    *) fail "$deb has version $(dpkg-deb -f "$deb" Version), not Cargo.toml's $version" ;;
esac
note "built $deb"

note "lintian"
# Archive-only tags are accepted; every other error or warning fails.
lint=$(lintian --fail-on none "$deb" 2>&1 | grep -v 'running with root privileges' || true)
echo "$lint"
bad=$(echo "$lint" | grep -E '^(E|W):' | grep -v 'initial-upload-closes-no-bugs' || true)
[ -z "$bad" ] || fail "lintian: $bad"

note "package layout"
# The data tarball holds the plugin 0755 root:root (the group netdata may
# not exist where the package is built); the postinst makes it 0750
# root:netdata, checked after the install below.
listing=$(dpkg-deb -c "$deb")
echo "$listing" | grep -q -- '-rwxr-xr-x root/root .* ./usr/libexec/netdata/plugins.d/tcp_resets.plugin$' \
    || echo "$listing" | grep -q -- '-rwxr-xr-x 0/0 .* ./usr/libexec/netdata/plugins.d/tcp_resets.plugin$' \
    || fail "binary not 0755 root:root in /usr/libexec/netdata/plugins.d"
echo "$listing" | grep -q -- './usr/lib/netdata/plugins.d/tcp_resets.plugin -> ../../../libexec/netdata/plugins.d/tcp_resets.plugin$' \
    || fail "relative symlink in /usr/lib/netdata/plugins.d missing"
echo "$listing" | grep -q -- './usr/lib/netdata/conf.d/health.d/tcp_resets_plugin.conf$' || fail "health file missing"
echo "$listing" | grep -q -- "./usr/share/doc/$PKG/tcp_resets_troubleshooting.md$" || fail "troubleshooting text missing"
dpkg-deb -f "$deb" Depends | grep -q 'netdata | netdata-core' || fail "Depends lacks netdata | netdata-core"
[ "$(dpkg-deb -f "$deb" Section)" = net ] || fail "Section is not net"
if dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -q conffiles; then
    fail "the package must not have conffiles (users override in /etc/netdata/health.d/)"
fi

dpkg -s "$PKG" >/dev/null 2>&1 && dpkg -P "$PKG" >/dev/null

note "dpkg -i (netdata is not running: postinst must not fail)"
dpkg -i "$deb"
[ -x "$PLUGIN" ] || fail "binary not installed"
[ "$(stat -c '%a %U %G' "$PLUGIN")" = "750 root netdata" ] \
    || fail "the installed plugin is $(stat -c '%a %U %G' "$PLUGIN"), not 750 root netdata"
[ "$(readlink /usr/lib/netdata/plugins.d/tcp_resets.plugin)" = ../../../libexec/netdata/plugins.d/tcp_resets.plugin ] \
    || fail "symlink not installed"
/usr/lib/netdata/plugins.d/tcp_resets.plugin --iterations 1 | grep -q '^CHART tcp_resets.resets ' \
    || fail "the installed plugin does not run"

# Not under /tmp: the agent runs with a /tmp of its own (packaging/agent.sh).
work=$(mktemp -d /var/tmp/test-deb.XXXXXX)
# shellcheck source=packaging/agent.sh
. packaging/agent.sh
cleanup() {
    agent_stop
    dpkg-statoverride --remove "$PLUGIN" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# Only root and group netdata can run it (README: Privileges): netdata's
# user can, other users are refused by the kernel before the plugin starts.
runs_as() { # user
    runuser -u "$1" -- "$PLUGIN" --iterations 1 1 2>&1
}
out=$(runs_as netdata) || fail "user netdata cannot run the plugin: $out"
grep -q '^CHART tcp_resets.resets ' <<<"$out" || fail "the plugin run by user netdata sent no chart"
if out=$(runs_as nobody); then
    fail "user nobody ran the plugin (0750 root:netdata must refuse it)"
fi
grep -q 'Permission denied' <<<"$out" || fail "user nobody was refused without 'Permission denied': $out"
note "user netdata runs the plugin, user nobody is refused"

note "dpkg-statoverride wins over the postinst"
dpkg-statoverride --add root root 0700 "$PLUGIN"
dpkg -i "$deb" >/dev/null
[ "$(stat -c '%a %U %G' "$PLUGIN")" = "700 root root" ] \
    || fail "with a statoverride to 0700 root:root the plugin is $(stat -c '%a %U %G' "$PLUGIN")"
dpkg-statoverride --remove "$PLUGIN"
dpkg -i "$deb" >/dev/null
[ "$(stat -c '%a %U %G' "$PLUGIN")" = "750 root netdata" ] \
    || fail "after the statoverride is removed and the package reinstalled, the plugin is $(stat -c '%a %U %G' "$PLUGIN")"
note "a statoverride is honoured; without one the plugin is 0750 root:netdata again"

note "Debian's layout: plugins from /usr/lib/netdata/plugins.d (the symlink)"
agent_start debian
agent_expect_reload debian "postinst configure" sh "/var/lib/dpkg/info/$PKG.postinst" configure
agent_expect_reload debian "postrm remove" sh "/var/lib/dpkg/info/$PKG.postrm" remove
agent_stop
note "upstream's layout: plugins from /usr/libexec/netdata/plugins.d"
agent_start upstream '    plugins = "/usr/libexec/netdata/plugins.d"'
agent_stop
note "both directories listed: netdata must run the plugin once, not twice"
agent_start both '    plugins = "/usr/libexec/netdata/plugins.d" "/usr/lib/netdata/plugins.d"'
agent_stop

note "dpkg -r, then dpkg -P"
dpkg -r "$PKG"
[ ! -e /usr/libexec/netdata/plugins.d/tcp_resets.plugin ] || fail "binary left after dpkg -r"
[ ! -L /usr/lib/netdata/plugins.d/tcp_resets.plugin ] || fail "symlink left after dpkg -r"
[ ! -e /usr/lib/netdata/conf.d/health.d/tcp_resets_plugin.conf ] || fail "health file left after dpkg -r"
dpkg -P "$PKG"
# Where a package's files can be: the system directories, not source trees
# or build directories (a checkout of this repository anywhere is ours too).
left=$(find /usr /etc /opt /var/lib/dpkg/info /var/lib/netdata /var/cache/netdata /var/log/netdata \
    -xdev -path "$PWD" -prune -o \
    \( -name 'tcp_resets.plugin' -o -name 'tcp_resets_plugin.conf' -o -name "$PKG*" \) \
    -print 2>/dev/null || true)
[ -z "$left" ] || fail "left after purge: $left"
dpkg -s "$PKG" >/dev/null 2>&1 && fail "dpkg still knows the package after purge"
note "PASS"
