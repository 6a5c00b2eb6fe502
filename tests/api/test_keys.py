"""API keys: made and revoked by their owner on the account pages, shown once, stored as a
digest, limited per key, and every use in the audit log."""

import hashlib
import logging
import re

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import ApiKey, AuditEntry, InstitutionRepresentative, Role
from diaspora.models.audit import ACTION_LABELS, TARGET_LABELS
from diaspora.models.base import utcnow
from diaspora.services import api_keys, deletion
from diaspora.services.errors import Invalid, NotAllowed
from diaspora.services.export import export_user_data
from tests.conftest import PASSWORD
from tests.factories import make_institution, new_user, sign_in

TOKEN = re.compile(r"dsp_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")
INSTITUTIONS = "/api/v1/manage/institutions"


@pytest.fixture
def rep(db):
    rep = new_user(Role.INSTITUTION)
    make_institution(rep)
    return rep


def key_for(user, scope="read", name="Our system"):
    key, token = api_keys.create_key(user, name, scope)
    db.session.commit()
    return key, token


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def create_on_page(client, name="Recruitment system", scope="write"):
    return client.post("/account/api-keys", data={"name": name, "scope": scope})


# --------------------------------------------------------------------------- the pages


def test_the_account_page_leads_to_the_keys(client, rep):
    sign_in(client, rep)
    page = client.get("/account").get_data(as_text=True)
    assert "/account/api-keys" in page


def test_a_member_is_told_why_they_have_no_keys_and_cannot_create_one(client, db):
    member = new_user(Role.MEMBER)
    sign_in(client, member)
    page = client.get("/account/api-keys").get_data(as_text=True)
    assert "institution representatives and coordinators" in page
    assert 'name="scope"' not in page
    assert create_on_page(client).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(ApiKey.id))) == 0
    with pytest.raises(NotAllowed):
        api_keys.create_key(member, "Mine", "read")


def test_a_representative_without_an_institution_is_told_to_register_one(client, db):
    lonely = new_user(Role.INSTITUTION)
    sign_in(client, lonely)
    page = client.get("/account/api-keys").get_data(as_text=True)
    assert "Register your institution" in page
    assert create_on_page(client).status_code == 403


def test_the_key_is_shown_once_and_stored_only_as_a_digest(client, db, rep, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in(client, rep)
    response = create_on_page(client)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    tokens = TOKEN.findall(response.get_data(as_text=True))
    assert len(set(tokens)) == 1
    token = tokens[0]
    prefix, secret = token.removeprefix("dsp_").split("_", 1)

    key = db.session.scalar(sa.select(ApiKey))
    assert (key.name, key.prefix, key.scope) == ("Recruitment system", prefix, "write")
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in key.secret_hash

    listing = client.get("/account/api-keys").get_data(as_text=True)
    assert f"dsp_{prefix}_…" in listing
    assert secret not in listing
    with client.session_transaction() as session:
        assert secret not in repr(dict(session))
    assert secret not in caplog.text
    # The key works: it is the person's own.
    assert client.get(INSTITUTIONS, headers=bearer(token)).status_code == 200


ONCE = re.compile(r'<input id="once" name="once" type="hidden" value="([A-Za-z0-9_-]+)">')


def form_once(client) -> str:
    """The one-time value of the creation form, as the keys page shows it."""
    page = client.get("/account/api-keys").get_data(as_text=True)
    return ONCE.search(page).group(1)


def test_sending_the_form_again_creates_no_second_key(client, db, rep):
    sign_in(client, rep)
    once = form_once(client)
    data = {"name": "Recruitment system", "scope": "write", "once": once}
    first = client.post("/account/api-keys", data=data)
    assert first.status_code == 200
    (token,) = set(TOKEN.findall(first.get_data(as_text=True)))
    secret = token.rsplit("_", 1)[1]

    again = client.post("/account/api-keys", data=data, follow_redirects=True)
    page = again.get_data(as_text=True)
    assert again.request.path == "/account/api-keys"
    assert "This key was created already; its secret was shown once." in page
    assert "If you did not copy it, revoke it and create another." in page
    assert not TOKEN.search(page) and secret not in page
    assert db.session.scalar(sa.select(sa.func.count(ApiKey.id))) == 1
    key = db.session.scalar(sa.select(ApiKey))
    assert key.form_nonce == once
    assert secret not in key.form_nonce

    # The page shown again carries a new value: a second key is a new form.
    fresh = form_once(client)
    assert fresh != once
    data["once"] = fresh
    assert client.post("/account/api-keys", data=data).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(ApiKey.id))) == 2


