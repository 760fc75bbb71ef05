# Slim CPython images. docker-bake.hcl sets every build arg below; see README.md.
# No "# syntax=" line on purpose: the engine's built-in Dockerfile frontend is used, so builds work
# where no frontend image can be pulled (air-gapped builders).
#
# Stages, in build order (→ what each one feeds):
#   source            the CPython tarball, checked against its sha256               → build
#   setuptools-wheel  below 3.12, setuptools and wheel, checked against their sha256 → build
#   host              the builder's platform, set up to fetch the target's packages → toolchain-host,
#                                                                                    common-debs
#   toolchain-host    compiler and -dev packages there, cross to a foreign target   → build (BUILD_ON=host)
#   toolchain-target  compiler and -dev packages on the target platform             → build (BUILD_ON=target)
#   preflight         refuses bad switches (OPTIMAL, LTO, FREETHREADED) at once     → build
#   common-debs       ca-certificates, netbase, tzdata, downloaded for the target   → runtime-common
#   runtime-common    the base image with those installed, while CPython compiles   → runtime
#   build             CPython in /usr/local, and the .debs of the libraries it loads → runtime
#   runtime           the image; runtime-python2 is the same with CMD python (2.7)
#   sbom-generator    bakegen's offline SBOM generator for BuildKit (a bake target of its own)
# The bake targets build runtime or runtime-python2. The "reference" target, the official recipe for
# comparison, has a Dockerfile of its own: bakegen/compare/Dockerfile.
#
# Helper scripts from bakegen/inbuild/ are bind-mounted file by file, so a change to one reruns only
# the steps that use it. Every apt-get goes through apt.sh, which trusts the optional "ca" secret.

ARG BASE_IMAGE=debian:trixie-slim
# Where CPython is compiled. "host": on the builder's own platform, cross-compiling for a foreign
# target, so no compiler runs under emulation. "target": on the target platform itself, natively or
# emulated. PGO must run the interpreter it compiled, so the optimized variants use "target".
ARG BUILD_ON=target
# 1: also setuptools and wheel, as the official images below Python 3.12 carry (see below).
ARG SETUPTOOLS_WHEEL=0
# What compiling CPython needs, in both toolchain stages: the tools, and the -dev packages of the
# libraries it links (for a foreign target, installed as <pkg>:<arch> beside the cross toolchain).
# tk-dev is left out on purpose: the images ship without Tcl/Tk. libzstd-dev serves
# compression.zstd in 3.14+.
# libdb-dev (Berkeley DB) backs dbm.ndbm (_dbm), as in the official images, whose recipe installs it
# (docker-library/python 3.13/slim-trixie/Dockerfile @ 3f2d7e4c339ab883455b81a873519f1d0f2cd80a).
# Its runtime library costs nothing: libdb5.3t64 (1854 KiB installed) is already in Debian's slim
# base, as libpam-modules pre-depends on it. gdbm's ndbm emulation (libgdbm-compat-dev), which
# CPython's configure would pick first (--with-dbmliborder defaults to gdbm:ndbm:bdb), would add
# libgdbm-compat4t64 (75 KiB), and it keeps a database in NAME.dir and NAME.pag
# (https://www.gnu.org/software/gdbm/manual/Compatibility.html) where Berkeley DB keeps NAME.db:
# ndbm files written on an official image would not open here. No --with-dbmliborder, so
# CONFIG_ARGS stay like the official images'.
ARG TOOLS="binutils dpkg-dev gcc libc6-dev make pkg-config xz-utils"
ARG BUILD_DEPS="libbz2-dev libdb-dev libffi-dev libgdbm-dev liblzma-dev libncurses-dev libreadline-dev libsqlite3-dev libssl-dev libzstd-dev uuid-dev zlib1g-dev"

