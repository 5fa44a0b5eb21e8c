"""Genome value: validation naming the bad field, JSON round trip, active-graph equality."""

import json

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from lossevo.losses import catalog
from lossevo.space.graph import Genome, GenomeError, Node, make

CE_JSON = {
    "schema_version": 1,
    "kind": "graph",
    "flip": True,
    "nodes": {
        "h0": {"op": "ln", "args": ["y_hat"]},
        "h1": {"op": "neg", "args": ["y"]},
        "h2": {"op": "neg", "args": ["y"]},
        "h3": {"op": "neg", "args": ["y"]},
        "root": {"op": "mul", "args": ["y", "h0"]},
    },
}


def _with(path, value):
    data = json.loads(json.dumps(CE_JSON))
    *parents, last = path
    target = data
    for key in parents:
        target = target[key]
    target[last] = value
    return data


@pytest.mark.parametrize(
    "path,value,field,message",
    [
        (("nodes", "h0", "op"), "log2", "nodes.h0.op", "unknown op 'log2'"),
        (("nodes", "root", "args"), ["y"], "nodes.root.args", "takes 2 argument"),
        (("nodes", "h0", "args"), ["y_hat", "y"], "nodes.h0.args", "takes 1 argument"),
        (("nodes", "root", "args"), ["y", "h9"], "nodes.root.args[1]", "unknown slot 'h9'"),
        (("nodes", "root", "args"), ["y", 9], "nodes.root.args[1]", "out of range"),
        (("nodes", "root", "args"), ["h0", "h0"], "nodes.root.args", "different slots"),
        (("nodes", "h0", "args"), ["root"], "nodes", "cycle"),
        (("nodes", "h0", "args"), ["y"], "nodes", "'y_hat' is not reachable"),
        (("nodes", "root", "args"), ["y_hat", "h0"], "nodes", "'y' is not reachable"),
        (("schema_version",), 2, "schema_version", "unsupported schema version 2"),
        (("schema_version",), True, "schema_version", "unsupported"),
        (("kind",), "tree", "kind", "expected 'graph'"),
        (("flip",), "yes", "flip", "must be a bool"),
        (("nodes", "h0", "alt_op"), "ln", "nodes.h0.alt_op", "other arity"),
        (("nodes", "h4"), {"op": "neg", "args": ["y"]}, "nodes.h4", "unknown node"),
        (("nodes", "h1", "colour"), "red", "nodes.h1.colour", "unknown field"),
    ],
)
def test_validation_names_the_field(path, value, field, message):
    with pytest.raises(GenomeError, match=message) as e:
        Genome.from_dict(_with(path, value))
    assert e.value.field == field
    assert str(e.value).startswith(field + ":")


def test_missing_node_and_bad_json():
    data = json.loads(json.dumps(CE_JSON))
    del data["nodes"]["h2"]
    with pytest.raises(GenomeError, match=r"nodes\.h2: missing node"):
        Genome.from_dict(data)
    with pytest.raises(GenomeError, match=r"<json>: not valid JSON"):
        Genome.from_json("{nodes:")
    with pytest.raises(GenomeError, match=r"<json>"):
        Genome.from_json("[" * 100000 + "]" * 100000)  # too deep for the parser
    with pytest.raises(GenomeError, match="kind"):
        Genome.from_dict({**CE_JSON, "kind": ["graph"]})


def test_json_round_trip_and_readable_form():
    g = Genome.from_dict(CE_JSON)
    assert g == catalog.CROSS_ENTROPY
    assert Genome.from_json(g.to_json()) == g
    assert g.to_dict() == CE_JSON
    assert json.loads(g.to_json(indent=2))["nodes"]["root"] == {"op": "mul", "args": ["y", "h0"]}


def test_integer_slots_accepted_and_normalised():
    g = Genome((Node("ln", (1,)), *[Node("neg", (0,))] * 3, Node("mul", (0, 4))), True)
    assert g == catalog.CROSS_ENTROPY and g.nodes[0].args == (1,)


