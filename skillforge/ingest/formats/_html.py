"""HTML → markdown-like text with the stdlib parser, so HTML pages split into sections like markdown.

Kept: headings (as ``#`` lines), paragraphs, list items (``-`` / ``1.``), ``pre`` blocks (fenced,
verbatim), inline ``code`` (backticks), links (``[text](href)``), table rows (cells joined by ``|``),
blockquotes. Dropped: script, style, nav, footer, aside, forms, templates, svg, iframes and
anything ``hidden`` — the site chrome around a page is noise for a skill.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = {"script", "style", "noscript", "template", "svg", "nav", "footer", "aside", "form", "button", "iframe",
         "canvas", "select", "object", "head"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_BLOCK = {"p", "div", "section", "article", "main", "header", "table", "thead", "tbody", "tr", "blockquote", "dl",
          "dt", "dd", "figure", "figcaption", "ul", "ol", "hr", "body", "html", "details", "summary", "li"}
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


class HtmlPage(HTMLParser):
    """Feed HTML in chunks; ``markdown()`` returns the text, ``title``/``meta`` what the head said."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.skip: list[str] = []
        self.pre = 0
        self.lists: list[list[int | str]] = []
        self.quote = 0
        self.links: list[tuple[int, str]] = []
        self.in_title = False
        self.title = ""
        self.first_h1 = ""
        self.meta: dict[str, str] = {}
        self.cells = 0

    # -- structure
    def _flush(self) -> None:
        text = _SPACES.sub(" ", "".join(self.buf)).strip()
        self.buf.clear()
        if text:
            self.lines.append("> " * self.quote + text)

    def _blank(self) -> None:
        self._flush()
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "title":
            self.in_title = True
            return
        if tag == "meta" and a.get("name") in ("description", "keywords", "author") and a.get("content"):
            self.meta[str(a["name"])] = str(a["content"])
        if tag == "html" and a.get("lang"):
            self.meta["lang"] = str(a["lang"])
        if self.skip:
            if tag == self.skip[-1] and tag not in _VOID:
                self.skip.append(tag)
            return
        hidden = "hidden" in a or a.get("aria-hidden") == "true" or a.get("role") in ("navigation", "banner", "search")
        if tag in _SKIP or (hidden and tag not in _VOID):
            self.skip.append(tag)
            return
        if self.pre:
            return
        if re.fullmatch(r"h[1-6]", tag):
            self._blank()
        elif tag == "pre":
            self._blank()
            self.lines.append("```")
            self.pre += 1
        elif tag == "li":
            self._flush()
            kind: list[int | str] = self.lists[-1] if self.lists else ["ul", 0]
            kind[1] = int(kind[1]) + 1
            marker = f"{kind[1]}. " if kind[0] == "ol" else "- "
            self.buf.append("  " * max(0, len(self.lists) - 1) + marker)
        elif tag in ("ul", "ol"):
            self._flush()
            if not self.lists:
                self._blank()
            self.lists.append([tag, 0])
        elif tag == "blockquote":
            self._blank()
            self.quote += 1
        elif tag == "tr":
            self._flush()
            self.cells = 0
        elif tag in ("td", "th"):
            if self.cells:
                self.buf.append(" | ")
            self.cells += 1
        elif tag == "br":
            self._flush()
        elif tag == "code":
            self.buf.append("`")
        elif tag == "a" and a.get("href") and not str(a["href"]).startswith(("#", "javascript:")):
            self.links.append((len(self.buf), str(a["href"])))
            self.buf.append("")
        elif tag == "img" and a.get("alt"):
            self.buf.append(f"[image: {a['alt']}]")
        elif tag in _BLOCK:
            self._blank()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
            return
        if self.skip:
            if tag == self.skip[-1]:
                self.skip.pop()
            return
        if self.pre and tag != "pre":
            return
        if re.fullmatch(r"h[1-6]", tag):
            text = _SPACES.sub(" ", "".join(self.buf)).strip()
            self.buf.clear()
            if text:
                if tag == "h1" and not self.first_h1:
                    self.first_h1 = text
                self.lines.extend(["#" * int(tag[1]) + " " + text, ""])
        elif tag == "pre":
            text = "".join(self.buf).strip("\n")
            self.buf.clear()
            self.lines.extend([*text.split("\n"), "```", ""])
            self.pre -= 1
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
            if not self.lists:
                self._blank()
        elif tag == "blockquote":
            self._blank()
            self.quote = max(0, self.quote - 1)
        elif tag == "code":
            self.buf.append("`")
        elif tag == "a" and self.links:
            start, href = self.links.pop()
            if "".join(self.buf[start:]).strip():
                self.buf[start] = "["
                self.buf.append(f"]({href})")
        elif tag in _BLOCK and tag != "li":
            self._blank()

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
        elif not self.skip:
            self.buf.append(data)

    def markdown(self) -> str:
        """The page's text with markdown structure; call after ``close()``."""
        self._flush()
        out: list[str] = []
        for line in self.lines:
            if line == "" and (not out or out[-1] == ""):
                continue
            out.append(line)
        return "\n".join(out).strip() + "\n"
