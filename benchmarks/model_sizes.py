"""Model sizes the speed benchmarks share: TinySpec overrides (random init, Qwen2.5-VL
architecture) for a CPU-sized `small` and a Qwen2.5-VL-3B-shaped `3b`."""

SMALL = dict(
    bpe_vocab=2048,
    hidden=512,
    layers=8,
    heads=8,
    kv_heads=2,
    intermediate=1408,
    vision_hidden=256,
    vision_layers=4,
    vision_heads=4,
)

QWEN_3B = dict(
    bpe_vocab=2048,
    hidden=2048,
    layers=36,
    heads=16,
    kv_heads=2,
    intermediate=11008,
    vision_hidden=1280,
    vision_layers=32,
    vision_heads=16,
)
