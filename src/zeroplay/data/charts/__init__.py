"""Chart pairs: random data specs drawn with matplotlib, edited in the spec and redrawn."""
