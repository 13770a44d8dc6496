"""coevolve: co-evolution of environment and policy programs (see README.md).

The Python API beside the command line: :func:`load_meta_policy` gives a finished run's MSNE
meta-policy as an object that samples one policy per episode and acts.
"""


def load_meta_policy(root: str, iteration: int | None = None, seed: int = 0):
    """The MSNE meta-policy of the run in ``root`` (see :mod:`coevolve.export`)."""
    from coevolve.export import load_meta_policy as load
    return load(root, iteration, seed)
