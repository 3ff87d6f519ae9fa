"""Back-pressure from the browser: it says which frame it has drawn, so the server never runs ahead of it.

The play loop simulates weeks as fast as the chosen speed allows and sends
a new picture only once the browser has drawn the previous one. A slow
projector laptop, a busy machine or a second tab then sees fewer frames,
not a growing queue of them (which made Reset during play take seconds:
the click waited behind every frame not yet drawn).
"""

from __future__ import annotations

import time

import ipyvuetify as v
import traitlets

ACK_TIMEOUT = 2.0
"""Seconds to wait for the browser's word before drawing anyway (no browser: tests, a closed tab)."""


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

    def ready(self) -> bool:
        """Whether the browser has drawn the last frame sent, or has been silent for :data:`ACK_TIMEOUT`."""
        if self.drawn >= self.frame:
            return True
        return time.monotonic() - getattr(self, "_sent_at", 0.0) > ACK_TIMEOUT

    def sent(self, frame: int) -> None:
        """Note that ``frame`` went to the browser."""
        self._sent_at = time.monotonic()
        self.frame = frame
