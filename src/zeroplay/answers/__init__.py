"""Answer extraction (`\\boxed{}`, tags), equivalence grading, majority votes and text diversity.

Kept import-free on purpose: the grader worker process (`python -m
zeroplay.answers.grader_worker`) imports this package, and its start-up time counts.
"""
