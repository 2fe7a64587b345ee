"""Where the text is on a scanned page, found from its ink: the fast path before recognition.

easyocr finds text with CRAFT, a VGG16 network run over every pixel of the page: on two
CPU cores that is 17-25 s for an A4 page at 200 dpi, and still 7-8 s on a page shrunk until
its letters are 14 px high (with fewer fields read right). An invoice is dark print on light
paper, mostly white, and its text lies in straight rows once the page is upright; that
can be found in milliseconds with image morphology (OpenCV, already an easyocr dependency):

1. Ink is what is clearly darker than the paper around it (the paper's brightness is the
   local maximum, so shading, a grey page and uneven lighting are not ink). Dark filled
   areas, such as a table header printed white on black, are inverted first so their text
   is ink too; `reading_image` returns the page so inverted, which recognition then reads.
2. Table rules and box borders, long straight runs of ink, are removed, so a label and a
   value in two cells never join into one phrase.
3. The typical letter height is the median height of the ink's connected pieces.
   Letters closer than 0.8 of it join into phrases, as easyocr's own box merging does;
   larger letters (headings, a vendor name in big type) join by their own height.
4. A phrase's box is the extent of its ink with a small margin; pieces too flat to be
   letters (dashes, dotted lines) or too tall to be a line of text are not phrases.

`find_text_boxes` returns None where a page does not look like print on paper (more ink
than paper: a photo, a dark background); the engine then falls back to CRAFT. A blank
page (the back of a duplex scan) has no boxes and costs nothing more.
"""

from dataclasses import dataclass

import cv2
import numpy as np

# Letters closer than this share a phrase, in letter heights (easyocr joins boxes closer
# than 0.5 of a box height, and its boxes carry a margin).
JOIN_GAP = 0.8
# Pieces taller than this (in typical letter heights) join by their own height.
LARGE_TYPE = 1.6
# Margin around a phrase's ink, in its height; the recogniser reads better with some paper.
MARGIN = 0.15
# Local paper brightness is taken over this window: wider than any stroke of body text.
_PAPER_WINDOW = 15
# A page with more ink than this share of its area is a photo or a dark background.
_MAX_INK_SHARE = 0.25


@dataclass(frozen=True)
class TextBoxes:
    boxes: list[list[int]]  # [x0, x1, y0, y1] in pixels, as easyocr's horizontal boxes
    letter_height: float


def reading_image(grey: np.ndarray) -> np.ndarray:
    """The page with dark filled areas inverted, so text printed light on dark reads as
    dark on light, to the eye of both the ink finder and the recogniser."""
    found = _dark_areas(grey)
    if found is None:
        return grey
    dark, level, paper = found
    # Inverted and stretched: the area's own shade becomes paper, its light letters ink.
    stretched = 255 - (grey.astype(np.float32) - level) * (255 / max(paper - level, 1))
    page = np.where(dark, np.clip(stretched, 0, 255), grey)
    # The area's anti-aliased edge is neither paper nor area; as paper it is no outline.
    edge = cv2.dilate(dark.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) & ~dark
    page[edge] = 255
    return page.astype(np.uint8)