# ---------------------------------------------------------------------------------------------------
# The upstream tarball, verified against the published sha256 before anything uses it.
FROM scratch AS source
ARG PYTHON_VERSION
ARG PYTHON_SHA256
# Path below PYTHON_MIRROR, python.org's /ftp/python layout: 3.13.15/Python-3.13.15.tar.xz
ARG PYTHON_TARBALL=${PYTHON_VERSION}/Python-${PYTHON_VERSION}.tar.xz
ARG PYTHON_MIRROR=https://www.python.org/ftp/python
ADD --checksum=sha256:${PYTHON_SHA256} ${PYTHON_MIRROR}/${PYTHON_TARBALL} /python.tar

# setuptools and wheel, which the official images install below Python 3.12
# (docker-library/python#954), at the versions they pin: docker-library/python
# 3.11/slim-trixie/Dockerfile @ 36a143fa936edad66b384fb81d684daf346e5d34 runs
# `pip3 install 'setuptools==65.5.1' 'wheel<0.46'` (wheel: docker-library/python#1023), and 0.45.1
# is the newest wheel below 0.46. Fetched from PyPI by the builder and checked against PyPI's sha256,
# as the tarball is; the build installs them without network or bytecode (pipwheels.py).
# SETUPTOOLS_WHEEL picks the stage, so the other images fetch nothing.
FROM scratch AS setuptools-wheel-0
FROM scratch AS setuptools-wheel-1
ADD --checksum=sha256:d0b9a8433464d5800cbe05094acf5c6d52a91bfac9b52bcfc4d41382be5d5d31 \
    https://files.pythonhosted.org/packages/b6/40/353c051f77ee5618adaf1fd96f4f6bae9714ed0a22c7142c01c24eb77fe4/setuptools-65.5.1-py3-none-any.whl /
ADD --checksum=sha256:708e7481cc80179af0e556bbf0cc00b8444c7321e2700b8d8580231d13017248 \
    https://files.pythonhosted.org/packages/0b/2c/87f3254fd8ffd29e4c02732eee68a83a1d3c346ae39bc6822dcbcb697f2b/wheel-0.45.1-py3-none-any.whl /
FROM setuptools-wheel-${SETUPTOOLS_WHEEL} AS setuptools-wheel

# ---------------------------------------------------------------------------------------------------
# The builder's own platform, prepared for apt to fetch the target's packages: the Debian name of the
# target architecture in /target-arch, and that architecture added to dpkg when it is a foreign one.
# The apt caches live in cache mounts, so neither lists nor .debs reach a layer.
FROM --platform=$BUILDPLATFORM ${BASE_IMAGE} AS host
ARG TARGETARCH
RUN set -eu; \
    rm -f /etc/apt/apt.conf.d/docker-clean; \
    case "$TARGETARCH" in ppc64le) echo ppc64el ;; 386) echo i386 ;; arm) echo armhf ;; *) echo "$TARGETARCH" ;; esac > /target-arch; \
    [ "$(cat /target-arch)" = "$(dpkg --print-architecture)" ] || dpkg --add-architecture "$(cat /target-arch)"

# Toolchains. Cross: Debian's crossbuild-essential and the target's -dev packages through multiarch.
FROM host AS toolchain-host
ARG TOOLS
ARG BUILD_DEPS
ARG BUILDARCH
RUN --mount=type=bind,source=bakegen/inbuild/apt.sh,target=/usr/src/apt.sh \
    --mount=type=cache,id=bakegen-apt-cache-$BUILDARCH,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,id=bakegen-apt-lists-$BUILDARCH,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    set -eu; \
    target="$(cat /target-arch)"; \
    set -- $TOOLS; \
    if [ "$target" = "$(dpkg --print-architecture)" ]; then \
      set -- "$@" $BUILD_DEPS; \
    else \
      set -- "$@" "crossbuild-essential-$target"; \
      # The native -dev packages serve a build python compiled here (build step 1). Berkeley DB's
      # (libdb5.3-dev) is not Multi-Arch: same, so it cannot sit beside the target's; that build
      # python needs no dbm.
      for dep in $BUILD_DEPS; do \
        set -- "$@" "$dep:$target"; \
        [ "$dep" = libdb-dev ] || set -- "$@" "$dep"; \
      done; \
    fi; \
    sh /usr/src/apt.sh update -qq; \
    sh /usr/src/apt.sh install -y -qq --no-install-recommends "$@"

