# SPDX-License-Identifier: MIT
"""Failures as the API server reports them: a metav1.Status body with the
HTTP code, reason and message that a real kube-apiserver sends, because
clients (kubectl, client-go, our kg) branch on code and reason."""

REASONS = {
    400: "BadRequest", 401: "Unauthorized", 404: "NotFound", 405: "MethodNotAllowed",
    409: "Conflict", 410: "Expired", 415: "UnsupportedMediaType", 422: "Invalid",
    429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
    504: "Timeout",
}


class ApiError(Exception):
    def __init__(self, code, message, reason=None, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details

    def status(self):
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {},
                "status": "Failure", "message": self.message,
                "reason": self.reason, "code": self.code}
        if self.details is not None:
            body["details"] = self.details
        return body


def details(resource, name):
    return {"name": name, "group": resource.group, "kind": resource.plural}


def not_found(resource, name):
    return ApiError(404, '%s "%s" not found' % (resource.qualified, name),
                    details=details(resource, name))


def no_such_path():
    return ApiError(404, "the server could not find the requested resource",
                    details={})


def already_exists(resource, name):
    return ApiError(409, '%s "%s" already exists' % (resource.qualified, name),
                    reason="AlreadyExists", details=details(resource, name))


def conflict(resource, name):
    return ApiError(409, 'Operation cannot be fulfilled on %s "%s": the object has '
                    'been modified; please apply your changes to the latest '
                    'version and try again' % (resource.qualified, name),
                    details=details(resource, name))


def invalid(resource, name, causes):
    """causes: [(field, reason, message)] as in field.ErrorList."""
    texts = ["%s: %s" % (field, msg) if field else msg for field, _, msg in causes]
    joined = texts[0] if len(texts) == 1 else "[%s]" % ", ".join(texts)
    kind = resource.kind if not resource.group else "%s.%s" % (resource.kind, resource.group)
    return ApiError(422, '%s "%s" is invalid: %s' % (kind, name, joined),
                    details={"name": name, "group": resource.group, "kind": resource.kind,
                             "causes": [{"reason": r, "message": m, "field": f}
                                        for f, r, m in causes]})


def expired(message):
    return ApiError(410, message, reason="Expired")


def too_old(requested, oldest):
    return expired("too old resource version: %d (%d)" % (requested, oldest))
