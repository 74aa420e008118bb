"""Reference data shared by the whole sector: regions, filières, organisations, and
who belongs to which organisation with which role."""

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history import register
from simple_history.models import HistoricalRecords

from artisanat import permissions
from artisanat.choices import MINISTRY_ROLES, OrganisationKind, Role
from artisanat.i18n import (
    localized,
    working_translation_constraint,
    working_translation_errors,
    working_translation_field,
)

# Décret 2-15-40: the twelve regions' official codes.
OFFICIAL_REGION_CODES = [f"{n:02d}" for n in range(1, 13)]


class ReferenceQuerySet(models.QuerySet):
    """Reference data: every signed-in user with a role reads it; nobody else."""

    def visible_to(self, user):
        return self if permissions.can_read(user) else self.none()


class Region(models.Model):
    """One of the twelve regions of décret 2-15-40."""

    code = models.CharField(_("code"), max_length=2, unique=True)
    name = models.CharField(_("nom"), max_length=120)
    name_ar = models.CharField(_("nom (arabe)"), max_length=120, blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("région")
        verbose_name_plural = _("régions")
        constraints = [
            models.CheckConstraint(condition=models.Q(code__in=OFFICIAL_REGION_CODES), name="region_code_official"),
        ]

    def __str__(self):
        return f"{self.code} — {localized(self)}"

    def clean(self):
        if self.code and self.code not in OFFICIAL_REGION_CODES:
            raise ValidationError(
                {"code": _("Le code doit être l'un des codes officiels des douze régions (01 à 12).")}
            )


class Filiere(models.Model):
    """A craft value chain (filière); the list is data, not code."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("nom"), max_length=120)
    name_ar = models.CharField(_("nom (arabe)"), max_length=120, blank=True)
    arabic_is_working_translation = working_translation_field()
    priority = models.BooleanField(_("prioritaire (phase Relance)"), default=False)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("filière")
        verbose_name_plural = _("filières")
        constraints = [
            models.CheckConstraint(condition=~models.Q(code=""), name="filiere_code_not_empty"),
            working_translation_constraint("filiere_working_translation_has_text", "name_ar"),
        ]

    def __str__(self):
        return localized(self)

    def clean(self):
        if errors := working_translation_errors(self, "name_ar"):
            raise ValidationError(errors)


class Organisation(models.Model):
    """A ministry, agency, chamber, federation, bank… that signs contracts or reports figures."""

    name = models.CharField(_("nom"), max_length=200, unique=True)
    acronym = models.CharField(_("sigle"), max_length=30, unique=True)
    name_ar = models.CharField(_("nom (arabe)"), max_length=200, blank=True)
    arabic_is_working_translation = working_translation_field()
    kind = models.CharField(_("type"), max_length=30, choices=OrganisationKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("région"), on_delete=models.PROTECT, null=True, blank=True, related_name="organisations"
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["acronym"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=OrganisationKind.values), name="organisation_kind_valid"
            ),
            models.CheckConstraint(condition=~models.Q(acronym=""), name="organisation_acronym_not_empty"),
            working_translation_constraint("organisation_working_translation_has_text", "name_ar"),
        ]

    def __str__(self):
        return self.acronym

    def clean(self):
        if errors := working_translation_errors(self, "name_ar"):
            raise ValidationError(errors)


class MembershipQuerySet(models.QuerySet):
    def manageable_by(self, user):
        """The memberships of the people ``user`` may manage (``permissions.manageable_people``)."""
        condition = permissions.manageable_people(user, membership="", account="user__")
        return self.none() if condition is None else self.filter(condition)


class Membership(models.Model):
    """A user's organisation and role; one per user. Roles decide access (artisanat.permissions).
    Every change is in its history, with who and why (artisanat/accounts/people.py)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("utilisateur"), on_delete=models.CASCADE, related_name="membership"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    is_focal_point = models.BooleanField(
        _("point focal"),
        default=False,
        help_text=_("Reçoit les relances des rapports en retard de son organisation (et, au ministère, de toutes)."),
    )

    objects = MembershipQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("appartenance")
        verbose_name_plural = _("appartenances")
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self):
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"

    def clean(self):
        from artisanat.db_rules import STAFF_MESSAGE

        user = self.user if self.user_id else None
        if user is not None and user.is_staff and not user.is_superuser and self.role not in MINISTRY_ROLES:
            raise ValidationError({"role": STAFF_MESSAGE})


class IdempotencyKey(models.Model):
    """The answer to an API request sent with an ``Idempotency-Key`` header, kept so that
    a client retrying the same request gets the same answer and creates nothing twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("utilisateur"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("clé"), max_length=255)
    request_hash = models.CharField(_("empreinte de la requête"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("code de réponse"))
    response = models.JSONField(_("réponse"))
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("clé d'idempotence")
        verbose_name_plural = _("clés d'idempotence")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"],
                name="idempotency_key_unique_per_user",
                violation_error_message=_("Cette clé d'idempotence a déjà servi."),
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.key}"


class DataVersion(models.Model):
    """One row whose ``(version, stamp)`` changes with every write to a table that a
    cached figure reads (artisanat/data_version.py): database triggers bump it in the
    writing statement's transaction, so a cache keyed on it is exact — no write path
    (page, API, admin, import, a raw ``update()``) can leave a stale figure behind."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(_("version"), default=0)
    stamp = models.BigIntegerField(_("marque"), default=0)

    class Meta:
        verbose_name = _("version des données")
        verbose_name_plural = _("versions des données")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=1),
                name="dataversion_single_row",
                violation_error_message=_("Il n'y a qu'une version des données (id = 1)."),
            ),
        ]

    def __str__(self):
        return f"{self.version} ({self.stamp})"


class AccountHistory(HistoricalRecords):
    """The user accounts' history (who invited, deactivated, reactivated an account, and
    why: artisanat/accounts/people.py): every save but a sign-in's ``last_login`` stamp,
    and never the password hash."""

    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        if not created and update_fields is not None and set(update_fields) <= {"last_login"}:
            return
        super().post_save(instance, created, using=using, **kwargs)


register(User, app="artisanat", records_class=AccountHistory, excluded_fields=["password", "last_login"])
