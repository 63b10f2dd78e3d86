"""TokFSM trainer (tools/python/tokfsm): data pipeline, learning, and the checkpoint cross-check
against the independent reference model (cbk_reference). Fast: full-size model, tiny codebooks."""

import shutil
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

import cbk_test_helpers  # noqa: F401  (sys.path, one torch thread)
from cbk_reference.checkpoint import load_checkpoint
from cbk_reference.fsm import BOS, TokFSM, next_state_probs as ref_next_state_probs
from cbk_reference.model import full_forward
from cbk_reference.steering import Steering
from tokfsm import evals
from tokfsm.annotate import state_code_annotations
from tokfsm.data import FsmData, state_at_positions, tokens_from_states
from tokfsm.export import load_trainer_model, save_checkpoint
from cbktrain.kmeans import init_codebooks
from tokfsm.model import CodebookSpec, TokFsmModel, Trace
from tokfsm.recipe import Recipe, Run
from tokfsm.snapshot import export_snapshot, training_tokens


class DataPipeline(unittest.TestCase):
    def setUp(self):
        self.data = FsmData(seed=3)
        self.fsm = TokFSM()

    def test_fsm_is_the_reference_fsm(self):
        for s in (0, 1, 57, 99):
            self.assertEqual(self.data.successors[s].tolist(), self.fsm.successors(s).tolist())

    def test_sequences_are_bos_plus_valid_walks_truncated_to_128(self):
        toks, traj = self.data.batch(32)
        self.assertEqual(toks.shape, (32, 128))
        self.assertTrue((toks[:, 0] == BOS).all())
        self.assertTrue(((toks[:, 1:] >= 0) & (toks[:, 1:] <= 9)).all())
        for row, states in zip(toks, traj):
            self.assertEqual(row.tolist(), self.fsm.tokenize(states.tolist()))  # reference tokenisation
            parsed = self.fsm.tokens_to_states(row.tolist())
            self.assertEqual(len(parsed), 63)  # 127 digits: the 64th state loses its last digit
            self.assertEqual(self.fsm.transition_accuracy([parsed]), (1.0, 1.0))

    def test_uniform_start_and_transitions(self):
        _, traj = FsmData(seed=0).batch(4000)
        starts = np.bincount(traj[:, 0], minlength=100)
        self.assertGreater(starts.min(), 10)
        nxt = traj[traj[:, 0] == 7, 1]
        self.assertEqual(set(nxt.tolist()), set(self.fsm.successors(7).tolist()))

    def test_state_positions_are_second_digits(self):
        traj = np.array([[12, 34, 56]])
        toks = tokens_from_states(traj, 6)
        self.assertEqual(toks.tolist(), [[BOS, 1, 2, 3, 4, 5]])
        self.assertEqual(state_at_positions(traj, 6).tolist(), [[-1, -1, 12, -1, 34, -1]])


class Learning(unittest.TestCase):
    def test_twenty_steps_lower_the_loss(self):
        out = Path(tempfile.mkdtemp(prefix="tokfsm_run_"))
        try:
            r = Recipe(base_steps=20, base_batch=16, base_lr=3e-3, base_warmup=5, log_every=5, save_every=1000)
            run = Run(r, out, log=lambda s: None)
            first = evals.lm_eval(run.model, FsmData(seed=9), 32)["loss"]
            run._train(r.base_steps, r.base_batch, r.base_warmup, r.min_lr_ratio, with_codebooks=False)
            after = evals.lm_eval(run.model, FsmData(seed=9), 32)["loss"]
            self.assertLess(after, first - 0.05)
        finally:
            shutil.rmtree(out, True)


