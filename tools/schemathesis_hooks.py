"""Hooks for tools/check-api: how schemathesis sends bodies it has no serializer for.

The own-PDF upload (`PUT /api/therapy-reports/{id}/attachment`) takes `application/pdf`; its
generated bodies go as they are (bytes, or their text), so the portal's own check of the file
is what gets fuzzed.
"""

import schemathesis
from schemathesis.transport.serialization import serialize_binary


@schemathesis.serializer("application/pdf")
def pdf(ctx, value):
    return {"data": serialize_binary(value)}
