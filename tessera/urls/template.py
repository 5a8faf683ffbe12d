"""Expansion of templated ``transport_url`` / ``database_connection`` values.

A cell mapping may store its URLs as ``str.format`` templates such as
``{scheme}://{username}:{password}@cell1-rabbit:{port}/{path}``.  Every host
that loads the mapping expands the template against its *own* base URL (the
``[DEFAULT] transport_url`` or ``[database] connection`` option), so one
mapping can serve hosts whose credentials differ.

The variables mirror what ``urllib.parse.urlsplit`` reports for the base URL;
multi-host bases (``u1:p1@h1:5672,u2:p2@h2:5673``) additionally get numbered
per-host variables (``username1``, ``hostname2``, ...).

Unlike a bare ``str.format`` call, expansion fails loudly with
:class:`TemplateURLError` instead of rendering ``None`` or silently returning
the template when a field cannot be satisfied.
"""

import string
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

# The value of one template variable; None means "the base URL lacks it".
Value = str | int | None

_FORMATTER = string.Formatter()

# Highest valid TCP port, as enforced by urllib's SplitResult.port.
_MAX_PORT = 65535


class TemplateURLError(ValueError):
    """A cell URL template could not be expanded."""

    def __init__(self, detail: str, *, cell: str, option: str, variable: str | None = None) -> None:
        """Build the error; the message is ``"Cell <cell>: <detail>"``."""
        super().__init__(f"Cell {cell}: {detail}")
        self.cell = cell
        self.option = option
        self.variable = variable
        self.detail = detail


@dataclass(frozen=True)
class _Context:
    """Which cell/option is being expanded, for building error messages."""

    cell: str
    option: str
    base_option: str

    def error(self, detail: str, variable: str | None = None) -> TemplateURLError:
        """Return a TemplateURLError for this cell and option."""
        return TemplateURLError(detail, cell=self.cell, option=self.option, variable=variable)


def is_template(value: str | None) -> bool:
    """Return True if ``value`` contains a ``str.format`` replacement field.

    Values whose braces are unbalanced also count as templates: they were
    evidently meant to be one, and :func:`expand` will reject them loudly.
    Escaped braces (``{{`` / ``}}``) alone do not make a template.
    """
    if value is None or ("{" not in value and "}" not in value):
        return False
    try:
        return any(name is not None for _, name, _, _ in _FORMATTER.parse(value))
    except ValueError:
        return True


def template_variables(base: str) -> dict[str, Value]:
    """Return the template variables derived from the base URL ``base``.

    Raises ValueError if ``base`` cannot be parsed as a URL.
    """
    parts = _split_url(base)
    multi_host = "," in parts.netloc
    variables: dict[str, Value] = {
        "scheme": parts.scheme,
        "username": parts.username,
        "password": parts.password,
        "hostname": parts.hostname,
        "port": _whole_url_port(parts, lenient=multi_host),
        "path": parts.path.removeprefix("/"),
        "query": parts.query,
        "fragment": parts.fragment,
    }
    if multi_host:
        variables.update(_numbered_host_variables(parts.netloc))
    return variables


def _split_url(base: str) -> SplitResult:
    """Split ``base`` with urllib, raising ValueError if it is malformed."""
    try:
        return urlsplit(base)
    except ValueError:
        # urllib's message quotes netloc text (possibly credentials): drop it.
        raise ValueError("malformed netloc (IPv6 brackets or characters)") from None


def _whole_url_port(parts: SplitResult, *, lenient: bool) -> int | None:
    """Return urllib's port for the split base URL ``parts``.

    urllib reads the port from everything after the last ``@``, which for a
    multi-host netloc such as ``h1:5672,h2:5673`` is not a number.  That must
    not make the (valid) base unusable, so with ``lenient`` the unreadable
    port is reported as absent; the numbered ``port<i>`` variables remain.
    """
    try:
        return parts.port
    except ValueError:
        if lenient:
            return None
        # urllib quotes the bad port text, which can be a password fragment
        # when a raw "/" cut the netloc short; keep it out of the message.
        raise ValueError(f"port is not an integer in 0-{_MAX_PORT}") from None


def _numbered_host_variables(netloc: str) -> dict[str, Value]:
    """Return ``username<i>``/``password<i>``/``hostname<i>``/``port<i>``."""
    variables: dict[str, Value] = {}
    for index, piece in enumerate(netloc.split(","), start=1):
        try:
            username, password, hostname, port = _parse_host_piece(piece)
        except ValueError as exc:
            raise ValueError(f"host {index} of the netloc: {exc}") from None
        variables[f"username{index}"] = username
        variables[f"password{index}"] = password
        variables[f"hostname{index}"] = hostname
        variables[f"port{index}"] = port
    return variables


