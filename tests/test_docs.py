"""The README and docs/ cannot drift from the program: their code blocks run here.

* A ```python block with ``>>>`` prompts is a doctest; one without prompts is
  run as a script.  The blocks of one file share a namespace, in order, like the
  cells of a notebook, and run in a temporary folder holding docs/files/.
* A ```console block holds ``$ command`` lines (``\\`` continues a line), each
  followed by the output it prints (stdout and stderr together) and, when the
  exit status is not 0, a last line ``[exit N]``.  ``...`` in the expected
  output matches anything, and runs of spaces compare equal.
* Other blocks (```text, ```sh, ```json …) are shown, not run.
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from symbackprop.worksheets.tools import MissingToolError

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
FILES = ROOT / "docs" / "files"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)
EXIT = re.compile(r"^\[exit (\d+)\]$")
CHECKER = doctest.OutputChecker()
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    language: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    return [
        Block(path, text.count("\n", 0, match.start()) + 1, match.group(1), match.group(2))
        for match in FENCE.finditer(text)
    ]


@dataclass(frozen=True)
class Command:
    line: str
    output: str
    status: int


def commands(block: Block) -> list[Command]:
    """The ``$ …`` commands of a console block with their expected output and status."""
    out: list[Command] = []
    lines = block.text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            raise AssertionError(f"{block.where}: console output before any '$ ' command")
        command = lines[i][2:]
        while command.endswith("\\"):
            i += 1
            command = command[:-1] + " " + lines[i].strip()
        i += 1
        expected: list[str] = []
        while i < len(lines) and not lines[i].startswith("$ "):
            expected.append(lines[i])
            i += 1
        status = 0
        if expected and (match := EXIT.match(expected[-1].strip())):
            status = int(match.group(1))
            expected.pop()
        out.append(Command(command, "\n".join(expected), status))
    return out


def _all(language: str) -> list[Block]:
    return [block for path in DOCS for block in blocks(path) if block.language == language]


def _workdir(tmp_path: Path) -> Path:
    if FILES.is_dir():
        shutil.copytree(FILES, tmp_path, dirs_exist_ok=True)
    return tmp_path


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["COLUMNS"] = "120"
    env.pop("FORCE_COLOR", None)
    return env


@pytest.mark.parametrize("block", _all("console"), ids=lambda block: block.where)
def test_console_block(block: Block, tmp_path: Path) -> None:
    workdir = _workdir(tmp_path)
    for command in commands(block):
        argv = shlex.split(command.line)
        if argv[0] != "symbackprop":
            pytest.fail(f"{block.where}: console blocks run symbackprop only, got {argv[0]!r}")
        done = subprocess.run(
            command.line,
            shell=True,
            cwd=workdir,
            env=_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
        )
        got = done.stdout.rstrip("\n") + "\n"
        want = command.output.rstrip("\n") + "\n"
        assert CHECKER.check_output(want, got, FLAGS), (
            f"{block.where}: `{command.line}` printed\n{got}\ninstead of\n{want}"
        )
        assert done.returncode == command.status, (
            f"{block.where}: `{command.line}` exited {done.returncode}, the doc says {command.status}"
        )


@pytest.mark.parametrize("path", [p for p in DOCS if any(b.language == "python" for b in blocks(p))],
                         ids=lambda path: str(path.relative_to(ROOT)))
def test_python_blocks(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(_workdir(tmp_path))
    namespace: dict[str, object] = {"__name__": "__docs__"}
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    parser = doctest.DocTestParser()
    for block in blocks(path):
        if block.language != "python":
            continue
        if ">>>" in block.text:
            test = parser.get_doctest(block.text, namespace, block.where, str(path), block.line)
            result = runner.run(test, clear_globs=False)
            namespace.update(test.globs)  # DocTest runs in a copy of the namespace
            assert result.failed == 0, f"{block.where}: a doctest example failed (see above)"
        else:
            code = compile(block.text, block.where, "exec")
            try:
                exec(code, namespace)
            except MissingToolError as exc:  # LaTeX or KaTeX not installed here
                pytest.skip(f"{block.where}: {exc}")


def test_every_block_is_of_a_known_kind() -> None:
    """A typo in a fence's language would silently stop a block from running."""
    known = {"python", "console", "text", "sh", "json", "toml", "csv", "latex", "markdown", "mermaid", ""}
    unknown = [f"{b.where} ({b.language})" for p in DOCS for b in blocks(p) if b.language not in known]
    assert not unknown, "blocks of an unknown language: " + ", ".join(unknown)


def test_console_parser_reads_continuations_and_status() -> None:
    block = Block(ROOT / "README.md", 1, "console", "$ symbackprop a \\\n    --b\nout\n[exit 2]\n$ symbackprop c\n")
    assert commands(block) == [
        Command("symbackprop a  --b", "out", 2),
        Command("symbackprop c", "", 0),
    ]


def test_readme_is_a_front_door() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= 300, f"README.md has {lines} lines; move details into docs/"


def test_links_between_docs_resolve() -> None:
    broken = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text) + re.findall(r'<img src="([^"]+)"', text):
            if "://" in target:
                continue
            if not (path.parent / target).exists():
                broken.append(f"{path.relative_to(ROOT)} -> {target}")
    assert not broken, "links to missing files: " + ", ".join(broken)