def test_a_form_value_is_once_per_person_and_the_database_holds_it(db, rep):
    other = new_user(Role.INSTITUTION)
    make_institution(other)
    api_keys.create_key(rep, "One", "read", "same-value")
    with pytest.raises(api_keys.AlreadyCreated):
        api_keys.create_key(rep, "Two", "write", "same-value")
    api_keys.create_key(other, "Theirs", "read", "same-value")
    with pytest.raises(Invalid):
        api_keys.create_key(rep, "Long", "read", "x" * 65)
    db.session.commit()
    db.session.add(
        ApiKey(user=rep, name="Raw", prefix="0" * 12, secret_hash="0" * 64, form_nonce="same-value")
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    # Keys made without a form (a command, a test) have no value and never collide.
    api_keys.create_key(rep, "Three", "read")
    api_keys.create_key(rep, "Four", "read")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(ApiKey.id))) == 4


def test_a_key_needs_a_name_and_a_scope(client, db, rep):
    sign_in(client, rep)
    assert create_on_page(client, name="  ").status_code == 400
    assert create_on_page(client, name="x" * 81).status_code == 400
    assert create_on_page(client, scope="admin").status_code == 400
    assert create_on_page(client, name="Line\nbreak").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ApiKey.id))) == 0


def test_a_nul_byte_in_the_name_is_dropped(client, db, rep):
    sign_in(client, rep)
    assert create_on_page(client, name="Our\x00 system").status_code == 200
    assert db.session.scalar(sa.select(ApiKey.name)) == "Our system"


@pytest.fixture
def csrf_on(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_creating_or_revoking_a_key_needs_the_csrf_token(csrf_on, client, db, rep):
    sign_in(client, rep)
    assert create_on_page(client).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ApiKey.id))) == 0
    key, _token = key_for(rep)
    assert client.post(f"/account/api-keys/{key.id}/revoke").status_code == 400
    db.session.refresh(key)
    assert key.is_active


def test_revoking_asks_first_and_takes_effect_at_once(client, db, rep):
    key, token = key_for(rep)
    assert client.get(INSTITUTIONS, headers=bearer(token)).status_code == 200
    sign_in(client, rep)
    confirm = client.get(f"/account/api-keys/{key.id}/revoke")
    assert confirm.status_code == 200
    db.session.refresh(key)
    assert key.is_active  # the confirmation page changes nothing
    response = client.post(f"/account/api-keys/{key.id}/revoke")
    assert response.status_code == 302
    refused = client.get(INSTITUTIONS, headers=bearer(token))
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json"
    assert "Revoked" in client.get("/account/api-keys").get_data(as_text=True)
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert {"api_key.create", "api_key.revoke"} <= set(actions)


def test_another_persons_key_cannot_be_revoked(client, db, rep):
    key, token = key_for(rep)
    other = new_user(Role.INSTITUTION)
    make_institution(other, name="Other")
    sign_in(client, other)
    assert client.get(f"/account/api-keys/{key.id}/revoke").status_code == 404
    assert client.post(f"/account/api-keys/{key.id}/revoke").status_code == 404
    assert client.post(f"/account/api-keys/{2**31}/revoke").status_code == 404
    db.session.refresh(key)
    assert key.is_active
    assert client.get(INSTITUTIONS, headers=bearer(token)).status_code == 200


def test_keys_are_limited_in_number(db, rep):
    for number in range(api_keys.MAX_KEYS):
        key_for(rep, name=f"Key {number}")
    with pytest.raises(api_keys.Conflict):
        api_keys.create_key(rep, "One too many", "read")


# --------------------------------------------------------------------------- using a key


def test_every_use_is_in_the_audit_log_with_the_key_and_the_answer(client, db, rep):
    key, token = key_for(rep)
    client.get(INSTITUTIONS, headers=bearer(token))
    client.get("/api/v1/manage/projects/999", headers=bearer(token))
    client.post(INSTITUTIONS + "/1/projects", json={}, headers=bearer(token))
    client.get("/api/v1/manage/projects/%00", headers=bearer(token))
    uses = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "api.use").order_by(AuditEntry.id)
    ).all()
    assert [use.reason for use in uses] == [
        f"{key.prefix} GET {INSTITUTIONS} 200",
        f"{key.prefix} GET /api/v1/manage/projects/999 404",
        f"{key.prefix} POST {INSTITUTIONS}/1/projects 403",
        f"{key.prefix} GET /api/v1/manage/projects/ 404",
    ]
    assert all(use.actor_id == rep.id and use.target_type == "api_key" for use in uses)
    assert all(use.target_id == key.id for use in uses)
    db.session.refresh(key)
    assert key.last_used_at is not None


