# shellcheck shell=bash
# Shared by the packaging scripts; sourced, never run. The scripts cd to the
# repository root before sourcing it, and every path below is relative to
# that root.
#
#   die MESSAGE / note MESSAGE     one line on stderr, named after the script
#   crate_version                  [package] version of Cargo.toml
#   check_freebsd_elf FILE         a FreeBSD x86-64 executable that needs only
#                                  FREEBSD_BASE_LIBS (dies otherwise)
#   freebsd_pkg_available          whether pkg(8) can be had (no side effect)
#   freebsd_pkg_tool               the path of pkg(8), built on first use
#   pkg8 ARGS...                   that pkg(8), told which FreeBSD to pretend
#   zig_cc TARGET ARGS...          the cross-build's Zig cc for TARGET (dies when
#                                  cross-build.sh has not installed it); on
#                                  failure shows its errors and returns 1
#   FREEBSD_PORT                   the port's directory
#   port_var NAME                  the value of NAME= in the port's Makefile
#   port_run_depends               DEP_NAME, DEP_VERSION, DEP_ORIGIN from its
#                                  RUN_DEPENDS (dies unless one
#                                  name>=version:origin)

die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

crate_version() {
    local v
    v=$(sed -n '/^\[package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
    [[ -n $v ]] || die "cannot read the [package] version from Cargo.toml"
    printf '%s\n' "$v"
}

# --- FreeBSD binaries ------------------------------------------------------

# The libraries of FreeBSD's base system the plugin may need: anything else
# would have to come from a package the port does not depend on.
# shellcheck disable=SC2034 # used by the scripts that source this file
FREEBSD_BASE_LIBS=(libc.so.7 libthr.so.3 libm.so.5 libgcc_s.so.1 librt.so.1)

check_freebsd_elf() {
    local bin=$1 b osabi needed lib ok a interp
    [[ -f $bin ]] || die "$bin not found"
    command -v readelf >/dev/null || die "readelf not found (apt-get install binutils)"
    # e_ident and e_machine: 7f 45 4c 46, class 2 (64-bit), e_machine 0x3e.
    read -r -a b <<<"$(od -An -tx1 -N20 "$bin" | tr -s ' \n' ' ')"
    [[ ${b[0]}${b[1]}${b[2]}${b[3]} == 7f454c46 ]] || die "$bin is not an ELF file"
    [[ ${b[4]} == 02 ]] || die "$bin is not a 64-bit ELF"
    [[ ${b[18]}${b[19]} == 3e00 ]] || die "$bin is not x86-64 (e_machine ${b[18]}${b[19]})"
    # FreeBSD's kernel takes a binary as its own by EI_OSABI 9 or by the
    # FreeBSD ABI note in .note.tag (Zig's crt1 leaves EI_OSABI 0).
    osabi=$((16#${b[7]}))
    if ((osabi != 9)); then
        readelf -n "$bin" | awk '/^Displaying notes/ { tag = /\.note\.tag/ }
                tag && $1 == "FreeBSD" { found = 1 } END { exit !found }' \
            || die "$bin has EI_OSABI $osabi and no FreeBSD ABI note (.note.tag)"
    fi
    interp=$(readelf -l "$bin" | sed -n 's/.*\[Requesting program interpreter: \(.*\)\]/\1/p')
    [[ $interp == /libexec/ld-elf.so.1 ]] \
        || die "$bin asks for the interpreter '$interp', not FreeBSD's /libexec/ld-elf.so.1"
    needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    [[ -n $needed ]] || die "$bin needs no shared library at all: not a dynamic FreeBSD executable?"
    for lib in $needed; do
        ok=0
        for a in "${FREEBSD_BASE_LIBS[@]}"; do [[ $lib == "$a" ]] && ok=1; done
        ((ok)) || die "$bin needs $lib, not a FreeBSD base library (${FREEBSD_BASE_LIBS[*]})"
    done
    note "$bin: FreeBSD x86-64 executable, needs only ${needed//$'\n'/ }"
}

# --- FreeBSD's headers, through the cross-build's Zig ------------------------

# Not -fsyntax-only: Zig 0.17.1's cc then fails on renaming the object file
# it did not write.
zig_cc() {
    local target=$1 py=target/freebsd/venv/bin/python out
    shift
    if ! [[ -x $py ]] || ! "$py" -c 'import ziglang' 2>/dev/null; then
        die "Zig not found in target/freebsd/venv: run packaging/freebsd/cross-build.sh first"
    fi
    if ! out=$(ZIG_GLOBAL_CACHE_DIR=$PWD/target/freebsd/zig-cache timeout 300 \
        "$py" -m ziglang cc -target "$target" "$@" 2>&1); then
        printf '%s\n' "$out" | grep -E 'error' >&2 || printf '%s\n' "$out" >&2
        return 1
    fi
}

# --- FreeBSD's pkg(8) --------------------------------------------------------

# The FreeBSD release the packages are for (the cross-build's target).
FREEBSD_ABI=FreeBSD:14:amd64
FREEBSD_OSVERSION=1400000

# pkg(8): $FREEBSD_PKG if set, the system's on FreeBSD, else the Linux build
# of pkg 2.8.4 that ../shared/freebsd-pkg/install.sh makes (outside this
# repository; it builds in about 90 s the first time, then only prints the
# path).
FREEBSD_PKG_INSTALLER=../shared/freebsd-pkg/install.sh

freebsd_pkg_available() {
    [[ -n ${FREEBSD_PKG:-} || $(uname -s) == FreeBSD || -f $FREEBSD_PKG_INSTALLER ]]
}

freebsd_pkg_tool() {
    local p
    if [[ -n ${FREEBSD_PKG:-} ]]; then
        p=$FREEBSD_PKG
    elif [[ $(uname -s) == FreeBSD ]]; then
        p=$(command -v pkg) || die "pkg(8) not found on this FreeBSD host"
    elif [[ -f $FREEBSD_PKG_INSTALLER ]]; then
        p=$(bash "$FREEBSD_PKG_INSTALLER" | tail -n 1) \
            || die "$FREEBSD_PKG_INSTALLER failed"
    else
        die "pkg(8) not found: no $FREEBSD_PKG_INSTALLER (set FREEBSD_PKG to a pkg binary)"
    fi
    [[ -x $p ]] || die "pkg(8) '$p' is not an executable"
    printf '%s\n' "$p"
}

# Runs pkg(8) from $PKG (set PKG=$(freebsd_pkg_tool) first) as for the
# FreeBSD release above (on Linux, pkg refuses a package whose ABI is not
# the host's unless told), for at most PKG_TIMEOUT seconds (300).
pkg8() {
    timeout "${PKG_TIMEOUT:-300}" "$PKG" -o ABI="$FREEBSD_ABI" -o OSVERSION="$FREEBSD_OSVERSION" "$@"
}

# --- The FreeBSD port ----------------------------------------------------------

FREEBSD_PORT=packaging/freebsd/net-mgmt/netdata-plugin-tcp-resets

# VAR= value lines of the port's Makefile (one line each there).
port_var() {
    sed -n "s/^$1=[[:space:]]*//p" "$FREEBSD_PORT/Makefile" | head -n 1
}

# One dependency, name>=version:origin.
port_run_depends() {
    local deps
    deps=$(port_var RUN_DEPENDS)
    [[ $deps =~ ^([a-z0-9_-]+)\>=([0-9][0-9A-Za-z._,]*):([a-z0-9-]+/[A-Za-z0-9_.+-]+)$ ]] \
        || die "$FREEBSD_PORT/Makefile: RUN_DEPENDS '$deps' is not one name>=version:origin"
    # shellcheck disable=SC2034 # read by the scripts that source this file
    DEP_NAME=${BASH_REMATCH[1]} DEP_VERSION=${BASH_REMATCH[2]} DEP_ORIGIN=${BASH_REMATCH[3]}
}
