"""Export the notebooks to HTML pages for a course site, accessible as they stand (WCAG 2.1 AA).

    python tools/export_html.py                         # all notebooks -> site/
    python tools/export_html.py notebooks/02_*.ipynb --out public/

nbconvert's ``lab`` template, with three things added or checked:

- the code is highlighted in ``a11y-high-contrast-light``, a Pygments style from the maintained
  ``accessible-pygments`` collection whose every colour meets 4.5:1 on its background (the default
  theme's colours fail WCAG's contrast rule on hundreds of tokens per notebook);
- the page's headings step down one level at a time (a title ``#``, then ``##``, ...), so a screen
  reader's list of headings is the notebook's outline; a skipped level stops the export with its heading;
- the template's grey prompts are darkened and links underlined, and links between notebooks point to their
  pages (``02_x.ipynb`` -> ``02_x.html``);
- every image carries a text alternative: figures are shown by ``digitlab.plots.show`` (an ``<img alt>``
  in the output), and an image without ``alt`` stops the export, naming the notebook.

The pages are self-contained (images inline) and go to ``site/`` (ignored by git) unless ``--out`` says
otherwise. ``tests/test_accessibility.py`` runs axe-core on what this writes.
"""

from __future__ import annotations

import argparse
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from pygments.formatters import HtmlFormatter

ROOT = Path(__file__).resolve().parent.parent
CODE_STYLE = "a11y-high-contrast-light"
# The template's own colours that fail WCAG: the grey "In [1]:" prompts (2.2:1) and links told from the text
# around them by colour alone (1.9:1); darker prompts (7:1) and underlined links instead.
PAGE_CSS = """
body { --jp-cell-prompt-not-active-opacity: 1; --jp-cell-prompt-not-active-font-color: #595959; }
body .jp-RenderedHTMLCommon a:link, body .jp-RenderedHTMLCommon a:visited { text-decoration: underline; }
"""


class _Outline(HTMLParser):
    """The page's headings (level, text) and its images without an alt attribute."""

    def __init__(self):
        super().__init__()
        self.headings, self.bare_images, self._open = [], [], None

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag):
            self._open = [int(tag[1]), ""]
        elif tag == "img" and not (dict(attrs).get("alt") or "").strip():
            self.bare_images.append(dict(attrs).get("src", "")[:40])

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data

    def handle_endtag(self, tag):
        if self._open is not None and tag == f"h{self._open[0]}":
            self.headings.append((self._open[0], self._open[1].replace("\u00b6", "").strip()))
            self._open = None


def outline_problems(page: str) -> list[str]:
    """What keeps a page's structure from being read in order: skipped heading levels, images without alt."""
    outline = _Outline()
    outline.feed(page)
    problems = [f"an image without alt text ({src}...)" for src in outline.bare_images]
    previous = 0
    for level, text in outline.headings:
        if level > previous + 1:
            problems.append(f"heading {text!r} is h{level} after h{previous}: a level is skipped")
        previous = level
    if outline.headings and outline.headings[0][0] != 1:
        problems.append(f"the first heading {outline.headings[0][1]!r} is not h1")
    return problems


def code_css() -> str:
    """The accessible Pygments style as CSS, scoped to beat the template's own highlighting rules."""
    try:
        return HtmlFormatter(style=CODE_STYLE).get_style_defs("body .highlight")
    except Exception as error:  # pygments.util.ClassNotFound
        raise SystemExit(
            f"the Pygments style {CODE_STYLE!r} is missing ({error}); install it with "
            "`pip install accessible-pygments` (it is in digitlab's test extra)"
        ) from None


def export(notebook: Path, out: Path) -> Path:
    """Write ``notebook`` as an accessible HTML page into ``out``; return the page's path.

    Raises ``ValueError`` naming the notebook when its headings skip a level or an image has no alt text.
    """
    exporter = HTMLExporter(template_name="lab", theme="light")
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    css = f"/* code: {CODE_STYLE} (accessible-pygments) */\n{code_css()}\n{PAGE_CSS}"
    style = f'<style type="text/css">\n{css}</style>\n'
    body = body.replace("</head>", style + "</head>", 1)
    body = re.sub(r'href="(\d\d_\w+)\.ipynb(#[^"]*)?"', r'href="\1.html\2"', body)
    problems = outline_problems(body)
    if problems:
        raise ValueError(f"{notebook.name}: " + "; ".join(problems))
    out.mkdir(parents=True, exist_ok=True)
    page = out / notebook.with_suffix(".html").name
    page.write_text(body, encoding="utf-8")
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
    parser.add_argument("--out", type=Path, default=ROOT / "site", help="folder for the pages (default: site/)")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for notebook in notebooks:
        print(export(notebook, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
