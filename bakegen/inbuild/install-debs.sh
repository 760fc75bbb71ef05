#!/bin/sh
# Install downloaded Debian packages (debs.sh's output) into the image, leaving a layer that does not
# depend on the clock. Used by the Dockerfile's runtime stages, which run only dpkg (under emulation
# for a foreign platform).
#
# What dpkg and the maintainer scripts write is dated by the image the step starts from (redate.sh,
# mounted beside this script), and what records the clock goes: dpkg's and apt's logs, debconf's
# backups, and ldconfig's aux-cache where this step rewrote it. The aux-cache keeps the inode numbers
# and change times of the libraries, so it differed between two builds of the same commit (and was
# all that did); it only speeds ldconfig up, which writes it anew on its next run.
#
# Usage: install-debs.sh DIR
set -eu
redate="$(dirname "$0")/redate.sh"
epoch="$(sh "$redate" newest)"
if ls "$1"/*.deb >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive dpkg --install "$1"/*.deb
fi
rm -rf /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old
find /var/cache/ldconfig -name aux-cache -newermt "@$epoch" -delete
sh "$redate" clamp "$epoch"
