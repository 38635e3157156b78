"""OAuth 2.1 resource-server authorization for the MCP endpoint (MCP authorization spec, RFC 9728, RFC 6750, RFC 8707).

The framework-neutral core: configuration, key set, token verification, scopes, challenges, metadata, Origin checks,
and one ASGI middleware that runs them in order before the MCP SDK sees a request. `seam.py` plugs it into the
framework's own auth interface.
"""
