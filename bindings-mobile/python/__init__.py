"""libxmpptls for Python (uniffi): XTLS tunnels and TLS policy checks.

The API is uniffi's (the core facade's types from ``xmpptls_core``, the
objects from ``xmpptls_mobile``), plus what Python code expects of objects
that hold native memory (``close()`` and ``with``) and of an exception
(``code`` and ``detail`` on the base class, ``str()`` reading
``[code] detail``), declared so that ``mypy --strict`` sees them.
"""
from typing import TYPE_CHECKING, Any, Dict, TypeVar

from . import xmpptls_mobile as _mobile

_T = TypeVar("_T", bound="_Closeable")
_closed_classes: Dict[type, type] = {}


def _closed(cls: type) -> type:
    """The class a closed object of `cls` changes to: every public attribute
    raises ValueError (a clear error instead of a ctypes one), so open
    objects pay nothing."""
    if cls not in _closed_classes:

        def __getattribute__(self: Any, name: str) -> Any:
            if name.startswith("_") or name == "close":
                return object.__getattribute__(self, name)
            raise ValueError(f"{cls.__name__} is closed")

        _closed_classes[cls] = type(f"Closed{cls.__name__}", (cls,), {"__getattribute__": __getattribute__})
    return _closed_classes[cls]


class _Closeable:
    """``close()`` and ``with`` for a uniffi object: frees its native memory
    now instead of at garbage collection."""

    _free: Any = None
    _handle: Any

    def close(self) -> None:
        """Frees the native object; later calls raise ValueError."""
        handle = getattr(self, "_handle", None)
        if handle is not None:
            self._handle = None
            self.__class__ = _closed(type(self))
            _mobile._uniffi_rust_call(self._free, handle)  # type: ignore[no-untyped-call]

    def __enter__(self: _T) -> _T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Endpoint(_Closeable, _mobile.Endpoint):
    __doc__ = _mobile.Endpoint.__doc__
    _free = _mobile._UniffiLib.uniffi_xmpptls_mobile_fn_free_endpoint


class Policy(_Closeable, _mobile.Policy):
    __doc__ = _mobile.Policy.__doc__
    _free = _mobile._UniffiLib.uniffi_xmpptls_mobile_fn_free_policy


class PinStore(_Closeable, _mobile.PinStore):
    __doc__ = _mobile.PinStore.__doc__
    _free = _mobile._UniffiLib.uniffi_xmpptls_mobile_fn_free_pinstore

    def __init__(self) -> None:
        super().__init__()


# The error: uniffi builds its variants at run time, where type checkers do
# not see them; the declaration below says what exists (a test compares it
# with the generated class). `str()` reads "[code] detail".
if TYPE_CHECKING:

    class XmppTlsError(Exception):
        """Everything that can fail; ``code`` is stable across releases and
        bindings (1xx input, 2xx XTLS protocol, 300 TLS, 301 trust, 4xx
        limits, 5xx configuration)."""

        code: int
        detail: str

        def __init__(self, code: int, detail: str) -> None: ...

        class Input(XmppTlsError):
            """1xx: malformed XML, JID, base64, or a payload over a limit."""

        class Protocol(XmppTlsError):
            """2xx: an XTLS protocol error, or the peer refused."""

        class Tls(XmppTlsError):
            """300: TLS failed."""

        class Trust(XmppTlsError):
            """301: the peer's certificate was not accepted."""

        class Limit(XmppTlsError):
            """4xx: a configured limit was reached."""

        class Config(XmppTlsError):
            """5xx: invalid configuration, identity material or argument."""

else:
    XmppTlsError = _mobile.XmppTlsError
    XmppTlsError.__str__ = lambda self: f"[{self.code}] {self.detail}"

# What the generated code creates and checks (objects it returns, arguments
# it accepts) is these classes from now on, and the star import below (after
# the classes, so that type checkers keep these definitions) brings them.
_mobile.Endpoint = Endpoint  # type: ignore[misc]
_mobile.Policy = Policy  # type: ignore[misc]
_mobile.PinStore = PinStore  # type: ignore[misc]

from .xmpptls_core import *  # noqa: E402,F401,F403
from .xmpptls_mobile import *  # noqa: E402,F401,F403

