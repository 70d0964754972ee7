"""Typed procedures as the knowledge-base files describe them (format in shared/CONTRACT.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Material(_Strict):
    """One required material: name, number of copies, and a note on format."""

    name: str = Field(min_length=1)
    copies: int | None = Field(default=None, ge=1)
    note: str | None = None


class Faq(_Strict):
    """A frequently asked question about a procedure and its answer."""

    q: str = Field(min_length=1)
    a: str = Field(min_length=1)


def _materials(value: object) -> object:
    if isinstance(value, list):
        return [{"name": item} if isinstance(item, str) else item for item in value]
    return value


class ProcedureText(_Strict):
    """The text of a procedure in one language."""

    title: str = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)
    department: str = Field(min_length=1)
    basis: str = Field(min_length=1)
    materials: list[Material]
    steps: list[str]
    time_limit: str = Field(min_length=1)
    fee: str = Field(min_length=1)
    location: str = Field(min_length=1)
    hours: str = Field(min_length=1)
    phone: str = Field(min_length=1)
    faq: list[Faq] = Field(default_factory=list)
    questions: list[str] = Field(default_factory=list)

    _normalise_materials = field_validator("materials", mode="before")(_materials)

    @field_validator("keywords", "steps", "questions")
    @classmethod
    def _no_blank_items(cls, value: list[str]) -> list[str]:
        if any(not item for item in value):
            raise ValueError("empty item in list")
        return value


class Procedure(ProcedureText):
    """A procedure: Chinese text at the top level, English under `en`."""

    id: str = Field(pattern=ID_PATTERN)
    keywords: list[str]
    en: ProcedureText

    def text(self, lang: str) -> ProcedureText:
        """The procedure's text in `lang` (zh or en)."""
        return self.en if lang == "en" else self
