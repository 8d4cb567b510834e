"""统一身份认证 accounts: matching by subject or user name, creating 待分配 users, refusing disabled ones."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import ValidationFailed
from app.extensions import db
from app.models import AuditEvent, User
from app.services.infrastructure import accounts, external_accounts
from app.services.infrastructure.external_accounts import ExternalIdentity, ExternalSignInRefused


def identity(subject: str, username: str | None, provider: str = "oidc", **person: str) -> ExternalIdentity:
    return ExternalIdentity(provider=provider, subject=subject, username=username, **person)


def test_a_first_sign_in_binds_the_subject_to_the_user_of_the_same_name(people):
    user = external_accounts.sign_in(identity("sub-zhuce", "ZhuCe"), may_create=False)
    assert user is people["zhuce"]
    assert (user.sso_provider, user.sso_subject) == ("oidc", "sub-zhuce")
    assert user.last_login_at is not None
    # From then on the subject decides, whatever name the provider sends.
    assert external_accounts.sign_in(identity("sub-zhuce", "renamed"), may_create=False) is user


def test_a_name_bound_to_another_subject_of_the_provider_is_refused(people):
    external_accounts.sign_in(identity("sub-zhuce", "zhuce"), may_create=True)
    with pytest.raises(ExternalSignInRefused, match="已关联另一个统一身份账户"):
        external_accounts.sign_in(identity("someone-else", "zhuce"), may_create=True)
    assert db.session.scalar(select(User).where(User.sso_subject == "someone-else")) is None


def test_a_user_bound_by_one_provider_signs_in_by_name_through_the_other(people):
    external_accounts.sign_in(identity("sub-zhuce", "zhuce"), may_create=False)
    user = external_accounts.sign_in(identity("zhuce", "zhuce", provider="cas"), may_create=False)
    assert user is people["zhuce"] and user.sso_provider == "oidc"


def test_an_unknown_person_is_created_awaiting_assignment_where_allowed(people):
    before = external_accounts.awaiting_assignment_count()
    user = external_accounts.sign_in(
        identity("sub-new", "li.si", display_name="李四", email="lisi@example.gov.cn"), may_create=True
    )
    assert (user.username, user.display_name, user.email) == ("li.si", "李四", "lisi@example.gov.cn")
    assert user.unit is None and user.roles == frozenset() and user.awaiting_assignment and user.active
    assert external_accounts.awaiting_assignment_count() == before + 1
    # No password signs in as them locally.
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate("li.si", "")
    events = select(AuditEvent).where(AuditEvent.entity == "user", AuditEvent.entity_id == str(user.id))
    created = db.session.scalars(events.order_by(AuditEvent.id)).all()
    assert [event.action for event in created] == ["created", "signed_in_externally"]


def test_an_unknown_person_is_refused_where_creating_users_is_off(people):
    with pytest.raises(ExternalSignInRefused, match="请联系系统管理员开通"):
        external_accounts.sign_in(identity("sub-new", "li.si"), may_create=False)
    assert accounts.find_user("li.si") is None


@pytest.mark.parametrize("username", [None, "", "张三", "a", "x" * 65, "has space"])
def test_a_name_unusable_as_a_user_name_creates_nobody(people, username):
    with pytest.raises(ExternalSignInRefused):
        external_accounts.sign_in(identity("sub-new", username), may_create=True)
    assert db.session.scalar(select(User).where(User.sso_subject == "sub-new")) is None


@pytest.mark.parametrize("subject", ["", "   ", "s" * 256])
def test_a_missing_or_overlong_subject_is_refused(people, subject):
    with pytest.raises(ExternalSignInRefused, match="有效的用户标识"):
        external_accounts.sign_in(identity(subject, "zhuce"), may_create=True)


def test_a_user_disabled_in_duban_is_refused_by_subject_and_by_name(people):
    zhuce, kexin = people["zhuce"], people["kexin"]
    external_accounts.sign_in(identity("sub-zhuce", "zhuce"), may_create=False)
    zhuce.active = kexin.active = False
    db.session.flush()
    for refused in (identity("sub-zhuce", "zhuce"), identity("sub-kexin", "kexin")):
        with pytest.raises(ExternalSignInRefused, match="该账户已停用"):
            external_accounts.sign_in(refused, may_create=True)


def test_the_administrator_may_turn_a_waiting_user_away_without_giving_roles(people):
    user = external_accounts.sign_in(identity("sub-new", "li.si"), may_create=True)
    waiting = external_accounts.awaiting_assignment_count()
    accounts.update_user(user, "李四", None, None, [], active=False, actor=people["admin"])
    assert not user.active and user.roles == frozenset()
    assert external_accounts.awaiting_assignment_count() == waiting - 1
    with pytest.raises(ExternalSignInRefused, match="该账户已停用"):
        external_accounts.sign_in(identity("sub-new", "li.si"), may_create=True)
    # An active user still needs a role.
    with pytest.raises(ValidationFailed, match="至少需要选择一个角色"):
        accounts.update_user(user, "李四", None, None, [], active=True, actor=people["admin"])
