#!/bin/sh
# The hardening flags of a CPython build, by group and target architecture. Used by compile.sh; the
# `hardening` check of `bakegen test` looks in the built ELF files for what each group promises.
#
# The flags are those of Debian trixie's dpkg-buildflags (dpkg-dev 1.22.22) with
# DEB_BUILD_MAINT_OPTIONS=hardening=+all, as it printed them for amd64 and arm64:
#   CFLAGS   -fstack-protector-strong -fstack-clash-protection -Wformat -Werror=format-security
#            -fcf-protection (amd64) | -mbranch-protection=standard (arm64)
#   CPPFLAGS -D_FORTIFY_SOURCE=2
#   LDFLAGS  -Wl,-z,relro -Wl,-z,now
# and PIE, which Debian's gcc and clang give by default: the group adds no flag (an explicit -pie
# would clash with -shared in the extension modules' links) but is what the check then expects.
# They are written out rather than asked of dpkg-buildflags, because an older suite's dpkg gives
# fewer (bullseye's has neither stack-clash nor branch protection), though its compiler takes them.
#
#   flags.sh groups                 every group, one per line
#   flags.sh cflags ARCH GROUPS     compiler flags for Debian architecture ARCH
#   flags.sh ldflags ARCH GROUPS    linker flags
#
# GROUPS: "all", "none", or group names separated by spaces or commas.
set -eu
ALL="stack-protector fortify format stack-clash branch-protection pie relro bindnow"
mode=$1
if [ "$mode" = groups ]; then
  for g in $ALL; do echo "$g"; done
  exit 0
fi
[ $# -ge 2 ] || { echo "usage: flags.sh cflags|ldflags ARCH [GROUPS]" >&2; exit 2; }
arch=$2
groups="$(echo "${3:-all}" | tr ',' ' ')"
case "$groups" in
  all) groups=$ALL ;;
  none) groups= ;;
esac
out=
add() { out="${out:+$out }$*"; }
for g in $groups; do
  case "$mode/$g" in
    cflags/stack-protector) add -fstack-protector-strong ;;
    cflags/fortify) add -D_FORTIFY_SOURCE=2 ;;
    cflags/format) add -Wformat -Werror=format-security ;;
    cflags/stack-clash)
      # GCC implements it for these only (gcc/doc/invoke.texi, -fstack-clash-protection).
      case "$arch" in amd64|arm64|i386|ppc64el|s390x) add -fstack-clash-protection ;; esac ;;
    cflags/branch-protection)
      case "$arch" in
        amd64|i386) add -fcf-protection ;;
        arm64) add -mbranch-protection=standard ;;
      esac ;;
    ldflags/relro) add -Wl,-z,relro ;;
    ldflags/bindnow) add -Wl,-z,now ;;
    */pie|cflags/relro|cflags/bindnow|ldflags/stack-protector|ldflags/fortify|ldflags/format|ldflags/stack-clash|ldflags/branch-protection) ;;
    cflags/*|ldflags/*)
      echo "flags.sh: unknown hardening group \"$g\" (groups: $ALL, or all, or none)" >&2; exit 2 ;;
    *) echo "flags.sh: unknown mode $mode (groups, cflags or ldflags)" >&2; exit 2 ;;
  esac
done
echo "$out"
