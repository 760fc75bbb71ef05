"""A wide hostile corpus, generated: what a new user mistypes or an attacker serves, family by family.

Every case runs through the real entry point (tests/kit/hostile.py) and is handled when there is no
traceback and either the right success (exit 0) or exactly one ``bakegen: error:`` line and the
right exit code (1 usage, 2 bad data, 3 engine). The families: data files truncated, garbage,
huge, of the wrong kind, type or encoding, with control and other odd characters, nested deep;
variants, base images and campaign files; the template; bench arguments; the network (servers that drip,
hang, redirect, answer garbage); the environment; command-line arguments.

``python -m tests.unit.test_hostile_corpus`` prints how many cases there are per family; pytest
runs them (one test per case, so its summary line gives the count handled).
"""

from __future__ import annotations

import codecs
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from bakegen import net
from bakegen.bake import releases
from tests.kit.hostile import REPO, Case, Setup, edit, judge, replace, run_case
from tests.kit.upstream import Answer, listing, redirect

FIXTURES = REPO / "tests" / "fixtures"
V313 = "versions/3.13.toml"
V313_TEXT = (FIXTURES / "versions" / "3.13.toml").read_text()
VARIANTS_TEXT = (REPO / "bakegen" / "bake" / "variants.toml").read_text()
LIST = ["list", "-C", "{P}"]
RENDER = ["render", "-C", "{P}"]
CHECK = ["render", "--check", "-C", "{P}"]
BUILD = ["build", "3_13-wee", "-C", "{P}"]
CUSTOM = ["build", "custom", "-C", "{P}"]
PUSH = ["build", "3_13-wee", "--push", "--registry", "reg.example/x", "-C", "{P}"]
UPDATE = ["versions", "update", "-C", "{P}", "--mirror", "{M}", "--api", "{A}"]
BENCH = ["bench", "-o", "{T}/out"]

#: Characters no data string may hold, and some that are fine.
CONTROL = ["\x00", "\x01", "\x07", "\b", "\t", "\n", "\x0b", "\f", "\r", "\x1b", "\x7f", "\x85", "\x9b",
           "\u2028", "\u2029", "\u202e", "\u2066", "\u200f", "\u061c"]
BENIGN = ["é", "日本語", "😀", "\u00a0", "Ω≈ç√"]


