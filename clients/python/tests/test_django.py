"""The Django REST Framework authentication class, with a live server's tokens."""

from __future__ import annotations

import django
import pytest
from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="test",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
        DATABASES={},
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": ["latchkey.django.LatchkeyAuthentication"],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
            "UNAUTHENTICATED_USER": None,
        },
        LATCHKEY={"ISSUER": "http://unset.invalid"},
    )
    django.setup()

from django.test import override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.decorators import api_view  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402


@api_view(["GET"])
def whoami(request):
    return Response(
        {
            "id": request.user.id,
            "email": request.user.email,
            "sid": request.user.claims["sid"],
            "auth_is_claims": request.auth is request.user.claims,
        }
    )


urlpatterns = [path("api/whoami", whoami)]


@pytest.fixture
def latchkey_settings(server):
    with override_settings(LATCHKEY={"ISSUER": server.url, "AUDIENCE": "latchkey"}):
        yield


def test_a_token_authenticates_the_request(server, address, latchkey_settings):
    email = address()
    token = server.user(email)
    _, me = server.call("GET", "/api/v1/me", token=token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    r = client.get("/api/whoami")
    assert r.status_code == 200, r.content
    assert r.json()["id"] == me["id"]
    assert r.json()["email"] == email
    assert r.json()["auth_is_claims"] is True


def test_missing_or_bad_tokens_get_401_with_www_authenticate(server, address, latchkey_settings):
    token = server.user(address())
    for header in [None, "Bearer garbage", f"Bearer {token}x", "Bearer", f"Bearer {token} extra"]:
        client = APIClient()
        if header:
            client.credentials(HTTP_AUTHORIZATION=header)
        r = client.get("/api/whoami")
        assert r.status_code == 401, header
        assert r["WWW-Authenticate"] == "Bearer"


def test_another_audience_in_the_settings_refuses_the_token(server, address):
    token = server.user(address())
    with override_settings(LATCHKEY={"ISSUER": server.url, "AUDIENCE": "another-app"}):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        assert client.get("/api/whoami").status_code == 401
    with override_settings(LATCHKEY={"ISSUER": server.url, "JWKS_URL": "http://127.0.0.1:9/jwks"}):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        assert client.get("/api/whoami").status_code == 503
