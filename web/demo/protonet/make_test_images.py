"""Writes test-images.json for the prototype-network page: the first two Fashion-MNIST *test* images
of each class (Debian's dataset-fashion-mnist), as base64 bytes (28 x 28, row-major, 0..255).
Usage: /usr/bin/python3 make_test_images.py [DATASET_DIR] > test-images.json"""
import base64
import gzip
import json
import sys

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    images = gzip.open(f"{root}/t10k-images-idx3-ubyte.gz").read()[16:]
    labels = gzip.open(f"{root}/t10k-labels-idx1-ubyte.gz").read()[8:]
    picked, per_class = [], {}
    for i, label in enumerate(labels):
        if per_class.get(label, 0) < 2:
            per_class[label] = per_class.get(label, 0) + 1
            picked.append({"index": i, "label": label, "name": CLASSES[label],
                           "pixels": base64.b64encode(images[i * 784:(i + 1) * 784]).decode()})
        if len(picked) == 20:
            break
    picked.sort(key=lambda r: (r["label"], r["index"]))
    json.dump({"source": "Fashion-MNIST t10k (test split), first two images of each class",
               "height": 28, "width": 28, "images": picked}, sys.stdout, indent=1)
    sys.stdout.write("\n")


main()
