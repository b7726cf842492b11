"""Look inside a model: each layer's output shape and parameter count (the book's shape walk,
§6.6 and chapter 7), the total parameter count, and FLOPs counted by PyTorch's own
``torch.utils.flop_counter.FlopCounterMode``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from .. import validate
from .pooling import AvgPool2d

__all__ = ["LayerInfo", "layer_summary", "count_parameters", "count_flops", "built_from_torch_nn"]

_MAX_INPUT_ELEMENTS = 64 * 1024 * 1024  # 256 MiB of float32 zeros


@dataclass(frozen=True)
class LayerInfo:
    """One layer of a shape walk: its name in the model, its class, its output shape (with a
    batch of one) and the number of parameters it owns."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    num_params: int


def _module(model: object) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {model!r} ({type(model).__name__})")


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """The number of (trainable) parameters of ``model``."""
    _module(model)
    validate.boolean("trainable_only", trainable_only)
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _input(model: nn.Module, input_shape: Sequence[int]) -> torch.Tensor:
    _module(model)
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence):
        raise TypeError(
            f"input_shape must be a shape with the batch dimension, e.g. (1, 1, 28, 28), got "
            f"{input_shape!r} ({type(input_shape).__name__})"
        )
    shape = tuple(input_shape)
    if not shape:
        raise ValueError("input_shape must be a shape with the batch dimension, e.g. "
                         "(1, 1, 28, 28), got ()")
    for s in shape:
        validate.positive_int("input_shape", s)
    numel = math.prod(shape)
    if numel > _MAX_INPUT_ELEMENTS:
        raise ValueError(
            f"input_shape {shape} has {numel:,} elements; at most {_MAX_INPUT_ELEMENTS:,} "
            "(a batch of one 1024×1024 image with 64 channels) are supported"
        )
    p = next(model.parameters(), None)
    device = p.device if p is not None else torch.device("cpu")
    dtype = p.dtype if p is not None and p.is_floating_point() else torch.float32
    return torch.zeros(shape, device=device, dtype=dtype)


def _run(model: nn.Module, X: torch.Tensor, what: str) -> None:
    try:
        model(X)
    except (RuntimeError, ValueError) as err:
        raise ValueError(
            f"{what}: the model cannot take an input of shape {tuple(X.shape)} "
            f"({str(err).splitlines()[0]}); check the input size and channels it expects"
        ) from None


def layer_summary(
    model: nn.Module,
    input_shape: Sequence[int],
    *,
    depth: int = 1,
    file: TextIO | None = None,
    show: bool = True,
) -> list[LayerInfo]:
    """Pass a zero tensor of ``input_shape`` (batch included, e.g. ``(1, 1, 28, 28)``) through
    ``model`` and list each module's output shape and parameter count, to ``depth`` levels
    of nesting (1: the model's direct children). Prints the table unless ``show`` is false.

    Runs in evaluation mode without gradients, and restores the model's mode afterwards.
    """
    validate.positive_int("depth", depth)
    validate.boolean("show", show)
    X = _input(model, input_shape)
    targets = [
        (name, m)
        for name, m in model.named_modules()
        if name and (name.count(".") == depth - 1 or (name.count(".") < depth - 1 and not any(m.children())))
    ]
    rows: list[LayerInfo] = []
    hooks = []
    for name, module in targets:

        def hook(mod: nn.Module, args: object, out: object, name: str = name) -> None:
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else ()
            rows.append(LayerInfo(name, type(mod).__name__, shape, count_parameters(mod, False)))

        hooks.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            _run(model, X, "layer_summary")
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    if show:
        width = max([len(r.name) + len(r.kind) + 3 for r in rows] + [12])
        print(f"{'layer':<{width}} {'output shape':<22} {'params':>10}", file=file)
        for r in rows:
            label = f"{r.name} ({r.kind})"
            print(f"{label:<{width}} {str(r.output_shape):<22} {r.num_params:>10,}", file=file)
        print(f"{'total':<{width}} {'':<22} {count_parameters(model, False):>10,}", file=file)
    return rows


def count_flops(model: nn.Module, input_shape: Sequence[int], *, backward: bool = False) -> int:
    """The floating-point operations of one forward pass (plus the backward pass when
    ``backward``) on an input of ``input_shape``, counted by ``FlopCounterMode`` (a
    multiply-add counts as 2). Divide by the batch size for a per-example figure.

    The model is left as it was: the backward count runs it in training mode (batch norm then
    updates its running statistics, dropout draws masks), so every buffer, every parameter's
    ``.grad`` and the training flag are saved before and put back after.
    """
    validate.boolean("backward", backward)
    X = _input(model, input_shape)
    was_training = model.training
    buffers = {name: b.detach().clone() for name, b in model.named_buffers()} if backward else {}
    grads = {p: p.grad for p in model.parameters()} if backward else {}
    model.train(backward)
    try:
        with FlopCounterMode(display=False) as counter:
            if backward:
                out = model(X.requires_grad_(False))
                out.float().sum().backward()
            else:
                with torch.no_grad():
                    _run(model, X, "count_flops")
    finally:
        model.train(was_training)
        if backward:
            with torch.no_grad():
                for name, b in model.named_buffers():
                    if name in buffers:
                        b.copy_(buffers[name])
            for p in model.parameters():
                p.grad = grads.get(p)
    return int(counter.get_total_flops())


def built_from_torch_nn(model: nn.Module) -> bool:
    """True when every module of ``model`` is one of ``torch.nn``'s (or :class:`AvgPool2d`, its
    drop-in); False when a hand-written layer is part of it, such as §7.5's batch
    normalisation from scratch. The book's ``train_ch6`` uses autocast only for such models: a
    hand-written layer may compute in a way autocast does not know, so it keeps float32."""
    _module(model)
    return all(
        type(m).__module__.startswith("torch.nn.") or type(m) is AvgPool2d for m in model.modules()
    )
