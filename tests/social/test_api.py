"""Social graph API through HTTP."""

from __future__ import annotations

import pytest

from circlemart.accounts.services import token_pair_issue
from circlemart.social import services
from circlemart.social.models import Follow
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_pair_issue(user=user).access_token}"}


def test_public_profile_with_counts_and_viewer_flag(api_client):
    star, fan = UserFactory(nickname="明星", city="上海"), UserFactory()
    services.follow_create(follower_id=fan.pk, followee_id=star.pk)
    anonymous = api_client.get(f"/api/v1/users/{star.pk}").json()
    assert anonymous == {
        "id": star.pk,
        "nickname": "明星",
        "avatar_url": "",
        "city": "上海",
        "followers": 1,
        "following": 0,
        "friends": 0,
        "is_followed_by_me": False,
    }
    as_fan = api_client.get(f"/api/v1/users/{star.pk}", headers=bearer(fan)).json()
    assert as_fan["is_followed_by_me"] is True


def test_followers_walk_with_cursor_sees_everyone_once(api_client):
    star = UserFactory()
    fans = [UserFactory() for _ in range(7)]
    for fan in fans:
        services.follow_create(follower_id=fan.pk, followee_id=star.pk)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        query = f"?limit=3&cursor={cursor}" if cursor else "?limit=3"
        page = api_client.get(f"/api/v1/users/{star.pk}/followers{query}").json()
        seen += [item["user"]["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        late = UserFactory()  # arrives between pages: newest-first pages must not repeat anyone
        services.follow_create(follower_id=late.pk, followee_id=star.pk)
    assert pages == 3
    assert seen == [fan.pk for fan in reversed(fans)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?limit=101", "limit"),
        ("?limit=0", "limit"),
        ("?cursor=forged", "cursor"),
        ("?limit=x", "limit"),
    ],
)
def test_bad_paging_parameters_are_400(api_client, query, field):
    star = UserFactory()
    response = api_client.get(f"/api/v1/users/{star.pk}/followers{query}")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_follow_and_unfollow(api_client):
    me, other = UserFactory(), UserFactory()
    headers = bearer(me)
    first = api_client.post(f"/api/v1/users/{other.pk}/follow", headers=headers)
    again = api_client.post(f"/api/v1/users/{other.pk}/follow", headers=headers)
    assert (first.status_code, first.json()) == (201, {"following": True, "created": True})
    assert (again.status_code, again.json()["created"]) == (200, False)
    assert Follow.objects.filter(follower=me, followee=other).count() == 1
    assert api_client.delete(f"/api/v1/users/{other.pk}/follow", headers=headers).status_code == 204
    assert not Follow.objects.exists()


def test_follow_refusals(api_client):
    me = UserFactory()
    headers = bearer(me)
    assert api_client.post(f"/api/v1/users/{me.pk}/follow", headers=headers).status_code == 400
    assert api_client.post("/api/v1/users/999999/follow", headers=headers).status_code == 404
    assert api_client.get("/api/v1/users/999999").status_code == 404
    assert api_client.post(f"/api/v1/users/{me.pk}/follow").status_code == 401
    assert not Follow.objects.exists()
