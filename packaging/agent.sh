# shellcheck shell=bash
# Debian's netdata 1.37.1, run for a packaging test: sourced by
# packaging/debian/test-deb.sh and packaging/rpm/test-rpm.sh, never run.
# The sourcing script defines fail MESSAGE (one line, exits) and note
# MESSAGE, and a private directory $work outside /tmp; its EXIT trap calls
# agent_stop.
#
#   agent_start LABEL [LINES]    netdata as the netdata user, as a package
#                                runs it: with the installed configuration,
#                                plugins and health directories unless LINES
#                                (extra [directories] lines) point elsewhere;
#                                only cache, lib, log and the web port are
#                                private. Waits (bounded) until it lists
#                                tcp_resets.resets and all seven alarms, and
#                                checks that it runs one copy of the plugin,
#                                as user netdata, and reports nothing about
#                                the alarms file but 1.37's known message.
#   agent_expect_reload LABEL WHAT CMD...
#                                runs CMD (WHAT: a package's script) where
#                                the agent's netdatacli pipe is (nsenter),
#                                and waits, bounded, for the agent to say
#                                that it reloaded its health configuration.
#   agent_stop                   stops the agent's process group, if any.

# shellcheck disable=SC2154 # $work, fail and note come from the sourcing script
AGENT_PID=""
AGENT_LOG=""

agent_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

agent_start() {
    local label=$1 lines=${2:-} port dir=$work/$1
    case $work in
        /tmp/*) fail "$label: \$work ($work) must not be under /tmp, which the agent gets a private one of" ;;
    esac
    getent passwd netdata >/dev/null || fail "$label: no user netdata (is netdata installed?)"
    port=$(agent_free_port)
    mkdir -p "$dir"/{cache,lib,log}
    # netdata drops to its user before it starts plugins: the user needs its
    # own directories and a way through $work.
    chmod 0755 "$work" "$dir"
    chown -R netdata:netdata "$dir"/cache "$dir"/lib "$dir"/log
    AGENT_LOG=$dir/log/error.log
    cat >"$dir/netdata.conf" <<EOF
[global]
    run as user = netdata
    memory mode = ram
    hostname = pkg-test-$label
    # 1.37 stops logging after 200 lines in 20 minutes, and a health reload
    # or two at start-up can write that many: the checks read the log.
    errors to trigger flood protection = 1000000
[directories]
    cache = $dir/cache
    lib = $dir/lib
    log = $dir/log
$lines
[logs]
    # 1.37 names, then 2.x names; each version ignores the other's.
    error log = $AGENT_LOG
    access log = none
    debug log = none
    error = $AGENT_LOG
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
    # netdata 1.37 and netdatacli meet at the fixed path /tmp/netdata-ipc:
    # the agent gets a /tmp of its own (its own mount namespace), so that no
    # other netdata on the host answers our netdatacli, and ours does not
    # take the path from theirs.
    setsid unshare --mount --propagation private -- sh -c \
        'mount -t tmpfs -o mode=1777 agent-tmp /tmp && exec "$@"' agent \
        netdata -D -c "$dir/netdata.conf" >"$dir/stdout.log" 2>&1 &
    AGENT_PID=$!
    local api="http://127.0.0.1:$port/api/v1" charts=""
    # New plugins are discovered at start-up; allow 60 s on a loaded machine.
    for _ in $(seq 120); do
        charts=$(curl -fsS --max-time 2 "$api/charts" 2>/dev/null || true)
        grep -q '"tcp_resets.resets"' <<<"$charts" && break
        kill -0 "$AGENT_PID" 2>/dev/null || break
        sleep 0.5
    done
    if ! grep -q '"tcp_resets.resets"' <<<"$charts"; then
        tail -n 40 "$AGENT_LOG" "$dir/stdout.log" >&2 || true
        fail "$label: /api/v1/charts does not list tcp_resets.resets"
    fi
    note "$label: netdata (user netdata) lists tcp_resets.resets"
    local alarms="" a
    # Alarms attach to the chart a moment after it appears: poll, bounded.
    for _ in $(seq 60); do
        alarms=$(curl -fsS --max-time 5 "$api/alarms?all" || true)
        grep -q '"10s_tcp_challenge_acks"' <<<"$alarms" && break
        sleep 0.5
    done
    for a in 1m_ipv4_tcp_resets_received 10s_ipv4_tcp_resets_received \
        1m_ipv4_tcp_resets_sent 10s_ipv4_tcp_resets_sent \
        tcp_resets_queue_full_without_syncookies \
        1m_tcp_challenge_acks 10s_tcp_challenge_acks; do
        if ! grep -q "\"$a\"" <<<"$alarms"; then
            tail -n 40 "$AGENT_LOG" >&2 || true
            fail "$label: /api/v1/alarms?all lacks $a"
        fi
    done
    # Debian's 1.37 does not know netdata 2.x's `summary:` key and says so
    # once per alarm (README: Netdata versions); that message and no other.
    local known="for alarm '[a-z0-9_]+' has unknown key 'summary'\\.( \\(errno [0-9]+, .*\\))?$"
    if grep -i 'tcp_resets_plugin.conf' "$AGENT_LOG" | grep -vE "$known" \
        | grep -iE 'error|unknown|invalid|failed'; then
        fail "$label: netdata reports a problem with tcp_resets_plugin.conf"
    fi
    [ "$(grep -cE "$known" "$AGENT_LOG")" -ge 7 ] \
        || fail "$label: netdata 1.37 did not say that summary: is unknown (is it still 1.37?)"
    local running
    # The agent's own plugins only (its session): other netdata may run on
    # the host.
    running=$(pgrep -s "$AGENT_PID" -f -c 'plugins.d/tcp_resets.plugin' || true)
    [ "$running" = 1 ] || fail "$label: $running copies of the plugin run (want exactly 1)"
    local owner
    owner=$(ps -o user= -p "$(pgrep -s "$AGENT_PID" -f 'plugins.d/tcp_resets.plugin')" | tr -d ' ')
    [ "$owner" = netdata ] || fail "$label: the plugin runs as '$owner', not as netdata"
    note "$label: netdata loaded the alarms and runs one copy of the plugin, as user netdata"
}

agent_expect_reload() {
    local label=$1 what=$2 said="COMMAND: Reloading HEALTH configuration" before
    shift 2
    before=$(grep -c "$said" "$AGENT_LOG" || true)
    nsenter --mount --target "$AGENT_PID" -- "$@" || fail "$label: $what failed"
    for _ in $(seq 50); do
        [ "$(grep -c "$said" "$AGENT_LOG" || true)" -gt "$before" ] && break
        sleep 0.2
    done
    [ "$(grep -c "$said" "$AGENT_LOG" || true)" -gt "$before" ] \
        || fail "$label: netdata did not reload its alarms after $what"
    note "$label: $what made the running netdata reload its alarms"
}

agent_stop() {
    [ -n "$AGENT_PID" ] || return 0
    local _
    kill -TERM -- "-$AGENT_PID" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$AGENT_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$AGENT_PID" 2>/dev/null || true
    wait "$AGENT_PID" 2>/dev/null || true
    AGENT_PID=""
}
