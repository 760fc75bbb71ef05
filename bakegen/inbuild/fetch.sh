#!/bin/sh
# Download every Debian package a build needs, on the builder's own platform, in one step: the
# toolchain (compiler, -dev packages, a cross build's native python), and ca-certificates, netbase
# and tzdata for the image. apt resolves against the dpkg status of the image the packages go into
# (debs.sh), so the stages that install them run only dpkg, which matters under emulation. The
# package lists stay in this stage's layer: runtime-debs.sh resolves the image's libraries offline
# against the same lists once CPython is built.
#
# Environment (the build args): TARGETARCH, BUILD_ON (host: cross-compile on this platform; target:
# compile on the image's platform), TOOLS, BUILD_DEPS, EXTRA_PACKAGES, PYTHON_VERSION.
# Usage: fetch.sh TARGET-STATUS   (the dpkg status of the image's base, for the image's platform)
set -eu
here="$(dirname "$0")"
. "$here/lib.sh"
target_status=$1
target="$(deb_arch "$TARGETARCH")"
native="$(dpkg --print-architecture)"
rm -f /etc/apt/apt.conf.d/docker-clean
[ "$target" = "$native" ] || dpkg --add-architecture "$target"

# A flag set's own tools may name another Debian suite (clang-21/sid): add it beside the base's own,
# from the same archive. Its Release file is not refused for its age (check-valid-until=no), as a mirror's copy of sid may
# lag behind: such tools only build a campaign's images, never the published ones.
uri="$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)"
[ -n "$uri" ] || uri="$(sed -n 's/^deb \([^ ]*\) .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n 1)"
for pkg in $EXTRA_PACKAGES; do
  case "$pkg" in */*)
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg check-valid-until=no] ${uri:-http://deb.debian.org/debian} ${pkg#*/} main" \
      > "/etc/apt/sources.list.d/extra-${pkg#*/}.list"
    # Below the base suite (500): its packages never replace the base's, in the toolchain or in the
    # image (runtime-debs.sh resolves against these lists too), unless one needs them.
    printf 'Package: *\nPin: release n=%s\nPin-Priority: 100\n' "${pkg#*/}" > "/etc/apt/preferences.d/extra-${pkg#*/}" ;;
  esac
done
sh "$here/apt.sh" update -qq

# The toolchain, for the platform that compiles. Cross: Debian's crossbuild-essential and the
# image's -dev packages through multiarch; the native -dev packages serve a build python compiled
# here (build-python.sh). Berkeley DB's (libdb5.3-dev) is not Multi-Arch: same, so it cannot sit
# beside the image's; that build python needs no dbm. Debian's python3.X, where the suite has it,
# is the build python instead (lib.sh build_python).
set -- $TOOLS $EXTRA_PACKAGES
if [ "$BUILD_ON" = target ] || [ "$target" = "$native" ]; then
  set -- "$@" $BUILD_DEPS
else
  set -- "$@" "crossbuild-essential-$target"
  for dep in $BUILD_DEPS; do
    set -- "$@" "$dep:$target"
    [ "$dep" = libdb-dev ] || set -- "$@" "$dep"
  done
fi
if [ "$BUILD_ON" = target ]; then
  ARCH="$target" sh "$here/debs.sh" "$target_status" /fetch/toolchain "$@"
else
  ARCH="$native" sh "$here/debs.sh" /var/lib/dpkg/status /fetch/toolchain "$@"
  if [ "$target" != "$native" ]; then
    ARCH="$native" sh "$here/debs.sh" /var/lib/dpkg/status /fetch/toolchain "python$(py_minor)" >/dev/null 2>&1 \
      || echo "fetch.sh: Debian has no python$(py_minor) here; build-python.sh compiles one"
  fi
fi
ARCH="$target" sh "$here/debs.sh" "$target_status" /fetch/common ca-certificates netbase tzdata
