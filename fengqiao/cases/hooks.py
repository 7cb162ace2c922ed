"""Registration points through which apps above cases act on cases without cases importing them.

`register_intake_hook(fn)`: `fn(case)` runs at the end of every intake, inside its transaction
(early-warning rules, fengqiao.risk). A hook must be cheap; slow work it enqueues with
`fengqiao.core.background.enqueue_with_transaction`. Register in the app's AppConfig.ready.
"""

from collections.abc import Callable
from typing import Any

IntakeHook = Callable[[Any], None]
_intake_hooks: list[IntakeHook] = []


def register_intake_hook(fn: IntakeHook) -> None:
    if fn not in _intake_hooks:
        _intake_hooks.append(fn)


def run_intake_hooks(case: Any) -> None:
    for fn in _intake_hooks:
        fn(case)
