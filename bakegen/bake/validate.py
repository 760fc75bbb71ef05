"""Checking a rendered bake file against the plan it was rendered from.

Two independent readers check the text: python-hcl2 (offline, structural) and, where buildx is
present, ``docker buildx bake --print`` (what bake will really build). Neither check evaluates the
template's HCL functions a second time in Python. Instead they hold bake's reading to two things:

* the plan's facts, straight from the model: each target's Dockerfile and stage, its build args,
  its tag names (in every repository) and its labels, and which base-image variable it reads; plus the two variables
  that pass straight through, PLATFORMS and NETWORK (buildx 0.13 drops ``network``: this catches it);
* uniformity: every attribute a shared HCL function fills (cache, attestations, secrets, network,
  platforms, ...) reads the same in every version x variant target, once the target's own name is
  set aside. Bake silently drops attributes it does not know, so a target that lost one, or a
  function an older buildx evaluates differently for some targets, shows up as a difference.

What those functions compute is pinned by the golden file and proven by the engine tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import hcl2

from ..errors import DataError
from .model import Plan, Target
from .plan import BAKE_NAME_RE, EXTRA_TARGETS, base_variable

#: Option-like attributes, printed as "k=v,k=v" strings by old buildx and as objects by new.
_OPTION_LISTS = ("secret", "cache-from", "cache-to", "attest")
#: Stands in for a target's own name where a shared function puts it (cache scopes).
_SELF = "<target>"


class ValidationError(DataError):
    """The rendered text does not say what the plan says: the template (data, as versions/ is) is wrong."""


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


# --- python-hcl2: the text ------------------------------------------------------------------------


def _check_names(targets: list, groups: list) -> list[str]:
    problems, seen = [], set()
    for name, _ in [*targets, *groups]:
        if not BAKE_NAME_RE.match(name):
            problems.append(f"'{name}' is not a valid bake name")
        if name in seen:
            problems.append(f"'{name}' is defined twice")
        seen.add(name)
    defined = {n for n, _ in [*targets, *groups]}
    for name, body in groups:
        for member in body.get("targets", []):
            if member not in defined:
                problems.append(f"group '{name}' names '{member}', which is not defined")
    return problems


def _check_targets(plan: Plan, targets: dict[str, dict[str, Any]]) -> list[str]:
    wanted = {t.name: t for t in plan.targets}
    problems = [f"target '{n}' is in the plan but not in the file" for n in sorted(set(wanted) - set(targets))]
    problems += [
        f"target '{n}' is in the file but not in the plan"
        for n in sorted(set(targets) - set(wanted) - set(EXTRA_TARGETS))
    ]
    present = [(name, targets[name]) for name in wanted if name in targets]
    # Every version x variant target is written from the same template block: same attributes.
    attributes = set().union(*(body.keys() for _, body in present)) if present else set()
    for name, body in present:
        problems += [f"target '{name}' lacks '{attr}'" for attr in sorted(attributes - body.keys())]
        args = body.get("args", {})
        for key, value in wanted[name].args.items():
            if args.get(key) != value:
                problems.append(f"target '{name}': arg {key} is {args.get(key)!r}, the plan says {value!r}")
    return problems


def check_text(text: str, plan: Plan) -> dict[str, Any]:
    """Structural checks with python-hcl2; returns the parsed document."""
    parsed = parse(text)
    targets, groups = _blocks(parsed, "target"), _blocks(parsed, "group")
    problems = _check_names(targets, groups) + _check_targets(plan, dict(targets))
    by_name = dict(groups)
    for group in plan.groups:
        body = by_name.get(group.name)
        if body is None:
            problems.append(f"group '{group.name}' is in the plan but not in the file")
        elif list(body.get("targets", [])) != list(group.targets):
            problems.append(f"group '{group.name}' lists other targets than the plan")
    if problems:
        raise ValidationError("; ".join(problems))
    return parsed


# --- bake --print: what bake will build -----------------------------------------------------------


def _options(entries: Any) -> list[list[tuple[str, str]]]:
    """Cache, secret and attest entries as sorted key/value pairs, whichever way buildx prints them."""
    out = []
    for e in entries or []:
        if isinstance(e, str):
            pairs = (p.split("=", 1) for p in e.split(",") if p)
            out.append(sorted((k, v) for k, v in pairs))
        else:
            out.append(sorted((str(k), str(v)) for k, v in e.items()))
    return sorted(out)


def _facts(target: Target, plan: Plan, values: Mapping[str, str]) -> dict[str, Any]:
    """What the plan alone decides about a target, as bake prints it."""
    base = values.get(base_variable(target.release.debian, plan.default_debian))
    names = [*target.tag_names, *(["latest"] if target.latest_alias and values.get("LATEST") == "1" else [])]
    return {
        "dockerfile": target.dockerfile,
        "target": target.stage,
        "tag names": sorted(names),
        "args": {**target.args, "BASE_IMAGE": base},
        "labels": {**target.labels, "org.opencontainers.image.base.name": base},
        "platforms": sorted(p.strip() for p in values.get("PLATFORMS", "").split(",") if p.strip()),
        "network": values.get("NETWORK", "default"),
    }


def _tag_names(tags: list[str]) -> list[str] | dict[str, list[str]]:
    """The tag names, when every repository has the same ones; else the names per repository."""
    per_repo: dict[str, set[str]] = {}
    for tag in tags:
        repo, _, name = tag.rpartition(":")
        per_repo.setdefault(repo, set()).add(name)
    sets = list(per_repo.values())
    if all(names == sets[0] for names in sets):
        return sorted(sets[0]) if sets else []
    return {repo: sorted(names) for repo, names in sorted(per_repo.items())}


def print_escaped(value: str) -> str:
    """How newer buildx prints a string whose text holds HCL template sequences: escaped again, so
    that ``--print`` output reads back as a bake file (0.13 prints the evaluated text)."""
    return value.replace("${", "$${").replace("%{", "%%{")


def _as_planned(printed: Mapping[str, Any], planned: Mapping[str, Any]) -> dict[str, Any]:
    """The printed values of the planned keys, each read back to the planned text where it is that
    text in either print form."""
    out = {}
    for key, want in planned.items():
        have = printed.get(key)
        out[key] = want if isinstance(want, str) and have == print_escaped(want) else have
    return out


def _printed_facts(got: Mapping[str, Any], facts: Mapping[str, Any]) -> dict[str, Any]:
    """The same facts, read from bake's output (only the keys the plan sets, for args and labels)."""
    return {
        "dockerfile": got.get("dockerfile"),
        "target": got.get("target"),
        "tag names": _tag_names(got.get("tags") or []),
        "args": _as_planned(got.get("args") or {}, facts["args"]),
        "labels": _as_planned(got.get("labels") or {}, facts["labels"]),
        "platforms": sorted(got.get("platforms") or []),
        "network": got.get("network") or "default",
    }


