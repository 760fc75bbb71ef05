#!/bin/sh
# apt-get for the Dockerfile's RUN steps and debs.sh. It trusts the CA bundle given as the optional
# "ca" build secret for HTTPS package sources (a TLS-intercepting proxy, a private mirror), so the
# bundle never reaches a layer. Without the secret it is plain apt-get. The RUN step mounts the
# secret (--mount=type=secret,id=ca,required=false).
#
# Usage: apt.sh APT-GET-ARGUMENT...
#        apt.sh extra PACKAGE[/SUITE]...
# "extra" installs a flag set's own tools; a package named with /SUITE comes from that Debian suite
# (e.g. clang-21/sid), which is added to apt's sources beside the base image's own, from the same
# archive. apt takes from that suite only what the package needs and the base suite lacks.
set -eu
if [ -s /run/secrets/ca ]; then ca="-o Acquire::https::CAInfo=/run/secrets/ca"; else ca=; fi
if [ "${1:-}" = extra ]; then
  shift
  # The archive the base image uses: deb822 sources (bookworm on) or a one-line sources.list.
  uri="$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)"
  [ -n "$uri" ] || uri="$(sed -n 's/^deb \([^ ]*\) .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n 1)"
  for pkg in "$@"; do
    case "$pkg" in
      */*)
        suite=${pkg#*/}
        [ -e "/etc/apt/sources.list.d/extra-$suite.list" ] \
          || echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${uri:-http://deb.debian.org/debian} $suite main" \
               > "/etc/apt/sources.list.d/extra-$suite.list" ;;
    esac
  done
  apt-get $ca update -qq
  exec apt-get $ca install -y -qq --no-install-recommends "$@"
fi
exec apt-get $ca "$@"
