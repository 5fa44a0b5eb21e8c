"""The graph genome's slots, in the authors' order (docs/reference.md §1): 0 `y`, 1 `y_hat`, 2 `one`,
3 `neg_one` (inputs), 4–7 `h0`–`h3` (hidden nodes), 8 `root`."""

SLOT_NAMES: tuple[str, ...] = ("y", "y_hat", "one", "neg_one", "h0", "h1", "h2", "h3", "root")
SLOT_INDEX: dict[str, int] = {name: i for i, name in enumerate(SLOT_NAMES)}
NUM_INPUTS = 4
HIDDEN_SLOTS: tuple[int, ...] = (4, 5, 6, 7)
ROOT = 8
NODE_SLOTS: tuple[int, ...] = (*HIDDEN_SLOTS, ROOT)
Y, Y_HAT = 0, 1
