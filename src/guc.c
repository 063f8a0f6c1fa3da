/*
 * guc.c — the algawf.* settings.  All of them live here so that README's GUC
 * table has one place to be checked against.
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/uuid.h"

#include "guc.h"

char	   *algawf_tenant = NULL;
char	   *algawf_user = NULL;
char	   *algawf_database = NULL;
int			algawf_workers = 2;

int			algawf_expr_budget = 100000;
int			algawf_expr_max_depth = 100;
int			algawf_expr_max_result = 256 * 1024;
int			algawf_expr_max_string = 1024 * 1024;
int			algawf_expr_max_memory = 64 * 1024;
int			algawf_function_set = FUNCSET_EXTENDED;

int			algawf_lease_duration = 30;
bool		algawf_worker_email = true;
int			algawf_retention = 30 * 86400;
int			algawf_http_max_inflight = 16;
char	   *algawf_http_allowed_hosts = NULL;
int			algawf_http_timeout = 30000;
int			algawf_http_connect_timeout = 10000;
int			algawf_http_max_response = 1024 * 1024;

int			algawf_run_max_duration = 30 * 86400;
int			algawf_segment_max_steps = 10000;
int			algawf_max_call_depth = 8;

bool		algawf_emit_events = true;
bool		algawf_identity_locked = false;

static const struct config_enum_entry function_set_options[] = {
	{"alga", FUNCSET_ALGA, false},
	{"extended", FUNCSET_EXTENDED, false},
	{NULL, 0, false}
};

/* An empty string means "not set"; anything else must be a UUID. */
static bool
check_uuid_or_empty(char **newval, void **extra, GucSource source)
{
	const char *s = *newval;
	int			i;
	int			hex = 0;

	if (algawf_identity_locked)
	{
		GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
		GUC_check_errmsg("algawf.tenant and algawf.user cannot be changed while an action runs");
		GUC_check_errhint("An action acts for the run's tenant and actor only.");
		return false;
	}
	if (s == NULL || s[0] == '\0')
		return true;
	for (i = 0; s[i]; i++)
	{
		char		c = s[i];

		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			hex++;
		else if (c != '-')
			break;
	}
	if (s[i] == '\0' && hex == 32 && i == 36 &&
		s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-')
		return true;
	GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
	GUC_check_errdetail("\"%s\" is not a UUID.", s);
	GUC_check_errhint("Set it to the tenant's id, e.g. SET algawf.tenant = '00000000-0000-0000-0000-00000000000a', or to '' to clear it.");
	return false;
}

/* A comma-separated list of host[:port] entries, '*.domain' or '*'. */
static bool
check_host_list(char **newval, void **extra, GucSource source)
{
	const char *p = *newval ? *newval : "";

	while (*p)
	{
		const char *start;
		const char *end;
		const char *q;

		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p && *p != ',')
			p++;
		end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		for (q = start; q < end; q++)
		{
			char		c = *q;

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				  c == '.' || c == '-' || c == '_' || c == ':' || c == '*' || c == '[' || c == ']'))
			{
				GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
				GUC_check_errdetail("\"%.*s\" is not a host name, IP address or pattern.",
									(int) (end - start), start);
				GUC_check_errhint("Use entries such as 'api.example.com', 'api.example.com:8443', '*.example.com' or '*', separated by commas.");
				return false;
			}
			if (c == '*' && !(q == start && (q + 1 == end || q[1] == '.')))
			{
				GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
				GUC_check_errdetail("\"%.*s\": '*' is allowed only as a whole entry or as the first label ('*.example.com').",
									(int) (end - start), start);
				return false;
			}
		}
	}
	return true;
}

