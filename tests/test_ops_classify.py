"""d2lcore.ops.classify against torch.softmax / F.log_softmax / F.cross_entropy (float64),
values and gradients, on hypothesis-drawn shapes and logits up to ±1000."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import d2lcore as d2l
from tests.strategies import logits, logits_and_labels

# Per test, not a profile: a loaded profile would apply to every test of the session.
SETTINGS = settings(deadline=None, max_examples=60)


# --- softmax / log_softmax ------------------------------------------------------------------


@SETTINGS
@given(logits())
def test_softmax_matches_torch_without_overflow(O: torch.Tensor) -> None:
    P = d2l.softmax(O)
    assert P.shape == O.shape and P.dtype == torch.float64
    assert torch.isfinite(P).all()
    assert torch.allclose(P, torch.softmax(O, dim=1), rtol=1e-12, atol=1e-300)
    assert torch.allclose(P.sum(dim=1), torch.ones(len(O), dtype=torch.float64), atol=1e-12)
    assert (P >= 0).all()


@SETTINGS
@given(logits())
def test_log_softmax_matches_torch_without_overflow(O: torch.Tensor) -> None:
    L = d2l.log_softmax(O)
    assert torch.isfinite(L).all()
    assert torch.allclose(L, F.log_softmax(O, dim=1), rtol=1e-12, atol=1e-9)


@SETTINGS
@given(logits(max_rows=1))
def test_softmax_of_a_vector(O: torch.Tensor) -> None:
    o = O[0]
    assert torch.allclose(d2l.softmax(o), torch.softmax(o, dim=0), rtol=1e-12, atol=1e-300)
    assert torch.allclose(d2l.log_softmax(o), F.log_softmax(o, dim=0), rtol=1e-12, atol=1e-9)


def test_softmax_at_the_extremes() -> None:
    O = torch.tensor([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 0.0]])
    naive = O.exp() / O.exp().sum(dim=1, keepdim=True)
    assert torch.isnan(naive).any()  # the reason for the shift: inf / inf
    P = d2l.softmax(O)
    expected = torch.tensor([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0]])
    assert torch.allclose(P, expected)
    assert torch.allclose(d2l.log_softmax(O)[0], torch.tensor([0.0, -1000.0, -2000.0]))


def test_softmax_is_shift_invariant() -> None:
    O = torch.randn(5, 7, dtype=torch.float64)
    assert torch.allclose(d2l.softmax(O + 123.0), d2l.softmax(O), atol=1e-15)


@settings(SETTINGS, max_examples=25)
@given(logits(max_rows=4, max_classes=6, bound=50.0), st.integers(0, 2**31 - 1))
def test_softmax_and_log_softmax_gradients_match_autograd(O: torch.Tensor, seed: int) -> None:
    upstream = torch.randn(O.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    for ours, theirs in ((d2l.softmax, lambda x: torch.softmax(x, 1)),
                         (d2l.log_softmax, lambda x: F.log_softmax(x, 1))):  # fmt: skip
        a = O.clone().requires_grad_()
        b = O.clone().requires_grad_()
        (ours(a) * upstream).sum().backward()
        (theirs(b) * upstream).sum().backward()
        assert torch.allclose(a.grad, b.grad, rtol=1e-9, atol=1e-12)


def test_softmax_gradcheck() -> None:
    O = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(d2l.softmax, (O,))
    assert torch.autograd.gradcheck(d2l.log_softmax, (O,))


# --- cross-entropy --------------------------------------------------------------------------


@SETTINGS
@given(logits_and_labels(bound=30.0))
def test_cross_entropy_from_probabilities_matches_torch(data: tuple[torch.Tensor, torch.Tensor]) -> None:
    O, y = data
    ours = d2l.cross_entropy(d2l.softmax(O), y)
    assert ours.shape == (len(y),)  # per example, not averaged
    assert torch.allclose(ours, F.cross_entropy(O, y, reduction="none"), rtol=1e-9, atol=1e-9)


@SETTINGS
@given(logits_and_labels())
def test_cross_entropy_logits_matches_torch_at_extremes(data: tuple[torch.Tensor, torch.Tensor]) -> None:
    O, y = data
    ours = d2l.cross_entropy_logits(O, y)
    assert torch.isfinite(ours).all()
    assert (ours >= 0).all()
    assert torch.allclose(ours, F.cross_entropy(O, y, reduction="none"), rtol=1e-12, atol=1e-9)


def test_cross_entropy_from_probabilities_is_inf_where_logits_are_not() -> None:
    O, y = torch.tensor([[1000.0, -1000.0]]), torch.tensor([1])
    assert torch.isinf(d2l.cross_entropy(d2l.softmax(O), y)).all()  # p underflowed to 0
    assert torch.allclose(d2l.cross_entropy_logits(O, y), torch.tensor([2000.0]))


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int8, torch.int16, torch.int32])
def test_cross_entropy_takes_any_integer_label_dtype(dtype: torch.dtype) -> None:
    # A uint8 tensor used as an index is a mask; the labels are converted to int64 first.
    P = torch.softmax(torch.randn(4, 3), dim=1)
    y = torch.tensor([2, 0, 1, 1])
    expected = d2l.cross_entropy(P, y)
    torch.testing.assert_close(d2l.cross_entropy(P, y.to(dtype)), expected)
    torch.testing.assert_close(d2l.cross_entropy_logits(P.log(), y.to(dtype)), expected)


def test_cross_entropy_lets_nan_through_for_divergence_checks() -> None:
    # A diverged model's softmax is NaN: that is divergence (fit says so), not logits.
    assert torch.isnan(d2l.cross_entropy(torch.full((2, 3), float("nan")), torch.tensor([0, 1]))).all()


def test_cross_entropy_accepts_bfloat16_probabilities() -> None:
    P = torch.softmax(torch.randn(64, 10), dim=1).bfloat16()
    y = torch.randint(0, 10, (64,))
    torch.testing.assert_close(d2l.cross_entropy(P, y).float(), -P.float()[torch.arange(64), y].log(),
                               rtol=1e-2, atol=1e-2)  # fmt: skip


def test_cross_entropy_picks_by_index() -> None:
    # The book's example: ŷ = [[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]], y = [0, 2].
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]], dtype=torch.float64)
    y = torch.tensor([0, 2])
    expected = -torch.log(torch.tensor([0.1, 0.5], dtype=torch.float64))
    assert torch.allclose(d2l.cross_entropy(y_hat, y), expected)
    one_hot = F.one_hot(y, 3).double()
    assert torch.allclose(d2l.cross_entropy(y_hat, y), -(one_hot * y_hat.log()).sum(dim=1))


@settings(SETTINGS, max_examples=30)
@given(logits_and_labels(max_rows=5, max_classes=6, bound=40.0))
def test_cross_entropy_gradients_match_autograd(data: tuple[torch.Tensor, torch.Tensor]) -> None:
    O, y = data
    a, b, c = (O.clone().requires_grad_() for _ in range(3))
    d2l.cross_entropy_logits(a, y).sum().backward()
    d2l.cross_entropy(d2l.softmax(b), y).sum().backward()
    F.cross_entropy(c, y, reduction="sum").backward()
    assert torch.allclose(a.grad, c.grad, rtol=1e-9, atol=1e-12)
    assert torch.allclose(b.grad, c.grad, rtol=1e-6, atol=1e-9)
    # §3.4: ∂l/∂o = softmax(o) − onehot(y)
    closed_form = torch.softmax(O, dim=1) - F.one_hot(y, O.shape[1]).double()
    assert torch.allclose(a.grad, closed_form, rtol=1e-9, atol=1e-12)


# --- accuracy -------------------------------------------------------------------------------

ACCURACY_CASES = [
    # (scores or classes, labels, correct)
    (torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), torch.tensor([1, 0, 0]), 2),
    (torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]]), torch.tensor([0, 2]), 1),
    (torch.tensor([2, 0, 1, 1]), torch.tensor([2, 0, 1, 0]), 3),
    (torch.tensor([[5.0, -1.0, 0.0]]), torch.tensor([1]), 0),
]


@pytest.mark.parametrize(("y_hat", "y", "correct"), ACCURACY_CASES)
def test_num_correct_and_accuracy(y_hat: torch.Tensor, y: torch.Tensor, correct: int) -> None:
    assert int(d2l.num_correct(y_hat, y)) == correct
    assert d2l.accuracy(y_hat, y) == pytest.approx(correct / len(y))


# Bad input: tests/test_bad_input.py (block OPS_CLASSIFY).


def test_importing_this_file_leaves_the_session_profile_alone() -> None:
    # Hypothesis settings are per test here; a loaded profile would reach every other file.
    # Hypothesis itself loads "default", or "ci" where the CI variable is set (as in .ci/run).
    current = getattr(settings, "get_current_profile_name", lambda: settings._current_profile)()
    assert current in ("default", "ci"), current
    assert settings.default.max_examples == settings.get_profile(current).max_examples
    assert settings.default.deadline == settings.get_profile(current).deadline
