"""Hostile inputs through the real entry point (``bakegen.cli.run``): each gets exactly one
``bakegen: error:`` line on stderr, no traceback, and the documented exit code (1 usage, 2 bad
data, 3 engine). The harness is tests/kit/hostile.py (shared with the wider corpus, test_hostile_corpus.py).
"""

from __future__ import annotations

import codecs
import shutil
from pathlib import Path

import pytest

from bakegen import net
from bakegen.bake import releases
from tests.kit.hostile import REPO, Case, Setup, docker_login, edit, replace, run_case
from tests.kit.upstream import Answer, listing, redirect

UTF16 = codecs.BOM_UTF16_LE + "x = 1\n".encode("utf-16-le")
LATIN1 = "# caf\xe9\n".encode("latin-1")
V313 = "versions/3.13.toml"
BUILD = ["build", "3_13-wee", "-C", "{P}"]
CUSTOM = ["build", "custom", "-C", "{P}"]
PUSH = ["build", "3_13-wee", "--push", "-C", "{P}"]

CASES = [
    # Click's usage errors: one line, exit 1.
    Case("unknown-option", ["--bogus"], 1, "No such option: --bogus"),
    Case("unknown-command", ["frobnicate"], 1, "No such command 'frobnicate'"),
    Case("bare-versions", ["versions"], 1, "missing command: bakegen versions update"),
    Case("load-takes-no-value", ["build", "--load", "true", "-C", "{P}"], 1, "unknown target 'true'"),
    Case("platform-needs-value", ["build", "3_13-wee", "--platform"], 1, "Option '--platform' requires an argument"),
    Case("groups-takes-no-value", ["list", "--groups=yes"], 1, "Option '--groups' does not take a value"),
    Case("extra-argument", ["matrix", "--pretty", "extra"], 1, "unexpected extra argument"),
    Case("rounds-zero", ["bench", "img", "--rounds", "0"], 1, "Invalid value for '--rounds'"),
    Case("rounds-word", ["bench", "img", "--rounds", "many"], 1, "Invalid value for '--rounds'"),
    Case("network-enum", [*BUILD, "--network", "bridge"], 1, "Invalid value for '--network'"),
    Case("network-env", BUILD, 1, "NETWORK='bridge': must be one of default, host, none", env={"NETWORK": "bridge"}),
    Case("latest-env-garbage", BUILD, 1, "LATEST='2': must be 0 or 1", env={"LATEST": "2"}),
    Case("attest-env-garbage", BUILD, 1, "ATTEST='maybe': must be 0 or 1", env={"ATTEST": "maybe"}),
    Case("ca-bundle-missing", [*BUILD, "--ca-bundle", "/nonexistent/ca.pem"], 1, "does not exist"),
    Case("ca-bundle-env-missing", BUILD, 1, "does not exist", env={"CA_BUNDLE": "/nonexistent/ca.pem"}),
    Case("ca-bundle-dir", [*BUILD, "--ca-bundle", "{T}"], 1, "is a directory"),
    Case("project-dir-is-file", ["list", "-C", "{P}/Dockerfile"], 1, "is a file"),
    # What to build.
    Case("no-target", ["build", "-C", "{P}"], 1, "name what to build"),
    Case("no-target-names-groups", ["build", "-C", "{P}"], 1, "3_13, 3_13t, 3_16, 3_16t, wee, wee-optimized"),
    Case("unknown-target", ["build", "3_13-wee-optimised", "-C", "{P}"], 1, "did you mean 3_13-wee-optimized?"),
    Case("unknown-group", ["build", "3_99", "-C", "{P}"], 1, "unknown target '3_99'"),
    Case("load-and-push", [*BUILD, "--load", "--push"], 1, "exclude each other"),
    Case("push-reference", ["build", "reference", "--push", "-C", "{P}"], 1, "never pushed"),
    Case("doctor-unknown-target", ["doctor", "nope", "-C", "{P}"], 1, "unknown target 'nope'"),
    # Image references: REGISTRY and IMAGE_NAME compose every tag.
    Case("registry-empty-option", [*BUILD, "--registry", ""], 1, "REGISTRY '': is empty"),
    Case("registry-empty-env", BUILD, 1, "REGISTRY '': is empty", env={"REGISTRY": ""}),
    Case("registry-blank-env", BUILD, 1, "is empty", env={"REGISTRY": "  "}),
    Case("registry-space-option", [*BUILD, "--registry", "my registry"], 1, "contains white space"),
    Case("registry-space-env", BUILD, 1, "contains white space", env={"REGISTRY": "my registry"}),
    Case("registry-double-comma-option", [*BUILD, "--registry", "a.io,,b.io"], 1, "empty entry between commas"),
    Case("registry-double-comma-env", BUILD, 1, "empty entry between commas", env={"REGISTRY": "a.io,,b.io"}),
    Case("registry-trailing-comma", BUILD, 1, "empty entry between commas", env={"REGISTRY": "a.io,"}),
    Case("registry-trailing-slash", [*BUILD, "--registry", "a.io/"], 1, "empty path component"),
    Case("registry-upper-path", [*BUILD, "--registry", "a.io/Team"], 1, "repository names are lower-case"),
    Case("registry-scheme", [*BUILD, "--registry", "https://ghcr.io/acme"], 1, "not a valid image reference"),
    Case("registry-bad-port", [*BUILD, "--registry", "a.io:port/x"], 1, "not a valid image reference"),
    Case("registry-tab", BUILD, 1, "contains white space", env={"REGISTRY": "a.io/\tx"}),
    Case("registry-unicode", [*BUILD, "--registry", "régistre.io/x"], 1, "not a valid image reference"),
    Case("test-registry-space-env", ["test", "3_13-wee", "-C", "{P}"], 1, "contains white space", env={"REGISTRY": "a b"}),
    Case("test-image-name-upper", ["test", "3_13-wee", "-C", "{P}", "--image-name", "Py"], 1, "lower-case"),
    Case("test-ca-bundle-env-missing", ["test", "3_13-wee", "-C", "{P}"], 1, "does not exist", env={"CA_BUNDLE": "/nonexistent/ca.pem"}),
    Case("image-name-upper-option", [*BUILD, "--image-name", "Python"], 1, "repository names are lower-case"),
    Case("image-name-upper-env", BUILD, 1, "repository names are lower-case", env={"IMAGE_NAME": "Python"}),
    Case("image-name-space", [*BUILD, "--image-name", "py thon"], 1, "contains white space"),
    Case("image-name-empty", [*BUILD, "--image-name", ""], 1, "not a valid image reference"),
    Case("image-name-slash", [*BUILD, "--image-name", "python/"], 1, "not a valid image reference"),
    Case("image-name-dash", [*BUILD, "--image-name", "-python"], 1, "not a valid image reference"),
    Case("image-name-colon", [*BUILD, "--image-name", "python:3"], 1, "not a valid image reference"),
    Case("image-name-too-long", [*BUILD, "--image-name", "p" * 300], 1, "not a valid image reference"),
    Case("base-image-suite-typo", [*BUILD, "--base-image", "bulseye=debian:bullseye-slim"], 1, "did you mean bullseye?"),
    Case("base-image-space", [*BUILD, "--base-image", "debian trixie"], 1, "BASE_IMAGE: 'debian trixie'"),
    Case("base-image-upper", [*BUILD, "--base-image", "Debian:trixie"], 1, "repository names are lower-case"),
    Case("base-image-empty", [*BUILD, "--base-image", ""], 1, "BASE_IMAGE: '' is not a valid image reference"),
    Case("base-image-env", BUILD, 1, "BASE_IMAGE: 'x y'", env={"BASE_IMAGE": "x y"}),
    Case("base-image-suite-env", BUILD, 1, "BASE_IMAGE_BULLSEYE", env={"BASE_IMAGE_BULLSEYE": "a b"}),
    Case("cache-space", BUILD, 1, "CACHE (a repository", env={"CACHE": "my cache"}),
    Case("cache-upper", [*BUILD, "--cache", "Cache"], 1, "CACHE (a repository"),
    Case("sbom-generator-bad", [*BUILD, "--sbom-generator", "bad ref!"], 1, "SBOM_GENERATOR"),
    # Platforms and switches, as option or environment.
    Case("platform-no-os", [*BUILD, "--platform", "amd64"], 1, "'amd64' is not a platform"),
    Case("platform-upper", [*BUILD, "--platform", "linux/AMD64"], 1, "is not a platform"),
    Case("platform-env-empty-item", BUILD, 1, "'' is not a platform", env={"PLATFORMS": "linux/amd64,,linux/arm64"}),
    Case("platform-env-word", BUILD, 1, "'all' is not a platform", env={"PLATFORMS": "all"}),
    Case("optimal-env", CUSTOM, 1, "OPTIMAL='2': must be 0 or 1", env={"OPTIMAL": "2", "PYTHON_VERSION": "3.13.5"}),
    Case("lto-env", CUSTOM, 1, "LTO='true': must be 0 or 1", env={"LTO": "true", "PYTHON_VERSION": "3.13.5"}),
    # The custom target.
    Case("custom-no-version", CUSTOM, 1, "the custom target needs PYTHON_VERSION"),
    Case("custom-empty-version", CUSTOM, 1, "needs PYTHON_VERSION", env={"PYTHON_VERSION": ""}),
    Case("custom-line-only", CUSTOM, 1, "PYTHON_VERSION='3.13': not a CPython release", env={"PYTHON_VERSION": "3.13"}),
    Case("custom-injection", CUSTOM, 1, "not a CPython release", env={"PYTHON_VERSION": "3.13.5; rm -rf /"}),
    Case("custom-template", CUSTOM, 1, "not a CPython release", env={"PYTHON_VERSION": "${REGISTRY}"}),
    Case("custom-unknown-release", CUSTOM, 1, "set PYTHON_SHA256", env={"PYTHON_VERSION": "3.99.1"}),
    Case("custom-bad-sha", CUSTOM, 1, "PYTHON_SHA256='xyz'", env={"PYTHON_VERSION": "3.99.1", "PYTHON_SHA256": "xyz"}),
    Case("custom-lto-alone", CUSTOM, 1, "LTO=1 needs OPTIMAL=1", env={"PYTHON_VERSION": "3.13.5", "LTO": "1"}),
    Case("custom-freethreaded-word", CUSTOM, 1, "FREETHREADED='yes': must be 0 or 1", env={"PYTHON_VERSION": "3.13.5", "FREETHREADED": "yes"}),
    Case("custom-freethreaded-too-old", CUSTOM, 1, "FREETHREADED=1 needs CPython 3.13 or later", env={"PYTHON_VERSION": "3.12.9", "PYTHON_SHA256": "a" * 64, "FREETHREADED": "1"}),
    # URLs.
    Case("mirror-ftp", [*BUILD, "--mirror", "ftp://mirror.example/python"], 1, "not an http(s) URL"),
    Case("mirror-no-scheme", [*BUILD, "--mirror", "mirror.example/python"], 1, "not an http(s) URL"),
    Case("mirror-no-host", [*BUILD, "--mirror", "http://"], 1, "not an http(s) URL"),
    Case("mirror-space", [*BUILD, "--mirror", "http://mirror example/"], 1, "not an http(s) URL"),
    Case("mirror-bad-port", [*BUILD, "--mirror", "http://mirror.example:99999/"], 1, "not an http(s) URL"),
    Case("mirror-ipv6-open", [*BUILD, "--mirror", "http://[::1/python"], 1, "not an http(s) URL"),
    Case("mirror-newline", [*BUILD, "--mirror", "http://a.example/\nx"], 1, "not an http(s) URL"),
    Case("mirror-env", BUILD, 1, "'ftp://x': not an http(s) URL", env={"PYTHON_MIRROR": "ftp://x"}),
    Case("proxy-no-scheme", [*BUILD, "--proxy", "squid:3128"], 1, "--proxy 'squid:3128': not an http(s) URL"),
    Case("proxy-env", BUILD, 1, "'socks5://127.0.0.1:1080': not an http(s) URL", env={"PKG_PROXY": "socks5://127.0.0.1:1080"}),
    Case("sums-ftp", [*BUILD, "--mirror-sums", "ftp://x/SHA256SUMS"], 1, "not a file or an http(s) URL"),
    Case("sums-bad-url", [*BUILD, "--mirror-sums", "http://exa mple/SHA256SUMS"], 1, "not an http(s) URL"),
    Case("update-mirror-ftp", ["versions", "update", "-C", "{P}", "--mirror", "ftp://x"], 1, "not an http(s) URL"),
    Case("update-api-open-ipv6", ["versions", "update", "-C", "{P}", "--api", "http://[::1"], 1, "not an http(s) URL"),
    Case("update-mirror-port", ["versions", "update", "-C", "{P}", "--mirror", "http://h:0x50/"], 1, "http(s) URL"),
    # Files that are not what they should be: bad data, exit 2.
    Case("sums-missing", [*BUILD, "--mirror-sums", "{T}/nope"], 2, "cannot read: No such file"),
    Case("sums-dir", [*BUILD, "--mirror-sums", "{T}"], 2, "is a directory, not a file"),
    Case("sums-fifo", [*BUILD, "--mirror-sums", "{T}/fifo"], 2, "is a named pipe (FIFO)", setup=replace("T/fifo", kind="fifo")),
    Case("sums-utf16", [*BUILD, "--mirror-sums", "{T}/s"], 2, "is UTF-16 text", setup=replace("T/s", UTF16)),
    Case("sums-latin1", [*BUILD, "--mirror-sums", "{T}/s"], 2, "not UTF-8 text (byte 0xe9)", setup=replace("T/s", LATIN1)),
    Case("sums-garbage", [*BUILD, "--mirror-sums", "{T}/s"], 2, "not a '<sha256>", setup=replace("T/s", b"hello\n")),
    Case("sums-url-refused", [*BUILD, "--mirror-sums", "http://127.0.0.1:1/SHA256SUMS"], 2, "cannot fetch"),
    Case("ca-fifo", [*BUILD, "--ca-bundle", "{T}/ca"], 2, "named pipe", setup=replace("T/ca", kind="fifo")),
    Case("ca-not-pem", [*BUILD, "--ca-bundle", "{T}/ca"], 2, "not a PEM file", setup=replace("T/ca", b"hello\n")),
    Case("ca-binary", [*BUILD, "--ca-bundle", "{T}/ca"], 2, "not UTF-8", setup=replace("T/ca", b"\x30\x82\xff")),
    Case("project-missing", ["list", "-C", "{T}/nowhere"], 2, "no such directory"),
    Case("versions-utf16", ["list", "-C", "{P}"], 2, "3.13.toml: is UTF-16 text", setup=replace(V313, UTF16)),
    Case("versions-latin1", ["list", "-C", "{P}"], 2, "3.13.toml:1: not UTF-8", setup=replace(V313, LATIN1)),
    Case("versions-dir", ["list", "-C", "{P}"], 2, "3.13.toml: is a directory", setup=replace(V313, kind="dir")),
    Case("versions-fifo", ["list", "-C", "{P}"], 2, "3.13.toml: is a named pipe", setup=replace(V313, kind="fifo")),
    Case("versions-empty", ["list", "-C", "{P}"], 2, "missing field 'version'", setup=replace(V313, b"")),
    Case("versions-not-toml", ["render", "-C", "{P}"], 2, "not valid TOML", setup=replace(V313, b"version = \n")),
    Case("versions-unknown-field", ["list", "-C", "{P}"], 2, "unknown field 'colour'", setup=edit(V313, "source", "colour = 1\nsource")),
    Case("versions-int-version", ["list", "-C", "{P}"], 2, "must be a str", setup=edit(V313, 'version = "3.13.15"', "version = 3")),
    Case("versions-bad-sha", ["list", "-C", "{P}"], 2, "64 lower-case hex", setup=edit(V313, 'sha256 = "', 'sha256 = "X')),
    Case("versions-bad-name", ["list", "-C", "{P}"], 2, "must be a CPython line", setup=replace("versions/three.toml", (REPO / "tests/fixtures/versions/3.13.toml").read_bytes())),
    Case("versions-is-file", ["list", "-C", "{P}"], 2, "no such directory", setup=replace("versions", b"x")),
    Case("versions-empty-dir", ["list", "-C", "{P}"], 2, "no release data", setup=replace("versions", kind="dir")),
    Case("template-missing", ["render", "-C", "{P}"], 2, "template not found", setup=replace("docker-bake.hcl.j2", kind="none")),
    Case("template-dir", ["render", "-C", "{P}"], 2, "docker-bake.hcl.j2: is a directory", setup=replace("docker-bake.hcl.j2", kind="dir")),
    Case("template-fifo", ["render", "-C", "{P}"], 2, "is a named pipe", setup=replace("docker-bake.hcl.j2", kind="fifo")),
    Case("template-utf16", ["render", "-C", "{P}"], 2, "is UTF-16 text", setup=replace("docker-bake.hcl.j2", UTF16)),
    Case("template-latin1", ["render", "-C", "{P}"], 2, "not UTF-8 text", setup=replace("docker-bake.hcl.j2", LATIN1)),
    Case("template-syntax", ["render", "-C", "{P}"], 2, "template error", setup=replace("docker-bake.hcl.j2", b"{% for %}")),
    Case("template-undefined", ["render", "-C", "{P}"], 2, "cannot render", setup=replace("docker-bake.hcl.j2", b"{{ nope.x }}")),
    Case("template-not-hcl", ["render", "-C", "{P}"], 2, "does not parse as HCL", setup=replace("docker-bake.hcl.j2", b"target [\n")),
    Case("output-dir", ["render", "-C", "{P}"], 2, "docker-bake.hcl: is a directory", setup=replace("docker-bake.hcl", kind="dir")),
    Case("output-fifo", ["render", "--check", "-C", "{P}"], 2, "is a named pipe", setup=replace("docker-bake.hcl", kind="fifo")),
    Case("output-latin1", ["validate", "-C", "{P}"], 2, "docker-bake.hcl:1: not UTF-8", setup=replace("docker-bake.hcl", LATIN1)),
    Case("dockerfile-missing", BUILD, 2, "Dockerfile: cannot read", setup=replace("Dockerfile", kind="none")),
    Case("dockerfile-dir", BUILD, 2, "Dockerfile: is a directory", setup=replace("Dockerfile", kind="dir")),
    # validate reads the settings from the environment, like bake.
    Case("validate-registry-empty", ["validate", "--no-engine", "-C", "{R}"], 1, "REGISTRY '': is empty", env={"REGISTRY": ""}),
    Case("validate-registry-space", ["validate", "--no-engine", "-C", "{R}"], 1, "white space", env={"REGISTRY": "my registry"}),
    Case("validate-registry-commas", ["validate", "--no-engine", "-C", "{R}"], 1, "between commas", env={"REGISTRY": "a.io,,b.io"}),
    Case("validate-image-name", ["validate", "--no-engine", "-C", "{R}"], 1, "lower-case", env={"IMAGE_NAME": "Python"}),
    Case("validate-platforms", ["validate", "--no-engine", "-C", "{R}"], 1, "not a platform", env={"PLATFORMS": "x86"}),
    Case("validate-base", ["validate", "--no-engine", "-C", "{R}"], 1, "BASE_IMAGE", env={"BASE_IMAGE": "no way"}),
    # matrix.
    Case("matrix-unknown-line", ["matrix", "-C", "{P}", "--lines", "9.9"], 1, "unknown line '9.9'"),
    Case("matrix-unknown-variant", ["matrix", "-C", "{P}", "--variants", "huge"], 1, "unknown variant 'huge'"),
    Case("matrix-bad-platform", ["matrix", "-C", "{P}", "--platforms", "amd64"], 1, "is not a platform"),
    # The engine: exit 3, with the doctor's line and its fix.
    Case("no-docker-build", BUILD, 3, "the docker command was not found", docker={"cli": False}),
    Case("no-docker-validate", ["validate", "-C", "{R}"], 3, "the docker command was not found", docker={"cli": False}),
    Case("no-docker-doctor", ["doctor", "3_13-wee", "-C", "{P}"], 3, "check(s) failed: docker CLI", docker={"cli": False}),
    Case("no-daemon", BUILD, 3, "cannot reach the Docker daemon", docker={"daemon": False}),
    Case("old-buildx", BUILD, 3, "0.12.1 is older than 0.13", docker={"buildx": "0.12.1"}),
    Case("classic-store", [*BUILD, "--load", "--platform", "linux/amd64,linux/arm64"], 3, "classic image store",
         docker={"store": "overlay2"}),
    Case("no-binfmt", [*PUSH, "--platform", "linux/amd64,linux/arm64"], 3, "cannot run linux/arm64",
         docker={"platforms": ["linux/amd64"]}),
    Case("no-riscv", [*BUILD, "--platform", "linux/riscv64"], 3, "fix: register QEMU"),
    Case("base-unreachable", BUILD, 3, "cannot reach its registry docker.io", net={"https://registry-1": None}),
    Case("mirror-unreachable", BUILD, 3, "cannot reach https://www.python.org/ftp/python", net={"https://www.python": None}),
    Case("mirror-lacks-release", BUILD, 3, "HTTP 404; fix: --mirror-sums", net={"https://www.python": 404}),
    Case("push-unreachable", [*PUSH, "--registry", "reg.example/x"], 3, "cannot reach reg.example", net={"https://reg.example": None}),
    Case("push-not-a-registry", [*PUSH, "--registry", "reg.example/x"], 3, "is not a registry", net={"https://reg.example": 404}),
    Case("push-no-login", [*PUSH, "--registry", "reg.example/x"], 3, "docker login reg.example",
         net={"https://reg.example": 401}, env={"DOCKER_CONFIG": "{T}/docker"}),
    Case("push-login-refused", [*PUSH, "--registry", "reg.example/x"], 3, "refused the stored login",
         net={"https://reg.example": 401}, env={"DOCKER_CONFIG": "{T}/docker"},
         setup=docker_login({"reg.example": {"auth": "dTpw"}})),
    Case("doctor-many", ["doctor", "3_13-wee", "-C", "{P}"], 3, "2 check(s) failed", net={"https://": None}),
]


