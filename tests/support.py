"""Small helpers shared by tests."""

import re


def csrf_token(client, path: str = "/") -> str:
    """Fetch a page as a browser would and read the CSRF token from its form."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def hidden_fields(client, path: str) -> dict[str, str]:
    """Fetch a page as a browser would; the hidden inputs of its form (the CSRF token, and on
    the consent page the version it shows), which a post sends back."""
    html = client.get(path).get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)" type="hidden" value="([^"]*)"', html))
    assert "csrf_token" in fields, f"no CSRF token on {path}"
    return fields
