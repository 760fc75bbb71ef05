"""Checking a rendered bake file against the plan it was rendered from.

Two independent readers check the text: python-hcl2 (offline, structural) and, where an engine is
present, ``docker buildx bake --print`` (what bake will really build). Bake ignores attributes it
does not know, so the printed definition is compared value by value with what the plan means.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import hcl2

from ..errors import BakegenError
from .model import Plan, Target
from .plan import BAKE_NAME_RE, EXTRA_TARGETS, base_variable

#: Attributes every version x variant target must set in the text.
TARGET_ATTRIBUTES = (
    "context", "dockerfile", "target", "platforms", "network", "args", "tags", "labels", "annotations", "attest",
    "secret", "cache-from", "cache-to",
)
#: The predefined proxy build args, which BuildKit keeps out of the cache key.
PROXY_ARGS = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")
#: Option-like attributes, printed as "k=v,k=v" strings by old buildx and as objects by new.
_OPTION_LISTS = ("secret", "cache-from", "cache-to", "attest")


class ValidationError(BakegenError):
    """The rendered text does not say what the plan says."""


def _blocks(parsed: Mapping[str, Any], kind: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for entry in parsed.get(kind, []):
        for name, body in entry.items():
            out.append((name.strip('"'), body))
    return out


def parse(text: str) -> dict[str, Any]:
    try:
        return hcl2.loads(text)
    except Exception as exc:  # python-hcl2 raises lark errors of several types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValidationError(f"docker-bake.hcl does not parse as HCL: {first}") from None


def variable_defaults(parsed: Mapping[str, Any]) -> dict[str, str]:
    return {name: body.get("default", "") for name, body in _blocks(parsed, "variable")}


def check_text(text: str, plan: Plan) -> dict[str, Any]:
    """Structural checks with python-hcl2; returns the parsed document."""
    parsed = parse(text)
    problems: list[str] = []
    targets = _blocks(parsed, "target")
    groups = _blocks(parsed, "group")
    seen: set[str] = set()
    for name, _ in [*targets, *groups]:
        if not BAKE_NAME_RE.match(name):
            problems.append(f"'{name}' is not a valid bake name")
        if name in seen:
            problems.append(f"'{name}' is defined twice")
        seen.add(name)
    target_names = {n for n, _ in targets}
    group_names = {n for n, _ in groups}
    for name, body in groups:
        for member in body.get("targets", []):
            if member not in target_names and member not in group_names:
                problems.append(f"group '{name}' names '{member}', which is not defined")
    wanted = {t.name: t for t in plan.targets}
    for name in sorted(set(wanted) - target_names):
        problems.append(f"target '{name}' is in the plan but not in the file")
    for name in sorted(target_names - set(wanted) - set(EXTRA_TARGETS)):
        problems.append(f"target '{name}' is in the file but not in the plan")
    by_name = dict(targets)
    for name, target in wanted.items():
        body = by_name.get(name)
        if body is None:
            continue
        for attr in TARGET_ATTRIBUTES:
            if attr not in body:
                problems.append(f"target '{name}' lacks '{attr}'")
        args = body.get("args", {})
        for key, value in target.args.items():
            if args.get(key) != value:
                problems.append(f"target '{name}': arg {key} is {args.get(key)!r}, the plan says {value!r}")
    for group in plan.groups:
        body = dict(groups).get(group.name)
        if body is None:
            problems.append(f"group '{group.name}' is in the plan but not in the file")
        elif list(body.get("targets", [])) != list(group.targets):
            problems.append(f"group '{group.name}' lists other targets than the plan")
    if problems:
        raise ValidationError("; ".join(problems))
    return parsed


def settings(parsed: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """The value of every bake variable as bake will see it: the environment wins over defaults."""
    values = variable_defaults(parsed)
    for name in values:
        if name in environ:
            values[name] = environ[name]
    return values


def expected(target: Target, plan: Plan, values: Mapping[str, str], context: str = ".") -> dict[str, Any]:
    """What ``bake --print`` must show for ``target`` when the variables have ``values``."""
    base = values[base_variable(target.release.debian, plan.default_debian)]
    registries = [r.strip() for r in values["REGISTRY"].split(",")]
    scope = target.name
    cache = values["CACHE"]
    if cache == "":
        cache_from, cache_to = [], []
    elif cache == "gha":
        cache_from, cache_to = [f"type=gha,scope={scope}"], [f"type=gha,scope={scope},mode=max"]
    else:
        cache_from = [f"type=registry,ref={cache}:{scope}"]
        cache_to = [f"type=registry,ref={cache}:{scope},mode=max"]
    tag_names = list(target.tag_names)
    tags = [f"{r}/{values['IMAGE_NAME']}:{n}" for r in registries for n in tag_names]
    if target.latest_alias and values["LATEST"] == "1":
        tags += [f"{r}/{values['IMAGE_NAME']}:latest" for r in registries]
    labels = {**target.labels, "org.opencontainers.image.base.name": base}
    for key, variable in (("source", "SOURCE_URL"), ("revision", "REVISION"), ("created", "CREATED")):
        if values[variable]:
            labels[f"org.opencontainers.image.{key}"] = values[variable]
    attest = []
    if values["ATTEST"] == "1":
        sbom = f"type=sbom,generator={values['SBOM_GENERATOR']}" if values["SBOM_GENERATOR"] else "type=sbom"
        attest = ["type=provenance,mode=max", sbom]
    return {
        "context": context,
        "dockerfile": "Dockerfile",
        "target": target.stage,
        "platforms": values["PLATFORMS"].split(","),
        "network": values["NETWORK"],
        "args": {
            "BASE_IMAGE": base,
            "PYTHON_MIRROR": values["PYTHON_MIRROR"],
            **dict.fromkeys(PROXY_ARGS, values["PKG_PROXY"]),
            **target.args,
        },
        "tags": tags,
        "labels": labels,
        "annotations": [f"{key}={labels[key]}" for key in sorted(labels)],
        "attest": attest,
        "secret": [f"id=ca,src={values['CA_BUNDLE']}"] if values["CA_BUNDLE"] else [],
        "cache-from": cache_from,
        "cache-to": cache_to,
    }


def _options(entries: Any) -> list[frozenset[tuple[str, str]]]:
    """Cache and secret entries print as "k=v,k=v" strings in old buildx and as objects in new."""
    out = []
    for e in entries or []:
        if isinstance(e, str):
            pairs = (p.split("=", 1) for p in e.split(",") if p)
            out.append(frozenset((k, v) for k, v in pairs))
        else:
            out.append(frozenset((str(k), str(v)) for k, v in e.items()))
    return sorted(out, key=sorted)


def compare_printed(printed: Mapping[str, Any], plan: Plan, values: Mapping[str, str], context: str = ".") -> list[str]:
    """Differences between ``bake --print`` output and the plan, one line per difference."""
    problems = []
    got_targets = printed.get("target", {})
    for target in plan.targets:
        got = got_targets.get(target.name)
        if got is None:
            problems.append(f"{target.name}: missing from bake's output")
            continue
        for attr, want in expected(target, plan, values, context).items():
            have = got.get(attr)
            if attr in _OPTION_LISTS:
                if _options(have) != _options(want):
                    problems.append(f"{target.name}: {attr} is {have!r}, the plan says {want!r}")
            elif attr == "network":
                # Old buildx leaves "network" out of --print (and out of the build); that is only
                # the same as the plan when the plan wants the default network.
                if (have or "default") != want:
                    problems.append(f"{target.name}: network is {have!r}, the plan says {want!r}")
            elif attr == "platforms":
                if sorted(have or []) != sorted(want):
                    problems.append(f"{target.name}: platforms are {have!r}, the plan says {want!r}")
            elif (have if have is not None else type(want)()) != want:
                problems.append(f"{target.name}: {attr} is {have!r}, the plan says {want!r}")
    extra = set(got_targets) - {t.name for t in plan.targets} - set(EXTRA_TARGETS)
    problems.extend(f"{name}: printed by bake but not in the plan" for name in sorted(extra))
    return problems
