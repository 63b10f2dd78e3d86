"""The prototype network of Li, Liu, Chen & Rudin (AAAI 2018), written for this project in torch.

Layer shapes are the paper's MNIST case study: 4 convs 3×3 / stride 2 / padding 1 / ReLU
(28 → 14 → 7 → 4 → 2; 32, 32, 32, 10 maps, so a 40-dim latent), m prototypes in latent space, logits =
squared distances · W (no bias), and a decoder of 4 transposed convs that mirrors the encoder
(2 → 4 → 7 → 14 → 28; ReLU between, sigmoid last). `LAYER_SPECS` is the single description of every
conv that the exporter writes into the .cbk file, so the C++ engine runs the same geometry.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

# (in_ch, out_ch, stride, pad, output_padding, activation); kernel 3×3 everywhere.
ENCODER_SPECS = [(1, 32, 2, 1, 0, "relu"), (32, 32, 2, 1, 0, "relu"),
                 (32, 32, 2, 1, 0, "relu"), (32, 10, 2, 1, 0, "relu")]
# output_padding picks 4, 7, 14, 28 out of the ambiguous transposed-conv sizes.
DECODER_SPECS = [(10, 32, 2, 1, 1, "relu"), (32, 32, 2, 1, 0, "relu"),
                 (32, 32, 2, 1, 1, "relu"), (32, 1, 2, 1, 1, "sigmoid")]
KERNEL = 3
IMAGE_SHAPE = (1, 28, 28)
LATENT_SHAPE = (10, 2, 2)


def _act(name: str, x):
    return torch.relu(x) if name == "relu" else torch.sigmoid(x)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(i, o, KERNEL, s, p) for i, o, s, p, _, _ in ENCODER_SPECS)

    def forward(self, x):
        for conv, spec in zip(self.convs, ENCODER_SPECS):
            x = _act(spec[5], conv(x))
        return x.flatten(1)  # [N, 40] in channel-major (C, H, W) order


class TransposedConv(nn.Module):
    """ConvTranspose2d's parameters and result, computed as a stride-1 conv over the zero-interleaved
    input with the flipped kernel: this torch build's ConvTranspose2d backward is ~30× slower."""

    def __init__(self, cin, cout, k, stride, pad, out_pad):
        super().__init__()
        ref = nn.ConvTranspose2d(cin, cout, k, stride, pad, out_pad)  # its initialisation
        self.weight = nn.Parameter(ref.weight.detach().clone())  # [in, out, k, k]
        self.bias = nn.Parameter(ref.bias.detach().clone())
        self.k, self.stride, self.pad, self.out_pad = k, stride, pad, out_pad

    def forward(self, x):
        n, c, h, w = x.shape
        s = self.stride
        up = x.new_zeros(n, c, (h - 1) * s + 1, (w - 1) * s + 1)
        up[:, :, ::s, ::s] = x
        lo = self.k - 1 - self.pad
        up = F.pad(up, (lo, lo + self.out_pad, lo, lo + self.out_pad))
        return F.conv2d(up, self.weight.flip(2, 3).transpose(0, 1), self.bias)


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList(TransposedConv(i, o, KERNEL, s, p, op)
                                   for i, o, s, p, op, _ in DECODER_SPECS)

    def forward(self, z):
        x = z.view(-1, *LATENT_SHAPE)
        for conv, spec in zip(self.convs, DECODER_SPECS):
            x = _act(spec[5], conv(x))
        return x


def squared_distances(z, protos):
    """‖z_i − p_j‖² for every pair: [N, m]."""
    return (z * z).sum(1, keepdim=True) - 2.0 * z @ protos.t() + (protos * protos).sum(1)[None, :]


class ProtoNet(nn.Module):
    def __init__(self, num_prototypes: int = 15, num_classes: int = 10):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = Decoder()
        latent = LATENT_SHAPE[0] * LATENT_SHAPE[1] * LATENT_SHAPE[2]
        self.prototypes = nn.Parameter(torch.rand(num_prototypes, latent))
        self.class_weights = nn.Parameter(torch.empty(num_prototypes, num_classes).uniform_(-1.0, 1.0))

    def forward(self, x):
        z = self.encoder(x)
        d = squared_distances(z, self.prototypes)
        return z, d, d @ self.class_weights

    def loss(self, x, y, weights=(20.0, 1.0, 1.0, 1.0), recon_images: int = 0):
        """20·CE + reconstruction + R1 + R2 (the paper's λ's); returns (total, parts dict, logits).

        recon_images > 0 estimates the reconstruction term on the batch's first recon_images images
        only: the decoder is most of the compute, and this keeps a CPU run within its time budget.
        """
        z, d, logits = self.forward(x)
        ce = F.cross_entropy(logits, y)
        r = recon_images if 0 < recon_images < len(x) else len(x)
        recon = ((self.decoder(z[:r]) - x[:r]) ** 2).flatten(1).sum(1).mean()
        r1 = d.min(0).values.mean()  # every prototype close to some encoded input of the batch
        r2 = d.min(1).values.mean()  # every encoded input close to some prototype
        w = weights
        total = w[0] * ce + w[1] * recon + w[2] * r1 + w[3] * r2
        return total, {"ce": ce.item(), "recon": recon.item(), "r1": r1.item(), "r2": r2.item()}, logits


class Baseline(nn.Module):
    """The same encoder with a plain softmax head (linear 40 → K with bias)."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.encoder = Encoder()
        self.head = nn.Linear(LATENT_SHAPE[0] * LATENT_SHAPE[1] * LATENT_SHAPE[2], num_classes)

    def forward(self, x):
        return self.head(self.encoder(x))

    def loss(self, x, y, weights=None, recon_images: int = 0):
        logits = self.forward(x)
        ce = F.cross_entropy(logits, y)
        return ce, {"ce": ce.item()}, logits
