"""What follows a move of a region (its path changed) or of a grid (to another community).

Records above the territory copy places (cases keep their community, street, district and
path). Those apps register here, in their AppConfig.ready, a background task taking
`region_id=` or `grid_id=`; a committed move queues every registered task.
"""

from typing import Any

from fengqiao.core.background import enqueue_with_transaction

_MOVE_TASKS: list[Any] = []


def register_move_task(move_task: Any) -> None:
    if move_task not in _MOVE_TASKS:
        _MOVE_TASKS.append(move_task)


def queue_moved(*, region_id: int | None = None, grid_id: int | None = None) -> None:
    """Queue, on commit, every registered task for the moved region or grid."""
    if (region_id is None) == (grid_id is None):
        raise ValueError("name exactly one of region_id and grid_id")
    for move_task in _MOVE_TASKS:
        if region_id is not None:
            enqueue_with_transaction(move_task, region_id=region_id)
        else:
            enqueue_with_transaction(move_task, grid_id=grid_id)
