"""The pages' create / change / delete of one tracked row (artisanat.views): the reason
is required, a change made meanwhile is refused with the stored values beside what was
typed, and nothing is saved by a refused change. Exercised here on a programme with a
view built the way the apps build theirs."""

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from artisanat.forms import ReasonedModelForm
from artisanat.services import lock, require_reason, save_with_history
from artisanat.views import ServiceDeleteView, ServiceEditView
from strategy.models import Programme


class ProgrammeForm(ReasonedModelForm):
    class Meta:
        model = Programme
        fields = ["code", "title", "objective"]


def save(obj, *, by, reason, expected_version):
    if obj.pk:
        current = lock(Programme, obj.pk)
        if expected_version is not None and expected_version != current.version:
            from artisanat.exceptions import StaleVersion

            raise StaleVersion(current.version)
        obj.version = current.version
    return save_with_history(obj, by=by, reason=require_reason(reason))


class Edit(ServiceEditView):
    form_class = ProgrammeForm
    template_name = "partials/edit_form.html"

    def get_object(self):
        return Programme.objects.get(pk=self.kwargs["pk"])

    def save(self, obj, **kwargs):
        return save(obj, **kwargs)

    def get_success_url(self, obj):
        return f"/done/{obj.pk}/"


class Delete(ServiceDeleteView):
    def get_object(self):
        return Programme.objects.get(pk=self.kwargs["pk"])

    def delete(self, obj, *, by, reason, expected_version):
        current = lock(Programme, obj.pk)
        if expected_version is not None and expected_version != current.version:
            from artisanat.exceptions import StaleVersion

            raise StaleVersion(current.version)
        from artisanat.services import delete_with_history

        delete_with_history(current, by=by, reason=require_reason(reason))

    def get_success_url(self, obj):
        return "/done/"


def call(view, user, pk, data=None):
    request = RequestFactory().post("/", data) if data is not None else RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return view.as_view()(request, pk=pk)


def posted(programme, **changes):
    data = {"code": programme.code, "title": programme.title, "objective": programme.objective}
    data.update(changes)
    return data


def test_a_change_needs_a_reason_and_keeps_it_in_the_history(editor, programme):
    refused = call(Edit, editor, programme.pk, posted(programme, title="Nouveau titre", expected_version=1))
    assert refused.status_code == 400
    assert "change_reason" in refused.context_data["form"].errors
    short = call(Edit, editor, programme.pk, posted(programme, title="X", change_reason=" ok ", expected_version=1))
    assert short.status_code == 400
    programme.refresh_from_db()
    assert programme.title == "Formation des artisans" and programme.version == 1

    done = call(
        Edit,
        editor,
        programme.pk,
        posted(programme, title="Nouveau titre", change_reason="Coquille", expected_version=1),
    )
    assert done.status_code == 302 and done["Location"] == f"/done/{programme.pk}/"
    programme.refresh_from_db()
    assert programme.title == "Nouveau titre" and programme.version == 2
    last = programme.history.first()
    assert last.history_change_reason == "Coquille" and last.history_user == editor


def test_a_stale_change_shows_the_stored_values_beside_the_typed_ones_and_saves_nothing(editor, validator, programme):
    save(Programme.objects.get(pk=programme.pk), by=validator, reason="Titre officiel", expected_version=1)
    stale = call(
        Edit,
        editor,
        programme.pk,
        posted(programme, title="Ma version", objective="Former", change_reason="Reformulation", expected_version=1),
    )
    assert stale.status_code == 409
    rows = {row["name"]: row for row in stale.context_data["conflict"]}
    assert rows["title"]["stored"] == "Formation des artisans" and rows["title"]["typed"] == "Ma version"
    assert rows["title"]["differs"] and not rows["code"]["differs"]
    assert rows["objective"]["stored"] == "—" and rows["objective"]["typed"] == "Former"
    form = stale.context_data["form"]
    assert form["title"].value() == "Ma version"  # what was typed stays in the form …
    assert str(form["expected_version"].value()) == "2"  # … now carrying the version read
    html = stale.render().content.decode()
    assert "data-conflict" in html and 'value="Ma version"' in html and "Formation des artisans" in html
    programme.refresh_from_db()
    assert programme.version == 2 and programme.title == "Formation des artisans"
    assert programme.history.count() == 2  # the creation and the validator's change only

    again = call(
        Edit,
        editor,
        programme.pk,
        posted(programme, title="Ma version", change_reason="Reformulation", expected_version=2),
    )
    assert again.status_code == 302
    programme.refresh_from_db()
    assert programme.title == "Ma version" and programme.version == 3


def test_a_deletion_needs_a_reason_and_the_version_read(editor, validator, programme):
    assert call(Delete, editor, programme.pk).status_code == 200
    assert call(Delete, editor, programme.pk, {"expected_version": 1}).status_code == 400
    save(Programme.objects.get(pk=programme.pk), by=validator, reason="Titre officiel", expected_version=1)
    stale = call(Delete, editor, programme.pk, {"change_reason": "Doublon", "expected_version": 1})
    assert stale.status_code == 409 and Programme.objects.filter(pk=programme.pk).exists()
    assert str(stale.context_data["form"]["expected_version"].value()) == "2"
    done = call(Delete, editor, programme.pk, {"change_reason": "Doublon", "expected_version": 2})
    assert done.status_code == 302 and not Programme.objects.filter(pk=programme.pk).exists()
    assert Programme.history.filter(id=programme.pk, history_type="-").get().history_change_reason == "Doublon"


@pytest.mark.parametrize("actor", ["viewer", "partner_a"])
def test_a_role_that_may_not_edit_the_strategy_is_refused(actor, request, programme):
    user = request.getfixturevalue(actor)
    with pytest.raises(PermissionDenied):
        call(Edit, user, programme.pk)
    with pytest.raises(PermissionDenied):
        call(Delete, user, programme.pk, {"change_reason": "Doublon", "expected_version": 1})
    assert Programme.objects.filter(pk=programme.pk).exists()
