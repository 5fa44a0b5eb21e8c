"""Every seed lossevo derives from another, in one place. Each derivation is fixed: journals
and results files of earlier runs resume with the same seeds.

- `evaluation_seed(run_seed, candidate_id)`: a search candidate's evaluation seed.
- `training_run_seed(seed, run)`: a candidate's `run`-th training run in a surrogate that
  trains several (run 0: the candidate's own seed).
- `elimination_run_seed(seed, round_index, run)`: run `run` of an elimination round, the
  same for every loss of that round and run (paired comparisons).
- `correlation_seed(seed, index)`: loss `index` of the correlation study (-1: CE).
- `phase_seed(seed, phase_index)`: a progressive-training phase's augmentation seed.
"""

from __future__ import annotations

import numpy as np


def evaluation_seed(run_seed: int, candidate_id: int) -> int:
    return int(np.random.SeedSequence([run_seed, candidate_id]).generate_state(1)[0])


def training_run_seed(seed: int, run: int) -> int:
    return (int(seed) + 1_000_003 * run) % (2**31)


def elimination_run_seed(seed: int, round_index: int, run: int) -> int:
    return int(np.random.SeedSequence([seed, round_index, run]).generate_state(1)[0] % (2**31))


def correlation_seed(seed: int, index: int) -> int:
    return seed * 100003 + index


def phase_seed(seed: int, phase_index: int) -> int:
    return seed + 1000 * phase_index
