"""/docs and /redoc load their JavaScript and CSS from this service, never from a CDN."""

import re

import httpx


def _asset_urls(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page)


async def test_docs_pages_reference_only_local_assets_that_answer(api: httpx.AsyncClient) -> None:
    for page_path in ("/docs", "/redoc"):
        page = await api.get(page_path)
        assert page.status_code == 200
        urls = _asset_urls(page.text)
        assert urls, page.text
        assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls
        assert "cdn" not in page.text.lower()
        for url in urls:
            asset = await api.get(url)
            assert asset.status_code == 200, url
            if url.endswith(".js"):
                assert "javascript" in asset.headers["content-type"]
                assert len(asset.content) > 100_000  # the real bundle, not a stub
            elif url.endswith(".css"):
                assert asset.headers["content-type"].startswith("text/css")


async def test_docs_page_loads_the_openapi_document_of_this_app(api: httpx.AsyncClient) -> None:
    page = await api.get("/docs")
    schema = await api.get("/openapi.json")
    oauth2_redirect = await api.get("/docs/oauth2-redirect")  # Swagger UI's OAuth2 flows come back here

    assert "'/openapi.json'" in page.text or '"/openapi.json"' in page.text
    assert schema.status_code == oauth2_redirect.status_code == 200
    assert schema.json()["info"]["title"] == "payinvoice"
