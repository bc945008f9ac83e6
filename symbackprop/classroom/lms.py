"""Moodle XML and Canvas QTI for the numeric parts: the worked example's gradient values.

Every variant's question is self-contained — its text gives the network and
the example's numbers — so a quiz that draws one question at random from a
category (Moodle) or a question group (Canvas) gives each student a whole
variant.  One numeric question per number: an entry question is one, a whole
matrix one per entry.  An answer is right within ``tolerance`` × the largest
entry of the gradient, the rule ``symbackprop grade`` uses.

- Moodle: ``quiz.xml`` in the Moodle XML format, one category per question
  of the assignment (``$course$/top/symbackprop/Question n``), numerical
  questions with an answer and its tolerance.
- Canvas: a QTI 1.2 content package (``.zip``): ``imsmanifest.xml`` and
  ``quiz.xml``, an assessment with one question group per question
  ("pick 1") of ``numerical_question`` items.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from ..errors import DataError
from ..io import write_unless_same
from .wording import allowed_error, entries, example_lines, number, tolerance_text

QTI = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"


def items(assignment: Any, tolerance: float) -> list[tuple[int, list[dict[str, Any]]]]:
    """Per question of the assignment: one item per student and number of the answer."""
    by_question: dict[int, list[dict[str, Any]]] = {}
    for student in assignment.students:
        variant = assignment.variant_of(student)
        given = "; ".join(f"{name} = {text}" for name, text in example_lines(variant))
        for q in variant["questions"]:
            margin = allowed_error(q.value, tolerance)
            for label, value in entries(q.wrt, q.value):
                by_question.setdefault(q.number, []).append({
                    "name": f"{student} ({variant['code']}): ∂L/∂{label}",
                    "ident": hashlib.sha256(f"{variant['code']}:{q.number}:{label}".encode()).hexdigest()[:16],
                    "text": (f"<p>Sheet {variant['code']}. For the network {assignment.network.describe()} "
                             f"and the worked example {given}:</p><p>what is ∂L/∂{label} at these numbers? "
                             f"(Six significant digits; {tolerance_text(q.wrt, tolerance)} is right.)</p>"),
                    "label": label,
                    "value": value,
                    "margin": margin,
                })
    return sorted(by_question.items())


def moodle_xml(assignment: Any, tolerance: float) -> str:
    quiz = ET.Element("quiz")
    for number_, questions in items(assignment, tolerance):
        category = ET.SubElement(quiz, "question", type="category")
        ET.SubElement(ET.SubElement(category, "category"), "text").text = f"$course$/top/symbackprop/Question {number_}"
        for item in questions:
            question = ET.SubElement(quiz, "question", type="numerical")
            ET.SubElement(ET.SubElement(question, "name"), "text").text = item["name"]
            _text(question, "questiontext", item["text"])
            _text(question, "generalfeedback", f"<p>∂L/∂{item['label']} = {number(item['value'])}</p>")
            ET.SubElement(question, "defaultgrade").text = "1"
            ET.SubElement(question, "penalty").text = "0"
            ET.SubElement(question, "hidden").text = "0"
            answer = ET.SubElement(question, "answer", fraction="100", format="moodle_auto_format")
            ET.SubElement(answer, "text").text = number(item["value"])
            ET.SubElement(answer, "tolerance").text = number(item["margin"])
            _text(answer, "feedback", "<p>Right.</p>")
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


def _text(parent: ET.Element, tag: str, html: str) -> None:
    ET.SubElement(ET.SubElement(parent, tag, format="html"), "text").text = html


def _field(parent: ET.Element, label: str, entry: str) -> None:
    field = ET.SubElement(parent, "qtimetadatafield")
    ET.SubElement(field, "fieldlabel").text = label
    ET.SubElement(field, "fieldentry").text = entry


def qti_xml(assignment: Any, tolerance: float, ident: str) -> str:
    ET.register_namespace("", QTI)
    root = ET.Element(f"{{{QTI}}}questestinterop")
    q = lambda tag: f"{{{QTI}}}{tag}"  # noqa: E731
    assessment = ET.SubElement(root, q("assessment"), ident=ident, title="Backpropagation by hand: the numbers")
    _field(ET.SubElement(assessment, q("qtimetadata")), "cc_maxattempts", "1")
    root_section = ET.SubElement(assessment, q("section"), ident="root_section")
    for number_, questions in items(assignment, tolerance):
        group = ET.SubElement(root_section, q("section"), ident=f"{ident}-q{number_}", title=f"Question {number_}")
        selection = ET.SubElement(ET.SubElement(group, q("selection_ordering")), q("selection"))
        ET.SubElement(selection, q("selection_number")).text = "1"
        ET.SubElement(ET.SubElement(selection, q("selection_extension")), q("points_per_item")).text = "1"
        for item in questions:
            element = ET.SubElement(group, q("item"), ident=item["ident"], title=item["name"])
            meta = ET.SubElement(ET.SubElement(element, q("itemmetadata")), q("qtimetadata"))
            _field(meta, "question_type", "numerical_question")
            _field(meta, "points_possible", "1.0")
            presentation = ET.SubElement(element, q("presentation"))
            ET.SubElement(ET.SubElement(presentation, q("material")), q("mattext"), texttype="text/html").text = item["text"]
            response = ET.SubElement(presentation, q("response_str"), ident="response1", rcardinality="Single")
            ET.SubElement(ET.SubElement(response, q("render_fib"), fibtype="Decimal"), q("response_label"), ident="answer1")
            processing = ET.SubElement(element, q("resprocessing"))
            ET.SubElement(ET.SubElement(processing, q("outcomes")), q("decvar"), maxvalue="100", minvalue="0",
                          varname="SCORE", vartype="Decimal")
            condition = ET.SubElement(processing, q("respcondition"), attrib={"continue": "No"})
            both = ET.SubElement(ET.SubElement(ET.SubElement(condition, q("conditionvar")), q("or")), q("and"))
            ET.SubElement(both, q("vargte"), respident="response1").text = repr(item["value"] - item["margin"])
            ET.SubElement(both, q("varlte"), respident="response1").text = repr(item["value"] + item["margin"])
            ET.SubElement(condition, q("setvar"), action="Set", varname="SCORE").text = "100"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def manifest_xml(ident: str) -> str:
    ET.register_namespace("", CP)
    c = lambda tag: f"{{{CP}}}{tag}"  # noqa: E731
    manifest = ET.Element(c("manifest"), identifier=f"{ident}-manifest")
    metadata = ET.SubElement(manifest, c("metadata"))
    ET.SubElement(metadata, c("schema")).text = "IMS Content"
    ET.SubElement(metadata, c("schemaversion")).text = "1.1.3"
    ET.SubElement(manifest, c("organizations"))
    resources = ET.SubElement(manifest, c("resources"))
    resource = ET.SubElement(resources, c("resource"), identifier=ident, type="imsqti_xmlv1p2", href="quiz.xml")
    ET.SubElement(resource, c("file"), href="quiz.xml")
    ET.indent(manifest)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(manifest, encoding="unicode") + "\n"


def write_moodle(assignment: Any, output: Path, tolerance: float, force: bool = False) -> list[Path]:
    if output.suffix.lower() != ".xml":
        raise DataError(f"a Moodle export is one XML file; end {str(output)!r} in .xml")
    write_unless_same(output, moodle_xml(assignment, tolerance), force=force)
    return [output]


def write_canvas(assignment: Any, output: Path, tolerance: float, force: bool = False) -> list[Path]:
    if output.suffix.lower() != ".zip":
        raise DataError(f"a Canvas export is a QTI package, a .zip file; end {str(output)!r} in .zip")
    ident = "symbackprop-" + hashlib.sha256(str(assignment.to_dict()).encode()).hexdigest()[:12]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in (("imsmanifest.xml", manifest_xml(ident)), ("quiz.xml", qti_xml(assignment, tolerance, ident))):
            # A fixed date, so the same assignment gives the same bytes.
            package.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), text)
    write_unless_same(output, buffer.getvalue(), force=force)
    return [output]
