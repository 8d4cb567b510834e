"""/search: the page behind the navbar box; hostile input is shown as text and never fails."""
from __future__ import annotations

import pytest

from tests.conftest import login
from tests.services.test_search import activity  # noqa: F401  (the seeded demo activity)


def test_the_navbar_box_leads_to_ranked_highlighted_results(client, activity):  # noqa: F811
    login(client, "dushen")
    home = client.get("/").get_data(as_text=True)
    assert 'data-testid="search-box"' in home and 'action="/search"' in home
    page = client.get("/search", query_string={"q": "18"}).get_data(as_text=True)
    first = page.index('data-testid="search-hit"')
    assert f"督〔{activity.year}〕18号" in page[first:first + 600]
    assert "<mark>抽检</mark>" in client.get("/search?q=抽检").get_data(as_text=True)


@pytest.mark.parametrize("hostile", ['<script>alert(1)</script>', '"><img src=x>', "%", "_", "NEAR(a b)",
                                     "a" * 10_000, "'", '"'])
def test_hostile_queries_are_text(client, activity, hostile):  # noqa: F811
    login(client, "zhuce")
    response = client.get("/search", query_string={"q": hostile})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body and '"><img src=x>' not in body


def test_a_nul_is_refused_with_the_house_message(client, activity):  # noqa: F811
    login(client, "dushen")
    response = client.get("/search", query_string={"q": "抽\x00检"})
    assert response.status_code == 400 and "空字符" in response.get_data(as_text=True)


def test_signing_in_is_required(client, demo):
    assert client.get("/search?q=抽检").status_code == 302
