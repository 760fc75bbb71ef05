"""The test suite's own layout: pytest imports test modules by basename (rootdir-relative
``pythonpath`` folders, no packages), so two files of one name in tests/unit and tests/engine
make the whole run fail at collection."""

import re
from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_test_module_basenames_are_unique() -> None:
    names = Counter(p.name for p in TESTS.rglob("*.py") if p.name != "conftest.py")
    assert [n for n, c in names.items() if c > 1] == []


def test_no_test_imports_a_conftest() -> None:
    # Which folder's conftest.py `import conftest` finds depends on what was collected first.
    importers = [p.name for p in TESTS.rglob("*.py")
                 if p != Path(__file__).resolve() and re.search(r"^\s*(from|import) conftest\b", p.read_text(), re.M)]
    assert importers == []


def test_the_engine_prebuild_list_is_what_the_engine_tests_build() -> None:
    engine = TESTS / "engine"
    built = set()
    for path in engine.glob("test_*.py"):
        # build(stack, "TARGET") for the engine's platform; a platform argument makes it another build
        built |= set(re.findall(r'\bbuild\(stack, "([^"]+)"\)', path.read_text()))
    built |= set(re.findall(r'\bbuild\(stack, "([^"]+)"\)', (engine / "conftest.py").read_text()))
    listed = re.search(r"ENGINE_PLATFORM_TARGETS = \((.*?)\)", (engine / "conftest.py").read_text(), re.S)
    assert listed, "ENGINE_PLATFORM_TARGETS not found in tests/engine/conftest.py"
    assert set(re.findall(r'"([^"]+)"', listed.group(1))) == built
