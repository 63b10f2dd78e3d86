"""The two configs of a codebook checkpoint: the base model's HF config.json and the codebook
config.json (CodebookModelConfig, model_type "codebook"), semantics doc §3.1.

`architecture_from_base_config` returns the .cbk Architecture fields (GPT-2's
scale_attn_by_inverse_layer_idx becomes the schema-1.1 field scale_attention_by_inverse_layer;
reorder_and_upcast_attn is accepted, being the same function in fp32); `codebook_sites` expands the
codebook config into one `Site` per (layer, codebook_at entry), normalised the way the reference's
CodebookModel.set_codebook_args does (scalars broadcast, num_codebooks -1 -> heads, negative layers).
"""
from dataclasses import dataclass
from typing import Dict, List

from .errors import ConversionError

FAMILIES = ("gpt_neox", "gpt2", "gpt_neo")
SITES = ("attn_preproj", "attn", "mlp", "mlp_mid", "qkv", "attn_plus_mlp", "transformer_block")
METRICS = ("inner_product", "euclidean")

# HF activation names -> .cbk Activation. gelu_pytorch_tanh and gelu_fast are the same tanh formula
# as gelu_new, so they share its enum value.
ACTIVATIONS = {"gelu": "gelu", "gelu_new": "gelu_new", "gelu_pytorch_tanh": "gelu_new", "gelu_fast": "gelu_new",
               "relu": "relu"}


def _field(cfg: Dict, *names, default=None, required=False):
    """First non-null value among HF field aliases (e.g. n_embd / hidden_size)."""
    for n in names:
        if cfg.get(n) is not None:
            return cfg[n]
    if required:
        raise ConversionError("base config: missing field %s" % " / ".join(names))
    return default


def _int_field(cfg, *names, **kw):
    value = _field(cfg, *names, **kw)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConversionError("base config: %s = %r must be a positive integer" % (names[0], value))
    return value


def _activation(name):
    if name not in ACTIVATIONS:
        raise ConversionError("base config: activation %r is not supported (supported: %s)"
                              % (name, ", ".join(sorted(ACTIVATIONS))))
    return ACTIVATIONS[name]


def _expand_attention_types(types) -> List[str]:
    """GPTNeoConfig.attention_types [[["global", "local"], 2]] -> global, local, global, local."""
    out = []
    try:
        for kinds, repeat in types:
            out.extend(list(kinds) * int(repeat))
    except (TypeError, ValueError):
        raise ConversionError("base config: attention_types %r is malformed" % (types,))
    return out


def architecture_from_base_config(cfg: Dict) -> Dict:
    """The .cbk Architecture (as CbkWriter.architecture) for a gpt_neox / gpt2 / gpt_neo HF config."""
    family = cfg.get("model_type")
    if family not in FAMILIES:
        raise ConversionError("base config: model_type %r is not supported (expected one of %s)"
                              % (family, ", ".join(FAMILIES)))
    if family == "gpt_neox":
        arch = _neox(cfg)
    elif family == "gpt2":
        arch = _gpt2(cfg)
    else:
        arch = _neo(cfg)
    arch["family"] = family
    arch["vocab_size"] = _int_field(cfg, "vocab_size", required=True)
    if arch["d_model"] % arch["n_heads"]:
        raise ConversionError("base config: hidden size %d is not divisible by %d heads"
                              % (arch["d_model"], arch["n_heads"]))
    arch["head_dim"] = arch["d_model"] // arch["n_heads"]
    if family == "gpt_neox":
        # HF GPTNeoXAttention: rotary_ndims = int(head_size * rotary_pct)
        arch["rotary_dims"] = int(arch["head_dim"] * float(_field(cfg, "rotary_pct", default=0.25)))
        if arch["rotary_dims"] < 2 or arch["rotary_dims"] % 2:
            raise ConversionError("base config: rotary_pct %r gives %d rotary dims per head of %d; need an even "
                                  "number >= 2" % (cfg.get("rotary_pct"), arch["rotary_dims"], arch["head_dim"]))
    return arch


