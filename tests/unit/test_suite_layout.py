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
