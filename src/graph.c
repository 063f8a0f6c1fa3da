/*
 * graph.c — algawf.graph(id, format): a workflow (its published version, else
 * its draft) or a run (its version, steps coloured by the status of their
 * last attempt) as a Mermaid flowchart or a Graphviz DOT digraph.
 *
 * Blocks are drawn as chains; control.if branches to then/else, forEach loops
 * back from the end of its body, tryCatch branches to try and (on error) to
 * catch; the steps after a control step are reached from every exit of its
 * branches.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "definition.h"
#include "guc.h"
#include "tenancy.h"

typedef struct Exit
{
	int			node;			/* -1 = start */
	const char *label;
} Exit;

typedef struct Graph
{
	bool		dot;
	StringInfoData nodes;
	StringInfoData edges;
	HTAB	   *status;			/* step path -> last status, for runs */
	int			nnodes;
	WfDef	   *def;
} Graph;

typedef struct StatusEntry
{
	char		path[NAMEDATALEN * 8];
	char		status[24];
} StatusEntry;

static void
append_escaped(StringInfo b, const char *s, bool dot)
{
	for (; *s; s++)
	{
		if (dot && (*s == '"' || *s == '\\'))
			appendStringInfoChar(b, '\\');
		if (!dot && *s == '"')
		{
			appendStringInfoString(b, "#quot;");
			continue;
		}
		if (!dot && (*s == '<' || *s == '>'))
		{
			appendStringInfoString(b, *s == '<' ? "#lt;" : "#gt;");
			continue;
		}
		appendStringInfoChar(b, *s);
	}
}

static const char *
step_status(Graph *g, WfStep *s)
{
	StatusEntry *e;
	bool		found;

	if (g->status == NULL || strlen(s->path) >= sizeof(e->path))
		return NULL;
	e = hash_search(g->status, s->path, HASH_FIND, &found);
	return found ? e->status : NULL;
}

static const char *
dot_color(const char *status)
{
	if (status == NULL)
		return "white";
	if (strcmp(status, "SUCCEEDED") == 0)
		return "#d4edda";
	if (strcmp(status, "FAILED") == 0)
		return "#f8d7da";
	if (strcmp(status, "WAITING") == 0 || strcmp(status, "RUNNING") == 0)
		return "#fff3cd";
	if (strcmp(status, "RETRY_SCHEDULED") == 0)
		return "#ffe5b4";
	if (strcmp(status, "CANCELED") == 0)
		return "#e2e3e5";
	return "white";
}

static int
add_node(Graph *g, WfStep *s)
{
	int			id = g->nnodes++;
	const char *status = step_status(g, s);
	StringInfoData label;

	initStringInfo(&label);
	append_escaped(&label, s->name ? s->name : s->id, g->dot);
	appendStringInfoString(&label, g->dot ? "\\n" : "<br/>");
	append_escaped(&label, s->type, g->dot);
	if (s->kind == WS_ACTION_CALL && s->action_id)
	{
		appendStringInfoString(&label, g->dot ? "\\n" : "<br/>");
		append_escaped(&label, psprintf("%s@%d", s->action_id, s->action_version), g->dot);
	}
	if (s->kind == WS_CALL_WORKFLOW && s->workflow_ref)
	{
		appendStringInfoString(&label, g->dot ? "\\n" : "<br/>");
		append_escaped(&label, s->workflow_ref, g->dot);
	}
	if (g->dot)
	{
		const char *shape = "box";

		if (s->kind == WS_IF)
			shape = "diamond";
		else if (s->kind == WS_FOREACH)
			shape = "hexagon";
		else if (s->kind == WS_TRYCATCH)
			shape = "parallelogram";
		else if (s->kind == WS_RETURN)
			shape = "doublecircle";
		appendStringInfo(&g->nodes, "  n%d [label=\"%s\", shape=%s, fillcolor=\"%s\"%s];\n",
						 id, label.data, shape, dot_color(status),
						 status ? psprintf(", tooltip=\"%s\"", status) : "");
	}
	else
	{
		const char *open = "[\"",
				   *close = "\"]";

		if (s->kind == WS_IF)
			open = "{\"", close = "\"}";
		else if (s->kind == WS_FOREACH)
			open = "{{\"", close = "\"}}";
		else if (s->kind == WS_TRYCATCH)
			open = "[/\"", close = "\"/]";
		else if (s->kind == WS_RETURN)
			open = "((\"", close = "\"))";
		else if (s->kind == WS_TIME_WAIT || s->kind == WS_EVENT_WAIT || s->kind == WS_HUMAN_TASK)
			open = "([\"", close = "\"])";
		appendStringInfo(&g->nodes, "  n%d%s%s%s\n", id, open, label.data, close);
		if (status)
		{
			char		cls[24];
			int			i;

			for (i = 0; status[i] && i < 23; i++)
				cls[i] = (char) (status[i] >= 'A' && status[i] <= 'Z' ? status[i] + 32 : status[i]);
			cls[i] = '\0';
			appendStringInfo(&g->nodes, "  class n%d %s\n", id, cls);
		}
	}
	return id;
}

