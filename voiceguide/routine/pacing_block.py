"""A ``pacing:`` block (in a routine) or a pacing file, read as
:data:`~voiceguide.routine.pacing_settings.SETTINGS` describes each key: checked by its kind,
converted to its unit, every problem at file:line:col."""

from __future__ import annotations

from yaml.nodes import Node

from ..formatting import format_seconds, shown
from . import pacing_settings
from .model import PacingValues
from .nodes import NodeReader
from .pacing_settings import Setting


class PacingReader(NodeReader):
    """:class:`NodeReader` that also reads pacing blocks."""

    def pacing(self, node: Node, what: str = "pacing") -> PacingValues:
        """The ``pacing:`` keys (also a pacing file's), each checked and converted as its
        kind in :data:`~voiceguide.routine.pacing_settings.SETTINGS` says (units there)."""
        fields = self.mapping(node, pacing_settings.KEYS, what)
        values: dict[str, object] = {}
        for key, (_, value_node) in fields.items():
            before = len(self.diagnostics)
            value = self._setting(pacing_settings.BY_KEY[key], value_node)
            if len(self.diagnostics) == before and value is not None:
                values[key] = value
        return pacing_settings.pacing_values(values)

    def _setting(self, setting: Setting, node: Node) -> object:
        """One pacing setting's value, checked by its kind; messages name it by its key."""
        key, kind = setting.key, setting.kind
        if kind == "choice":
            return self._choice(node, key, setting.choices, unlisted=setting.unlisted)
        if kind == "integer":
            return self.integer(node, f"pacing {key}", *setting.whole_bounds())
        if kind == "number":
            return self._scale(node, setting)
        if kind == "pattern":
            return self._pattern(node, f"pacing {key}")
        if kind == "countdown":
            return self._countdown_setting(node, setting)
        if kind == "flag":
            return self.boolean(node, f"pacing {key}")
        if kind == "text":
            return self.text(node, f"pacing {key}")
        if kind == "seconds":
            return self._whole_seconds(node, setting)
        return self._target_duration(node, setting)

    def _scale(self, node: Node, setting: Setting) -> float | None:
        value = self.scalar(node)
        low, high = setting.minimum, setting.maximum
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (
                low is not None and high is not None and low <= value <= high  # false for nan too
            )
        ):
            self.error(node, f"{setting.key} must be a number from {low} to {high}, got {shown(value)}")
            return None
        return float(value)

    def _countdown_setting(self, node: Node, setting: Setting) -> int | None:
        if self._off(node):
            return pacing_settings.OFF
        return self.integer(node, f"pacing {setting.key}", *setting.whole_bounds())

    def _off(self, node: Node) -> bool:
        """Whether ``node`` says "off" (YAML 1.1 reads a plain ``off`` as false)."""
        return self.scalar(node) in ("off", False)

    def _whole_seconds(self, node: Node, setting: Setting) -> int | None:
        """Whole seconds (the lead-in: "starting in 3, 2, 1" counts them); "3s" is 3."""
        ms = self.duration(node, setting.key)
        if ms is None:
            return None
        low, high = setting.whole_bounds()
        if ms % 1000 or not low * 1000 <= ms <= high * 1000:
            self.error(node, f"{setting.key} must be whole seconds from {low} to {high}")
            return None
        return ms // 1000

    def _target_duration(self, node: Node, setting: Setting) -> int | None:
        """A length to fit to, or "off" (:data:`~voiceguide.routine.pacing_settings.OFF`:
        not fitted, whatever a lower layer says)."""
        if self._off(node):
            return pacing_settings.OFF
        ms = self.duration(node, setting.key)
        low, _ = setting.whole_bounds()  # the highest is every duration's (self.duration)
        if ms is not None and ms < low:
            self.error(node, f"{setting.key} must be at least {format_seconds(low)}")
            return None
        return ms
