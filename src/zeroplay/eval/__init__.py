"""Evaluation with ground truth: benchmark files, synthetic suites, rule scoring, judges, comparisons.

Read in this order: `items` (what an item is), `jsonl_format` / `tsv_format` / `benchmarks`
(reading files and names), `prompting`, `extraction`, `scoring` (one prompt format, last-box
answers, rules per answer type), `runner` (asking a model), `judge_prompt` / `judge_engine` /
`judge_http` (optional judge), `results` / `summary` (the results file), `compare` (several
results side by side), and `suites/` (synthetic suites with exact answers). See docs/eval.md.
"""
