"""The web console at ``/console/`` on the API's port (docs/console.md).

Server-rendered Jinja2 pages with htmx (vendored in ``static/``). Modules: ``routes`` (the
mount), ``paths`` (where, and which requests are the console's), ``session_store``, ``cookies``,
``csrf``, ``guard`` (what pages and actions require), ``calls`` (console actions as API
operations), ``templates``; one module per page group: ``signin``, ``projects``.
"""
