-- http.*: calls to other systems over HTTP.  They never run inside the run's
-- transaction: the call writes a request into the outbox (algawf.http_requests)
-- and the run parks; a background executor sends it with libcurl after commit
-- and records the response, and the run resumes with it.  See doc/worker.md.

SELECT algawf.register_action($def${
  "id": "http.request", "version": 1,
  "label": "HTTP Request", "category": "Integration",
  "description": "Send an HTTP request to an allowed host (algawf.http_allowed_hosts) and return the response. Sent by the background worker after the run's transaction commits, with an Idempotency-Key header (the same for every resend) and X-Correlation-Id (the run id). 429 and 5xx answers and timeouts are transient (retried by the step's retry policy, Retry-After honoured); redirects are not followed.",
  "inputSchema": {"type": "object", "required": ["url"], "additionalProperties": false, "properties": {
    "method": {"type": "string", "enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "get", "post", "put", "patch", "delete", "head", "options"],
               "default": "GET", "description": "HTTP method"},
    "url": {"type": "string", "minLength": 1, "maxLength": 8192, "description": "http:// or https:// URL; its host must be allowed"},
    "headers": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "object"]},
                "description": "Request headers; values may be {\"$secret\": \"NAME\"}"},
    "query": {"type": "object", "description": "Query parameters appended to the URL (arrays repeat the key)"},
    "json": {"description": "A JSON body (sent as application/json)"},
    "form": {"type": "object", "description": "A form body (application/x-www-form-urlencoded)"},
    "body": {"type": "string", "description": "A raw text body"},
    "timeoutMs": {"type": "integer", "minimum": 1, "maximum": 600000, "description": "Total time limit (default algawf.http_timeout)"},
    "expectStatus": {"type": ["integer", "array"], "items": {"type": "integer"},
                     "description": "Statuses that count as success (default: any 2xx)"}}},
  "outputSchema": {"type": "object", "required": ["status", "headers", "body"], "properties": {
    "status": {"type": "integer", "description": "HTTP status"},
    "headers": {"type": "object", "description": "Response headers, lower-case names"},
    "body": {"type": "string", "description": "Response body as text"},
    "json": {"description": "The body parsed, when the response is JSON"}}},
  "sideEffectful": true, "idempotency": {"mode": "engineProvided"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "Post a JSON message",
                "input": {"method": "POST", "url": "https://hooks.example.com/alerts", "json": {"text": "Ticket T-1001 escalated"},
                          "headers": {"Authorization": {"$secret": "ALERTS_TOKEN"}}},
                "output": {"status": 200, "headers": {"content-type": "application/json"}, "body": "{\"ok\":true}", "json": {"ok": true}}}],
  "implementation": {"kind": "http"}
}$def$);
