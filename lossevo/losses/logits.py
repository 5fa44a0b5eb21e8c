"""A genome on logits (`from_logits=True`): the log of the prediction reads `log_softmax`.

On probabilities a node `ln(|ŷ|+ε)` (ε = 1e-7) of a saturated softmax flattens at
`ln ε ≈ -16.1`, with a vanishing gradient: at a logit margin of 20 the cross-entropy genome
gives 16.1 where the exact value is 20, and no gradient at all from a margin of about 40.

The rule, in one place (`LOG_OF_PREDICTION`): a node that applies a log op of the graph
table (`ln`, `log10`) directly to the `y_hat` input reads `log_softmax(logits)` (divided by
`ln 10` for `log10`) instead. That omits the `+ε` (and the `|·|`, a no-op on ŷ > 0): the
value differs from `ln(ŷ+ε)` by `ln(1+ε/ŷ) ≤ ε/ŷ`, at most 1e-4 for ŷ ≥ 1e-3, and is the
exact log, unbounded below, where ŷ ≲ ε. Every other node sees `ŷ = softmax(logits)` exactly
as with `from_logits=False`, ε included: a log of anything else (`ln(y+ŷ)`, `ln(ŷ/(y+ε))`)
is not rewritten. A genome with no such node, and a genome of a representation without a
rule here (trees), is evaluated on `softmax(logits)` by its own `per_example`.

The rule needs the graph's nodes: `_graph_from_logits` hands the rewritten nodes' values to
the graph's one walk (`lossevo.space.graph.evaluate.per_example(given=...)`).
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from lossevo.space.graph import evaluate as graph_evaluate
from lossevo.space.graph import ops as graph_ops
from lossevo.space.graph.genome import KIND as GRAPH_KIND
from lossevo.space.graph.slots import Y_HAT
from lossevo.space.op import plain
from lossevo.space.protocol import Genome


@plain
def _ln(log_p: tf.Tensor) -> tf.Tensor:
    return log_p


@plain
def _log10(log_p: tf.Tensor) -> tf.Tensor:
    return log_p / tf.math.log(10.0)  # the graph table's log10 divides by the same constant


# Graph op name -> its value computed from ln ŷ, for a node whose argument is `y_hat`.
LOG_OF_PREDICTION: dict[str, Callable[[tf.Tensor], tf.Tensor]] = {"ln": _ln, "log10": _log10}
assert all(graph_ops.get(name).arity == 1 for name in LOG_OF_PREDICTION)


def log_of_prediction_slots(genome) -> dict[int, Callable[[tf.Tensor], tf.Tensor]]:
    """The active slots of a graph genome that the rule rewrites, with their function of ln ŷ."""
    nodes = {slot: genome.node(slot) for slot in genome.order}
    return {
        slot: LOG_OF_PREDICTION[node.op]
        for slot, node in nodes.items()
        if node.op in LOG_OF_PREDICTION and node.args == (Y_HAT,)
    }


def _graph_from_logits(genome, y: tf.Tensor, logits: tf.Tensor) -> tf.Tensor | None:
    """Per-example loss of a graph genome on logits, or None when no node takes ln ŷ."""
    rewritten = log_of_prediction_slots(genome)
    if not rewritten:
        return None
    y_hat = tf.nn.softmax(logits, axis=-1)
    log_y_hat = tf.nn.log_softmax(logits, axis=-1)
    given = {slot: rule(log_y_hat) for slot, rule in rewritten.items()}
    return graph_evaluate.per_example(genome, y, y_hat, "tf", given)


# The representations that have the rule (by kind); the others take the softmax path.
_FROM_LOGITS: dict[str, Callable[..., tf.Tensor | None]] = {GRAPH_KIND: _graph_from_logits}


def per_example_from_logits(genome: Genome, y: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Per-example loss of any genome on logits (`y` already label-smoothed): the rule above
    where it applies, else `genome.per_example(y, softmax(logits))`."""
    rule = _FROM_LOGITS.get(genome.kind)
    out = rule(genome, y, logits) if rule is not None else None
    if out is None:
        out = genome.per_example(y, tf.nn.softmax(logits, axis=-1), "tf")
    return out
