"""Sign-in abuse: throttling that locks nobody out, no user-name timing oracle, a password policy (issue 11).

Every case runs against the real app through the test client, on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import Unit, User
from app.services.infrastructure import accounts
from tests.conftest import csrf_token, make_test_app

WRONG = "wrong-password-1"


def client_at(app: Flask, address: str) -> FlaskClient:
    """A browser on another machine (its own client address)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in(client: FlaskClient, username: str, password: str = DEMO_PASSWORD):
    token = csrf_token(client, "/auth/login")
    return client.post("/auth/login", data={"csrf_token": token, "username": username, "password": password})


def fail_until_throttled(client: FlaskClient, username: str, limit: int = 50):
    """Wrong passwords until the client is throttled; (failures that were answered, the 429)."""
    for count in range(limit):
        response = sign_in(client, username, WRONG)
        if response.status_code == 429:
            return count, response
        assert response.status_code == 200 and "用户名或密码错误。" in response.get_data(as_text=True)
    raise AssertionError("never throttled")


def test_the_attacker_is_slowed_down_and_the_victim_signs_in_from_another_client(app, demo):
    for victim in ("dushen", "leader", "admin"):  # the roles the report could lock out
        attacker = client_at(app, "203.0.113.9")
        failures, throttled = fail_until_throttled(attacker, victim)
        assert failures == 5
        html = throttled.get_data(as_text=True)
        assert "登录失败次数过多" in html and "后(北京时间" in html and "再试" in html
        assert 0 < int(throttled.headers["Retry-After"]) <= 62
        # The right password from the attacker's client is throttled too (no free guesses) …
        assert sign_in(attacker, victim).status_code == 429
        # … but the account is not locked: its owner signs in from their own machine at once.
        owner = client_at(app, "198.51.100.7")
        assert sign_in(owner, victim).status_code == 302
        assert db.session.scalar(select(User.locked_until).where(User.username == victim)) is None


def test_one_client_throttled_on_one_account_may_still_sign_in_to_another(app, demo):
    shared = client_at(app, "192.0.2.1")
    fail_until_throttled(shared, "zhuce")
    assert sign_in(shared, "kexin").status_code == 302


def test_the_user_name_is_compared_case_insensitively_for_throttling(app, demo):
    client = client_at(app, "192.0.2.2")
    for name in ("zhuce", "ZHUCE", " Zhuce", "zhuCE", "zhuce "):
        assert sign_in(client, name, WRONG).status_code == 200
    assert sign_in(client, "Zhuce").status_code == 429


def test_unknown_user_names_are_throttled_like_known_ones(app, demo):
    failures, throttled = fail_until_throttled(client_at(app, "192.0.2.3"), "no-such-user")
    assert failures == 5 and throttled.status_code == 429


def test_the_waits_grow_with_persistence_and_end(app, demo):
    attacker = client_at(app, "192.0.2.4")
    start = datetime.now(UTC)
    waits = []
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            failures, throttled = fail_until_throttled(attacker, "dushen")
            assert failures == 5
            waits.append(int(throttled.headers["Retry-After"]))
            clock.shift(timedelta(seconds=waits[-1] + 1))
        assert sign_in(attacker, "dushen").status_code == 302  # the wait ended: never a permanent lock
    # 5 a minute, 10 in 15 minutes, 15 an hour, 20 in 6 hours: each wait longer than the one before.
    assert waits[0] <= 62 and waits == sorted(set(waits)) and waits[-1] > 3600, waits


def test_successful_sign_ins_do_not_count(app, demo):
    client = client_at(app, "192.0.2.5")
    for _ in range(8):
        assert sign_in(client, "zhuce").status_code == 302
        assert client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302


def test_the_throttle_message_states_when_to_retry(app):
    from app.auth.throttle import throttle_message, wait_text

    assert wait_text(45) == "45 秒" and wait_text(185) == "3 分 5 秒" and wait_text(900) == "15 分钟"
    assert wait_text(3720) == "1 小时 2 分"
    at = datetime(2023, 10, 9, 1, 2, 3, tzinfo=UTC).timestamp()
    assert "北京时间 09:02:03" in throttle_message(at)


@pytest.fixture
def costly_app(migrated_app: Flask, database_url: str, demo) -> Flask:
    """The app at a realistic argon2 cost, with a known user's password hashed at that cost."""
    costly = make_test_app(database_url, ARGON2_TIME_COST=2, ARGON2_MEMORY_KIB=19456)
    with costly.app_context():
        known = db.session.scalar(select(User).where(User.username == "dushen"))
        known.password_hash = accounts.hash_password(DEMO_PASSWORD)
        db.session.commit()
    return costly


def timed_failure(app: Flask, username: str, attempt: int) -> float:
    client = client_at(app, f"10.9.{attempt}.{len(username)}")  # a fresh client: never throttled
    token = csrf_token(client, "/auth/login")
    started = time.perf_counter()
    response = client.post("/auth/login", data={"csrf_token": token, "username": username, "password": WRONG})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and "用户名或密码错误。" in response.get_data(as_text=True)
    return elapsed


