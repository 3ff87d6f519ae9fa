"""Back-pressure from the browser: it says which frame it has drawn, so the server never runs ahead of it.

The play loop simulates weeks as fast as the chosen speed allows and sends
a new picture only once the browser has drawn the previous one. A slow
projector laptop, a busy machine or a second tab then sees fewer frames,
not a growing queue of them (which made Reset during play take seconds:
the click waited behind every frame not yet drawn).
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import ipyvuetify as v
import solara
import traitlets

ACK_TIMEOUT = 2.0
"""Seconds to wait for the browser's word before drawing anyway (no browser: tests, a closed tab)."""


frames = solara.reactive(0)
"""Frames sent to this page: the views that show a week read it, so each increment redraws them.

Mesa's ``update_counter`` does the same, but importing it imports all of
``mesa.visualization`` (Matplotlib, Altair): over a second of server start.
"""


class FrameAck(v.VuetifyTemplate):
    """An invisible widget: ``frame`` is set by the server, ``drawn`` by the browser once painted.

    Messages reach the browser in order, so when it paints frame N it has
    drawn every chart update sent before it; two animation frames later
    ECharts has painted them too.
    """

    template = traitlets.Unicode(
        """<template><span style="display: none"></span></template>
<script>
module.exports = {
  watch: {
    frame(value) {
      requestAnimationFrame(() => requestAnimationFrame(() => { this.drawn = value; }));
    },
  },
};
</script>"""
    ).tag(sync=True)
    frame = traitlets.Int(0).tag(sync=True)
    drawn = traitlets.Int(0).tag(sync=True)

    def __init__(self, batch: AbstractContextManager[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._batch = batch or nullcontext()
        self.shows: Any = None

    def draw(self) -> None:
        """Send a frame: one render pass for every view that shows the week.

        Each view reading :data:`frames` would otherwise get a pass of its
        own; ``batch`` (the page's render context) makes them one.
        """
        with self._batch:
            frames.value += 1

    def ready(self) -> bool:
        """Whether the browser has drawn the last frame sent, or has been silent for :data:`ACK_TIMEOUT`."""
        if self.drawn >= self.frame:
            return True
        return time.monotonic() - getattr(self, "_sent_at", 0.0) > ACK_TIMEOUT

    def sent(self, frame: int, shows: Any) -> None:
        """Note that ``frame``, showing ``shows`` (what the page is drawn from), went to the browser."""
        self._sent_at = time.monotonic()
        self.shows = shows
        self.frame = frame
