"""easyocr's networks on ONNX Runtime (extraction.ocr.onnx_networks): exported once and
cached, read as torch reads, and torch where ONNX cannot be had; and the size at which
CRAFT sees a page.

Exporting takes seconds (CRAFT about ten on two cores), so this module exports once into
its own folder; the pages are small. Tests that load the networks are marked slow, as the
other OCR tests are.
"""

import logging
import os
import sys
from pathlib import Path

import easyocr_en_models
import numpy as np
import pytest
import torch
from django.core.exceptions import ImproperlyConfigured
from PIL import Image

from core.demo_pdf import pdf_invoice
from extraction.ocr import easyocr_engine, onnx_networks
from extraction.ocr.easyocr_engine import EasyOcrEngine, detection_side
from extraction.ocr.onnx_networks import OnnxNetwork, cached_path, load_networks
from tests.extraction.test_ocr import _scanned
from tests.factories import demo_invoice

WEIGHTS = Path(easyocr_en_models.model_dir())
RECOGNISER = WEIGHTS / onnx_networks.RECOGNISER_WEIGHTS


@pytest.fixture(scope="module")
def torch_reader():
    return easyocr_engine._shared_reader("torch")


@pytest.fixture(scope="module")
def exported(tmp_path_factory, torch_reader):
    """A folder with both networks exported into it, once for this module."""
    folder = tmp_path_factory.mktemp("ocr-models")
    load_networks(torch_reader.character, WEIGHTS, folder, threads=2)
    return folder


@pytest.fixture
def onnx_engine(monkeypatch, settings, exported, torch_reader):
    """The engine on ONNX Runtime, its networks loaded from this module's export."""
    settings.OCR_MODELS_DIR = exported
    reader = easyocr_engine._onnx_reader(torch_reader)
    assert isinstance(reader.recognizer, OnnxNetwork)
    monkeypatch.setitem(easyocr_engine._readers, "onnx", reader)
    return EasyOcrEngine("onnx")


@pytest.fixture(scope="module")
def page():
    """The head of the demo invoice, scanned as test_ocr.py scans it (blur, noise, JPEG)."""
    scan = _scanned(pdf_invoice(demo_invoice(), "classic")).convert("RGB")
    return scan.crop((0, 0, scan.width, 900))


@pytest.mark.slow
def test_onnx_reads_a_page_as_torch_does(onnx_engine, page):
    onnx = onnx_engine.read(page)
    torch_words = EasyOcrEngine("torch").read(page)

    assert [w.text for w in onnx] == [w.text for w in torch_words]
    assert "INV-2026-0001" in [w.text for w in onnx]
    assert [(w.x0, w.top, w.x1, w.bottom) for w in onnx] == [
        (w.x0, w.top, w.x1, w.bottom) for w in torch_words
    ]
    # The recogniser runs un-quantized on ONNX, int8 on torch's CPU. A phrase's confidence
    # is a product over its characters, so one character read a little less surely moves
    # it by tenths at times; on average they differ by a few hundredths.
    differences = [abs(a.confidence - b.confidence) for a, b in zip(onnx, torch_words, strict=True)]
    assert sum(differences) / len(differences) < 0.05


@pytest.mark.slow
def test_onnx_craft_finds_the_same_phrases_as_torch(onnx_engine, page, monkeypatch):
    # CRAFT reads the pages that do not look like print; this forces it on a printed one.
    monkeypatch.setattr(easyocr_engine, "find_text_boxes", lambda grey: None)

    onnx = onnx_engine.read(page)
    torch_words = EasyOcrEngine("torch").read(page)

    assert [w.text for w in onnx] == [w.text for w in torch_words]
    assert [(w.x0, w.top, w.x1, w.bottom) for w in onnx] == [
        (w.x0, w.top, w.x1, w.bottom) for w in torch_words
    ]


