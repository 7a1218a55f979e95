"""Pages of the social app: notes, circles, topics, profiles and feeds (htmx partials for
likes, comments, follows and infinite scroll). Thin: services write, selectors read."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from circlemart.accounts import selectors as account_selectors
from circlemart.catalog import selectors as catalog_selectors
from circlemart.catalog.contracts import ProductCard
from circlemart.core import clock
from circlemart.core.errors import DomainError, ValidationFailed
from circlemart.core.web import form_error, signed_in_id, viewer_id
from circlemart.search import selectors as search_selectors
from circlemart.search.contracts import SearchFilters
from circlemart.social import poster, selectors, services
from circlemart.social.contracts import VISIBILITIES, FeedPage, NoteInput
from circlemart.social.selectors.shares import SESSION_KEY
from circlemart.social.services.notes import MAX_PRODUCTS

PAGE = 12


class NoteForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), required=False, max_length=200)
    text = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 6, "data-testid": "note-text"}),
        max_length=5000,
        required=False,
    )
    visibility = forms.ChoiceField(
        label=gettext_lazy("Who can see it"),
        choices=[
            ("public", gettext_lazy("Everyone")),
            ("followers", gettext_lazy("Followers")),
            ("friends", gettext_lazy("Friends")),
            ("circle", gettext_lazy("Circle members")),
        ],
        initial="public",
    )
    circle_id = forms.IntegerField(label=gettext_lazy("Circle"), required=False)
    # Filled by the product picker: one hidden `product_ids` input per chosen product (a
    # comma-separated string is accepted too, e.g. from old links).
    product_ids = forms.CharField(label=gettext_lazy("Tagged products"), required=False)
    video_url = forms.CharField(label=gettext_lazy("Video URL"), required=False, max_length=600)
    location = forms.CharField(label=gettext_lazy("Location"), required=False, max_length=200)

    def product_id_list(self) -> list[int]:
        data = self.data
        raw = ",".join(data.getlist("product_ids")) if isinstance(data, QueryDict) else ""
        parts = [part.strip() for part in raw.replace("，", ",").split(",") if part.strip()]
        if not all(part.isdigit() for part in parts):
            raise ValidationFailed(
                _("Enter product numbers separated by commas."), field="product_ids"
            )
        return [int(part) for part in parts]


def _more_url(request: HttpRequest, cursor: str | None) -> str:
    if not cursor:
        return ""
    query = request.GET.copy()
    query["cursor"] = cursor
    return f"{request.path}?{query.urlencode()}"


def _feed_response(
    request: HttpRequest, page: FeedPage, template: str, context: dict[str, Any]
) -> HttpResponse:
    context = {**context, "cards": page.items, "more_url": _more_url(request, page.next_cursor)}
    if getattr(request, "htmx", False) and request.GET.get("cursor"):
        return render(request, "social/partials/feed_more.html", context)
    return render(request, template, context)


def _cursor(request: HttpRequest) -> str | None:
    return request.GET.get("cursor") or None


def _bad_cursor(error: ValidationFailed) -> Http404:
    return Http404(str(error.message))


# --- Feeds -----------------------------------------------------------------------------------


@login_required
def following_feed(request: HttpRequest) -> HttpResponse:
    try:
        page = selectors.following_feed(
            viewer_id=signed_in_id(request), cursor=_cursor(request), limit=PAGE
        )
    except ValidationFailed as error:
        raise _bad_cursor(error) from error
    return _feed_response(request, page, "social/feed.html", {"tab": "following"})


def discover_feed(request: HttpRequest) -> HttpResponse:
    try:
        page = selectors.discover_feed(
            viewer_id=viewer_id(request), cursor=_cursor(request), limit=PAGE
        )
    except ValidationFailed as error:
        raise _bad_cursor(error) from error
    context = {"tab": "discover", "trending": selectors.trending_topics(limit=8)}
    if not request.GET.get("cursor"):
        context["creators"] = _creators(viewer_id(request))
    return _feed_response(request, page, "social/feed.html", context)


def _creators(viewer: int | None, limit: int = 8) -> list[dict[str, Any]]:
    """Most-followed creators with the viewer's follow state, for the "creators" strip."""
    leaders = [user_id for user_id, _ in selectors.most_followed(limit=limit + 1)]
    leaders = [user_id for user_id in leaders if user_id != viewer][:limit]
    cards = account_selectors.user_cards(leaders)
    relations = selectors.relationships(viewer_id=viewer, other_ids=leaders)
    return [
        {"person": cards[user_id], "relation": relations[user_id]}
        for user_id in leaders
        if user_id in cards and not relations[user_id].is_blocked_by
    ]


