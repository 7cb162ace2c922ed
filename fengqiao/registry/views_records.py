"""The registry desk: detail and edit pages of residents, houses, households (with their
members), places, organisations and X-extension records; scoped like the lists (404 outside
the area), personal fields masked unless the role may see them (each read logged)."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import InvalidInput
from fengqiao.core.masking import batched_sensitive_reads
from fengqiao.registry import records, services
from fengqiao.registry.importing import CHOICES
from fengqiao.registry.models import (
    ExtraRecord,
    House,
    Household,
    IdType,
    PlaceKind,
    RegistryKind,
    Resident,
    Sex,
)


def _access(request: HttpRequest, perm: str = Perm.REGISTRY_VIEW) -> Access:
    access = access_for(request.user)
    if not access.has_perm(perm):
        raise PermissionDenied
    return access


def _spec(kind: str) -> records.Spec:
    spec = records.SPECS.get(kind)
    if spec is None:
        raise Http404
    return spec


def _get(access: Access, model: Any, pk: int, perm: str = Perm.REGISTRY_VIEW) -> Any:
    try:
        return services.get(access, model, pk, perm)
    except services.RecordNotFound:
        raise Http404 from None


def _display(obj: Any, spec: records.Spec, f: records.Field, access: Access, full: bool) -> str:
    if f.type == "phone":
        return services.disclosed(access, obj, f.name, allowed=full)
    if f.type == "choice":
        return str(getattr(obj, f"get_{f.name}_display")())
    value = getattr(obj, f.name)
    if f.type == "bool":
        return "✓" if value else "—"
    return "" if value is None else str(value)


def _extension_rows(obj: Any, spec: records.Spec) -> list[tuple[str, Any]]:
    defs = records.extension_fields(spec, getattr(obj, "kind_id", None))
    labels = {d.code: d.label for d in defs}
    return [(labels.get(k, k), v) for k, v in (obj.extra or {}).items()]


@login_required
def record(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    spec = _spec(kind)
    access = _access(request)
    obj = _get(access, spec.model, pk)
    full = services.may_see_sensitive(access, obj)
    with batched_sensitive_reads():
        rows = [(records.label(spec, f), _display(obj, spec, f, access, full)) for f in spec.fields]
    members: list[Resident] = []
    households: list[Household] = []
    if isinstance(obj, Household):
        members = list(
            services.visible(access, Resident).filter(household=obj).order_by("id")[:200]
        )
    if isinstance(obj, House):
        households = list(services.visible(access, Household).filter(house=obj).order_by("id"))
        members = list(services.visible(access, Resident).filter(house=obj).order_by("id")[:200])
    return render(
        request,
        "registry/record.html",
        {
            "obj": obj,
            "spec": spec,
            "verbose": spec.model._meta.verbose_name,
            "rows": rows,
            "extension": _extension_rows(obj, spec),
            "members": members,
            "households": households,
            "may_edit": access.holds(obj, Perm.REGISTRY_EDIT),
        },
    )


def _form_rows(
    spec: records.Spec, obj: Any, form: Any, errors: dict[str, list[str]], access: Access
) -> list[dict[str, Any]]:
    out = []
    for f in spec.fields:
        if form:
            value = form.get(f.name, "")
        elif obj is not None and f.type != "phone":
            raw = getattr(obj, f.name)
            value = getattr(raw, "pk", raw)
            value = "" if value is None else str(value)
        else:
            value = ""
        options: list[tuple[str, str]] = []
        if f.type == "choice":
            options = records.choices(spec, f)
        elif f.type == "place_kind":
            options = [(str(k.pk), k.name) for k in PlaceKind.objects.filter(active=True)]
        elif f.type == "house":
            options = [
                (str(h.pk), h.address)
                for h in services.visible(access, House, Perm.REGISTRY_EDIT).order_by("id")[:300]
            ]
        out.append(
            {
                "name": f.name,
                "label": records.label(spec, f),
                "type": f.type,
                "value": value,
                "checked": str(value).lower() in ("true", "1", "on"),
                "options": options,
                "required": f.required,
                "errors": errors.get(f.name, []),
                "kept": f.type == "phone" and obj is not None,
            }
        )
    return out


def _extension_form(
    defs: list[Any], obj: Any, form: Any, errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    current = (obj.extra or {}) if obj is not None else {}
    return [
        {
            "code": d.code,
            "label": d.label,
            "type": d.type,
            "choices": d.choices,
            "required": d.required,
            "value": form.get(f"extra.{d.code}", "") if form else current.get(d.code, ""),
            "errors": errors.get(f"extra.{d.code}", []),
        }
        for d in defs
    ]


def _posted(request: HttpRequest, names: list[str], defs: list[Any]) -> dict[str, Any]:
    data: dict[str, Any] = {n: request.POST.get(n, "") for n in names}
    data["extra"] = {
        d.code: request.POST[f"extra.{d.code}"]
        for d in defs
        if request.POST.get(f"extra.{d.code}", "").strip()
    }
    return data


def _grids(access: Access) -> Any:
    return access.grids(Perm.REGISTRY_EDIT).select_related("community").order_by("code")[:500]


@login_required
@require_http_methods(["GET", "POST"])
def record_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    spec = _spec(kind)
    access = _access(request, Perm.REGISTRY_EDIT)
    obj = _get(access, spec.model, pk, Perm.REGISTRY_EDIT) if pk is not None else None
    kind_id: int | None = getattr(obj, "kind_id", None) if spec.model is ExtraRecord else None
    if spec.model is ExtraRecord and obj is None:
        kind_id = services._int(request.POST.get("kind") or request.GET.get("kind"))
    defs = records.extension_fields(spec, kind_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        names = [f.name for f in spec.fields] + ["grid"]
        if spec.model is ExtraRecord and obj is None:
            names.append("kind")
        data = _posted(request, names, defs)
        for f in spec.fields:
            if f.type == "bool":
                data[f.name] = bool(request.POST.get(f.name))
        try:
            saved = records.save_record(request.user, spec, data, obj)
        except services.RecordNotFound:
            raise Http404 from None
        except InvalidInput as e:
            errors = e.as_dict()
        else:
            return redirect("registry:record", kind, saved.pk)
    form: Any = request.POST if request.method == "POST" else None
    return render(
        request,
        "registry/record_form.html",
        {
            "obj": obj,
            "spec": spec,
            "rows": _form_rows(spec, obj, form, errors, access),
            "extension": _extension_form(defs, obj, form, errors),
            "grids": _grids(access),
            "grid_value": (form or {}).get("grid", "")
            or (str(obj.grid_id) if obj is not None else request.GET.get("grid", "")),
            "kinds": RegistryKind.objects.filter(base="", active=True)
            if spec.model is ExtraRecord and obj is None
            else [],
            "kind_value": str(kind_id or ""),
            "errors": errors,
        },
    )


# -- residents ----------------------------------------------------------------------------------

RESIDENT_FORM = [
    ("name", "text"),
    ("kind", "choice"),
    ("left_behind", "choice"),
    ("sex", "choice"),
    ("birth_date", "date"),
    ("id_type", "choice"),
    ("id_number", "secret"),
    ("phone", "secret"),
    ("health", "secret"),
    ("ethnicity", "text"),
    ("native_place", "text"),
    ("education", "text"),
    ("occupation", "text"),
    ("workplace", "text"),
    ("registered_address", "text"),
    ("current_address", "text"),
    ("inflow_reason", "text"),
    ("arrived_on", "date"),
    ("permit_number", "text"),
    ("household", "household"),
    ("relation_to_head", "text"),
    ("house", "house"),
    ("ended_on", "date"),
]
_CHOICES = {
    "kind": Resident.Kind.choices,
    "left_behind": Resident.LeftBehind.choices,
    "sex": Sex.choices,
    "id_type": IdType.choices,
}
assert set(_CHOICES) <= set(CHOICES)
_SECRET_LABELS = {
    "id_number": lambda: gettext("ID number"),
    "phone": lambda: gettext("Phone"),
    "health": lambda: gettext("Health"),
}


@login_required
@require_http_methods(["GET", "POST"])
def resident_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or change a resident. ID number, phone and health are never put in the form in
    clear: left empty on an edit they keep their value."""
    from fengqiao.registry.extensions import fields_for_base
    from fengqiao.registry.models import Base

    access = _access(request, Perm.REGISTRY_EDIT)
    obj = _get(access, Resident, pk, Perm.REGISTRY_EDIT) if pk is not None else None
    defs = fields_for_base(Base.RESIDENT)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = _posted(request, [n for n, _t in RESIDENT_FORM] + ["grid"], defs)
        if obj is not None:
            for name, kind in RESIDENT_FORM:
                if kind == "secret" and not data[name].strip():
                    del data[name]
        try:
            saved = services.save_resident(request.user, data, obj)
        except services.RecordNotFound:
            raise Http404 from None
        except InvalidInput as e:
            errors = e.as_dict()
        else:
            return redirect("registry:resident", saved.pk)
    form: Any = request.POST if request.method == "POST" else None
    grid_value = (form or {}).get("grid", "") or (
        str(obj.grid_id) if obj is not None else request.GET.get("grid", "")
    )
    linkable = {
        "household": services.visible(access, Household, Perm.REGISTRY_EDIT),
        "house": services.visible(access, House, Perm.REGISTRY_EDIT),
    }
    rows = []
    for name, kind in RESIDENT_FORM:
        if form is not None:
            value = form.get(name, "")
        elif obj is not None and kind != "secret":
            raw = getattr(obj, name)
            value = "" if raw is None else str(getattr(raw, "pk", raw))
        else:
            value = request.GET.get(name, "") if name == "household" else ""
        options: list[tuple[str, str]] = []
        if kind == "choice":
            options = [(str(v), str(t)) for v, t in _CHOICES[name]]
        elif kind in linkable:
            qs = linkable[kind]
            if grid_value.isdigit():
                qs = qs.filter(grid_id=int(grid_value))
            options = [(str(o.pk), str(o)) for o in qs.order_by("id")[:300]]
        rows.append(
            {
                "name": name,
                "label": _SECRET_LABELS[name]()
                if kind == "secret"
                else str(getattr(Resident._meta.get_field(name), "verbose_name", name)),
                "type": kind,
                "value": value,
                "options": options,
                "required": name in ("name", "kind"),
                "errors": errors.get(name, []),
                "kept": kind == "secret" and obj is not None,
            }
        )
    return render(
        request,
        "registry/record_form.html",
        {
            "obj": obj,
            "resident_form": True,
            "rows": rows,
            "extension": _extension_form(defs, obj, form, errors),
            "grids": _grids(access),
            "grid_value": grid_value,
            "kinds": [],
            "errors": errors,
        },
    )
