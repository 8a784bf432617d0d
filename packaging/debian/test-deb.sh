#!/usr/bin/env bash
# Builds the .deb, lints it, installs it next to Debian's netdata, proves that
# netdata (with its installed directories) runs the plugin and loads the
# alarms, then removes and purges it and checks nothing of ours is left.
#
# Needs root and Debian's netdata package; run by .ci/run. Usage:
#   packaging/debian/test-deb.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=packaging/lib.sh
. packaging/lib.sh

PKG=netdata-plugin-tcp-resets
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
[ -x /usr/libexec/netdata/plugins.d/tcp_resets.plugin ] || fail "binary not installed"
[ "$(readlink /usr/lib/netdata/plugins.d/tcp_resets.plugin)" = ../../../libexec/netdata/plugins.d/tcp_resets.plugin ] \
    || fail "symlink not installed"
/usr/lib/netdata/plugins.d/tcp_resets.plugin --iterations 1 | grep -q '^CHART tcp_resets.resets ' \
    || fail "the installed plugin does not run"

work=$(mktemp -d /tmp/test-deb.XXXXXX)
pid=""
cleanup() {
    if [ -n "$pid" ]; then
        kill -TERM -- "-$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Runs Debian's netdata with its installed config, stock config, plugin and
# health directories; only cache, lib, log and the web port are private.
# $1: a label, $2: an extra [directories] plugins line (empty for Debian's).
run_netdata() {
    local label=$1 plugins_line=$2 port
    port=$(free_port)
    mkdir -p "$work/$label"/{cache,lib,log}
    cat > "$work/$label/netdata.conf" <<EOF
[global]
    run as user = root
    memory mode = ram
    hostname = deb-test-$label
[directories]
    cache = $work/$label/cache
    lib = $work/$label/lib
    log = $work/$label/log
    $plugins_line
[logs]
    # 1.37 names, then 2.x names; each version ignores the other's.
    error log = $work/$label/log/error.log
    access log = none
    debug log = none
    error = $work/$label/log/error.log
    access = none
    debug = none
[web]
    bind to = 127.0.0.1:$port
[ml]
    enabled = no
[plugins]
    proc = no
    diskspace = no
    cgroups = no
    tc = no
    idlejitter = no
    apps = no
    python.d = no
    charts.d = no
    perf = no
    slabinfo = no
    fping = no
    ioping = no
    nfacct = no
    cups = no
    ebpf = no
    go.d = no
    statsd = no
    timex = no
    checks = no
EOF
    setsid netdata -D -c "$work/$label/netdata.conf" > "$work/$label/stdout.log" 2>&1 &
    pid=$!
    local api="http://127.0.0.1:$port/api/v1"
    local charts="" i
    # New plugins are discovered at start-up; allow 60 s on a loaded machine.
    for i in $(seq 120); do
        charts=$(curl -fsS --max-time 2 "$api/charts" 2>/dev/null || true)
        echo "$charts" | grep -q '"tcp_resets.resets"' && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if ! echo "$charts" | grep -q '"tcp_resets.resets"'; then
        tail -n 40 "$work/$label/log/error.log" "$work/$label/stdout.log" >&2 || true
        fail "$label: /api/v1/charts does not list tcp_resets.resets"
    fi
    note "$label: netdata lists tcp_resets.resets"
    local alarms missing=""
    # Alarms attach to the chart a moment after it appears: poll, bounded.
    for i in $(seq 60); do
        alarms=$(curl -fsS --max-time 5 "$api/alarms?all" || true)
        echo "$alarms" | grep -q '"10s_tcp_challenge_acks"' && break
        sleep 0.5
    done
    for a in 1m_ipv4_tcp_resets_received 10s_ipv4_tcp_resets_received \
             1m_ipv4_tcp_resets_sent 10s_ipv4_tcp_resets_sent \
             tcp_resets_queue_full_without_syncookies \
             1m_tcp_challenge_acks 10s_tcp_challenge_acks; do
        if ! echo "$alarms" | grep -q "\"$a\""; then
            tail -n 40 "$work/$label/log/error.log" >&2 || true
            fail "$label: /api/v1/alarms?all lacks $a"
        fi
    done
    # Debian's 1.37 does not know netdata 2.x's `summary:` key and says so
    # once per alarm (README: Netdata versions); that message and no other.
    local known="for alarm '[a-z0-9_]+' has unknown key 'summary'\\.( \\(errno [0-9]+, .*\\))?$"
    if grep -i 'tcp_resets_plugin.conf' "$work/$label/log/error.log" | grep -vE "$known" \
        | grep -iE 'error|unknown|invalid|failed'; then
        fail "$label: netdata reports a problem with tcp_resets_plugin.conf"
    fi
    [ "$(grep -cE "$known" "$work/$label/log/error.log")" -ge 7 ] \
        || fail "$label: netdata 1.37 did not say that summary: is unknown (is it still 1.37?)"
    local running
    running=$(pgrep -f -c 'plugins.d/tcp_resets.plugin' || true)
    [ "$running" = 1 ] || fail "$label: $running copies of the plugin run (want exactly 1)"
    note "$label: netdata loaded the alarms and runs one copy of the plugin"
    kill -TERM -- "-$pid" 2>/dev/null || true
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    pid=""
}

note "Debian's layout: plugins from /usr/lib/netdata/plugins.d (the symlink)"
run_netdata debian ""
note "upstream's layout: plugins from /usr/libexec/netdata/plugins.d"
run_netdata upstream "plugins = \"/usr/libexec/netdata/plugins.d\""

note "both directories listed: netdata must run the plugin once, not twice"
run_netdata both "plugins = \"/usr/libexec/netdata/plugins.d\" \"/usr/lib/netdata/plugins.d\""

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
