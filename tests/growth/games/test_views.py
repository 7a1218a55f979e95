"""Game and mall pages through the Django client, and the back office: live counters,
operators configuring pools without overwriting counters, read-only plays, shipping gifts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from circlemart.accounts.contracts import Role
from circlemart.accounts.services import role_grant
from circlemart.growth.games import services
from circlemart.growth.games.contracts import GameKind
from circlemart.growth.games.models import GamePrize, GameSpin
from circlemart.growth.mall import services as mall_services
from circlemart.growth.mall.contracts import Fulfilment, ItemKind
from circlemart.growth.mall.models import MallItem, MallRedemption
from circlemart.growth.points import selectors as points_selectors
from circlemart.promotions.coupons.models import UserCoupon
from tests.accounts.factories import AddressFactory, UserFactory
from tests.growth.games.conftest import Fixed, make_game, nothing, points_prize
from tests.growth.mall.test_services import make_item, rich_user

pytestmark = pytest.mark.django_db


def signed_in(user: object) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.fixture
def operator() -> Client:
    admin = UserFactory(is_superuser=True, is_staff=True)
    admin.groups.add(Group.objects.get(name=Role.ADMIN.value))
    user = UserFactory()
    role_grant(actor=admin, user=user, role=Role.OPERATOR)
    return signed_in(user)


def test_the_games_page_lists_live_games(api_client: Client) -> None:
    make_game(prizes=[nothing()])
    make_game("card", kind=GameKind.SCRATCH, name_en="Scratch card")
    page = api_client.get("/growth/games/")
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('data-testid="game-card"') == 2
    assert "Lucky wheel" in text
    assert "Scratch card" in text


def test_the_wheel_page_draws_one_slot_per_prize(api_client: Client) -> None:
    make_game(prizes=[points_prize(10), nothing(), points_prize(50)])
    page = api_client.get("/growth/games/wheel/")
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count("data-prize-id=") == 3
    assert 'data-slots="3"' in text
    assert "growth/games.js" in text
    assert 'data-testid="sign-in-to-play"' in text
    assert api_client.get("/growth/games/nope/").status_code == 404


def test_playing_through_the_form_shows_the_result_and_my_prizes() -> None:
    user = UserFactory()
    make_game(prizes=[points_prize(30)])
    client = signed_in(user)
    page = client.get("/growth/games/wheel/")
    assert "1 chance left today" in page.content.decode()
    answer = client.post("/growth/games/wheel/play/", {"key": "form1"})
    spin = GameSpin.objects.get(user=user)
    assert answer.status_code == 302
    assert answer["Location"] == f"/growth/games/wheel/?result={spin.pk}"
    repeat = client.post("/growth/games/wheel/play/", {"key": "form1"})
    assert repeat["Location"] == answer["Location"]  # a double submit plays once
    shown = client.get(answer["Location"]).content.decode()
    assert "You won: 30 points" in shown
    assert "0 chances left today" in shown
    refused = client.post("/growth/games/wheel/play/", {"key": "form2"}, follow=True)
    assert "No chances left today" in refused.content.decode()
    assert GameSpin.objects.count() == 1
    prizes = client.get("/growth/games/my-prizes/").content.decode()
    assert prizes.count('data-testid="prize-row"') == 1
    assert "30 points" in prizes
    someone_else = signed_in(UserFactory()).get(answer["Location"]).content.decode()
    assert 'data-testid="play-result"' not in someone_else  # a result is shown to its player


def test_the_scratch_card_page_and_buying_a_chance() -> None:
    user = rich_user(points=100)
    make_game(
        "card", kind=GameKind.SCRATCH, chance_price=40, bought_chances_per_day=1, prizes=[nothing()]
    )
    client = signed_in(user)
    page = client.get("/growth/games/card/").content.decode()
    assert 'data-testid="scratch-card"' in page
    assert "One more chance for 40 points" in page
    bought = client.post("/growth/games/card/chances/", {"key": "buy1"}, follow=True)
    assert "One more chance is yours." in bought.content.decode()
    assert points_selectors.points_balance(user.pk) == 60
    assert "2 chances left today" in bought.content.decode()


def test_pages_need_a_sign_in_for_writes(api_client: Client) -> None:
    make_game(prizes=[nothing()])
    assert api_client.post("/growth/games/wheel/play/").status_code == 302
    assert api_client.get("/growth/games/my-prizes/").status_code == 302
    assert not GameSpin.objects.exists()


def test_the_mall_redeems_a_coupon_into_my_coupons() -> None:
    user = rich_user(points=500)
    item = make_item(points_price=200, name_en="¥30 coupon")
    client = signed_in(user)
    page = client.get("/growth/mall/").content.decode()
    assert "You have 500 points" in page
    assert "¥30 coupon" in page
    done = client.post(f"/growth/mall/{item.pk}/redeem/", {"key": "abc"}, follow=True)
    assert "Redeemed: the coupon is in My coupons." in done.content.decode()
    assert done.redirect_chain[-1][0] == "/growth/mall/mine/"
    assert UserCoupon.objects.filter(owner=user).count() == 1
    assert points_selectors.points_balance(user.pk) == 300
    gift = make_item(kind=ItemKind.PRODUCT, points_price=1000)
    short = client.post(
        f"/growth/mall/{gift.pk}/redeem/", {"key": "abc", "address_id": "1"}, follow=True
    )
    assert "Address not found." in short.content.decode()
    assert MallRedemption.objects.count() == 1


def test_operators_see_live_counters_and_keep_them_when_saving(operator: Client) -> None:
    game = make_game(prizes=[points_prize(10, stock=5)])
    prize = GamePrize.objects.get(game=game)
    services.game_play(user_id=UserFactory().pk, slug="wheel", idempotency_key="k", rng=Fixed(0))
    listing = operator.get("/admin/growth/game/").content.decode()
    assert "10 / 10000" in listing
    assert f"/admin/growth/game/{game.pk}/stats/" in listing
    stats = operator.get(f"/admin/growth/game/{game.pk}/stats/")
    assert stats.status_code == 200
    assert stats.context["stats"].plays_today == 1
    assert stats.context["stats"].prizes[0].left == 4
    form = {
        "name": "新名字",
        "name_en": "",
        "slug": "wheel",
        "kind": "wheel",
        "description": "",
        "is_active": "on",
        "free_chances_per_day": "2",
        "chance_price": "0",
        "bought_chances_per_day": "0",
        "budget": "20000",
        "position": "0",
        "prizes-TOTAL_FORMS": "1",
        "prizes-INITIAL_FORMS": "1",
        "prizes-MIN_NUM_FORMS": "0",
        "prizes-MAX_NUM_FORMS": "1000",
        "prizes-0-id": str(prize.pk),
        "prizes-0-game": str(game.pk),
        "prizes-0-position": "0",
        "prizes-0-name": "10 积分",
        "prizes-0-name_en": "",
        "prizes-0-kind": "points",
        "prizes-0-points": "10",
        "prizes-0-value": "10",
        "prizes-0-weight": "3",
        "prizes-0-stock": "8",
    }
    saved = operator.post(f"/admin/growth/game/{game.pk}/change/", form)
    assert saved.status_code == 302
    game.refresh_from_db()
    prize.refresh_from_db()
    assert (game.name, game.budget, game.budget_used) == ("新名字", 20000, 10)
    assert (prize.weight, prize.stock, prize.won_count) == (3, 8, 1)
    below = operator.post(f"/admin/growth/game/{game.pk}/change/", {**form, "budget": "5"})
    assert below.status_code == 200  # below what is already used: refused by the form
    game.refresh_from_db()
    assert game.budget == 20000
    assert (
        operator.get(f"/admin/growth/gamespin/{GameSpin.objects.get().pk}/change/").status_code
        == 200
    )
    assert operator.post("/admin/growth/gamespin/add/").status_code == 403


def test_operators_ship_a_gift_by_typing_its_tracking_number(operator: Client) -> None:
    user = rich_user()
    item = make_item(kind=ItemKind.PRODUCT)
    ref = mall_services.mall_redeem(
        user_id=user.pk,
        item_id=item.pk,
        idempotency_key="a",
        address_id=AddressFactory(user=user).pk,
    )
    page = operator.get(f"/admin/growth/mallredemption/{ref.id}/change/").content.decode()
    assert "+86138****8000" in page
    assert "世纪大道 100 号" not in page
    operator.post(f"/admin/growth/mallredemption/{ref.id}/change/", {"tracking_number": "SF1"})
    row = MallRedemption.objects.get(pk=ref.id)
    assert (row.status, row.tracking_number) == (Fulfilment.SHIPPED, "SF1")
    operator.post(
        "/admin/growth/mallredemption/",
        {"action": "mark_delivered", "_selected_action": [str(ref.id)]},
    )
    assert MallRedemption.objects.get(pk=ref.id).status == Fulfilment.DELIVERED
    assert MallItem.objects.get(pk=item.pk).redeemed_count == 1