def _parse_host_piece(piece: str) -> tuple[str, str | None, str, int | None]:
    """Split one ``user:pass@host:port`` netloc piece into its parts.

    The split is at the *last* ``@`` so that a raw ``@`` in a password works.
    """
    credentials, _, hostport = piece.rpartition("@")
    username, colon, password = credentials.partition(":")
    hostname, port = _split_host_port(hostport)
    return username, (password if colon else None), hostname, port


def _split_host_port(hostport: str) -> tuple[str, int | None]:
    """Split ``host:port``, accepting ``[ipv6]:port`` and bare IPv6 hosts."""
    if hostport.startswith("["):
        host, bracket, rest = hostport[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError("unbalanced '[' or junk after ']' in the host")
        return host, _parse_port(rest[1:])
    if hostport.count(":") == 1:
        host, _, port_text = hostport.partition(":")
        return host, _parse_port(port_text)
    # No colon, or several: an unbracketed IPv6 address cannot carry a port.
    return hostport, None


def _parse_port(text: str) -> int | None:
    """Parse a port the way urllib does; an empty port means no port."""
    if not text:
        return None
    # The text is not quoted in the message: if a raw "," split a password,
    # this "port" may be a fragment of that password.
    if not (text.isascii() and text.isdigit()) or int(text) > _MAX_PORT:
        raise ValueError(f"port is not an integer in 0-{_MAX_PORT}")
    return int(text)


def expand(
    template: str | None,
    base: str | None,
    *,
    cell: str,
    option: str,
    base_option: str,
) -> str | None:
    """Expand the cell URL ``template`` against the host's ``base`` URL.

    ``cell`` labels the cell in errors (e.g. ``"cell1 (<uuid>)"``), ``option``
    names the templated option and ``base_option`` the host option that
    supplied ``base`` (e.g. ``"[DEFAULT] transport_url"``).

    Raises TemplateURLError if the template is malformed, refers to an unknown
    variable or to one the base lacks, or if a template has no base.
    """
    if template is None:
        return None
    if "{" not in template and "}" not in template:
        return template  # Fast path: nothing to expand, base not needed.
    context = _Context(cell=cell, option=option, base_option=base_option)
    pieces = _parse_template(template, context)
    if all(name is None for _, name in pieces):
        # Only escaped braces: str.format semantics, and no base required.
        return "".join(literal for literal, _ in pieces)
    variables = _base_variables(base, context)
    return "".join(
        literal + ("" if name is None else _lookup(name, variables, context))
        for literal, name in pieces
    )


def _parse_template(template: str, context: _Context) -> list[tuple[str, str | None]]:
    """Return ``(literal, field_name)`` pairs after validating every field."""
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise context.error(f"malformed {context.option} template: {exc}") from None
    for _, name, spec, conversion in parsed:
        _check_field(name, spec, conversion, context)
    return [(literal, name) for literal, name, _, _ in parsed]


def _check_field(
    name: str | None, spec: str | None, conversion: str | None, context: _Context
) -> None:
    """Reject field syntax beyond a plain ``{variable}`` reference."""
    if name is None:
        return
    where = f"malformed {context.option} template: field {{{name}"
    if not name:
        raise context.error(f"{where}}} is positional; name a variable instead")
    if "." in name or "[" in name:
        raise context.error(f"{where}}} uses attribute/index access", variable=name)
    if conversion:
        raise context.error(f"{where}!{conversion}}} uses a conversion", variable=name)
    if spec:
        raise context.error(f"{where}:{spec}}} uses a format spec", variable=name)


def _base_variables(base: str | None, context: _Context) -> dict[str, Value]:
    """Return the variables of ``base``, failing if it is unset or unparsable."""
    if not base:
        raise context.error(f"{context.option} is a template but {context.base_option} is not set")
    try:
        return template_variables(base)
    except ValueError as exc:
        # Parse errors never quote the base URL, so credentials cannot leak.
        raise context.error(f"cannot parse {context.base_option}: {exc}") from None


def _lookup(name: str, variables: dict[str, Value], context: _Context) -> str:
    """Return the text substituted for ``{name}``, or raise if unavailable."""
    if name not in variables:
        known = ", ".join(variables)
        raise context.error(
            f"{context.option} template uses unknown variable {{{name}}}; known: {known}",
            variable=name,
        )
    value = variables[name]
    if value is None:
        raise context.error(
            f"{context.option} template uses {{{name}}}, but the base "
            f"{context.base_option} has no {name}",
            variable=name,
        )
    return str(value)
