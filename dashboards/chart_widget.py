"""A browser-drawn ECharts chart whose option travels as one JSON string.

Solara's ``EchartsWidget`` syncs the option as a nested dict: every frame,
ipywidgets walks each of its numbers looking for binary buffers, and the
renderer compares it number by number (the network alone is some 10,000
numbers). Serialized once with the C encoder, the option is one string to
compare and send; the browser parses it with ``JSON.parse``. The library
is ECharts' minified build, which the browser parses in a fraction of the time.
"""

from __future__ import annotations

import json
from typing import Any

import ipyvuetify as v
import traitlets

ECHARTS_VERSION = "5.4.0"
"""The ECharts release Solara 1.64 ships; ``dashboards.assets`` puts it in the CDN proxy's cache."""


def echarts_url(cdn: str = "") -> str:
    """Where the page loads ECharts from (``cdn``: the page's CDN proxy prefix)."""
    return f"{cdn}/echarts@{ECHARTS_VERSION}/dist/echarts.min.js"


class ChartWidget(v.VuetifyTemplate):
    """One chart: set :attr:`option` (a dict) and the browser redraws it if it changed."""

    template = traitlets.Unicode(
        """<template>
  <div ref="echarts" class="solara-echarts" v-bind="attributes"></div>
</template>
<script>
module.exports = {
  mounted() {
    // the module requirejs loaded once for the page (echarts_url)
    const url = `${window.solara.cdn}/echarts@${this.version}/dist/echarts.min.js`;
    window.requirejs(
      [url],
      (echarts) => {
        this.chart = echarts.init(this.$refs.echarts);
        this.draw();
      },
      () => { this.drawn = true; },  // no chart to wait for: the rest of the page comes anyway
    );
    this.resizeObserver = new ResizeObserver(() => this.chart && this.chart.resize());
    this.resizeObserver.observe(this.$refs.echarts);
  },
  beforeUnmount() {
    this.resizeObserver.disconnect();
  },
  beforeDestroy() {
    this.resizeObserver.disconnect();
  },
  watch: {
    spec() {
      this.draw();
    },
  },
  methods: {
    draw() {
      if (this.chart && this.spec) {
        // notMerge: the option is whole, so nothing of the previous one lingers
        this.chart.setOption(JSON.parse(this.spec), true);
        if (!this.drawn) {
          requestAnimationFrame(() => { this.drawn = true; });
        }
      }
    },
  },
};
</script>"""
    ).tag(sync=True)
    spec = traitlets.Unicode("").tag(sync=True)
    drawn = traitlets.Bool(False).tag(sync=True)
    """Set by the browser once the chart is on screen (or ECharts could not be loaded)."""
    version = traitlets.Unicode(ECHARTS_VERSION).tag(sync=True)
    attributes = traitlets.Dict().tag(sync=True)

    @property
    def option(self) -> dict[str, Any]:
        """The option drawn, as a dict (parsed back from what was sent)."""
        return json.loads(self.spec) if self.spec else {}

    @option.setter
    def option(self, option: dict[str, Any]) -> None:
        spec = json.dumps(option, separators=(",", ":"), allow_nan=False)
        if spec != self.spec:
            self.spec = spec
