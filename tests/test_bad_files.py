"""Bad spec, parameter and data files: one sentence naming the file and what is wrong.

Files are read with a size bound and decoded as UTF-8 before parsing; a file
whose top level is not a mapping, that nests too deeply or holds numbers too
long to read is refused; parameters and data must hold real numbers (no text,
booleans, complex numbers or dates); a .npz must be a zip of numeric arrays.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop import Network, data
from symbackprop.data import load_data
from symbackprop.errors import DataError, SpecError, SymbackpropError
from symbackprop.params import load_params
from symbackprop.spec import load_spec_file

from .bad_input import assert_refused, run_subprocess, unchanged

NET = ("--layers", "2,2,1")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# -- spec files ------------------------------------------------------------------------

SPEC_FILES = [
    ("list.json", b"[2, 3, 1]", "must be a mapping, got list; write a JSON object"),
    ("text.json", b'"abc"', "must be a mapping, got str"),
    ("number.json", b"3", "must be a mapping, got int"),
    ("binary.json", b"\xff\xfe{", "is not UTF-8 text (byte 0xff at position 0)"),
    ("latin.toml", b"name = 'caf\xe9'", "is not UTF-8 text (byte 0xe9 at position 11)"),
    ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
    ("deep.toml", b"a = " + b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
    ("digits.json", b'{"layers": [2, ' + b"9" * 5000 + b"]}", "holds a number too long to read"),
    ("digits.toml", b"layers = [2, " + b"9" * 5000 + b"]", "holds a number too long to read"),
    ("huge.json", b'{"layers": [2, 1], "name": "' + b"x" * (1 << 21) + b'"}', "larger than the 1 MB accepted"),
    ("loss0.json", b'{"layers": [2, 1], "loss": 0}', "a loss must be a name or an expression in a and y, got 0"),
    ("lossfalse.json", b'{"layers": [2, 1], "loss": false}', "got False"),
    ("name.json", b'{"layers": [2, 1], "name": "<img src=x onerror=alert(1)>"}', "which a name may not hold"),
    ("nameint.json", b'{"layers": [2, 1], "name": 5}', "the network's name must be text, got int 5"),
    ("twice.json", b'{"layers": [2, 2, 1], "layers": [2, 3, 1]}', "gives 'layers' twice; keep one"),
]


@pytest.mark.parametrize(("name", "content", "words"), SPEC_FILES, ids=[n for n, _, _ in SPEC_FILES])
def test_bad_spec_files(run_cli, tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    with unchanged(tmp_path):
        result = run_cli("derive", "--spec", str(path))
    message = assert_refused(result, words)
    with pytest.raises(SpecError) as caught:
        Network.from_spec(path)
    assert str(caught.value) == message


def test_a_spec_that_never_ends_is_refused_at_once():
    outcome = run_subprocess("derive", "--spec", "/dev/zero")
    assert_refused(outcome, "spec file '/dev/zero' is larger than the 1 MB accepted")
    assert outcome.seconds < 30


def test_a_folder_is_not_a_spec(tmp_path):
    with pytest.raises(SpecError, match="cannot read spec file .*: it is a folder"):
        load_spec_file(tmp_path)


# -- parameter files -------------------------------------------------------------------

GOOD_PARAMS = {"W1": [[0.1, 0.2], [0.3, 0.4]], "b1": [0.0, 0.0], "W2": [[0.5, 0.6]], "b2": [0.0]}

PARAM_FILES = [
    ("strings", json.dumps({**GOOD_PARAMS, "b2": ["0.4"]}).encode(), "parameter b2 in '", "got text ('0.4'); write numbers without quotes"),
    ("booleans", json.dumps({**GOOD_PARAMS, "b1": [True, False]}).encode(), "parameter b1", "got true/false values"),
    ("null", json.dumps({**GOOD_PARAMS, "b1": [None, 1]}).encode(), "parameter b1", "got NoneType None"),
    ("ragged", json.dumps({**GOOD_PARAMS, "W1": [[1, 2], [3]]}).encode(), "parameter W1", "every row as long as the others"),
    ("digits", b'{"W1": [[' + b"9" * 5000 + b', 1], [1, 1]], "b1": [0, 0], "W2": [[1, 1]], "b2": [0]}', "holds a number too long to read", ""),
    ("huge int", json.dumps({**GOOD_PARAMS, "b2": [10**400]}).encode(), "parameter b2", "too large for a float"),
    ("NaN literal", b'{"W1": [[NaN, 1], [1, 1]], "b1": [0, 0], "W2": [[1, 1]], "b2": [0]}', "parameter W1", "not a finite number"),
    ("1e999", b'{"W1": [[1e999, 1], [1, 1]], "b1": [0, 0], "W2": [[1, 1]], "b2": [0]}', "parameter W1", "not a finite number"),
    ("deep", b"[" * 100_000 + b"]" * 100_000, "nests too deeply", ""),
    ("binary", b"\x00\x01\x02", "is not valid JSON", ""),
    ("latin-1", b'{"W1": "\xe9"}', "is not UTF-8 text", ""),
    ("a list", b"[1, 2]", "must be a mapping of names such as W1, b1 to arrays, got list", ""),
    ("too large", b" " * (2 << 20) + b"{}", "larger than the 1 MB accepted", ""),
    # JSON keeps the last of two values silently: the W1 that was meant would be lost
    ("twice", b'{"W1": [[0.1, 0.2], [0.3, 0.4]], "W1": [[1, 1], [1, 1]], "b1": [0, 0], "W2": [[1, 1]], "b2": [0]}',
     "parameter file '", "gives 'W1' twice; keep one"),
]


@pytest.mark.parametrize(("label", "content", "first", "second"), PARAM_FILES, ids=[p[0] for p in PARAM_FILES])
def test_bad_parameter_files(run_cli, tmp_path, label, content, first, second):
    path = tmp_path / "p.json"
    path.write_bytes(content)
    with unchanged(tmp_path):
        result = run_cli("grad", *NET, "--params", str(path), "--x", "1,2", "--y", "0.5")
    message = assert_refused(result, first, second)
    with pytest.raises(DataError) as caught:
        load_params(path, Network.from_layers([2, 2, 1]))
    assert str(caught.value) == message


def test_parameters_from_python_are_numbers_too():
    f = Network.from_layers([2, 2, 1]).compile()
    with pytest.raises(DataError, match=r"parameter b2 must be a list of 1 numbers, got text \('0.4'\)"):
        f({**GOOD_PARAMS, "b2": ["0.4"]}, [[1, 2]], [[0.5]])


# -- data files ------------------------------------------------------------------------


def _npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def _npz_declaring(path, shape, padding=0):
    """A .npz whose X.npy header declares ``shape`` but holds 16 bytes of data (NumPy would
    allocate the declared size before finding out)."""
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}" + " " * padding
    header += " " * (63 - len(header) % 64) + "\n"
    version, length = (b"\x01\x00", len(header).to_bytes(2, "little")) if len(header) < 65536 else (
        b"\x02\x00", len(header).to_bytes(4, "little"))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("X.npy", b"\x93NUMPY" + version + length + header.encode() + b"\0" * 16)
        with archive.open("Y.npy", "w") as handle:
            np.lib.format.write_array(handle, np.ones((1, 1)))
    return path


def _data_files(tmp_path):
    big_field = tmp_path / "big.csv"
    big_field.write_text("x1,x2,y1\n1," + "2" * 200_000 + ",1\n")
    npy = tmp_path / "single.npz"
    with open(npy, "wb") as handle:
        np.save(handle, np.zeros(3))
    text = tmp_path / "text.npz"
    text.write_text("hello")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"x1,x2,y1\n1,2,\xe9\n")
    return [
        (_npz_declaring(tmp_path / "lie.npz", (10**12, 2)), "array X of '",
         "declares shape (1000000000000, 2) (14901.2 GB), more than the 154 bytes it holds; the file is damaged"),
        (_npz_declaring(tmp_path / "long_header.npz", (1, 2), padding=20_000), "array X of '",
         "has no readable .npy header (damaged, or longer than NumPy's 10,000-byte limit)"),
        (big_field, "line 2 of", "is not CSV: field larger than field limit"),
        (npy, "it is a single .npy array, not a .npz archive", "numpy.savez"),
        (text, "it is not a .npz archive", ""),
        (latin, "is not UTF-8 text (byte 0xe9 at position 13)", ""),
        (_npz(tmp_path / "complex.npz", X=np.ones((2, 2)) + 1j, Y=np.ones((2, 1))), "X in '", "complex numbers (whose imaginary part would be lost)"),
        (_npz(tmp_path / "dates.npz", X=np.array([["2020-01-01", "2020-01-02"]] * 2, dtype="datetime64[D]"), Y=np.ones((2, 1))), "got dates (2020-01-01)", ""),
        (_npz(tmp_path / "text_arrays.npz", X=np.array([["1", "2"]]), Y=np.ones((1, 1))), "got text ('1')", ""),
        (_npz(tmp_path / "bools.npz", X=np.ones((2, 2)), Y=np.array([[True], [False]])), "Y in '", "true/false values"),
    ]


def test_bad_data_files(run_cli, tmp_path):
    cases = _data_files(tmp_path)
    objects = tmp_path / "objects.npz"
    with zipfile.ZipFile(objects, "w") as archive:  # np.savez of an object array pickles it
        with archive.open("X.npy", "w") as handle:
            np.lib.format.write_array(handle, np.array([[1, None]], dtype=object), allow_pickle=True)
        with archive.open("Y.npy", "w") as handle:
            np.lib.format.write_array(handle, np.ones((1, 1)))
    cases.append((objects, "holds Python objects, not arrays of numbers", ""))
    net = Network.from_layers([2, 2, 1])
    for path, first, second in cases:
        with unchanged(tmp_path):
            result = run_cli("grad", *NET, "--data", str(path))
        message = assert_refused(result, first, second)
        with pytest.raises(DataError) as caught:
            load_data(path, net)
        assert str(caught.value) == message


def test_a_zip_bomb_is_refused_from_its_header(tmp_path, monkeypatch):
    """A small .npz can unpack to gigabytes: its header's sizes are read first (bound lowered here)."""
    monkeypatch.setattr(data, "MAX_NPZ_ARRAY_BYTES", 1 << 20)
    path = tmp_path / "bomb.npz"
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("X.npy", "w") as handle,
    ):
        np.lib.format.write_array(handle, np.zeros((200_000, 2)))
    assert path.stat().st_size < 20_000  # 3.2 MB of zeros, deflated
    with pytest.raises(DataError, match=r"array X of '.*bomb.npz' takes 3.1 MB unpacked, more than the 1 MB accepted"):
        load_data(path, Network.from_layers([2, 2, 1]))


