"""Prototype network (Li, Liu, Chen & Rudin, AAAI 2018) on Fashion-MNIST: data, model, trainer, export."""
