"""Fixtures of the unit tests that need more than tests/conftest.py gives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.kit.sign import Keys


@pytest.fixture(scope="session")
def gpg_keys() -> Iterator[Keys]:
    """Throw-away OpenPGP keys (tests/kit/sign.py), made once per session."""
    keys = Keys()
    yield keys
    keys.close()