def test_an_answer_to_a_key_is_private_and_sets_no_cookie(client, db, rep):
    """What a key reads is its owner's (applications, drafts): never kept by a shared cache.
    The API has no session, so an answer sets no cookie and no session age limit signs the
    key's owner out mid-request; a browser's own session stays as it was."""
    _key, token = key_for(rep)
    for _signed_in_on_the_site_too in (False, True):
        response = client.get(INSTITUTIONS, headers=bearer(token))
        assert response.status_code == 200 and response.get_json()
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers.getlist("Set-Cookie") == []
        sign_in(client, rep)
    cookie = client.get_cookie("diaspora_session", domain="diaspora.test")
    assert client.get(INSTITUTIONS, headers=bearer(token)).status_code == 200
    assert client.get_cookie("diaspora_session", domain="diaspora.test").value == cookie.value
    assert client.get("/account").status_code == 200  # still signed in on the site


def test_a_read_key_may_not_write(client, db, rep):
    _key, token = key_for(rep, scope="read")
    response = client.post(INSTITUTIONS + "/1/projects", json={}, headers=bearer(token))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "insufficient_scope" in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer dsp_\x00_\x00",
        "Bearer dsp_abc",
        "Bearer dsp_" + "a" * 12 + "_" + "b" * 500,
        "Bearer dsp_ZZZZZZZZZZZZ_" + "b" * 43,
        "Bearer dsp_0123456789ab_" + "b" * 43,
        "Bearer " + "é" * 50,
        "Basic dXNlcjpwYXNz",
    ],
)
def test_a_malformed_or_unknown_key_is_401(client, db, rep, header):
    response = client.get(INSTITUTIONS, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_suspended_owner_or_one_who_no_longer_represents_loses_the_key(client, db, rep):
    _key, token = key_for(rep)
    rep.suspended_at = utcnow()
    db.session.commit()
    assert client.get(INSTITUTIONS, headers=bearer(token)).status_code == 401
    rep.suspended_at = None
    db.session.commit()
    assert client.get(INSTITUTIONS, headers=bearer(token)).status_code == 200
    db.session.execute(
        sa.delete(InstitutionRepresentative).where(InstitutionRepresentative.user_id == rep.id)
    )
    db.session.commit()
    assert client.get(INSTITUTIONS, headers=bearer(token)).status_code == 401


def test_a_coordinator_may_have_keys(db):
    coordinator = new_user(Role.COORDINATOR)
    assert api_keys.may_have_keys(coordinator)
    _key, token = key_for(coordinator)
    assert api_keys.find_key(token).user_id == coordinator.id


@pytest.fixture
def small_key_limit(app_config):
    app_config.update(RATELIMIT_ENABLED=True, API_RATE_LIMIT_KEY="2 per minute")
    return app_config


def test_the_rate_limit_counts_per_key(small_key_limit, client, db, rep):
    first, first_token = key_for(rep, name="First")
    _second, second_token = key_for(rep, name="Second")
    for _attempt in range(2):
        assert client.get(INSTITUTIONS, headers=bearer(first_token)).status_code == 200
    refused = client.get(INSTITUTIONS, headers=bearer(first_token))
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["status"] == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get(INSTITUTIONS, headers=bearer(second_token)).status_code == 200
    reasons = db.session.scalars(
        sa.select(AuditEntry.reason).where(AuditEntry.action == "api.use")
    ).all()
    assert f"{first.prefix} GET {INSTITUTIONS} 429" in reasons


# --------------------------------------------------------------------------- the account


def test_deleting_the_account_deletes_its_keys(db, rep):
    key_for(rep)
    key_for(rep, name="Second")
    other = new_user(Role.COORDINATOR)
    key_for(other)
    deletion.delete_account(rep, PASSWORD)
    db.session.commit()
    owners = db.session.scalars(sa.select(ApiKey.user_id)).all()
    assert owners == [other.id]


def test_the_database_deletes_the_keys_with_their_account(db):
    """The foreign key cascades too, for a row deleted outside the deletion workflow."""
    from diaspora.models import User

    user = new_user(Role.INSTITUTION)
    db.session.add(ApiKey(user=user, name="Kept?", prefix="0" * 12, secret_hash="0" * 64))
    db.session.commit()
    user_id = user.id
    db.session.expunge_all()
    db.session.execute(sa.delete(User).where(User.id == user_id))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(ApiKey.id))) == 0


def test_the_export_lists_the_keys_without_secret_or_digest(db, rep):
    key, token = key_for(rep, scope="write")
    api_keys.revoke_key(rep, key.id)
    db.session.commit()
    exported = export_user_data(rep)
    assert exported["api_keys"] == [
        {
            "name": "Our system",
            "prefix": key.prefix,
            "scope": "write",
            "created_at": key.created_at.isoformat(),
            "last_used_at": None,
            "revoked_at": key.revoked_at.isoformat(),
        }
    ]
    text = repr(exported)
    assert token.split("_", 2)[2] not in text
    assert key.secret_hash not in text


def test_the_audit_log_names_what_keys_do():
    for action in ("api_key.create", "api_key.revoke", "api.use"):
        assert action in ACTION_LABELS
    assert "api_key" in TARGET_LABELS
