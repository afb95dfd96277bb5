"""zeroplay: label-free self-improvement of vision-language models through self-play."""

__version__ = "0.1.0"
