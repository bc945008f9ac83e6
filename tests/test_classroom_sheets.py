"""A student's sheet carries the code of its variant, as text and as a QR code that reads back
(zbarimg, an independent decoder) to that code, in the PDF and in the HTML page."""

from __future__ import annotations

import subprocess

import pytest

from symbackprop import models
from symbackprop.classroom.assignment import write_assignment
from symbackprop.classroom.variants import variant_code
from symbackprop.worksheets import MissingToolError, qrcode
from tests.conftest import require_installed, require_latex


def _decode(png) -> str:
    done = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True, timeout=60)
    return done.stdout.strip()


def test_every_format_carries_the_code(tmp_path):
    course = tmp_path / "course"
    write_assignment(models.two_two_two(), ("ada",), course, seed=7, formats=["md"])
    code = variant_code(models.two_two_two(), 7, "ada")
    sheet = (course / "students" / "ada" / "sheet.md").read_text()
    assert f"Sheet code: `{code}`" in sheet and qrcode.svg(code) in sheet
    # The student's name is on the name line, once; the title is the sheet's own.
    assert "Name: ada  Date:" in sheet and sheet.count("ada") == 1 + sheet.count("-ada-")
    assert "Sheet code" not in (course / "key" / "ada" / "sheet.md").read_text()  # the teacher's key has none


def test_the_qr_code_on_the_pdf_reads_back_to_the_code_that_writes_the_sheet_again(tmp_path, run_cli, monkeypatch):
    require_latex()
    require_installed("pdftoppm", "zbarimg")
    monkeypatch.chdir(tmp_path)
    course = tmp_path / "course"
    write_assignment(models.two_two_two(), ("alan", "ada"), course, seed=7, formats=["pdf", "md"],
                     questions=["W2", "b1"])
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1",
                    str(course / "students" / "alan" / "sheet.pdf"), str(tmp_path / "page")], check=True, timeout=120)
    read = _decode(tmp_path / "page-1.png")
    assert read == variant_code(models.two_two_two(), 7, "alan", ["W2", "b1"])
    # What a teacher does with a lost sheet: the code read off the page, and nothing else
    # about the student, writes the same sheet and answers file again.
    done = run_cli("variant", "--layers", "2,2,2", "--questions", "W2,b1", "--code", read, "-o", "again")
    assert done.status == 0, done.stderr
    for name in ("sheet.md", "answers.toml"):
        assert (tmp_path / "again/students/alan" / name).read_bytes() == (course / "students/alan" / name).read_bytes()
    assert (tmp_path / "again/key/alan/variant.json").read_bytes() == (course / "key/alan/variant.json").read_bytes()
    forgot = run_cli("variant", "--layers", "2,2,2", "--code", read, "-o", "wrong")
    assert forgot.status == 2 and "other --questions" in forgot.stderr and not (tmp_path / "wrong").exists()


def test_the_qr_code_on_the_html_page_reads_back_to_the_code(tmp_path):
    require_installed("chromium", "zbarimg")
    course = tmp_path / "course"
    try:
        write_assignment(models.two_two_two(), ("grace",), course, seed=7, formats=["html"])
    except MissingToolError as exc:  # KaTeX, which make system-deps installs
        pytest.skip(str(exc))
    shot = tmp_path / "page.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=900,700", (course / "students" / "grace" / "sheet.html").as_uri()],
                   capture_output=True, check=True, timeout=120)
    assert _decode(shot) == variant_code(models.two_two_two(), 7, "grace")
