#!/usr/bin/env bash
# Checks every layout FreeBSD's decoders rely on against FreeBSD's own
# headers, as Zig ships them: the struct members, sizes and macro values of
# net.inet.tcp.pcblist (struct xinpgen, struct xtcpcb), kern.file (struct
# xfile), kern.proc.pid (struct kinfo_proc) and the struct tcpstat indices
# of net.inet.tcp.stats. `cargo run --example c_layout` prints them as C11
# _Static_asserts from the decoders' own constant tables; this compiles
# that (to an object thrown away) with `zig cc -target <arch>-freebsd` for
# x86_64 and aarch64.
#
# Zig 0.17 ships one set of FreeBSD headers, FreeBSD 15's: this checks the
# 15 layout (and struct tcpstat's 14+ indices) only. That FreeBSD 13 and 14
# have the same offsets and sizes for every pcblist field the decoder reads
# rests on a transcription of their structs (xsocket, xinpcb, xtcpcb of
# 13.1 and 14.0-STABLE, compared with _Static_asserts against the 15
# headers), which is not part of this repository. Their one difference,
# xt_encaps_port (640 in 13, 652 in 14 and 15), is a field the decoder does
# not read. struct xfile has had its layout since FreeBSD 12; struct
# kinfo_proc's size is fixed (KINFO_PROC_SIZE, asserted by the kernel) and
# new fields replace spares.
#
# FREEBSD_INCLUDE=DIR puts DIR before Zig's headers: a directory holding
# sys/socketvar.h, netinet/in_pcb.h and netinet/tcp_var.h (and
# netinet/tcp_fsm.h, sys/file.h, sys/user.h) copied from another release's
# source tree checks the constants against that release instead (the rest
# still comes from Zig).
#
# Needs the Zig that packaging/freebsd/cross-build.sh installs.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=packaging/lib.sh
. packaging/lib.sh

ZIG_TARGETS=(x86_64-freebsd aarch64-freebsd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
c=$work/layouts.c
cargo run --quiet --example c_layout >"$c" || die "cargo run --example c_layout failed"
facts=$(sed -n 's|^/\* \([0-9]*\) facts\. \*/$|\1|p' "$c")
[[ -n $facts && $facts -gt 0 ]] || die "the example printed no facts"

include=()
headers="Zig's, FreeBSD 15"
if [[ -n ${FREEBSD_INCLUDE:-} ]]; then
    [[ -f $FREEBSD_INCLUDE/netinet/tcp_var.h ]] || die "no netinet/tcp_var.h in FREEBSD_INCLUDE=$FREEBSD_INCLUDE"
    include=(-I "$FREEBSD_INCLUDE")
    headers="$FREEBSD_INCLUDE before Zig's"
fi
# Compiling evaluates the static assertions; an unknown member or macro is
# an error too.
for t in "${ZIG_TARGETS[@]}"; do
    if ! zig_cc "$t" -std=c11 "${include[@]}" -c -o "$work/layouts.o" "$c"; then
        die "the decoders' layouts disagree with FreeBSD's headers for $t (above)"
    fi
done
note "$facts facts of the FreeBSD decoders match FreeBSD's headers ($headers; ${ZIG_TARGETS[*]})"
