"""d2lcore.data.kfold: the folds are disjoint, cover every example once as validation, are
balanced, train on the complement, and bad k or data get clear errors."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import d2lcore as d2l

SETTINGS = settings(deadline=None, max_examples=80)


@st.composite
def n_and_k(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(2, 60))
    return n, draw(st.integers(2, n))


@SETTINGS
@given(nk=n_and_k(), shuffle=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_folds_partition_the_examples(nk: tuple[int, int], shuffle: bool, seed: int) -> None:
    n, k = nk
    pairs = d2l.k_fold_indices(n, k, shuffle=shuffle, generator=torch.Generator().manual_seed(seed))
    assert len(pairs) == k
    valid_all = torch.cat([va for _, va in pairs])
    assert torch.equal(valid_all.sort().values, torch.arange(n))  # each example validates once
    sizes = [len(va) for _, va in pairs]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1  # balanced, none empty
    for train, valid in pairs:
        assert len(set(train.tolist()) & set(valid.tolist())) == 0  # disjoint
        assert torch.equal(torch.cat([train, valid]).sort().values, torch.arange(n))
    if not shuffle:  # without shuffling, folds are consecutive blocks in order
        assert torch.equal(valid_all, torch.arange(n))


def test_shuffle_changes_the_folds_and_the_generator_repeats_them() -> None:
    plain = d2l.k_fold_indices(20, 4)
    a = d2l.k_fold_indices(20, 4, shuffle=True, generator=torch.Generator().manual_seed(1))
    b = d2l.k_fold_indices(20, 4, shuffle=True, generator=torch.Generator().manual_seed(1))
    assert all(torch.equal(x[1], y[1]) for x, y in zip(a, b))
    assert any(not torch.equal(x[1], y[1]) for x, y in zip(a, plain))


@SETTINGS
@given(nk=n_and_k(), d=st.integers(1, 4))
def test_k_fold_splits_the_data_along_rows(nk: tuple[int, int], d: int) -> None:
    n, k = nk
    X = torch.arange(n * d, dtype=torch.float64).reshape(n, d)
    y = torch.arange(n)
    splits = list(d2l.k_fold(X, y, k))
    assert len(splits) == k
    seen = []
    for (X_tr, y_tr), (X_va, y_va) in splits:
        assert len(X_tr) + len(X_va) == n and X_tr.shape[1:] == (d,)
        assert torch.equal(X_tr, X[y_tr]) and torch.equal(X_va, X[y_va])  # rows stay paired
        seen += y_va.tolist()
    assert sorted(seen) == list(range(n))


def test_k_fold_gives_the_mean_of_k_validation_errors() -> None:
    # A constant predictor (the training mean) has a known leave-one-out error.
    y = torch.tensor([1.0, 2.0, 4.0, 7.0])
    errors = [((y_va - y_tr.mean()) ** 2).mean() for (_, y_tr), (_, y_va) in d2l.k_fold(y, y, 4)]
    # Leaving out y_i, the mean of the others is (Σy − y_i)/3.
    expected = [((yi - (y.sum() - yi) / 3) ** 2) for yi in y]
    assert torch.allclose(torch.stack(errors), torch.stack(expected))


# Bad input (checked at the call, before the first split): tests/test_bad_input.py (block
# DATA_KFOLD).
