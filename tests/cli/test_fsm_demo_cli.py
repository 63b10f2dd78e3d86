"""`cbk fsm-demo` end to end on the fixture models of make_fsm_models.py.

  * the greedy tables: every token of the prompt and the continuation, the state each second digit
    completes and whether the transition is an edge of the FSM (checked against fsm_transitions.txt);
  * fsm_flat (every logit 0): steering cannot move the logits, so with the same seeds the steered
    and unsteered samples are the same states;
  * --mode force forces the most frequent "state 42" code of each annotated MLP codebook;
  * error paths: no FSM extra, a state outside the FSM, no annotation for force mode, usage errors.

Run by ctest as: python3 test_fsm_demo_cli.py CBK_COMMAND... -- FIXTURE_DIR
"""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from make_fsm_models import STATE42  # noqa: E402

CBK = []
DIR = ""


def run(*args, timeout=600):  # qemu-aarch64 is slow
    return subprocess.run(CBK + ["fsm-demo"] + list(args), capture_output=True, text=True, timeout=timeout)


def model(name):
    return os.path.join(DIR, name + ".cbk")


def successors():
    with open(os.path.join(DIR, "fsm_transitions.txt")) as f:
        return [[int(x) for x in line.split()] for line in f]


ROW = re.compile(r"^\s+(\d+)\s+(BOS|\d)\s+(\d\d)?(?:\s+\((\d\d) -> (\d\d) (valid|INVALID)\))?")


def tables(stdout):
    """The two greedy tables as lists of (pos, token, state, from, to, verdict)."""
    out, cur = [], None
    for line in stdout.splitlines():
        if line.startswith("  pos token"):
            cur = []
            out.append(cur)
        elif cur is not None and ROW.match(line):
            m = ROW.match(line)
            cur.append((int(m[1]), m[2], m[3], m[4], m[5], m[6]))
        elif not line.strip():
            cur = None
    return out


class Demo(unittest.TestCase):
    def test_tables_follow_the_fsm(self):
        succ = successors()
        r = run(model("fsm_random"), "--prompt", "7,23", "--states", "3", "--steer-to", "42", "--samples", "10")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("prompt: states 07 23; 23's successors: " + " ".join("%02d" % s for s in succ[23]), r.stdout)
        self.assertIn("42's successors: " + " ".join("%02d" % s for s in succ[42]), r.stdout)
        plain, steered = tables(r.stdout)
        for rows, first_from in ((plain, 23), (steered, 42)):
            self.assertEqual([row[0] for row in rows], list(range(11)))  # BOS + 2 states + 3 states
            self.assertEqual([row[1] for row in rows[:5]], ["BOS", "0", "7", "2", "3"])
            for pos, tok, state, frm, to, verdict in rows:
                if pos % 2 == 0 and pos >= 2:
                    self.assertEqual(state, rows[pos - 1][1] + tok)
                if verdict:
                    self.assertEqual(verdict == "valid", int(to) in succ[int(frm)], (pos, frm, to))
            self.assertEqual(rows[6][3], "%02d" % first_from)  # the first new state counts from 23 / 42
        m = re.search(r"unsteered\s+(\d+) / 10\s+(\d+) / 10\n\s+steered\s+(\d+) / 10\s+(\d+) / 10", r.stdout)
        self.assertIsNotNone(m, r.stdout)

    def test_flat_model_steering_changes_nothing(self):
        r = run(model("fsm_flat"), "--steer-to", "42", "--samples", "40", "--seed", "5")
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(r"unsteered\s+(\d+) / 40\s+(\d+) / 40\n\s+steered\s+(\d+) / 40\s+(\d+) / 40", r.stdout)
        self.assertEqual((m[1], m[2]), (m[3], m[4]))
        plain, steered = tables(r.stdout)
        self.assertEqual([row[1] for row in plain], [row[1] for row in steered])
        self.assertEqual(plain[5][1], "0")  # greedy on equal logits: the lowest id

    def test_force_mode_uses_the_most_frequent_annotated_code(self):
        r = run(model("fsm_random"), "--steer-to", "42", "--mode", "force", "--samples", "0")
        self.assertEqual(r.returncode, 0, r.stderr)
        best = {}
        for layer, code, freq in STATE42:
            if layer not in best or freq > best[layer][1]:
                best[layer] = (code, freq)
        want = " ".join("L%d:%d" % (layer, best[layer][0]) for layer in sorted(best))
        self.assertIn("forced at the prompt's last token ( %s )" % want, r.stdout)
        self.assertNotIn("sampled next states", r.stdout)

    def test_errors(self):
        for args, code, needle in (([model("fsm_none")], 1, "fsm.transitions"),
                                   ([model("fsm_random"), "--prompt", "7,123"], 2, "not a state of the FSM"),
                                   ([model("fsm_random"), "--steer-to", "41", "--mode", "force"], 1,
                                    "no MLP code is annotated \"state 41\""),
                                   ([model("fsm_random"), "--mode", "sideways"], 2, "--mode is force or interchange"),
                                   ([model("fsm_random"), "--states", "70"], 2, "--states needs"),
                                   ([], 2, "no model given")):
            r = run(*args)
            self.assertEqual(r.returncode, code, (args, r.stdout, r.stderr))
            self.assertIn(needle, r.stderr)
            self.assertEqual(r.stdout, "")


if __name__ == "__main__":
    sep = sys.argv.index("--")
    CBK, DIR = sys.argv[1:sep], sys.argv[sep + 1]
    unittest.main(argv=[sys.argv[0]])
