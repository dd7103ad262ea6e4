"""Base class for every config section: unknown keys are errors, values are validated."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A strict config section.

    ``extra="forbid"`` makes unknown keys errors (the loader adds the closest valid key to the
    message); ``validate_assignment`` keeps ``--set`` overrides validated too.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())