def _neox(cfg):
    if cfg.get("rope_scaling"):
        raise ConversionError("base config: rope_scaling %r is not supported" % (cfg["rope_scaling"],))
    d = _int_field(cfg, "hidden_size", required=True)
    return dict(
        d_model=d, n_layers=_int_field(cfg, "num_hidden_layers", required=True),
        n_heads=_int_field(cfg, "num_attention_heads", required=True),
        d_mlp=_int_field(cfg, "intermediate_size", default=4 * d),
        max_positions=_int_field(cfg, "max_position_embeddings", default=2048),
        norm_eps=float(_field(cfg, "layer_norm_eps", default=1e-5)),
        activation=_activation(_field(cfg, "hidden_act", default="gelu")),
        positions="rotary", rotary_base=float(_field(cfg, "rotary_emb_base", "rope_theta", default=10000)),
        parallel_residual=bool(_field(cfg, "use_parallel_residual", default=True)), scale_attention=True,
        tied_embeddings=bool(_field(cfg, "tie_word_embeddings", default=False)),
        attention_bias=bool(_field(cfg, "attention_bias", default=True)))


def _gpt2(cfg):
    # scale_attn_by_inverse_layer_idx: HF divides layer L's scores by L + 1 as well (schema 1.1 field).
    # reorder_and_upcast_attn only changes how HF computes the same scores in reduced precision (an
    # fp32 upcast, the scale applied inside the Q.K product); in fp32, as the engine computes, it is
    # the same function, so it is accepted and not recorded.
    if cfg.get("add_cross_attention"):
        raise ConversionError("base config: add_cross_attention = true is not supported")
    d = _int_field(cfg, "n_embd", "hidden_size", required=True)
    return dict(
        d_model=d, n_layers=_int_field(cfg, "n_layer", "num_hidden_layers", required=True),
        n_heads=_int_field(cfg, "n_head", "num_attention_heads", required=True),
        d_mlp=_int_field(cfg, "n_inner", default=4 * d),  # n_inner null -> 4 * d
        max_positions=_int_field(cfg, "n_positions", "max_position_embeddings", default=1024),
        norm_eps=float(_field(cfg, "layer_norm_epsilon", default=1e-5)),
        activation=_activation(_field(cfg, "activation_function", default="gelu_new")),
        positions="learned", parallel_residual=False,
        scale_attention=bool(_field(cfg, "scale_attn_weights", default=True)),
        scale_attention_by_inverse_layer=bool(_field(cfg, "scale_attn_by_inverse_layer_idx", default=False)),
        tied_embeddings=bool(_field(cfg, "tie_word_embeddings", default=True)))


def _neo(cfg):
    d = _int_field(cfg, "hidden_size", required=True)
    n_layers = _int_field(cfg, "num_layers", "num_hidden_layers", required=True)
    layers = cfg.get("attention_layers") or _expand_attention_types(cfg.get("attention_types") or [])
    if len(layers) != n_layers or any(k not in ("global", "local") for k in layers):
        raise ConversionError("base config: attention_layers %r must list global/local for each of %d layers"
                              % (layers, n_layers))
    return dict(
        d_model=d, n_layers=n_layers, n_heads=_int_field(cfg, "num_heads", "num_attention_heads", required=True),
        d_mlp=_int_field(cfg, "intermediate_size", default=4 * d),
        max_positions=_int_field(cfg, "max_position_embeddings", default=2048),
        norm_eps=float(_field(cfg, "layer_norm_epsilon", default=1e-5)),
        activation=_activation(_field(cfg, "activation_function", default="gelu_new")),
        positions="learned", parallel_residual=False,
        scale_attention=False,  # GPT-Neo attention has no 1/sqrt(head_dim)
        layer_attention=list(layers), local_window=_int_field(cfg, "window_size", default=256),
        tied_embeddings=bool(_field(cfg, "tie_word_embeddings", default=True)))


