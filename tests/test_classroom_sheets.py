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
    assert "Sheet code" not in (course / "key" / "ada" / "sheet.md").read_text()  # the teacher's key has none


def test_the_qr_code_on_the_pdf_reads_back_to_the_code(tmp_path):
    require_latex()
    require_installed("pdftoppm", "zbarimg")
    course = tmp_path / "course"
    write_assignment(models.two_two_two(), ("alan",), course, seed=7, formats=["pdf"])
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1",
                    str(course / "students" / "alan" / "sheet.pdf"), str(tmp_path / "page")], check=True, timeout=120)
    assert _decode(tmp_path / "page-1.png") == variant_code(models.two_two_two(), 7, "alan")


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
