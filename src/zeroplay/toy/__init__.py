"""The `toy` VLM: a small Qwen2.5-VL-architecture model that zeroplay trains from scratch,
offline, on its own generated data, so self-play can be shown to improve a model on a CPU."""
