"""d2lcore.validate: the shared argument checks, on the values at their edges."""

from __future__ import annotations

import numpy as np
import pytest
import torch

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


@pytest.mark.parametrize("value", [(1, 2), [0.5, 3.0], (-2, -1)])
def test_pair_takes_an_increasing_pair_of_finite_numbers(value: object) -> None:
    validate.pair("ylim", value, increasing=True)


@pytest.mark.parametrize("value", [(2, 1), (1, 1), (0, float("inf")), (True, 2), (1, 2, 3), "ab", 1, None])
def test_pair_refuses_what_is_not_increasing_or_finite(value: object) -> None:
    with pytest.raises(ValueError) as info:
        validate.pair("ylim", value, increasing=True)
    assert str(info.value) == f"ylim must be a pair (low, high) of finite numbers with low < high, got {value!r}"


def test_pair_positive_and_optional() -> None:
    validate.pair("figsize", (3.5, 2.5), positive=True)
    validate.pair("figsize", None, positive=True, optional=True)
    with pytest.raises(ValueError, match=r"figsize must be a pair of numbers > 0 \(width, height\) in inches, got \(0, 2\)"):
        validate.pair("figsize", (0, 2), positive=True)
    with pytest.raises(ValueError, match=r"in inches \(or None\), got \[-1, 2\]"):
        validate.pair("figsize", [-1, 2], positive=True, optional=True)


def test_names_takes_a_list_of_known_names() -> None:
    validate.names("metrics", ["a", "c"], ("a", "b", "c"))
    validate.names("metrics", (), ("a",))
    validate.names("metrics", None, ("a",), optional=True)


@pytest.mark.parametrize("value", ["a", ["a", "d"], [1], 5, None, {"a": 1}])
def test_names_refuses_a_string_an_unknown_name_or_a_non_list(value: object) -> None:
    with pytest.raises(ValueError) as info:
        validate.names("metrics", value, ("a", "b"))
    assert str(info.value) == f"metrics must be a list of names from ['a', 'b'], got {value!r}"


def test_device_name_parses_names_and_names_a_bad_one() -> None:
    assert validate.device_name("device", None) is None
    assert validate.device_name("device", "cuda:1") == torch.device("cuda", 1)  # a name, not a check
    assert validate.device_name("device", torch.device("meta")) == torch.device("meta")
    with pytest.raises(ValueError, match=r"^device: 'tpu' is not a device name; use one such as 'cpu'"):
        validate.device_name("device", "tpu")
    with pytest.raises(TypeError, match=r"device must be a device name .*got 0 \(int\)"):
        validate.device_name("device", 0)
