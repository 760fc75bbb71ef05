#!/bin/sh
# Configure, compile (with PGO: train, then compile again) and install CPython in /usr/local. Used by
# the Dockerfile's build stage, which hands the build args over as the environment:
#   PYTHON_VERSION, OPTIMAL (PGO), LTO, FREETHREADED (--disable-gil), TARGETARCH (the image's
#   platform), HARDENING (groups of flags.sh), and a flag set's own additions: EXTRA_CONFIGURE (configure arguments, NAME=value
#   among them, in shell quoting), EXTRA_CFLAGS, EXTRA_LDFLAGS, PROFILE_TASK (the PGO training run's
#   arguments to python) and EXTRA_MAKE (make variables, in shell quoting).
#
# Usage: compile.sh TARBALL
set -eux
tarball=$1
here="$(dirname "$0")"
. "$here/lib.sh"
TARGET_ARCH="$(deb_arch "$TARGETARCH")"
set -- --build="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)" --prefix=/usr/local \
  --enable-loadable-sqlite-extensions --with-ensurepip=no

if is_cross; then
  host_type="$(gnu_type "$TARGET_ARCH")"
  # configure cannot run target programs to probe these:
  # https://docs.python.org/3/using/configure.html#cross-compiling-options
  set -- "$@" --host="$host_type" --with-build-python="$(build_python)" \
    ac_cv_file__dev_ptmx=yes ac_cv_file__dev_ptc=no ac_cv_buggy_getaddrinfo=no \
    PKG_CONFIG_LIBDIR="/usr/lib/$host_type/pkgconfig:/usr/share/pkgconfig"
fi
if [ "$OPTIMAL" = 1 ]; then set -- "$@" --enable-optimizations; fi
# Without PGO nothing runs the test suite, so its C modules and files need not be built or installed
# (they would be deleted afterwards anyway). --disable-test-modules exists from 3.10 on.
case "$OPTIMAL/$PYTHON_VERSION" in 1/*|*/2.*|*/3.[0-9].*) ;; *) set -- "$@" --disable-test-modules ;; esac
if [ "$LTO" = 1 ]; then set -- "$@" --with-lto; fi
if [ "$FREETHREADED" = 1 ]; then set -- "$@" --disable-gil; fi

# Hardening, and a flag set's own flags. CFLAGS_NODIST and LDFLAGS_NODIST build the interpreter and the
# stdlib's extension modules only: the flags sysconfig hands to extension modules built later by pip
# stay CPython's own, as in the official images, which pass theirs to make alone.
cflags="$(sh "$here/flags.sh" cflags "$TARGET_ARCH" "$HARDENING") ${EXTRA_CFLAGS:-}"
ldflags="$(sh "$here/flags.sh" ldflags "$TARGET_ARCH" "$HARDENING") ${EXTRA_LDFLAGS:-}"
case "$PYTHON_VERSION" in
  # Python 2 defaults to UCS-2; every Linux distribution and manylinux wheel expects UCS-4.
  # https://peps.python.org/pep-0513/#ucs-2-vs-ucs-4-builds
  # It has no CFLAGS_NODIST (Makefile.pre.in of 2.7.18), so its flags go to CFLAGS and LDFLAGS.
  2.*) set -- "$@" --enable-unicode=ucs4 CFLAGS="$cflags" LDFLAGS="$ldflags" ;;
  *) set -- "$@" CFLAGS_NODIST="$cflags" LDFLAGS_NODIST="$ldflags" ;;
esac
eval "set -- \"\$@\" ${EXTRA_CONFIGURE:-}"

mkdir -p /usr/src/python
tar --extract --file "$tarball" --directory /usr/src/python --strip-components=1
# The release's date (its newest file), not the clock's: the build date in sys.version, which GCC's
# __DATE__ and __TIME__ take from SOURCE_DATE_EPOCH
# (https://gcc.gnu.org/onlinedocs/cpp/Environment-Variables.html), and the file times afterwards.
SOURCE_DATE_EPOCH="$(sh "$here/redate.sh" newest /usr/src/python)"
export SOURCE_DATE_EPOCH
echo "$SOURCE_DATE_EPOCH" > /source-date-epoch
cd /usr/src/python
./configure "$@"

eval "set -- ${EXTRA_MAKE:-}"
case "$PYTHON_VERSION" in
  # Python 2's regrtest runs the PGO training tests in one process only.
  2.*) make -j "$(nproc)" "$@" ;;
  *)
    # The PGO training run is CPython's test suite; -j0 runs it on every core instead of one.
    profile_task="${PROFILE_TASK:-"-m test --pgo -j0 --timeout=\$(TESTTIMEOUT)"}"
    if [ "$LTO" = 1 ]; then
      # The instrumented build only runs the training, so link-time optimization is wasted there:
      # its serial whole-program links (_freeze_module, python) took 216 s of 12 minutes. Build it
      # without LTO; the final build has it. The profile still matches each function (GCC checks
      # that, and a mismatch is an error).
      nolto() { sed -n "s/^$1=//p" Makefile | tr ' ' '\n' \
        | grep -v -e '^-flto' -e '^-fuse-linker-plugin$' -e '^-ffat-lto-objects$' | tr '\n' ' '; }
      make -j "$(nproc)" profile-run-stamp PROFILE_TASK="$profile_task" \
        CONFIGURE_CFLAGS_NODIST="$(nolto CONFIGURE_CFLAGS_NODIST)" \
        CONFIGURE_LDFLAGS_NODIST="$(nolto CONFIGURE_LDFLAGS_NODIST)" "$@"
    fi
    make -j "$(nproc)" PROFILE_TASK="$profile_task" "$@" ;;
esac
# The flags the core was compiled with, as make expands them: the proof that -O3 and the hardening
# are in force (a later flag of the same kind overrides an earlier one).
make --no-print-directory -s -f Makefile -f - print-core-cflags <<'EOF' || true
print-core-cflags:
	@echo "compile flags: $(PY_CORE_CFLAGS)"
EOF
make install
cd /
rm -rf /usr/src/python
