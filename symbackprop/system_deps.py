"""What the outputs need from the system (programs, TeX files) and which Debian package provides each.

One list, ``system-deps.txt`` beside this module, is read here, by the code
that writes LaTeX preambles (it loads only packages named there), by the
errors about a missing tool, and by ``scripts/install-system-deps.sh``,
which installs what is missing.

>>> requirement("lmodern.sty")
Requirement(kind='tex', name='lmodern.sty', package='lmodern', purpose='pdf')
>>> install_advice(["lmodern.sty", "tikz.sty", "ec-lmr10.tfm"])
'install the Debian packages lmodern texlive-pictures (apt-get install lmodern texlive-pictures, or make system-deps as root)'
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

KINDS = ("program", "tex")


@dataclass(frozen=True)
class Requirement:
    kind: str  # "program" (found on PATH) or "tex" (a file kpsewhich finds)
    name: str  # "latexmk", "lmodern.sty"
    package: str  # the Debian package that provides it
    purpose: str  # "pdf", "html" or "tests"


def parse(text: str) -> dict[str, Requirement]:
    """The entries of a list in the format of ``system-deps.txt``.

    >>> parse("# kind name package purpose\\ntex  tikz.sty  texlive-pictures  pdf\\n")
    {'tikz.sty': Requirement(kind='tex', name='tikz.sty', package='texlive-pictures', purpose='pdf')}
    """
    entries = {}
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) != 4 or fields[0] not in KINDS:
            raise ValueError(f"line {number} of the system requirements is not 'kind name package purpose': {line!r}")
        entries[fields[1]] = Requirement(*fields)
    return entries


@cache
def requirements() -> Mapping[str, Requirement]:
    """Every entry of ``system-deps.txt``, by name."""
    text = resources.files(__package__).joinpath("system-deps.txt").read_text(encoding="utf-8")
    return MappingProxyType(parse(text))


def requirement(name: str) -> Requirement | None:
    """The entry for a program or TeX file, or None when the list does not name it."""
    return requirements().get(name)


def is_installed(entry: Requirement) -> bool:
    """Whether this machine has the program on PATH, or kpsewhich finds the TeX file."""
    if entry.kind == "program":
        return shutil.which(entry.name) is not None
    kpsewhich = shutil.which("kpsewhich")
    if kpsewhich is None:
        return False
    found = subprocess.run([kpsewhich, entry.name], capture_output=True, check=False, timeout=60)
    return found.returncode == 0 and bool(found.stdout.strip())


def missing(names: Iterable[str]) -> list[str]:
    """The names among ``names`` that are not installed (each must be in the list)."""
    return [name for name in names if not is_installed(requirements()[name])]


def install_advice(names: Iterable[str]) -> str:
    """What to run to install the packages providing ``names`` (a phrase for an error message)."""
    packages = list(dict.fromkeys(requirements()[name].package for name in names))
    noun = "package" if len(packages) == 1 else "packages"
    listed = " ".join(packages)
    return f"install the Debian {noun} {listed} (apt-get install {listed}, or make system-deps as root)"
