"""What a run leaves behind: one :class:`EpochStats` per finished epoch, gathered in a
:class:`History`, and the book's one-line summary of it (which :class:`d2lcore.Progress`
prints at the end of a run)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["EpochStats", "History", "loss_str"]


@dataclass
class EpochStats:
    """The numbers of one finished epoch. Accuracies are ``None`` for regression, test
    numbers ``None`` without a test set."""

    epoch: int
    train_loss: float
    train_acc: float | None
    test_loss: float | None
    test_acc: float | None
    examples_per_sec: float
    seconds: float


def loss_str(value: float) -> str:
    """Three decimals, or three significant digits for a small loss (never "0.000")."""
    return f"{value:.3f}" if value == 0 or abs(value) >= 0.01 else f"{value:.3g}"


@dataclass
class History:
    """Per-epoch statistics of a run. ``interrupted`` is true when Ctrl-C stopped it early."""

    epochs: list[EpochStats] = field(default_factory=list)
    interrupted: bool = False

    def __len__(self) -> int:
        return len(self.epochs)

    def column(self, name: str) -> list[float | None]:
        """One field across epochs, e.g. ``history.column("test_acc")``."""
        names = list(EpochStats.__dataclass_fields__)
        if name not in names:
            raise ValueError(f"name must be one of {names}, got {name!r}")
        return [getattr(e, name) for e in self.epochs]

    @property
    def final(self) -> EpochStats:
        """The last finished epoch."""
        if not self.epochs:
            raise ValueError("the history is empty: no epoch finished")
        return self.epochs[-1]

    @property
    def seconds(self) -> float:
        """Wall time of all epochs together."""
        return sum(e.seconds for e in self.epochs)

    def summary(self) -> str:
        """One line with the final numbers, as the book prints them."""
        e = self.final
        parts = [f"loss {loss_str(e.train_loss)}"]
        if e.train_acc is not None:
            parts.append(f"train acc {e.train_acc:.3f}")
        if e.test_loss is not None and e.test_acc is None:
            parts.append(f"test loss {loss_str(e.test_loss)}")
        if e.test_acc is not None:
            parts.append(f"test acc {e.test_acc:.3f}")
        parts.append(f"{e.examples_per_sec:,.0f} examples/sec")
        parts.append(f"{self.seconds:.1f} s in {len(self)} epochs")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (lists, dicts, numbers), as a checkpoint stores it."""
        return {"epochs": [asdict(e) for e in self.epochs], "interrupted": self.interrupted}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        """The inverse of :meth:`to_dict`."""
        return cls([EpochStats(**e) for e in d["epochs"]], bool(d.get("interrupted", False)))
