"""Tests for tessera.urls.mask: password masking for list_cells output."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tessera.urls.mask import mask_password
from tests.unit.urls.test_template import HOST_ENTRIES, PATHS, SCHEMES, Host


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "rabbit://u1:p1@h1:5672,u2:p2@h2:5672/vh",
            "rabbit://u1:****@h1:5672,u2:****@h2:5672/vh",
        ),
        (
            "mysql+pymysql://root:secret@127.0.0.1/db?charset=utf8",
            "mysql+pymysql://root:****@127.0.0.1/db?charset=utf8",
        ),
        ("rabbit://u:p@[::1]:5672/", "rabbit://u:****@[::1]:5672/"),
        ("rabbit://u:p@h", "rabbit://u:****@h"),
        ("rabbit://u:p@h?q=1", "rabbit://u:****@h?q=1"),
        ("rabbit://u:p@h#frag", "rabbit://u:****@h#frag"),
        ("rabbit://u:@h/", "rabbit://u:****@h/"),
        # Passwords with raw "@" or ":" and percent escapes are masked whole.
        ("rabbit://u:p@ss:w%2Fd@h:1/", "rabbit://u:****@h:1/"),
        ("rabbit://u:p%40%3A%25@h/", "rabbit://u:****@h/"),
        # Mixed hosts: only the ones with a password change.
        ("rabbit://h1:1,u2@h2:2,u3:p3@h3:3/", "rabbit://h1:1,u2@h2:2,u3:****@h3:3/"),
    ],
)
def test_mask_password(url: str, expected: str) -> None:
    assert mask_password(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "none:///",
        "sqlite:////var/lib/x.db",
        "sqlite://",
        "rabbit://h1:5672,h2:5672/vh",
        "rabbit://guest@localhost:5672/",
        "rabbit://h/path:with@colon?q=a:b@c#x:y@z",
        "not a url at all",
        "",
    ],
)
def test_mask_password_leaves_urls_without_password_alone(url: str) -> None:
    assert mask_password(url) == url


def test_mask_password_none() -> None:
    assert mask_password(None) is None


def build_url(scheme: str, hosts: list[Host], path: str, mask: str | None = None) -> str:
    """Render a URL, replacing every password with ``mask`` if given."""
    return f"{scheme}://{','.join(host.render(mask) for host in hosts)}/{path}"


@settings(max_examples=200)
@given(scheme=SCHEMES, hosts=st.lists(HOST_ENTRIES, min_size=1, max_size=3), path=PATHS)
def test_mask_password_hides_every_password(scheme: str, hosts: list[Host], path: str) -> None:
    masked = mask_password(build_url(scheme, hosts, path))
    expected = build_url(scheme, hosts, path, mask="****")
    assert masked == expected
    for host in hosts:
        if host.credentials is None:
            continue
        password = host.credentials[1]
        # Skip passwords that occur by chance in the rest of the URL.
        if len(password) >= 4 and password not in expected:
            assert masked is not None and password not in masked


@settings(max_examples=200)
@given(scheme=SCHEMES, hosts=st.lists(HOST_ENTRIES, min_size=1, max_size=3), path=PATHS)
def test_mask_password_without_passwords_is_identity(
    scheme: str, hosts: list[Host], path: str
) -> None:
    # Keep only usernames (or nothing): no piece of the netloc has a password.
    bare = [Host(None, host.host, host.port) for host in hosts]
    url = build_url(scheme, bare, path)
    assert mask_password(url) == url
    users_only = ",".join(
        bare_host.render() if host.credentials is None
        else f"{host.credentials[0]}@{bare_host.render()}"
        for host, bare_host in zip(hosts, bare, strict=True)
    )  # fmt: skip
    url = f"{scheme}://{users_only}/{path}"
    assert mask_password(url) == url
