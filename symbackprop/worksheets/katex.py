"""KaTeX for the HTML worksheet: found where set-up installed it, inlined into the page.

KaTeX is third-party code installed from the npm registry at set-up
(``scripts/install-system-deps.sh`` runs ``npm install --prefix build/katex
katex@<KATEX_VERSION>``); it is never committed.  The page carries
``katex.min.js``, its stylesheet and its WOFF2 fonts as data URIs, so it
renders with no network access.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .tools import MissingToolError

KATEX_VERSION = "0.19.1"
ENV = "SYMBACKPROP_KATEX"
_RELATIVE = Path("build") / "katex" / "node_modules" / "katex" / "dist"
_FONT = re.compile(r'src:url\(fonts/([A-Za-z0-9_-]+)\.woff2\) format\("woff2"\)[^;}]*')


def candidates() -> list[Path]:
    """Where KaTeX's ``dist`` folder is looked for, in order."""
    places = []
    if os.environ.get(ENV):
        places.append(Path(os.environ[ENV]))
    places.append(Path(__file__).resolve().parents[2] / _RELATIVE)  # a source checkout
    places.append(Path.cwd() / _RELATIVE)
    return places


def find_katex() -> Path:
    """The folder holding ``katex.min.js``; a clear error naming the fix when there is none."""
    for place in candidates():
        for folder in (place, place / "dist", place / "node_modules" / "katex" / "dist"):
            if (folder / "katex.min.js").is_file() and (folder / "katex.min.css").is_file():
                return folder
    raise MissingToolError(
        f"HTML worksheets need KaTeX {KATEX_VERSION} from npm, which is not installed: run "
        f"'make system-deps' or 'npm install --prefix build/katex katex@{KATEX_VERSION}' in the "
        f"source folder, or set {ENV} to a folder holding katex.min.js"
    )


@dataclass(frozen=True)
class Assets:
    version: str
    script: str
    stylesheet: str  # fonts inlined as data URIs


def version_of(folder: Path) -> str:
    package = folder.parent / "package.json"
    try:
        return str(json.loads(package.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


@cache
def assets(folder: Path | None = None) -> Assets:
    """KaTeX's script and stylesheet with every font embedded (WOFF2 only: every current browser reads it)."""
    folder = folder or find_katex()
    css = (folder / "katex.min.css").read_text(encoding="utf-8")

    def embed(match: re.Match[str]) -> str:
        data = (folder / "fonts" / f"{match.group(1)}.woff2").read_bytes()
        encoded = base64.b64encode(data).decode("ascii")
        return f'src:url(data:font/woff2;base64,{encoded}) format("woff2")'

    css = _FONT.sub(embed, css)
    if "url(fonts/" in css:
        raise MissingToolError(f"KaTeX's stylesheet in {folder} refers to fonts this version cannot embed")
    script = (folder / "katex.min.js").read_text(encoding="utf-8")
    return Assets(version_of(folder), script, css)
