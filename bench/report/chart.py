"""``docs/bench.svg``: the throughput ratios as horizontal bars, written as plain SVG
(no plotting library needed). Whiskers span the lowest and highest round; dashed lines
mark the targets."""

from __future__ import annotations

from html import escape

from bench.report.format import X
from bench.throughput import Summary

__all__ = ["ratio_chart"]

_WIDTH, _LEFT, _RIGHT, _ROW, _TOP = 760, 250, 40, 30, 50
_COLORS = {
    "bare": "#374151",
    "floor": "#6b7280",
    "jwe": "#d97706",
    "passthrough": "#9ca3af",
    "guarded": "#93c5fd",
    "jwt": "#d97706",
    "session": "#d97706",
    "django": "#b45309",
    "fastapi-jwt": "#b45309",
    "fastapi-db": "#b45309",
}
_OURS = "#2563eb"


def ratio_chart(summaries: list[Summary], targets: dict[str, float], title: str) -> str:
    scale_max = max(1.2, max(s.ratio_high for s in summaries) + 0.05)
    plot = _WIDTH - _LEFT - _RIGHT
    height = _TOP + _ROW * len(summaries) + 50

    def x(value: float) -> float:
        return _LEFT + plot * value / scale_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_WIDTH} {height}" font-family="sans-serif" font-size="13">',
        f'<rect width="{_WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{_WIDTH / 2}" y="24" text-anchor="middle" font-size="15" '
        f'font-weight="bold">{escape(title)}</text>',
    ]
    bottom = _TOP + _ROW * len(summaries)
    for tick in [i / 10 for i in range(int(scale_max * 10) + 1) if i % 2 == 0]:
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{_TOP - 6}" x2="{x(tick):.1f}" y2="{bottom}" '
            'stroke="#e5e7eb"/>'
            f'<text x="{x(tick):.1f}" y="{bottom + 16}" text-anchor="middle" '
            f'fill="#374151">{tick:.1f}{X}</text>'
        )
    for row, summary in enumerate(summaries):
        y = _TOP + row * _ROW
        color = _COLORS.get(summary.key, _OURS)
        parts.append(
            f'<text x="{_LEFT - 8}" y="{y + 19}" text-anchor="end">{escape(summary.label)}</text>'
            f'<rect x="{_LEFT}" y="{y + 6}" width="{x(summary.ratio) - _LEFT:.1f}" height="18" '
            f'fill="{color}"/>'
            f'<line x1="{x(summary.ratio_low):.1f}" y1="{y + 15}" '
            f'x2="{x(summary.ratio_high):.1f}" y2="{y + 15}" stroke="#111827"/>'
            f'<text x="{x(summary.ratio_high) + 6:.1f}" y="{y + 19}" '
            f'fill="#111827">{summary.ratio:.2f}{X}</text>'
        )
    for name, value in targets.items():
        parts.append(
            f'<line x1="{x(value):.1f}" y1="{_TOP - 6}" x2="{x(value):.1f}" y2="{bottom}" '
            'stroke="#dc2626" stroke-dasharray="4 3"/>'
            f'<text x="{x(value):.1f}" y="{_TOP - 10}" text-anchor="middle" fill="#dc2626" '
            f'font-size="11">{escape(name)} {value:.2f}{X}</text>'
        )
    parts.append(
        f'<text x="{_WIDTH / 2}" y="{height - 10}" text-anchor="middle" fill="#374151" '
        'font-size="12">requests/s relative to the bare Litestar page (median of rounds; '
        "whiskers: lowest and highest round)</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