static void
add_edge(Graph *g, int from, int to, const char *label)
{
	char		f[16],
				t[16];

	if (from < 0)
		snprintf(f, sizeof(f), "start");
	else
		snprintf(f, sizeof(f), "n%d", from);
	if (to < 0)
		snprintf(t, sizeof(t), "finish");
	else
		snprintf(t, sizeof(t), "n%d", to);
	if (g->dot)
		appendStringInfo(&g->edges, "  %s -> %s%s%s%s;\n", f, t,
						 label ? " [label=\"" : "", label ? label : "", label ? "\"]" : "");
	else if (label)
		appendStringInfo(&g->edges, "  %s -->|%s| %s\n", f, label, t);
	else
		appendStringInfo(&g->edges, "  %s --> %s\n", f, t);
}

/* connect every pending exit to node; returns nothing, clears *exits */
static void
connect(Graph *g, List **exits, int node)
{
	ListCell   *lc;

	foreach(lc, *exits)
	{
		Exit	   *e = lfirst(lc);

		add_edge(g, e->node, node, e->label);
	}
	list_free(*exits);
	*exits = NIL;
}

static List *
exit1(List *l, int node, const char *label)
{
	Exit	   *e = palloc(sizeof(Exit));

	e->node = node;
	e->label = label;
	return lappend(l, e);
}

/* draw a block entered from `exits`; returns the block's exits */
static List *
draw_block(Graph *g, WfBlock *b, List *exits)
{
	int			i;

	for (i = 0; i < b->n; i++)
	{
		WfStep	   *s = b->steps[i];
		int			n = add_node(g, s);

		connect(g, &exits, n);
		switch (s->kind)
		{
			case WS_IF:
				{
					List	   *t = draw_block(g, &s->then_block, exit1(NIL, n, "then"));
					List	   *e = draw_block(g, &s->else_block, exit1(NIL, n, "else"));

					exits = list_concat(t, e);
					break;
				}
			case WS_FOREACH:
				{
					List	   *body = draw_block(g, &s->body, exit1(NIL, n, "each"));
					ListCell   *lc;

					foreach(lc, body)
					{
						Exit	   *e = lfirst(lc);

						if (e->node != n)
							add_edge(g, e->node, n, "next");
					}
					exits = exit1(NIL, n, "done");
					break;
				}
			case WS_TRYCATCH:
				{
					List	   *t = draw_block(g, &s->try_block, exit1(NIL, n, "try"));
					List	   *c = s->catch_block.n ? draw_block(g, &s->catch_block, exit1(NIL, n, "on error"))
						: NIL;

					exits = list_concat(t, c);
					break;
				}
			case WS_RETURN:
				add_edge(g, n, -1, NULL);
				exits = NIL;
				break;
			default:
				exits = exit1(NIL, n, NULL);
				break;
		}
	}
	return exits;
}

static void
load_status(Graph *g, const pg_uuid_t *tenant, const pg_uuid_t *run_id)
{
	Oid			types[2] = {UUIDOID, UUIDOID};
	Datum		args[2];
	HASHCTL		hctl;
	uint64		i;

	memset(&hctl, 0, sizeof(hctl));
	hctl.keysize = sizeof(((StatusEntry *) 0)->path);
	hctl.entrysize = sizeof(StatusEntry);
	hctl.hcxt = CurrentMemoryContext;
	g->status = hash_create("algawf graph", 64, &hctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(run_id);
	if (SPI_execute_with_args("SELECT DISTINCT ON (step_path) step_path, status FROM algawf.workflow_run_steps "
							  "WHERE tenant = $1 AND run_id = $2 ORDER BY step_path, seq DESC",
							  2, types, args, NULL, true, 0) != SPI_OK_SELECT)
		return;
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *path = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		StatusEntry *e;
		bool		found;

		if (strlen(path) >= sizeof(e->path))
			continue;
		e = hash_search(g->status, path, HASH_ENTER, &found);
		strlcpy(e->status, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2), sizeof(e->status));
	}
}

