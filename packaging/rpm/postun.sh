# shellcheck shell=sh
# The .rpm's %postun (cargo generate-rpm copies this text into the package;
# rpm runs it with /bin/sh after an erase, $1 = 0, or after an upgrade
# removed the old copy, $1 = 1).
#
# On erase: removes the documentation directory once it is empty. The
# package cannot own the directory: cargo-generate-rpm 0.21.1 fails on its
# directory entries (`dir = true`), so rpm would leave it behind.
if [ "$1" = 0 ]; then
    rmdir /usr/share/doc/netdata-plugin-tcp-resets 2>/dev/null || :
fi
# Asks a running netdata to drop the removed alarms (or load the upgraded
# ones). Never fails: netdata may be stopped or not installed.
if command -v netdatacli >/dev/null 2>&1; then
    timeout 10 netdatacli reload-health >/dev/null 2>&1 || :
fi
exit 0
