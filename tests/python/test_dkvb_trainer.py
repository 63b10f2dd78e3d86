"""DKVB trainer (tools/python/dkvb): the GEMM ranking used for Fashion-MNIST-sized models picks the
same keys as the summed squared differences the toy and the parity goldens use."""

import unittest

import numpy as np
import torch

import cbk_test_helpers  # noqa: F401  (sys.path, one torch thread)
from dkvb.model import DKVB, random_projection


class GemmSearch(unittest.TestCase):
    def test_gemm_ranking_picks_the_nearest_key(self):
        rng = np.random.default_rng(3)
        keys = rng.standard_normal((12, 96, 8)).astype(np.float32)
        encoder = [(rng.standard_normal((24, 20)).astype(np.float32) * 0.3, np.zeros(24, np.float32))]
        proj = random_projection(rng, 12, 8, 24)
        direct = DKVB(keys, 10, encoder, proj)
        gemm = DKVB(keys, 10, encoder, proj, gemm_search=True)
        x = torch.from_numpy(rng.standard_normal((700, 20)).astype(np.float32))
        ids = gemm.pick(x, chunk=64)
        # float64 oracle, independent of both float32 formulations
        q = direct.queries(direct.embed(x)).double()
        d2 = ((q[:, :, None, :] - torch.from_numpy(keys).double()[None]) ** 2).sum(-1)
        best = d2.argmin(-1)
        gap = d2.sort(-1).values[..., 1] - d2.sort(-1).values[..., 0]
        clear = gap > 1e-3  # leave out float32 near-ties
        self.assertGreater(int(clear.sum()), 8000)
        self.assertTrue(torch.equal(ids[clear], best[clear]))
        self.assertTrue(torch.equal(direct.pick(x)[clear], best[clear]))

    def test_masked_pairs_are_never_picked(self):
        rng = np.random.default_rng(4)
        keys = rng.standard_normal((3, 40, 4)).astype(np.float32)
        model = DKVB(keys, 5, None, None, gemm_search=True)
        model.used[:, ::2] = 1  # odd pairs never used
        ids = model.pick(torch.from_numpy(rng.standard_normal((300, 12)).astype(np.float32)), mask_unused=True)
        self.assertTrue(bool((ids % 2 == 0).all()))


if __name__ == "__main__":
    unittest.main()
