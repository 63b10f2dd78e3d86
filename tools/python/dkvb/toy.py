"""The 2-D toy of the DKVB paper's Figure 2 (setup from the authors' notebook, our own code): 8
Gaussian classes (sigma 0.035) at the 3x3 grid of the unit square minus its centre, presented as 4
tasks of 2 classes; 100 samples per task (the class by a coin flip), 1000 full-batch steps each."""
import numpy as np

SIGMA = 0.035
MEANS = {0: (.25, .25), 4: (.75, .5), 1: (.75, .25), 5: (.5, .75),
         2: (.75, .75), 6: (.25, .5), 3: (.25, .75), 7: (.5, .25)}
TASKS = [(0, 4), (1, 5), (2, 6), (3, 7)]


def task_data(rng, task, n=100):
    labels = np.asarray(task)[rng.integers(0, 2, n)]
    x = np.asarray([MEANS[c] for c in labels]) + SIGMA * rng.standard_normal((n, 2))
    return x.astype(np.float32), labels.astype(np.int64)


def test_set(rng, per_class=100):
    labels = np.repeat(np.arange(8), per_class)
    x = np.asarray([MEANS[c] for c in labels]) + SIGMA * rng.standard_normal((len(labels), 2))
    return x.astype(np.float32), labels.astype(np.int64)


def key_batches(rng, passes=1000, batch=100):
    """Unlabelled key-initialisation data: batches of U[0,1]^2 points, shaped [n, heads=1, 2]."""
    for _ in range(passes):
        yield rng.random((batch, 1, 2)).astype(np.float32)
