-- transform.*: pure data transformations, built into algawf (src/transform*.c),
-- with Alga PSA's action ids, inputs, outputs and semantics.  None has side
-- effects or needs a permission; all use engine-provided idempotency keys.

SELECT algawf.register_action($def${
  "id": "transform.parse_json", "version": 1,
  "label": "Parse JSON", "category": "Transform",
  "description": "Parse JSON text or pass through literal object/array values for downstream mapping.",
  "inputSchema": {"type": "object", "required": ["source"], "properties": {
    "source": {"type": ["string", "array", "object"], "description": "JSON text or literal object/array to parse"}}},
  "outputSchema": {"type": "object", "required": ["value", "type"], "properties": {
    "value": {"description": "Parsed JSON value"},
    "type": {"enum": ["object", "array", "string", "number", "boolean", "null"], "description": "Detected JSON type for the parsed value"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"title": "Parse a webhook body", "input": {"source": "{\"ticket\": {\"id\": 42}}"},
                "output": {"value": {"ticket": {"id": 42}}, "type": "object"}}],
  "implementation": {"kind": "builtin", "name": "transform.parse_json"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.query_json", "version": 1,
  "label": "Query JSON", "category": "Transform",
  "description": "Evaluate a JSONata expression against a source value and return structured output.",
  "inputSchema": {"type": "object", "required": ["source", "expression"], "properties": {
    "source": {"description": "Input value exposed to expression as \"source\""},
    "expression": {"type": "string", "minLength": 1, "description": "JSONata expression to evaluate against source"}}},
  "outputSchema": {"type": "object", "required": ["value"], "properties": {
    "value": {"description": "Evaluated JSONata result (null when undefined)"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"title": "Sum line items", "input": {"source": {"items": [{"qty": 2}, {"qty": 3}]}, "expression": "$sum(source.items.qty)"},
                "output": {"value": 5}}],
  "implementation": {"kind": "builtin", "name": "transform.query_json"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.stringify_json", "version": 1,
  "label": "Stringify JSON", "category": "Transform",
  "description": "Serialize JSON-compatible values to text for storage, transport, or templating.",
  "inputSchema": {"type": "object", "required": ["source"], "properties": {
    "source": {"description": "JSON-serializable value to serialize"},
    "spacing": {"type": "integer", "minimum": 0, "maximum": 8, "description": "Optional pretty-print spacing between 0 and 8"}}},
  "outputSchema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "description": "Serialized JSON text"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"source": {"a": [1, 2]}}, "output": {"text": "{\"a\":[1,2]}"}}],
  "implementation": {"kind": "builtin", "name": "transform.stringify_json"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.compose_text", "version": 1,
  "label": "Compose Text", "category": "Transform",
  "description": "Compose one or more markdown text outputs from literal content and workflow references.",
  "inputSchema": {"type": "object", "additionalProperties": false, "properties": {
    "outputs": {"type": "array", "minItems": 1, "items": {"type": "object"},
                "description": "Outputs [{id, label, stableKey, document}]; normally taken from the step's config.outputs"},
    "context": {"type": "object", "description": "Data the references resolve against; normally the step's payload, vars, meta, ..."}}},
  "outputSchema": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "Rendered markdown outputs keyed by stable output key."},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"title": "A heading and a reference",
                "input": {"outputs": [{"id": "o1", "label": "Summary", "stableKey": "summary", "document": {"version": 1, "blocks": [
                            {"type": "heading", "level": 2, "children": [{"type": "text", "text": "Ticket "}, {"type": "reference", "path": "payload.number", "label": "Number"}]},
                            {"type": "paragraph", "children": [{"type": "text", "text": "urgent", "marks": ["bold"]}]}]}}],
                          "context": {"payload": {"number": "T-1001"}}},
                "output": {"summary": "## Ticket T-1001\n\n**urgent**"}}],
  "implementation": {"kind": "builtin", "name": "transform.compose_text"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.regex_match", "version": 1,
  "label": "Regex Match", "category": "Transform",
  "description": "Evaluate a regular expression (JavaScript syntax, run on PostgreSQL's engine) and return the first match with capture groups.",
  "inputSchema": {"type": "object", "required": ["text", "pattern"], "properties": {
    "text": {"type": ["string", "number", "boolean", "null"], "description": "Source text to inspect"},
    "pattern": {"type": "string", "minLength": 1, "maxLength": 2000, "description": "Regular expression pattern body (without surrounding /.../)"},
    "flags": {"type": "string", "default": "", "description": "Optional flags (i, m, s; g, u, d, v accepted)"},
    "requireMatch": {"type": "boolean", "default": false, "description": "When true, no-match is treated as an action failure"}}},
  "outputSchema": {"type": "object", "required": ["matched", "match", "index", "groups", "namedGroups"], "properties": {
    "matched": {"type": "boolean"}, "match": {"type": ["string", "null"]}, "index": {"type": ["integer", "null"]},
    "groups": {"type": "array", "items": {"type": ["string", "null"]}},
    "namedGroups": {"type": "object", "additionalProperties": {"type": ["string", "null"]}}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"text": "Ticket T-1001 opened", "pattern": "T-(?<num>\\d+)"},
                "output": {"matched": true, "match": "T-1001", "index": 7, "groups": ["1001"], "namedGroups": {"num": "1001"}}}],
  "implementation": {"kind": "builtin", "name": "transform.regex_match"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.regex_extract", "version": 1,
  "label": "Regex Extract", "category": "Transform",
  "description": "Extract one or more regex matches with numbered and named capture groups.",
  "inputSchema": {"type": "object", "required": ["text", "pattern"], "properties": {
    "text": {"type": ["string", "number", "boolean", "null"], "description": "Source text to inspect"},
    "pattern": {"type": "string", "minLength": 1, "maxLength": 2000, "description": "Regular expression pattern body (without surrounding /.../)"},
    "flags": {"type": "string", "default": "", "description": "Optional flags (i, m, s; g implied)"},
    "maxMatches": {"type": "integer", "minimum": 1, "default": 100, "description": "Maximum matches to collect (1-1000)"},
    "requireMatch": {"type": "boolean", "default": false, "description": "When true, no-match is treated as an action failure"}}},
  "outputSchema": {"type": "object", "required": ["matched", "count", "first", "matches"],
    "$defs": {"match": {"type": "object", "required": ["text", "index", "groups", "namedGroups"], "properties": {
      "text": {"type": "string"}, "index": {"type": "integer"},
      "groups": {"type": "array", "items": {"type": ["string", "null"]}},
      "namedGroups": {"type": "object", "additionalProperties": {"type": ["string", "null"]}}}}},
    "properties": {
      "matched": {"type": "boolean"}, "count": {"type": "integer"},
      "first": {"anyOf": [{"$ref": "#/$defs/match"}, {"type": "null"}]},
      "matches": {"type": "array", "items": {"$ref": "#/$defs/match"}}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"text": "a1 b22", "pattern": "[a-z](\\d+)"},
                "output": {"matched": true, "count": 2,
                           "first": {"text": "a1", "index": 0, "groups": ["1"], "namedGroups": {}},
                           "matches": [{"text": "a1", "index": 0, "groups": ["1"], "namedGroups": {}},
                                       {"text": "b22", "index": 3, "groups": ["22"], "namedGroups": {}}]}}],
  "implementation": {"kind": "builtin", "name": "transform.regex_extract"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.regex_replace", "version": 1,
  "label": "Regex Replace", "category": "Transform",
  "description": "Replace regex matches using JavaScript replacement semantics ($1, $<name>, $&, $$).",
  "inputSchema": {"type": "object", "required": ["text", "pattern", "replacement"], "properties": {
    "text": {"type": ["string", "number", "boolean", "null"], "description": "Source text to modify"},
    "pattern": {"type": "string", "minLength": 1, "maxLength": 2000, "description": "Regular expression pattern body (without surrounding /.../)"},
    "flags": {"type": "string", "default": "", "description": "Optional flags (i, m, s)"},
    "replacement": {"type": "string", "description": "Replacement string: $1, $2, $<name>, $& and $$ are supported"},
    "replaceAll": {"type": "boolean", "default": true, "description": "Replace all matches when true; otherwise replace only the first match"}}},
  "outputSchema": {"type": "object", "required": ["text", "replacementCount"], "properties": {
    "text": {"type": "string"}, "replacementCount": {"type": "integer"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"text": "2024-05-01", "pattern": "(\\d+)-(\\d+)-(\\d+)", "replacement": "$3/$2/$1"},
                "output": {"text": "01/05/2024", "replacementCount": 1}}],
  "implementation": {"kind": "builtin", "name": "transform.regex_replace"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.truncate_text", "version": 1,
  "label": "Truncate Text", "category": "Transform",
  "description": "Shorten text using explicit truncation settings.",
  "inputSchema": {"type": "object", "required": ["maxLength"], "properties": {
    "text": {"description": "Source text to transform"},
    "maxLength": {"type": "integer", "minimum": 0, "description": "Maximum output length"},
    "strategy": {"enum": ["end", "start", "middle"], "default": "end", "description": "How truncated text should be shortened"},
    "ellipsis": {"type": "string", "default": "...", "description": "Suffix or marker inserted when text is truncated"}}},
  "outputSchema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "description": "Transformed text output"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"text": "Printer on floor 3 is jammed", "maxLength": 12}, "output": {"text": "Printer o..."}}],
  "implementation": {"kind": "builtin", "name": "transform.truncate_text"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.concat_text", "version": 1,
  "label": "Concat Text", "category": "Transform",
  "description": "Join multiple values into a single text result.",
  "inputSchema": {"type": "object", "properties": {
    "values": {"type": "array", "default": [], "description": "Ordered values to concatenate"},
    "separator": {"type": "string", "default": "", "description": "Separator inserted between values"}}},
  "outputSchema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "description": "Transformed text output"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"values": ["Ticket", 42, true], "separator": " "}, "output": {"text": "Ticket 42 true"}}],
  "implementation": {"kind": "builtin", "name": "transform.concat_text"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.replace_text", "version": 1,
  "label": "Replace Text", "category": "Transform",
  "description": "Replace matching text without writing an expression.",
  "inputSchema": {"type": "object", "required": ["search"], "properties": {
    "text": {"description": "Source text to transform"},
    "search": {"type": "string", "description": "Text to replace"},
    "replacement": {"type": "string", "default": "", "description": "Replacement text"},
    "replaceAll": {"type": "boolean", "default": true, "description": "Whether to replace every occurrence"}}},
  "outputSchema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "description": "Transformed text output"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"text": "a-b-c", "search": "-", "replacement": "+"}, "output": {"text": "a+b+c"}}],
  "implementation": {"kind": "builtin", "name": "transform.replace_text"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.split_text", "version": 1,
  "label": "Split Text", "category": "Transform",
  "description": "Split source text into an ordered string array.",
  "inputSchema": {"type": "object", "required": ["delimiter"], "properties": {
    "text": {"description": "Source text to transform"},
    "delimiter": {"type": "string", "description": "Delimiter used to split the source text"},
    "removeEmpty": {"type": "boolean", "default": false, "description": "Whether to filter out empty segments"}}},
  "outputSchema": {"type": "object", "required": ["items"], "properties": {
    "items": {"type": "array", "items": {"type": "string"}, "description": "Transformed string array output"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"text": "a,,b", "delimiter": ",", "removeEmpty": true}, "output": {"items": ["a", "b"]}}],
  "implementation": {"kind": "builtin", "name": "transform.split_text"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.join_text", "version": 1,
  "label": "Join Text", "category": "Transform",
  "description": "Join an ordered list of values into a single text result.",
  "inputSchema": {"type": "object", "properties": {
    "items": {"type": "array", "default": [], "description": "Ordered values to join as text"},
    "delimiter": {"type": "string", "default": "", "description": "Delimiter inserted between array items"}}},
  "outputSchema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "description": "Transformed text output"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"items": ["x", null, 3], "delimiter": "|"}, "output": {"text": "x||3"}}],
  "implementation": {"kind": "builtin", "name": "transform.join_text"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.lowercase_text", "version": 1,
  "label": "Lowercase Text", "category": "Transform",
  "description": "Convert source text to lowercase.",
  "inputSchema": {"type": "object", "properties": {"text": {"description": "Source text to transform"}}},
  "outputSchema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "description": "Transformed text output"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"text": "Hello World"}, "output": {"text": "hello world"}}],
  "implementation": {"kind": "builtin", "name": "transform.lowercase_text"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.uppercase_text", "version": 1,
  "label": "Uppercase Text", "category": "Transform",
  "description": "Convert source text to uppercase.",
  "inputSchema": {"type": "object", "properties": {"text": {"description": "Source text to transform"}}},
  "outputSchema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "description": "Transformed text output"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"text": "Hello World"}, "output": {"text": "HELLO WORLD"}}],
  "implementation": {"kind": "builtin", "name": "transform.uppercase_text"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.trim_text", "version": 1,
  "label": "Trim Text", "category": "Transform",
  "description": "Trim leading and trailing whitespace from text.",
  "inputSchema": {"type": "object", "properties": {"text": {"description": "Source text to transform"}}},
  "outputSchema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "description": "Transformed text output"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"text": "  padded \n"}, "output": {"text": "padded"}}],
  "implementation": {"kind": "builtin", "name": "transform.trim_text"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.coalesce_value", "version": 1,
  "label": "Coalesce Value", "category": "Transform",
  "description": "Return the first usable value from an ordered candidate list.",
  "inputSchema": {"type": "object", "properties": {
    "candidates": {"type": "array", "default": [], "description": "Ordered candidate values"},
    "treatEmptyStringAsMissing": {"type": "boolean", "default": true, "description": "Whether empty strings should be skipped"}}},
  "outputSchema": {"type": "object", "required": ["matchedIndex"], "properties": {
    "value": {"description": "First usable candidate value (absent when none)"},
    "matchedIndex": {"type": ["integer", "null"], "description": "Zero-based index of the selected candidate"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"candidates": [null, "  ", "ops@example.com"]}, "output": {"value": "ops@example.com", "matchedIndex": 2}}],
  "implementation": {"kind": "builtin", "name": "transform.coalesce_value"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.build_object", "version": 1,
  "label": "Build Object", "category": "Transform",
  "description": "Construct an object from explicit named inputs.",
  "inputSchema": {"type": "object", "properties": {
    "fields": {"type": "array", "default": [], "description": "Named fields to include in the output object",
               "items": {"type": "object", "required": ["key"], "properties": {
                 "key": {"type": "string", "minLength": 1, "description": "Output field name"},
                 "value": {"description": "Output field value"}}}}}},
  "outputSchema": {"type": "object", "required": ["object"], "properties": {"object": {"type": "object", "description": "Transformed object output"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"fields": [{"key": "ticket_id", "value": 42}, {"key": "urgent", "value": true}]},
                "output": {"object": {"ticket_id": 42, "urgent": true}}}],
  "implementation": {"kind": "builtin", "name": "transform.build_object"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.pick_fields", "version": 1,
  "label": "Pick Fields", "category": "Transform",
  "description": "Select a fixed subset of fields from an object.",
  "inputSchema": {"type": "object", "properties": {
    "source": {"type": ["object", "null"], "default": {}, "description": "Source object to read from"},
    "fields": {"type": "array", "default": [], "items": {"type": "string", "minLength": 1}, "description": "Field names to keep from the source object"}}},
  "outputSchema": {"type": "object", "required": ["object"], "properties": {"object": {"type": "object", "description": "Transformed object output"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"source": {"a": 1, "b": 2, "c": 3}, "fields": ["a", "c", "z"]}, "output": {"object": {"a": 1, "c": 3}}}],
  "implementation": {"kind": "builtin", "name": "transform.pick_fields"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.rename_fields", "version": 1,
  "label": "Rename Fields", "category": "Transform",
  "description": "Rename object fields with explicit mapping entries.",
  "inputSchema": {"type": "object", "properties": {
    "source": {"type": "object", "default": {}, "description": "Source object to rename fields on"},
    "renames": {"type": "array", "default": [], "description": "Explicit field rename mappings",
                "items": {"type": "object", "required": ["from", "to"], "properties": {
                  "from": {"type": "string", "minLength": 1, "description": "Existing field name"},
                  "to": {"type": "string", "minLength": 1, "description": "New field name"}}}}}},
  "outputSchema": {"type": "object", "required": ["object"], "properties": {"object": {"type": "object", "description": "Transformed object output"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"source": {"id": 7, "name": "Globex"}, "renames": [{"from": "id", "to": "client_id"}]},
                "output": {"object": {"client_id": 7, "name": "Globex"}}}],
  "implementation": {"kind": "builtin", "name": "transform.rename_fields"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.append_array", "version": 1,
  "label": "Append Array", "category": "Transform",
  "description": "Append one or more values to an existing array.",
  "inputSchema": {"type": "object", "properties": {
    "items": {"type": "array", "default": [], "description": "Source array"},
    "values": {"type": "array", "default": [], "description": "Values to append to the source array"}}},
  "outputSchema": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "description": "Transformed array output"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"items": [1, 2], "values": [3]}, "output": {"items": [1, 2, 3]}}],
  "implementation": {"kind": "builtin", "name": "transform.append_array"}
}$def$);

SELECT algawf.register_action($def${
  "id": "transform.build_array", "version": 1,
  "label": "Build Array", "category": "Transform",
  "description": "Construct an array from explicit ordered values.",
  "inputSchema": {"type": "object", "properties": {
    "items": {"type": "array", "default": [], "description": "Ordered values for the output array"}}},
  "outputSchema": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "description": "Transformed array output"}}},
  "sideEffectful": false, "idempotency": {"mode": "engineProvided"}, "retryHint": {"retryable": false},
  "examples": [{"input": {"items": ["a", {"b": 1}]}, "output": {"items": ["a", {"b": 1}]}}],
  "implementation": {"kind": "builtin", "name": "transform.build_array"}
}$def$);
