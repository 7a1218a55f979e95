"""Pages of reviews: write a review from an order line, a product's reviews, one review with
its follow-up form, helpful votes (htmx), and the product Q&A pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from circlemart.catalog import selectors as catalog_selectors
from circlemart.catalog.contracts import ProductCard
from circlemart.core.errors import DomainError
from circlemart.core.pagination import page_size
from circlemart.core.web import form_error, signed_in_id, viewer_id
from circlemart.reviews import selectors, services
from circlemart.reviews.contracts import ContentStatus, ReviewPage
from circlemart.reviews.forms import ReviewForm, TextForm

PENDING_MESSAGE = gettext_lazy("Thanks! It will show once a moderator has looked at it.")


def _product(product_id: int) -> ProductCard:
    cards = catalog_selectors.product_cards([product_id])
    if not cards:
        raise Http404(_("Product not found."))
    return cards[0]


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name) or request.POST.get(name) or ""
    return int(value) if value.isdigit() else None


def _more_url(product_id: int, page: ReviewPage) -> str:
    if not page.next_cursor:
        return ""
    base = reverse("reviews:product-more", args=[product_id])
    return f"{base}?{urlencode({'cursor': page.next_cursor})}"


@login_required
def review_new(request: HttpRequest, order_line_id: int) -> HttpResponse:
    """Review one of my delivered order lines (the orders pages link here)."""
    user_id = signed_in_id(request)
    purchase = selectors.my_purchase(user_id=user_id, order_line_id=order_line_id)
    if purchase is None:
        refusal = {
            "message": _("Only buyers with a delivered order of this product can review it.")
        }
        return render(request, "reviews/not_allowed.html", refusal, status=403)
    product_id = purchase.product_id
    product = _product(product_id)
    if selectors.order_line_reviewed(order_line_id=order_line_id):
        messages.info(request, _("You have already reviewed this purchase."))
        return redirect("reviews:product", product_id=product_id)
    form = ReviewForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            ref = services.review_create(
                author_id=user_id,
                product_id=product_id,
                order_line_id=order_line_id,
                rating=form.cleaned_data["rating"],
                text=form.cleaned_data["text"],
                photos=form.cleaned_data["photos"],
            )
        except DomainError as error:
            form_error(form, error, aliases={"order_line_id": "__all__"})
        else:
            if ref.status == ContentStatus.PENDING:
                messages.info(request, PENDING_MESSAGE)
            else:
                messages.success(request, _("Thanks for your review!"))
            return redirect("reviews:product", product_id=product_id)
    context = {"form": form, "product": product, "purchase": purchase}
    return render(request, "reviews/review_new.html", context, status=400 if form.errors else 200)


def product_reviews(request: HttpRequest, product_id: int) -> HttpResponse:
    product = _product(product_id)
    only_photos = request.GET.get("photos") == "1"
    page = selectors.product_reviews(
        product_id=product_id,
        viewer_id=viewer_id(request),
        cursor=None,
        limit=page_size(None),
        with_photos=only_photos,
    )
    context = {
        "product": product,
        "summary": selectors.review_summary(product_id=product_id),
        "page": page,
        "more_url": _more_url(product_id, page)
        + ("&photos=1" if only_photos and page.next_cursor else ""),
        "only_photos": only_photos,
    }
    return render(request, "reviews/product_reviews.html", context)


def product_reviews_more(request: HttpRequest, product_id: int) -> HttpResponse:
    """htmx: the next page of reviews, swapped in where the "More" link was."""
    only_photos = request.GET.get("photos") == "1"
    try:
        page = selectors.product_reviews(
            product_id=product_id,
            viewer_id=viewer_id(request),
            cursor=request.GET.get("cursor") or None,
            limit=page_size(None),
            with_photos=only_photos,
        )
    except DomainError as error:
        return HttpResponse(str(error.message), status=400, content_type="text/plain")
    context = {
        "page": page,
        "more_url": _more_url(product_id, page)
        + ("&photos=1" if only_photos and page.next_cursor else ""),
    }
    return render(request, "reviews/partials/review_items.html", context)


def product_block(request: HttpRequest, product_id: int) -> HttpResponse:
    """htmx: the product page's reviews block, for pages whose body is shared in a cache."""
    block = selectors.product_reviews_block(product_id=product_id, viewer_id=viewer_id(request))
    return render(request, "reviews/partials/product_reviews.html", {"reviews_block": block})


def review_page(request: HttpRequest, review_id: int) -> HttpResponse:
    viewer = viewer_id(request)
    review = selectors.review_detail(review_id=review_id, viewer_id=viewer)
    if review is None:
        raise Http404(_("Review not found."))
    context = {"review": review, "product": _product(review.product_id)}
    return render(request, "reviews/review.html", context)


