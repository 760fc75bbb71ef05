# Slim CPython images. docker-bake.hcl sets every build arg below; see README.md.
# No "# syntax=" line on purpose: the engine's built-in Dockerfile frontend is used, so builds work
# where no frontend image can be pulled (air-gapped builders).

ARG BASE_IMAGE=debian:trixie-slim
# Where CPython is compiled. "host": on the builder's own platform, cross-compiling for a foreign
# target, so no compiler runs under emulation. "target": on the target platform itself, natively or
# emulated. PGO must run the interpreter it compiled, so the optimized variants use "target".
ARG BUILD_ON=target
# Build dependencies, the same list native and cross (as <pkg>:<arch>). tk-dev is left out on
# purpose: the images ship without Tcl/Tk. libzstd-dev serves compression.zstd in 3.14+.
ARG BUILD_DEPS="libbz2-dev libffi-dev libgdbm-dev liblzma-dev libncurses-dev libreadline-dev libsqlite3-dev libssl-dev libzstd-dev uuid-dev zlib1g-dev"

# ---------------------------------------------------------------------------------------------------
# The upstream tarball, verified against the published sha256 before anything uses it.
FROM scratch AS source
ARG PYTHON_VERSION
ARG PYTHON_SHA256
# Path below PYTHON_MIRROR, python.org's /ftp/python layout: 3.13.15/Python-3.13.15.tar.xz
ARG PYTHON_TARBALL=${PYTHON_VERSION}/Python-${PYTHON_VERSION}.tar.xz
ARG PYTHON_MIRROR=https://www.python.org/ftp/python
ADD --checksum=sha256:${PYTHON_SHA256} ${PYTHON_MIRROR}/${PYTHON_TARBALL} /python.tar

# ---------------------------------------------------------------------------------------------------
# The builder's own platform, prepared for apt to fetch the target's packages: the Debian name of the
# target architecture in /target-arch, and that architecture added to dpkg when it is a foreign one.
# The apt caches live in cache mounts, so neither lists nor .debs reach a layer; a CA bundle given as
# the "ca" build secret is trusted by apt for HTTPS sources.
FROM --platform=$BUILDPLATFORM ${BASE_IMAGE} AS host
ARG TARGETARCH
RUN set -eu; \
    rm -f /etc/apt/apt.conf.d/docker-clean; \
    case "$TARGETARCH" in ppc64le) echo ppc64el ;; 386) echo i386 ;; arm) echo armhf ;; *) echo "$TARGETARCH" ;; esac > /target-arch; \
    [ "$(cat /target-arch)" = "$(dpkg --print-architecture)" ] || dpkg --add-architecture "$(cat /target-arch)"

# Toolchains.
FROM host AS toolchain-host
ARG BUILD_DEPS
ARG BUILDARCH
RUN --mount=type=cache,id=bakegen-apt-cache-$BUILDARCH,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,id=bakegen-apt-lists-$BUILDARCH,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    set -eu; \
    ca=; if [ -s /run/secrets/ca ]; then ca="-o Acquire::https::CAInfo=/run/secrets/ca"; fi; \
    target="$(cat /target-arch)"; \
    set -- binutils dpkg-dev gcc libc6-dev make pkg-config xz-utils $BUILD_DEPS; \
    if [ "$target" != "$(dpkg --print-architecture)" ]; then \
      set -- "$@" "crossbuild-essential-$target"; \
      for dep in $BUILD_DEPS; do set -- "$@" "$dep:$target"; done; \
    fi; \
    apt-get $ca update -qq; \
    apt-get $ca install -y -qq --no-install-recommends "$@"

FROM ${BASE_IMAGE} AS toolchain-target
ARG BUILD_DEPS
ARG TARGETARCH
RUN --mount=type=cache,id=bakegen-apt-cache-$TARGETARCH,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,id=bakegen-apt-lists-$TARGETARCH,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    set -eu; \
    rm -f /etc/apt/apt.conf.d/docker-clean; \
    ca=; if [ -s /run/secrets/ca ]; then ca="-o Acquire::https::CAInfo=/run/secrets/ca"; fi; \
    apt-get $ca update -qq; \
    apt-get $ca install -y -qq --no-install-recommends binutils dpkg-dev gcc libc6-dev make pkg-config xz-utils $BUILD_DEPS