class Resume(unittest.TestCase):
    def test_resume_restores_step_and_guards_started_phases(self):
        out = Path(tempfile.mkdtemp(prefix="tokfsm_resume_"))
        try:
            r = Recipe(base_steps=3, base_batch=4, log_every=100, save_every=100)
            run = Run(r, out, log=lambda s: None)
            run._train(2, r.base_batch, r.base_warmup, r.min_lr_ratio, with_codebooks=False)
            run.save_state()
            with self.assertRaises(SystemExit):  # the base phase has begun: its fields are fixed
                Run(Recipe(base_steps=5, base_batch=4), out, log=lambda s: None).try_resume()
            again = Run(Recipe(base_steps=3, base_batch=4, ft_steps=7), out, log=lambda s: None)
            self.assertTrue(again.try_resume())
            self.assertEqual((again.phase, again.step), ("base", 2))
            for k, v in run.model.state_dict().items():
                torch.testing.assert_close(again.model.state_dict()[k], v, rtol=0, atol=0)
            self.assertEqual(again.data.batch(2)[0].tolist(), run.data.batch(2)[0].tolist())
        finally:
            shutil.rmtree(out, True)


class Snapshot(unittest.TestCase):
    """A copy of resume.pt taken mid-fine-tune exports to a checkpoint with the run's exact model."""

    def test_mid_finetune_state_exports_the_runs_model(self):
        out = Path(tempfile.mkdtemp(prefix="tokfsm_snap_"))
        try:
            r = Recipe(base_steps=2, base_batch=4, num_codes=24, kmeans_seqs=64, kmeans_iters=2, ft_steps=9,
                       ft_batch=4, log_every=100, save_every=100)
            run = Run(r, out, log=lambda s: None)
            run._train(r.base_steps, r.base_batch, r.base_warmup, r.min_lr_ratio, with_codebooks=False)
            run._next_phase("init")
            run.model.add_codebooks(CodebookSpec(num_codes=r.num_codes, k=r.k), seed=r.seed)
            init_codebooks(run.model, [torch.from_numpy(FsmData(seed=r.seed + 2).batch(64)[0])], r.kmeans_iters, r.seed)
            run._next_phase("finetune")
            run._train(3, r.ft_batch, r.ft_warmup, r.min_lr_ratio, with_codebooks=True)
            run.save_state()
            facts = export_snapshot(out / "resume.pt", out / "ckpt", annotation_seqs=16)
            self.assertEqual((facts["phase"], facts["finetune_step"]), ("finetune", 3))
            self.assertEqual(facts["finetune_tokens"], 3 * 4 * 128)  # hand count: steps x batch x 128
            self.assertEqual(facts["base_tokens"], 2 * 4 * 128)
            exported = load_trainer_model(out / "ckpt")
            run.model.eval()
            toks = torch.from_numpy(FsmData(seed=6).batch(2)[0])
            with torch.no_grad():
                torch.testing.assert_close(exported(toks)[0], run.model(toks)[0], rtol=0, atol=1e-6)
            self.assertTrue((out / "ckpt" / "code_annotations.json").exists())
        finally:
            shutil.rmtree(out, True)

    def test_token_counts_after_the_run(self):
        r = Recipe(base_steps=10, base_batch=8, ft_steps=5, ft_batch=2)
        self.assertEqual(training_tokens(r, "done", 0), {"base_tokens": 10 * 8 * 128, "finetune_tokens": 5 * 2 * 128})
        self.assertEqual(training_tokens(r, "base", 4)["finetune_tokens"], 0)