@require_POST
@login_required
def review_helpful(request: HttpRequest, review_id: int) -> HttpResponse:
    """htmx: toggle my helpful vote and answer with the button; plain POST redirects back."""
    user_id = signed_in_id(request)
    status = 200
    try:
        if request.POST.get("undo") == "1":
            result = services.review_helpful_unvote(voter_id=user_id, review_id=review_id)
        else:
            result = services.review_helpful_vote(voter_id=user_id, review_id=review_id)
    except DomainError as error:
        if not request.htmx:  # type: ignore[attr-defined]
            messages.error(request, str(error.message))
            return redirect("reviews:review", review_id=review_id)
        return HttpResponse(str(error.message), status=error.status, content_type="text/plain")
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("reviews:review", review_id=review_id)
    context = {
        "review_id": review_id,
        "helpful_count": result.helpful_count,
        "is_helpful": result.is_helpful_by_viewer,
    }
    return render(request, "reviews/partials/helpful_button.html", context, status=status)


@login_required
def review_follow_up(request: HttpRequest, review_id: int) -> HttpResponse:
    user_id = signed_in_id(request)
    review = selectors.review_detail(review_id=review_id, viewer_id=user_id)
    if review is None or not review.is_mine:
        raise Http404(_("Review not found."))
    form = TextForm(request.POST or None, label=_("How is it after a while?"))
    if request.method == "POST" and form.is_valid():
        try:
            ref = services.review_follow_up_create(
                author_id=user_id, review_id=review_id, text=form.cleaned_data["text"]
            )
        except DomainError as error:
            form_error(form, error, aliases={"review_id": "__all__"})
        else:
            if ref.status == ContentStatus.PENDING:
                messages.info(request, PENDING_MESSAGE)
            return redirect("reviews:review", review_id=review_id)
    context = {"form": form, "review": review}
    return render(request, "reviews/follow_up.html", context, status=400 if form.errors else 200)


def product_questions(request: HttpRequest, product_id: int) -> HttpResponse:
    product = _product(product_id)
    viewer = viewer_id(request)
    form = TextForm(request.POST or None, label=_("Your question"))
    if request.method == "POST":
        if viewer is None:
            return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.path})}")
        if form.is_valid():
            try:
                ref = services.question_ask(
                    author_id=viewer, product_id=product_id, text=form.cleaned_data["text"]
                )
            except DomainError as error:
                form_error(form, error)
            else:
                if ref.status == ContentStatus.PENDING:
                    messages.info(request, PENDING_MESSAGE)
                else:
                    messages.success(request, _("Question posted. We asked buyers to answer."))
                return redirect("reviews:question", question_id=ref.id)
    page = selectors.product_questions(
        product_id=product_id,
        viewer_id=viewer,
        cursor=request.GET.get("cursor") or None,
        limit=page_size(None),
    )
    next_url = (
        f"{request.path}?{urlencode({'cursor': page.next_cursor})}" if page.next_cursor else ""
    )
    context = {"product": product, "page": page, "form": form, "next_url": next_url}
    return render(request, "reviews/questions.html", context, status=400 if form.errors else 200)


def question_page(request: HttpRequest, question_id: int) -> HttpResponse:
    viewer = viewer_id(request)
    is_staff = viewer is not None and selectors.is_merchant_staff(user_id=viewer)
    detail = selectors.question_detail(
        question_id=question_id, viewer_id=viewer, viewer_is_staff=is_staff
    )
    if detail is None:
        raise Http404(_("Question not found."))
    form = TextForm(request.POST or None, label=_("Your answer"))
    if request.method == "POST":
        if viewer is None:
            return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.path})}")
        if form.is_valid():
            try:
                ref = services.answer_post(
                    author_id=viewer, question_id=question_id, text=form.cleaned_data["text"]
                )
            except DomainError as error:
                form_error(form, error)
            else:
                if ref.status == ContentStatus.PENDING:
                    messages.info(request, PENDING_MESSAGE)
                else:
                    messages.success(request, _("Thanks for answering!"))
                return redirect("reviews:question", question_id=question_id)
    context = {
        "detail": detail,
        "product": _product(detail.question.product_id),
        "form": form,
    }
    return render(request, "reviews/question.html", context, status=400 if form.errors else 200)


@require_POST
@login_required
def answer_best(request: HttpRequest, answer_id: int) -> HttpResponse:
    question_id = _int_param(request, "question")
    try:
        services.answer_mark_best(user_id=signed_in_id(request), answer_id=answer_id)
    except DomainError as error:
        messages.error(request, str(error.message))
    if question_id is None:
        return redirect("storefront:home")
    return redirect("reviews:question", question_id=question_id)
