#!/usr/bin/env bash
# Screenshots of the tcp_resets plugin in netdata's own dashboard, taken
# from a real run: docs/dashboard.png and docs/alarm.png. See --help.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: docs/screenshots.sh [--check] [--out DIR] [--plugin FILE] [--no-install] [--keep]

Takes docs/dashboard.png (the tcp_resets section of netdata's dashboard, its
four charts during a reset storm) and docs/alarm.png (the raised alarm
10s_ipv4_tcp_resets_received with its info text), from a real run:

  1. installs what it needs with apt, when missing: Debian's netdata (with
     netdata-web, the dashboard), chromium, pngquant, optipng, iptables,
     iproute2, util-linux, python3;
  2. builds the plugin (cargo build --release) unless --plugin is given;
  3. in a new network namespace and a private mount namespace (nothing on
     the host is touched: not its network, its sysctls, its firewall, its
     files nor its netdata): loopback up, SYN cookies off, netdata 1.37 in
     the foreground with the plugin and health.d/tcp_resets_plugin.conf
     (bind-mounted where the plugin's Debian package installs them), its
     dashboard on 127.0.0.1:19999, every file in a temporary directory;
  4. after netdata's first minute (the alarms wait for it), a storm:
     refused and aborted connections, a listener whose SYN queue overflows,
     SYNs injected into an established connection (challenge ACKs);
  5. once the API reports 10s_ipv4_tcp_resets_received raised, headless
     Chromium (in the same namespace) photographs the alarm, then the
     dashboard with the storm's first ~40 s;
  6. stops everything it started, by process group, removes its temporary
     directory, shrinks the PNGs (pngquant, optipng) and checks them.

About 2 minutes, most of it netdata's first minute. Needs root
(namespaces, apt) on Debian 12 (netdata 1.37.1).

Options:
  --check        CI: everything, into a temporary directory; verify that
                 both PNGs exist, have the expected pixel sizes and are not
                 blank; docs/*.png are left alone
  --out DIR      write the PNGs to DIR instead of docs/
  --plugin FILE  use this tcp_resets binary instead of building one
  --no-install   do not run apt; fail if something is missing
  --keep         keep the temporary directory (netdata's logs and config,
                 Chromium's log, the unshrunk PNGs), for debugging
  -h, --help     this text
EOF
}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
HELPERS=$HERE/screenshots
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
URL=http://127.0.0.1:19999
ALARM=tcp_resets.resets.10s_ipv4_tcp_resets_received
# What the pictures must be (pngcheck.py): width, height range, KiB floor.
DASHBOARD_SIZE=(1000 1300 1700 25)
ALARM_SIZE=(898 600 1400 20)

say() { printf 'screenshots: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# ---------------------------------------------------------------------------
# Process bookkeeping, shared by both halves: every long-running process is
# started in a new session (its own process group) and its pid written to
# $WORK/pids/NAME; stop_all ends each group, TERM then KILL after a bounded
# wait, and removes the pid file.

started() { # NAME PID
    echo "$2" >"$WORK/pids/$1"
}

stop_group() { # NAME
    local f=$WORK/pids/$1 pid _
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 150); do # 15 s
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    # Whatever is left of the group (a plugin whose netdata died, say).
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$f"
}

stop_all() { # the names in the order given, then any left but "inner"
    local n f
    for n in "$@"; do stop_group "$n"; done
    for f in "$WORK"/pids/*; do
        n=$(basename "$f")
        [ -e "$f" ] && [ "$n" != inner ] && stop_group "$n"
    done
    return 0
}

# ---------------------------------------------------------------------------
# The inner half: runs inside the new namespaces (docs/screenshots.sh
# --inside WORK SHOTS PLUGIN), as the leader of its own process group.

inner() {
    WORK=$1
    local shots=$2 plugin=$3 nd=$1/netdata
    trap 'stop_all browser storm netdata' EXIT
    trap 'say "inside: interrupted"; exit 143' TERM INT

    # Only ever in namespaces of our own.
    [ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ] \
        || die "not in a private network namespace"
    [ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] \
        || die "not in a private mount namespace"

    ip link set lo up
    # This namespace's settings, not the host's: SYN cookies off so that a
    # full SYN queue drops SYNs; no rate limit on challenge ACKs.
    echo 0 >/proc/sys/net/ipv4/tcp_syncookies
    echo 0 >/proc/sys/net/ipv4/tcp_invalid_ratelimit
    echo 2147483647 >/proc/sys/net/ipv4/tcp_challenge_ack_limit 2>/dev/null || true

    # The plugin and the health file where Debian's package of the plugin
    # puts them, so the alarm's "source" and "execute" lines read as on a
    # real install: bind mounts, visible in this mount namespace only.
    mkdir -p "$nd"/{etc,stock,cache,lib,log,health,plugins,stock-health}
    cp "$plugin" "$nd/plugins/tcp_resets.plugin"
    # Netdata runs system-info.sh from its plugins directory at start-up.
    cp /usr/lib/netdata/plugins.d/system-info.sh "$nd/plugins/"
    # Notifications go nowhere.
    printf '#!/bin/sh\nexit 0\n' >"$nd/plugins/alarm-notify.sh"
    chmod 755 "$nd/plugins/alarm-notify.sh"
    cp "$REPO/health.d/tcp_resets_plugin.conf" "$nd/stock-health/"
    mount --bind "$nd/plugins" /usr/lib/netdata/plugins.d
    mount --bind "$nd/stock-health" /usr/lib/netdata/conf.d/health.d

    cat >"$nd/etc/netdata.conf" <<EOF
[global]
    run as user = root
    memory mode = ram
    hostname = tcp-resets-demo
    update every = 1
    # Netdata's default, 19, would put the plugin's samples behind Chromium.
    process nice level = 10
[directories]
    config = $nd/etc
    stock config = $nd/stock
    log = $nd/log
    plugins = "/usr/lib/netdata/plugins.d"
    cache = $nd/cache
    lib = $nd/lib
    home = $nd/lib
    health config = $nd/health
    stock health config = /usr/lib/netdata/conf.d/health.d
[logs]
    debug log = none
    error log = $nd/log/error.log
    access log = none
[web]
    bind to = 127.0.0.1:19999
[plugins]
    enable running new plugins = no
    tcp_resets = yes
    proc = no
    diskspace = no
    cgroups = no
    tc = no
    idlejitter = no
    timex = no
    statsd = no
    checks = no
    apps = no
    python.d = no
    charts.d = no
    go.d = no
    ebpf = no
[ml]
    enabled = no
[health]
    enabled = yes
[registry]
    enabled = no
[cloud]
    enabled = no
EOF

    local version
    version=$(netdata -V 2>&1 | head -n 1 | awk '{print $2}')
    case $version in
        v1.37.*) ;;
        *) say "note: netdata $version, not 1.37 (Debian 12): its dashboard may not be the one this script knows" ;;
    esac
    say "starting netdata $version with the plugin"
    setsid /usr/sbin/netdata -D -c "$nd/etc/netdata.conf" \
        </dev/null >"$nd/log/stdout.log" 2>&1 &
    started netdata $!
    local ndpid=$!
    local api=("$PY" "$HELPERS/agent.py" --netdata-pid "$ndpid" "$URL")
    "${api[@]}" charts 60
    "${api[@]}" alarms 30
    say "netdata is up with our charts and alarms; waiting for its first minute to pass"
    "${api[@]}" uptime-over 62 120

    say "storm: refused and aborted connections, SYN queue overflow, injected SYNs"
    setsid "$PY" "$HELPERS/storm.py" --seconds 300 >"$WORK/storm.log" 2>&1 &
    started storm $!
    local storm_start=$SECONDS
    "${api[@]}" raised "$ALARM" 60
    say "$ALARM raised after $((SECONDS - storm_start)) s of storm"
    kill -0 "$(cat "$WORK/pids/storm")" 2>/dev/null || die "the storm stopped: $(cat "$WORK/storm.log")"

    # Chromium below netdata and the storm, which it would otherwise
    # disturb while it starts (a dip in every chart).
    local browser=(nice -n 9 "$PY" "$HELPERS/browser.py" --profile "$WORK/chromium"
        --pid-file "$WORK/pids/browser" --log "$WORK/chromium.log" --url "$URL")
    mkdir -p "$WORK/chromium"
    # The alarm once its 10 s average is all storm (its badge shows the
    # value), and well before the minute's baseline catches up with the
    # storm and the alarm clears.
    local left=$((15 - (SECONDS - storm_start)))
    [ "$left" -le 0 ] || sleep "$left"
    say "photographing the alarm"
    "${browser[@]}" alarm "$shots/alarm.png"
    # The storm's first ~40 s on the dashboard, after the quiet minute.
    left=$((40 - (SECONDS - storm_start)))
    [ "$left" -le 0 ] || sleep "$left"
    kill -0 "$(cat "$WORK/pids/storm")" 2>/dev/null || die "the storm stopped: $(cat "$WORK/storm.log")"
    local up
    up=$("${api[@]}" uptime)
    say "photographing the dashboard (the last $((up - 3)) s)"
    "${browser[@]}" --seconds "$((up - 3))" dashboard "$shots/dashboard.png"
    stop_all storm netdata
    say "netdata and the storm stopped"
}

# ---------------------------------------------------------------------------
# The outer half: packages, the plugin, the namespaces, the pictures.

install_missing() {
    local want=(netdata-core netdata-web chromium pngquant optipng iptables
        iproute2 util-linux python3 fonts-dejavu-core) missing=() p
    for p in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    [ "$INSTALL" = yes ] || die "missing packages: ${missing[*]} (run without --no-install, or apt-get install them)"
    command -v apt-get >/dev/null || die "missing packages: ${missing[*]}, and no apt-get here"
    say "installing ${missing[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    }
}

shrink() { # IN OUT: a 256-colour palette (pngquant), then optipng
    if ! pngquant --force --strip --speed 1 --quality 70-95 --output "$2" -- "$1"; then
        say "pngquant could not keep the quality; $(basename "$2") stays truecolour"
        cp "$1" "$2"
    fi
    optipng -quiet -o2 "$2"
}

outer() {
    local check=no out=$HERE plugin="" keep=no
    INSTALL=yes
    while [ $# -gt 0 ]; do
        case $1 in
            --check) check=yes ;;
            --out) out=${2:?--out needs a directory}; shift ;;
            --plugin) plugin=${2:?--plugin needs a file}; shift ;;
            --no-install) INSTALL=no ;;
            --keep) keep=yes ;;
            -h | --help) usage; exit 0 ;;
            *) usage >&2; exit 2 ;;
        esac
        shift
    done
    [ "$(id -u)" = 0 ] || die "needs root: network and mount namespaces, a firewall rule and sysctls inside them, apt"
    local t0=$SECONDS
    install_missing
    if [ -z "$plugin" ]; then
        command -v cargo >/dev/null \
            || die "no cargo to build the plugin with: install Rust (https://rustup.rs) or pass --plugin FILE"
        say "building the plugin (cargo build --release)"
        (cd "$REPO" && cargo build --release --quiet)
        plugin=$REPO/target/release/tcp_resets
    fi
    [ -x "$plugin" ] || die "no plugin binary at $plugin"

    WORK=$(mktemp -d /tmp/tcp_resets-screenshots.XXXXXX)
    mkdir -p "$WORK/pids" "$WORK/shots" "$WORK/out"
    if [ "$keep" = yes ]; then
        trap 'stop_all inner browser storm netdata; say "kept $WORK"' EXIT
    else
        trap 'stop_all inner browser storm netdata; rm -rf "$WORK"' EXIT
    fi
    trap 'say "interrupted: stopping everything started"; exit 130' INT
    trap 'say "terminated: stopping everything started"; exit 143' TERM
    local host_syncookies
    host_syncookies=$(cat /proc/sys/net/ipv4/tcp_syncookies)

    say "running in new network and mount namespaces (work directory $WORK)"
    nice -n 10 setsid unshare --net --mount --propagation private -- \
        bash "$HERE/screenshots.sh" --inside "$WORK" "$WORK/shots" "$plugin" &
    local inner_pid=$!
    started inner "$inner_pid"
    local deadline=$((SECONDS + 420)) rc=0
    while kill -0 "$inner_pid" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || die "the run inside the namespace took over 420 s"
        sleep 1
    done
    wait "$inner_pid" || rc=$?
    rm -f "$WORK/pids/inner"
    if [ "$rc" != 0 ]; then
        say "netdata's error.log, its last errors:"
        grep -v ' INFO  : ' "$WORK/netdata/log/error.log" 2>/dev/null | tail -n 15 >&2 || true
        die "the run inside the namespace failed (exit $rc); --keep keeps its files"
    fi
    [ "$(cat /proc/sys/net/ipv4/tcp_syncookies)" = "$host_syncookies" ] \
        || die "the host's tcp_syncookies changed"

    local name
    for name in dashboard alarm; do
        shrink "$WORK/shots/$name.png" "$WORK/out/$name.png"
    done
    "$PY" "$HELPERS/pngcheck.py" "$WORK/out/dashboard.png" "${DASHBOARD_SIZE[@]}"
    "$PY" "$HELPERS/pngcheck.py" "$WORK/out/alarm.png" "${ALARM_SIZE[@]}"
    if [ "$check" = yes ]; then
        say "check passed: both screenshots taken and sound ($((SECONDS - t0)) s); nothing written"
        return 0
    fi
    mkdir -p "$out"
    cp "$WORK/out/dashboard.png" "$WORK/out/alarm.png" "$out/"
    say "wrote $out/dashboard.png and $out/alarm.png ($((SECONDS - t0)) s)"
}

if [ "${1:-}" = --inside ]; then
    shift
    inner "$@"
else
    outer "$@"
fi
