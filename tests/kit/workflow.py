"""Replays GitHub Actions jobs outside GitHub, from the workflow files themselves.

A job's `run:` steps are run as GitHub runs them (`bash --noprofile --norc -eo pipefail`, with the
job's and the step's `env:` evaluated, `GITHUB_OUTPUT` and `RUNNER_TEMP`), so a test built on this
breaks when the workflow breaks. `uses:` steps go to handlers the test supplies, one per action; an
action without a handler is an error, never silently skipped. Expressions (`${{ ... }}`, `if:`) are
evaluated by a small evaluator of the GitHub expression language: literals, context paths, `!`,
`==`, `!=`, `&&`, `||`, parentheses, and the functions format, fromJSON, toJSON, contains,
startsWith, endsWith, success, always, cancelled and failure, with GitHub's semantics where it
differs from Python's (string comparison ignores case; `&&`/`||` return an operand; a missing
property is null) (https://docs.github.com/en/actions/reference/workflows-and-actions/expressions).

Used by tests/engine/test_workflow_replay.py (the build workflow against a local registry) and by
tests/unit/test_workflows.py (single steps that need no engine).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# --- expressions -----------------------------------------------------------------------------------

TOKEN_RE = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||[!()\[\],.])"
    r"|(?P<ident>[A-Za-z_][A-Za-z0-9_-]*))"
)
FUNCTIONS = {"format", "fromjson", "tojson", "contains", "startswith", "endswith",
             "success", "always", "cancelled", "failure"}


class ExpressionError(ValueError):
    pass


def tokenize(text: str) -> list[tuple[str, Any]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = TOKEN_RE.match(text, pos)
        if not m:
            raise ExpressionError(f"cannot read {text[pos:]!r} in {text!r}")
        pos = m.end()
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "str":
            value = value[1:-1].replace("''", "'")
        elif kind == "num":
            value = float(value) if "." in value else int(value)
        tokens.append((kind, value))
    return tokens


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "") and value == value  # NaN is falsy


def to_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _to_number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value) if str(value).strip() else 0.0
    except ValueError:
        return float("nan")


def equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if type(a) is type(b) or (isinstance(a, dict | list) and isinstance(b, dict | list)):
        return a == b
    return _to_number(a) == _to_number(b)


def _format(template: str, *args: Any) -> str:
    def field_(m: re.Match) -> str:
        if m.group(0) in ("{{", "}}"):
            return m.group(0)[0]
        return to_string(args[int(m.group(1))])

    return re.sub(r"\{\{|\}\}|\{(\d+)\}", field_, template)


class _Parser:
    """Recursive descent over the token list; evaluates as it parses."""

    def __init__(self, text: str, context: Mapping[str, Any]):
        self.text, self.context = text, context
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: Any = None) -> tuple[str, Any]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ExpressionError(f"expected {value!r} in {self.text!r}")
        self.i += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r} in {self.text!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.compare()
            value = right if truthy(value) else value
        return value

    def compare(self) -> Any:
        value = self.unary()
        if self.peek() in (("op", "=="), ("op", "!=")):
            op = self.take()[1]
            same = equal(value, self.unary())
            return same if op == "==" else not same
        return value

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, value = self.take()
        if (kind, value) == ("op", "("):
            inner = self.or_()
            self.take(")")
            return inner
        if kind in ("str", "num"):
            return value
        if kind != "ident":
            raise ExpressionError(f"unexpected {value!r} in {self.text!r}")
        if value in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[value]
        if self.peek() == ("op", "("):
            return self.path(self.call(value))
        if value not in self.context:
            raise ExpressionError(f"unknown context {value!r} in {self.text!r}")
        return self.path(self.context[value])

    def path(self, value: Any) -> Any:
        while self.peek() in (("op", "."), ("op", "[")):
            if self.take()[1] == ".":
                key = self.take()[1]
            else:
                key = self.or_()
                self.take("]")
            if isinstance(value, Mapping):
                value = value.get(key)
            elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
                value = value[key]
            else:
                value = None
        return value

    def call(self, name: str) -> Any:
        if name.lower() not in FUNCTIONS:
            raise ExpressionError(f"unknown function {name!r} in {self.text!r}")
        self.take("(")
        args = []
        while self.peek() != ("op", ")"):
            args.append(self.or_())
            if self.peek() == ("op", ","):
                self.take()
        self.take(")")
        return self._apply(name.lower(), args)

    def _apply(self, name: str, args: list[Any]) -> Any:
        status = self.context.get("__status__", "success")
        if name == "format":
            return _format(*args)
        if name == "fromjson":
            return json.loads(args[0])
        if name == "tojson":
            return json.dumps(args[0], indent=2)
        if name in ("contains", "startswith", "endswith"):
            hay, needle = args
            if name == "contains" and isinstance(hay, list):
                return any(equal(item, needle) for item in hay)
            hay, needle = to_string(hay).casefold(), to_string(needle).casefold()
            return {"contains": needle in hay, "startswith": hay.startswith(needle),
                    "endswith": hay.endswith(needle)}[name]
        return {"success": status == "success", "always": True,
                "cancelled": status == "cancelled", "failure": status == "failure"}[name]


def evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    """The value of one expression (the text inside `${{ }}`, or an `if:` condition)."""
    text = expression.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    return _Parser(text, context).parse()


def interpolate(value: Any, context: Mapping[str, Any]) -> Any:
    """A YAML value with every `${{ }}` replaced; a string that is one whole expression keeps its type."""
    if isinstance(value, dict):
        return {k: interpolate(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, context) for v in value]
    if not isinstance(value, str) or "${{" not in value:
        return value
    whole = re.fullmatch(r"\s*\$\{\{(.*?)\}\}\s*", value, re.S)
    if whole and "${{" not in whole.group(1):
        return evaluate(whole.group(1), context)
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: to_string(evaluate(m.group(1), context)), value, flags=re.S)


def condition(value: Any, context: Mapping[str, Any]) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    return truthy(evaluate(str(value), context))


# --- workflows and jobs ----------------------------------------------------------------------------


def load_workflow(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    if True in data:  # YAML 1.1 reads the key `on` as True
        data["on"] = data.pop(True)
    return data


def read_outputs(path: Path) -> dict[str, str]:
    """A GITHUB_OUTPUT file: `name=value` lines and `name<<DELIMITER` blocks."""
    outputs: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            outputs[name] = "\n".join(lines[i + 1:end])
            i = end + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
        i += 1
    return outputs


@dataclass
class Step:
    """One step as a handler sees it: its `with:` and `env:` evaluated."""

    name: str
    uses: str
    with_: dict[str, Any]
    env: dict[str, str]
    job: JobRun


@dataclass
class JobRun:
    job_id: str
    matrix: dict[str, Any]
    env: dict[str, str]
    temp: Path
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    #: What handlers record for the test to check (e.g. the bake step's evaluated `set:` lines).
    notes: dict[str, Any] = field(default_factory=dict)
    result: str = "success"
    failed_step: str | None = None
    failure: str = ""


Handler = Callable[[Step], dict[str, str] | None]


class StepFailed(Exception):
    pass


@dataclass
class Replay:
    """One workflow run: its contexts, the workspace it runs in, and what stands in for GitHub."""

    workflow: dict[str, Any]
    workspace: Path
    github: dict[str, Any]
    vars: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    #: Handlers of `uses:` steps, by action name without its version.
    actions: dict[str, Handler] = field(default_factory=dict)
    #: Steps not run here, by name, with the reason.
    skip: dict[str, str] = field(default_factory=dict)
    #: Environment added to every `run:` step and handler (what the local stack needs).
    extra_env: dict[str, str] = field(default_factory=dict)
    needs: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def context(self, job: JobRun | None = None) -> dict[str, Any]:
        ctx: dict[str, Any] = {
            "github": self.github, "vars": self.vars, "inputs": self.inputs, "secrets": self.secrets,
            "needs": self.needs, "env": {}, "matrix": {}, "steps": {}, "strategy": {}, "job": {},
            "runner": {"os": "Linux", "arch": "X64", "temp": ""},
        }
        if job is not None:
            ctx.update(matrix=job.matrix, env=job.env, steps=job.steps,
                       runner={**ctx["runner"], "temp": str(job.temp)}, __status__=job.result)
        return ctx

    def job(self, job_id: str) -> dict[str, Any]:
        return self.workflow["jobs"][job_id]

    def matrix_entries(self, job_id: str) -> list[dict[str, Any]]:
        strategy = self.job(job_id).get("strategy", {})
        matrix = interpolate(strategy.get("matrix", {}), self.context())
        return list(matrix.get("include", [])) if matrix else [{}]

    def job_condition(self, job_id: str) -> bool:
        return condition(self.job(job_id).get("if"), self.context())

    def run_job(self, job_id: str, matrix: dict[str, Any] | None = None,
                path_prepend: tuple[str, ...] = ()) -> JobRun:
        spec = self.job(job_id)
        temp = Path(tempfile.mkdtemp(prefix=f"replay-{job_id}-"))
        run = JobRun(job_id, matrix or {}, {}, temp)
        run.env = {k: to_string(v) for k, v in interpolate(spec.get("env", {}), self.context(run)).items()}
        for index, step in enumerate(spec["steps"]):
            name = step.get("name") or step.get("uses") or f"step {index}"
            try:
                self._step(run, name, step, path_prepend)
            except StepFailed as exc:
                run.result, run.failed_step, run.failure = "failure", name, str(exc)
                self.log.append(f"{job_id}: step {name!r} failed: {exc}")
                break
        if run.result == "success":
            run.outputs = {k: to_string(v) for k, v in interpolate(spec.get("outputs", {}), self.context(run)).items()}
        shutil.rmtree(temp, ignore_errors=True)  # as GitHub empties RUNNER_TEMP after each job
        return run

    def finish(self, job_id: str, runs: list[JobRun]) -> None:
        """Record a job's matrix runs as `needs.<job_id>` for the jobs after it."""
        result = "success" if all(r.result == "success" for r in runs) else "failure"
        outputs: dict[str, str] = {}
        for r in runs:
            outputs.update(r.outputs)
        self.needs[job_id] = {"result": result, "outputs": outputs}

    def _step(self, run: JobRun, name: str, step: dict[str, Any], path_prepend: tuple[str, ...]) -> None:
        ctx = self.context(run)
        if not condition(step.get("if"), ctx):
            run.log.append(f"skipped (if: {step['if']}): {name}")
            return
        if name in self.skip:
            run.log.append(f"not replayed: {name}: {self.skip[name]}")
            return
        env = {**self.extra_env, **run.env,
               **{k: to_string(v) for k, v in interpolate(step.get("env", {}), ctx).items()}}
        if "uses" in step:
            action = step["uses"].split("@")[0]
            if action not in self.actions:
                raise KeyError(f"no handler for {action} (step {name!r}): the replay must say what stands in for it")
            outputs = self.actions[action](Step(name, action, interpolate(step.get("with", {}), ctx), env, run))
        else:
            outputs = self._run(run, name, interpolate(step["run"], ctx), env, path_prepend)
        if "id" in step:
            run.steps[step["id"]] = {"outputs": outputs or {}, "outcome": "success"}

    def _run(self, run: JobRun, name: str, script: str, env: dict[str, str],
             path_prepend: tuple[str, ...]) -> dict[str, str]:
        output_file = run.temp / f"output-{len(run.log)}"
        output_file.touch()
        script_file = run.temp / f"step-{len(run.log)}.sh"
        script_file.write_text(script)
        path = os.pathsep.join([*path_prepend, os.environ.get("PATH", "")])
        full_env = {**os.environ, "PATH": path, **env, "GITHUB_OUTPUT": str(output_file),
                    "RUNNER_TEMP": str(run.temp), "GITHUB_WORKSPACE": str(self.workspace), "CI": "true"}
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
                              cwd=self.workspace, env=full_env, capture_output=True, text=True)
        run.log.append(f"ran: {name} (exit {proc.returncode})\n{proc.stdout}{proc.stderr}")
        if proc.returncode != 0:
            raise StepFailed(f"exit {proc.returncode}: {(proc.stdout + proc.stderr).strip()[-3000:]}")
        return read_outputs(output_file)


def run_step(workflow: dict[str, Any], job_id: str, step_id: str, *, github: dict[str, Any],
             vars: dict[str, str] | None = None, workspace: Path, matrix: dict[str, Any] | None = None,
             path_prepend: tuple[str, ...] = ()) -> dict[str, str]:
    """Run one `run:` step of a job alone (its job `env:` and step `env:` evaluated); its outputs."""
    spec = workflow["jobs"][job_id]
    (step,) = [s for s in spec["steps"] if s.get("id") == step_id]
    replay = Replay({"jobs": {job_id: {**spec, "steps": [step]}}}, workspace, github, vars=vars or {})
    run = replay.run_job(job_id, matrix, path_prepend)
    if run.result != "success":
        raise StepFailed(run.failure)
    return run.steps[step_id]["outputs"]
