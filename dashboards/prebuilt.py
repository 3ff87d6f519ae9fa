"""The next Reset's model, built in the background while the class watches this one.

Building one or two plans' runs and the baseline takes tens of
milliseconds, a good part of what a Reset costs. A model is a pure
function of its settings (same seed, same organization, same people), so
the one for the next Reset can be built as soon as the current one starts.
"""

from __future__ import annotations

import threading

from dashboards.lockstep import Lockstep
from dashboards.settings import Settings


class Prebuilt:
    """Hands out a fresh :class:`Lockstep` for some settings, and builds the next one for them ahead."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready: tuple[Settings, Lockstep] | None = None

    def take(self, settings: Settings) -> Lockstep:
        """A model at week 0 for ``settings``: the one built ahead if it is for them, else a new one."""
        with self._lock:
            ready, self._ready = self._ready, None
        return ready[1] if ready is not None and ready[0] == settings else Lockstep(settings)

    def build_ahead(self, settings: Settings) -> None:
        """Start building the next model for ``settings`` in a background thread.

        Called once the page is drawn, so the build does not compete with drawing it.
        """
        threading.Thread(target=self._build, args=(settings,), daemon=True).start()

    def _build(self, settings: Settings) -> None:
        model = Lockstep(settings)
        with self._lock:
            self._ready = (settings, model)
