"""Photo-edit pairs from user images, and importers for existing pair and image folders."""
