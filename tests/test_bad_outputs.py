"""Bad output paths: refused before any work, never written over without --force, written atomically.

Every file a command will write (train --save and --plot, worksheet -o) is
checked before the work starts: its folder exists and is writable, its name
fits the file system, it is not a folder, and it does not exist unless
--force is given.  A write goes through a temporary file that replaces the
target in one step, so a failure leaves the old file as it was.
"""

from __future__ import annotations

import os
import time

import pytest

from symbackprop import io, models
from symbackprop.errors import DataError
from symbackprop.params import init_params, save_params

from .bad_input import assert_refused, unchanged

TRAIN = ("train", "--layers", "2,2,1", "--data", "xor")
LONG = "p" * 300 + ".json"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((*TRAIN, "--epochs", "1000000000", "--save", "missing/params.json"), "the folder 'missing' does not exist"),
        ((*TRAIN, "--epochs", "1000000000", "--plot", "missing/loss.png"), "the folder 'missing' does not exist"),
        ((*TRAIN, "--epochs", "1000000000", "--save", LONG), "the file name has 305 bytes, more than the 255"),
        ((*TRAIN, "--epochs", "1000000000", "--plot", "p" * 300 + ".png"), "more than the 255"),
        ((*TRAIN, "--epochs", "1000000000", "--save", "taken.json"), "'taken.json' already exists; pass --force to replace it"),
        ((*TRAIN, "--epochs", "1000000000", "--save", "folder"), "'folder' is a directory"),
        ((*TRAIN, "--epochs", "1000000000", "--save", "taken.json/x.json"), "the folder 'taken.json' is not a folder"),
        ((*TRAIN, "--epochs", "1000000000", "--save", "same.png", "--plot", "same.png"), "--plot and --save both name"),
        (("worksheet", "--layers", "2,2,1", "-o", "missing/sheet.pdf"), "the folder 'missing' does not exist"),
        (("worksheet", "--layers", "2,2,1", "-o", "s" * 300 + ".md"), "more than the 255"),
        (("worksheet", "--layers", "2,2,1", "-o", "taken.json"), "cannot tell the worksheet format"),
        (("worksheet", "--layers", "2,2,1", "-o", "sheet.md/"), "cannot write"),
        (("demo", "--out", "d" * 300, "--no-worksheet"), "cannot make the folder 'ddd"),
        (("demo", "--out", "taken.json", "--no-worksheet"), "'taken.json' is a file"),
    ],
)
def test_output_paths_are_refused_before_the_work(run_cli, tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken.json").write_text("keep me")
    (tmp_path / "folder").mkdir()
    start = time.perf_counter()
    with unchanged(tmp_path):
        result = run_cli(*args)
    assert_refused(result, words)
    assert time.perf_counter() - start < 30  # 10⁹ epochs were never started


def test_an_existing_worksheet_is_kept_without_force_and_replaced_with_it(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sheet.md").write_text("keep me")
    with unchanged(tmp_path):
        assert_refused(run_cli("worksheet", "--layers", "2,2,1", "-o", "sheet.md"), "already exists")
    result = run_cli("worksheet", "--layers", "2,2,1", "-o", "sheet.md", "--force")
    assert result.status == 0, result.stderr
    assert (tmp_path / "sheet.md").read_text().startswith("# Backpropagation by hand")
    assert sorted(os.listdir(tmp_path)) == ["sheet.md"]  # no temporary file left behind


def test_train_force_replaces_both_files(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.json").write_text("old")
    (tmp_path / "loss.png").write_text("old")
    result = run_cli(*TRAIN, "--epochs", "3", "--save", "p.json", "--plot", "loss.png", "--force")
    assert result.status == 0, result.stderr
    assert (tmp_path / "p.json").read_text().startswith("{")
    assert (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "params.json"
    target.write_text("old")
    params = init_params(models.two_two_two(), seed=0)

    def refuse(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(io.os, "replace", refuse)
    with pytest.raises(DataError, match="cannot write '.*params.json': No space left on device"):
        save_params(target, params, force=True)
    assert target.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["params.json"]


def test_the_api_refuses_the_same_paths(tmp_path):
    params = init_params(models.two_two_two(), seed=0)
    with pytest.raises(DataError, match="the file name has 305 bytes"):
        save_params(tmp_path / LONG, params)
    with pytest.raises(DataError, match="does not exist"):
        save_params(tmp_path / "missing" / "p.json", params)
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    with pytest.raises(DataError, match="is not writable"):
        io.check_output_path(folder / "x.json")
