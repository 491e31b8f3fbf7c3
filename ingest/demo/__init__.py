"""Demo data for PuntaFina: OroCommerce and OroCRM source databases plus the CSV inputs.

    from ingest.demo import DemoTarget, generate, evolve
    manifest = generate(DemoTarget.sqlite("data"), scale=1.0, seed=42)
    changes = evolve(DemoTarget.sqlite("data"), step=1, seed=42)

See docs/DEMO_DATA.md for what is generated, the volumes, the injected dirt and the conventions.
"""
from .generate import DemoInputsError, foreign_inputs, generate, read_manifest, replaced_sources
from .target import DemoTarget

__all__ = ["DemoInputsError", "DemoTarget", "foreign_inputs", "generate", "evolve", "read_manifest", "replaced_sources"]


# Import the submodule first: importing it later would rebind the package attribute
# `evolve` from the function below to the module.
from . import evolve as _evolve_module  # noqa: E402


def evolve(target: DemoTarget | None = None, step: int = 1, seed: int = 42) -> dict:
    """Apply one simulated business day (END + step days) on top of generated sources."""
    return _evolve_module.evolve(target, step=step, seed=seed)
