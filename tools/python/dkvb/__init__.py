"""Discrete Key-Value Bottleneck (Träuble et al., ICML 2023; github.com/ftraeuble/discrete_key_value_bottleneck):
an independent numpy reference of the inference (reference.py), the trainer and its experiments.
Run with Debian's /usr/bin/python3 (numpy, torch)."""
