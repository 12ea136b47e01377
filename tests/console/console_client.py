"""A minimal browser for the console's HTTP tests: one cookie jar, no redirects followed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import urllib3

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class ConsoleClient:
    endpoint: str
    cookies: dict[str, str] = field(default_factory=dict)
    pool: urllib3.PoolManager = field(default_factory=lambda: urllib3.PoolManager(retries=False, timeout=30))

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> urllib3.BaseHTTPResponse:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        response = self.pool.request(method, self.endpoint + path, body=body, headers=sent, redirect=False)
        for header in response.headers.getlist("set-cookie"):
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or morsel.value in ("", '""'):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, path: str, headers: dict[str, str] | None = None) -> urllib3.BaseHTTPResponse:
        return self.request("GET", path, headers=headers)

    def post(
        self, path: str, form: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> urllib3.BaseHTTPResponse:
        return self.request("POST", path, form=form or {}, headers=headers)

    def sign_in(self, key: tuple[str, str]) -> urllib3.BaseHTTPResponse:
        return self.post("/console/signin", {"access_key_id": key[0], "secret_access_key": key[1]})

    def csrf_token(self, path: str = "/console/projects") -> str:
        page = self.get(path)
        assert page.status == 200, (page.status, page.data[:500])
        found = CSRF_FIELD.search(page.data.decode())
        assert found, "no csrf_token field on the page"
        return found.group(1)