def toml_escape(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" if not c.isprintable() or c in '"\\' else c for c in text)


def garbage(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


def deep(open_: str, close: str, depth: int) -> str:
    return open_ * depth + "1" + close * depth


def sparse(rel: str, size: int) -> Setup:
    def setup(project: Path, tmp: Path) -> None:
        path = tmp / rel[2:] if rel.startswith("T/") else project / rel
        path.unlink(missing_ok=True)
        with open(path, "wb") as f:
            f.truncate(size)

    return setup


def both(*setups: Setup) -> Setup:
    def setup(project: Path, tmp: Path) -> None:
        for one in setups:
            one(project, tmp)

    return setup


def field_line(key: str, value: str) -> Setup:
    """Replace the first line ``key = ...`` of 3.13.toml (the release itself, not [[previous]])."""

    def setup(project: Path, tmp: Path) -> None:
        path = project / V313
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.startswith(f"{key} = "):
                lines[i] = f"{key} = {value}"
                break
        else:
            lines.insert(1, f"{key} = {value}")
        path.write_text("\n".join(lines) + "\n")

    return setup


# --- versions/ ------------------------------------------------------------------------------------


def versions_cases() -> Iterator[Case]:
    data = V313_TEXT.encode()
    for n in range(0, len(data), 7):
        yield Case(f"versions-truncated-at-{n}", LIST if n % 2 else RENDER, 2, setup=replace(V313, data[:n]), also=(0,))
    for seed, size in enumerate([1, 2, 7, 64, 333, 4096, 65536, 900_000]):
        yield Case(f"versions-garbage-{size}", LIST, 2, setup=replace(V313, garbage(seed, size)))
    encodings = {
        "utf16le-bom": codecs.BOM_UTF16_LE + V313_TEXT.encode("utf-16-le"),
        "utf16be-bom": codecs.BOM_UTF16_BE + V313_TEXT.encode("utf-16-be"),
        "utf16le-no-bom": V313_TEXT.encode("utf-16-le"),
        "utf32": V313_TEXT.encode("utf-32"),
        "latin1-comment": ("# café\n" + V313_TEXT).encode("latin-1"),
        "lone-cr": V313_TEXT.replace("\n", "\r").encode(),
        "nul-in-comment": b"# a\x00b\n" + data,
        "overlong-utf8": b"# \xc0\xaf\n" + data,
        "utf8-surrogate": b"# \xed\xa0\x80\n" + data,
        "cp1252-quote": b'# \x93quoted\x94\n' + data,
    }
    for name, content in encodings.items():
        yield Case(f"versions-{name}", LIST, 2, setup=replace(V313, content))
    for name, content in {"utf8-bom": codecs.BOM_UTF8 + data, "crlf": V313_TEXT.replace("\n", "\r\n").encode()}.items():
        yield Case(f"versions-{name}-is-fine", LIST, 0, setup=replace(V313, content))
    kinds = {
        "directory": replace(V313, kind="dir"),
        "fifo": replace(V313, kind="fifo"),
        "dangling-symlink": replace(V313, kind="symlink", to="{T}/nowhere.toml"),
        "symlink-loop": both(replace("versions/loop.toml", kind="symlink", to="{P}/versions/3.13.toml"),
                             replace(V313, kind="symlink", to="{P}/versions/loop.toml")),
        "symlink-to-dev-zero": replace(V313, kind="symlink", to="/dev/zero"),
        "symlink-to-dev-null": replace(V313, kind="symlink", to="/dev/null"),
        "symlink-to-a-folder": replace(V313, kind="symlink", to="/"),
        "empty": replace(V313, b""),
        "sparse-2mib": sparse(V313, 2 << 20),
        "sparse-1gib": sparse(V313, 1 << 30),
        "huge-comment": replace(V313, b"#" + b"x" * (3 << 20) + b"\n" + data),
    }
    for name, setup in kinds.items():
        yield Case(f"versions-{name}", LIST, 2, setup=setup)
    yield Case("versions-symlink-to-a-good-file-is-fine", LIST, 0,
               setup=both(replace("T/real.toml", data), replace(V313, kind="symlink", to="{T}/real.toml")))
    values = {"int": "3", "float": "1.5", "bool": "true", "array": '["3.13.15"]', "table": '{a = "b"}',
              "date": "1979-05-27", "datetime": "1979-05-27T07:32:00Z", "empty": '""', "nan": "nan"}
    for key in ("version", "tarball", "sha256", "source", "debian"):
        for kind, value in values.items():
            fine = key == "source" and kind == "empty"
            yield Case(f"versions-{key}-{kind}", LIST, 0 if fine else 2, setup=field_line(key, value))
    yield Case("versions-previous-int", LIST, 2, setup=field_line("previous", "3"))
    yield Case("versions-previous-of-ints", LIST, 2, setup=edit(V313, "[[previous]]", "previous2 = 1\n[[previous]]"))
    for key in ("version", "tarball", "sha256", "source"):
        yield Case(f"versions-missing-{key}", LIST, 2, setup=_drop_first(key))
    yield Case("versions-unknown-key", LIST, 2, setup=field_line("colour", '"blue"'))
    for i, char in enumerate(CONTROL):
        for key in ("version", "tarball", "sha256", "source", "debian"):
            yield Case(f"versions-{key}-control-{i:02d}", RENDER if i % 2 else LIST, 2,
                       setup=field_line(key, f'"{toml_escape("x" + char + "y")}"'))
        yield Case(f"versions-key-control-{i:02d}", LIST, 2, setup=field_line(f'"{toml_escape("k" + char)}"', "1"))
    for i, text in enumerate(BENIGN):
        yield Case(f"versions-source-unicode-{i}", RENDER, 0, setup=field_line("source", f'"{text}"'))
    for depth in (33, 100, 1000, 100_000):
        for name, (open_, close) in {"arrays": ("[", "]"), "tables": ("{a=", "}"), "mixed": ("[{a=", "}]")}.items():
            yield Case(f"versions-deep-{name}-{depth}", LIST, 2, setup=field_line("x", deep(open_, close, depth)))
        yield Case(f"versions-deep-dotted-{depth}", LIST, 2, setup=field_line("a" + ".a" * depth, "1"))
        yield Case(f"versions-deep-header-{depth}", LIST, 2,
                   setup=replace(V313, f"[[{'.'.join(['a'] * depth)}]]\n".encode()))
    semantic = {
        "other-line": ('version = "3.13.15"', 'version = "3.12.15"'),
        "tarball-mismatch": ('tarball = "Python-3.13.15.tar.xz"', 'tarball = "Python-3.13.14.tar.xz"'),
        "previous-newer": ('version = "3.13.5"', 'version = "3.13.16"'),
        "previous-same": ('version = "3.13.5"', 'version = "3.13.15"'),
        "previous-other-line": ('version = "3.13.5"', 'version = "3.12.5"'),
        "version-v-prefix": ('version = "3.13.15"', 'version = "v3.13.15"'),
        "version-leading-zero": ('version = "3.13.15"', 'version = "3.13.015"'),
        "version-space": ('version = "3.13.15"', 'version = " 3.13.15"'),
        "sha-short": ('sha256 = "1e66', 'sha256 = "'),
        "sha-space": ('sha256 = "1e66', 'sha256 = " 1e66'),
    }
    for name, (old, new) in semantic.items():
        yield Case(f"versions-{name}", LIST, 2, setup=edit(V313, old, new))
    names = ["three.toml", "3.13 .toml", "03.13.toml", "3.13.toml.toml", "-3.13.toml", "3.1\n3.toml",
             "\u0663.13.toml", "3.13\u202e.toml", ".toml", "3..13.toml"]
    for i, name in enumerate(names):
        yield Case(f"versions-file-name-{i}", LIST, 2, setup=replace(f"versions/{name}", data))
    folder = {
        "missing": replace("versions", kind="none"),
        "a-file": replace("versions", b"x"),
        "empty": replace("versions", kind="dir"),
        "dangling": replace("versions", kind="symlink", to="{T}/nowhere"),
        "loop": both(replace("T/loop", kind="symlink", to="{P}/versions"), replace("versions", kind="symlink", to="{T}/loop")),
        "only-a-folder": both(replace("versions", kind="dir"), replace("versions/3.13.toml", kind="dir")),
    }
    for name, setup in folder.items():
        yield Case(f"versions-folder-{name}", LIST, 2, setup=setup)


def _drop_first(key: str) -> Setup:
    def setup(project: Path, tmp: Path) -> None:
        path = project / V313
        lines = path.read_text().splitlines()
        i = next(i for i, line in enumerate(lines) if line.startswith(f"{key} = "))
        path.write_text("\n".join(lines[:i] + lines[i + 1 :]) + "\n")

    return setup


# --- variants.toml ----------------------------------------------------------------------------------

ONE = '[[variant]]\nname = "{name}"\nsummary = "{summary}"\noptimal = {optimal}\nlto = {lto}\n{extra}'


def one_variant(name: str = "wee", summary: str = "plain", optimal: str = "false", lto: str = "false",
                extra: str = "") -> bytes:
    return ONE.format(name=name, summary=summary, optimal=optimal, lto=lto, extra=extra).encode()


def variants_cases() -> Iterator[Case]:
    data = VARIANTS_TEXT.encode()
    for n in range(0, len(data), 41):
        yield Case(f"variants-truncated-at-{n}", LIST, 2, variants=data[:n], also=(0,))
    for seed, size in enumerate([1, 100, 5000]):
        yield Case(f"variants-garbage-{size}", LIST, 2, variants=garbage(100 + seed, size))
    yield Case("variants-utf16", LIST, 2, variants=codecs.BOM_UTF16_LE + VARIANTS_TEXT.encode("utf-16-le"))
    yield Case("variants-empty", LIST, 2, variants=b"")
    yield Case("variants-no-variants", LIST, 2, variants=b"variant = []\n")
    yield Case("variants-variant-not-list", LIST, 2, variants=b'variant = "wee"\n')
    yield Case("variants-variant-of-ints", LIST, 2, variants=b"variant = [1, 2]\n")
    yield Case("variants-unknown-top", LIST, 2, variants=data + b"\ncolour = 1\n")
    yield Case("variants-one-is-fine", LIST, 0, variants=one_variant())
    types = {"name": ("1", "[]"), "summary": ("1", "{a=1}"), "optimal": ('"yes"', "1"), "lto": ('"no"', "0")}
    for key, bad in types.items():
        for i, value in enumerate(bad):
            text = one_variant().decode().replace(f"{key} = ", f"{key} = {value}\n#", 1)
            yield Case(f"variants-{key}-type-{i}", LIST, 2, variants=text.encode())
    for key in ("name", "summary", "optimal", "lto"):
        text = "\n".join(line for line in one_variant().decode().splitlines() if not line.startswith(f"{key} ="))
        yield Case(f"variants-missing-{key}", LIST, 2, variants=(text + "\n").encode())
    yield Case("variants-unknown-field", LIST, 2, variants=one_variant(extra="colour = 1\n"))
    for name in ("default", "custom", "reference", "reference-modules", "sbom-generator", "debian-python3",
                 "freethreaded"):
        yield Case(f"variants-reserved-{name}", LIST, 2, "rename the variant", variants=one_variant(name=name))
    for length in (125, 130, 1000, 100_000):
        yield Case(f"variants-name-{length}-long", LIST, 2, variants=one_variant(name="w" * length))
    yield Case("variants-name-64-long-is-fine", RENDER, 0, variants=one_variant(name="w" * 64))
    for i, name in enumerate(["Wee", "wee_x", "wee.x", "wee x", "-wee", "wee-", "wee--x", "wée", "", "w\u0663"]):
        yield Case(f"variants-name-chars-{i}", LIST, 2, variants=one_variant(name=toml_escape(name)))
    yield Case("variants-twice", LIST, 2, variants=one_variant() + one_variant())
    yield Case("variants-lto-without-pgo", LIST, 2, variants=one_variant(lto="true"))
    yield Case("variants-cross-and-pgo", LIST, 2, variants=one_variant(optimal="true", extra="cross_compile = true\n"))
    yield Case("variants-latest-twice", LIST, 2,
               variants=one_variant(extra="latest = true\n") + one_variant(name="b", extra="latest = true\n"))
    for i, char in enumerate(CONTROL):
        yield Case(f"variants-summary-control-{i:02d}", RENDER if i % 2 else LIST, 2,
                   variants=one_variant(summary=toml_escape("a" + char + "b")))
    for i, text in enumerate(BENIGN):
        yield Case(f"variants-summary-unicode-{i}", RENDER, 0, variants=one_variant(summary=text))
    freethreaded = {
        "since-int": "since = 3\nsummary = 'x'",
        "since-word": "since = 'soon'\nsummary = 'x'",
        "since-newline": "since = '''3.13\n'''\nsummary = 'x'",
        "variants-unknown": "since = '3.13'\nsummary = 'x'\nvariants = ['huge']",
        "variants-ints": "since = '3.13'\nsummary = 'x'\nvariants = [1]",
        "variants-twice": "since = '3.13'\nsummary = 'x'\nvariants = ['wee', 'wee']",
        "summary-control": "since = '3.13'\nsummary = \"a\\u0008b\"",
        "not-a-table": None,
    }
    for name, table in freethreaded.items():
        text = one_variant() + (b"freethreaded = 1\n" if table is None else f"[freethreaded]\n{table}\n".encode())
        yield Case(f"variants-freethreaded-{name}", LIST, 2, variants=text)
    for depth in (33, 5000):
        yield Case(f"variants-deep-{depth}", LIST, 2, variants=one_variant() + f"x = {deep('[', ']', depth)}\n".encode())


# --- versions/base-images.toml and campaign files ---------------------------------------------------

BASES = "versions/base-images.toml"
BASE_ENTRY = '[trixie]\nimage = "{image}"\ndigest = "{digest}"\nplatforms = ["linux/amd64"]\nsource = "{source}"\n'


def base_entry(image: str = "debian:trixie-slim", digest: str = "unpinned", source: str = "x") -> bytes:
    return BASE_ENTRY.format(image=image, digest=digest, source=source).encode()


CAMPAIGN = ["campaign", "{T}/c.toml", "-C", "{P}", "-o", "{T}/out"]


def other_data_cases() -> Iterator[Case]:
    yield Case("bases-one-is-fine", LIST, 0, setup=replace(BASES, base_entry()))
    bad_bases = {
        "garbage": garbage(11, 2000), "utf16": codecs.BOM_UTF16_LE + "x = 1\n".encode("utf-16-le"),
        "deep": f"x = {deep('[', ']', 5000)}\n".encode(), "dotted": ("a" + ".a" * 5000 + " = 1\n").encode(),
        "image-newline": base_entry(image="debian\\n"), "source-escape": base_entry(source="\\u001b[2J"),
        "digest-newline": base_entry(digest="sha256:" + "a" * 64 + "\\n"), "digest-short": base_entry(digest="sha256:ab"),
        "image-dash": base_entry(image="-v/:/host"), "image-space": base_entry(image="debian trixie"),
        "not-a-table": b'trixie = "debian"\n', "suite-upper": base_entry().replace(b"[trixie]", b"[Trixie]"),
        "suite-newline": base_entry().replace(b"[trixie]", b'["trixie\\n"]'), "platforms-int": base_entry().replace(b'["linux/amd64"]', b"3"),
    }
    for name, content in bad_bases.items():
        yield Case(f"bases-{name}", LIST, 2, setup=replace(BASES, content))
    for name, setup in {"dir": replace(BASES, kind="dir"), "fifo": replace(BASES, kind="fifo"),
                        "dangling": replace(BASES, kind="symlink", to="{T}/nowhere"),
                        "sparse": sparse(BASES, 1 << 30)}.items():
        yield Case(f"bases-{name}", LIST, 2, setup=setup)
    bad_campaigns = {
        "garbage": garbage(12, 3000), "empty": b"", "deep": f"x = {deep('[', ']', 5000)}\n".encode(),
        "dotted": ("a" + ".a" * 100_000 + " = 1\n").encode(), "name-newline": b'[[set]]\nname = "fast\\n"\n',
        "name-dash": b'[[set]]\nname = "-v"\n', "cflags-escape": b'[[set]]\nname = "a"\ncflags = "\\u001b[2J"\n',
        "configure-bidi": b'[[set]]\nname = "a"\nconfigure = ["--x\\u202e"]\n', "set-not-table": b"set = [1]\n",
        "unknown-key": b'[[set]]\nname = "a"\ncolour = 1\n', "package-injection": b'[[set]]\nname = "a"\npackages = ["x; rm -rf /"]\n',
        "utf16": codecs.BOM_UTF16_LE + "x = 1\n".encode("utf-16-le"),
    }
    for name, content in bad_campaigns.items():
        yield Case(f"campaign-{name}", CAMPAIGN, 2, setup=replace("T/c.toml", content), no_engine=True)
    for name, setup in {"missing": None, "dir": replace("T/c.toml", kind="dir"), "fifo": replace("T/c.toml", kind="fifo"),
                        "sparse": sparse("T/c.toml", 1 << 30)}.items():
        yield Case(f"campaign-file-{name}", CAMPAIGN, 2, setup=setup, no_engine=True)


# --- the template -----------------------------------------------------------------------------------

TEMPLATE_FAILURES = {
    "int-division": "{{ 1 // 0 }}",
    "division": "{{ 1 / 0 }}",
    "modulo": "{{ 1 % 0 }}",
    "key": "{{ {}.pop('x') }}",
    "index": "{{ [][1] }}",
    "attribute-of-none": "{{ none.x }}",
    "type-add": "{{ 'a' + 1 }}",
    "type-iterate": "{% for x in 1 %}{% endfor %}",
    "call-a-string": "{{ bakegen_version() }}",
    "missing-argument": "{{ base_variable() }}",
    "format": "{{ '%s %s' % (1,) }}",
    "undefined": "{{ nope }}",
    "undefined-attribute": "{{ plan.nope }}",
    "undefined-filter": "{{ 1 | nofilter }}",
    "undefined-test": "{% if 1 is notatest %}{% endif %}",
    "recursion-macro": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "recursion-include": "{% include 'docker-bake.hcl.j2' %}",
    "recursion-extends": "{% extends 'docker-bake.hcl.j2' %}",
    "include-missing": "{% include 'nothere.j2' %}",
    "import-missing": "{% import 'nothere.j2' as x %}",
    "syntax-for": "{% for %}",
    "syntax-unclosed-if": "{% if true %}",
    "syntax-endfor": "{% endfor %}",
    "syntax-expression": "{{ 1 + }}",
    "syntax-unclosed": "{{ 1",
    "syntax-unknown-tag": "{% raise %}",
    "filter-argument": "{{ [1] | batch(0) | list }}",
    "dictsort": "{{ {'a': 1} | dictsort(by='nope') }}",
    "int-base": "{{ 'x' | int(base=99) }}",
    "not-hcl": "target [",
    "python-object": "{{ plan.__class__ }}",
    "empty": "",
    "deep-syntax": "{% if true %}" * 3000 + "{% endif %}" * 3000,
}


def template_cases() -> Iterator[Case]:
    for name, text in TEMPLATE_FAILURES.items():
        content = f"# line 1\n{text}\n".encode()
        yield Case(f"template-{name}", RENDER, 2, setup=replace("docker-bake.hcl.j2", content))
        yield Case(f"template-{name}-check", CHECK, 2, setup=replace("docker-bake.hcl.j2", content))
    kinds = {"missing": replace("docker-bake.hcl.j2", kind="none"), "dir": replace("docker-bake.hcl.j2", kind="dir"),
             "fifo": replace("docker-bake.hcl.j2", kind="fifo"), "garbage": replace("docker-bake.hcl.j2", garbage(7, 3000)),
             "dangling": replace("docker-bake.hcl.j2", kind="symlink", to="{T}/nowhere"),
             "dev-zero": replace("docker-bake.hcl.j2", kind="symlink", to="/dev/zero"),
             "sparse": sparse("docker-bake.hcl.j2", 1 << 30)}
    for name, setup in kinds.items():
        yield Case(f"template-file-{name}", RENDER, 2, setup=setup)
        yield Case(f"template-file-{name}-check", CHECK, 2, setup=setup)
    outputs = {"dir": replace("docker-bake.hcl", kind="dir"), "fifo": replace("docker-bake.hcl", kind="fifo"),
               "dev-zero": replace("docker-bake.hcl", kind="symlink", to="/dev/zero"),
               "latin1": replace("docker-bake.hcl", b"\xe9\n")}
    for name, setup in outputs.items():
        yield Case(f"output-{name}-check", CHECK, 2, setup=setup)
    yield Case("output-dangling-symlink-is-written-through", RENDER, 0,
               setup=replace("docker-bake.hcl", kind="symlink", to="{T}/made.hcl"))


# --- bakegen bench ----------------------------------------------------------------------------------

BAD_IMAGES = ["-v/:/host", "--privileged", "-", "-x", " -v", "a b", "a\tb", "a\nb", "a\x00b", "a\x1bb",
              "a\u2028b", "a\u00a0b", "", "   ", "img\r"]


def bench_cases() -> Iterator[Case]:
    for i, image in enumerate(BAD_IMAGES):
        yield Case(f"bench-image-{i:02d}", [*BENCH, "--", image], 1, no_engine=True)
        yield Case(f"bench-second-image-{i:02d}", [*BENCH, "--", "ok", image], 1, no_engine=True)
        yield Case(f"bench-base-{i:02d}", [*BENCH, "--base", image, "ok"], 1, no_engine=True)
    for i, value in enumerate(["", ",", ",,", " , ", "nbody,", ",nbody", "nbody,,float", "nbdy", " "]):
        yield Case(f"bench-b-{i}", [*BENCH, "ok", "-b", value], 1, no_engine=True)
    for name in ("bench.txt", "bench.json", "bench.svg"):
        yield Case(f"bench-output-{name}-dir", [*BENCH, "ok"], 1, no_engine=True, setup=replace(f"T/out/{name}", kind="dir"))
        yield Case(f"bench-output-{name}-fifo", [*BENCH, "ok"], 1, no_engine=True, setup=replace(f"T/out/{name}", kind="fifo"))
    yield Case("bench-output-a-file", ["bench", "-o", "{T}/f", "ok"], 1, no_engine=True, setup=replace("T/f", b"x"))
    yield Case("bench-output-below-a-file", ["bench", "-o", "{T}/f/out", "ok"], 1, no_engine=True, setup=replace("T/f", b"x"))
    options = {"cpu-word": ["--cpu", "x"], "cpu-negative": ["--cpu", "-1"], "cpu-float": ["--cpu", "1.5"],
               "cpu-empty": ["--cpu", ""], "rounds-zero": ["--rounds", "0"], "rounds-word": ["--rounds", "x"],
               "threads-one": ["--threads", "1"], "work-alone": ["--work", "5"], "threads-and-b": ["--threads", "2", "-b", "nbody"],
               "processes-zero": ["--processes", "0"], "values-huge-word": ["--values", "9" * 50 + "x"]}
    for name, args in options.items():
        yield Case(f"bench-{name}", [*BENCH, *args, "ok"], 1, no_engine=True)
    yield Case("bench-ca-fifo", [*BENCH, "--ca-bundle", "{T}/ca", "ok"], 1, no_engine=True, setup=replace("T/ca", kind="fifo"))
    yield Case("bench-no-image", BENCH, 1, no_engine=True)


# --- the network: versions update -------------------------------------------------------------------

INDEX = "/ftp/python/"
RELEASES = "/api/v2/downloads/release/?is_published=true"
FILES = "/api/v2/downloads/release_file/?release=1017"
SUMS = "/ftp/python/SHA256SUMS"
FAST = {(net, "DEADLINE"): 1.0}
SIGNATURE = "cannot fetch its signature"


def json_answer(value) -> Answer:
    return Answer((value if isinstance(value, str) else json.dumps(value)).encode(), content_type="application/json")


def release(name: str = "Python 3.13.17", uri: str = "https://www.python.org/api/v2/downloads/release/1017/") -> dict:
    return {"name": name, "pre_release": False, "resource_uri": uri}


def release_file(sha: object = "ab" * 32, url: str = "https://www.python.org/ftp/python/3.13.17/Python-3.13.17.tar.xz"):
    return {"url": url, "sha256_sum": sha}


def network_cases() -> Iterator[Case]:
    # An answer that passes every check reaches the release's signature, which the stand-in does not
    # serve (tests/unit/test_releases.py has the signed runs): that line shows the input was taken.
    yield Case("update-recorded-reaches-the-signature", UPDATE, 2, SIGNATURE)
    index_answers = {
        "drip": Answer(drip=0.05), "drip-headers": Answer(drip_headers=0.05), "hang": Answer(drip=600),
        "404": Answer(b"no", status=404), "500": Answer(b"no", status=500), "403": Answer(b"no", status=403),
        "418": Answer(b"teapot", status=418), "not-utf8": Answer(b"\xff\xfe<html></html>"),
        "no-closing-html": Answer(b"<html><a href='3.13.17/'>"), "empty": Answer(b""),
        "no-folders": listing("a/", "b.txt"), "cut-short": Answer(b"<html></html>", declared_length=999),
        "garbage": Answer(garbage(3, 5000)), "huge-links": listing(*(f"{i}.{i}.{i}/" for i in range(20000))),
        "hostile-hrefs": listing("3.13.18%0A/", "../../../etc/", "3.13.99\u202e/", "%00/", "3.13.1" + "9" * 5000 + "/"),
    }
    for name, answer in index_answers.items():
        # Listings that name no release of a line are no error: the line is reported as not on the mirror.
        code = 0 if name == "huge-links" else 2
        yield Case(f"update-index-{name}", UPDATE, code, upstream={INDEX: answer}, patch=FAST)
    locations = ["ftp://127.0.0.1/python/", "file:///etc/passwd", "data:,x", "gopher://127.0.0.1/", "javascript:alert(1)",
                 "http://example.invalid/", "http://10.0.0.1/", "//evil.example/x", "http://[::1", "http://a b/",
                 "http://user:pw@example.invalid/", "https://[::1]:0/"]
    for i, location in enumerate(locations):
        yield Case(f"update-redirect-{i:02d}", UPDATE, 2, upstream={INDEX: redirect(location)}, patch=FAST)
    for status in (301, 303, 307, 308):
        yield Case(f"update-redirect-loop-{status}", UPDATE, 2, upstream={INDEX: redirect(INDEX, status)})
    yield Case("update-redirect-chain", UPDATE, 2,
               upstream={INDEX: redirect("/r0"), **{f"/r{i}": redirect(f"/r{i + 1}") for i in range(15)}})
    yield Case("update-redirect-no-location", UPDATE, 2, upstream={INDEX: Answer(b"", status=302)})
    yield Case("update-listing-too-big", UPDATE, 2, upstream={INDEX: listing(*(f"{i}/" for i in range(500)))},
               patch={(releases, "MAX_BYTES"): 2000})
    yield Case("update-overall-deadline", UPDATE, 2, upstream={"/ftp/python/3.13.17/": Answer(drip=0.05)},
               patch={(releases, "UPDATE_DEADLINE"): 1.0})
    release_lists = {
        "deep": deep("[", "]", 50_000), "deep-objects": deep('{"a":', "}", 40), "huge-number": "[" + "1" * 5000 + "]",
        "not-json": "<html>", "empty": "", "nan": "NaN", "strings": ["a", "b"], "object": {"a": 1},
        "results-not-list": {"results": "x"}, "next-not-url": {"results": [], "next": 5},
        "next-loop": {"results": [], "next": "{A}/release/?is_published=true"},
        "next-ftp": {"results": [], "next": "ftp://127.0.0.1/x"}, "next-elsewhere": {"results": [], "next": "http://example.invalid/x"},
        "listed-twice": [release(), release(uri="https://www.python.org/api/v2/downloads/release/1018/")],
        "no-id": [release(uri="https://www.python.org/api/v2/downloads/release/x/")],
        "id-unicode-digits": [release(uri="https://www.python.org/api/v2/downloads/release/\u0661\u0660/")],
        "uri-object": [release(uri={"a": [1]})],
        "missing-release": [release(name="Python 3.13.99")],
        "surrogate": '[{"name": "Python 3.13.17\\ud800", "resource_uri": "x/1/"}]',
    }
    for name, value in release_lists.items():
        yield Case(f"update-api-releases-{name}", UPDATE, 2, upstream={RELEASES: json_answer(value)})
    shas = {"control": "ab" * 31 + "a\n" + "b", "short": "ab", "not-hex": "zz" * 32, "int": 5, "list": ["a"],
            "nul": "\x00" * 64, "bidi": "ab" * 31 + "\u202eab", "empty": ""}
    for name, sha in shas.items():
        yield Case(f"update-api-sha-{name}", UPDATE, 2, upstream={FILES: json_answer([release_file(sha)])})
    yield Case("update-api-sha-trailing-space-is-taken", UPDATE, 2, SIGNATURE, upstream={FILES: json_answer([release_file("ab" * 32 + " \n")])})
    yield Case("update-api-sha-upper-is-taken", UPDATE, 2, SIGNATURE, upstream={FILES: json_answer([release_file("AB" * 32)])})
    yield Case("update-api-files-two-sums", UPDATE, 2, upstream={FILES: json_answer([release_file(), release_file("cd" * 32)])})
    yield Case("update-api-files-none", UPDATE, 2, upstream={FILES: json_answer([])})
    yield Case("update-api-files-404", UPDATE, 2, upstream={FILES: Answer(b"", status=404)})
    yield Case("update-api-files-deep", UPDATE, 2, upstream={FILES: json_answer(deep("[", "]", 5000))})
    yield Case("update-api-files-url-object", UPDATE, 2, upstream={FILES: json_answer([{"url": {"x": 1}, "sha256_sum": "ab" * 32}])})
    sums = {"malformed": b"hello\n", "upper": ("AB" * 32 + "  Python-3.13.17.tar.xz\n").encode(),
            "control": ("ab" * 32 + "  Python-3.13.17\x1b.tar.xz\n").encode(), "nul": b"\x00" * 100,
            "not-utf8": b"\xff" * 10, "disagrees-with-pinned": ("00" * 32 + "  Python-3.13.15.tar.xz\n").encode(),
            "twice-differently": ("ab" * 32 + "  Python-3.13.17.tar.xz\n" + "cd" * 32 + "  Python-3.13.17.tar.xz\n").encode(),
            "empty": b"", "lacks-the-release": ("ab" * 32 + "  Python-3.13.16.tar.xz\n").encode()}
    for name, body in sums.items():
        yield Case(f"update-sums-{name}", UPDATE, 2, upstream={SUMS: Answer(body, content_type="text/plain")})
    bad_urls = ["ftp://x/python", "file:///srv/python", "http://", "https://x:99999/", "http://a b/", "http://a\nb/",
                "javascript:x", "//x/y", "x" * 10000, "http://[::1/", "https://\u202eexample.com/"]
    for i, url in enumerate(bad_urls):
        yield Case(f"update-mirror-url-{i:02d}", ["versions", "update", "-C", "{P}", "--mirror", url], 1)
        yield Case(f"update-api-url-{i:02d}", ["versions", "update", "-C", "{P}", "--mirror", "{M}", "--api", url], 1)
    for i, line in enumerate(["9.9", "-x", "3.13\x00", "3.13\u202e"]):
        yield Case(f"update-line-{i}", [*UPDATE, "--line", line], 1)
    # Blank entries are dropped by design (workflow inputs may be empty): all lines, or the named ones.
    for i, line in enumerate(["", "3.13,,3.16", "\n", " 3.13 "]):
        yield Case(f"update-line-blank-{i}", [*UPDATE, "--line", line], 2, SIGNATURE)


# --- the environment and the command line -------------------------------------------------------------

ENV_VALUES = ["a\nb", "-x", "\x1b[31m", "\u202e", "\u0663", "x" * 5000, "a b", "UPPER", "${REGISTRY}", "a,,b"]
ENV_CHECKED = ["REGISTRY", "IMAGE_NAME", "BASE_IMAGE", "BASE_IMAGE_BULLSEYE", "CACHE", "SBOM_GENERATOR", "PLATFORMS",
               "PYTHON_MIRROR", "PKG_PROXY", "NETWORK", "LATEST", "ATTEST"]


#: Values that are valid where they are set: a registry host may be long or upper-case.
ENV_VALID = {("REGISTRY", "x" * 5000), ("REGISTRY", "UPPER")}


def environment_cases() -> Iterator[Case]:
    for name in ENV_CHECKED:
        for i, value in enumerate(ENV_VALUES):
            yield Case(f"env-{name.lower()}-{i}", BUILD, 0 if (name, value) in ENV_VALID else 1, env={name: value})
    for i, value in enumerate(["x", "-1", "1.5", "\u0663", "\u00b2", "9" * 30, " 1", "1\n", "0x10"]):
        yield Case(f"env-source-date-epoch-{i}", BUILD, 1, env={"SOURCE_DATE_EPOCH": value})
    for i, value in enumerate(["3.13", "3.13.5; rm -rf /", "3.13.5\n", "\u0663.13.5", "${X}", "3.13.5 "]):
        yield Case(f"env-python-version-{i}", CUSTOM, 1, env={"PYTHON_VERSION": value})
    for i, value in enumerate(["x", "AB" * 32, "ab" * 32 + "\n", "ab" * 31]):
        yield Case(f"env-python-sha256-{i}", CUSTOM, 1, env={"PYTHON_VERSION": "3.99.1", "PYTHON_SHA256": value})
    files = {"missing": (None, 1), "dir": (replace("T/ca", kind="dir"), 1), "fifo": (replace("T/ca", kind="fifo"), 2),
             "dev-zero": (replace("T/ca", kind="symlink", to="/dev/zero"), 2), "garbage": (replace("T/ca", garbage(9, 999)), 2),
             "not-pem": (replace("T/ca", b"hello\n"), 2), "huge": (sparse("T/ca", 1 << 30), 2)}
    for name, (setup, code) in files.items():
        yield Case(f"env-ca-bundle-{name}", BUILD, code, env={"CA_BUNDLE": "{T}/ca"}, setup=setup)
        yield Case(f"env-mirror-sums-{name}", BUILD, 2, env={"PYTHON_MIRROR_SHA256SUMS": "{T}/ca"},
                   setup=setup)
    configs = {"deep": deep("[", "]", 100_000).encode(), "list": b"[]", "auths-list": b'{"auths": [1]}',
               "auths-string": b'{"auths": "x", "credHelpers": 5, "credsStore": [1]}', "garbage": garbage(4, 300),
               "not-utf8": b'{"auths": "\xff"}', "huge": b" " * (40 << 20)}
    for name, content in configs.items():
        yield Case(f"env-docker-config-{name}", PUSH, 3, "docker login reg.example", net={"https://reg.example": 401},
                   env={"DOCKER_CONFIG": "{T}/docker"}, setup=replace("T/docker/config.json", content))
    yield Case("env-docker-config-fifo", PUSH, 3, "docker login reg.example", net={"https://reg.example": 401},
               env={"DOCKER_CONFIG": "{T}/docker"}, setup=replace("T/docker/config.json", kind="fifo"))
    projects = {"missing": ("{T}/nowhere", None, 2), "file": ("{T}/f", replace("T/f", b"x"), 1),
                "fifo": ("{T}/f", replace("T/f", kind="fifo"), 2), "dev-null": ("/dev/null", None, 2),
                "loop": ("{T}/loop", replace("T/loop", kind="symlink", to="{T}/loop"), 2)}
    for name, (where, setup, code) in projects.items():
        yield Case(f"env-project-dir-{name}", ["list"], code, env={"BAKEGEN_PROJECT_DIR": where}, setup=setup, also=(1, 2))


def cli_cases() -> Iterator[Case]:
    args = {
        "build-dash-target": ["build", "-C", "{P}", "--", "-x"],
        "build-newline-target": ["build", "-C", "{P}", "--", "3_13-wee\n"],
        "build-empty-target": ["build", "-C", "{P}", "--", ""],
        "test-pull": ["test", "-C", "{P}", "--pull", "sometimes", "img"],
        "test-dash-image": ["test", "-C", "{P}", "--", "--privileged"],
        "test-space-image": ["test", "-C", "{P}", "--", "a b"],
        "matrix-lines": ["matrix", "-C", "{P}", "--lines", "3.13\x00"],
        "matrix-lines-bidi": ["matrix", "-C", "{P}", "--lines", "3.13\u202e"],
        "matrix-platforms": ["matrix", "-C", "{P}", "--platforms", "linux/amd64\x1b"],
        "matrix-platforms-upper": ["matrix", "-C", "{P}", "--platforms", "Linux/AMD64"],
        "verify-no-key": ["verify", "img", "--key", "{T}/nowhere.pub", "-C", "{P}"],
        "list-groups-value": ["list", "--groups=1"],
        "mirror-sums-ftp": ["list", "-C", "{P}", "--mirror-sums", "ftp://x/SHA256SUMS"],
        "mirror-sums-file-url": ["list", "-C", "{P}", "--mirror-sums", "file:///etc/passwd"],
        "mirror-sums-http-refused": ["list", "-C", "{P}", "--mirror-sums", "http://127.0.0.1:1/SHA256SUMS"],
        "unicode-option": ["list", "-C", "{P}", "\u2014groups"],
        "nul-option": ["list", "-C", "{P}\x00x"],
    }
    codes = {"mirror-sums-http-refused": 2}
    for name, argv in args.items():
        yield Case(f"cli-{name}", argv, codes.get(name, 1))
    # Blank entries are dropped by design here too; what is left is used, or the defaults.
    lenient = {"matrix-lines-newline": ["matrix", "-C", "{P}", "--lines", "3.13\n"],
               "matrix-platforms-commas": ["matrix", "-C", "{P}", "--platforms", ",,"]}
    for name, argv in lenient.items():
        yield Case(f"cli-{name}", argv, 0)


FAMILIES = {
    "versions/ files": versions_cases,
    "variants.toml": variants_cases,
    "base-images.toml, campaign files": other_data_cases,
    "the template": template_cases,
    "bench arguments": bench_cases,
    "network (versions update)": network_cases,
    "environment": environment_cases,
    "command line": cli_cases,
}
CORPUS = [case for family in FAMILIES.values() for case in family()]


def test_the_corpus_is_wide_and_its_ids_unique() -> None:
    assert len(CORPUS) >= 500
    assert len({c.id for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_handled(case: Case, project_dir: Path, tmp_path: Path, clean_env, monkeypatch: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_case(case, project_dir, tmp_path / "scratch", monkeypatch, capsys)
    problem = judge(case, code, err)
    assert not problem, f"{problem}\n{err[-2000:]}"


if __name__ == "__main__":
    for family, cases in FAMILIES.items():
        print(f"{len(list(cases())):5d}  {family}")
    print(f"{len(CORPUS):5d}  in all")
