"""Prototype-network files the loader must refuse (issue 17), each with its expected status.

Each case turns the transformer fixture writer into a small valid prototype network
(cbkfile.protonet.random_protonet) and then breaks one thing."""
import numpy as np

from cbkfile.protonet import random_protonet
from cbkfile.writer import TensorSpec


def _install(w, baseline=False):
    src = random_protonet(seed=3, baseline=baseline)
    w.kind, w.architecture, w.tensors, w.codebooks = "protonet", None, [], []
    w.annotations, w.tokenizer, w.generation = [], None, None
    w.protonet = src.protonet
    return w.protonet


def _case(mutate, baseline=False):
    def run(w):
        mutate(_install(w, baseline), w)
    return run


def _nan_first(spec: TensorSpec):
    values = np.frombuffer(spec.data, dtype="<f4").copy()
    values[0] = np.nan
    spec.data = values.tobytes()


def _set(obj, **fields):
    for k, v in fields.items():
        setattr(obj, k, v)


def protonet_writer_cases():
    return [
        ("protonet_without_table", "bad_architecture", lambda w: (_install(w), setattr(w, "protonet", None))),
        ("protonet_with_tokenizer", "bad_architecture",
         _case(lambda p, w: setattr(w, "tokenizer", {"kind": "vocab", "tokens": ["a", "b"]}))),
        ("protonet_image_shape_zero", "bad_architecture", _case(lambda p, w: setattr(p, "image_shape", (1, 0, 8)))),
        ("protonet_encoder_channels", "bad_architecture", _case(lambda p, w: _set(p.encoder[1], in_channels=3))),
        ("protonet_encoder_transposed", "bad_architecture", _case(lambda p, w: _set(p.encoder[0], transposed=True))),
        ("protonet_zero_stride", "bad_architecture", _case(lambda p, w: _set(p.encoder[0], stride=0))),
        ("protonet_padding_not_below_kernel", "bad_architecture", _case(lambda p, w: _set(p.encoder[0], padding=3))),
        ("protonet_unknown_activation", "bad_architecture", _case(lambda p, w: _set(p.encoder[0], activation=7))),
        ("protonet_encoder_output_padding", "bad_architecture", _case(lambda p, w: _set(p.encoder[0], output_padding=1))),
        ("protonet_output_padding_not_below_stride", "bad_architecture",
         _case(lambda p, w: _set(p.decoder[0], output_padding=2))),
        ("protonet_decoder_image_shape", "bad_architecture", _case(lambda p, w: _set(p.decoder[1], output_padding=0))),
        ("protonet_decoder_plain_conv", "bad_architecture", _case(lambda p, w: _set(p.decoder[0], transposed=False))),
        ("protonet_no_decoder", "bad_architecture", _case(lambda p, w: setattr(p, "decoder", []))),
        ("protonet_no_class_names", "bad_architecture", _case(lambda p, w: setattr(p, "class_names", []))),
        ("protonet_empty_class_name", "bad_architecture", _case(lambda p, w: p.class_names.__setitem__(1, ""))),
        ("protonet_prototype_dim", "shape_mismatch",
         _case(lambda p, w: setattr(p, "prototypes", TensorSpec.from_array("protonet.prototypes",
                                                                          np.zeros((5, 9), np.float32))))),
        ("protonet_class_weight_rows", "shape_mismatch",
         _case(lambda p, w: setattr(p, "class_weights", TensorSpec.from_array("protonet.class_weights",
                                                                             np.zeros((4, 3), np.float32))))),
        ("protonet_conv_weight_shape", "shape_mismatch",
         _case(lambda p, w: _set(p.encoder[0], weight=TensorSpec.from_array("protonet.encoder.0.weight",
                                                                           np.zeros((4, 1, 3, 2), np.float32))))),
        ("protonet_f16_weight", "bad_dtype",
         _case(lambda p, w: _set(p.decoder[0], weight=TensorSpec.from_array("protonet.decoder.0.weight",
                                                                           np.zeros((2, 4, 3, 3)), "f16")))),
        ("protonet_missing_bias", "missing_tensor", _case(lambda p, w: _set(p.encoder[1], bias=None))),
        ("protonet_missing_class_weights", "missing_tensor", _case(lambda p, w: setattr(p, "class_weights", None))),
        ("protonet_both_heads", "bad_architecture",
         _case(lambda p, w: p.set_linear(np.zeros((3, 8), np.float32), np.zeros(3, np.float32)))),
        ("protonet_baseline_with_decoder", "bad_architecture",
         _case(lambda p, w: p.decoder.append(random_protonet(seed=4).protonet.decoder[0]), baseline=True)),
        ("protonet_baseline_linear_shape", "shape_mismatch",
         _case(lambda p, w: p.set_linear(np.zeros((3, 7), np.float32), np.zeros(3, np.float32)), baseline=True)),
        ("protonet_nan_prototype", "non_finite_value", _case(lambda p, w: _nan_first(p.prototypes))),
        ("protonet_nan_conv_weight", "non_finite_value", _case(lambda p, w: _nan_first(p.decoder[1].weight))),
    ]