def test_unknown_and_known_user_names_take_the_same_time(costly_app):
    timed_failure(costly_app, "dushen", 99)  # warm-up: the dummy hash and the connection pool
    timed_failure(costly_app, "nobody-here", 99)
    known = [timed_failure(costly_app, "dushen", attempt) for attempt in range(5)]
    unknown = [timed_failure(costly_app, "nobody-here", attempt) for attempt in range(5)]
    ratio = statistics.median(known) / statistics.median(unknown)
    print(f"median known {statistics.median(known):.3f} s, unknown {statistics.median(unknown):.3f} s")
    assert 1 / 3 < ratio < 3, (known, unknown)


def change_password(client: FlaskClient, new: str):
    token = csrf_token(client, "/auth/password")
    return client.post("/auth/password", data={"csrf_token": token, "current": DEMO_PASSWORD,
                                               "new": new, "confirm": new})


@pytest.mark.parametrize(("new", "message"), [
    ("password1", "密码至少需要 10 个字符"),
    ("Leader12", "密码至少需要 10 个字符"),
    ("password123", "不能使用常见密码"),
    ("PASSWORD123", "不能使用常见密码"),
    ("1qaz2wsx3edc", "不能使用常见密码"),
    ("1234567890", "不能使用常见密码"),
    ("woaini1314", "不能使用常见密码"),
    ("abcdefghijkl", "须同时包含字母和数字"),
])
def test_a_weak_new_password_is_refused_in_chinese_and_nothing_changes(app, demo, new, message):
    client = client_at(app, "192.0.2.10")
    assert sign_in(client, "leader").status_code == 302
    before = db.session.scalar(select(User.password_hash).where(User.username == "leader"))
    response = change_password(client, new)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(User.password_hash).where(User.username == "leader")) == before
    assert sign_in(client_at(app, "192.0.2.11"), "leader").status_code == 302


def test_a_strong_new_password_is_accepted(app, demo):
    client = client_at(app, "192.0.2.12")
    assert sign_in(client, "leader").status_code == 302
    assert change_password(client, "Jiandu-2024-plan").status_code == 302
    assert sign_in(client_at(app, "192.0.2.13"), "leader", "Jiandu-2024-plan").status_code == 302


def test_the_user_name_is_refused_as_a_password_whatever_its_case(app, demo):
    admin = client_at(app, "192.0.2.14")
    assert sign_in(admin, "admin").status_code == 302
    unit = db.session.scalar(select(Unit).where(Unit.name == "信用处"))
    path = "/admin/users/new"
    response = admin.post(path, data={
        "csrf_token": csrf_token(admin, path), "username": "wang2023abc", "display_name": "王联络",
        "unit": str(unit.id), "roles": ["liaison"], "password": "WANG2023ABC", "active": "y"})
    assert response.status_code == 200 and "不能与用户名相同" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "wang2023abc")) is None


def test_an_administrators_reset_follows_the_policy(app, demo):
    admin = client_at(app, "192.0.2.15")
    assert sign_in(admin, "admin").status_code == 302
    target = db.session.scalar(select(User).where(User.username == "zhuce"))
    path = f"/admin/users/{target.id}/password"
    refused = admin.post(path, data={"csrf_token": csrf_token(admin, path), "password": "qwertyuiop1"})
    assert refused.status_code == 200 and "不能使用常见密码" in refused.get_data(as_text=True)
    assert sign_in(client_at(app, "192.0.2.16"), "zhuce").status_code == 302


REDIS_URL = "redis://127.0.0.1:6379/15"

#: Run in a process of its own: the limiter binds one storage per process, as in production.
_REDIS_SCRIPT = """
import json, sys
from tests.conftest import csrf_token, make_test_app
from app.demo import DEMO_PASSWORD
app = make_test_app(sys.argv[1], RATELIMIT_STORAGE_URI=sys.argv[2], RATELIMIT_KEY_PREFIX=sys.argv[3])
def sign_in(address, password):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    data = {"csrf_token": csrf_token(client, "/auth/login"), "username": "dushen", "password": password}
    return client.post("/auth/login", data=data).status_code
codes = [sign_in("203.0.113.50", "wrong-password-1") for _ in range(6)]
print(json.dumps({"attacker": codes, "owner": sign_in("198.51.100.50", DEMO_PASSWORD)}))
"""


def test_production_counts_in_redis_shared_by_every_worker(app, demo, database_url):
    import json
    import subprocess
    import sys
    import uuid

    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = f"duban-test-{uuid.uuid4().hex[:8]}"
    run = subprocess.run([sys.executable, "-c", _REDIS_SCRIPT, database_url, REDIS_URL, prefix],
                         capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2])
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result == {"attacker": [200, 200, 200, 200, 200, 429], "owner": 302}
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"*{prefix}*"))
    assert keys  # the counts are in Redis, where every worker sees them
    client.delete(*keys)
