"""Equity figures of a split: who saves what, and whether tagged groups get their share.

Works on plain arrays (one entry per member), so any model's per-member figures can use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Equity", "equity_figures", "gini"]


def gini(values: Sequence[float] | np.ndarray) -> float:
    """The Gini coefficient of non-negative values: 0 when all are equal, towards 1 when one
    member holds everything. Negative values are clipped to 0 (a loss is no share of savings).
    """
    x = np.sort(np.clip(np.asarray(values, float), 0.0, None))
    n = len(x)
    if n == 0 or x.sum() <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * ranks - n - 1) @ x / (n * x.sum()))


@dataclass(frozen=True)
class Equity:
    """``summary`` has one row per figure (figure, value, unit); ``by_tag`` one row per tag:
    members, share of volume, share of savings, and savings per volume against the average
    (1.0: the group saves exactly in proportion to what it buys)."""

    summary: pd.DataFrame
    by_tag: pd.DataFrame

    def text(self) -> str:
        rows = {
            str(k): float(v)
            for k, v in zip(self.summary["figure"], self.summary["value"], strict=True)
        }
        units = dict(zip(self.summary["figure"], self.summary["unit"], strict=True))
        cur = f" {units.get('smallest saving', '')}".rstrip()
        lines = [
            f"members better off than buying alone: {rows['members better off (%)']:.0f} %; "
            f"savings per member from {rows['smallest saving']:,.2f}{cur} to "
            f"{rows['largest saving']:,.2f}{cur} (median {rows['median saving']:,.2f}{cur}); "
            f"Gini of savings {rows['Gini of savings']:.2f}"
        ]
        for r in self.by_tag.to_dict("records"):
            lines.append(
                f"{r['tag']}: {r['members']} members buy {r['volume_share_pct']:.1f} % of the "
                f"volume and get {r['savings_share_pct']:.1f} % of the savings "
                f"(ratio {r['ratio']:.2f})"
            )
        return "\n".join(lines)


def equity_figures(
    savings: Sequence[float] | np.ndarray,
    standalone: Sequence[float] | np.ndarray,
    volume: Sequence[float] | np.ndarray,
    tags: Sequence[Sequence[str]],
    *,
    currency: str = "EUR",
) -> Equity:
    """Equity of a split, member by member.

    Parameters
    ----------
    savings, standalone
        What each member saves under the split, and what it would pay alone.
    volume
        What each member buys (e.g. kg), for the tag groups' share of the volume.
    tags
        Each member's tags (``women_led``, ``smallholder``, ...).
    """
    s = np.asarray(savings, float)
    alone = np.asarray(standalone, float)
    v = np.asarray(volume, float)
    if not (len(s) == len(alone) == len(v) == len(tags)):
        raise ValueError("savings, standalone, volume and tags need one entry per member")
    pct = np.divide(100 * s, alone, out=np.zeros_like(s), where=alone > 0)
    n = len(s)
    figures = [
        ("members", float(n), "members"),
        ("members better off (%)", 100 * float(np.mean(s > 1e-6)) if n else 0.0, "%"),
        (
            "members paying no more than alone (%)",
            100 * float(np.mean(s >= -1e-6)) if n else 0.0,
            "%",
        ),
        ("smallest saving", float(s.min()) if n else 0.0, currency),
        ("median saving", float(np.median(s)) if n else 0.0, currency),
        ("largest saving", float(s.max()) if n else 0.0, currency),
        ("smallest saving (%)", float(pct.min()) if n else 0.0, "%"),
        ("median saving (%)", float(np.median(pct)) if n else 0.0, "%"),
        ("largest saving (%)", float(pct.max()) if n else 0.0, "%"),
        ("Gini of savings", gini(s), ""),
    ]
    summary = pd.DataFrame(figures, columns=["figure", "value", "unit"])
    total_s, total_v = float(s.sum()), float(v.sum())
    rows = []
    for tag in sorted({t for member in tags for t in member}):
        mask = np.array([tag in member for member in tags])
        vol = 100 * float(v[mask].sum()) / total_v if total_v > 0 else 0.0
        sav = 100 * float(s[mask].sum()) / total_s if total_s > 0 else 0.0
        rows.append(
            {
                "tag": tag,
                "members": int(mask.sum()),
                "volume_share_pct": vol,
                "savings_share_pct": sav,
                "ratio": sav / vol if vol > 0 else float("nan"),
            }
        )
    by_tag = pd.DataFrame(
        rows, columns=["tag", "members", "volume_share_pct", "savings_share_pct", "ratio"]
    )
    return Equity(summary, by_tag)
