"""convert(): a codebook-features checkpoint directory -> a .cbk file."""
import json
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from . import CONVERTER_NAME, CONVERTER_VERSION
from .assemble import canonical_base_tensors, classify_all, codebook_groups
from .configs import architecture_from_base_config, codebook_sites
from .errors import ConversionError
from .keymap import KeyMapper
from .tokenizer import read_tokenizer
from .weights import read_checkpoint_weights
# tools/python is on sys.path wherever cbkconvert is imported (convert.py, the tests arrange it).
from cbkfile.writer import CODEBOOK_DTYPES, WEIGHT_DTYPES, codebook_storage

_GENERATION_FIELDS = ("max_new_tokens", "temperature", "top_k", "top_p", "seed")


@dataclass
class Options:
    checkpoint: str
    output: str
    base_config: Optional[str] = None      # default: CHECKPOINT/base/config.json
    tokenizer_dir: Optional[str] = None    # default: the checkpoint directory
    tokenizer: str = "auto"                # auto | digits | none
    add_bos: Optional[bool] = None
    codebook_dtype: str = "f32"             # one of CODEBOOK_DTYPES
    weight_dtype: str = "f32"               # one of WEIGHT_DTYPES
    prefer: str = "safetensors"            # weights file to use when both exist
    name: Optional[str] = None
    description: Optional[str] = None
    license: Optional[str] = None
    source: Optional[str] = None           # recorded as metadata.source_checkpoint
    generation: Dict = field(default_factory=dict)  # overrides of the generation defaults


def _read_config(path: str, what: str) -> Dict:
    if not os.path.exists(path):
        raise ConversionError("%s not found: %s" % (what, path))
    try:
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
    except (OSError, ValueError) as e:
        raise ConversionError("%s %s is not valid JSON (%s)" % (what, path, e))
    if not isinstance(cfg, dict):
        raise ConversionError("%s %s is not a JSON object" % (what, path))
    return cfg


def generation_defaults(directory: str, overrides: Dict) -> Dict:
    """Sampling defaults: plain sampling at temperature 1, then generation_config.json's explicit
    fields (do_sample false -> greedy), then command-line overrides."""
    gen = {"max_new_tokens": 64, "temperature": 1.0, "top_k": 0, "top_p": 1.0, "seed": 0}
    path = os.path.join(directory, "generation_config.json")
    if os.path.exists(path):
        hf = _read_config(path, "generation config")
        for k in ("max_new_tokens", "temperature", "top_k", "top_p"):
            if hf.get(k) is not None:
                gen[k] = hf[k]
        if hf.get("do_sample") is False:
            gen["temperature"] = 0.0
    gen.update({k: v for k, v in overrides.items() if v is not None})
    for k in _GENERATION_FIELDS:
        if not isinstance(gen[k], (int, float)) or gen[k] < 0:
            raise ConversionError("generation default %s = %r must be a non-negative number" % (k, gen[k]))
    return gen


def _training_summary(checkpoint: str) -> Dict[str, str]:
    """training_summary.json (written by tools/python/train_tokfsm.py) -> metadata entries: the whole
    summary as JSON under "training.summary", plus its recipe, time and final metrics one key each so
    that `cbk info` shows them without a JSON reader."""
    path = os.path.join(checkpoint, "training_summary.json")
    if not os.path.exists(path):
        return {}
    summary = _read_config(path, "training summary")
    out = {"training.summary": json.dumps(summary, sort_keys=True)}
    if isinstance(summary.get("recipe"), dict):
        out["training.recipe"] = json.dumps(summary["recipe"], sort_keys=True)
    if "total_seconds" in summary:
        out["training.total_seconds"] = str(summary["total_seconds"])
    final = summary.get("metrics", {}).get("final", {}) if isinstance(summary.get("metrics"), dict) else {}
    for key in ("loss", "acc", "first_transition_acc", "state_acc"):
        if isinstance(final.get(key), (int, float)):
            out["training.final." + key] = "%.6g" % final[key]
    return out


def _topics(checkpoint: str) -> Dict[str, str]:
    """topics.json (optional, written by the story trainer's topic search): {"topics": {NAME: {"regex": RE}}}
    -> metadata "topic.NAME.regex" = RE, the pattern `cbk steer-eval` and the demo use to decide whether a
    text mentions topic NAME (matched case-insensitively). The topic's codes are the annotations labelled
    "topic: NAME"."""
    path = os.path.join(checkpoint, "topics.json")
    if not os.path.exists(path):
        return {}
    topics = _read_config(path, "topics").get("topics")
    if not isinstance(topics, dict):
        raise ConversionError("%s: \"topics\" must be an object of NAME: {\"regex\": ...}" % path)
    out = {}
    for name, t in topics.items():
        regex = t.get("regex") if isinstance(t, dict) else None
        if not isinstance(regex, str) or not regex or not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
            raise ConversionError("%s: topic %r needs a lower-case name and a non-empty \"regex\"" % (path, name))
        try:
            re.compile(regex)
        except re.error as e:
            raise ConversionError("%s: topic %s: bad regex %r (%s)" % (path, name, regex, e))
        out["topic.%s.regex" % name] = regex
    return out