# --- Notes -----------------------------------------------------------------------------------


def _circle_choices(user_id: int) -> list[Any]:
    return selectors.circles_of(user_id=user_id, viewer_id=user_id)


@login_required
def note_compose(request: HttpRequest) -> HttpResponse:
    user_id = signed_in_id(request)
    initial = {"product_ids": request.GET.get("product", "")}
    if request.GET.get("circle", "").isdigit():
        initial.update({"visibility": "circle", "circle_id": request.GET["circle"]})
    form = NoteForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                data = NoteInput(
                    text=form.cleaned_data["text"],
                    title=form.cleaned_data["title"],
                    visibility=form.cleaned_data["visibility"],
                    circle_id=form.cleaned_data["circle_id"]
                    if form.cleaned_data["visibility"] == "circle"
                    else None,
                    product_ids=form.product_id_list(),
                    video_url=form.cleaned_data["video_url"],
                    location=form.cleaned_data["location"],
                )
                note = services.note_create(
                    author_id=user_id,
                    data=data,
                    images=request.FILES.getlist("images"),
                    publish_now=request.POST.get("action") != "draft",
                )
            except DomainError as error:
                form_error(form, error)
                status = error.status
            else:
                if note.status == "draft":
                    messages.success(request, _("Draft saved."))
                elif note.moderation_state == "in_review":
                    messages.success(request, _("Published. It will be visible once reviewed."))
                else:
                    messages.success(request, _("Published."))
                return redirect("social:note", note_id=note.pk)
        else:
            status = 400
    context = {
        "form": form,
        "circles": _circle_choices(user_id),
        "visibilities": VISIBILITIES,
        "picked": _picked_products(request, form),
        "max_products": MAX_PRODUCTS,
    }
    return render(request, "social/compose.html", context, status=status)


def _picked_products(request: HttpRequest, form: NoteForm) -> list[ProductCard]:
    """The chips to show: what was posted (a form sent back with errors) or `?product=`."""
    data = form.data
    if form.is_bound and isinstance(data, QueryDict):
        raw = data.getlist("product_ids")
    else:
        raw = [request.GET.get("product", "")]
    ids = [
        int(part)
        for value in raw
        for part in value.replace("，", ",").split(",")
        if part.strip().isdigit()
    ]
    return catalog_selectors.product_cards(list(dict.fromkeys(ids))[:MAX_PRODUCTS])


PICKER_LIMIT = 8
PICKER_QUERY_MAX = 60


@login_required
def product_picker(request: HttpRequest) -> HttpResponse:
    """The composer's product search: matching on-sale products as options to tag (htmx)."""
    query = request.GET.get("q", "").strip()
    if len(query) > PICKER_QUERY_MAX:
        return HttpResponse(
            _("Search with at most %(count)d characters.") % {"count": PICKER_QUERY_MAX},
            status=400,
        )
    skip = {int(part) for part in request.GET.getlist("product_ids") if part.isdigit()}
    cards: list[ProductCard] = []
    if query:
        try:
            found = search_selectors.product_search(
                query=query,
                filters=SearchFilters(),
                limit=PICKER_LIMIT + len(skip),
                with_facets=False,
            )
        except DomainError as error:
            return HttpResponse(str(error.message), status=error.status)
        ids = [product_id for product_id in found.product_ids if product_id not in skip]
        cards = catalog_selectors.product_cards(ids[:PICKER_LIMIT])
    return render(
        request, "social/partials/product_picker_results.html", {"cards": cards, "query": query}
    )