@pytest.mark.slow
@pytest.mark.parametrize(("batch", "width"), [(1, 128), (5, 384), (16, 256)])
@pytest.mark.slow
def test_the_exported_recogniser_computes_what_torch_computes(exported, torch_reader, batch, width):
    # Exported at batch 2: other batch sizes and line widths give the same logits.
    model, _, _ = onnx_networks._recogniser(RECOGNISER, torch_reader.character)
    _, network = load_networks(torch_reader.character, WEIGHTS, exported, threads=2)
    lines = torch.rand(batch, 1, 64, width, generator=torch.Generator().manual_seed(batch)) * 2 - 1

    with torch.no_grad():
        expected = model(lines).numpy()
    got = network(lines).numpy()

    assert got.shape == expected.shape == (batch, width // 4 - 1, len(torch_reader.character) + 1)
    assert np.abs(got - expected).max() < 1e-3


@pytest.mark.slow
def test_a_cached_export_is_loaded_without_exporting_again(exported, torch_reader, monkeypatch):
    def no_export(*args):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_networks, "export", no_export)

    detector, recogniser = load_networks(torch_reader.character, WEIGHTS, exported, threads=1)

    assert isinstance(detector, OnnxNetwork)
    assert isinstance(recogniser, OnnxNetwork)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncated", "missing"])
@pytest.mark.slow
def test_a_damaged_or_missing_export_is_made_again(exported, torch_reader, tmp_path, damage):
    # The detector's file is linked, not copied (83 MB); only the recogniser is damaged.
    for path in exported.glob("*.onnx"):
        os.link(path, tmp_path / path.name)
    recogniser = cached_path(RECOGNISER, tmp_path)
    good = recogniser.read_bytes()
    recogniser.unlink()
    if damage == "truncated":
        recogniser.write_bytes(good[: len(good) // 2])

    _, network = load_networks(torch_reader.character, WEIGHTS, tmp_path, threads=1)

    assert recogniser.stat().st_size == len(good)
    assert network(torch.zeros(1, 1, 64, 128)).shape == (1, 31, len(torch_reader.character) + 1)
    assert not list(tmp_path.glob("*.tmp"))  # no temporary file left behind


@pytest.mark.slow
def test_without_onnxruntime_the_engine_reads_on_torch(torch_reader, monkeypatch, caplog, page):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` fails
    monkeypatch.delitem(easyocr_engine._readers, "onnx", raising=False)

    with caplog.at_level(logging.WARNING, logger="extraction.ocr.easyocr_engine"):
        reader = easyocr_engine._shared_reader("onnx")

    assert reader is torch_reader
    assert "OCR runs on torch" in caplog.text
    assert "INV-2026-0001" in [w.text for w in EasyOcrEngine("onnx").read(page)]


def test_an_unknown_runtime_is_refused():
    with pytest.raises(ImproperlyConfigured, match="OCR_RUNTIME='tensorflow'"):
        EasyOcrEngine("tensorflow").read(Image.new("RGB", (40, 20), "white"))


@pytest.mark.parametrize(
    ("shape", "letter", "side"),
    [
        pytest.param((2339, 1654), 14.0, 1671, id="A4-at-200-dpi"),
        pytest.param((2400, 1800), 40.0, 1280, id="photo-large-letters-down-to-the-floor"),
        pytest.param((1013, 463), 13.0, 1013, id="small-receipt-kept-whole"),
        pytest.param((2339, 1654), 7.0, 2339, id="small-print-never-enlarged"),
        pytest.param((2339, 1654), 0.0, 1600, id="no-letters"),
    ],
)
def test_craft_sees_a_page_with_its_letters_about_ten_pixels_high(shape, letter, side):
    assert detection_side(shape, letter) == side


def test_each_runtime_has_its_own_ocr_cache_entries(settings):
    settings.OCR_RUNTIME = "onnx"
    keys = {EasyOcrEngine().version, EasyOcrEngine("onnx").version, EasyOcrEngine("torch").version}

    assert keys == {f"{EasyOcrEngine.version}-onnx", f"{EasyOcrEngine.version}-torch"}
