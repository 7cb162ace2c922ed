"""REST API of the webhooks: your own subscriptions, and replay of a failed delivery."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.webhooks import services
from fengqiao.webhooks.models import Delivery, DeliveryState, EventType, Subscription


class SubscriptionSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", help_text=_("Region code."))
    event_types = serializers.ListField(child=serializers.ChoiceField(EventType.choices))

    class Meta:
        model = Subscription
        fields = ["id", "name", "url", "event_types", "region", "active", "created_at"]
        read_only_fields = fields


class SubscriptionCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    url = serializers.CharField(
        max_length=500,
        help_text=_(
            "An http or https URL; hosts in private, loopback, link-local, multicast or "
            "reserved networks are refused."
        ),
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(EventType.choices), allow_empty=False, min_length=1
    )
    region = serializers.CharField(
        max_length=20, help_text=_("Code of a region in your scope; events of cases inside it.")
    )


class CreatedSubscriptionSerializer(SubscriptionSerializer):
    secret = serializers.CharField(
        allow_null=True,
        help_text=_(
            "The signing secret, shown this once. Null when the answer is replayed for a "
            "retried request with the same Idempotency-Key."
        ),
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    uuid = serializers.UUIDField(read_only=True)
    event = serializers.CharField(source="event.type", read_only=True)
    state = serializers.ChoiceField(DeliveryState.choices, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "uuid",
            "event",
            "subscription",
            "state",
            "attempts",
            "next_attempt_at",
            "delivered_at",
            "last_status_code",
            "created_at",
        ]
        read_only_fields = fields


class SubscriptionListCreate(generics.ListAPIView):
    """Your own webhook subscriptions; create one for a region in your scope."""

    serializer_class = SubscriptionSerializer

    def get_queryset(self):
        return Subscription.objects.filter(owner=self.request.user).select_related("region")

    @extend_schema(
        request=SubscriptionCreateSerializer, responses={201: CreatedSubscriptionSerializer}
    )
    def post(self, request: Request) -> Response:
        form = SubscriptionCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        created = services.create_subscription(
            request.user,
            name=form.validated_data["name"],
            url=form.validated_data["url"],
            event_types=form.validated_data["event_types"],
            region_code=form.validated_data["region"],
        )
        data = SubscriptionSerializer(created.subscription).data
        response = Response({**data, "secret": created.secret}, status=status.HTTP_201_CREATED)
        # The secret is shown once: a replay for a retried request gets the record without it.
        response.idempotency_replay_content = JSONRenderer().render({**data, "secret": None})
        return response


class SubscriptionDelete(APIView):
    """Delete one of your own subscriptions."""

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        sub = Subscription.objects.filter(pk=pk, owner=request.user).first()
        if sub is None:
            raise services.WebhookError(str(_("Not found.")), code="not_found", status_code=404)
        services.delete_subscription(request.user, sub)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryReplay(APIView):
    """Send a failed delivery again (administrators, for subscriptions in their scope)."""

    @extend_schema(request=None, responses={202: DeliverySerializer})
    def post(self, request: Request, pk: int) -> Response:
        delivery = services.replay_delivery(request.user, pk)
        delivery = Delivery.objects.select_related("event").get(pk=delivery.pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
