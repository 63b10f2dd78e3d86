"""Tiny random models of every family, written through CbkWriter (test fixtures, placeholders)."""
import numpy as np

from .writer import CbkWriter

FAMILY_DEFAULTS = {
    "gpt_neox": dict(positions="rotary", activation="gelu", parallel_residual=True, scale_attention=True,
                     tied_embeddings=False),
    "gpt2": dict(positions="learned", activation="gelu_new", parallel_residual=False, scale_attention=True,
                 tied_embeddings=True),
    "gpt_neo": dict(positions="learned", activation="gelu_new", parallel_residual=False, scale_attention=False,
                    tied_embeddings=True),
}


def gpt2_byte_alphabet():
    """The GPT-2 byte-to-unicode mapping: printable bytes map to themselves, the rest to U+0100+."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    chars, extra = {}, 0
    for byte in range(256):
        if byte in keep:
            chars[byte] = chr(byte)
        else:
            chars[byte] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def byte_bpe_tokenizer(n_merges=8):
    """256 byte tokens plus a few merges of common English pairs, and <|endoftext|>."""
    alphabet = gpt2_byte_alphabet()
    tokens = list(alphabet)
    merges = []
    space = alphabet[ord(" ")]
    for left, right in [(space, "t"), ("h", "e"), (space + "t", "he"), ("i", "n"), (space, "a"), ("e", "r"),
                        ("o", "n"), (space, "s")][:n_merges]:
        merges.append(left + " " + right)
        tokens.append(left + right)
    tokens.append("<|endoftext|>")
    eos = len(tokens) - 1
    return {"kind": "byte_bpe", "tokens": tokens, "merges": merges, "bos_id": eos, "eos_id": eos, "pad_id": eos,
            "add_bos": False}


def digit_tokenizer():
    tokens = [str(d) for d in range(10)] + ["<|endoftext|>"]
    return {"kind": "vocab", "tokens": tokens, "bos_id": 10, "eos_id": 10, "pad_id": 10, "add_bos": True}


def random_base(writer, family, rng, vocab, d_model, n_layers, n_heads, d_mlp, max_positions, dtype="f32", **overrides):
    arch = dict(family=family, vocab_size=vocab, d_model=d_model, n_layers=n_layers, n_heads=n_heads,
                head_dim=d_model // n_heads, d_mlp=d_mlp, max_positions=max_positions, norm_eps=1e-5,
                rotary_base=10000.0)
    arch.update(FAMILY_DEFAULTS[family])
    if arch["positions"] == "rotary":
        arch["rotary_dims"] = max(2, (d_model // n_heads) // 4 * 2)
    if family == "gpt_neo":
        arch["layer_attention"] = ["global" if l % 2 == 0 else "local" for l in range(n_layers)]
        arch["local_window"] = 4
    arch.update(overrides)
    writer.architecture = arch

    def w(*shape, scale=0.1):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    def ln(n):
        return (1.0 + w(n)), w(n)

    writer.add_tensor("tok_embed", w(vocab, d_model), dtype)
    if arch["positions"] == "learned":
        writer.add_tensor("pos_embed", w(max_positions, d_model), dtype)
    g, b = ln(d_model)
    writer.add_tensor("final_norm.weight", g)
    writer.add_tensor("final_norm.bias", b)
    if not arch["tied_embeddings"]:
        writer.add_tensor("lm_head.weight", w(vocab, d_model), dtype)
    for layer in range(n_layers):
        p = "layers.%d." % layer
        for name in ("ln1", "ln2"):
            g, b = ln(d_model)
            writer.add_tensor(p + name + ".weight", g)
            writer.add_tensor(p + name + ".bias", b)
        writer.add_tensor(p + "attn.qkv.weight", w(3 * d_model, d_model), dtype)
        writer.add_tensor(p + "attn.qkv.bias", w(3 * d_model))
        writer.add_tensor(p + "attn.out.weight", w(d_model, d_model), dtype)
        writer.add_tensor(p + "attn.out.bias", w(d_model))
        writer.add_tensor(p + "mlp.up.weight", w(d_mlp, d_model), dtype)
        writer.add_tensor(p + "mlp.up.bias", w(d_mlp))
        writer.add_tensor(p + "mlp.down.weight", w(d_model, d_mlp), dtype)
        writer.add_tensor(p + "mlp.down.bias", w(d_model))
    return arch


def random_codebook(writer, rng, layer, site, width, groups, codes, k, similarity="inner_product", dtype="f32",
                    exact=False):
    dim = width // groups
    data = [((1.0 + 0.1 * rng.standard_normal(dim)).astype(np.float32),
             (0.1 * rng.standard_normal(dim)).astype(np.float32),
             rng.standard_normal((codes, dim)).astype(np.float32)) for _ in range(groups)]
    return writer.add_codebook(layer, site, k, data, similarity, dtype, exact=exact)


def fixture_model(family, seed=0):
    """A small model of `family` exercising every part of the format (several sites, dtypes,
    grouped and vanilla codebooks, both metrics, annotations, tokenizer, extras)."""
    rng = np.random.default_rng(seed)
    w = CbkWriter()
    d, heads, d_mlp = 32, 4, 64
    tok = byte_bpe_tokenizer()
    vocab = len(tok["tokens"]) + 3  # padded vocabulary, as real checkpoints often have
    random_base(w, family, rng, vocab, d, 2, heads, d_mlp, 16,
                dtype={"gpt_neox": "f32", "gpt2": "f16", "gpt_neo": "int8"}[family])
    random_codebook(w, rng, 0, "attn_preproj", d, heads, 16, 2)
    random_codebook(w, rng, 1, "mlp", d, 1, 24, 3, "euclidean", dtype="f16")
    random_codebook(w, rng, 1, "mlp_mid", d_mlp, 2, 8, 1, dtype="int8")
    if family != "gpt_neo":
        random_codebook(w, rng, 0, "qkv", 3 * d, 3 * heads, 8, 1)
    w.tokenizer = tok
    w.metadata = {"name": "fixture-" + family, "description": "random weights for loader tests",
                  "license": "CC0-1.0", "source_checkpoint": "random seed %d" % seed,
                  "converter": "cbkfile.random_model", "converter_version": "1",
                  "extra": {"seed": seed, "purpose": "test"}}
    w.generation = {"max_new_tokens": 20, "temperature": 0.7, "top_k": 5, "top_p": 0.9, "seed": 42}
    w.annotations = [{"codebook": 0, "group": 1, "code": 3, "label": "the", "description": "fires on 'the'",
                      "frequency": 0.25, "top_contexts": [{"tokens": [1, 2, 3, 4], "highlight": (1, 2), "score": 0.5}]}]
    w.add_extra("notes.u8", np.frombuffer(b"hello", dtype=np.uint8), "u8")
    w.add_extra("table.i32", np.arange(6, dtype=np.int32).reshape(2, 3), "i32")
    return w


def tokfsm_shaped_model(seed=0, codes=256):
    """Random weights in the TokFSM shape (GPT-NeoX, 4 layers, d 128, 4 heads, MLP 512, rotary,
    max positions 128; attn_preproj per head + mlp codebooks, k = 1)."""
    rng = np.random.default_rng(seed)
    w = CbkWriter()
    random_base(w, "gpt_neox", rng, 11, 128, 4, 4, 512, 128, rotary_dims=8)
    for layer in range(4):
        random_codebook(w, rng, layer, "attn_preproj", 128, 4, codes, 1)
        random_codebook(w, rng, layer, "mlp", 128, 1, codes, 1)
    w.tokenizer = digit_tokenizer()
    w.generation = {"max_new_tokens": 32, "temperature": 1.0, "top_k": 0, "top_p": 1.0, "seed": 0}
    return w


def dkvb_model(seed=0, decoder="voting", input_dim=6, hidden=(8,), heads=3, pairs=17, key_dim=4, value_dim=5,
               projection=True, used_pairs=True, classes=7):
    """A random DKVB classifier (schema 1.3): an MLP encoder (ReLU between layers), a random projection
    with unit-norm columns, keys, values, a used-pair mask leaving a few pairs dormant, and the voting
    (classes = value_dim) or linear decoder."""
    rng = np.random.default_rng(seed)
    w = CbkWriter()
    encoder, width = [], input_dim
    for out in hidden:
        encoder.append((rng.standard_normal((out, width)).astype(np.float32) / np.sqrt(width),
                        0.1 * rng.standard_normal(out).astype(np.float32)))
        width = out
    proj = None
    if projection:
        proj = rng.standard_normal((heads, key_dim, width)).astype(np.float32)
        proj /= np.linalg.norm(proj, axis=2, keepdims=True)
    else:
        key_dim = width // heads
    used = None
    if used_pairs:
        used = (rng.random((heads, pairs)) > 0.2).astype(np.uint8)
        used[:, 0] = 1
    kw = {}
    if decoder == "linear":
        kw = dict(decoder_weight=rng.standard_normal((classes, heads * value_dim)).astype(np.float32),
                  decoder_bias=rng.standard_normal(classes).astype(np.float32))
    w.set_dkvb(rng.standard_normal((heads, pairs, key_dim)).astype(np.float32),
               rng.standard_normal((heads, pairs, value_dim)).astype(np.float32), input_dim, encoder=encoder,
               projection=proj, used_pairs=used, decoder=decoder, **kw)
    w.metadata = {"name": "dkvb fixture %d" % seed, "converter": "cbkfile.random_model"}
    return w