def test_equality_and_hash_depend_on_the_active_graph_only():
    a = make({"h0": ("ln", "y_hat"), "root": ("mul", "y", "h0")}, flip=True)
    # Same loss, different hidden slot, different inactive nodes and dormant ops.
    b = make(
        {"h2": ("ln", "y_hat"), "h0": ("sin", "h1"), "h1": ("exp", "y"), "root": ("mul", "y", "h2")},
        flip=True,
    )
    assert a == b and hash(a) == hash(b) and a.hash_hex == b.hash_hex
    assert a.active == {0, 1, 4, 8} and b.active == {0, 1, 6, 8}
    assert a != a.replace(flip=False)
    swapped = make({"h0": ("ln", "y_hat"), "root": ("mul", "h0", "y")}, flip=True)
    assert swapped != a  # argument order is part of the graph
    assert len({a, b, swapped}) == 2


def test_hash_is_stable_across_runs():
    # Golden value: the hash is sha256 of the canonical expression JSON, not Python's hash().
    import hashlib

    canonical = json.dumps([["mul", "y", ["ln", "y_hat"]], True], separators=(",", ":"))
    assert catalog.CROSS_ENTROPY.hash_hex == hashlib.sha256(canonical.encode()).hexdigest()[:16]
    assert catalog.CROSS_ENTROPY.hash_hex == "f533028d3ab488c7"


def test_topological_order():
    g = catalog.NEUROLOSS1
    order = g.order
    assert order[-1] == 8 and set(order) == {4, 5, 6, 8}
    for slot in order:
        for arg in g.node(slot).args:
            assert arg < 4 or order.index(arg) < order.index(slot)


def test_immutable():
    with pytest.raises(AttributeError):
        catalog.CROSS_ENTROPY.flip = False


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 12) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
_slot_names = st.sampled_from(["y", "y_hat", "one", "neg_one", "h0", "h1", "h2", "h3", "root", "h7", 3, -1])
_op_names = st.sampled_from(["ln", "neg", "add", "div", "div_sqrt", "sqrt_abs", "nope", "", 3])
_nodes = st.fixed_dictionaries(
    {"op": _op_names, "args": st.lists(_slot_names, max_size=3)},
    optional={"alt_op": _op_names | st.none()},
)
_genome_like = st.fixed_dictionaries(
    {
        "schema_version": st.sampled_from([1, 1, 1, 2, "1", None]),
        "nodes": st.dictionaries(
            st.sampled_from(["h0", "h1", "h2", "h3", "root", "x"]), _nodes | _json_values
        ),
    },
    optional={"flip": st.booleans() | _json_values, "kind": st.sampled_from(["graph", "tree", 1])},
)


@settings(max_examples=400, deadline=None)
@given(data=_genome_like | _json_values)
def test_fuzz_malformed_json_raises_only_genome_error(data):
    try:
        g = Genome.from_dict(data)
    except GenomeError as e:
        assert str(e) and e.field
    else:
        assert Genome.from_json(g.to_json()) == g


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60) | st.binary(max_size=40))
def test_fuzz_arbitrary_text(text):
    try:
        Genome.from_json(text)
    except GenomeError as e:
        assert str(e)


_huge = (
    st.integers(min_value=10**300, max_value=10**320)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(min_size=250, max_size=2000)
    | st.sampled_from(["9" * 5000, "1e400", "-1e999"])  # raw JSON number literals, spliced in below
)
_tree_like = st.recursive(
    st.sampled_from(["y", "y_hat", "add", "log", "nope", ""]) | st.floats(-10, 10) | _huge,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=2)
    ),
    max_leaves=40,
)


def _as_json(value) -> str:
    """JSON text of `value`; strings of digits or exponents in `_huge` become raw number literals
    (json.dumps cannot write a 5,000-digit integer itself)."""
    if isinstance(value, str) and value in ("9" * 5000, "1e400", "-1e999"):
        return value
    if isinstance(value, list):
        return "[" + ",".join(_as_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_as_json(v)}" for k, v in value.items()) + "}"
    try:
        return json.dumps(value)
    except ValueError:  # integers beyond Python's str conversion limit
        return "1" * 5000


@settings(max_examples=300, deadline=None)
@given(expression=_tree_like, kind=st.sampled_from(["tree", "graph", None, 3, "x" * 400]) | _tree_like)
def test_fuzz_nested_and_huge_values_raise_only_genome_error(expression, kind):
    from lossevo.space import genome_from_json

    text = '{"schema_version": 1, "kind": ' + _as_json(kind) + ', "expression": ' + _as_json(expression) + "}"
    for source in (text, "[" * 5000 + text + "]" * 5000):
        try:
            genome_from_json(source)
        except GenomeError as e:
            assert e.field and len(str(e)) < 1000  # bad values are quoted, shortened
