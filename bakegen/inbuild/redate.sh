#!/bin/sh
# File times that do not depend on the clock, so that a layer is the same from build to build. Used
# by the Dockerfile. BuildKit's own remedy, the exporter option rewrite-timestamp=true, fails on
# Docker's builder with the containerd image store, for --load and --push alike ("exporter option
# "rewrite-timestamp" conflicts with "unpack""): moby's exporter always unpacks (moby/moby
# builder/builder-next/exporter/overrides/wrapper.go @ 4be37b158b4037df0f1006d7bdc1f1b996e3b4e6).
#
#   redate.sh newest [DIR...]       the newest modification time (seconds) of the regular files
#   redate.sh clamp EPOCH [DIR...]  every file, folder and link newer than EPOCH gets EPOCH
#
# DIR defaults to /. Mount points are skipped with what lies below them: they are BuildKit's
# (/etc/hosts, /etc/resolv.conf, /proc, the step's --mount targets), not the step's files, and may be
# read-only. So a step that runs `newest` before it writes anything and `clamp` with that time at its
# end dates what it wrote by the image it started from, and leaves that image's own files alone.
set -eu
mode=$1
shift
if [ "$mode" = clamp ]; then
  epoch=$1
  shift
fi
[ $# -gt 0 ] || set -- /
# One "-path MOUNTPOINT -prune -o" per mount point but the root (mountinfo's fifth field).
skip="$(awk '$5 != "/" { printf "-path %s -prune -o ", $5 }' /proc/self/mountinfo)"
case "$mode" in
  newest) find "$@" -xdev $skip -type f -printf '%T@\n' | sort -n | tail -n 1 | cut -d. -f1 ;;
  clamp) find "$@" -xdev $skip -newermt "@$epoch" -exec touch --no-dereference --date="@$epoch" '{}' + ;;
  *) echo "redate.sh: unknown mode $mode (newest or clamp)" >&2; exit 2 ;;
esac
