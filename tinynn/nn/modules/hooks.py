"""``RemovableHandle``: what ``register_forward_hook`` returns, to take the hook off again."""
from __future__ import annotations

import itertools
import weakref


class RemovableHandle:
    """Removes one hook from the dict(s) it was registered in: ``handle.remove()``.

    Also a context manager: ``with module.register_forward_hook(fn): ...``
    removes the hook when the block ends.
    """

    _next_id = itertools.count()

    def __init__(self, hooks_dict: dict, *, extra_dict: dict | None = None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.extra_dict_ref = weakref.ref(extra_dict) if extra_dict is not None else None
        self.id = next(RemovableHandle._next_id)

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        for ref in (self.hooks_dict_ref, self.extra_dict_ref):
            hooks = ref() if ref is not None else None
            if hooks is not None:
                hooks.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<RemovableHandle id={self.id}>"
