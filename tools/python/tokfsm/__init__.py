"""TokFSM codebook-model trainer (issue 5): data, torch model, k-means init, evaluations, recipe.

Run with Debian's /usr/bin/python3 (python3-torch, CPU) and tools/python on sys.path; the CLI is
tools/python/train_tokfsm.py. Checkpoints use the exact codebook-features directory layout
(cbk_reference.checkpoint / layout) so the converter and the reference model read them.
"""
