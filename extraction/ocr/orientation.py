"""Turning a scanned page upright before OCR: quarter turns and mild skew.

The field extractor groups words into lines by their vertical position, so a page read
sideways or two degrees askew loses its label-value pairs even when every word is read
right. Two looks at the ink decide it, at a fraction of the cost of running OCR twice:

- Whether the page lies on its side (0 or 90 degrees): letters of a line stand closer to
  each other than to the lines above and below, so the nearest neighbours of the ink's
  letter-sized pieces lie mostly along the lines (the "docstrum" of O'Gorman, IEEE PAMI
  15(11), 1993). The row profile of the ink, which decides the skew below, cannot tell
  this on its own: a receipt, tall and narrow with its text in columns, piles its ink up
  as unevenly in columns as in rows, and was read sideways (48 of 70 real receipts and
  scans, before this).
- The skew, within MAX_SKEW of that: text lines make the ink pile up in rows, and the
  angle at which the row profile is most uneven lays the lines flat.

Which way up it is (0 or 180) cannot be seen in the ink alone and is left to the engine,
which compares how confidently it reads.
"""

import cv2
import numpy as np
from PIL import Image, ImageFilter, ImageOps
from sklearn.neighbors import NearestNeighbors

MAX_SKEW = 5.0  # degrees; a scanner feeds a page slightly askew, not at 20 degrees
_PROFILE_SIDE = 1000  # pixels; enough to see text lines
# Ink pieces counted as letters (or short words) by the docstrum, in pixels of the profile
# image: not specks, not rules or pictures.
_LETTER = (2, 60)
# A neighbour within this many degrees of a direction counts for it.
_ALONG = 30.0


def upright_angle(image: Image.Image) -> float:
    """Degrees to rotate `image` counter-clockwise so its text lines lie flat: a value
    near 0 or near 90, never telling 0 from 180 apart (see the engine for that)."""
    picture = np.asarray(_ink(image))
    ink = np.nonzero(picture)
    if not len(ink[0]):
        return 0.0  # a blank page: nothing to turn
    base = _lines_run(picture)
    bases = (base,) if base is not None else (0.0, 90.0)
    coarse = [base + skew for base in bases for skew in np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 0.5)]
    best = max(coarse, key=lambda angle: _flatness(ink, angle))
    fine = np.arange(best - 0.5, best + 0.51, 0.1)
    return round(float(max(fine, key=lambda angle: _flatness(ink, angle))), 1)


def rotate(image: Image.Image, angle: float) -> Image.Image:
    """`image` turned `angle` degrees counter-clockwise, quarter turns without loss."""
    quarters = round(angle / 90) % 4
    if quarters:
        image = image.transpose(
            (Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180, Image.Transpose.ROTATE_270)[
                quarters - 1
            ]
        )
    skew = angle - round(angle / 90) * 90
    if abs(skew) >= 0.1:
        image = image.rotate(
            skew, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white"
        )
    return image


def _lines_run(ink: np.ndarray) -> float | None:
    """0.0 where the text lines run across the image, 90.0 where they run down it, None
    where too few letter-sized pieces of ink tell: each piece's two nearest neighbours
    vote for the direction they lie in (within _ALONG degrees of across or down)."""
    _, _, stats, centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
    width, height = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    small, large = _LETTER
    letters = (width >= small) & (width <= large) & (height >= small) & (height <= large)
    points = centres[1:][letters]
    if len(points) < 10:
        return None
    _, nearest = NearestNeighbors(n_neighbors=3).fit(points).kneighbors(points)
    across = down = 0
    for column in (1, 2):  # column 0 is the piece itself
        dx, dy = np.abs(points[nearest[:, column]] - points).T
        angle = np.degrees(np.arctan2(dy, dx))
        across += int((angle < _ALONG).sum())
        down += int((angle > 90 - _ALONG).sum())
    if across == down:
        return None
    return 0.0 if across > down else 90.0


def _ink(image: Image.Image) -> Image.Image:
    grey = ImageOps.autocontrast(image.convert("L"))
    grey.thumbnail((_PROFILE_SIDE, _PROFILE_SIDE))
    # Ink is what is darker than the paper around it, and only on the paper: the long
    # edges of a page photographed on a dark desk would otherwise outweigh its text.
    paper = np.asarray(grey.filter(ImageFilter.BoxBlur(12)), dtype=np.int16)
    ink = (paper - np.asarray(grey, dtype=np.int16) > 40) & _on_paper(grey)
    return Image.fromarray(np.where(ink, 255, 0).astype(np.uint8))


def _on_paper(grey: Image.Image) -> np.ndarray:
    """Where the page is: bright once the text is smoothed away, a margin from its edge."""
    small = grey.resize((max(1, grey.width // 4), max(1, grey.height // 4)))
    paper = small.filter(ImageFilter.MedianFilter(5)).point(lambda v: 255 if v > 128 else 0)
    paper = paper.filter(ImageFilter.MinFilter(5)).resize(grey.size)
    return np.asarray(paper) > 0


def _flatness(ink: np.ndarray, angle: float) -> float:
    """How unevenly the ink falls into rows once the page is turned `angle` degrees
    counter-clockwise: the row each ink pixel lands on is computed, not drawn, so trying
    sixty angles costs milliseconds."""
    ys, xs = ink
    if not len(xs):
        return 0.0
    theta = np.deg2rad(angle)
    rows = np.rint(ys * np.cos(theta) - xs * np.sin(theta)).astype(np.int64)
    counts = np.bincount(rows - rows.min()).astype(np.float64)
    return float((counts**2).sum() / (len(xs) ** 2))
