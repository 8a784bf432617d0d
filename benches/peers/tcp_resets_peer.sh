#!/usr/bin/env bash
# A reference peer for the benchmarks only (never installed or shipped): the
# resets chart as a netdata user would write it in the charts.d style, with
# bash builtins only (no process per sample), columns found by name.
# Usage: tcp_resets_peer.sh [UPDATE_EVERY [SAMPLES]]
# SAMPLES (benchmarks only): exit 0 right after that many samples, as the
# plugin's --iterations does; without it, run until stopped.
update_every=${1:-1}
samples=${2:-0}
snmp="${NETDATA_HOST_PREFIX}/proc/net/snmp"
dims=(AttemptFails EstabResets OutRsts)

echo "CHART tcp_resets.resets '' 'TCP resets' 'events/s' 'resets' 'tcp_resets.resets' line 1000 $update_every '' 'tcp_resets.plugin' 'proc_net_snmp'"
for d in "${dims[@]}"; do echo "DIMENSION $d '' incremental 1 1"; done

# charts.d sleeps with read -t on a descriptor that never delivers data.
exec 9<> <(:)

first=1
taken=0
while :; do
    header=() values=()
    while read -r -a row; do
        if [ "${row[0]}" = "Tcp:" ]; then
            if [ ${#header[@]} -eq 0 ]; then header=("${row[@]}"); else values=("${row[@]}"); break; fi
        fi
    done < "$snmp"
    if [ $first = 1 ]; then echo "BEGIN tcp_resets.resets"; first=0
    else echo "BEGIN tcp_resets.resets $((update_every * 1000000))"; fi
    for d in "${dims[@]}"; do
        v=
        for i in "${!header[@]}"; do
            if [ "${header[$i]}" = "$d" ]; then v=${values[$i]}; break; fi
        done
        echo "SET $d = $v"
    done
    echo "END"
    taken=$((taken + 1))
    if [ "$samples" -gt 0 ] && [ "$taken" -ge "$samples" ]; then exit 0; fi
    read -r -t "$update_every" -u 9 _ || true
done
