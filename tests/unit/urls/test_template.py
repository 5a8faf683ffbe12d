"""Tests for tessera.urls.template: expansion of templated cell URLs."""

from dataclasses import dataclass
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tessera.urls.template import TemplateURLError, expand, is_template, template_variables

CELL = "cell1 (3f2b7c1e-0000-4000-8000-000000000001)"
TRANSPORT = "[DEFAULT] transport_url"
DATABASE = "[database] connection"

REFERENCE_BASE = "rabbit://bob:s3kret@localhost:123/nova?munchies=doritos#baz"
MULTI_BASE = "rabbit://u1:p1@h1:5672,u2:p2@h2:5673/vhost"


def expand_transport(template: str | None, base: str | None) -> str | None:
    """Expand a transport_url template for CELL."""
    return expand(template, base, cell=CELL, option="transport_url", base_option=TRANSPORT)


def expand_error(template: str, base: str | None) -> TemplateURLError:
    """Expand a template that must fail and return the error."""
    with pytest.raises(TemplateURLError) as info:
        expand_transport(template, base)
    return info.value


# --- is_template -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        ("", False),
        ("rabbit://u:p@h:5672/", False),
        ("rabbit://h/{{literal}}", False),
        ("{scheme}://h/", True),
        ("rabbit://h/{{{path}}}", True),
        ("rabbit://h/{", True),  # malformed: expand() must reject it
        ("rabbit://h/}", True),
    ],
)
def test_is_template(value: str | None, expected: bool) -> None:
    assert is_template(value) is expected


# --- template_variables ----------------------------------------------------


def test_variables_of_reference_base() -> None:
    assert template_variables(REFERENCE_BASE) == {
        "scheme": "rabbit",
        "username": "bob",
        "password": "s3kret",
        "hostname": "localhost",
        "port": 123,
        "path": "nova",
        "query": "munchies=doritos",
        "fragment": "baz",
    }


def test_variables_keep_percent_encoding() -> None:
    variables = template_variables("rabbit://us%3Aer:p%40ss%2Fw@h/")
    assert variables["username"] == "us%3Aer"
    assert variables["password"] == "p%40ss%2Fw"


def test_variables_of_base_without_credentials_or_port() -> None:
    variables = template_variables("rabbit://HOST.example/")
    assert variables["username"] is None
    assert variables["password"] is None
    assert variables["hostname"] == "host.example"  # urllib lowercases
    assert variables["port"] is None
    assert variables["path"] == ""


def test_variables_of_multi_host_base() -> None:
    variables = template_variables(MULTI_BASE)
    # Un-numbered variables keep urllib's whole-URL reading (reference behaviour).
    assert variables["username"] == "u1"
    assert variables["password"] == "p1@h1:5672,u2:p2"
    assert variables["hostname"] == "h2"
    assert variables["port"] == 5673
    assert variables["path"] == "vhost"
    assert {k: variables[k] for k in variables if k[-1].isdigit()} == {
        "username1": "u1",
        "password1": "p1",
        "hostname1": "h1",
        "port1": 5672,
        "username2": "u2",
        "password2": "p2",
        "hostname2": "h2",
        "port2": 5673,
    }


def test_variables_of_multi_host_base_without_credentials() -> None:
    variables = template_variables("rabbit://h1:5672,h2:5673/")
    assert variables["username1"] == ""
    assert variables["password1"] is None
    assert variables["hostname2"] == "h2"
    assert variables["port2"] == 5673
    # urllib cannot read "5672,h2:5673" as a port; that must not be fatal.
    assert variables["port"] is None


def test_variables_of_multi_host_base_with_at_in_password_and_ipv6() -> None:
    variables = template_variables("rabbit://u1:p@ss@[::1]:5672,u2@[fe80::2]/")
    assert variables["username1"] == "u1"
    assert variables["password1"] == "p@ss"
    assert variables["hostname1"] == "::1"
    assert variables["port1"] == 5672
    assert variables["username2"] == "u2"
    assert variables["password2"] is None
    assert variables["hostname2"] == "fe80::2"
    assert variables["port2"] is None


def test_variables_of_ipv6_base() -> None:
    variables = template_variables("rabbit://u:p@[::1]:5672/")
    assert variables["hostname"] == "::1"
    assert variables["port"] == 5672


def test_variables_of_sqlite_base_keep_absolute_path() -> None:
    variables = template_variables("sqlite:////var/lib/x.db")
    assert variables["hostname"] is None
    assert variables["path"] == "/var/lib/x.db"


@pytest.mark.parametrize(
    "base",
    [
        "rabbit://u:p@h:notaport/",
        "rabbit://u:p@h:70000/",
        "rabbit://u:p@[::1/",
        "rabbit://u1:p1@h1:xx,u2:p2@h2/",
    ],
)
def test_variables_reject_malformed_base(base: str) -> None:
    with pytest.raises(ValueError, match=r"port|netloc"):
        template_variables(base)


# --- expand: successful expansion ------------------------------------------


