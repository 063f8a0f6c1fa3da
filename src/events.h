/*
 * events.h — the event layer: algawf.emit(), the row triggers that emit
 * Alga's events (algawf.emit_trigger), the backend-local subscription cache
 * and webhooks.
 *
 * Data flow (DESIGN.md §2): a row change or a call of algawf.emit() records
 * the event in algawf.workflow_runtime_events, resumes the runs waiting for
 * it (event.wait, by correlation key and filters) and starts runs of the
 * published, unpaused workflows whose trigger.eventName is the event's type,
 * all in the caller's transaction.
 */
#ifndef ALGAWF_EVENTS_H
#define ALGAWF_EVENTS_H

#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/uuid.h"

/* ---- the events algawf emits itself (bit numbers of the fast-path mask) ---- */

typedef enum AlgaEvent
{
	EV_TICKET_CREATED = 0,
	EV_TICKET_UPDATED,
	EV_TICKET_STATUS_CHANGED,
	EV_TICKET_PRIORITY_CHANGED,
	EV_TICKET_ASSIGNED,
	EV_TICKET_UNASSIGNED,
	EV_TICKET_CLOSED,
	EV_TICKET_REOPENED,
	EV_TICKET_COMMENT_ADDED,
	EV_CLIENT_CREATED,
	EV_CLIENT_UPDATED,
	EV_CONTACT_CREATED,
	EV_CONTACT_UPDATED,
	EV_CONTACT_ARCHIVED,
	EV_INTERACTION_LOGGED,
	EV_APPOINTMENT_CREATED,
	EV_PROJECT_TASK_CREATED,
	EV_TICKET_TIME_ENTRY_ADDED,
	EV_COUNT
} AlgaEvent;

#define EV_BIT(e)	((uint32) 1 << (e))

extern const char *const algawf_event_names[EV_COUNT];

/* index of a built-in event name, or -1 */
extern int	algawf_event_index(const char *name);

/* ---- subscription cache (subscriptions.c) ---- */

/* what a tenant listens to, per event type */
#define SUB_TRIGGER	0x01		/* a published, unpaused workflow has trigger.eventName = it */
#define SUB_WAIT	0x02		/* a published version has an event.wait step for it */

/* a published, unpaused workflow an event type triggers (as cached) */
typedef struct SubsWorkflow
{
	pg_uuid_t	workflow_id;
	int			version;		/* its published version */
	bool		has_publisher;
	pg_uuid_t	published_by;	/* the actor of its runs */
	Jsonb	   *mapping;		/* trigger.payloadMapping, NULL when none */
	const char *function_set;	/* the version's expression function set */
	Jsonb	   *payload_schema; /* the version's payload schema, NULL = none */
	bool		schema_ok;		/* payload_schema compiles (else only the engine's way reports it) */
} SubsWorkflow;

typedef struct SubsName
{
	char	   *name;
	uint8		flags;
	int			nworkflows;		/* SUB_TRIGGER: the workflows, oldest first */
	SubsWorkflow *workflows;
} SubsName;

typedef struct SubsEntry
{
	pg_uuid_t	tenant;			/* hash key */
	uint64		generation;		/* subs generation it was loaded at; 0 = never */
	uint32		known_mask;		/* EV_BIT of built-in events with any flag */
	int			nnames;
	SubsName   *names;			/* every subscribed event type (built-in or not) */
	MemoryContext cxt;			/* holds names and workflows */
} SubsEntry;

/*
 * The fast path of the row trigger: does the tenant listen to any of the
 * built-in events in mask, or to the event named name (may be NULL)?  Loads
 * the tenant's subscriptions when the cache is stale (SPI, as the extension
 * owner); once loaded, the answer costs one hash lookup and allocates nothing.
 */
extern bool algawf_subs_wanted(const pg_uuid_t *tenant, uint32 mask, const char *name);

/* the tenant's (fresh) entry; never NULL */
extern SubsEntry *algawf_subs_get(const pg_uuid_t *tenant);

/* SUB_* flags of an event type in an entry (0 = nobody listens) */
extern uint8 algawf_subs_flags(const SubsEntry *e, const char *name);

/* the entry's record for an event type, or NULL */
extern const SubsName *algawf_subs_find(const SubsEntry *e, const char *name);

/* ---- privileged section: run as the extension owner, pinned search_path ---- */

typedef struct EvPriv
{
	Oid			save_user;
	int			save_sec;
	int			guc_level;
	bool		spi;
} EvPriv;

extern void algawf_ev_enter(EvPriv *p, bool connect_spi);
extern void algawf_ev_leave(EvPriv *p);

/* ---- emitting (events.c) ---- */

typedef struct EmitRequest
{
	pg_uuid_t	tenant;
	const char *event_type;
	Jsonb	   *payload;
	const char *correlation_key;	/* NULL = none */
	bool		has_event_id;	/* the caller named the event: deduplicate */
	pg_uuid_t	event_id;
	const char *source;			/* "emit", "psa.tickets", ... */
	const SubsName *sub;		/* the tenant's subscriptions to it (cache), or NULL: none */
} EmitRequest;

typedef struct EmitResult
{
	pg_uuid_t	event_id;
	bool		duplicate;
	int			resumed;
	int			started;
	int			failed;
} EmitResult;

/*
 * Record the event, resume waits, start runs.  Must be called inside
 * algawf_ev_enter(..., true).  Failures to start one workflow (payload
 * invalid for it, mapping error) are recorded in
 * algawf.event_trigger_failures and reported as a WARNING; they never undo
 * the caller's change.
 */
extern void algawf_emit_event(const EmitRequest *req, EmitResult *res);

/* uuid of an event id given as text: itself when it is a UUID, else a name-based (MD5) UUID */
extern pg_uuid_t algawf_event_uuid(const char *event_id);

#endif							/* ALGAWF_EVENTS_H */