def test_a_csv_too_large_to_read_in_seconds_is_refused(run_cli, tmp_path):
    # Read cell by cell, 64 MB of rows took 20 s of CPU and 1.7 GB; .npz is the format for more.
    path = tmp_path / "big.csv"
    path.write_bytes(b"0,0,0\n" * (16 * (1 << 20) // 6 + 1))
    with unchanged(tmp_path):
        result = run_cli("grad", *NET, "--data", str(path))
    assert_refused(result, "big.csv' is larger than the 16 MB accepted")


# -- random bytes as files ---------------------------------------------------------------


def _outcome(run_cli, *args):
    result = run_cli(*args)
    assert "Traceback" not in result.stderr
    if result.status != 0:
        assert_refused(result)
    return result


@FAST
@given(content=st.binary(max_size=200), suffix=st.sampled_from([".json", ".toml"]))
def test_random_bytes_as_a_spec_file(run_cli, tmp_path_factory, content, suffix):
    path = tmp_path_factory.mktemp("spec") / f"s{suffix}"
    path.write_bytes(content)
    _outcome(run_cli, "derive", "--spec", str(path), "--level", "matrix")


@FAST
@given(content=st.binary(max_size=200))
def test_random_bytes_as_a_parameter_file(run_cli, tmp_path_factory, content):
    path = tmp_path_factory.mktemp("params") / "p.json"
    path.write_bytes(content)
    _outcome(run_cli, "grad", *NET, "--params", str(path), "--x", "1,2", "--y", "0.5")


@FAST
@given(content=st.binary(max_size=200), suffix=st.sampled_from([".csv", ".npz"]))
def test_random_bytes_as_a_data_file(run_cli, tmp_path_factory, content, suffix):
    path = tmp_path_factory.mktemp("data") / f"d{suffix}"
    path.write_bytes(content)
    _outcome(run_cli, "grad", *NET, "--data", str(path))


@FAST
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["layers", "activation", "loss", "bias", "name", "output_activation", "x"]), inner, max_size=5),
        max_leaves=12,
    )
)
def test_random_specs_build_a_network_or_raise_a_spec_error(spec):
    try:
        Network.from_spec(spec)
    except SpecError as exc:
        assert str(exc).startswith("invalid network: ")
    except SymbackpropError as exc:  # pragma: no cover - names what slipped through
        pytest.fail(f"{type(exc).__name__}: {exc}")
