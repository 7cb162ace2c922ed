"""Key rotation: re-encrypt ciphertexts written under a key other than the current one."""

from django.db import transaction
from django.db.models import Model, Q

from fengqiao.registry import crypto
from fengqiao.registry.models import House, KeyPerson, Organisation, Place, Resident

BATCH = 500


def _columns(model: type[Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if f.attname.endswith("_ct")]


def rotate(*, rehash: bool = False, dry_run: bool = False) -> dict[str, int]:
    """Rows re-encrypted per model. Decrypts with whichever listed key wrote each value, so
    it can run while the application serves (each batch is its own transaction)."""
    current = f"{crypto.keyring().current}$"
    counts: dict[str, int] = {}
    for model in (Resident, House, Place, Organisation, KeyPerson):
        cols = _columns(model)
        stale = Q()
        for c in cols:
            stale |= Q(**{f"{c}__gt": ""}) & ~Q(**{f"{c}__startswith": current})
        qs = (
            model._default_manager.all()
            if rehash and model is Resident
            else model._default_manager.filter(stale)
        )
        if dry_run:
            counts[model._meta.label] = qs.count()
            continue
        done, last = 0, 0
        while True:
            with transaction.atomic():
                rows = list(qs.filter(pk__gt=last).select_for_update().order_by("pk")[:BATCH])
                for obj in rows:
                    for c in cols:
                        token = getattr(obj, c)
                        if token and (rehash or not token.startswith(current)):
                            setattr(obj, c, crypto.encrypt(crypto.decrypt(token)))
                    if rehash and isinstance(obj, Resident):
                        obj.id_hash = crypto.id_hash(obj.id_number)
                    obj.save(
                        update_fields=[*cols, *(["id_hash"] if isinstance(obj, Resident) else [])]
                    )
            done += len(rows)
            if len(rows) < BATCH:
                break
            last = rows[-1].pk
        counts[model._meta.label] = done
    return counts
