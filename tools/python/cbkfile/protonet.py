"""The prototype-network part of a .cbk file (schema table ProtoNetModel, kind = protonet).

    spec = ProtoNetSpec(image_shape=(1, 28, 28), class_names=[...])
    spec.encoder.append(ConvSpec.make("enc.0", weight, bias, stride=2, padding=1, activation="relu"))
    spec.set_prototypes(prototypes, class_weights)      # or spec.set_linear(weight, bias): baseline
    spec.decoder.append(ConvSpec.make("dec.0", weight, bias, stride=2, padding=1, output_padding=1,
                                      activation="relu", transposed=True))
    writer = CbkWriter(); writer.set_protonet(spec); writer.write("model.cbk")

Like the rest of the writer it serializes what it is given (every field can be set to a bad value),
so tests can build the files the loader must refuse.
"""
import dataclasses
from typing import List, Optional, Sequence

import numpy as np

ACTIVATIONS = {"none": 0, "relu": 1, "sigmoid": 2}


@dataclasses.dataclass
class ConvSpec:
    transposed: bool
    in_channels: int
    out_channels: int
    kernel: int
    stride: int
    padding: int
    output_padding: int
    activation: str
    weight: object  # TensorSpec
    bias: object    # TensorSpec or None

    @staticmethod
    def make(name: str, weight, bias, stride: int, padding: int, activation: str,
             transposed: bool = False, output_padding: int = 0) -> "ConvSpec":
        from .writer import TensorSpec
        w = np.asarray(weight, dtype=np.float32)
        cin, cout = (w.shape[0], w.shape[1]) if transposed else (w.shape[1], w.shape[0])
        return ConvSpec(transposed, int(cin), int(cout), int(w.shape[2]), stride, padding, output_padding,
                        activation, TensorSpec.from_array(name + ".weight", w),
                        None if bias is None else TensorSpec.from_array(name + ".bias", bias))


@dataclasses.dataclass
class ProtoNetSpec:
    image_shape: Sequence[int]
    class_names: List[str]
    encoder: List[ConvSpec] = dataclasses.field(default_factory=list)
    decoder: List[ConvSpec] = dataclasses.field(default_factory=list)
    prototypes: object = None     # TensorSpec
    class_weights: object = None  # TensorSpec
    linear_weight: object = None  # TensorSpec (baseline)
    linear_bias: object = None    # TensorSpec (baseline)

    def set_prototypes(self, prototypes, class_weights):
        from .writer import TensorSpec
        self.prototypes = TensorSpec.from_array("protonet.prototypes", prototypes)
        self.class_weights = TensorSpec.from_array("protonet.class_weights", class_weights)

    def set_linear(self, weight, bias):
        from .writer import TensorSpec
        self.linear_weight = TensorSpec.from_array("protonet.linear.weight", weight)
        self.linear_bias = TensorSpec.from_array("protonet.linear.bias", bias)

    def tensor_specs(self) -> list:
        out = []
        for conv in self.encoder + self.decoder:
            out.extend(t for t in (conv.weight, conv.bias) if t is not None)
        out.extend(t for t in (self.prototypes, self.class_weights, self.linear_weight, self.linear_bias)
                   if t is not None)
        return out

    def build(self, b, fb, tensor, table_vector) -> int:
        """Serializes the ProtoNetModel table into builder b; returns its offset."""

        def conv(c: ConvSpec) -> int:
            w, bias = tensor(c.weight), tensor(c.bias)
            C = fb.ProtoNetConv
            C.ProtoNetConvStart(b)
            C.ProtoNetConvAddTransposed(b, bool(c.transposed))
            C.ProtoNetConvAddInChannels(b, c.in_channels)
            C.ProtoNetConvAddOutChannels(b, c.out_channels)
            C.ProtoNetConvAddKernel(b, c.kernel)
            C.ProtoNetConvAddStride(b, c.stride)
            C.ProtoNetConvAddPadding(b, c.padding)
            C.ProtoNetConvAddOutputPadding(b, c.output_padding)
            C.ProtoNetConvAddActivation(b, ACTIVATIONS[c.activation] if isinstance(c.activation, str)
                                        else int(c.activation))
            if w is not None:
                C.ProtoNetConvAddWeight(b, w)
            if bias is not None:
                C.ProtoNetConvAddBias(b, bias)
            return C.ProtoNetConvEnd(b)

        P = fb.ProtoNetModel
        encoder = table_vector(P.ProtoNetModelStartEncoderVector, [conv(c) for c in self.encoder])
        decoder = table_vector(P.ProtoNetModelStartDecoderVector, [conv(c) for c in self.decoder])
        names = table_vector(P.ProtoNetModelStartClassNamesVector, [b.CreateString(n) for n in self.class_names])
        protos, weights = tensor(self.prototypes), tensor(self.class_weights)
        lin_w, lin_b = tensor(self.linear_weight), tensor(self.linear_bias)
        P.ProtoNetModelStart(b)
        P.ProtoNetModelAddImageChannels(b, int(self.image_shape[0]))
        P.ProtoNetModelAddImageHeight(b, int(self.image_shape[1]))
        P.ProtoNetModelAddImageWidth(b, int(self.image_shape[2]))
        P.ProtoNetModelAddEncoder(b, encoder)
        P.ProtoNetModelAddDecoder(b, decoder)
        P.ProtoNetModelAddClassNames(b, names)
        for value, add in ((protos, P.ProtoNetModelAddPrototypes), (weights, P.ProtoNetModelAddClassWeights),
                           (lin_w, P.ProtoNetModelAddLinearWeight), (lin_b, P.ProtoNetModelAddLinearBias)):
            if value is not None:
                add(b, value)
        return P.ProtoNetModelEnd(b)


def random_protonet(seed: int = 1, baseline: bool = False, prototypes: int = 5):
    """A small valid prototype network for tests: 1x8x8 images; encoder 1->4->2 channels (3x3, stride 2,
    padding 1: 8 -> 4 -> 2, latent 8); `prototypes` prototypes, 3 classes; decoder 2->4->1 transposed
    convs (2 -> 4 -> 8, sigmoid last). baseline: a linear head instead of prototypes and decoder."""
    from .writer import CbkWriter
    rng = np.random.default_rng(seed)
    r = lambda *shape: rng.standard_normal(shape).astype(np.float32) * 0.5  # noqa: E731
    spec = ProtoNetSpec(image_shape=(1, 8, 8), class_names=["zero", "one", "two"])
    spec.encoder.append(ConvSpec.make("protonet.encoder.0", r(4, 1, 3, 3), r(4), 2, 1, "relu"))
    spec.encoder.append(ConvSpec.make("protonet.encoder.1", r(2, 4, 3, 3), r(2), 2, 1, "relu"))
    if baseline:
        spec.set_linear(r(3, 8), r(3))
    else:
        spec.set_prototypes(r(prototypes, 8), r(prototypes, 3))
        spec.decoder.append(ConvSpec.make("protonet.decoder.0", r(2, 4, 3, 3), r(4), 2, 1, "relu",
                                          transposed=True, output_padding=1))
        spec.decoder.append(ConvSpec.make("protonet.decoder.1", r(4, 1, 3, 3), r(1), 2, 1, "sigmoid",
                                          transposed=True, output_padding=1))
    w = CbkWriter()
    w.metadata = {"name": "random protonet" + (" baseline" if baseline else "")}
    w.set_protonet(spec)
    return w
