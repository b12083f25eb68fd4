"""The only way WeasyPrint may read anything while it renders a chart: the bundled assets.

WeasyPrint fetches whatever a document points at (stylesheets, images, fonts, and, the classic
way in, `<link rel="attachment">`, which copies the target into the PDF). Our documents are
built from autoescaped templates, so patient text never becomes markup; this fetcher is the
second wall. It serves a fixed list of files bundled with Intake under a private origin and
refuses everything else (file:, http(s):, data:, ftp:, any other host or path) before any
I/O happens. A refusal stops the render (intake.chart.pdf checks `refused` afterwards too,
since WeasyPrint swallows errors raised while it draws an SVG): a legal record is never
produced from a document that tried to reach outside.
"""

from pathlib import Path

from weasyprint import URLFetcher
from weasyprint.urls import FatalURLFetchingError, URLFetcherResponse

# A reserved name (RFC 2606): it can never resolve, so even a bug could not reach a network.
ASSET_BASE_URL = "https://chart-assets.intake.invalid/"
ASSET_DIR = Path(__file__).resolve().parent.parent / "static" / "chart"
_TYPES = {".css": "text/css", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf"}


class RefusedURL(FatalURLFetchingError):
    """A render asked for something that is not one of Intake's bundled chart assets."""


class BundledAssetFetcher(URLFetcher):
    """Serves the files in intake/static/chart by exact URL; refuses every other URL."""

    def __init__(self, asset_dir: Path = ASSET_DIR):
        # Redirects off and no protocol allowed, should anything ever reach the parent class.
        super().__init__(allow_redirects=False, allowed_protocols=(), fail_on_errors=True)
        # Read once, up front: serving never touches the file system, so no path a document
        # names can be resolved, traversed or symlinked into.
        self._assets = {
            ASSET_BASE_URL + path.relative_to(asset_dir).as_posix(): (
                path.read_bytes(),
                _TYPES[path.suffix],
            )
            for path in sorted(asset_dir.rglob("*"))
            if path.is_file() and path.suffix in _TYPES
        }
        self.requested: list[str] = []  # every URL asked for since the last reset()
        self.refused: list[str] = []  # those refused, described without their payload

    @property
    def asset_urls(self) -> tuple[str, ...]:
        """The URLs this fetcher serves."""
        return tuple(self._assets)

    def reset(self) -> None:
        """Forget what was asked for: call before each render."""
        self.requested.clear()
        self.refused.clear()

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        """Serve a bundled asset by its exact URL, or refuse and stop the render."""
        self.requested.append(url)
        asset = self._assets.get(url)
        if asset is None:
            self.refused.append(_describe(url))
            raise RefusedURL(f"refused to fetch {_describe(url)}")
        body, content_type = asset
        return URLFetcherResponse(url, body, headers={"Content-Type": content_type})


def _describe(url: str) -> str:
    """Enough of a URL to debug with, never a whole data: payload or a long query."""
    scheme, _, rest = url.partition(":")
    if scheme.lower() == "data":
        return "a data: URL"
    return f"{scheme}:{rest[:80]}"
