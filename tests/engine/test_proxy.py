"""Engine test (marker ``engine``): the package proxy. A squid from examples/squid.conf runs on
loopback; a build through it shows apt's requests in squid's access log, and the proxy settings do
not change the build cache.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.kit.engine import REPO, bake_variables, measure, unavailable

pytestmark = pytest.mark.engine
APT_STEP = "--no-install-recommends python3"  # the apt step of the small sbom-generator stage


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def squid():
    binary = shutil.which("squid") or "/usr/sbin/squid"
    if not os.path.exists(binary):
        unavailable("squid is not installed (apt-get install squid)")
    # Not under pytest's tmp_path: squid drops to its own user, which must reach these folders.
    workdir = Path(tempfile.mkdtemp(prefix="bakegen-squid-"))
    (workdir / "spool").mkdir()
    for path in (workdir, workdir / "spool"):
        path.chmod(0o755)
        with contextlib.suppress(LookupError, PermissionError):
            shutil.chown(path, "proxy", "proxy")
    port = free_port()
    conf = (REPO / "examples" / "squid.conf").read_text()
    conf = (
        conf.replace("127.0.0.1:3128", f"127.0.0.1:{port}")
        .replace("/var/spool/squid", str(workdir / "spool"))
        .replace("/var/log/squid", str(workdir))
        .replace("/run/squid.pid", str(workdir / "squid.pid"))
        .replace(" 10000 16 256", " 100 16 256")
    )
    (workdir / "squid.conf").write_text(conf + "shutdown_lifetime 1 seconds\n")
    subprocess.run([binary, "-f", str(workdir / "squid.conf"), "-z", "-N"], check=True, capture_output=True)
    proc = subprocess.Popen(
        [binary, "-f", str(workdir / "squid.conf"), "-N"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(50):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    yield f"http://127.0.0.1:{port}", workdir / "access.log"
    proc.terminate()  # squid waits out its shutdown_lifetime before it exits
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(workdir, ignore_errors=True)


def bake(stack, *extra: str, **env: str) -> str:
    variables = {k: v for k, v in bake_variables(stack).items() if k != "CA_BUNDLE"}
    proc = subprocess.run(
        ["docker", "buildx", "bake", "--allow=network.host", "--progress", "plain", *extra, "sbom-generator"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **variables, "NETWORK": "host", **env},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stderr


def apt_step_cached(log: str) -> bool:
    steps = {}
    for line in log.splitlines():
        head, _, rest = line.partition(" ")
        if head.startswith("#") and APT_STEP in rest:
            steps[head] = True
    return any(f"{step} CACHED" in log for step in steps)


def test_apt_goes_through_the_proxy_and_the_cache_ignores_it(stack, squid) -> None:
    proxy, access_log = squid
    # A fresh apt step through the proxy...
    log = bake(stack, "--set", "sbom-generator.no-cache=true", PKG_PROXY=proxy)
    assert not apt_step_cached(log)
    requests = access_log.read_text() if access_log.exists() else ""
    debian = [line for line in requests.splitlines() if "/debian" in line and " 127.0.0.1 " in line]
    assert debian, f"no apt request in squid's log:\n{requests[-2000:]}"
    assert any(".deb " in line for line in debian), "apt downloaded no package through the proxy"
    measure(f"squid logged {len(debian)} apt requests from the build")
    # ...is reused by the same build without the proxy: the proxy is not part of the cache key.
    before = len(requests.splitlines())
    log = bake(stack, PKG_PROXY="")
    assert apt_step_cached(log)
    assert len(access_log.read_text().splitlines()) == before