class CheckpointCrossCheck(unittest.TestCase):
    """The saved directory, read by the independent reference, must give the trainer's logits and codes."""

    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        cls.model = TokFsmModel(seed=1)
        cls.model.add_codebooks(CodebookSpec(num_codes=48, k=1), seed=2)
        data = FsmData(seed=4)
        init_codebooks(cls.model, [torch.from_numpy(data.batch(16)[0])], iters=3, seed=0)
        with torch.no_grad():  # trained-looking, non-trivial LN affines
            for cb in cls.model.codebooks.values():
                cb.ln_weight.mul_(1 + 0.1 * torch.randn_like(cb.ln_weight))
                cb.ln_bias.add_(0.05 * torch.randn_like(cb.ln_bias))
        cls.model.eval()
        cls.dir = Path(tempfile.mkdtemp(prefix="tokfsm_ckpt_"))
        save_checkpoint(cls.model, cls.dir, TokFSM().transition_matrix, {"note": "test"})
        cls.ref = load_checkpoint(cls.dir)
        cls.toks = FsmData(seed=5).batch(3)[0]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, True)

    def test_directory_layout(self):
        for name in ("config.json", "base/config.json", "model.safetensors", "tokenizer.json", "vocab.json",
                     "special_tokens_map.json", "fsm.npy", "training_summary.json"):
            self.assertTrue((self.dir / name).exists(), name)
        np.testing.assert_array_equal(np.load(self.dir / "fsm.npy"), TokFSM().transition_matrix)

    def test_reference_logits_and_codes_match_trainer(self):
        tr = Trace()
        with torch.no_grad():
            logits, _ = self.model(torch.from_numpy(self.toks), trace=tr)
        for i, row in enumerate(self.toks):
            ref_logits, ref_trace = full_forward(self.ref, row.tolist())
            np.testing.assert_allclose(ref_logits.numpy(), logits[i].numpy(), atol=2e-4, rtol=0)
            for layer in range(4):
                mine = tr.ids[(layer, "mlp")][i, :, 0, 0].tolist()
                self.assertEqual([ids[0] for ids in ref_trace.ids(layer, "mlp", 0)], mine)

    def test_trainer_model_round_trip(self):
        back = load_trainer_model(self.dir)
        for k, v in self.model.state_dict().items():
            torch.testing.assert_close(back.state_dict()[k], v, rtol=0, atol=0)

    def test_forced_code_matches_reference_steering(self):
        ids = self.toks[0, :9].tolist()
        spec = {"interventions": [{"op": "force", "layer": l, "site": "mlp", "code": 7 + l, "positions": [8],
                                   "slot": "all"} for l in (1, 2, 3)]}
        ref_logits, _ = full_forward(self.ref, ids, Steering.from_json(spec))
        mask = torch.zeros(1, 9, dtype=torch.bool)
        mask[0, 8] = True
        force = {(l, "mlp"): (mask, torch.full((1, 9, 1), 7 + l)) for l in (1, 2, 3)}
        with torch.no_grad():
            mine, _ = self.model(torch.tensor([ids]), force=force)
        np.testing.assert_allclose(ref_logits.numpy(), mine[0].numpy(), atol=2e-4, rtol=0)

    def test_next_state_probs_match_reference(self):
        fsm = TokFSM()
        states = [0, 42, 99]
        pre = torch.tensor([[BOS, s // 10, s % 10] for s in states])
        mine = evals.next_state_probs(self.model, pre).numpy()
        for i, s in enumerate(states):
            np.testing.assert_allclose(ref_next_state_probs(self.ref, fsm, s), mine[i], atol=1e-5)

    def test_steered_next_state_probs_match_reference(self):
        spec = {"interventions": [{"op": "force", "layer": 2, "site": "mlp", "code": 5, "positions": [2], "slot": "all"}]}
        want = ref_next_state_probs(self.ref, TokFSM(), 42, Steering.from_json(spec))
        pre = torch.tensor([[BOS, 4, 2]])
        mine = evals.next_state_probs(self.model, pre, {(2, "mlp"): torch.tensor([[5]])}).numpy()
        np.testing.assert_allclose(want, mine[0], atol=1e-5)

    def test_interchange_eval_matches_reference(self):
        # Reference: donor run [BOS b1 b2 d], its MLP ids copied into [BOS a1 a2 d] at positions 1..3.
        data = FsmData(seed=1)
        a, b = np.array([42, 7]), np.array([13, 7])
        want = np.zeros((2, 100))
        for i in range(2):
            first = None
            for d in range(10):
                donor = [BOS, b[i] // 10, b[i] % 10, d]
                _, trace = full_forward(self.ref, donor)
                spec = {"interventions": [{"op": "interchange", "layer": l, "site": "mlp", "group": 0, "position": p,
                                           "ids": trace.ids(l, "mlp", 0)[p]} for l in range(4) for p in (1, 2, 3)]}
                logits, _ = full_forward(self.ref, [BOS, a[i] // 10, a[i] % 10, d], Steering.from_json(spec))
                probs = torch.softmax(logits, dim=-1).numpy()
                first = probs[2, :10] if first is None else first
                want[i, 10 * d:10 * d + 10] = first[d] * probs[3, :10]
        got = evals.interchange_eval(self.model, data, a, b)
        exp = evals._steer_scores(data, want, b, np.random.default_rng(3))
        for k in ("success_expected", "jsd"):
            self.assertAlmostEqual(got[k], exp[k], places=5)
        # a == b: the donor codes are the run's own, so the distribution is the unsteered one
        pre = torch.tensor([[BOS, 0, 7]])
        plain = evals.next_state_probs(self.model, pre).numpy()
        np.testing.assert_allclose(want[1], plain[0], atol=1e-5)

    def test_figure4_patching_everything_leaves_only_the_embedding(self):
        a, b = np.array([42, 7, 99]), np.array([13, 7, 98])
        rows = {r["patching"]: r for r in evals.figure4_eval(self.model, a, b)}
        self.assertEqual(list(rows), ["none", "l0_attn", "l1_mlp", "all_attn", "all_mlp", "all_attn_mlp"])
        self.assertEqual(max(r["relative"] for r in rows.values()), 1.0)
        self.assertGreater(rows["none"]["jsd"], rows["all_attn_mlp"]["jsd"])
        # reference: the same patch via interchange ops on every codebook group at position 2
        _, trace = full_forward(self.ref, [BOS, 1, 3])
        spec = {"interventions": [{"op": "interchange", "layer": l, "site": site, "group": g, "position": 2,
                                   "ids": trace.ids(l, site, g)[2]}
                                  for l in range(4) for site, groups in (("attn_preproj", 4), ("mlp", 1))
                                  for g in range(groups)]}
        logits, _ = full_forward(self.ref, [BOS, 4, 2], Steering.from_json(spec))
        b_logits, _ = full_forward(self.ref, [BOS, 1, 3])
        p = torch.softmax(logits[2], -1).numpy()[None]
        q = torch.softmax(b_logits[2], -1).numpy()[None]
        only_first = evals.figure4_eval(self.model, a[:1], b[:1])
        self.assertAlmostEqual(only_first[-1]["jsd"], float(evals.normalised_jsd(p, q)[0]), places=5)

    def test_state_code_annotations_agree_with_the_state_code_eval(self):
        notes = state_code_annotations(self.model, n_seqs=64, min_precision=0.0, seed=31, batch=32)
        codes, _, states = evals.collect_state_codes(self.model, FsmData(seed=31), n_seqs=64, batch=32)
        for layer in range(4):
            mine = {n["code"]: n for n in notes if n["layer"] == layer}
            c, st = codes[layer].numpy(), states.numpy()
            self.assertEqual(sorted(mine), sorted(set(c.tolist())))
            for code, n in mine.items():
                counts = np.bincount(st[c == code], minlength=100)
                self.assertEqual(n["label"], "state %02d" % counts.argmax())
                fired = int(n["description"].split("fired on ")[1].split(" ")[0])
                self.assertGreaterEqual(fired, counts.sum())
                self.assertAlmostEqual(n["frequency"] * 64 * 128, fired, places=6)  # 64 sequences x 128 tokens
                self.assertIn("precision %.1f%%" % (100 * counts.max() / fired), n["description"])
                self.assertIn("recall %.1f%%" % (100 * counts.max() / (st == counts.argmax()).sum()), n["description"])
                for ctx in n["top_contexts"]:
                    self.assertEqual(ctx["highlight"][1], len(ctx["tokens"]))
        strict = state_code_annotations(self.model, n_seqs=64, min_precision=0.9, seed=31, batch=32)
        self.assertTrue(all(float(n["description"].split("precision ")[1].split("%")[0]) >= 90 for n in strict))

    def test_kv_cache_decoding_matches_full_forward(self):
        ids = torch.from_numpy(self.toks[:2, :12])
        with torch.no_grad():
            full, _ = self.model(ids)
            cache = [[] for _ in range(4)]
            part, _ = self.model(ids[:, :5], cache=cache)
            steps = [part] + [self.model(ids[:, t:t + 1], cache=cache)[0] for t in range(5, 12)]
        torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-5, rtol=0)


if __name__ == "__main__":
    unittest.main()