void
algawf_define_gucs(void)
{
	/*
	 * Server-start settings can only be created while preloading; loaded
	 * later (algawf not in shared_preload_libraries) they are defined as
	 * reload settings, so that they can still be read: they have no effect
	 * then, as there are no workers.
	 */
	GucContext	server_start = process_shared_preload_libraries_in_progress ? PGC_POSTMASTER : PGC_SIGHUP;

	DefineCustomStringVariable("algawf.tenant",
							   "Tenant whose rows this session sees and acts on.",
							   "Honoured only when the current role is a member of the tenant "
							   "(algawf.add_tenant_member) or holds algawf_service.",
							   &algawf_tenant, "", PGC_USERSET, 0,
							   check_uuid_or_empty, NULL, NULL);

	DefineCustomStringVariable("algawf.user",
							   "PSA user (psa.users.user_id) acting in this session.",
							   "Used for permission checks (algawf.has_permission) and as the actor of manual runs.",
							   &algawf_user, "", PGC_USERSET, 0,
							   check_uuid_or_empty, NULL, NULL);

	DefineCustomStringVariable("algawf.database",
							   "Database the background workers connect to.",
							   NULL,
							   &algawf_database, "postgres", server_start, 0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("algawf.workers",
							"Number of background executors started at server start.",
							"0 disables background execution; runs then move only through "
							"algawf.run(..., wait => true) and algawf.tick().",
							&algawf_workers, 2, 0, 64, server_start, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("algawf.expr_budget",
							"Maximum evaluation steps (AST nodes visited) for one expression.",
							NULL,
							&algawf_expr_budget, 100000, 100, INT_MAX, PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("algawf.expr_max_depth",
							"Maximum nesting depth of an expression, when parsed and when evaluated.",
							NULL,
							&algawf_expr_max_depth, 100, 8, 10000, PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("algawf.expr_max_result",
							"Maximum size of an expression's result (and of the values it builds).",
							NULL,
							&algawf_expr_max_result, 256 * 1024, 1024, INT_MAX / 2, PGC_USERSET,
							GUC_UNIT_BYTE, NULL, NULL, NULL);

	DefineCustomIntVariable("algawf.expr_max_string",
							"Maximum length of a string built by an expression.",
							NULL,
							&algawf_expr_max_string, 1024 * 1024, 1024, INT_MAX / 2, PGC_USERSET,
							GUC_UNIT_BYTE, NULL, NULL, NULL);

	DefineCustomIntVariable("algawf.expr_max_memory",
							"Maximum memory one expression evaluation may allocate.",
							"Intermediate values (sequences, strings, objects) count; exceeding it raises L1005.",
							&algawf_expr_max_memory, 64 * 1024, 1024, INT_MAX / 1024, PGC_USERSET,
							GUC_UNIT_KB, NULL, NULL, NULL);

	DefineCustomEnumVariable("algawf.function_set",
							 "Default expression function set for definitions that do not name one.",
							 "'alga' is exactly Alga PSA's allowlist; 'extended' adds the documented JSONata functions.",
							 &algawf_function_set, FUNCSET_EXTENDED, function_set_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);

	DefineCustomIntVariable("algawf.lease_duration",
							"How long a worker's claim on a run or an HTTP request lasts without renewal.",
							"Workers renew their leases while they work; a claim whose lease lapses "
							"(its worker died) is taken over by another worker.",
							&algawf_lease_duration, 30, 2, 3600, PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("algawf.worker_email",
							 "Whether the background workers deliver queued e-mail (email.send).",
							 "Off: messages wait in algawf.email_outbox until CALL algawf.deliver_email() sends them.",
							 &algawf_worker_email, true, PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("algawf.retention",
							"How long finished runs, their steps, logs and HTTP requests are kept.",
							"algawf.tick() and the workers delete older history; a workflow's "
							"retention column overrides it. 0 keeps history forever.",
							&algawf_retention, 30 * 86400, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("algawf.http_max_inflight",
							"Maximum HTTP requests one worker has in flight at once.",
							NULL,
							&algawf_http_max_inflight, 16, 1, 1000, PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomStringVariable("algawf.http_allowed_hosts",
							   "Hosts the http.request action may call (comma-separated).",
							   "Entries are host names or IP literals, optionally with :port; "
							   "'*.example.com' matches subdomains; '*' allows every host. "
							   "Empty (the default) allows none besides what integrations configure.",
							   &algawf_http_allowed_hosts, "", PGC_SIGHUP, 0,
							   check_host_list, NULL, NULL);

	DefineCustomIntVariable("algawf.http_timeout",
							"Default total time limit of one HTTP request.",
							"A request's timeoutMs may lower or raise it, up to 10 minutes.",
							&algawf_http_timeout, 30000, 100, 600000, PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("algawf.http_connect_timeout",
							"Time limit for establishing an HTTP connection.",
							NULL,
							&algawf_http_connect_timeout, 10000, 100, 600000, PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("algawf.http_max_response",
							"Largest HTTP response body kept; a larger response fails the call.",
							NULL,
							&algawf_http_max_response, 1024 * 1024, 1024, 64 * 1024 * 1024, PGC_SIGHUP,
							GUC_UNIT_BYTE, NULL, NULL, NULL);


	DefineCustomIntVariable("algawf.run_max_duration",
							"Maximum duration of a run, from its start; past it the run fails with TimeoutError.",
							"A workflow's run_max_duration overrides it. 0 disables the limit.",
							&algawf_run_max_duration, 30 * 86400, 0, INT_MAX, PGC_USERSET,
							GUC_UNIT_S, NULL, NULL, NULL);

	DefineCustomIntVariable("algawf.segment_max_steps",
							"Steps a worker executes in one run segment before it yields the run back to the queue.",
							"Inline execution (algawf.run(..., wait => true)) is not limited.",
							&algawf_segment_max_steps, 10000, 1, INT_MAX, PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("algawf.max_call_depth",
							"Maximum nesting of control.callWorkflow child runs.",
							NULL,
							&algawf_max_call_depth, 8, 1, 100, PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("algawf.emit_events",
							 "Whether row changes emit events (the algawf_events triggers).",
							 "Turn it off for a restore or a bulk data migration, e.g. "
							 "PGOPTIONS='-c algawf.emit_events=off' pg_restore ...; algawf.emit() is not affected.",
							 &algawf_emit_events, true, PGC_SUSET, 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("algawf");
}