def find_text_boxes(grey: np.ndarray) -> TextBoxes | None:
    """Phrase boxes on an upright page as `reading_image` returns it, or None where the
    page does not look like print on paper."""
    height, width = grey.shape
    ink = _ink(grey)
    if np.count_nonzero(ink) > _MAX_INK_SHARE * height * width:
        return None
    ink, (x, y, w, h), letter = _pieces(ink)
    if not letter:
        return TextBoxes([], 0.0)  # a blank page, or one with specks only
    joined = cv2.dilate(ink, np.ones((1, max(3, round(JOIN_GAP * letter))), np.uint8))
    for left, top, wide, high in zip(x, y, w, h, strict=True):
        if LARGE_TYPE * letter < high <= 8 * letter:
            # Joined on their middle half only, so a heading never joins the line below.
            gap = int(JOIN_GAP / 2 * high)
            cv2.rectangle(
                joined,
                (max(0, left - gap), top + high // 4),
                (min(width - 1, left + wide + gap), top + 3 * high // 4),
                255,
                thickness=-1,
            )
    return TextBoxes(_phrase_boxes(ink, joined, letter), letter)


def letter_height(grey: np.ndarray) -> float:
    """The typical letter height on an upright page, in pixels (the median height of its
    letter-sized pieces of ink), also where the page does not look like print on paper;
    0.0 where it has no letters."""
    return _pieces(_ink(grey))[2]


def _pieces(ink: np.ndarray) -> tuple[np.ndarray, tuple, float]:
    """The ink without specks, its pieces' (x, y, width, height), and the median height of
    the letter-sized ones (0.0 where there are none)."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    pieces = stats[:, cv2.CC_STAT_AREA] >= 4  # specks of scanner noise are not ink
    pieces[0] = False  # the background
    ink = np.where(pieces[labels], 255, 0).astype(np.uint8)
    x, y, w, h, area = stats[pieces].T
    letters = (h >= 6) & (h <= 150) & (area >= 12)
    letter = float(np.median(h[letters])) if letters.any() else 0.0
    return ink, (x, y, w, h), letter


def _phrase_boxes(ink: np.ndarray, joined: np.ndarray, letter: float) -> list[list[int]]:
    height, width = ink.shape
    count, phrases = cv2.connectedComponents(joined, connectivity=8)
    # The extent of each phrase's own ink (not of its joining), in one pass over the ink.
    ys, xs = np.nonzero(ink)
    which = phrases[ys, xs]
    x0 = np.full(count, width)
    x1 = np.full(count, -1)
    y0 = np.full(count, height)
    y1 = np.full(count, -1)
    np.minimum.at(x0, which, xs)
    np.maximum.at(x1, which, xs)
    np.minimum.at(y0, which, ys)
    np.maximum.at(y1, which, ys)
    boxes = []
    for left, right, top, bottom in zip(x0[1:], x1[1:], y0[1:], y1[1:], strict=True):
        if right < 0:
            continue
        wide, high = right - left + 1, bottom - top + 1
        if high < 0.5 * letter or high > 8 * letter:
            continue  # a dash, a dotted line, a stray mark; or a picture, not a text line
        if wide < 0.35 * letter and high > 1.5 * letter:
            continue  # what is left of a vertical rule
        margin = round(MARGIN * min(high, 2 * letter))
        boxes.append(
            [
                max(0, int(left) - margin),
                min(width, int(right) + 1 + margin),
                max(0, int(top) - margin),
                min(height, int(bottom) + 1 + margin),
            ]
        )
    return boxes


def _ink(grey: np.ndarray) -> np.ndarray:
    """Ink without table rules, as a 0/255 mask."""
    height, width = grey.shape
    smooth = cv2.GaussianBlur(grey, (3, 3), 0)
    paper = cv2.dilate(smooth, np.ones((_PAPER_WINDOW, _PAPER_WINDOW), np.uint8))
    darker = cv2.subtract(paper, smooth)
    # Otsu's level splits "printed" from "paper", but on a blurred scan it falls inside
    # the strokes and cuts faint grey labels apart; 0.7 of it keeps them whole (measured on
    # the corpus scans), while paper noise stays far below (90% of it under 12 levels).
    # Never below 30 levels, so a page of pure noise finds no ink rather than all of it.
    level, _ = cv2.threshold(darker, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    _, ink = cv2.threshold(darker, max(0.7 * level, 30), 255, cv2.THRESH_BINARY)
    across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, max(40, width // 25)), np.uint8))
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((max(40, height // 35), 1), np.uint8))
    # A rule's blurred edges are not caught by the opening; widen what it found.
    rules = cv2.dilate(cv2.bitwise_or(across, down), np.ones((5, 5), np.uint8))
    return cv2.bitwise_and(ink, cv2.bitwise_not(rules))


def _dark_areas(grey: np.ndarray) -> tuple[np.ndarray, float, float] | None:
    """Where the page itself is dark over an area wider than a stroke (a filled box or
    band), with the area's shade and the paper's; None where there is no such area."""
    height, width = grey.shape
    size = (max(1, width // 4), max(1, height // 4))
    small = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    # The median of a 7x7 window (28 px of the page) is the background, not the letters.
    background = cv2.medianBlur(small, 7)
    # Darker than about half the paper's brightness: a band or box printed in a
    # dark or middle colour, not light shading of a table row.
    paper = np.percentile(small, 95)
    dark = (background < 0.55 * paper).astype(np.uint8)
    # Only areas: a thick rule or a bold heading is not a dark background.
    dark = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    # ...and wider than a letter of a heavy heading, whose dense middle can look dark.
    _, areas, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    wide = stats[:, cv2.CC_STAT_WIDTH] >= 30
    wide[0] = False
    dark = wide[areas].astype(np.uint8)
    if not dark.any():
        return None
    # Large light letters are wider than the window and leave holes in the area; a hole
    # up to a heading's height (30 px here, 120 on the page) belongs to it.
    _, light, stats, _ = cv2.connectedComponentsWithStats(1 - dark, connectivity=4)
    inner = (
        (stats[:, cv2.CC_STAT_LEFT] > 0)
        & (stats[:, cv2.CC_STAT_TOP] > 0)
        & (stats[:, cv2.CC_STAT_LEFT] + stats[:, cv2.CC_STAT_WIDTH] < dark.shape[1])
        & (stats[:, cv2.CC_STAT_TOP] + stats[:, cv2.CC_STAT_HEIGHT] < dark.shape[0])
        & (stats[:, cv2.CC_STAT_HEIGHT] <= 30)
    )
    inner[0] = False  # the dark area itself
    dark = (dark | inner[light]).astype(np.uint8)
    # Found on a quarter-size page, the areas' edges and corners are a few pixels off;
    # the page's own pixels near them, darker than halfway from the area's shade to the
    # paper, draw the exact edge. Light letters inside are closed over, and what is well
    # inside the coarse area (a big letter) stays in it.
    level = float(np.median(background[dark.astype(bool)]))
    coarse = cv2.resize(dark * 255, (width, height), interpolation=cv2.INTER_LINEAR)
    near = cv2.dilate(coarse, np.ones((17, 17), np.uint8)) > 127
    within = cv2.erode(coarse, np.ones((17, 17), np.uint8)) > 127
    shaded = (grey < (level + paper) / 2).astype(np.uint8)
    closed = cv2.morphologyEx(shaded, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    return (near & closed.astype(bool)) | within, level, float(paper)
