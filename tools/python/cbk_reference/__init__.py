"""Independent Python/torch reference for codebook models (codebook-features), used to make golden
files for the C++ engine's parity tests. Run with Debian's /usr/bin/python3 (python3-torch, numpy).

Modules: config (HF + codebook configs), layout (reference checkpoint key names), blocks (HF math of
GPT-NeoX / GPT-2 / GPT-Neo), codebook (selection + steering math), steering (spec), model (forward,
KV-cache sessions, trace), checkpoint (random builder + loader), safetensors_io, tokenizer_files,
fsm (TokFSM), golden (CLI).
"""

from .checkpoint import build_random_checkpoint, load_checkpoint
from .codebook import CodebookTensors, codebook_group_forward
from .config import BaseConfig, CodebookConfig, SITES
from .model import CodebookTransformer, ContextOverflow, Session, full_forward
from .steering import Disable, Force, Interchange, Positions, Steering, Target, interchange_from_trace
