"""Progress reporting for long runs (the app shows it as a progress bar)."""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

#: ``progress(fraction, message)``: fraction in [0, 1]; message names the stage in English.
ProgressCallback = Callable[[float, str], None]


class Progress:
    """Calls an optional callback with non-decreasing fractions and logs every stage."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self._last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        fraction = min(1.0, max(self._last, float(fraction)))
        self._last = fraction
        logger.debug("progress %.0f%%: %s", fraction * 100, message)
        if self._callback is not None:
            self._callback(fraction, message)
