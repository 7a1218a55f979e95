"""Shared-kernel tables: the transactional outbox, handler receipts and idempotency records."""

from __future__ import annotations

import uuid

from django.db import models


class OutboxEvent(models.Model):
    """A domain event written in the same transaction as the change that caused it."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        DEAD = "dead"  # gave up after OUTBOX_MAX_ATTEMPTS; needs an operator

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=100)
    aggregate_type = models.CharField(max_length=60)
    aggregate_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    occurred_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["aggregate_type", "aggregate_id", "id"],
                name="outbox_pending_by_aggregate",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["available_at", "id"],
                name="outbox_pending_due",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.aggregate_type}:{self.aggregate_id} ({self.status})"


class HandlerReceipt(models.Model):
    """Proof that one handler has applied one event: the unique pair makes handlers idempotent."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="receipts")
    handler = models.CharField(max_length=200)
    handled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="one_receipt_per_handler")
        ]

    def __str__(self) -> str:
        return f"{self.handler} handled event {self.event_id}"


class IdempotencyRecord(models.Model):
    """The first response to a write carrying an Idempotency-Key, replayed for retries."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    scope = models.CharField(max_length=80)  # "user:<id>" or "anon:<session or ip>"
    key = models.CharField(max_length=128)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=400)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="one_record_per_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_by_age")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}] {self.state}"


class CacheGeneration(models.Model):
    """Version numbers of cached things (embedded setup; Redis holds them in production)."""

    name = models.CharField(max_length=120, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
