# shellcheck shell=sh
# The .rpm's %post (cargo generate-rpm copies this text into the package;
# rpm runs it with /bin/sh after an install or an upgrade).
#
# Asks a running netdata to load the new alarms (netdatacli talks to the
# agent over its command pipe; netdata finds the new plugin by itself within
# a minute). Never fails: netdata may be stopped, or not installed here at
# all (rpm --root into a bare tree, rpm --nodeps).
if command -v netdatacli >/dev/null 2>&1; then
    timeout 10 netdatacli reload-health >/dev/null 2>&1 || :
fi
exit 0
