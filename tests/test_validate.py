"""d2lcore.validate: the shared argument checks, on the values at their edges."""

from __future__ import annotations

import numpy as np
import pytest

from d2lcore import validate


@pytest.mark.parametrize("value", [True, False])
def test_boolean_returns_a_bool(value: bool) -> None:
    assert validate.boolean("flag", value) is value


def test_boolean_takes_numpy_bools() -> None:
    got = validate.boolean("flag", np.bool_(True))
    assert got is True and type(got) is bool


@pytest.mark.parametrize("value", ["yes", "no", "", 1, 0, 1.0, [], [True]])
def test_boolean_refuses_what_is_only_truthy(value: object) -> None:
    with pytest.raises(TypeError) as info:
        validate.boolean("shuffle", value)
    assert str(info.value) == f"shuffle must be True or False, got {value!r} ({type(value).__name__})"


def test_boolean_optional_takes_none_and_says_so() -> None:
    assert validate.boolean("test_loss", None, optional=True) is None
    with pytest.raises(TypeError, match=r"test_loss must be True, False or None, got 'yes' \(str\)"):
        validate.boolean("test_loss", "yes", optional=True)
    with pytest.raises(TypeError, match=r"flag must be True or False, got None \(NoneType\)"):
        validate.boolean("flag", None)
