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
# Toolchains. The apt caches live in cache mounts, so neither lists nor .debs reach a layer; a CA
# bundle given as the "ca" build secret is trusted by apt for HTTPS sources.
FROM --platform=$BUILDPLATFORM ${BASE_IMAGE} AS toolchain-host
ARG BUILD_DEPS
ARG BUILDARCH
ARG TARGETARCH
RUN --mount=type=cache,id=bakegen-apt-cache-$BUILDARCH,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,id=bakegen-apt-lists-$BUILDARCH,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    set -eu; \
    rm -f /etc/apt/apt.conf.d/docker-clean; \
    ca=; if [ -s /run/secrets/ca ]; then ca="-o Acquire::https::CAInfo=/run/secrets/ca"; fi; \
    host="$(dpkg --print-architecture)"; \
    target="$(case "$TARGETARCH" in ppc64le) echo ppc64el ;; 386) echo i386 ;; arm) echo armhf ;; *) echo "$TARGETARCH" ;; esac)"; \
    set -- binutils dpkg-dev gcc libc6-dev make pkg-config xz-utils $BUILD_DEPS; \
    if [ "$target" != "$host" ]; then \
      dpkg --add-architecture "$target"; \
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
FROM toolchain-${BUILD_ON} AS build
ARG TARGETARCH
ARG PYTHON_VERSION
# OPTIMAL=1: profile-guided optimization. LTO=1: link-time optimization, only on top of PGO.
ARG OPTIMAL=0
ARG LTO=0

RUN --mount=type=bind,from=preflight,source=/preflight-ok,target=/tmp/preflight-ok \
    --mount=type=bind,from=source,source=/python.tar,target=/usr/src/python.tar \
    set -eux; \
    host="$(dpkg --print-architecture)"; \
    target="$(case "$TARGETARCH" in ppc64le) echo ppc64el ;; 386) echo i386 ;; arm) echo armhf ;; *) echo "$TARGETARCH" ;; esac)"; \
    build_type="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)"; \
    host_type="$(dpkg-architecture --host-arch "$target" --query DEB_HOST_GNU_TYPE 2>/dev/null)"; \
    minor="$(echo "$PYTHON_VERSION" | cut -d. -f1,2)"; \
    unpack() { mkdir -p "$1"; tar --extract --file /usr/src/python.tar --directory "$1" --strip-components=1; }; \
    set -- --build="$build_type" --prefix=/usr/local --enable-loadable-sqlite-extensions --with-ensurepip=no; \
    strip=strip; \
    if [ "$target" != "$host" ]; then \
      # Cross build: first a native interpreter of the same version, which the build runs.
      unpack /usr/src/build-python; \
      (cd /usr/src/build-python && ./configure --prefix=/opt/build-python --with-ensurepip=no && make -j "$(nproc)" && make install); \
      set -- "$@" --host="$host_type" --with-build-python="/opt/build-python/bin/python$minor" \
        # configure cannot probe the target's device files: https://docs.python.org/3/using/configure.html#cross-compiling-options
        ac_cv_file__dev_ptmx=yes ac_cv_file__dev_ptc=no \
        PKG_CONFIG_LIBDIR="/usr/lib/$host_type/pkgconfig:/usr/share/pkgconfig"; \
      strip="$host_type-strip"; \
    fi; \
    if [ "$OPTIMAL" = 1 ]; then set -- "$@" --enable-optimizations; fi; \
    if [ "$LTO" = 1 ]; then set -- "$@" --with-lto; fi; \
    case "$PYTHON_VERSION" in \
      # Python 2 defaults to UCS-2; every Linux distribution and manylinux wheel expects UCS-4.
      # https://peps.python.org/pep-0513/#ucs-2-vs-ucs-4-builds
      2.*) set -- "$@" --enable-unicode=ucs4 ;; \
    esac; \
    unpack /usr/src/python; \
    cd /usr/src/python; \
    ./configure "$@"; \
    case "$PYTHON_VERSION" in \
      # The PGO training run is CPython's test suite; -j0 runs it on every core instead of one.
      # Python 2's regrtest runs the tests in one process only.
      2.*) make -j "$(nproc)" ;; \
      *) make -j "$(nproc)" PROFILE_TASK='-m test --pgo -j0 --timeout=$(TESTTIMEOUT)' ;; \
    esac; \
    make install; \
    cd /; rm -rf /usr/src/python /usr/src/build-python /opt/build-python; \
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

# ---------------------------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS runtime
ARG TARGETARCH

ENV PATH=/usr/local/bin:$PATH \
    LANG=C.UTF-8

RUN --mount=type=bind,from=build,source=/runtime-packages,target=/tmp/runtime-packages \
    --mount=type=cache,id=bakegen-apt-lists-$TARGETARCH,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    set -eu; \
    ca=; if [ -s /run/secrets/ca ]; then ca="-o Acquire::https::CAInfo=/run/secrets/ca"; fi; \
    apt-get $ca update -qq; \
    apt-get $ca install -y -qq --no-install-recommends ca-certificates netbase tzdata $(cat /tmp/runtime-packages); \
    rm -rf /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old

COPY --from=build /usr/local /usr/local

# pip comes from the bundled wheels (no network), installed here on the target platform so its
# scripts point at this interpreter even when the build cross-compiled.
ARG PYTHON_VERSION
RUN set -eu; \
    major="$(echo "$PYTHON_VERSION" | cut -d. -f1)"; \
    PIP_NO_COMPILE=1 PYTHONDONTWRITEBYTECODE=1 "python$major" -m ensurepip --default-pip; \
    cd /usr/local/bin; \
    for link in python pip pydoc python-config; do \
      [ -e "$link" ] || [ ! -e "$link$major" ] || ln -s "$link$major" "$link"; \
    done; \
    find /usr/local -depth -type d -name __pycache__ -exec rm -rf '{}' +; \
    python -B --version; pip --version; python -B -c 'import ssl, sqlite3, zlib'

CMD ["python3"]

# Python 2 has no python3 command, so its images start python (2.7) instead.
FROM runtime AS runtime-python2
CMD ["python"]

# ---------------------------------------------------------------------------------------------------
# An SBOM generator for BuildKit that needs nothing from outside: bakegen/sbom.py on Debian's own
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
COPY bakegen/sbom.py /usr/local/libexec/bakegen-sbom.py
ENTRYPOINT ["python3", "-I", "/usr/local/libexec/bakegen-sbom.py"]

# The last stage is what a plain `docker build .` gives: the runtime image.
FROM runtime
