"""The exceptions smsspec raises, in one tree.

Problems in the user's input are not exceptions: they are
:class:`~smsspec.diagnostics.Diagnostic` values, collected and reported
together. Exceptions are for input that cannot be used at all and for faults
of the program or the world; the CLI turns each into one clear line and an
exit code, never a traceback::

    SmsspecError
    ├── UsageError        bad command-line input: a path that does not exist (exit 2)
    ├── ConfigError       smsspec.yaml cannot be used at all (exit 2)
    │   └── CredentialError   a credential's variable is unset, empty or unusable
    ├── ProviderError     a provider's own files (descriptor, payload template) are unusable (exit 2)
    ├── TextError         a message text that cannot render; .rule is its rule id
    └── FileChanged       fix: a file changed between reading and writing it

The ledger's errors (LedgerError, LedgerLocked, LedgerCorrupt, CommitError)
live with the ledger in :mod:`smsspec.send`, which is being rebuilt as a
package of its own; they join this tree when it lands.
"""

from __future__ import annotations

__all__ = ["ConfigError", "CredentialError", "FileChanged", "ProviderError", "SmsspecError", "TextError", "UsageError"]


class SmsspecError(Exception):
    """Base class of every exception smsspec raises on purpose."""


class UsageError(SmsspecError):
    """Bad command-line input (exit code 2)."""


class ConfigError(SmsspecError):
    """The configuration cannot be used at all (exit code 2)."""


class CredentialError(ConfigError):
    """A credential's environment variable is unset, empty, or holds what its request cannot carry."""


class ProviderError(SmsspecError):
    """A provider's own files (descriptor or payload template) cannot be used (exit code 2).

    The message names the file (with line and column where known), the rule and the field.
    """


class TextError(SmsspecError):
    """A template that cannot render; ``rule`` is the diagnostic's rule id."""

    def __init__(self, rule: str, message: str, variable: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.variable = variable


class FileChanged(SmsspecError):
    """A file changed on disk between reading and writing it."""
