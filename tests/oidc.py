"""A real OpenID Connect provider for the tests (tests/oidc_provider: django-oauth-toolkit with
OIDC on), started as a subprocess on a free port, and the steps a browser takes through it."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwk, jwt

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "feedbackloop"
CLIENT_SECRET = "feedbackloop-secret-for-tests"
OTHER_CLIENT_ID = "another-app"
DOMAIN = "northwind.example"

PEOPLE: dict[str, dict[str, Any]] = {
    "nora": {
        "password": "nora-pw-123",
        "claims": {
            "email": f"nora@{DOMAIN}",
            "email_verified": True,
            "given_name": "Nora",
            "family_name": "Lindqvist",
            "preferred_username": "nora",
            "groups": ["fl-product"],
        },
    },
    "sam": {
        "password": "sam-pw-123",
        "claims": {
            "email": f"sam@{DOMAIN}",
            "email_verified": True,
            "given_name": "Sam",
            "team": "Onboarding",
        },
    },
    "eve": {
        "password": "eve-pw-123",
        "claims": {"email": "eve@elsewhere.example", "email_verified": True},
    },
    "una": {
        "password": "una-pw-123",
        "claims": {"email": f"una@{DOMAIN}", "email_verified": False},
    },
}


def _rsa_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class OidcProvider:
    def __init__(self, home: Path, redirect_uris: list[str]) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.url}/o"
        self.key_pem = _rsa_pem()
        (home / "key.pem").write_bytes(self.key_pem)
        self.people_set(PEOPLE)
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
            "PYTHONPATH": str(ROOT),
            "PROVIDER_HOME": str(home),
            "PROVIDER_ISSUER": self.issuer,
        }
        clients = [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": redirect_uris,
            },
            {
                "client_id": OTHER_CLIENT_ID,
                "client_secret": "other",
                "redirect_uris": redirect_uris,
            },
        ]
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "tests/oidc_provider/setup_provider.py"),
                json.dumps(clients),
            ],
            env=self.env,
            cwd=ROOT,
            check=True,
            timeout=120,
        )
        self.process: subprocess.Popen[bytes] | None = None

    def people_set(self, people: dict[str, dict[str, Any]]) -> None:
        (self.home / "people.json").write_text(json.dumps(people))

    def start(self) -> None:
        log = open(self.home / "provider.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.discovery_url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"The test provider did not start: see {self.home / 'provider.log'}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def id_token(self, claims: dict[str, Any], *, key_pem: bytes | None = None) -> str:
        """An ID token signed with the provider's key (or another), with these claims."""
        key = jwk.JWK.from_pem(key_pem or self.key_pem)
        kid = jwk.JWK.from_pem(self.key_pem).thumbprint()
        token = jwt.JWT(header={"alg": "RS256", "kid": kid}, claims=claims)
        token.make_signed_token(key)
        return str(token.serialize())


def tampered(id_token: str, **changes: Any) -> str:
    """The same token with its payload changed and its signature kept."""
    header, payload, signature = id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def through_provider(start_location: str, username: str, password: str) -> str:
    """What the browser does at the provider: follow the authorization request to its login
    page, sign in, and come back with the redirect to FeedbackLoop's callback (returned)."""
    session = requests.Session()
    answer = session.get(start_location, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    login_url = urljoin(start_location, answer.headers["Location"])
    page = session.get(login_url, timeout=10)
    assert page.status_code == 200
    next_path = dict(
        part.split("=", 1) for part in urlsplit(login_url).query.split("&") if "=" in part
    ).get("next", "")
    from urllib.parse import unquote

    posted = session.post(
        login_url,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["provider_csrf"],
            "next": unquote(next_path),
        },
        allow_redirects=False,
        timeout=10,
    )
    assert posted.status_code == 302, posted.text[:500]
    authorize = session.get(
        urljoin(login_url, posted.headers["Location"]), allow_redirects=False, timeout=10
    )
    assert authorize.status_code == 302, authorize.text[:500]
    return str(authorize.headers["Location"])
