"""The official EN 16931 examples, read from ../shared/data/en16931 beside the checkout,
never copied here.

A checkout without that folder skips the tests that read them (`needs_examples`), saying
why; where the folder is there, a missing example fails its test loudly.
"""

from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "en16931"
needs_examples = pytest.mark.skipif(
    not EXAMPLES.is_dir(),
    reason=f"{EXAMPLES} (the official EN 16931 examples) is not beside the checkout",
)


def example_files() -> list[Path]:
    """Every example file. Without the folder, the folder itself: a test parametrized over
    these then shows as skipped (needs_examples) instead of collecting nothing."""
    return sorted(EXAMPLES.glob("*/*")) if EXAMPLES.is_dir() else [EXAMPLES]
