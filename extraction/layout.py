"""Positioned words grouped into lines and phrases, the input of template-free extraction.

A line is everything at one vertical position on a page; a phrase ("segment") is a run of
words on a line with no more than a space between them. Columns in an invoice are set
apart by wide gaps, so segments are how "Invoice No:" and "INV-42" end up as a label and
its value even when no colon or table ruling says so.
"""

from dataclasses import dataclass, field

Box = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points


@dataclass(frozen=True)
class Word:
    text: str
    page: int  # 1-based
    x0: float
    top: float
    x1: float
    bottom: float
    # How sure the reading of the word is, 0..1: the OCR recogniser's confidence for a word
    # read from pixels, 1.0 for one from a PDF's text layer.
    confidence: float = 1.0

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass
class Segment:
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @property
    def page(self) -> int:
        return self.words[0].page

    @property
    def bbox(self) -> Box:
        return union(word_box(word) for word in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def height(self) -> float:
        return max(word.height for word in self.words)


@dataclass
class Line:
    page: int
    top: float
    bottom: float
    words: list[Word] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)


def word_box(word: Word) -> Box:
    return (word.x0, word.top, word.x1, word.bottom)


def union(boxes) -> Box:
    boxes = list(boxes)
    return (
        round(min(b[0] for b in boxes), 2),
        round(min(b[1] for b in boxes), 2),
        round(max(b[2] for b in boxes), 2),
        round(max(b[3] for b in boxes), 2),
    )


def read_confidence(words: list[Word], page: int | None, box: Box | None) -> float:
    """How surely the value in `box` on `page` was read: the recogniser's confidence in
    the least sure of the words lying mostly (half their area or more) inside the box, in
    [0, 1]; 1.0 for words from a text layer, and where no box or no word says otherwise.
    A value is read right only if each of its words is, so the least sure one bounds it."""
    if box is None or page is None:
        return 1.0
    x0, top, x1, bottom = box
    least = 1.0
    for word in words:
        if word.page != page or word.confidence >= least:
            continue
        width = max(0.0, min(word.x1, x1) - max(word.x0, x0))
        height = max(0.0, min(word.bottom, bottom) - max(word.top, top))
        area = (word.x1 - word.x0) * (word.bottom - word.top)
        if area > 0 and width * height >= 0.5 * area:
            least = word.confidence
    return least


def group_lines(words: list[Word]) -> list[Line]:
    """Lines in reading order: by page, top to bottom, each line's words left to right."""
    lines: list[Line] = []
    for word in sorted(words, key=lambda w: (w.page, (w.top + w.bottom) / 2, w.x0)):
        middle = (word.top + word.bottom) / 2
        current = lines[-1] if lines else None
        # Words whose vertical middle falls inside the line's band share the line; this
        # tolerates a bold 12pt value beside a 9pt label. A word under one already on the
        # line is on the next line, even inside the band of a tall heading beside both.
        if (
            current
            and current.page == word.page
            and current.top <= middle <= current.bottom
            and not any(_stacked(word, other) for other in current.words)
        ):
            current.words.append(word)
            current.top = min(current.top, word.top)
            current.bottom = max(current.bottom, word.bottom)
        else:
            lines.append(Line(page=word.page, top=word.top, bottom=word.bottom, words=[word]))
    for line in lines:
        line.words.sort(key=lambda w: w.x0)
        line.segments = split_segments(line.words)
    return lines


def _stacked(word: Word, other: Word) -> bool:
    """Whether two words share more than half the narrower one's width: one is above the
    other, as words of one line never are."""
    shared = min(word.x1, other.x1) - max(word.x0, other.x0)
    return shared > 0.5 * min(word.x1 - word.x0, other.x1 - other.x0)


def split_segments(words: list[Word]) -> list[Segment]:
    segments: list[Segment] = []
    for word in words:
        if segments:
            previous = segments[-1].words[-1]
            # A space is about a quarter of the font size; a column gap is much wider.
            if word.x0 - previous.x1 <= max(previous.height, word.height) * 0.8:
                segments[-1].words.append(word)
                continue
        segments.append(Segment(words=[word]))
    return segments


def segment_after(segment: Segment, line: Line) -> Segment | None:
    """The nearest phrase to the right of `segment` on its line."""
    later = [s for s in line.segments if s.x0 >= segment.x1]
    return min(later, key=lambda s: s.x0) if later else None


def segments_below(segment: Segment, lines: list[Line], index: int, depth: int = 3):
    """Phrases under `segment` on the next few lines that overlap it horizontally."""
    limit = segment.height * 4
    for line in lines[index + 1 : index + 1 + depth]:
        if line.page != segment.page or line.top - segment.bbox[3] > limit:
            return
        for candidate in line.segments:
            if candidate.x0 < segment.x1 and candidate.x1 > segment.x0:
                yield candidate
