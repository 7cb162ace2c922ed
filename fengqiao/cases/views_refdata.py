"""The administrator's pages for the reference data of cases (/reference/): the category tree
and the routing rules, listed, added, edited and deactivated in the platform's look. Every
change goes through fengqiao.cases.refedit; anyone but an administrator gets 404."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fengqiao.accounts.access import access_for
from fengqiao.cases import refedit
from fengqiao.cases.models import Category, RoutingRule
from fengqiao.core.inputs import is_ascii_digits


def _admin(request: HttpRequest) -> None:
    if not refedit.may_edit(request.user):
        raise Http404


class CategoryChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A category shown indented under its parent, marked when inactive."""

    def label_from_instance(self, obj: Any) -> str:
        depth = max(len(obj.ancestor_ids) - 1, 0)
        suffix = "" if obj.active else _(" (inactive)")
        return "　" * depth + f"{obj.name}{suffix}"


class CategoryForm(forms.ModelForm[Category]):
    class Meta:
        model = Category
        fields = list(refedit.CATEGORY_FIELDS)
        field_classes = {"parent": CategoryChoice}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parent = self.fields["parent"]
        assert isinstance(parent, forms.ModelChoiceField)
        parent.queryset = Category.objects.order_by("family", "path")


class RuleForm(forms.ModelForm[RoutingRule]):
    class Meta:
        model = RoutingRule
        fields = list(refedit.RULE_FIELDS)
        field_classes = {"category": CategoryChoice}

    def __init__(self, *args: Any, access: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = {
            "category": Category.objects.order_by("family", "path"),
            "region": access.regions(refedit.PERM).order_by("path"),
            "target_unit": access.units(refedit.PERM).order_by("name"),
        }
        for name, qs in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = qs


def _tree(rows: list[Category]) -> list[dict[str, Any]]:
    """Categories nested under their parents, siblings in the model's order."""
    children: dict[int | None, list[Category]] = {}
    for c in rows:
        children.setdefault(c.parent_id, []).append(c)

    def nodes(parent_id: int | None) -> list[dict[str, Any]]:
        return [{"category": c, "children": nodes(c.pk)} for c in children.get(parent_id, [])]

    return nodes(None)


def _save(request: HttpRequest, form: forms.ModelForm[Any], action: Any, *args: Any) -> Any:
    """Run the action with the form's values; its refusals become the form's field errors."""
    fields = form.Meta.fields  # type: ignore[attr-defined]
    try:
        return action(request.user, *args, **{f: form.cleaned_data[f] for f in fields})
    except ValidationError as exc:
        form.add_error(None, exc)
    except PermissionDenied:
        raise Http404 from None
    return None


@login_required
def categories(request: HttpRequest) -> HttpResponse:
    _admin(request)
    rows = list(Category.objects.all())
    families = [
        {"label": label, "nodes": _tree([c for c in rows if c.family == value])}
        for value, label in Category.Family.choices
    ]
    return render(request, "cases/refdata/categories.html", {"families": families})


@login_required
@require_http_methods(["GET", "POST"])
def category_new(request: HttpRequest) -> HttpResponse:
    _admin(request)
    initial = {}
    wanted = request.GET.get("parent", "")
    parent = (
        Category.objects.filter(pk=int(wanted[:9])).first() if is_ascii_digits(wanted[:9]) else None
    )
    if parent is not None:
        initial = {"parent": parent, "family": parent.family, "kind": parent.kind}
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        category = _save(request, form, refedit.create_category)
        if category is not None:
            messages.success(request, _("Category %(name)s added.") % {"name": category.name})
            return redirect("refdata:categories")
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/refdata/category_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    category = get_object_or_404(Category, pk=pk)
    form = CategoryForm(request.POST or None, instance=Category.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, refedit.update_category, category)
        if saved is not None:
            messages.success(request, _("Category %(name)s saved.") % {"name": saved.name})
            return redirect("refdata:categories")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "category": category}
    return render(request, "cases/refdata/category_form.html", context, status=status)


@login_required
@require_POST
def category_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    category = get_object_or_404(Category, pk=pk)
    try:
        refedit.deactivate_category(request.user, category)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Category %(name)s deactivated.") % {"name": category.name})
    return redirect("refdata:categories")


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    _admin(request)
    rows = RoutingRule.objects.select_related(
        "category", "region", "channel", "target_unit"
    ).order_by("-active", "order", "id")
    return render(request, "cases/refdata/rules.html", {"rules": rows})


@login_required
@require_http_methods(["GET", "POST"])
def rule_new(request: HttpRequest) -> HttpResponse:
    _admin(request)
    form = RuleForm(request.POST or None, access=access_for(request.user))
    if request.method == "POST" and form.is_valid():
        rule = _save(request, form, refedit.create_rule)
        if rule is not None:
            messages.success(request, _("Routing rule %(name)s added.") % {"name": rule})
            return redirect("refdata:rules")
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/refdata/rule_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    rule = get_object_or_404(RoutingRule, pk=pk)
    form = RuleForm(
        request.POST or None,
        instance=RoutingRule.objects.get(pk=pk),
        access=access_for(request.user),
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, refedit.update_rule, rule)
        if saved is not None:
            messages.success(request, _("Routing rule %(name)s saved.") % {"name": saved})
            return redirect("refdata:rules")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "rule": rule}
    return render(request, "cases/refdata/rule_form.html", context, status=status)


@login_required
@require_POST
def rule_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    rule = get_object_or_404(RoutingRule, pk=pk)
    try:
        refedit.deactivate_rule(request.user, rule)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Routing rule %(name)s deactivated.") % {"name": rule})
    return redirect("refdata:rules")
