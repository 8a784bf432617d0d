#!/usr/bin/env bash
# Writes the port's Makefile.crates from Cargo.lock, in the format of the
# ports framework's `make cargo-crates`: one `name-version` per registry
# crate, in Cargo.lock's order, the workspace's own package left out (it has
# no source).
#
#   packaging/freebsd/gen-crates.sh          rewrite Makefile.crates
#   packaging/freebsd/gen-crates.sh --check  fail if it is out of date
#   packaging/freebsd/gen-crates.sh --print  print to stdout
set -euo pipefail
cd "$(dirname "$0")/../.."
LOCK=Cargo.lock
OUT=packaging/freebsd/net-mgmt/netdata-plugin-tcp-resets/Makefile.crates

die() { printf 'gen-crates.sh: error: %s\n' "$*" >&2; exit 1; }
[[ -f $LOCK ]] || die "$LOCK not found"

generate() {
    awk '
        function flush() {
            if (name != "" && source ~ /^"registry\+/) crates[n++] = name "-" version
            name = ""; version = ""; source = ""
        }
        /^\[\[package\]\]/ { flush(); next }
        /^\[/ { flush(); next }
        /^name = "/ { name = $3; gsub(/"/, "", name) }
        /^version = "/ { version = $3; gsub(/"/, "", version) }
        /^source = "/ { source = $3 }
        END {
            flush()
            if (n == 0) { print "no registry crate in Cargo.lock" > "/dev/stderr"; exit 1 }
            for (i = 0; i < n; i++)
                printf "%s\t%s%s\n", (i == 0 ? "CARGO_CRATES=" : "\t"), crates[i], (i < n - 1 ? " \\" : "")
        }' "$LOCK"
}

case "${1:-}" in
    "") generate >"$OUT.new" && mv -f "$OUT.new" "$OUT" && echo "wrote $OUT" ;;
    --print) generate ;;
    --check)
        generate | cmp -s - "$OUT" \
            || die "$OUT is out of date with $LOCK: run packaging/freebsd/gen-crates.sh"
        ;;
    *) die "unknown option '$1' (use --check or --print)" ;;
esac