# --- Issue 20: the families that escaped ------------------------------------------------------------

VARIANTS = (REPO / "bakegen/bake/variants.toml").read_text()
ONE_VARIANT = '[[variant]]\nname = "{name}"\nsummary = "{summary}"\noptimal = false\nlto = false\n'
SHA = "1e66a7945a48390ee4c2a4268a0e4185884059a13c4aab6d148aa208deea4a76"


def variant(name: str = "wee", summary: str = "plain") -> bytes:
    return ONE_VARIANT.format(name=name, summary=summary).encode()


def deep(open_: str, close: str, depth: int) -> str:
    return open_ * depth + "1" + close * depth


LIST = ["list", "-C", "{P}"]
RENDER = ["render", "-C", "{P}"]
CHECK = ["render", "--check", "-C", "{P}"]
UPDATE = ["versions", "update", "-C", "{P}", "--mirror", "{M}", "--api", "{A}"]
#: A mirror with one release newer than the fixture's 3.13.15, whose checksum the API must give.
NEWER = {"/ftp/python/": listing("3.13.18/"), "/ftp/python/3.13.18/": listing("Python-3.13.18.tar.xz")}
NO_WAIT = {(net, "DEADLINE"): 1.0}
BENCH_OUT = ["-o", "{T}/out"]