def _record_share_visit(request: HttpRequest, note_id: int) -> None:
    token = request.GET.get("s", "")
    if not token:
        return
    decoded = services.share_visit_record(
        token=token, note_id=note_id, visitor_id=viewer_id(request)
    )
    if decoded is not None:
        request.session[SESSION_KEY] = {
            "note_id": decoded.note_id,
            "sharer_id": decoded.sharer_id,
            "at": clock.now().isoformat(),
        }


def note_detail(request: HttpRequest, note_id: int) -> HttpResponse:
    viewer = viewer_id(request)
    detail = selectors.note_detail(note_id=note_id, viewer_id=viewer)
    if detail is None:
        raise Http404(_("Note not found."))
    _record_share_visit(request, note_id)
    found = selectors.comments_page(note_id=note_id, viewer_id=viewer, cursor=None, limit=50)
    comments = found[0] if found else []
    can_comment = (
        viewer is not None and detail.status == "published" and detail.moderation_state == "visible"
    )
    context = {
        "note": detail,
        "comments": comments,
        "can_comment": can_comment,
        "relation": selectors.relationship(viewer_id=viewer, other_id=detail.author.id),
    }
    return render(request, "social/note.html", context)


def _toggle(
    request: HttpRequest, note_id: int, *, flag: str, on: Any, off: Any, template: str
) -> HttpResponse:
    """A like/favourite button: the form says whether it is on; answer with the new button."""
    user_id = signed_in_id(request)
    try:
        (off if request.POST.get(flag) == "1" else on)(user_id=user_id, note_id=note_id)
    except DomainError as error:
        return HttpResponse(str(error.message), status=error.status)
    detail = selectors.note_detail(note_id=note_id, viewer_id=user_id)
    if detail is None:
        raise Http404(_("Note not found."))
    if not getattr(request, "htmx", False):
        return redirect("social:note", note_id=note_id)
    return render(request, template, {"note": detail})


@login_required
@require_POST
def note_like_toggle(request: HttpRequest, note_id: int) -> HttpResponse:
    return _toggle(
        request,
        note_id,
        flag="liked",
        on=services.note_like,
        off=services.note_unlike,
        template="social/partials/like_button.html",
    )


@login_required
@require_POST
def note_favourite_toggle(request: HttpRequest, note_id: int) -> HttpResponse:
    return _toggle(
        request,
        note_id,
        flag="favourited",
        on=services.favourite_add,
        off=services.favourite_remove,
        template="social/partials/favourite_button.html",
    )


@login_required
@require_POST
def note_comment(request: HttpRequest, note_id: int) -> HttpResponse:
    user_id = signed_in_id(request)
    parent = request.POST.get("parent_id", "")
    try:
        comment = services.comment_create(
            author_id=user_id,
            note_id=note_id,
            text=request.POST.get("text", ""),
            parent_id=int(parent) if parent.isdigit() else None,
        )
    except DomainError as error:
        if not getattr(request, "htmx", False):
            messages.error(request, str(error.message))
            return redirect("social:note", note_id=note_id)
        return _comments_partial(request, note_id, error=str(error.message), status=error.status)
    if not getattr(request, "htmx", False):
        return redirect("social:note", note_id=note_id)
    return _comments_partial(request, note_id, posted_id=comment.pk)


def _comments_partial(
    request: HttpRequest, note_id: int, *, error: str = "", status: int = 200, posted_id: int = 0
) -> HttpResponse:
    viewer = viewer_id(request)
    detail = selectors.note_detail(note_id=note_id, viewer_id=viewer)
    if detail is None:
        raise Http404(_("Note not found."))
    view = selectors.comments_page(note_id=note_id, viewer_id=viewer, cursor=None, limit=50)
    context = {
        "comments": view[0] if view else [],
        "error": error,
        "posted_id": posted_id,
        "note_id": note_id,
        "comment_count": detail.comment_count,
        "can_comment": viewer is not None,
    }
    return render(request, "social/partials/comments.html", context, status=status)


