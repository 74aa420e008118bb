"""Django admin for the sector's reference data and the user accounts (with their
membership), and the machinery every app's admin shares:

- saves go through the service functions (``ServiceAdminMixin.service``), so that
  history rows carry the user and the reason and every rule is enforced;
- a service's refusal (PermissionDenied, TransitionNotAllowed, StaleVersion or a
  ValidationError) never becomes a 500: the whole save is rolled back and the form
  comes back with the user's input, the error on it and an error message;
- the version the user read travels in a hidden field, so a concurrent change is
  refused instead of silently overwritten;
- every save and every deletion carries the reason the user typed (required, like on
  the pages and the API: artisanat.services.require_reason): the change form's
  ``change_reason``, the deletion confirmations' (one row or the selected rows), and
  for inline rows deleted or changed with their parent, the parent form's reason.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from artisanat import permissions
from artisanat.choices import MINISTRY_ROLES
from artisanat.db_rules import STAFF_MESSAGE
from artisanat.exceptions import StaleVersion, TransitionNotAllowed
from artisanat.forms import DeleteForm, ReasonMixin, reason_field
from artisanat.history_author import history_author
from artisanat.models import DataVersion, Filiere, IdempotencyKey, Membership, Organisation, Region
from artisanat.security_log import security_event
from artisanat.services import check_version, delete_with_history, lock, require_reason

admin.site.site_header = _("Artisanat 2030 — administration")
admin.site.site_title = _("Artisanat 2030 — administration")
admin.site.index_title = _("Administration du portail")

#: What a service may raise when it refuses a change; the admin reports these.
SERVICE_ERRORS = (PermissionDenied, TransitionNotAllowed, StaleVersion, ValidationError)


def error_text(exc):
    """A readable sentence for a service's refusal."""
    if isinstance(exc, ValidationError):
        return " ".join(str(message) for message in exc.messages)
    return str(exc) or gettext("Opération refusée.")


class ServiceRefused(Exception):
    """A service refused a save made from the admin. ``on_form`` tells whether the
    refused object is the page's main object (its field errors then go on its fields)
    or an inline row (the error is shown above the form)."""

    def __init__(self, error, *, on_form=True, label=""):
        self.error = error
        self.on_form = on_form
        text = error_text(error)
        super().__init__(f"{label} : {text}" if label else text)


def _refused_form(form_class, refusal):
    """``form_class`` made invalid by ``refusal``, to show the page again with the input."""

    class RefusedForm(form_class):
        def clean(self):
            cleaned = super().clean()
            error = refusal.error
            if refusal.on_form and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
            else:
                self.add_error(None, str(refusal))
            return cleaned

    RefusedForm.__name__ = form_class.__name__
    return RefusedForm


class ServiceForm(ReasonMixin, forms.ModelForm):
    """Admin form of a tracked model: the reason recorded in its history (required, to
    create as to change) and the version read."""

    change_reason = reason_field(_("Motif de la modification"))
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["expected_version"].initial = getattr(self.instance, "version", None)


class InlineServiceForm(forms.ModelForm):
    """Inline row of a tracked model: only the version read (the reason is the parent's)."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["expected_version"].initial = getattr(self.instance, "version", None)


class ReadOnlyAdminMixin:
    """Rows the database keeps by itself (triggers): read in the admin, never written."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SelectRelatedMixin:
    """Every queryset of the admin class (change list, change form, inline rows,
    autocomplete answers) follows ``list_select_related``, so that ``__str__`` never
    issues one query per row."""

    list_select_related = ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        related = self.list_select_related
        if isinstance(related, list | tuple) and related:
            queryset = queryset.select_related(*related)
        return queryset