def template_with(expression: bytes) -> Setup:
    return replace("docker-bake.hcl.j2", b"# line 1\n" + expression + b"\n")


def report_file_is_a_folder(name: str) -> Setup:
    def setup(project: Path, tmp: Path) -> None:
        (tmp / "out" / name).mkdir(parents=True)

    return setup


def api_release_list(body: str) -> dict[str, Answer]:
    return {**NEWER, "/api/v2/downloads/release/?is_published=true": Answer(body.encode(), content_type="application/json")}


CASES += [
    # One bounded parser for untrusted TOML and JSON: depth and size, never RecursionError.
    Case("versions-deep-array", LIST, 2, "nested more than 32 levels deep", setup=edit(V313, "source", f"x = {deep('[', ']', 3000)}\nsource")),
    Case("versions-deep-inline-table", LIST, 2, "nested more than 32 levels deep", setup=edit(V313, "source", f"x = {deep('{a=', '}', 3000)}\nsource")),
    Case("versions-33-levels", LIST, 2, "nested more than 32 levels deep", setup=edit(V313, "source", f"x = {deep('[', ']', 33)}\nsource")),
    Case("versions-deep-dotted-key", LIST, 2, "nested more than 32 levels deep", setup=edit(V313, "source", "a" + ".a" * 5000 + " = 1\nsource")),
    Case("versions-deep-table-header", LIST, 2, "nested more than 32 levels deep", setup=replace(V313, ("[" + ".".join(["a"] * 5000) + "]\n").encode())),
    Case("versions-huge-integer", LIST, 2, "not valid TOML", setup=edit(V313, "source", "x = " + "9" * 5000 + "\nsource")),
    Case("versions-too-large", LIST, 2, "larger than 1048576 bytes", setup=replace(V313, b"# " + b"x" * (2 << 20) + b"\n")),
    Case("variants-deep", LIST, 2, "variants.toml: arrays or tables nested more than 32", variants=VARIANTS.encode() + f"x = {deep('[', ']', 3000)}\n".encode()),
    Case("variants-not-toml", LIST, 2, "variants.toml: not valid TOML", variants=b"[[variant]\n"),
    Case("api-deep-json", UPDATE, 2, "nested more than 32 levels deep", upstream=api_release_list(deep("[", "]", 100000))),
    Case("api-deep-objects", UPDATE, 2, "nested more than 32 levels deep", upstream=api_release_list(deep('{"a":', "}", 40))),
    Case("api-huge-number", UPDATE, 2, "not valid JSON", upstream=api_release_list("[" + "1" * 5000 + "]")),
    # The template's failures are the template's: file and line, exit 2, for render and render --check.
    Case("template-zero-division", RENDER, 2, "docker-bake.hcl.j2:2: cannot render: ZeroDivisionError", setup=template_with(b"{{ 1 // 0 }}")),
    Case("template-zero-division-check", CHECK, 2, "docker-bake.hcl.j2:2: cannot render: ZeroDivisionError", setup=template_with(b"{{ 1 // 0 }}")),
    Case("template-key-error", RENDER, 2, "docker-bake.hcl.j2:2: cannot render: KeyError", setup=template_with(b"{{ {}.pop('x') }}")),
    Case("template-key-error-check", CHECK, 2, "docker-bake.hcl.j2:2: cannot render: KeyError", setup=template_with(b"{{ {}.pop('x') }}")),
    Case("template-recursion", RENDER, 2, "cannot render: RecursionError", setup=template_with(b"{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}")),
    Case("template-recursion-check", CHECK, 2, "cannot render: RecursionError", setup=template_with(b"{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}")),
    Case("template-self-include", RENDER, 2, "cannot render: RecursionError", setup=template_with(b"{% include 'docker-bake.hcl.j2' %}")),
    Case("template-include-missing", RENDER, 2, "names the template 'nothere.j2'", setup=template_with(b"{% include 'nothere.j2' %}")),
    Case("template-type-error", CHECK, 2, "docker-bake.hcl.j2:2: cannot render: TypeError", setup=template_with(b"{{ plan.targets + 1 }}")),
    Case("template-syntax-check", CHECK, 2, "docker-bake.hcl.j2:2: template error", setup=template_with(b"{% if %}")),
    # One rule for strings that reach HCL, a tag or a checksum: no control characters; one line.
    Case("summary-backspace", RENDER, 2, "holds U+0008", variants=variant(summary="a\\bb")),
    Case("summary-form-feed", RENDER, 2, "holds U+000C", variants=variant(summary="a\\fb")),
    Case("summary-escape", LIST, 2, "U+001B", variants=variant(summary="\\u001b[31mred")),
    Case("summary-bidi-override", LIST, 2, "U+202E", variants=variant(summary="abc\\u202Edef")),
    Case("summary-line-separator", LIST, 2, "U+2028", variants=variant(summary="a\\u2028b")),
    Case("variant-name-newline", LIST, 2, "U+000A", variants=variant(name="wee\\n")),
    Case("variant-name-upper", LIST, 2, "names take lower-case letters", variants=variant(name="Wee")),
    Case("variant-name-unicode-digit", LIST, 2, "names take lower-case letters", variants=variant(name="wee\u0663")),
    Case("sha256-trailing-newline", RENDER, 2, "versions/3.13.toml: sha256", setup=edit(V313, f'sha256 = "{SHA}"', f'sha256 = "{SHA}\\n"')),
    Case("sha256-upper", LIST, 2, "64 lower-case hex digits", setup=edit(V313, f'sha256 = "{SHA}"', f'sha256 = "{SHA.upper()}"')),
    Case("version-newline", LIST, 2, "versions/3.13.toml: version", setup=edit(V313, 'version = "3.13.15"', 'version = "3.13.15\\n"')),
    Case("version-unicode-digits", LIST, 2, "not a CPython release", setup=edit(V313, 'version = "3.13.15"', 'version = "3.13.\u0661\u0665"')),
    Case("debian-newline", RENDER, 2, "versions/2.7.toml: debian", setup=edit("versions/2.7.toml", 'debian = "bullseye"', 'debian = "bullseye\\n"')),
    Case("debian-upper", RENDER, 2, "must be a Debian suite name", setup=edit("versions/2.7.toml", 'debian = "bullseye"', 'debian = "Bullseye"')),
    Case("tarball-del", LIST, 2, "U+007F", setup=edit(V313, 'tarball = "Python-3.13.15.tar.xz"', 'tarball = "Python-3.13.15.tar.xz\\u007f"')),
    Case("source-escape-sequence", RENDER, 2, "versions/3.13.toml: source", setup=edit(V313, f'{SHA}"\nsource = "test fixture"', f'{SHA}"\nsource = "\\u001b]0;pwned\\u0007"')),
    Case("previous-source-nul", LIST, 2, "previous[0].source", setup=edit(V313, 'd640"\nsource = "test fixture"', 'd640"\nsource = "a\\u0000b"')),
    Case("key-with-newline", LIST, 2, "key '\\n'", setup=edit(V313, "source", '"\\n" = 1\nsource')),
    Case("file-name-with-newline", LIST, 2, "the file name must be a CPython line", setup=replace("versions/3.1\n3.toml", (REPO / "tests/fixtures/versions/3.13.toml").read_bytes())),
    # Names the plan uses itself, and tags too long for a registry: bad data, with the fix.
    *(Case(f"variant-named-{name}", LIST, 2, f"variant '{name}': every variant is also a bake group", variants=variant(name=name))
      for name in ("default", "custom", "reference", "reference-modules", "sbom-generator", "debian-python3", "freethreaded")),
    Case("variant-name-too-long", LIST, 2, "the name is 130 characters long; shorten it to 64 or fewer", variants=variant(name="w" * 130)),
    Case("variant-name-too-long-render", RENDER, 2, "shorten it to 64 or fewer (it goes into image tags", variants=variant(name="w" * 65)),
    # bakegen bench: every argument checked before the engine; nothing reaches docker as an option.
    Case("bench-image-dash", ["bench", *BENCH_OUT, "--", "-v/:/host"], 1, "starts with '-'", no_engine=True),
    Case("bench-image-dash-second", ["bench", *BENCH_OUT, "--", "img", "--privileged"], 1, "starts with '-'", no_engine=True),
    Case("bench-image-space", ["bench", *BENCH_OUT, "my image"], 1, "white space or control characters", no_engine=True),
    Case("bench-image-newline", ["bench", *BENCH_OUT, "img\n-v"], 1, "white space or control characters", no_engine=True),
    Case("bench-image-empty", ["bench", *BENCH_OUT, ""], 1, "an image name is empty", no_engine=True),
    Case("bench-base-dash", ["bench", *BENCH_OUT, "img", "--base", "-v/:/host"], 1, "--base '-v/:/host': starts with '-'", no_engine=True),
    Case("bench-b-empty", ["bench", *BENCH_OUT, "img", "-b", ""], 1, "an empty benchmark name", no_engine=True),
    Case("bench-b-commas", ["bench", *BENCH_OUT, "img", "-b", ",,"], 1, "an empty benchmark name", no_engine=True),
    Case("bench-b-blank", ["bench", *BENCH_OUT, "img", "-b", " "], 1, "an empty benchmark name", no_engine=True),
    *(Case(f"bench-output-{name}-folder", ["bench", *BENCH_OUT, "img"], 1, f"{name}: not a regular file", setup=report_file_is_a_folder(name), no_engine=True)
      for name in ("bench.txt", "bench.json", "bench.svg")),
    Case("test-image-dash", ["test", "--", "-v/:/host"], 1, "not an image reference"),
    # versions update on a bad network: bounded time, allowed schemes, one line for redirects.
    Case("update-drip-body", UPDATE, 2, "no complete answer within 1 seconds", upstream={"/ftp/python/": Answer(drip=0.05)}, patch=NO_WAIT),
    Case("update-drip-headers", UPDATE, 2, "no complete answer within 1 seconds", upstream={"/ftp/python/": Answer(drip_headers=0.05)}, patch=NO_WAIT),
    Case("update-overall-deadline", UPDATE, 2, "no complete answer within", upstream={**NEWER, "/ftp/python/3.13.18/": Answer(drip=0.05)}, patch={(releases, "UPDATE_DEADLINE"): 1.5}),
    Case("update-redirect-loop", UPDATE, 2, "redirect loop", upstream={"/ftp/python/": redirect("/ftp/python/")}),
    Case("update-redirect-cycle", UPDATE, 2, "redirect loop", upstream={"/ftp/python/": redirect("/a"), "/a": redirect("/b"), "/b": redirect("/a")}),
    Case("update-redirect-chain", UPDATE, 2, "more than 10 redirects", upstream={"/ftp/python/": redirect("/r0"), **{f"/r{i}": redirect(f"/r{i + 1}") for i in range(20)}}),
    Case("update-redirect-ftp", UPDATE, 2, "redirected to 'ftp://", upstream={"/ftp/python/": redirect("ftp://127.0.0.1/python/")}),
    Case("update-redirect-file", UPDATE, 2, "redirected to 'file:///etc/passwd'", upstream={"/ftp/python/": redirect("file:///etc/passwd")}),
    Case("update-redirect-plain-http", UPDATE, 2, "plain http to a host other than this machine", upstream={"/ftp/python/": redirect("http://mirror.example/python/")}),
    Case("update-api-next-loop", UPDATE, 2, "the pages loop", upstream=api_release_list('{"results": [], "next": "{A}/release/?is_published=true"}')),
    Case("update-api-next-not-url", UPDATE, 2, "'next' is not a URL", upstream=api_release_list('{"results": [], "next": [1, 2]}')),
    Case("update-api-next-ftp", UPDATE, 2, "the next page is on another server", upstream=api_release_list('{"results": [], "next": "ftp://127.0.0.1/next"}')),
    Case("update-server-error", UPDATE, 2, "HTTP 500", upstream={"/ftp/python/": Answer(b"x", status=500)}),
    # Values from the environment.
    Case("epoch-other-digits", BUILD, 1, "SOURCE_DATE_EPOCH='\u0661\u0662'", env={"SOURCE_DATE_EPOCH": "\u0661\u0662"}),
    Case("epoch-superscript", BUILD, 1, "SOURCE_DATE_EPOCH='\u00b2'", env={"SOURCE_DATE_EPOCH": "\u00b2"}),
    Case("epoch-year-99999", BUILD, 1, "SOURCE_DATE_EPOCH=", env={"SOURCE_DATE_EPOCH": "9" * 15}),
    Case("docker-config-deep", [*PUSH, "--registry", "reg.example/x"], 3, "docker login reg.example", net={"https://reg.example": 401},
         env={"DOCKER_CONFIG": "{T}/docker"}, setup=replace("T/docker/config.json", deep("[", "]", 100000).encode())),
    Case("docker-config-auths-list", [*PUSH, "--registry", "reg.example/x"], 3, "docker login reg.example", net={"https://reg.example": 401},
         env={"DOCKER_CONFIG": "{T}/docker"}, setup=replace("T/docker/config.json", b'{"auths": [1], "credHelpers": 3}')),
    Case("docker-config-fifo", [*PUSH, "--registry", "reg.example/x"], 3, "docker login reg.example", net={"https://reg.example": 401},
         env={"DOCKER_CONFIG": "{T}/docker"}, setup=replace("T/docker/config.json", kind="fifo")),
]


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A copy of the repository's own project (its committed docker-bake.hcl included)."""
    dest = tmp_path / "repo"
    dest.mkdir()
    for name in ("docker-bake.hcl.j2", "Dockerfile", "docker-bake.hcl"):
        shutil.copy(REPO / name, dest / name)
    shutil.copytree(REPO / "versions", dest / "versions")
    return dest


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_gets_one_line(
    case: Case, project_dir: Path, tmp_path: Path, clean_env, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest,
) -> None:
    repo = request.getfixturevalue("repo_copy") if any("{R}" in a for a in case.args) else None
    code, err = run_case(case, project_dir, tmp_path / "scratch", monkeypatch, capsys, repo)
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith("bakegen: error: "), err
    assert case.fragment in lines[0]
    assert code == case.code, lines[0]