def _shared(name: str, got: Mapping[str, Any], facts: Mapping[str, Any]) -> dict[str, str]:
    """Everything else bake printed, normalized so that it can be compared across targets."""
    out = {}
    for attr, value in got.items():
        if attr in _OPTION_LISTS:
            value = _options(value)
        elif attr in facts:
            continue
        elif attr == "tags":
            value = sorted({tag.rsplit(":", 1)[0] for tag in value or []})  # the repositories
        elif attr == "annotations":
            continue  # compared with the labels below
        out[attr] = json.dumps(value, sort_keys=True).replace(json.dumps(name)[1:-1], _SELF)
    args = {k: v for k, v in (got.get("args") or {}).items() if k not in facts["args"]}
    labels = {k: v for k, v in (got.get("labels") or {}).items() if k not in facts["labels"]}
    out["other args"] = json.dumps(args, sort_keys=True)
    out["other labels"] = json.dumps(labels, sort_keys=True)
    out["annotations = labels"] = str(sorted(got.get("annotations") or []) ==
                                      sorted(f"{k}={v}" for k, v in (got.get("labels") or {}).items()))
    return out


def compare_printed(printed: Mapping[str, Any], plan: Plan, values: Mapping[str, str]) -> list[str]:
    """Differences between ``bake --print`` output and the plan, one line per difference."""
    problems: list[str] = []
    got_targets = printed.get("target", {})
    reference: tuple[str, dict[str, str]] | None = None
    for target in plan.targets:
        got = got_targets.get(target.name)
        if got is None:
            problems.append(f"{target.name}: missing from bake's output")
            continue
        facts = _facts(target, plan, values)
        for key, have in _printed_facts(got, facts).items():
            if have != facts[key]:
                problems.append(f"{target.name}: {key} is {have!r}, the plan says {facts[key]!r}")
        shared = _shared(target.name, got, facts)
        if reference is None:
            reference = (target.name, shared)
            continue
        first, want = reference
        for attr in sorted(set(want) | set(shared)):
            if shared.get(attr) != want.get(attr):
                problems.append(
                    f"{target.name}: {attr} is {shared.get(attr, 'missing')}, unlike {first}'s "
                    f"{want.get(attr, 'missing')}"
                )
    extra = set(got_targets) - {t.name for t in plan.targets} - set(EXTRA_TARGETS)
    problems.extend(f"{name}: printed by bake but not in the plan" for name in sorted(extra))
    return problems
