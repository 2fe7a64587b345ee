"""A "scanned" copy of a PDF page: rendered at 200 dpi, slightly rotated, blurred, with
noise, saved as JPEG (or PNG). Seeded, so the same page and seed give the same bytes.
"""

import io
import random

import pypdfium2
from PIL import Image, ImageChops, ImageFilter

DPI = 200


def scanned_image(pdf: bytes, seed: int | str, image_format: str = "JPEG") -> bytes:
    rng = random.Random(seed)
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        image = page.render(scale=DPI / 72, grayscale=True).to_pil().convert("L")
        page.close()
    finally:
        document.close()
    angle = rng.uniform(-1.5, 1.5)
    image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.1)))
    # Uniform sensor noise of +-spread grey levels, from the seeded generator (Pillow's own
    # effect_noise draws from C's rand() and would change the bytes on every run).
    spread = rng.randint(8, 20)
    noise = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height))
    noise = noise.point(lambda value: value * 2 * spread // 255)
    image = ImageChops.add(image, noise, offset=-spread)
    # Paper is rarely pure white and toner rarely pure black.
    image = image.point(lambda value: 22 + value * (240 - 22) // 255)
    out = io.BytesIO()
    if image_format == "PNG":
        image.save(out, format="PNG", optimize=False)
    else:
        image.save(out, format="JPEG", quality=70)
    return out.getvalue()
