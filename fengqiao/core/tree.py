"""Trees kept as materialized paths ("/1/4/9/": the ids from the root down), as regions and case
categories are: a subtree is one indexed prefix test."""

from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr

# The mixin is used with models.Model (declared second in the model's bases); type checkers see it
# as a model so that `pk`, `save` and the managers are known.
if TYPE_CHECKING:
    _Model = models.Model
else:
    _Model = object


class PathTree(_Model):
    """Mixin for a model with a `parent` foreign key to itself and a `path` field: every save
    sets the row's path and, when the row moved, rewrites its whole subtree's paths.

    One transaction: the row, its reference-data generation bump and the subtree's new paths
    commit together, so no process caches half of a move."""

    parent: Any
    parent_id: int | None
    path: str

    def save(self, *args: Any, **kwargs: Any) -> None:
        with transaction.atomic():
            if self.pk is None:
                super().save(*args, **kwargs)
                kwargs = {k: v for k, v in kwargs.items() if k != "force_insert"}
            new_path = (self.parent.path if self.parent_id else "/") + f"{self.pk}/"
            if new_path == self.path:
                super().save(*args, **kwargs)
                return
            old_path, self.path = self.path, new_path
            super().save(*args, **kwargs)
            if old_path:
                type(self)._base_manager.filter(path__startswith=old_path).exclude(
                    pk=self.pk
                ).update(path=Concat(Value(new_path), Substr("path", len(old_path) + 1)))
                self.subtree_moved(old_path)

    def subtree_moved(self, old_path: str) -> None:
        """Called inside the move's transaction once the subtree's paths are rewritten: a
        model whose path is copied elsewhere queues the copies' rewrite here."""
