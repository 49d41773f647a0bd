"""Figures with a text alternative: the one way a notebook shows a matplotlib figure.

``show(alt, ...)`` renders the current figure to PNG and displays it as an HTML
``<figure>``: the image with its ``alt`` text and, when the numbers matter, a
caption or a small table of them under it. Why HTML: neither JupyterLab (4.x)
nor nbconvert's HTML export reads an ``alt`` from an ``image/png`` output's
metadata, and Jupyter has no settled convention for it yet, while an ``<img
alt>`` in a ``text/html`` output is read by a screen reader in JupyterLab, in
Voila and in the exported page alike. The output's ``text/plain`` is the same
text (alt, caption, numbers), so a terminal or a diff of the notebook reads it too.

An alt text says what the figure shows and its point ("test accuracy falls from
98% to 50% as lambda grows"), never just its number or title.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt

__all__ = ["MAX_HEIGHT", "FigureWithText", "show"]

#: The tallest figure (CSS pixels) that fits a 1280 x 720 screen with the browser's and JupyterLab's bars.
MAX_HEIGHT = 600


class FigureWithText:
    """A PNG with its alt text, an optional caption and an optional table of its numbers.

    Parameters
    ----------
    png : bytes
        The image.
    alt : str
        What the figure shows and its point, in a sentence or two.
    caption : str, optional
        Visible text under the figure (for everyone), e.g. the numbers a reader may want.
    table : mapping of str to sequence, optional
        Columns of equal length, shown as a small table under the figure.
    size : (int, int)
        Width and height in CSS pixels.
    """

    def __init__(self, png: bytes, alt: str, caption=None, table=None, size=(None, None)):
        if not alt or not alt.strip():
            raise ValueError("a figure needs an alt text saying what it shows and its point; got an empty one")
        if table is not None:
            lengths = {len(column) for column in table.values()}
            if len(lengths) > 1:
                raise ValueError(f"the table's columns differ in length ({sorted(lengths)}); give equal columns")
        self.png, self.alt, self.caption, self.table = png, alt.strip(), caption, table
        self.width, self.height = size

    def _table_html(self) -> str:
        head = "".join(f'<th scope="col">{html.escape(str(name))}</th>' for name in self.table)
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
            for row in zip(*self.table.values())
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"

    def _repr_html_(self) -> str:
        source = base64.b64encode(self.png).decode("ascii")
        size = "" if self.width is None else f' width="{self.width}" height="{self.height}"'
        parts = [
            f'<img src="data:image/png;base64,{source}" alt="{html.escape(self.alt, quote=True)}"{size} '
            'style="max-width: 100%; height: auto">'
        ]
        if self.caption or self.table is not None:
            caption = f"<p>{html.escape(self.caption)}</p>" if self.caption else ""
            table = self._table_html() if self.table is not None else ""
            parts.append(f"<figcaption>{caption}{table}</figcaption>")
        return '<figure class="digitlab-figure" style="margin: 0">' + "".join(parts) + "</figure>"

    def __repr__(self) -> str:
        lines = [f"[figure] {self.alt}"]
        if self.caption:
            lines.append(self.caption)
        if self.table is not None:
            lines.append(" | ".join(map(str, self.table)))
            lines.extend(" | ".join(map(str, row)) for row in zip(*self.table.values()))
        return "\n".join(lines)


def render(fig, alt: str, caption: str | None = None, table: Mapping[str, Sequence] | None = None) -> FigureWithText:
    """``fig`` as a PNG (the figure's own dpi, tight box, as the inline backend draws it) with its text; closes it.

    Raises ``ValueError`` when the figure is taller than ``MAX_HEIGHT`` pixels: make ``figsize`` shorter.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    png = buffer.getvalue()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    if height > MAX_HEIGHT:
        raise ValueError(
            f"the figure is {height} px tall, more than a 720 px screen shows beside the page's bars "
            f"({MAX_HEIGHT} px); give it a smaller figsize height"
        )
    return FigureWithText(png, alt, caption, table, (width, height))


def show(alt: str, caption: str | None = None, table: Mapping[str, Sequence] | None = None, fig=None) -> None:
    """Display ``fig`` (the current figure when omitted) with its alt text, caption and table; closes it.

    Use it where a cell would call ``plt.show()``. Introduced in ``01_gradient_derivation.ipynb``.
    """
    from IPython.display import display

    display(render(plt.gcf() if fig is None else fig, alt, caption, table))
