"""Races on real PostgreSQL with real threads: exact helpful counts, one review per line."""

from __future__ import annotations

import pytest

from circlemart.catalog.models import Product
from circlemart.core.errors import Conflict
from circlemart.reviews import services
from circlemart.reviews.models import HelpfulVote, Review, ReviewSummary
from tests.accounts.factories import UserFactory
from tests.accounts.test_races import run_together
from tests.catalog.factories import product as make_product

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_simultaneous_helpful_votes_count_exactly(purchases):
    product = make_product()
    author = UserFactory()
    line = purchases.buy(author, product)
    ref = services.review_create(
        author_id=author.pk, product_id=product.pk, order_line_id=line, rating=5
    )
    voters = [UserFactory() for _ in range(50)]
    results = run_together(
        50, lambda index: services.review_helpful_vote(voter_id=voters[index].pk, review_id=ref.id)
    )
    assert not [result for result in results if isinstance(result, Exception)]
    assert Review.objects.get(pk=ref.id).helpful_count == 50
    assert HelpfulVote.objects.filter(review_id=ref.id).count() == 50


def test_one_voter_voting_ten_times_at_once_counts_once(purchases):
    product = make_product()
    author, voter = UserFactory(), UserFactory()
    ref = services.review_create(
        author_id=author.pk,
        product_id=product.pk,
        order_line_id=purchases.buy(author, product),
        rating=5,
    )
    run_together(
        10, lambda index: services.review_helpful_vote(voter_id=voter.pk, review_id=ref.id)
    )
    assert Review.objects.get(pk=ref.id).helpful_count == 1


def test_one_order_line_reviewed_twice_at_once_makes_one_review(purchases):
    product = make_product()
    buyer = UserFactory()
    line = purchases.buy(buyer, product)
    results = run_together(
        8,
        lambda index: services.review_create(
            author_id=buyer.pk, product_id=product.pk, order_line_id=line, rating=1 + index % 5
        ),
    )
    assert sum(1 for result in results if isinstance(result, Conflict)) == 7
    assert Review.objects.count() == 1
    assert ReviewSummary.objects.get(pk=product.pk).count == 1
    assert Product.objects.get(pk=product.pk).rating_count == 1


def test_many_buyers_reviewing_at_once_keep_the_summary_exact(purchases):
    product = make_product()
    buyers = [UserFactory() for _ in range(20)]
    lines = [purchases.buy(buyer, product) for buyer in buyers]
    run_together(
        20,
        lambda index: services.review_create(
            author_id=buyers[index].pk,
            product_id=product.pk,
            order_line_id=lines[index],
            rating=1 + index % 5,
        ),
    )
    summary = ReviewSummary.objects.get(pk=product.pk)
    assert (summary.count, summary.rating_sum) == (20, 60)
    assert [
        summary.stars_1,
        summary.stars_2,
        summary.stars_3,
        summary.stars_4,
        summary.stars_5,
    ] == [4] * 5
    row = Product.objects.get(pk=product.pk)
    assert (row.rating_count, row.rating_sum) == (20, 60)
