"""Exports of an assignment for the platforms courses run, each checked by the platform's own
rules: PrairieLearn's published schema and its generate/grade calls, and the structure of Moodle
XML and Canvas QTI 1.2 read back into their questions."""

from __future__ import annotations

import importlib.util
import json
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

import symbackprop as sbp
from symbackprop import models
from symbackprop.classroom.answers import check_value
from symbackprop.classroom.assignment import write_assignment
from symbackprop.classroom.platforms import export
from symbackprop.errors import DataError
from tests.classroom_support import wrong_formula

SCHEMA = json.loads((Path(__file__).parent / "data" / "prairielearn" / "infoQuestion.schema.json").read_text())
ROSTER = ("ada", "alan", "grace")


@pytest.fixture(scope="module")
def courses(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("platforms")
    whole = root / "whole"
    write_assignment(models.two_two_two(), ROSTER, whole, questions=["W2", "W1", "b1"], seed=3, formats=["md"])
    entries = root / "entries"
    write_assignment(models.two_two_two(), ROSTER, entries, seed=3, formats=["md"])
    return {"whole": whole, "entries": entries, "root": root}


def _server(folder: Path):
    spec = importlib.util.spec_from_file_location(f"server_{folder.name.replace('-', '_')}", folder / "server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _render(html: str, data: dict) -> str:
    """question.html as PrairieLearn's Mustache pass leaves it for the elements: {{params.x}}
    replaced, {{#params.x}}…{{/params.x}} kept when x is true."""
    def section(m):
        return m.group(2) if data["params"].get(m.group(1)) else ""

    html = re.sub(r"\{\{#params\.(\w+)\}\}(.*?)\{\{/params\.\1\}\}", section, html, flags=re.S)
    return re.sub(r"\{\{params\.(\w+)\}\}", lambda m: str(data["params"][m.group(1)]), html)


def _elements_grade(data: dict, submitted: dict, html: str = "") -> None:
    """What PrairieLearn's elements do before server.grade: pl-string-input compares the text with
    the correct answer, pl-number-input the number within the rtol and atol of its tag in the
    rendered question.html (|given − true| ≤ atol + rtol·|true|, its default "relabs" comparison)."""
    data["submitted_answers"] = submitted
    data["raw_submitted_answers"] = dict(submitted)
    data["format_errors"], data["feedback"], data["partial_scores"] = {}, {}, {}
    data["partial_scores"]["formula"] = {"score": float(submitted["formula"] == data["correct_answers"]["formula"]),
                                         "weight": 1}
    if "value" in data["correct_answers"]:
        tag = re.search(r"<pl-number-input [^>]*>", _render(html, data)).group(0)
        rtol, atol = (float(re.search(rf'{name}="([^"]+)"', tag).group(1)) for name in ("rtol", "atol"))
        true, given = data["correct_answers"]["value"], submitted["value"]
        data["partial_scores"]["value"] = {"score": float(abs(given - true) <= atol + rtol * abs(true)), "weight": 1}
    parts = data["partial_scores"].values()
    data["score"] = sum(p["score"] * p["weight"] for p in parts) / sum(p["weight"] for p in parts)


def test_prairielearn_questions_follow_the_schema_and_grade_as_prairielearn_calls_them(courses):
    out = courses["root"] / "pl"
    written = export(courses["whole"], "prairielearn", out)
    folders = sorted({p.parent for p in written})
    assert [f.name for f in folders] == ["symbackprop-db1", "symbackprop-dw1", "symbackprop-dw2"]
    uuids = set()
    for folder in folders:
        info = json.loads((folder / "info.json").read_text())
        jsonschema.validate(info, SCHEMA)
        uuids.add(info["uuid"])
        html = (folder / "question.html").read_text()
        server = _server(folder)
        data = {"params": {}, "correct_answers": {}, "variant_seed": 2718281828, "options": {}}
        server.generate(data)
        # Every {{params.…}} the template uses is given by generate.
        for name in re.findall(r"\{\{[#/]?params\.(\w+)\}\}", html):
            assert name in data["params"], name
        wrt = data["params"]["wrt"]
        assert folder.name == f"symbackprop-d{wrt.lower()}"
        assert sbp.verify(models.two_two_two(), wrt, data["correct_answers"]["formula"]).correct
        json.dumps(data)  # PrairieLearn stores data as JSON

        right = {"W2": "((a2 - y) * a2 * (1 - a2)) @ a1.T", "W1": "((W2.T @ delta2) * a1 * (1 - a1)) @ x.T",
                 "b1": r"(W^{(2)})^T \delta^{(2)} \odot \sigma'(z^{(1)})"}[wrt]
        _elements_grade(data, {"formula": right})
        server.grade(data)
        assert data["partial_scores"]["formula"]["score"] == 1 and data["score"] == 1
        assert data["feedback"]["formula"].startswith("Right")
        if wrt != "b1":
            for kind, score in (("missing-derivative", 0.0), ("unreadable", 0.0)):
                _elements_grade(data, {"formula": wrong_formula(kind, wrt)})
                server.grade(data)
                assert data["score"] == score
            _elements_grade(data, {"formula": wrong_formula("missing-derivative", wrt)})
            server.grade(data)
            assert "is missing" in data["partial_scores"]["formula"]["feedback"]
    assert len(uuids) == 3
    # W1 transposed (square): half its entries right, so half the points.
    folder = out / "symbackprop-dw1"
    server = _server(folder)
    data = {"params": {}, "correct_answers": {}, "variant_seed": 5, "options": {}}
    server.generate(data)
    _elements_grade(data, {"formula": wrong_formula("transposed", "W1")})
    server.grade(data)
    assert data["score"] == 0.5 and "transpose" in data["feedback"]["formula"]


def test_prairielearn_entry_questions_draw_the_sheet_s_exercise_and_grade_the_value(courses):
    out = courses["root"] / "pl-entries"
    export(courses["entries"], "prairielearn", out, tolerance=0.01)
    server = _server(out / "symbackprop-exercise1")
    html = (out / "symbackprop-exercise1" / "question.html").read_text()
    data = {"params": {}, "correct_answers": {}, "variant_seed": 99, "options": {}}
    server.generate(data)
    sheet = sbp.worksheets.build(models.two_two_two(), seed=99)
    assert data["params"]["wrt"] == sheet.exercises[0].wrt and data["params"]["has_value"]
    name, row, col = sheet.exercises[0].entry
    grad = sheet.values.grads[name]
    true = grad[row - 1, col - 1]
    assert data["correct_answers"]["value"] == pytest.approx(true, rel=1e-5)
    right = {"formula": data["correct_answers"]["formula"]}
    _elements_grade(data, {**right, "value": true * 2}, html)
    server.grade(data)
    # The formula (weight 3) right, the value (weight 1) wrong.
    assert data["score"] == pytest.approx(0.75)
    # The value's tolerance is publish's --tolerance, as grade judges an entry's value.
    allowed = 0.01 * abs(true)
    assert "right within 1% of its true value" in _render(html, data)
    assert check_value(true + 0.9 * allowed, float(true), 0.01).score == 1.0
    assert check_value(true + 1.1 * allowed, float(true), 0.01).score == 0.0
    for error, score in ((0.9 * allowed, 1.0), (1.1 * allowed, 0.75)):
        _elements_grade(data, {**right, "value": true + error}, html)
        server.grade(data)
        assert data["score"] == pytest.approx(score)


def _moodle_questions(path: Path) -> list[dict]:
    """Moodle XML read back as Moodle's importer reads a numerical question: <quiz> of <question>
    elements, a category question naming where the next ones go, each numerical question with a
    name, HTML question text and answers (fraction, text, tolerance)."""
    root = ET.parse(path).getroot()
    assert root.tag == "quiz"
    out, category = [], None
    for question in root:
        assert question.tag == "question"
        kind = question.get("type")
        if kind == "category":
            category = question.findtext("category/text")
            continue
        assert kind == "numerical"
        assert question.find("questiontext").get("format") == "html"
        answers = question.findall("answer")
        assert len(answers) == 1 and answers[0].get("fraction") == "100"
        out.append({"category": category, "name": question.findtext("name/text"),
                    "text": question.findtext("questiontext/text"),
                    "value": float(answers[0].findtext("text")), "tolerance": float(answers[0].findtext("tolerance"))})
    return out


def _key(course: Path, student: str) -> dict:
    return json.loads((course / "key" / student / "variant.json").read_text())


def test_moodle_xml_holds_each_student_s_numbers_with_the_stated_tolerance(courses):
    path = courses["root"] / "quiz.xml"
    export(courses["whole"], "moodle", path)
    questions = _moodle_questions(path)
    # 3 students × (4 entries of W2 + 4 of W1 + 2 of b1)
    assert len(questions) == 3 * 10
    assert {q["category"] for q in questions} == {f"$course$/top/symbackprop/Question {n}" for n in (1, 2, 3)}
    for student in ROSTER:
        key = _key(courses["whole"], student)
        mine = [q for q in questions if q["name"].startswith(f"{student} ({key['code']})")]
        assert len(mine) == 10
        w2 = key["questions"][0]["value"]
        largest = max(abs(v) for row in w2 for v in row)
        first = next(q for q in mine if q["name"].endswith("∂L/∂W2[1,2]"))
        assert first["value"] == pytest.approx(w2[0][1], rel=1e-5)
        assert first["tolerance"] == pytest.approx(0.005 * largest, rel=1e-5)
        # The question gives the numbers it is about: the example's x and W1.
        example = key["example"]
        assert f"x = [{example['x'][0]:.6g}, {example['x'][1]:.6g}]" in first["text"]
    # A sheet's own exercises 1-3 ask for one entry each: its tolerance is relative to that entry;
    # exercise 4 asks for the whole matrix ∂L/∂W2, relative to its largest entry as above.
    export(courses["entries"], "moodle", courses["root"] / "entries.xml")
    entries = _moodle_questions(courses["root"] / "entries.xml")
    assert len(entries) == 3 * (3 + 4)
    for q in entries:
        if q["category"].endswith("Question 4"):
            assert "within 0.5% of the largest entry of ∂L/∂W2 is right" in q["text"]
            continue
        assert "within 0.5% of its true value is right" in q["text"]
        assert q["tolerance"] == pytest.approx(0.005 * abs(q["value"]), rel=1e-4)
    with pytest.raises(DataError, match="end .* in .xml"):
        export(courses["whole"], "moodle", courses["root"] / "quiz.txt")


def test_canvas_qti_package_reads_back_as_question_groups_of_numerical_items(courses):
    path = courses["root"] / "canvas.zip"
    export(courses["whole"], "canvas", path)
    ns = {"qti": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2", "cp": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"}
    with zipfile.ZipFile(path) as package:
        manifest = ET.fromstring(package.read("imsmanifest.xml"))
        resource = manifest.find("cp:resources/cp:resource", ns)
        assert resource.get("type") == "imsqti_xmlv1p2"
        quiz = ET.fromstring(package.read(resource.get("href")))
    assert quiz.tag == f"{{{ns['qti']}}}questestinterop"
    groups = quiz.findall("qti:assessment/qti:section/qti:section", ns)
    assert [g.get("title") for g in groups] == ["Question 1", "Question 2", "Question 3"]
    key = _key(courses["whole"], "grace")
    for group in groups:
        assert group.findtext("qti:selection_ordering/qti:selection/qti:selection_number", namespaces=ns) == "1"
        for item in group.findall("qti:item", ns):
            fields = {f.findtext("qti:fieldlabel", namespaces=ns): f.findtext("qti:fieldentry", namespaces=ns)
                      for f in item.findall("qti:itemmetadata/qti:qtimetadata/qti:qtimetadatafield", ns)}
            assert fields["question_type"] == "numerical_question"
            assert item.find("qti:presentation/qti:response_str/qti:render_fib", ns).get("fibtype") == "Decimal"
            low = float(item.findtext(".//qti:vargte", namespaces=ns))
            high = float(item.findtext(".//qti:varlte", namespaces=ns))
            if item.get("title") == f"grace ({key['code']}): ∂L/∂b1[2]":
                true = key["questions"][2]["value"][1]
                assert low < true < high
                assert high - low == pytest.approx(2 * 0.005 * max(map(abs, key["questions"][2]["value"])), rel=1e-6)
    # The same assignment gives the same package, byte for byte.
    again = courses["root"] / "canvas-again.zip"
    export(courses["whole"], "canvas", again)
    assert again.read_bytes() == path.read_bytes()
