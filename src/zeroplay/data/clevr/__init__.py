"""CLEVR-style scene pairs: sampling, ray-cast visibility, edits, Mitsuba rendering."""
