"""Image references, checked against the grammar Docker and buildx parse tags with.

The grammar is distribution/reference's (reference.go, "Grammar", at
https://github.com/distribution/reference/blob/0965666a6ade2e06035fe352e38344be1e68951a/reference.go):

    reference        := name [ ":" tag ] [ "@" digest ]
    name             := [domain '/'] remote-name
    domain           := host [':' port-number]
    host             := domain-name | IPv4address | \\[ IPv6address \\]
    domain-name      := domain-component ['.' domain-component]*
    domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
    port-number      := /[0-9]+/
    path-component   := alpha-numeric [separator alpha-numeric]*
    remote-name      := path-component ['/' path-component]*
    alpha-numeric    := /[a-z0-9]+/
    separator        := /[_.]|__|[-]+/
    tag              := /[\\w][\\w.-]{0,127}/
    digest           := algorithm ":" /[0-9a-fA-F]{32,}/

and a repository path of at most 255 characters (RepositoryNameTotalLengthMax). bake composes
each tag as ``<registry>/<IMAGE_NAME>:<tag name>``, so a wrong REGISTRY or IMAGE_NAME surfaces
here, before any build, instead of as buildx's "invalid reference format" after the bake file loaded.
"""

from __future__ import annotations

import re

from .errors import BakegenError

GRAMMAR = "https://github.com/distribution/reference/blob/0965666a6ade2e06035fe352e38344be1e68951a/reference.go"

_ALNUM = r"[a-z0-9]+"
_PATH_COMPONENT = rf"{_ALNUM}(?:(?:[._]|__|-+){_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_PATH = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"\w[\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
REFERENCE_RE = re.compile(rf"^(?:({_DOMAIN})/)?({_PATH})(?::({_TAG}))?(?:@({_DIGEST}))?\Z", re.ASCII)
PATH_MAX = 255


def _why(ref: str) -> str:
    if not ref:
        return "it is empty"
    if any(c.isspace() for c in ref):
        return "it contains white space"
    if ref.startswith("/") or "//" in ref:
        return "it has an empty path component"
    if REFERENCE_RE.match(ref.lower()):
        return "repository names are lower-case"
    return "see the grammar at " + GRAMMAR


def is_reference(ref: str) -> bool:
    m = REFERENCE_RE.match(ref)
    return bool(m) and len(m.group(2)) <= PATH_MAX


def check_reference(ref: str, what: str) -> str:
    """``ref`` when it is a valid image reference; else a one-line error naming ``what`` set it."""
    if not is_reference(ref):
        raise BakegenError(f"{what}: {ref!r} is not a valid image reference ({_why(ref)})")
    return ref


def host_of(ref: str) -> str:
    """The registry host a reference names, Docker Hub's for names without one."""
    m = REFERENCE_RE.match(ref)
    domain = m.group(1) if m else None
    # Docker's normalization: the first component is a registry when it has a dot, a port or an
    # upper-case letter, or is localhost (distribution/reference normalize.go, splitDockerDomain).
    if domain and ("." in domain or ":" in domain or domain == "localhost" or domain.lower() != domain):
        return domain
    return "docker.io"
