"""libxmpptls for Python (uniffi): XTLS tunnels and TLS policy checks.

The API is uniffi's (the core facade's types from ``xmpptls_core``, the
objects from ``xmpptls_mobile``), plus what Python code expects of objects
that hold native memory: ``close()`` and ``with``.
"""
from . import xmpptls_mobile as _mobile
from .xmpptls_core import *  # noqa: F401,F403
from .xmpptls_mobile import *  # noqa: F401,F403


def _closeable(cls, free):
    """Gives a uniffi object close() and __enter__/__exit__. A closed object
    changes class to one whose every public attribute raises ValueError (a
    clear error instead of a ctypes one), so open objects pay nothing."""

    class Closed(cls):
        def __getattribute__(self, name):
            if name.startswith("_") or name == "close":
                return object.__getattribute__(self, name)
            raise ValueError(f"{cls.__name__} is closed")

    Closed.__name__ = Closed.__qualname__ = f"Closed{cls.__name__}"

    def close(self):
        handle = getattr(self, "_handle", None)
        if handle is not None:
            self._handle = None
            self.__class__ = Closed
            _mobile._uniffi_rust_call(free, handle)

    cls.close = close
    cls.__enter__ = lambda self: self
    cls.__exit__ = lambda self, *exc: self.close()


_closeable(Endpoint, _mobile._UniffiLib.uniffi_xmpptls_mobile_fn_free_endpoint)  # noqa: F405
_closeable(Policy, _mobile._UniffiLib.uniffi_xmpptls_mobile_fn_free_policy)  # noqa: F405
_closeable(PinStore, _mobile._UniffiLib.uniffi_xmpptls_mobile_fn_free_pinstore)  # noqa: F405