@dataclass(frozen=True)
class Site:
    """One codebook layer at (layer, site): `groups` codebooks of `codes` x (width / groups)."""
    layer: int
    site: str
    order: int      # index in codebook_at: the order the reference applied wrappers
    grouped: bool   # keys carry a `.codebook.{g}` level
    groups: int
    codes: int
    k: int
    width: int
    similarity: str

    @property
    def dim(self) -> int:
        return self.width // self.groups


def _per_site(cfg, key, n, default):
    value = cfg.get(key, default)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ConversionError("codebook config: %s has %d entries for %d codebook_at sites" % (key, len(value), n))
        return list(value)
    return [value] * n


def codebook_sites(cfg: Dict, arch: Dict) -> List[Site]:
    """Every codebook of the model in (layer, codebook_at) order."""
    if cfg.get("model_type") != "codebook":
        raise ConversionError("config.json: model_type is %r, expected 'codebook'" % (cfg.get("model_type"),))
    at = cfg.get("codebook_at", "mlp")
    at = [at] if isinstance(at, str) else list(at)
    n = len(at)
    kinds = _per_site(cfg, "codebook_type", n, "vanilla")
    codes = _per_site(cfg, "num_codes", n, 100)
    counts = _per_site(cfg, "num_codebooks", n, 1)
    ks = _per_site(cfg, "k_codebook", n, 1)
    metric = cfg.get("similarity_metric", "inner_product")
    if metric not in METRICS:
        raise ConversionError("codebook config: similarity_metric %r is not supported" % (metric,))
    layers = cfg.get("layers_to_snap", "all")
    n_layers = arch["n_layers"]
    layers = list(range(n_layers)) if layers == "all" else [int(x) + n_layers if int(x) < 0 else int(x) for x in layers]
    for x in layers:
        if not 0 <= x < n_layers:
            raise ConversionError("codebook config: layers_to_snap entry %d is outside 0..%d" % (x, n_layers - 1))
    if len(set(at)) != n:
        raise ConversionError("codebook config: codebook_at %r names a site twice" % (at,))
    for i, site in enumerate(at):
        if site not in SITES:
            raise ConversionError("codebook config: codebook_at %r is not a known site (%s)" % (site, ", ".join(SITES)))
        if arch["family"] == "gpt_neo" and site == "qkv":
            raise ConversionError("codebook config: site qkv is not supported for gpt_neo (separate q/k/v "
                                  "projections; the reference has no qkv codebook for it)")
        if kinds[i] not in ("vanilla", "group"):
            raise ConversionError("codebook config: codebook_type %r is not vanilla or group" % (kinds[i],))
        if kinds[i] == "vanilla" and int(counts[i]) != 1:
            raise ConversionError("codebook config: vanilla codebook at %s has num_codebooks %r" % (site, counts[i]))
        if int(ks[i]) < 1 or int(ks[i]) > int(codes[i]):
            raise ConversionError("codebook config: k_codebook %r for %s must be between 1 and num_codes %r"
                                  % (ks[i], site, codes[i]))
    sites = []
    for layer in sorted(set(layers)):
        for i, site in enumerate(at):
            grouped = kinds[i] == "group"
            groups = arch["n_heads"] if int(counts[i]) == -1 else int(counts[i]) if grouped else 1
            width = arch["d_mlp"] if site == "mlp_mid" else arch["d_model"]
            if site == "qkv":  # always a group codebook: 3*G groups over the fused q/k/v output
                width, groups, grouped = 3 * arch["d_model"], 3 * groups, True
            if groups < 1 or width % groups:
                raise ConversionError("codebook config: %s width %d is not divisible by %d groups" % (site, width, groups))
            sites.append(Site(layer, site, i, grouped, groups, int(codes[i]), int(ks[i]), width, metric))
    return sites