FROM ${BASE_IMAGE} AS toolchain-target
ARG TOOLS
ARG BUILD_DEPS
# A flag set's own tools, e.g. "clang-21/sid lld-21/sid": NAME/SUITE takes a package from another
# Debian suite (apt.sh extra). Empty for the images bakegen publishes.
ARG EXTRA_PACKAGES=
ARG TARGETARCH
RUN --mount=type=bind,source=bakegen/inbuild/apt.sh,target=/usr/src/apt.sh \
    --mount=type=cache,id=bakegen-apt-cache-$TARGETARCH,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,id=bakegen-apt-lists-$TARGETARCH,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    set -eu; \
    rm -f /etc/apt/apt.conf.d/docker-clean; \
    sh /usr/src/apt.sh update -qq; \
    sh /usr/src/apt.sh install -y -qq --no-install-recommends $TOOLS $BUILD_DEPS; \
    if [ -n "$EXTRA_PACKAGES" ]; then sh /usr/src/apt.sh extra $EXTRA_PACKAGES; fi

# ---------------------------------------------------------------------------------------------------
# Refuses a bad combination of switches. It runs beside the slow stages and fails the build at once.
FROM --platform=$BUILDPLATFORM ${BASE_IMAGE} AS preflight
ARG PYTHON_VERSION
ARG OPTIMAL=0
ARG LTO=0
ARG FREETHREADED=0
RUN set -eu; \
    case "$OPTIMAL/$LTO" in 0/0|1/0|1/1) ;; \
      0/1) echo "bakegen: LTO=1 needs OPTIMAL=1 (link-time optimization is only offered on top of PGO)" >&2; exit 1 ;; \
      *) echo "bakegen: OPTIMAL and LTO take 0 or 1, got OPTIMAL=$OPTIMAL LTO=$LTO" >&2; exit 1 ;; \
    esac; \
    [ -n "${PYTHON_VERSION:-}" ] || { echo "bakegen: PYTHON_VERSION is not set" >&2; exit 1; }; \
    # --disable-gil (PEP 703) exists from CPython 3.13 on.
    case "$FREETHREADED/$PYTHON_VERSION" in 0/*|1/3.1[3-9].*|1/3.[2-9][0-9].*|1/[4-9].*) ;; \
      1/*) echo "bakegen: FREETHREADED=1 needs Python 3.13 or later (--disable-gil, PEP 703), not PYTHON_VERSION=$PYTHON_VERSION" >&2; exit 1 ;; \
      *) echo "bakegen: FREETHREADED takes 0 or 1, got FREETHREADED=$FREETHREADED" >&2; exit 1 ;; \
    esac; \
    touch /preflight-ok

# ---------------------------------------------------------------------------------------------------
# Runtime packages. apt resolves and downloads them on the build platform (bakegen/inbuild/debs.sh); the
# runtime stages, emulated for a foreign platform, only run dpkg. The packages every image needs,
# whatever CPython links, get a stage of their own that does not wait for the compile: BuildKit
# installs them meanwhile. (Under emulation, ca-certificates' maintainer scripts alone take a minute.)
FROM ${BASE_IMAGE} AS base

FROM host AS common-debs
ARG BUILDARCH
RUN --mount=type=bind,from=base,source=/var/lib/dpkg/status,target=/tmp/target-status \
    --mount=type=bind,source=bakegen/inbuild/debs.sh,target=/usr/src/debs.sh \
    --mount=type=bind,source=bakegen/inbuild/apt.sh,target=/usr/src/apt.sh \
    --mount=type=cache,id=bakegen-apt-lists-$BUILDARCH,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    sh /usr/src/debs.sh /tmp/target-status /debs ca-certificates netbase tzdata

FROM base AS runtime-common
RUN --mount=type=bind,from=common-debs,source=/debs,target=/tmp/debs \
    --mount=type=bind,source=bakegen/inbuild/install-debs.sh,target=/usr/src/install-debs.sh \
    --mount=type=bind,source=bakegen/inbuild/redate.sh,target=/usr/src/redate.sh \
    sh /usr/src/install-debs.sh /tmp/debs

# ---------------------------------------------------------------------------------------------------
# CPython, in /usr/local. Four steps, so that a change to a later one never recompiles CPython.
FROM toolchain-${BUILD_ON} AS build
ARG BUILDARCH
ARG PYTHON_VERSION
# OPTIMAL=1: profile-guided optimization. LTO=1: link-time optimization, only on top of PGO.
ARG OPTIMAL=0
ARG LTO=0

# 1. The interpreter the build runs to freeze modules and byte-compile, in /build-python. A native
#    build runs the one it builds. A cross build needs a native one of the same minor version
#    (configure checks major.minor only): Debian's own, where the suite has it; else one built here,
#    as a tool only: no test modules, PGO or install. The host stage named the target architecture;
#    a build on the target platform is native. A GIL build serves a free-threaded target too: what
#    it does there (freeze modules, byte-compile) reads no Py_GIL_DISABLED in 3.13 (Python/marshal.c,
#    Programs/_freeze_module.py), and a free-threaded CPython keeps the cache tag cpython-313.
RUN --mount=type=bind,from=preflight,source=/preflight-ok,target=/tmp/preflight-ok \
    --mount=type=bind,from=source,source=/python.tar,target=/usr/src/python.tar \
    --mount=type=bind,source=bakegen/inbuild/apt.sh,target=/usr/src/apt.sh \
    --mount=type=cache,id=bakegen-apt-cache-$BUILDARCH,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,id=bakegen-apt-lists-$BUILDARCH,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    set -eux; \
    host="$(dpkg --print-architecture)"; \
    [ -s /target-arch ] || echo "$host" > /target-arch; \
    minor="$(echo "$PYTHON_VERSION" | cut -d. -f1,2)"; \
    if [ "$(cat /target-arch)" = "$host" ]; then \
      echo "/usr/local/bin/python$minor" > /build-python; \
    # The package lists in the cache mount may be older than the archive (a .deb they name is gone):
    # refreshed once and tried again, as debs.sh does, before building a build python instead.
    elif sh /usr/src/apt.sh install -y -qq --no-install-recommends "python$minor" >/dev/null 2>&1 \
         || { sh /usr/src/apt.sh update -qq \
              && sh /usr/src/apt.sh install -y -qq --no-install-recommends "python$minor" >/dev/null; }; then \
      echo "/usr/bin/python$minor" > /build-python; \
    else \
      mkdir -p /usr/src/build-python; \
      tar --extract --file /usr/src/python.tar --directory /usr/src/build-python --strip-components=1; \
      cd /usr/src/build-python; \
      ./configure --quiet --disable-test-modules --with-ensurepip=no OPT="-DNDEBUG -O1"; \
      make --quiet -j "$(nproc)" python sharedmods; \
      echo /usr/src/build-python/python > /build-python; \
    fi

# FREETHREADED=1: the free-threaded build (--disable-gil, PEP 703), 3.13 and later. Its ABI flag "t"
# names the interpreter (python3.13t; python3.13 points to it), the stdlib and site-packages
# (lib/python3.13t) and the headers (include/python3.13t): Makefile.pre.in's altbininstall, LIBDEST
# and INCLUDEPY (python/cpython v3.13.15). Declared after step 1, so that the GIL and the
# free-threaded build of a release share their build python.
ARG FREETHREADED=0

# Compiler and linker flags. HARDENING: the hardening groups of bakegen/inbuild/flags.sh ("all",
# "none" or a list); the image's label io.bakegen.hardening promises them. The EXTRA_* args and
# PROFILE_TASK are a flag set's own (`bakegen campaign`, README: flag campaigns); empty for the
# images bakegen publishes.
ARG HARDENING=all
ARG EXTRA_CONFIGURE=
ARG EXTRA_CFLAGS=
ARG EXTRA_LDFLAGS=
ARG PROFILE_TASK=
ARG EXTRA_MAKE=

# 2. Configure, compile (with PGO: train, then compile again) and install.
RUN --mount=type=bind,from=source,source=/python.tar,target=/usr/src/python.tar \
    --mount=type=bind,source=bakegen/inbuild/compile.sh,target=/usr/src/compile.sh \
    --mount=type=bind,source=bakegen/inbuild/flags.sh,target=/usr/src/flags.sh \
    --mount=type=bind,source=bakegen/inbuild/redate.sh,target=/usr/src/redate.sh \
    TARGET_ARCH="$(cat /target-arch)" BUILD_PYTHON="$(cat /build-python)" sh /usr/src/compile.sh /usr/src/python.tar

# 3. What the images leave out, and stripped binaries.
RUN set -eux; \
    target="$(cat /target-arch)"; \
    strip=strip; \
    if [ "$target" != "$(dpkg --print-architecture)" ]; then \
      strip="$(dpkg-architecture --host-arch "$target" --query DEB_HOST_GNU_TYPE 2>/dev/null)-strip"; \
    fi; \
    # Tk is not built, so the modules that need it could never import.
    rm -rf /usr/local/lib/python*/tkinter /usr/local/lib/python*/lib-tk /usr/local/lib/python*/idlelib \
           /usr/local/lib/python*/turtledemo /usr/local/bin/idle*; \
    find /usr/local -depth \
      \( \( -type d -a \( -name test -o -name tests -o -name idle_test -o -name __pycache__ \) \) \
         -o \( -type f -a \( -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' \) \) \) \
      -exec rm -rf '{}' +; \
    find /usr/local -type f \( -name '*.so' -o -name '*.so.*' \) -exec "$strip" --strip-unneeded '{}' +; \
    for bin in /usr/local/bin/python?.*; do case "$bin" in *-config) ;; *) "$strip" --strip-all "$bin" ;; esac; done

# 4. The Debian packages whose shared libraries the interpreter and its extension modules load (read
#    from the ELF headers, so this works for a foreign target too), downloaded for the runtime stage:
#    what runtime-common lacks.
RUN --mount=type=bind,from=runtime-common,source=/var/lib/dpkg/status,target=/tmp/target-status \
    --mount=type=bind,source=bakegen/inbuild/debs.sh,target=/usr/src/debs.sh \
    --mount=type=bind,source=bakegen/inbuild/apt.sh,target=/usr/src/apt.sh \
    --mount=type=cache,id=bakegen-apt-lists-$BUILDARCH,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    set -eu; \
    host_type="$(dpkg-architecture --host-arch "$(cat /target-arch)" --query DEB_HOST_GNU_TYPE 2>/dev/null)"; \
    find /usr/local -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) -exec readelf --dynamic '{}' + 2>/dev/null \
      | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u \
      | while read -r so; do dpkg-query --search "*/$host_type/$so"; done 2>/dev/null \
      | grep -v '^diversion by ' | cut -d: -f1 | sort -u > /runtime-packages; \
    cat /runtime-packages; \
    sh /usr/src/debs.sh /tmp/target-status /debs $(cat /runtime-packages)

# Finishing /usr/local, in a step of its own so that changing it never recompiles CPython.
# - The C test modules that PGO builds for its training run go, so that every variant ships the set
#   --disable-test-modules gives; turtle.py goes with the rest of Tk.
# - pip, from the wheels ensurepip bundles, laid out as `ensurepip --default-pip` would, by an
#   interpreter of the build platform (the build python when cross-compiling): the target's own
#   interpreter only runs emulated there, where importing pip from source takes over a minute.
#   With SETUPTOOLS_WHEEL=1, setuptools and wheel at the official images' versions too (a bundled
#   setuptools gives way to that one).
# - A free-threaded build's python3.13, which make install hard-links to python3.13t, becomes a
#   symlink to it: the copy into the runtime stage keeps no hard link, and the image would carry the
#   interpreter twice (6 MB more, measured on arm64).
RUN --mount=type=bind,source=bakegen/inbuild/pipwheels.py,target=/usr/src/pipwheels.py \
    --mount=type=bind,from=setuptools-wheel,target=/usr/src/wheels \
    set -eu; \
    minor="$(echo "$PYTHON_VERSION" | cut -d. -f1,2)"; \
    major="${minor%.*}"; \
    abi="$(if [ "$FREETHREADED" = 1 ]; then echo t; fi)"; \
    lib="/usr/local/lib/python$minor$abi"; \
    rm -f "$lib"/lib-dynload/_test* "$lib"/lib-dynload/_xxtestfuzz* "$lib"/lib-dynload/_ctypes_test* \
          "$lib"/lib-dynload/xx* "$lib"/lib-tk/turtle.py "$lib"/turtle.py; \
    set -- /usr/src/wheels/*.whl; [ -e "$1" ] || set --; \
    PYTHONDONTWRITEBYTECODE=1 "$(cat /build-python)" /usr/src/pipwheels.py /usr/local "$minor$abi" "$@"; \
    cd /usr/local/bin; \
    if [ -n "$abi" ]; then ln -sf "python$minor$abi" "python$minor"; fi; \
    for link in python pip pydoc python-config; do \
      versioned="$(echo "$link" | sed "s/^[a-z]*/&$major/")"; \
      [ -e "$link" ] || [ ! -e "$versioned" ] || ln -s "$versioned" "$link"; \
    done; \
    ls -l /usr/local/bin; \
    ! find /usr/local -name __pycache__ | grep .

# The build stage's last step: no file in /usr/local is dated after the release, so that the runtime
# stage's COPY gives the same layer from build to build. (The release's date, not SOURCE_DATE_EPOCH:
# a build arg would recompile CPython for every commit.)
RUN --mount=type=bind,source=bakegen/inbuild/redate.sh,target=/usr/src/redate.sh \
    sh /usr/src/redate.sh clamp "$(cat /source-date-epoch)" /usr/local

# ---------------------------------------------------------------------------------------------------
FROM runtime-common AS runtime

ENV PATH=/usr/local/bin:$PATH \
    LANG=C.UTF-8

RUN --mount=type=bind,from=build,source=/debs,target=/tmp/debs \
    --mount=type=bind,source=bakegen/inbuild/install-debs.sh,target=/usr/src/install-debs.sh \
    --mount=type=bind,source=bakegen/inbuild/redate.sh,target=/usr/src/redate.sh \
    sh /usr/src/install-debs.sh /tmp/debs

COPY --from=build /usr/local /usr/local

# The one check that needs the target platform: the extension modules find their libraries.
RUN python -B -c 'import ssl, sqlite3, zlib'

CMD ["python3"]

# Python 2 has no python3 command, so its images start python (2.7) instead.
FROM runtime AS runtime-python2
CMD ["python"]

# ---------------------------------------------------------------------------------------------------
# An SBOM generator for BuildKit that needs nothing from outside: bakegen/inbuild/sbom.py on Debian's own
# python3, so it builds in a minute. The "sbom-generator" bake target; see SBOM_GENERATOR there.
FROM ${BASE_IMAGE} AS sbom-generator
ARG TARGETARCH
RUN --mount=type=bind,source=bakegen/inbuild/apt.sh,target=/usr/src/apt.sh \
    --mount=type=cache,id=bakegen-apt-lists-$TARGETARCH,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    set -eu; \
    sh /usr/src/apt.sh update -qq; \
    sh /usr/src/apt.sh install -y -qq --no-install-recommends python3; \
    rm -rf /var/log/apt /var/log/dpkg.log
COPY bakegen/inbuild/sbom.py /usr/local/libexec/bakegen-sbom.py
ENTRYPOINT ["python3", "-I", "/usr/local/libexec/bakegen-sbom.py"]

# The last stage is what a plain `docker build .` gives: the runtime image.
FROM runtime
