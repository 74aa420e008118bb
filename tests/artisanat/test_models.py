"""Rules of the shared reference data (regions, filières, organisations, memberships),
enforced twice: ``full_clean()`` refuses the bad value with a French message, and the
database refuses the same row when ``clean()`` is bypassed, storing nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from artisanat.choices import OrganisationKind, Role
from artisanat.models import Filiere, Membership, Organisation, Region
from tests.rules import assert_db_refuses, assert_refused, clean_errors

pytestmark = pytest.mark.django_db


BAD_REGION_CODES = ["00", "13", "7", "AB"]


class TestRegionCodeOfficial:
    @pytest.mark.parametrize("code", ["01", "07", "12"])
    def test_official_codes_are_accepted(self, code):
        r = Region(code=code, name="Région")
        r.full_clean()
        r.save()

    @pytest.mark.parametrize("code", BAD_REGION_CODES)
    def test_clean_refuses_a_code_outside_01_to_12(self, code):
        errors = clean_errors(Region(code=code, name="Région"))
        assert "region_code_official" in str(errors) or "code" in errors, errors

    def test_clean_explains_the_code_rule_on_the_code_field(self):
        assert_refused(Region(code="13", name="Région"), "code", "12")

    @pytest.mark.parametrize("code", BAD_REGION_CODES)
    def test_database_refuses_a_code_outside_01_to_12(self, code):
        assert_db_refuses(lambda: Region.objects.create(code=code, name="Région"), "region_code_official")
        assert Region.objects.count() == 0

    def test_database_refuses_an_update_to_a_bad_code(self, region):
        assert_db_refuses(lambda: Region.objects.filter(pk=region.pk).update(code="99"), "region_code_official")
        region.refresh_from_db()
        assert region.code == "07"

    def test_the_code_is_unique(self, region):
        assert_refused(Region(code="07", name="Autre"), "code", "existe déjà")
        with pytest.raises(IntegrityError), transaction.atomic():
            Region.objects.create(code="07", name="Autre")
        assert Region.objects.count() == 1


class TestFiliereCode:
    def test_clean_refuses_an_empty_code(self):
        assert_refused(Filiere(code="", name="Tissage"), "code", "vide")

    def test_database_refuses_an_empty_code(self):
        assert_db_refuses(lambda: Filiere.objects.create(code="", name="Tissage"), "filiere_code_not_empty")
        assert Filiere.objects.count() == 0


class TestOrganisation:
    def test_clean_refuses_an_unknown_kind(self):
        assert_refused(Organisation(name="X", acronym="X", kind="secte"), "kind", "valide")

    def test_database_refuses_an_unknown_kind(self):
        assert_db_refuses(
            lambda: Organisation.objects.create(name="X", acronym="X", kind="secte"), "organisation_kind_valid"
        )
        assert Organisation.objects.count() == 0

    def test_clean_refuses_an_empty_acronym(self):
        assert_refused(Organisation(name="X", acronym="", kind=OrganisationKind.BANK), "acronym", "vide")

    def test_database_refuses_an_empty_acronym(self):
        assert_db_refuses(
            lambda: Organisation.objects.create(name="X", acronym="", kind=OrganisationKind.BANK),
            "organisation_acronym_not_empty",
        )
        assert Organisation.objects.count() == 0

    def test_a_good_organisation_is_accepted(self, region):
        o = Organisation(name="Chambre d'artisanat Marrakech-Safi", acronym="CA-MS", kind="chambre", region=region)
        o.full_clean()
        o.save()


class TestMembershipRole:
    def test_clean_refuses_an_unknown_role(self, ministry):
        user = get_user_model().objects.create_user(username="u")
        assert_refused(Membership(user=user, organisation=ministry, role="king"), "role", "valide")

    def test_database_refuses_an_unknown_role(self, ministry):
        user = get_user_model().objects.create_user(username="u")
        assert_db_refuses(
            lambda: Membership.objects.create(user=user, organisation=ministry, role="king"), "membership_role_valid"
        )
        assert Membership.objects.count() == 0

    def test_one_membership_per_user(self, editor, org_a):
        assert_refused(Membership(user=editor, organisation=org_a, role=Role.REPORTER), "user", "existe déjà")
        with pytest.raises(IntegrityError), transaction.atomic():
            Membership.objects.create(user=editor, organisation=org_a, role=Role.REPORTER)
        assert Membership.objects.filter(user=editor).count() == 1
