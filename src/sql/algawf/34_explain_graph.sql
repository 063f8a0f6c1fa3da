-- explain and graph: a run as a tree of what happened, a workflow or a run as
-- a diagram.

CREATE FUNCTION algawf.explain(run_id uuid) RETURNS SETOF text
    AS 'MODULE_PATHNAME', 'algawf_explain'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION algawf.explain(uuid) IS
    'An EXPLAIN ANALYZE-style tree of a run: every step of its version with status, attempts, loops, time, wait reason and error (category, code, message). Inputs, outputs and secrets are never shown.';

CREATE FUNCTION algawf.graph(id uuid, format text DEFAULT 'mermaid') RETURNS text
    AS 'MODULE_PATHNAME', 'algawf_graph'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION algawf.graph(uuid, text) IS
    'A workflow (id = workflow id: its published version, else its draft) or a run (id = run id: steps coloured by status) as a Mermaid flowchart (format ''mermaid'') or a Graphviz digraph (''dot'').';
