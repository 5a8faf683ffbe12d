"""Password masking for URLs shown to operators (e.g. ``list_cells``).

Masking is string surgery on the netloc rather than parse-and-rebuild, so
that everything except the passwords is reproduced byte for byte, including
multi-host netlocs (``u1:p1@h1,u2:p2@h2``) that urllib cannot rebuild.
"""

MASK = "****"

# Characters that end the netloc: the start of the path, query or fragment.
_NETLOC_TERMINATORS = "/?#"


def mask_password(url: str | None) -> str | None:
    """Return ``url`` with the password of every host replaced by ``****``.

    Hosts without ``user:password@`` credentials are left as they are, and
    nothing outside the passwords is altered.
    """
    if url is None:
        return None
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url  # No authority component, hence no credentials.
    end = _netloc_end(rest)
    netloc = ",".join(_mask_host(piece) for piece in rest[:end].split(","))
    return f"{scheme}{separator}{netloc}{rest[end:]}"


def _netloc_end(rest: str) -> int:
    """Return the index in ``rest`` (the text after ``://``) where the netloc ends."""
    ends = [rest.find(char) for char in _NETLOC_TERMINATORS]
    return min((index for index in ends if index >= 0), default=len(rest))


def _mask_host(piece: str) -> str:
    """Mask the password in one ``user:password@host:port`` netloc piece."""
    credentials, at, hostport = piece.rpartition("@")
    if not at:
        return piece  # No credentials at all.
    username, colon, _ = credentials.partition(":")
    if not colon:
        return piece  # A username alone carries no secret.
    # The last "@" ends the credentials and the first ":" starts the password,
    # so passwords containing raw "@" or ":" are masked whole.
    return f"{username}:{MASK}@{hostport}"