def test_expand_reference_example() -> None:
    template = (
        "{scheme}://not{username}:{password}@{hostname}:1{port}/{path}"
        "?{query}&flavor=coolranch#{fragment}"
    )
    assert (
        expand_transport(template, REFERENCE_BASE)
        == "rabbit://notbob:s3kret@localhost:1123/nova?munchies=doritos&flavor=coolranch#baz"
    )


def test_expand_database_connection() -> None:
    base = "mysql+pymysql://root:secret@127.0.0.1/nova?charset=utf8"
    template = "{scheme}://{username}:{password}@db-cell1/{path}_cell1?{query}"
    result = expand(template, base, cell=CELL, option="database_connection", base_option=DATABASE)
    assert result == "mysql+pymysql://root:secret@db-cell1/nova_cell1?charset=utf8"


def test_expand_none_template() -> None:
    assert expand_transport(None, REFERENCE_BASE) is None
    assert expand_transport(None, None) is None


@pytest.mark.parametrize("base", [None, "", REFERENCE_BASE, "rabbit://u:p@h:bad/"])
def test_expand_plain_url_is_unchanged_without_parsing_base(base: str | None) -> None:
    assert expand_transport("rabbit://u:p@cell1:5672/", base) == "rabbit://u:p@cell1:5672/"


def test_expand_escaped_braces_are_literal() -> None:
    result = expand_transport("{scheme}://h/{{vhost}}?q={{{query}}}", "rabbit://x/?a=1")
    assert result == "rabbit://h/{vhost}?q={a=1}"


def test_expand_only_escaped_braces_needs_no_base() -> None:
    assert expand_transport("rabbit://h/{{x}}", None) == "rabbit://h/{x}"


def test_expand_multi_host_numbered_variables() -> None:
    template = "{scheme}://{username1}:{password1}@c1:{port1},{username2}:{password2}@c2:{port2}/"
    assert expand_transport(template, MULTI_BASE) == "rabbit://u1:p1@c1:5672,u2:p2@c2:5673/"


def test_expand_multi_host_unnumbered_variables_follow_urllib() -> None:
    result = expand_transport("{username}|{password}|{hostname}|{port}", MULTI_BASE)
    assert result == "u1|p1@h1:5672,u2:p2|h2|5673"


def test_expand_ipv6_round_trip() -> None:
    base = "rabbit://u:p@[::1]:5672/"
    assert expand_transport("{scheme}://{username}:{password}@[{hostname}]:{port}/", base) == base


def test_expand_empty_password_is_allowed() -> None:
    assert expand_transport("{password}", "rabbit://u:@h/") == ""


# --- expand: loud failures -------------------------------------------------


@pytest.mark.parametrize("base", [None, ""])
def test_expand_template_without_base(base: str | None) -> None:
    error = expand_error("{scheme}://h/", base)
    assert str(error) == f"Cell {CELL}: transport_url is a template but {TRANSPORT} is not set"
    assert (error.cell, error.option, error.variable) == (CELL, "transport_url", None)
    assert isinstance(error, ValueError)


def test_expand_missing_port() -> None:
    error = expand_error("{scheme}://h:{port}/", "rabbit://u:p@h/")
    assert str(error) == (
        f"Cell {CELL}: transport_url template uses {{port}}, but the base {TRANSPORT} has no port"
    )
    assert error.variable == "port"


@pytest.mark.parametrize(
    ("template", "base", "variable"),
    [
        ("{password}", "rabbit://u@h/", "password"),
        ("{username}", "rabbit://h/", "username"),
        ("{hostname}", "sqlite:////x.db", "hostname"),
        ("{password2}", "rabbit://u1:p1@h1,u2@h2/", "password2"),
        ("{port1}", "rabbit://h1,h2:1/", "port1"),
    ],
)
def test_expand_variable_absent_from_base(template: str, base: str, variable: str) -> None:
    error = expand_error(template, base)
    assert error.variable == variable
    assert f"{{{variable}}}" in str(error)
    assert CELL in str(error)
    assert "None" not in str(error)


@pytest.mark.parametrize("variable", ["username1", "user", "0", "PORT"])
def test_expand_unknown_variable(variable: str) -> None:
    with pytest.raises(TemplateURLError) as info:
        expand(
            f"{{{variable}}}", "mysql://u:p@h/db", cell=CELL,
            option="database_connection", base_option=DATABASE,
        )  # fmt: skip
    message = str(info.value)
    assert message.startswith(
        f"Cell {CELL}: database_connection template uses unknown variable {{{variable}}}; "
        "known: scheme, username, password, hostname, port, path, query, fragment"
    )
    assert info.value.variable == variable


@pytest.mark.parametrize(
    ("template", "variable", "detail"),
    [
        ("{scheme.upper}", "scheme.upper", "attribute/index access"),
        ("{path[0]}", "path[0]", "attribute/index access"),
        ("{port!r}", "port", "conversion"),
        ("{port:d}", "port", "format spec"),
        ("{port:{path}}", "port", "format spec"),
        ("{}", None, "positional"),
        ("{!s}", None, "positional"),
    ],
)
def test_expand_unsupported_field_syntax(template: str, variable: str | None, detail: str) -> None:
    error = expand_error(template, REFERENCE_BASE)
    assert error.variable == variable
    assert detail in str(error)
    assert str(error).startswith(f"Cell {CELL}: malformed transport_url template: ")


