"""Designers write candidate programs: ``offline`` (AST mutation) or ``llm``.

Both satisfy :class:`coevolve.designers.base.Designer`; :func:`make_designer` picks one by name.
"""
from __future__ import annotations

from coevolve.errors import UserInputError

DESIGNERS = ("offline", "llm")


def make_designer(name: str, domain, config):
    """The designer called ``name`` for ``domain``, configured from a RunConfig."""
    if name == "offline":
        from coevolve.designers.offline import OfflineDesigner
        return OfflineDesigner(domain, config.max_mutations, config.search_steps)
    if name == "llm":
        try:
            from coevolve.designers.llm import LLMDesigner
        except ModuleNotFoundError as exc:
            if exc.name != "coevolve.designers.llm":
                raise
            raise UserInputError("the llm designer is not available in this version; "
                                 "use --designer offline") from None
        return LLMDesigner.from_config(domain, config)
    raise UserInputError(f"unknown designer {name!r} (known: {', '.join(DESIGNERS)})")
