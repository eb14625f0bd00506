"""What a treasury account has promised but the books do not show yet: pay requests in
progress (their estimated full cost) and the open envelopes it funds."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from kpa.core.money import quantize
from kpa.directory.models import Structure
from kpa.treasury.models import Envelope, PayRequest

PAY_REQUESTS = "pay_requests"
ENVELOPES = "envelopes"


def committed_by_account(structure: Structure, account_ids: list[int] | None
                         ) -> dict[int, dict[str, Decimal]]:
    """{account id: {"pay_requests": …, "envelopes": …}}, two queries whatever the number."""
    requests = PayRequest.objects.filter(structure=structure,
                                         status__in=PayRequest.OPEN_STATUSES)
    envelopes = Envelope.objects.filter(structure=structure, status=Envelope.Status.OPEN)
    if account_ids is not None:
        requests = requests.filter(treasury_account_id__in=account_ids)
        envelopes = envelopes.filter(source_account_id__in=account_ids)
    result: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for account_id, total in (requests.values_list("treasury_account_id")
                              .annotate(total=Sum("estimated_cost")).order_by()):
        result[account_id][PAY_REQUESTS] = quantize(total)
    for account_id, total in (envelopes.values_list("source_account_id")
                              .annotate(total=Sum("amount")).order_by()):
        result[account_id][ENVELOPES] = quantize(total)
    return dict(result)
