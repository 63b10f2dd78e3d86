"""Convert a codebook-features checkpoint directory into a .cbk file (schema/cbk.fbs).

Written from shared/reference/codebook-semantics.md §2–3, independently of tools/python/cbk_reference
(which is the oracle the converter is tested against). Modules, one concern each:
  configs    base HF config -> .cbk architecture; codebook config.json -> codebook sites
  weights    model.safetensors (own reader, no `safetensors` package), pytorch_model.bin (torch), shards
  keymap     reference checkpoint key -> base tensor / codebook tensor / ignored buffer
  assemble   canonical base tensors (Conv1D transpose, q/k/v fusion, zero biases) and codebook groups
  tokenizer  tokenizer.json, vocab.json + merges.txt, TokFSM digit vocab -> .cbk tokenizer table
  pipeline   convert(): everything above, metadata, generation defaults, extras, writing
"""

CONVERTER_NAME = "cbk convert.py"
CONVERTER_VERSION = "1.0.0"

from .errors import ConversionError  # noqa: E402,F401
