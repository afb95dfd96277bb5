"""Learning proofs: train a recipe from the warm-started `toy`, evaluate on held-out ground
truth against the warm start and against a control run whose rewards were permuted."""