class ServiceAdminMixin(SelectRelatedMixin):
    """Saves (main object and inline rows) through a service function.

    ``service`` is ``service(obj, *, by, reason, expected_version)``; ``None`` means
    a plain save that still records the user and the reason in the history."""

    service = None
    form = ServiceForm
    _FORM_TAIL = ("change_reason", "expected_version")
    delete_confirmation_template = "admin/service_delete_confirmation.html"
    delete_selected_confirmation_template = "admin/service_delete_selected_confirmation.html"

    # -- the reason written in the history ------------------------------------------
    @staticmethod
    def history_reason(form, obj=None, *, deleting=False):
        """The reason the user typed on ``form`` (the change form's, required there)."""
        if form is not None and hasattr(form, "cleaned_data"):
            return (form.cleaned_data.get("change_reason") or "").strip()
        return ""

    def _expected_version(self, request, form):
        if form is None or not hasattr(form, "cleaned_data"):
            return None
        return form.cleaned_data.get("expected_version")

    def save_through_service(self, request, obj, *, reason, expected_version=None):
        """Save ``obj`` the way its own admin saves it; raises ServiceRefused."""
        try:
            if self.service is None:
                if obj.pk is not None:
                    reason = require_reason(reason)
                obj._history_user = request.user
                obj._change_reason = reason
                obj.save()
                return obj
            return self.service(obj, by=request.user, reason=reason, expected_version=expected_version)
        except SERVICE_ERRORS as exc:
            raise ServiceRefused(exc) from exc

    # -- ModelAdmin hooks -------------------------------------------------------------
    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        tail = [name for name in self._FORM_TAIL if name in fields]
        return [name for name in fields if name not in tail] + tail

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_admin_refusal", None)
        return _refused_form(form_class, refusal) if refusal is not None else form_class

    def save_model(self, request, obj, form, change):
        self.save_through_service(
            request,
            obj,
            reason=self.history_reason(form, obj),
            expected_version=self._expected_version(request, form),
        )

    def delete_model(self, request, obj):
        """Delete with the reason typed on the confirmation (``request._deletion``, set by
        ``delete_view`` or the "delete selected" action), after checking the version read
        (one row's confirmation carries it); raises ServiceRefused."""
        deletion = getattr(request, "_deletion", {})
        try:
            if hasattr(obj, "version"):
                obj = lock(type(obj), obj.pk)
                check_version(obj, deletion.get("expected_version"))
            delete_with_history(obj, by=request.user, reason=deletion.get("change_reason"))
        except SERVICE_ERRORS as exc:
            raise ServiceRefused(exc) from exc

    def delete_view(self, request, object_id, extra_context=None):
        """The confirmation asks for the reason (and carries the version read): without
        one, the page comes back with the error (400) and nothing is deleted."""
        confirming = request.method == "POST"
        if confirming:
            form = DeleteForm(request.POST)
        else:
            obj = self.get_object(request, unquote(object_id))
            form = DeleteForm(initial={"expected_version": getattr(obj, "version", None)})
        status = None
        if confirming and form.is_valid():
            request._deletion = form.cleaned_data
            try:
                return super().delete_view(request, object_id, {**(extra_context or {}), "reason_form": form})
            except ServiceRefused as refused:
                data = request.POST.copy()
                current = self.model._default_manager.filter(pk=unquote(object_id)).first()
                data["expected_version"] = getattr(current, "version", "")
                form = DeleteForm(data)
                form.is_valid()
                form.add_error(None, str(refused))
                status = 409
        elif confirming:
            status = 400
        if confirming:
            request.POST = QueryDict()  # shows the confirmation again, deletes nothing
        response = super().delete_view(request, object_id, {**(extra_context or {}), "reason_form": form})
        if status is not None and response.status_code == 200:
            response.status_code = status
        return response

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _func, name, description = actions["delete_selected"]
            actions["delete_selected"] = (type(self)._delete_selected_with_reason, name, description)
        return actions

    @staticmethod
    def _delete_selected_with_reason(modeladmin, request, queryset):
        """Django's "delete selected", whose confirmation asks for the reason: without
        one, the confirmation comes back with the error (400) and nothing is deleted."""
        confirming = bool(request.POST.get("post"))
        form = DeleteForm(request.POST if confirming else None)
        if confirming and form.is_valid():
            request._deletion = {"change_reason": form.cleaned_data["change_reason"]}
            try:
                with transaction.atomic():
                    return delete_selected(modeladmin, request, queryset)
            except ServiceRefused as refused:
                modeladmin.message_user(request, str(refused), messages.ERROR)
                return None
        if confirming:
            data = request.POST.copy()
            del data["post"]
            request.POST = data
        response = delete_selected(modeladmin, request, queryset)
        if response is not None and hasattr(response, "context_data"):
            response.context_data["reason_form"] = form
            if confirming:
                response.status_code = 400
        return response

    def save_formset(self, request, form, formset, change):
        """Each new or changed inline row goes through its model's own admin (hence its
        service); deleted rows are deleted as usual."""
        row_admin = self.admin_site._registry.get(formset.model)
        if not isinstance(row_admin, ServiceAdminMixin):
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            try:
                delete_with_history(obj, by=request.user, reason=self.history_reason(form, obj, deleting=True))
            except SERVICE_ERRORS as exc:
                label = f"{obj._meta.verbose_name.capitalize()} « {obj} »"
                raise ServiceRefused(exc, on_form=False, label=label) from exc
        row_forms = {id(row_form.instance): row_form for row_form in formset.forms}
        for obj in instances:
            row_form = row_forms.get(id(obj))
            is_new = obj.pk is None
            try:
                row_admin.save_through_service(
                    request,
                    obj,
                    reason=self.history_reason(form, obj),
                    expected_version=self._expected_version(request, row_form),
                )
            except ServiceRefused as refused:
                label = obj._meta.verbose_name.capitalize()
                if not is_new:
                    label = f"{label} « {obj} »"
                raise ServiceRefused(refused.error, on_form=False, label=label) from refused
        formset.save_m2m()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            # The save ran in one transaction, now rolled back: nothing half-done.
            # Show the page again with the user's input and the error on the form.
            self.message_user(request, str(refused), messages.ERROR)
            request._admin_refusal = refused
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_queryset(self, request, queryset):
        """The change list's "delete selected": row by row, each history row with the
        user and the reason (a queryset delete would leave the reason empty)."""
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)

    # -- history: read only, and only what the user may read ---------------------------
    def _check_history_access(self, request, object_id):
        """Administrators and ministry staff read every history; anyone else (a staff
        account of a partner organisation) only that of the rows ``visible_to`` them."""
        user = request.user
        if user.is_superuser or permissions.is_ministry(user):
            return
        try:
            visible = self.model._default_manager.visible_to(user).filter(pk=unquote(object_id)).exists()
        except (ValueError, TypeError, ValidationError):
            visible = False
        if not visible:
            raise PermissionDenied

    def history_view(self, request, object_id, extra_context=None):
        self._check_history_access(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """An old version, shown read only. History is never rewritten from the product:
        simple_history's "revert" (a POST here) is refused to everyone, administrators
        included (SIMPLE_HISTORY_REVERT_DISABLED hides its button, this refuses it)."""
        if request.method != "GET":
            raise PermissionDenied
        self._check_history_access(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


class ServiceInlineMixin(SelectRelatedMixin):
    """Inline rows of a tracked model carry the version they were read at."""

    form = InlineServiceForm
    extra = 0
    show_change_link = True


# -- reference data -------------------------------------------------------------------
@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_ar")
    search_fields = ("code", "name", "name_ar")
    list_filter = ()
    ordering = ("code",)


@admin.register(Filiere)
class FiliereAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "name_ar", "arabic_is_working_translation", "priority")
    search_fields = ("code", "name", "name_ar")
    list_filter = ("priority", "arabic_is_working_translation")
    ordering = ("name",)
    prepopulated_fields = {"code": ("name",)}


@admin.register(Organisation)
class OrganisationAdmin(SelectRelatedMixin, admin.ModelAdmin):
    list_display = ("acronym", "name", "kind", "region", "active")
    search_fields = ("acronym", "name", "name_ar")
    list_filter = ("kind", "active", "region", "arabic_is_working_translation")
    list_select_related = ("region",)
    ordering = ("acronym",)


@admin.register(Membership)
class MembershipAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Memberships: saved with the author and the reason in their history (no service
    of their own: the people pages' rules are for the pages; the admin is the
    administrators')."""

    list_display = ("user", "organisation", "role", "is_focal_point")
    search_fields = (
        "user__username",
        "user__email",
        "user__first_name",
        "user__last_name",
        "organisation__acronym",
        "organisation__name",
    )
    list_filter = ("role", "is_focal_point", "organisation")
    list_select_related = ("user", "organisation")
    autocomplete_fields = ("user", "organisation")
    ordering = ("user__username",)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(SelectRelatedMixin, admin.ModelAdmin):
    """The API's stored answers to retried requests: read and purge, never written by hand."""

    list_display = ("key", "user", "status_code", "created_at")
    search_fields = ("key", "user__username")
    list_filter = ("status_code", "created_at")
    list_select_related = ("user",)
    readonly_fields = ("user", "key", "request_hash", "status_code", "response", "created_at")
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DataVersion)
class DataVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The data version the cached figures are keyed on (artisanat/data_version.py): bumped
    by database triggers at every write to the sector's data."""

    list_display = ("version", "stamp")


# -- user accounts, with their membership -----------------------------------------------
class MembershipFormSet(forms.BaseInlineFormSet):
    """A staff account that is not a superuser needs a ministry role (artisanat/db_rules.py):
    checked here, where the posted flags and the posted membership meet."""

    def clean(self):
        super().clean()
        user = self.instance
        if not user.is_staff or user.is_superuser:
            return
        roles = [
            form.cleaned_data.get("role")
            for form in self.forms
            if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
        ]
        if not any(role in MINISTRY_ROLES for role in roles):
            raise ValidationError(STAFF_MESSAGE)


class MembershipInline(admin.StackedInline):
    model = Membership
    formset = MembershipFormSet
    fk_name = "user"
    max_num = 1
    extra = 0
    can_delete = True
    autocomplete_fields = ("organisation",)
    verbose_name = _("appartenance")
    verbose_name_plural = _("appartenance (organisation et rôle)")


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


def _membership(user):
    try:
        return user.membership
    except ObjectDoesNotExist:
        return None


class ReasonFormMixin(forms.Form):
    change_reason = ServiceForm.base_fields["change_reason"]


class UserReasonChangeForm(ReasonFormMixin, UserChangeForm):
    pass


class UserReasonCreationForm(ReasonFormMixin, AdminUserCreationForm):
    pass


REASON_FIELDSET = (_("Motif"), {"fields": ("change_reason",)})


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts with their membership. Every save writes the account's and the
    membership's history with the author and the reason typed (or a generic one), and an
    activation change is in the security log (the people pages, /compte/personnes/, do
    the same with a required reason: docs/people.md)."""

    inlines = (MembershipInline,)
    form = UserReasonChangeForm
    add_form = UserReasonCreationForm
    fieldsets = (*DjangoUserAdmin.fieldsets, REASON_FIELDSET)
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, REASON_FIELDSET)
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "membership_organisation",
        "membership_role",
        "is_staff",
        "is_active",
    )
    list_filter = (*DjangoUserAdmin.list_filter, "membership__role", "membership__organisation")
    list_select_related = ("membership__organisation",)
    search_fields = (*DjangoUserAdmin.search_fields, "membership__organisation__acronym")
    ordering = ("username",)

    def save_model(self, request, obj, form, change):
        """``is_staff`` is written after the membership (save_related): the database
        refuses a staff account without a ministry membership, and on this page both
        arrive together."""
        obj._staff_after_membership = obj.is_staff and not obj.is_superuser
        if obj._staff_after_membership:
            obj.is_staff = False
        reason = ServiceAdminMixin.history_reason(form, obj)
        obj._history_user, obj._change_reason = request.user, reason
        request._account_reason = reason
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data:
            security_event(
                "user_reactivated" if obj.is_active else "user_deactivated",
                request=request,
                target=obj.get_username(),
                target_id=obj.pk,
                reason=reason,
            )

    def save_formset(self, request, form, formset, change):
        """The membership row: its history with the same author and reason."""
        reason = getattr(request, "_account_reason", "") or ServiceAdminMixin.history_reason(form, form.instance)
        for row in formset.forms:
            row.instance._history_user, row.instance._change_reason = request.user, reason
        with history_author(request.user, reason):  # a deleted membership too
            super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        if getattr(user, "_staff_after_membership", False):
            user.is_staff = True
            user.save(update_fields=["is_staff"])

    @admin.display(description=_("organisation"), ordering="membership__organisation__acronym")
    def membership_organisation(self, user):
        membership = _membership(user)
        return membership.organisation if membership else None

    @admin.display(description=_("rôle"), ordering="membership__role")
    def membership_role(self, user):
        membership = _membership(user)
        return membership.get_role_display() if membership else None
