"""lossevo: neural loss function search for image classification."""

import re
from pathlib import Path

from setuptools import find_packages, setup

# One version: lossevo/version.py, which `lossevo.__version__` and the journal read too.
VERSION = re.search(
    r'__version__ = "([^"]+)"', (Path(__file__).parent / "lossevo" / "version.py").read_text()
).group(1)

# nbclient + nbformat + ipykernel: tests/test_notebooks.py executes the notebooks in CI.
# pytest-xdist: the README's full-suite command runs on two processes (2.1x faster on 2 cores).
TEST = [
    "pytest>=8",
    "pytest-xdist>=3.5",
    "hypothesis>=6.100",
    "nbclient>=0.10",
    "nbformat>=5.10",
    "ipykernel>=6.29",
]
# Ray: `lossevo.search.ray_executor` (evaluations as Ray tasks); optional, and in `dev`
# so CI runs a real local Ray cluster.
RAY = ["ray>=2.40"]

setup(
    name="lossevo",
    version=VERSION,
    description="Neural loss function search (Morgan & Hougen) for TensorFlow/Keras 3",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",  # ProcessPoolExecutor(max_tasks_per_child)
    packages=find_packages(include=["lossevo", "lossevo.*"]),
    install_requires=[
        # Plain `tensorflow`: on Linux the same wheel runs on CPU and, with CUDA present
        # (Colab, or the `gpu` extra below), on GPU. Keras 3 is its default from 2.16.
        "tensorflow>=2.16,<3",
        "keras>=3.0",
        "tensorflow-datasets>=4.9",
        # tensorflow-datasets imports importlib_resources on every Python but declares it only
        # for Python < 3.9 (tensorflow/datasets#11212); etils stopped bringing it in 1.14.
        "importlib_resources>=6",
        "numpy>=1.26",
        "scipy>=1.11",
        "sympy>=1.12",
        "matplotlib>=3.8",
        "absl-py>=2.0",
        "tensorboard>=2.16",
        "tqdm>=4.60",
    ],
    extras_require={
        "gpu": ["tensorflow[and-cuda]>=2.16,<3"],
        "ray": RAY,
        "test": TEST,
        "dev": [*TEST, *RAY, "ruff>=0.6"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
