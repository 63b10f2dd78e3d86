"""Shared pieces of the codebook-model trainers (tokfsm, stories): the codebook layer and the mixin
that puts codebooks at a model's sites, k-means initialisation, the phased training loop with resume,
and the checkpoint export in the codebook-features layout. Torch on CPU, Debian's /usr/bin/python3."""
