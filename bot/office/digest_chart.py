"""The daily digest's picture: yesterday's figures over a 30-day trend, drawn as one PNG (matplotlib, Agg, a CJK font when there is one)."""

from __future__ import annotations

import io
import logging
from functools import lru_cache
from typing import Any

from bot.core.texts import t

log = logging.getLogger(__name__)

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 5.0, 100  # 800 x 500 pixels: readable on a phone, small to send
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Microsoft YaHei", "SimHei", "PingFang SC")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of an installed font that draws Chinese, or None (the picture then speaks English)."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    return None


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def render(day: str, yesterday: dict[str, Any], trend: list[dict[str, Any]], *, font: str | None = None, lang: str | None = None) -> bytes:
    """The PNG: a title, a row of yesterday's headline figures, and the last 30 days' volume by type with the on-time rate."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    family = font if font is not None else cjk_font()
    lang = lang or ("zh" if family else "en")
    rc: dict[str, Any] = {"font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"], "axes.unicode_minus": False}
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]
        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
        figure.suptitle(t("digest_chart_title", lang, day=day), fontsize=14, fontweight="bold", y=0.97)
        headline = [
            (t("dash_opened", lang), str(yesterday["opened"])),
            (t("dash_resolved", lang), str(yesterday["resolved"])),
            (t("dash_on_time_rate", lang), _pct(yesterday["on_time_rate"])),
            (t("dash_satisfaction", lang), _pct(yesterday["satisfaction_rate"])),
            (t("dash_bad_reviews", lang), str(yesterday["bad_reviews"])),
            (t("dash_callback", lang), _pct(yesterday["callback_rate"])),
        ]
        for index, (label, value) in enumerate(headline):
            x = 0.09 + index * 0.165
            figure.text(x, 0.86, value, ha="center", fontsize=15, fontweight="bold", color="#17365d")
            figure.text(x, 0.815, label, ha="center", fontsize=8.5, color="#555555")
        axes = figure.add_axes((0.08, 0.12, 0.82, 0.6))
        days = [row["day"][5:] for row in trend]
        positions = list(range(len(days)))
        bottom = [0] * len(days)
        colours = {"consultation": "#17365d", "complaint": "#c0392b", "rectification": "#d68910"}
        for kind, colour in colours.items():
            values = [row.get(kind, 0) for row in trend]
            axes.bar(positions, values, bottom=bottom, color=colour, label=t(f"type_{kind}", lang), width=0.75)
            bottom = [b + v for b, v in zip(bottom, values)]
        axes.set_ylim(0, max([*bottom, 1]) * 1.3)  # headroom for the legend
        axes.set_ylabel(t("dash_opened", lang))
        axes.set_xticks(positions[:: max(1, len(days) // 10)], days[:: max(1, len(days) // 10)], fontsize=8)
        axes.spines[["top"]].set_visible(False)
        rate_axes = axes.twinx()
        rates = [(row["on_time"] / row["deadlines"] * 100) if row["deadlines"] else None for row in trend]
        shown = [(p, r) for p, r in zip(positions, rates) if r is not None]
        if shown:
            rate_axes.plot(
                [p for p, _ in shown], [r for _, r in shown], color="#1e8449", marker="o", markersize=3, label=t("dash_on_time_rate", lang)
            )
        rate_axes.set_ylim(0, 105)
        rate_axes.set_ylabel("%")
        rate_axes.spines[["top"]].set_visible(False)
        handles, labels = axes.get_legend_handles_labels()
        more, more_labels = rate_axes.get_legend_handles_labels()
        axes.legend(handles + more, labels + more_labels, loc="upper left", fontsize=8, ncol=4, frameon=False)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