PG_FUNCTION_INFO_V1(algawf_graph);
Datum
algawf_graph(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *tenant = algawf_tenant_require();
	pg_uuid_t  *id;
	char	   *format = PG_ARGISNULL(1) ? "mermaid" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	Oid			types[2] = {UUIDOID, UUIDOID};
	Datum		args[2];
	bool		isnull;
	Graph		g;
	Jsonb	   *jb;
	List	   *problems = NIL;
	char	   *title;
	char	   *fs;
	List	   *exits;
	StringInfoData out;
	bool		is_run = false;
	MemoryContext caller = CurrentMemoryContext;
	text	   *result;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	id = PG_GETARG_UUID_P(0);
	memset(&g, 0, sizeof(g));
	if (pg_strcasecmp(format, "dot") == 0 || pg_strcasecmp(format, "graphviz") == 0)
		g.dot = true;
	else if (pg_strcasecmp(format, "mermaid") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown graph format \"%s\"", format),
				 errhint("Use 'mermaid' or 'dot'.")));

	SPI_connect();
	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(id);
	/* a workflow: its published version, else its draft */
	if (SPI_execute_with_args("SELECT coalesce(v.definition, d.draft), d.name, coalesce(v.function_set, 'extended') "
							  "FROM algawf.workflow_definitions d "
							  "LEFT JOIN algawf.workflow_definition_versions v ON v.tenant = d.tenant "
							  "  AND v.workflow_id = d.workflow_id AND v.version = d.published_version "
							  "WHERE d.tenant = $1 AND d.workflow_id = $2",
							  2, types, args, NULL, true, 1) != SPI_OK_SELECT || SPI_processed == 0)
	{
		/* a run: its version */
		if (SPI_execute_with_args("SELECT v.definition, d.name || ' (run ' || r.run_id || ', ' || r.status || ')', "
								  "  v.function_set "
								  "FROM algawf.workflow_runs r "
								  "JOIN algawf.workflow_definition_versions v ON v.tenant = r.tenant "
								  "  AND v.workflow_id = r.workflow_id AND v.version = r.workflow_version "
								  "JOIN algawf.workflow_definitions d ON d.tenant = r.tenant AND d.workflow_id = r.workflow_id "
								  "WHERE r.tenant = $1 AND r.run_id = $2",
								  2, types, args, NULL, true, 1) != SPI_OK_SELECT || SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("no workflow or run with id %s",
							DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(id))))));
		is_run = true;
	}
	jb = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	title = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	fs = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	g.def = wf_parse(jb, strcmp(fs, "alga") == 0 ? FUNCSET_ALGA : FUNCSET_EXTENDED, &problems,
					 CurrentMemoryContext);
	if (is_run)
		load_status(&g, tenant, id);

	initStringInfo(&g.nodes);
	initStringInfo(&g.edges);
	exits = draw_block(&g, &g.def->root, exit1(NIL, -1, NULL));
	connect(&g, &exits, -1);

	initStringInfo(&out);
	if (g.dot)
	{
		appendStringInfoString(&out, "digraph workflow {\n  label=\"");
		append_escaped(&out, title, true);
		appendStringInfoString(&out, "\";\n  labelloc=t;\n  rankdir=TB;\n"
							   "  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\"];\n"
							   "  start [shape=circle, label=\"start\", fillcolor=\"#cfe2ff\"];\n"
							   "  finish [shape=doublecircle, label=\"end\", fillcolor=\"#cfe2ff\"];\n");
		appendStringInfoString(&out, g.nodes.data);
		appendStringInfoString(&out, g.edges.data);
		appendStringInfoString(&out, "}\n");
	}
	else
	{
		appendStringInfoString(&out, "---\ntitle: ");
		append_escaped(&out, title, false);
		appendStringInfoString(&out, "\n---\nflowchart TD\n  start((start))\n  finish(((end)))\n");
		appendStringInfoString(&out, g.nodes.data);
		appendStringInfoString(&out, g.edges.data);
		if (is_run)
			appendStringInfoString(&out,
								   "  classDef succeeded fill:#d4edda,stroke:#28a745\n"
								   "  classDef failed fill:#f8d7da,stroke:#dc3545\n"
								   "  classDef waiting fill:#fff3cd,stroke:#ffc107\n"
								   "  classDef running fill:#fff3cd,stroke:#ffc107\n"
								   "  classDef retry_scheduled fill:#ffe5b4,stroke:#fd7e14\n"
								   "  classDef canceled fill:#e2e3e5,stroke:#6c757d\n");
	}
	{
		MemoryContext old = MemoryContextSwitchTo(caller);

		result = cstring_to_text(out.data);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	PG_RETURN_TEXT_P(result);
}
