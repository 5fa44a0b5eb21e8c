"""The ask/tell engine on a stub evaluator (fitness from the genome's hash, no TF)."""

import math

import numpy as np
import pytest

from lossevo.losses import catalog
from lossevo.search import RegularizedEvolution
from lossevo.space.graph import GraphSpace


def stub_fitness(candidate):
    return int(candidate.genome.hash_hex[:6], 16) / 0xFFFFFF


def run(engine, fitness=stub_fitness, batch=3):
    while not engine.done:
        asked = engine.ask(batch)
        assert asked, "a running engine always has something to ask"
        engine.tell([(c, fitness(c)) for c in asked])
    return engine


def small(seed=0, **kw):
    args = {"population_size": 10, "initial_size": 30, "tournament_size": 4, "iterations": 25}
    args.update(kw)
    space = args.pop("space", GraphSpace())
    return RegularizedEvolution(np.random.default_rng(seed), space, **args)


def test_stages_and_initial_selection():
    e = small()
    init = e.ask(100)
    assert len(init) == 30 and {c.stage for c in init} == {"init"}
    assert e.ask(5) == []  # waits for the whole stage
    scores = {c.id: stub_fitness(c) for c in init}
    e.tell([(c, scores[c.id]) for c in init])
    rescore = e.ask(100)
    best10 = sorted(scores, key=lambda i: -scores[i])[:10]
    assert e.stage == "rescore" and sorted(c.parent_id for c in rescore) == sorted(best10)
    e.tell([(c, 0.5 + 0.01 * i) for i, c in enumerate(rescore)])
    assert e.stage == "evolve" and len(e.population) == 10
    assert [m.fitness for m in e.population] == pytest.approx([0.5 + 0.01 * i for i in range(10)])
    assert all(m.age == 0 for m in e.population)


def test_tournament_is_with_replacement_and_picks_the_best():
    e = small(tournament_size=300)
    run_until_evolve(e)
    picks = [e._tournament() for _ in range(200)]
    # 300 draws from 10 members miss the best with p = 0.9**300 ≈ 2e-14.
    assert {m.fitness for m in picks} == {e.best().fitness}
    e.tournament_size = 1
    assert len({e._tournament().candidate_id for _ in range(300)}) == 10  # uniform single draws


def run_until_evolve(e):
    while e.stage != "evolve":
        e.tell([(c, stub_fitness(c)) for c in e.ask(1000)])


def test_aging_and_replace_worst_of_oldest():
    e = small(iterations=1)
    run_until_evolve(e)
    for i, m in enumerate(e.population):
        m.fitness = 0.1 * i
        m.age = 5 if i in (3, 7) else 1  # the oldest: members 3 and 7
    (child,) = e.ask(1)
    e.tell([(child, 0.99)])
    ages = [m.age for m in e.population]
    assert e.population[3].candidate_id == child.id and e.population[3].age == 0  # worst of the oldest
    assert ages[7] == 6 and ages[0] == 2  # everyone else aged by one
    assert e.history[-1]["replaced"] is not None and e.done


def test_none_results_remutate_up_to_seven_times_then_nothing_is_replaced():
    e = small(iterations=1)
    run_until_evolve(e)
    before = [(m.candidate_id, m.age) for m in e.population]
    seen = []
    while not e.done:
        (c,) = e.ask(1)
        seen.append(c)
        e.tell([(c, None)])
    assert len(seen) == 7 and [c.attempt for c in seen] == list(range(7))
    assert len({c.parent_id for c in seen}) == 1  # always re-mutated from the same parent
    assert [m.candidate_id for m in e.population] == [cid for cid, _ in before]
    assert [m.age for m in e.population] == [a + 1 for _, a in before]


def test_a_generation_of_nan_does_not_end_the_run():
    e = small(iterations=6)
    run_until_evolve(e)
    best_before = e.best().fitness
    run(e, fitness=lambda c: math.nan, batch=4)
    assert e.done and len(e.history) == 6
    assert all(row["replaced"] is None for row in e.history)
    assert e.best().fitness == best_before


def test_nan_in_initial_stage_ranks_lowest():
    e = small()
    init = e.ask(100)
    e.tell([(c, math.nan if i % 2 else 0.3) for i, c in enumerate(init)])
    rescore = e.ask(100)
    assert all(init[c.parent_id].id % 2 == 0 for c in rescore)  # only the non-NaN ones


def test_batched_asks_and_out_of_order_tells():
    e = small(iterations=12)
    run_until_evolve(e)
    asked = e.ask(5)
    assert len(asked) == 5 and len({c.iteration for c in asked}) == 5
    e.tell([(c, stub_fitness(c)) for c in reversed(asked)])
    run(e, batch=5)
    assert len(e.history) == 12
    with pytest.raises(ValueError, match="was not asked"):
        e.tell([(asked[0], 0.5)])


def test_same_seed_same_run_and_seeds_enter_the_population():
    a = run(small(seed=3))
    b = run(small(seed=3))
    assert [m.genome.to_json() for m in a.population] == [m.genome.to_json() for m in b.population]
    assert a.history == b.history
    seeded = small(seeds=[catalog.NEUROLOSS1, catalog.A2])
    init = seeded.ask(2)
    assert init[0].genome == catalog.NEUROLOSS1 and init[1].genome == catalog.A2


def test_aging_removes_every_initial_member():
    # Each successful iteration replaces one of the oldest: after population_size of them,
    # no member of generation one is left, however fit (regularized evolution's aging).
    e = small(iterations=10)
    run_until_evolve(e)
    first = {m.candidate_id for m in e.population}
    run(e, fitness=lambda c: 0.01)  # children all worse than everyone
    assert first.isdisjoint(m.candidate_id for m in e.population)


@pytest.mark.parametrize("rule", ["code", "unflipped"])
def test_children_keep_the_phenotype_their_check_stored(rule):
    from lossevo.space.graph import phenotype

    genomes = {}

    def record(candidate):
        genomes[candidate.id] = candidate
        return stub_fitness(candidate)

    e = run(small(seed=3, iterations=30, space=GraphSpace(rule)), record)
    children = [m for m in e.population if genomes[m.candidate_id].stage == "evolve"]
    assert children
    flipped_parents = 0
    for m in children:
        parent = genomes[genomes[m.candidate_id].parent_id].genome
        carried = parent.flip if rule == "code" else False
        flipped_parents += parent.flip
        check = phenotype.check(m.genome.replace(flip=carried))
        assert check.ok and check.flip == m.genome.flip
        # The similarity test compares what the check stored (the authors' `self.phenotype`).
        np.testing.assert_array_equal(m.stored, check.phenotype)
    assert flipped_parents  # the carried flip was exercised
    for m in e.population:
        if genomes[m.candidate_id].stage != "evolve":
            assert m.stored is None  # initial genomes: their own normalised curve