@login_required
@require_POST
def note_share(request: HttpRequest, note_id: int) -> HttpResponse:
    try:
        link = services.share_link_create(sharer_id=signed_in_id(request), note_id=note_id)
    except DomainError as error:
        return HttpResponse(str(error.message), status=error.status)
    url = request.build_absolute_uri(link.path)
    return render(
        request,
        "social/partials/share_link.html",
        {"url": url, "note_id": note_id},
    )


@login_required
@require_POST
def note_repost(request: HttpRequest, note_id: int) -> HttpResponse:
    try:
        repost = services.note_repost(user_id=signed_in_id(request), note_id=note_id)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("social:note", note_id=note_id)
    messages.success(request, _("Reposted to your followers."))
    return redirect("social:note", note_id=repost.pk)


@login_required
@require_POST
def note_delete(request: HttpRequest, note_id: int) -> HttpResponse:
    try:
        services.note_delete(actor_id=signed_in_id(request), note_id=note_id)
    except DomainError as error:
        raise Http404(str(error.message)) from error
    messages.success(request, _("Note deleted."))
    return redirect("social:profile", user_id=signed_in_id(request))


def note_poster(request: HttpRequest, note_id: int) -> HttpResponse:
    try:
        return poster.poster_response(request, note_id=note_id)
    except DomainError as error:
        raise Http404(str(error.message)) from error


# --- Profiles --------------------------------------------------------------------------------


def profile(request: HttpRequest, user_id: int) -> HttpResponse:
    cards = account_selectors.user_cards([user_id])
    if user_id not in cards:
        raise Http404(_("User not found."))
    viewer = viewer_id(request)
    try:
        page = selectors.profile_feed(
            author_id=user_id, viewer_id=viewer, cursor=_cursor(request), limit=PAGE
        )
    except ValidationFailed as error:
        raise _bad_cursor(error) from error
    context = {
        "person": cards[user_id],
        "counts": selectors.graph_counts(user_id),
        "relation": selectors.relationship(viewer_id=viewer, other_id=user_id),
        "is_me": viewer == user_id,
        "circles": selectors.circles_of(user_id=user_id, viewer_id=viewer)[:6],
    }
    return _feed_response(request, page, "social/profile.html", context)


@login_required
@require_POST
def profile_follow(request: HttpRequest, user_id: int) -> HttpResponse:
    me = signed_in_id(request)
    if not account_selectors.user_is_active(user_id):
        raise Http404(_("User not found."))
    try:
        if request.POST.get("action") == "unfollow":
            services.follow_delete(follower_id=me, followee_id=user_id)
        else:
            services.follow_create(follower_id=me, followee_id=user_id)
    except DomainError as error:
        messages.error(request, str(error.message))
    if request.POST.get("view") == "button" and getattr(request, "htmx", False):
        context = {
            "person": account_selectors.user_cards([user_id])[user_id],
            "relation": selectors.relationship(viewer_id=me, other_id=user_id),
        }
        return render(request, "social/partials/follow_button.html", context)
    return _relation_response(request, user_id)


@login_required
@require_POST
def profile_block(request: HttpRequest, user_id: int) -> HttpResponse:
    me = signed_in_id(request)
    if not account_selectors.user_is_active(user_id):
        raise Http404(_("User not found."))
    try:
        if request.POST.get("action") == "unblock":
            services.block_delete(blocker_id=me, blocked_id=user_id)
        else:
            services.block_create(blocker_id=me, blocked_id=user_id)
    except DomainError as error:
        messages.error(request, str(error.message))
    return _relation_response(request, user_id)


def _relation_response(request: HttpRequest, user_id: int) -> HttpResponse:
    if not getattr(request, "htmx", False):
        return redirect("social:profile", user_id=user_id)
    context = {
        "person": account_selectors.user_cards([user_id])[user_id],
        "relation": selectors.relationship(viewer_id=viewer_id(request), other_id=user_id),
        "counts": selectors.graph_counts(user_id),
    }
    return render(request, "social/partials/relation.html", context)


# --- Circles and topics ----------------------------------------------------------------------


class CircleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    rules = forms.CharField(
        label=gettext_lazy("Rules"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    cover = forms.FileField(label=gettext_lazy("Cover image"), required=False)


def circles(request: HttpRequest) -> HttpResponse:
    viewer = viewer_id(request)
    context = {
        "mine": selectors.circles_of(user_id=viewer, viewer_id=viewer) if viewer else [],
        "suggested": selectors.circles_you_might_like(viewer_id=viewer) if viewer else [],
        "popular": selectors.circles_popular(viewer_id=viewer, limit=6),
        "newest": selectors.circles_newest(viewer_id=viewer, limit=6),
    }
    return render(request, "social/circles.html", context)


@login_required
def circle_create(request: HttpRequest) -> HttpResponse:
    form = CircleForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                circle = services.circle_create(
                    owner_id=signed_in_id(request),
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    rules=form.cleaned_data["rules"],
                    cover=form.cleaned_data["cover"],
                )
            except DomainError as error:
                form_error(form, error)
                status = error.status
            else:
                return redirect("social:circle", circle_id=circle.pk)
        else:
            status = 400
    return render(request, "social/circle_form.html", {"form": form}, status=status)


def circle_page(request: HttpRequest, circle_id: int) -> HttpResponse:
    viewer = viewer_id(request)
    circle = selectors.circle_detail(circle_id=circle_id, viewer_id=viewer)
    if circle is None:
        raise Http404(_("Circle not found."))
    try:
        page = selectors.circle_feed(
            circle_id=circle_id, viewer_id=viewer, cursor=_cursor(request), limit=PAGE
        )
    except ValidationFailed as error:
        raise _bad_cursor(error) from error
    context = {
        "circle": circle,
        "pinned": selectors.circle_pinned(circle_id=circle_id, viewer_id=viewer),
        "is_admin": circle.my_role in {"owner", "admin"},
    }
    return _feed_response(request, page, "social/circle.html", context)


@login_required
@require_POST
def circle_membership(request: HttpRequest, circle_id: int) -> HttpResponse:
    user_id = signed_in_id(request)
    try:
        if request.POST.get("action") == "leave":
            services.circle_leave(user_id=user_id, circle_id=circle_id)
        else:
            services.circle_join(user_id=user_id, circle_id=circle_id)
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("social:circle", circle_id=circle_id)


@login_required
@require_POST
def circle_note_action(request: HttpRequest, note_id: int) -> HttpResponse:
    """Circle admins: pin, unpin or remove a post."""
    user_id = signed_in_id(request)
    action = request.POST.get("action", "")
    circle_id = request.POST.get("circle_id", "")
    try:
        if action == "remove":
            services.note_remove_from_circle(actor_id=user_id, note_id=note_id)
        else:
            services.note_pin(actor_id=user_id, note_id=note_id, pinned=action == "pin")
    except DomainError as error:
        messages.error(request, str(error.message))
    if circle_id.isdigit():
        return redirect("social:circle", circle_id=int(circle_id))
    return redirect("social:note", note_id=note_id)


def topic_page(request: HttpRequest, name: str) -> HttpResponse:
    viewer = viewer_id(request)
    topic = selectors.topic_detail(name=name, viewer_id=viewer)
    if topic is None:
        raise Http404(_("Topic not found."))
    try:
        page = selectors.topic_feed(
            name=name, viewer_id=viewer, cursor=_cursor(request), limit=PAGE
        )
    except ValidationFailed as error:
        raise _bad_cursor(error) from error
    return _feed_response(request, page, "social/topic.html", {"topic": topic})


@login_required
@require_POST
def topic_follow_toggle(request: HttpRequest, name: str) -> HttpResponse:
    user_id = signed_in_id(request)
    try:
        if request.POST.get("action") == "unfollow":
            services.topic_unfollow(user_id=user_id, name=name)
        else:
            services.topic_follow(user_id=user_id, name=name)
    except DomainError as error:
        raise Http404(str(error.message)) from error
    return redirect("social:topic", name=name)


def product_notes_block(request: HttpRequest, product_id: int) -> HttpResponse:
    """The product page's "notes about this product", per viewer (the page itself is cached
    for everyone and loads this after it)."""
    notes = selectors.notes_tagging_product(product_id, viewer_id(request), limit=6)
    return render(
        request, "social/partials/product_notes.html", {"notes": notes, "product_id": product_id}
    )
