"""Why a value was refused, in a form each edge can say in its own words.

The API answers with the English sentence (``str()``), as it always has; the console looks
the ``code`` up in its own words, Arabic or English, and fills in the ``params`` (the field,
the value typed) as a person reads them: a weekday by its name, a typed value isolated.
"""

from __future__ import annotations


class Refusal(ValueError):
    """A ``ValueError`` that names its reason: ``code`` for the words, ``params`` for the
    parts, ``template`` for the English sentence the API gives (``template.format(**params)``)."""

    def __init__(self, code: str, template: str, **params: object) -> None:
        self.code = code
        self.template = template
        self.params = params
        super().__init__(template.format(**params))


def found_in(exc: BaseException | None) -> Refusal | None:
    """The refusal behind ``exc``: itself, or what it was raised from (a service wraps the
    domain's refusal in its own error with ``raise … from``)."""
    for _ in range(5):  # a chain is a few links long; never follow a cycle
        if exc is None or isinstance(exc, Refusal):
            return exc
        exc = exc.__cause__
    return None
