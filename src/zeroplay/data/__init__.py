"""Image sources and generators: CLEVR-style scene pairs, chart pairs, photo-edit pairs, image
folders, and SVG rendering (`zeroplay.data.svg`). Importing this package is cheap: Mitsuba and
matplotlib load only when scenes or charts are drawn."""

from zeroplay.data.images import ImageFolder, SkippedImage, load_image_folder, open_image
from zeroplay.data.pairs import ImagePair, load_pairs

__all__ = [
    "ImageFolder",
    "ImagePair",
    "SkippedImage",
    "load_image_folder",
    "load_pairs",
    "open_image",
]
