"""The sizes of a smoke run (`--small` in every launcher): one rule, so that every smoke
run learns visibly on the offline synthetic data.

A smoke run trains 10% of a recipe's steps (`SMOKE_SCALE`; the ConvNet surrogate's 8,000
become 800) at batch 32 (`SMOKE_BATCH`). Fewer steps show nothing: with BatchNorm's
moving statistics (momentum 0.99) still far from the data's after a few hundred steps,
validation accuracy stays at chance while training accuracy climbs (measured on the
synthetic set: the ConvNet with cross-entropy at batch 128 validates 0.11 after 240 steps
and 0.33 after 400; at batch 32, 0.31 after 400 and 0.53 after 800).
"""

from __future__ import annotations

from lossevo.training import recipes as recipes_lib

SMOKE_SCALE = 0.1
SMOKE_BATCH = 32


def smoke_steps(recipe: recipes_lib.Recipe) -> int:
    """A smoke run's steps of `recipe`."""
    return max(10, round(recipe.steps * SMOKE_SCALE))


def smoke_recipe(recipe: recipes_lib.Recipe | str) -> recipes_lib.Recipe:
    """`recipe` at smoke sizes (`recipes.scaled`: warm-up and schedule shrink alike)."""
    recipe = recipes_lib.get(recipe) if isinstance(recipe, str) else recipe
    return recipes_lib.scaled(recipe, smoke_steps(recipe), SMOKE_BATCH)
