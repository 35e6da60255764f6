"""Fuzzing the CVAT reader: whatever the XML, it parses or raises the package's own error."""
from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from yoloxsp.data import read_cvat
from yoloxsp.errors import CvatFormatError

pytestmark = pytest.mark.core

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _read_with(task: Path, xml_bytes: bytes):
    (task / "annotations.xml").write_bytes(xml_bytes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return read_cvat(task)
        except CvatFormatError:
            return None


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(small_movie, data):
    with tempfile.TemporaryDirectory() as tmp:
        task = Path(shutil.copytree(small_movie, Path(tmp) / "t"))
        _read_with(task, data)


XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
NASTY = st.one_of(XML_TEXT, st.sampled_from(
    ["", "nan", "inf", "-1", "0", "1e308", "9" * 5000, "1,2", "1,2;3", "a,b;c,d", "1,2;3,4;5,6", " 3 ", "٣"]))


@FUZZ
@given(st.data())
def test_mutated_attributes_of_a_real_export(small_movie, data):
    original = (small_movie / "annotations.xml").read_bytes()
    root = etree.fromstring(original)
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    for _ in range(data.draw(st.integers(1, 4))):
        el = data.draw(st.sampled_from(elements))
        action = data.draw(st.sampled_from(["set", "delete", "text", "remove"]))
        if action == "set":
            key = data.draw(st.sampled_from(["frame", "outside", "id", "label", "xtl", "ytl", "xbr", "ybr",
                                              "points", "width", "height", "name", "keyframe"]))
            el.set(key, data.draw(NASTY))
        elif action == "delete" and el.attrib:
            del el.attrib[data.draw(st.sampled_from(sorted(el.attrib)))]
        elif action == "text":
            el.text = data.draw(NASTY)
        elif action == "remove" and el.getparent() is not None:
            el.getparent().remove(el)
    with tempfile.TemporaryDirectory() as tmp:
        task = Path(shutil.copytree(small_movie, Path(tmp) / "t"))
        _read_with(task, etree.tostring(root))


def _shape(draw, tag):
    attrs = {k: draw(NASTY) for k in draw(st.lists(st.sampled_from(
        ["frame", "outside", "label", "xtl", "ytl", "xbr", "ybr", "points"]), max_size=8, unique=True))}
    return etree.Element(tag, **attrs)


@st.composite
def cvat_like_trees(draw):
    root = etree.Element(draw(st.sampled_from(["annotations", "annotations", "annotation"])))
    meta = etree.SubElement(etree.SubElement(root, "meta"), "task")
    etree.SubElement(meta, "size").text = draw(NASTY)
    size = etree.SubElement(meta, "original_size")
    etree.SubElement(size, "width").text = draw(NASTY)
    etree.SubElement(size, "height").text = draw(NASTY)
    container = draw(st.sampled_from(["track", "image"]))
    for _ in range(draw(st.integers(0, 3))):
        parent = etree.SubElement(root, container, **{k: draw(NASTY) for k in draw(st.lists(
            st.sampled_from(["id", "label", "name", "width", "height"]), max_size=5, unique=True))})
        for _ in range(draw(st.integers(0, 3))):
            parent.append(_shape(draw, draw(st.sampled_from(["box", "points", "polygon"]))))
    return etree.tostring(root)


@FUZZ
@given(cvat_like_trees())
def test_generated_cvat_like_trees(small_movie, xml):
    with tempfile.TemporaryDirectory() as tmp:
        task = Path(shutil.copytree(small_movie, Path(tmp) / "t"))
        _read_with(task, xml)