# ---------------------------------------------------------------------------------------------------
# Refuses a bad combination of switches. It runs beside the slow stages and fails the build at once.
FROM --platform=$BUILDPLATFORM ${BASE_IMAGE} AS preflight
ARG PYTHON_VERSION
ARG OPTIMAL=0
ARG LTO=0
RUN set -eu; \
    case "$OPTIMAL/$LTO" in 0/0|1/0|1/1) ;; \
      0/1) echo "bakegen: LTO=1 needs OPTIMAL=1 (link-time optimization is only offered on top of PGO)" >&2; exit 1 ;; \
      *) echo "bakegen: OPTIMAL and LTO take 0 or 1, got OPTIMAL=$OPTIMAL LTO=$LTO" >&2; exit 1 ;; \
    esac; \
    [ -n "${PYTHON_VERSION:-}" ] || { echo "bakegen: PYTHON_VERSION is not set" >&2; exit 1; }; \
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
    --mount=type=cache,id=bakegen-apt-lists-$BUILDARCH,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    sh /usr/src/debs.sh /tmp/target-status /debs ca-certificates netbase tzdata

FROM base AS runtime-common
RUN --mount=type=bind,from=common-debs,source=/debs,target=/tmp/debs \
    set -eu; \
    if ls /tmp/debs/*.deb >/dev/null 2>&1; then DEBIAN_FRONTEND=noninteractive dpkg --install /tmp/debs/*.deb; fi; \
    rm -rf /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old

FROM toolchain-${BUILD_ON} AS build
ARG BUILDARCH
ARG PYTHON_VERSION
# OPTIMAL=1: profile-guided optimization. LTO=1: link-time optimization, only on top of PGO.
ARG OPTIMAL=0
ARG LTO=0

RUN --mount=type=bind,from=preflight,source=/preflight-ok,target=/tmp/preflight-ok \
    --mount=type=bind,from=source,source=/python.tar,target=/usr/src/python.tar \
    --mount=type=cache,id=bakegen-apt-cache-$BUILDARCH,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,id=bakegen-apt-lists-$BUILDARCH,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    set -eux; \
    host="$(dpkg --print-architecture)"; \
    # The host stage named the target architecture; a build on the target platform is native.
    [ -s /target-arch ] || echo "$host" > /target-arch; \
    target="$(cat /target-arch)"; \
    build_type="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)"; \
    host_type="$(dpkg-architecture --host-arch "$target" --query DEB_HOST_GNU_TYPE 2>/dev/null)"; \
    unpack() { mkdir -p "$1"; tar --extract --file /usr/src/python.tar --directory "$1" --strip-components=1; }; \
    set -- --build="$build_type" --prefix=/usr/local --enable-loadable-sqlite-extensions --with-ensurepip=no; \
    strip=strip; \
    if [ "$target" != "$host" ]; then \
      # Cross build: the build runs a native interpreter of the same minor version to freeze
      # modules and byte-compile (configure checks major.minor only). Debian's own, where the
      # suite has it; else one built here, as a tool only: no test modules, PGO or install.
      minor="$(echo "$PYTHON_VERSION" | cut -d. -f1,2)"; \
      ca=; if [ -s /run/secrets/ca ]; then ca="-o Acquire::https::CAInfo=/run/secrets/ca"; fi; \
      if apt-get $ca install -y -qq --no-install-recommends "python$minor" >/dev/null 2>&1; then \
        build_python="/usr/bin/python$minor"; \
      else \
        unpack /usr/src/build-python; \
        (cd /usr/src/build-python \
          && ./configure --quiet --disable-test-modules --with-ensurepip=no OPT="-DNDEBUG -O1" \
          && make --quiet -j "$(nproc)" python sharedmods); \
        build_python=/usr/src/build-python/python; \
      fi; \
      echo "$build_python" > /build-python; \
      set -- "$@" --host="$host_type" --with-build-python="$build_python" \
        # configure cannot run target programs to probe these:
        # https://docs.python.org/3/using/configure.html#cross-compiling-options
        ac_cv_file__dev_ptmx=yes ac_cv_file__dev_ptc=no ac_cv_buggy_getaddrinfo=no \
        PKG_CONFIG_LIBDIR="/usr/lib/$host_type/pkgconfig:/usr/share/pkgconfig"; \
      strip="$host_type-strip"; \
    fi; \
    if [ "$OPTIMAL" = 1 ]; then set -- "$@" --enable-optimizations; fi; \
    # Without PGO nothing runs the test suite, so its C modules and files need not be built or
    # installed (they would be deleted below anyway). --disable-test-modules exists from 3.10 on.
    case "$OPTIMAL/$PYTHON_VERSION" in 1/*|*/2.*|*/3.[0-9].*) ;; *) set -- "$@" --disable-test-modules ;; esac; \
    if [ "$LTO" = 1 ]; then set -- "$@" --with-lto; fi; \
    case "$PYTHON_VERSION" in \
      # Python 2 defaults to UCS-2; every Linux distribution and manylinux wheel expects UCS-4.
      # https://peps.python.org/pep-0513/#ucs-2-vs-ucs-4-builds
      2.*) set -- "$@" --enable-unicode=ucs4 ;; \
    esac; \
    [ -s /build-python ] || echo "/usr/local/bin/python$(echo "$PYTHON_VERSION" | cut -d. -f1,2)" > /build-python; \
    unpack /usr/src/python; \
    cd /usr/src/python; \
    ./configure "$@"; \
    case "$PYTHON_VERSION" in \
      # Python 2's regrtest runs the PGO training tests in one process only.
      2.*) make -j "$(nproc)" ;; \
      *) \
        # The PGO training run is CPython's test suite; -j0 runs it on every core instead of one.
        profile_task='-m test --pgo -j0 --timeout=$(TESTTIMEOUT)'; \
        if [ "$LTO" = 1 ]; then \
          # The instrumented build only runs the training, so link-time optimization is wasted
          # there: its serial whole-program links (_freeze_module, python) took 216 s of 12 minutes.
          # Build it without LTO; the final build has it. The profile still matches each function
          # (GCC checks that, and a mismatch is an error).
          nolto() { sed -n "s/^$1=//p" Makefile | tr ' ' '\n' \
            | grep -v -e '^-flto' -e '^-fuse-linker-plugin$' -e '^-ffat-lto-objects$' | tr '\n' ' '; }; \
          make -j "$(nproc)" profile-run-stamp PROFILE_TASK="$profile_task" \
            CONFIGURE_CFLAGS_NODIST="$(nolto CONFIGURE_CFLAGS_NODIST)" \
            CONFIGURE_LDFLAGS_NODIST="$(nolto CONFIGURE_LDFLAGS_NODIST)"; \
        fi; \
        make -j "$(nproc)" PROFILE_TASK="$profile_task" ;; \
    esac; \
    make install; \
    cd /; rm -rf /usr/src/python; \
    # Tk is not built, so the modules that need it could never import.
    rm -rf /usr/local/lib/python*/tkinter /usr/local/lib/python*/lib-tk /usr/local/lib/python*/idlelib \
           /usr/local/lib/python*/turtledemo /usr/local/bin/idle*; \
    find /usr/local -depth \
      \( \( -type d -a \( -name test -o -name tests -o -name idle_test -o -name __pycache__ \) \) \
         -o \( -type f -a \( -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' \) \) \) \
      -exec rm -rf '{}' +; \
    find /usr/local -type f \( -name '*.so' -o -name '*.so.*' \) -exec "$strip" --strip-unneeded '{}' +; \
    for bin in /usr/local/bin/python?.*; do case "$bin" in *-config) ;; *) "$strip" --strip-all "$bin" ;; esac; done; \
    # The Debian packages whose shared libraries the interpreter and its extension modules load
    # (read from the ELF headers, so this works for a foreign target too); the runtime stage installs
    # exactly those.
    find /usr/local -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) -exec readelf --dynamic '{}' + 2>/dev/null \
      | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u \
      | while read -r so; do dpkg-query --search "*/$host_type/$so"; done 2>/dev/null \
      | grep -v '^diversion by ' | cut -d: -f1 | sort -u > /runtime-packages; \
    cat /runtime-packages

# The packages whose libraries CPython loads, for the runtime stage: what runtime-common lacks.
RUN --mount=type=bind,from=runtime-common,source=/var/lib/dpkg/status,target=/tmp/target-status \
    --mount=type=bind,source=bakegen/inbuild/debs.sh,target=/usr/src/debs.sh \
    --mount=type=cache,id=bakegen-apt-lists-$BUILDARCH,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    sh /usr/src/debs.sh /tmp/target-status /debs $(cat /runtime-packages)

# Finishing /usr/local, in a step of its own so that changing it never recompiles CPython.
# - The C test modules that PGO builds for its training run go, so that every variant ships the set
#   --disable-test-modules gives; turtle.py goes with the rest of Tk.
# - pip, from the wheels ensurepip bundles, laid out as `ensurepip --default-pip` would, by an
#   interpreter of the build platform (the build python when cross-compiling): the target's own
#   interpreter only runs emulated there, where importing pip from source takes over a minute.
RUN --mount=type=bind,source=bakegen/inbuild/pipwheels.py,target=/usr/src/pipwheels.py \
    set -eu; \
    minor="$(echo "$PYTHON_VERSION" | cut -d. -f1,2)"; \
    major="${minor%.*}"; \
    lib="/usr/local/lib/python$minor"; \
    rm -f "$lib"/lib-dynload/_test* "$lib"/lib-dynload/_xxtestfuzz* "$lib"/lib-dynload/_ctypes_test* \
          "$lib"/lib-dynload/xx* "$lib"/lib-tk/turtle.py "$lib"/turtle.py; \
    PYTHONDONTWRITEBYTECODE=1 "$(cat /build-python)" /usr/src/pipwheels.py /usr/local "$minor"; \
    cd /usr/local/bin; \
    for link in python pip pydoc python-config; do \
      versioned="$(echo "$link" | sed "s/^[a-z]*/&$major/")"; \
      [ -e "$link" ] || [ ! -e "$versioned" ] || ln -s "$versioned" "$link"; \
    done; \
    ls -l /usr/local/bin; \
    ! find /usr/local -name __pycache__ | grep .

# ---------------------------------------------------------------------------------------------------
FROM runtime-common AS runtime

ENV PATH=/usr/local/bin:$PATH \
    LANG=C.UTF-8

RUN --mount=type=bind,from=build,source=/debs,target=/tmp/debs \
    set -eu; \
    if ls /tmp/debs/*.deb >/dev/null 2>&1; then DEBIAN_FRONTEND=noninteractive dpkg --install /tmp/debs/*.deb; fi; \
    rm -rf /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old

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
RUN --mount=type=cache,id=bakegen-apt-lists-$TARGETARCH,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    set -eu; \
    ca=; if [ -s /run/secrets/ca ]; then ca="-o Acquire::https::CAInfo=/run/secrets/ca"; fi; \
    apt-get $ca update -qq; \
    apt-get $ca install -y -qq --no-install-recommends python3; \
    rm -rf /var/log/apt /var/log/dpkg.log
COPY bakegen/inbuild/sbom.py /usr/local/libexec/bakegen-sbom.py
ENTRYPOINT ["python3", "-I", "/usr/local/libexec/bakegen-sbom.py"]

# ---------------------------------------------------------------------------------------------------
# reference: the OFFICIAL python:3.13-slim-trixie recipe, reproduced for comparison only (sizes,
# benchmarks, package sets). Not a bakegen variant: nothing here follows bakegen's own choices.
# The "reference" bake target builds it; it is never pushed.
#
# Source of every step below (facts, not adaptations, unless a comment says "ADAPTED"):
#   docker-library/python 3.13/slim-trixie/Dockerfile @ 3f2d7e4c339ab883455b81a873519f1d0f2cd80a
#     (generated file, PYTHON_VERSION 3.13.9; "L<n>" below are its line numbers)
#   docker-library/python Dockerfile-linux.template: the revision that generated the file above (its
#     is_slim / rcVersion gates are quoted below). The only template revision the search index ties
#     to a commit, be26fbe39bb71bf0b0f9a823eaed86b6081251ee, is much older (--with-system-expat,
#     --without-ensurepip, pip from get-pip.py) and is NOT what current images are built with.
#
# Single stage, as the official slim image: the runtime packages in one RUN, then ONE RUN that
# installs the build deps, compiles, installs and purges the build deps again, then the symlinks.
FROM ${BASE_IMAGE} AS reference

# L9-10 "ensure local python is preferred over distribution python". (`ENV k=v` here, `ENV k v`
# upstream: the same value, without the built-in frontend's LegacyKeyValueFormat warning.)
ENV PATH=/usr/local/bin:$PATH

# NO `ENV LANG C.UTF-8` for 3.13: the template sets LANG only for 3.9-3.12
#   {{ if rcVersion | IN("3.9", "3.10", "3.11", "3.12") then ( ... ENV LANG C.UTF-8 ... }}
# ("only set LANG on versions less than 3.13"), and 3.13/slim-trixie/Dockerfile has no LANG line.
# For a 3.12 reference it would be:
# ENV LANG=C.UTF-8

# L12-20 runtime dependencies, in their own layer.
# ADAPTED: the optional "ca" build secret is handed to apt as in bakegen's other stages (an HTTPS
# mirror behind an intercepting proxy); without the secret, apt runs exactly as upstream.
RUN --mount=type=secret,id=ca,required=false \
    set -eux; \
    ca=; if [ -s /run/secrets/ca ]; then ca="-o Acquire::https::CAInfo=/run/secrets/ca"; fi; \
    apt-get $ca update; \
    apt-get $ca install -y --no-install-recommends \
        ca-certificates \
        netbase \
        tzdata \
    ; \
    apt-get dist-clean

# L22-24. ENV GPG_KEY (7169605F62C751356D054A26A821E680E5FA6305 upstream) is left out: nothing here
# verifies a signature (see below), and the name trips BuildKit's SecretsUsedInArgOrEnv check.
ARG PYTHON_VERSION
ARG PYTHON_SHA256
ENV PYTHON_VERSION=${PYTHON_VERSION}
ENV PYTHON_SHA256=${PYTHON_SHA256}

# L26-140, one RUN.
# ADAPTED (source): upstream wgets python.org's tarball, checks PYTHON_SHA256 with sha256sum and the
# .asc signature with gpg (L53-63). No network reaches a RUN here, so the tarball comes from the
# `source` stage, which ADD --checksum=sha256:${PYTHON_SHA256} already verified: the same sha256 check,
# no GPG check. gnupg and wget stay in the package list anyway, unused, so the set of packages
# installed and purged is exactly upstream's (they are purged again at the end, as upstream).
# ADAPTED (guard, bakegen's own): this recipe is 3.13-on-trixie only, so anything else fails at once.
RUN --mount=type=bind,from=source,source=/python.tar,target=/usr/src/python.tar \
    --mount=type=secret,id=ca,required=false \
    set -eux; \
    . /etc/os-release; \
    case "${VERSION_CODENAME:-}/$PYTHON_VERSION" in \
      trixie/3.13.*) ;; \
      # 3.12 differs by ENV LANG; 3.11 also by no frame pointers and a networked `pip3 install
      # setuptools wheel`; 3.14 by more build deps and configure flags; bookworm by its apt.
      *) echo "bakegen: the reference stage reproduces python:3.13-slim-trixie only, not Python $PYTHON_VERSION on ${VERSION_CODENAME:-?}" >&2; exit 1 ;; \
    esac; \
    ca=; if [ -s /run/secrets/ca ]; then ca="-o Acquire::https::CAInfo=/run/secrets/ca"; fi; \
    \
    # L28: remember what is manual now, so that everything installed below can be made "auto".
    savedAptMark="$(apt-mark showmanual)"; \
    apt-get $ca update; \
    # L30-51: the build deps, exactly upstream's list (no libexpat1-dev: no --with-system-expat).
    apt-get $ca install -y --no-install-recommends \
        dpkg-dev \
        gcc \
        gnupg \
        libbluetooth-dev \
        libbz2-dev \
        libc6-dev \
        libdb-dev \
        libffi-dev \
        libgdbm-dev \
        liblzma-dev \
        libncursesw5-dev \
        libreadline-dev \
        libsqlite3-dev \
        libssl-dev \
        make \
        tk-dev \
        uuid-dev \
        wget \
        xz-utils \
        zlib1g-dev \
    ; \
    \
    # L61-62, from the bind mount instead of ./python.tar.xz (which L63 then deletes; a bind mount
    # leaves nothing behind). Same directory, so dpkg-buildflags' -ffile-prefix-map is the same too.
    mkdir -p /usr/src/python; \
    tar --extract --directory /usr/src/python --strip-components=1 --file /usr/src/python.tar; \
    \
    cd /usr/src/python; \
    # L66-75: configure. LTO everywhere but riscv64 (template: "skip LTO on riscv64",
    # docker-library/python#935, #1038); --enable-option-checking=fatal turns a typo into an error.
    gnuArch="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)"; \
    ./configure \
        --build="$gnuArch" \
        --enable-loadable-sqlite-extensions \
        --enable-optimizations \
        --enable-option-checking=fatal \
        --enable-shared \
        $(test "${gnuArch%%-*}" != 'riscv64' && echo '--with-lto') \
        --with-ensurepip \
    ; \
    # L76-79: Debian's hardening flags; slim images link with --strip-all (template:
    # {{ if is_slim or is_alpine }} LDFLAGS="${LDFLAGS:--Wl},--strip-all").
    nproc="$(nproc)"; \
    EXTRA_CFLAGS="$(dpkg-buildflags --get CFLAGS)"; \
    LDFLAGS="$(dpkg-buildflags --get LDFLAGS)"; \
    LDFLAGS="${LDFLAGS:--Wl},--strip-all"; \
    # L80-97: frame pointers, for perf profiling. The template emits this block only for 3.12+
    # ({{ if rcVersion | IN("3.9", "3.10", "3.11") then "" }}; the guard above admits 3.13 only).
    # https://docs.python.org/3.12/howto/perf_profiling.html
    # https://github.com/docker-library/python/pull/1000#issuecomment-2597021615
    arch="$(dpkg --print-architecture)"; arch="${arch##*-}"; \
    case "$arch" in \
      amd64|arm64) \
        # only add "-mno-omit-leaf" on arches that support it
        EXTRA_CFLAGS="${EXTRA_CFLAGS:-} -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer"; \
        ;; \
      i386) \
        # don't enable frame-pointers on 32bit x86 due to performance drop.
        ;; \
      *) \
        # other arches don't support "-mno-omit-leaf"
        EXTRA_CFLAGS="${EXTRA_CFLAGS:-} -fno-omit-frame-pointer"; \
        ;; \
    esac; \
    # L98-101: the PGO+LTO build. No PROFILE_TASK argument: CPython's own default training run, serial.
    make -j "$nproc" \
        "EXTRA_CFLAGS=${EXTRA_CFLAGS:-}" \
        "LDFLAGS=${LDFLAGS:-}" \
    ; \
    # L102-109: relink only the python binary with an $ORIGIN rpath.
    # https://github.com/docker-library/python/issues/784
    # prevent accidental usage of a system installed libpython of the same version
    rm python; \
    make -j "$nproc" \
        "EXTRA_CFLAGS=${EXTRA_CFLAGS:-}" \
        "LDFLAGS=${LDFLAGS:--Wl},-rpath='\$\$ORIGIN/../lib'" \
        python \
    ; \
    make install; \
    \
    cd /; \
    rm -rf /usr/src/python; \
    \
    # L115-120: no test suites, no bytecode, no static libpython.
    find /usr/local -depth \
        \( \
            \( -type d -a \( -name test -o -name tests -o -name idle_test \) \) \
            -o \( -type f -a \( -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' \) \) \
        \) -exec rm -rf '{}' + \
    ; \
    \
    ldconfig; \
    \
    # L124-136: keep (mark manual) only the packages owning a library that something under /usr/local
    # loads (ldd; the tkinter module is skipped, so Tk's libraries are purged and tkinter does not
    # import), then purge everything else installed above, and the apt lists.
    apt-mark auto '.*' > /dev/null; \
    apt-mark manual $savedAptMark; \
    find /usr/local -type f -executable -not \( -name '*tkinter*' \) -exec ldd '{}' ';' \
        | awk '/=>/ { so = $(NF-1); if (index(so, "/usr/local/") == 1) { next }; gsub("^/(usr/)?", "", so); printf "*%s\n", so }' \
        | sort -u \
        | xargs -rt dpkg-query --search \
        # https://manpages.debian.org/bookworm/dpkg/dpkg-query.1.en.html#S (we ignore diversions and it'll be really unusual for more than one package to provide any given .so file)
        | awk 'sub(":$", "", $1) { print $1 }' \
        | sort -u \
        | xargs -r apt-mark manual \
    ; \
    apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false; \
    apt-get dist-clean; \
    \
    # L138-140. pip came from --with-ensurepip at `make install`.
    export PYTHONDONTWRITEBYTECODE=1; \
    python3 --version; \
    pip3 --version

# L142-149: make some useful symlinks that are expected to exist ("/usr/local/bin/python" and friends)
RUN set -eux; \
    for src in idle3 pip3 pydoc3 python3 python3-config; do \
        dst="$(echo "$src" | tr -d 3)"; \
        [ -s "/usr/local/bin/$src" ]; \
        [ ! -e "/usr/local/bin/$dst" ]; \
        ln -svT "$src" "/usr/local/bin/$dst"; \
    done

# L151
CMD ["python3"]

# The last stage is what a plain `docker build .` gives: the runtime image.
FROM runtime