def _metadata(opts: Options, cb_cfg: Dict, base_cfg: Dict, weights_file: str, sites) -> Dict:
    extra = {"base_model_type": base_cfg.get("model_type"), "weights_file": weights_file,
             "codebook_dtype": opts.codebook_dtype}
    if opts.weight_dtype != "f32":  # absent = f32, so f32 conversions stay byte-identical
        extra["weight_dtype"] = opts.weight_dtype
    for key in ("codebook_at", "codebook_type", "num_codes", "num_codebooks", "k_codebook", "layers_to_snap",
                "similarity_metric", "loss", "kmeans_init", "codebook_kwargs", "transformers_version"):
        if key in cb_cfg:
            value = cb_cfg[key]
            extra["codebook." + key] = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if base_cfg.get("_name_or_path"):
        extra["base_model"] = base_cfg["_name_or_path"]
    extra.update(_training_summary(opts.checkpoint))
    extra.update(_topics(opts.checkpoint))
    at = sorted({s.site for s in sites}, key=[s.site for s in sites].index)
    name = opts.name or os.path.basename(os.path.normpath(opts.checkpoint))
    return {"name": name,
            "description": opts.description or "codebook model: %s base, codebooks at %s"
            % (base_cfg.get("model_type"), ", ".join(at) or "none"),
            "license": opts.license, "source_checkpoint": opts.source or os.path.abspath(opts.checkpoint),
            "converter": CONVERTER_NAME, "converter_version": CONVERTER_VERSION, "extra": extra}


def read_annotations(checkpoint: str, codebooks) -> List[Dict]:
    """code_annotations.json (optional): {"annotations": [{"layer", "site", "group", "code", "label",
    "description", "frequency", "top_contexts": [{"tokens": [...], "highlight": [start, end]}]}]},
    codebooks named by (layer, site) -> the writer's annotations, codebooks named by index."""
    path = os.path.join(checkpoint, "code_annotations.json")
    if not os.path.exists(path):
        return []
    entries = _read_config(path, "code annotations").get("annotations")
    if not isinstance(entries, list):
        raise ConversionError("%s: \"annotations\" must be a list" % path)
    index = {(cb.layer, cb.site): i for i, cb in enumerate(codebooks)}
    out = []
    for n, a in enumerate(entries):
        try:
            where = (int(a["layer"]), str(a["site"]))
            if where not in index:
                raise ConversionError("%s: annotation %d names layer %d site %s, which has no codebook"
                                      % (path, n, where[0], where[1]))
            cb = codebooks[index[where]]
            group, code = int(a.get("group", 0)), int(a["code"])
            if not (0 <= group < cb.groups and 0 <= code < cb.codes):
                raise ConversionError("%s: annotation %d: group %d / code %d out of range (%d groups, %d codes)"
                                      % (path, n, group, code, cb.groups, cb.codes))
            out.append({"codebook": index[where], "group": group, "code": code, "label": str(a.get("label", "")),
                        "description": str(a.get("description", "")), "frequency": float(a.get("frequency", 0.0)),
                        "top_contexts": [{"tokens": [int(t) for t in c["tokens"]],
                                          "highlight": [int(c["highlight"][0]), int(c["highlight"][1])]}
                                         for c in a.get("top_contexts", [])]})
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise ConversionError("%s: annotation %d is malformed (%s: %s)" % (path, n, type(e).__name__, e))
    return out


def build_writer(opts: Options):
    """Everything but the final write: returns a filled cbkfile.CbkWriter."""
    from cbkfile import CbkWriter  # tools/python on sys.path (the CLI arranges it)

    if opts.codebook_dtype not in CODEBOOK_DTYPES:
        raise ConversionError("--codebook-dtype %r: expected one of %s" % (opts.codebook_dtype, ", ".join(CODEBOOK_DTYPES)))
    if opts.weight_dtype not in WEIGHT_DTYPES:
        raise ConversionError("--weight-dtype %r: expected one of %s" % (opts.weight_dtype, ", ".join(WEIGHT_DTYPES)))
    if not os.path.isdir(opts.checkpoint):
        raise ConversionError("checkpoint directory not found: %s" % opts.checkpoint)
    cb_cfg = _read_config(os.path.join(opts.checkpoint, "config.json"), "codebook config")
    base_cfg = _read_config(opts.base_config or os.path.join(opts.checkpoint, "base", "config.json"), "base config")
    arch = architecture_from_base_config(base_cfg)
    sites = codebook_sites(cb_cfg, arch)
    tensors, weights_file = read_checkpoint_weights(opts.checkpoint, opts.prefer)
    base_found, cb_found = classify_all(KeyMapper(arch, sites), tensors)

    w = CbkWriter()
    w.architecture = {k: v for k, v in arch.items() if k != "attention_bias"}
    for name, array in canonical_base_tensors(arch, base_found).items():
        w.add_tensor(name, array, opts.weight_dtype if np.ndim(array) == 2 else "f32")
    scan_dtype, exact = codebook_storage(opts.codebook_dtype)
    for site, groups in codebook_groups(arch["family"], sites, cb_found):
        w.add_codebook(site.layer, site.site, site.k, groups, site.similarity, scan_dtype, exact=exact)
    w.tokenizer = read_tokenizer(opts.tokenizer_dir or opts.checkpoint, base_cfg, arch["vocab_size"], opts.tokenizer,
                                 opts.add_bos)
    w.generation = generation_defaults(opts.checkpoint, opts.generation)
    w.metadata = _metadata(opts, cb_cfg, base_cfg, weights_file, sites)
    w.annotations = read_annotations(opts.checkpoint, w.codebooks)
    fsm = os.path.join(opts.checkpoint, "fsm.npy")
    if os.path.exists(fsm):  # TokFSM repos ship the FSM transition matrix
        try:
            matrix = np.load(fsm, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise ConversionError("%s: cannot be read (%s)" % (fsm, e))
        w.add_extra("fsm.transitions", np.asarray(matrix, np.float32), "f32")
    return w


def convert(opts: Options) -> Dict:
    w = build_writer(opts)
    size = w.write(opts.output)
    return {"output": opts.output, "bytes": size, "tensors": len(w.tensors), "codebooks": len(w.codebooks)}
