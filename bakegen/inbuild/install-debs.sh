#!/bin/sh
# Install downloaded Debian packages (debs.sh's output) into the image, leaving a layer that does not
# depend on the clock. Used by the Dockerfile's runtime stages, which run only dpkg (under emulation
# for a foreign platform).
#
# What dpkg and the maintainer scripts write is dated by the image the step starts from (redate.sh,
# mounted beside this script), and the files that record the clock or the inodes go: dpkg's and
# apt's logs, debconf's and dpkg's backups of their previous state, and ldconfig's aux-cache (file
# times and inode numbers of the libraries; ldconfig rebuilds it when it needs it).
#
# Usage: install-debs.sh DIR
set -eu
redate="$(dirname "$0")/redate.sh"
epoch="$(sh "$redate" newest)"
if ls "$1"/*.deb >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive dpkg --install "$1"/*.deb
fi
rm -rf /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old
sh "$redate" clamp "$epoch"