@pytest.mark.parametrize("template", ["{scheme", "{scheme}://h/}", "rabbit://{", "}{"])
def test_expand_unbalanced_braces(template: str) -> None:
    error = expand_error(template, REFERENCE_BASE)
    assert str(error).startswith(f"Cell {CELL}: malformed transport_url template: ")


def test_expand_syntax_is_checked_before_base() -> None:
    # A broken template is reported as such even when the base is missing too.
    assert "malformed" in str(expand_error("{scheme", None))


@pytest.mark.parametrize(
    "base",
    [
        "rabbit://user:hunter2/x@h/",  # raw "/" cuts the netloc: "hunter2" looks like a port
        "rabbit://u1:hunter2,x@h1,u2:p@h2/",  # raw "," splits the password
        "rabbit://user:hun[ter2]@h/",  # brackets inside the password
    ],
)
def test_expand_base_parse_errors_do_not_leak_credentials(base: str) -> None:
    error = expand_error("{scheme}://h/", base)
    assert f"cannot parse {TRANSPORT}" in str(error)
    assert "ter2" not in str(error)


# --- property tests --------------------------------------------------------

SCHEMES = st.sampled_from(["rabbit", "mysql+pymysql", "postgresql+psycopg"])

# Arbitrary text, biased towards the characters that are special in a netloc.
RAW_TEXT = st.text(
    alphabet=st.one_of(st.sampled_from("@:/%,?#[]"), st.characters(codec="utf-8")),
    max_size=12,
)

# Usernames are fully quoted; passwords may keep raw "@" and ":" because the
# last "@" ends the credentials and the first ":" ends the username.
USERNAMES = RAW_TEXT.map(lambda text: quote(text, safe=""))
PASSWORDS = st.builds(quote, RAW_TEXT, safe=st.sampled_from(["", "@:"]))

_LABELS = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
DNS_NAMES = st.lists(_LABELS, min_size=1, max_size=3).map(".".join)
# Hosts as they appear in a netloc: IPv6 addresses carry their brackets.
HOSTS = st.one_of(
    DNS_NAMES,
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda address: f"[{address}]"),
)
PORTS = st.one_of(st.none(), st.integers(min_value=0, max_value=65535))
PATHS = RAW_TEXT.map(lambda text: quote(text, safe="/"))


@dataclass(frozen=True)
class Host:
    """One generated netloc host; credentials is None for a bare host."""

    credentials: tuple[str, str] | None
    host: str
    port: int | None

    def render(self, password: str | None = None) -> str:
        """Return ``user:password@host:port`` (password overridable)."""
        netloc = self.host if self.port is None else f"{self.host}:{self.port}"
        if self.credentials is None:
            return netloc
        username, own_password = self.credentials
        return f"{username}:{own_password if password is None else password}@{netloc}"


HOST_ENTRIES = st.builds(
    Host,
    credentials=st.one_of(st.none(), st.tuples(USERNAMES, PASSWORDS)),
    host=HOSTS,
    port=PORTS,
)


def host_template(host: Host, suffix: str) -> str:
    """Return the template that rebuilds ``host`` from variables ``*<suffix>``."""
    hostname = f"{{hostname{suffix}}}"
    if host.host.startswith("["):
        hostname = f"[{hostname}]"
    if host.port is not None:
        hostname += f":{{port{suffix}}}"
    if host.credentials is None:
        return hostname
    return f"{{username{suffix}}}:{{password{suffix}}}@{hostname}"


@settings(max_examples=200)
@given(
    scheme=SCHEMES, username=USERNAMES, password=PASSWORDS,
    host=HOSTS, port=PORTS, path=PATHS,
)  # fmt: skip
def test_single_host_round_trip(
    scheme: str, username: str, password: str, host: str, port: int | None, path: str
) -> None:
    entry = Host((username, password), host, port)
    base = f"{scheme}://{entry.render()}/{path}"
    template = f"{{scheme}}://{host_template(entry, '')}/{{path}}"
    assert expand_transport(template, base) == base


@settings(max_examples=200)
@given(scheme=SCHEMES, hosts=st.lists(HOST_ENTRIES, min_size=1, max_size=3), path=PATHS)
def test_multi_host_round_trip(scheme: str, hosts: list[Host], path: str) -> None:
    base = f"{scheme}://{','.join(host.render() for host in hosts)}/{path}"
    # Numbered variables exist only for multi-host bases; one host uses plain ones.
    suffixes = [str(i) for i in range(1, len(hosts) + 1)] if len(hosts) > 1 else [""]
    netloc = ",".join(host_template(h, s) for h, s in zip(hosts, suffixes, strict=True))
    assert expand_transport(f"{{scheme}}://{netloc}/{{path}}", base) == base


@settings(max_examples=200)
@given(
    template=st.text().filter(lambda text: "{" not in text and "}" not in text),
    base=st.one_of(st.none(), st.text()),
)
def test_template_without_braces_is_returned_unchanged(template: str, base: str | None) -> None:
    assert not is_template(template)
    assert expand_transport(template, base) == template
