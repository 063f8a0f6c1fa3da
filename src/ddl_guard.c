/*
 * ddl_guard.c — the executors never stand in the way of DDL.
 *
 * DROP DATABASE (and RENAME, CREATE DATABASE ... TEMPLATE, ALTER DATABASE
 * SET TABLESPACE) refuse to run while another backend is connected to the
 * database, and PostgreSQL 15 does not ask background workers to leave.  An
 * object-access hook sees the drop right after DROP DATABASE has locked the
 * database and before it counts the backends in it: the executors are told
 * to exit, and the launcher starts them again once that transaction has
 * ended (if the database is still there).
 *
 * DROP EXTENSION algawf (or DROP SCHEMA algawf, ALTER EXTENSION algawf)
 * makes the executors cancel what they are doing and keep off the extension's
 * tables until the transaction ends.  CREATE EXTENSION algawf and COMMIT
 * PREPARED wake them at commit.
 *
 * Installed in every backend when algawf is preloaded.
 */
#include "postgres.h"

#include "catalog/objectaccess.h"
#include "catalog/pg_database.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/spin.h"
#include "tcop/utility.h"

#include "guc.h"
#include "shmem.h"
#include "wake.h"
#include "worker.h"

static object_access_hook_type prev_object_access_hook = NULL;
static ProcessUtility_hook_type prev_ProcessUtility_hook = NULL;

static Oid
served_database(void)
{
	Oid			db;

	if (algawf_shared == NULL)
		return InvalidOid;
	SpinLockAcquire(&algawf_shared->mutex);
	db = algawf_shared->database;
	SpinLockRelease(&algawf_shared->mutex);
	return db;
}

static bool
is_served_name(const char *name)
{
	return name != NULL && algawf_database != NULL && strcmp(name, algawf_database) == 0;
}

static void
algawf_object_access(ObjectAccessType access, Oid classId, Oid objectId,
					 int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);

	if (classId != DatabaseRelationId || algawf_shared == NULL)
		return;
	if (access == OAT_DROP && objectId == served_database())
		algawf_hold_db_busy();
	else if (access == OAT_POST_CREATE || access == OAT_POST_ALTER)
		algawf_wake_launcher_at_commit();	/* maybe the database appeared */
}

static bool
names_algawf(List *objects)
{
	ListCell   *lc;

	foreach(lc, objects)
	{
		Node	   *n = lfirst(lc);

		if (IsA(n, String) && strcmp(strVal(n), "algawf") == 0)
			return true;
	}
	return false;
}

static void
inspect_utility(Node *stmt)
{
	bool		here = MyDatabaseId == served_database();

	switch (nodeTag(stmt))
	{
		case T_DropStmt:
			{
				DropStmt   *d = (DropStmt *) stmt;

				if (here && (d->removeType == OBJECT_EXTENSION || d->removeType == OBJECT_SCHEMA) &&
					names_algawf(d->objects))
					algawf_hold_ext_busy();
				break;
			}
		case T_AlterExtensionStmt:
			if (here && strcmp(((AlterExtensionStmt *) stmt)->extname, "algawf") == 0)
			{
				algawf_hold_ext_busy();
				algawf_wake_all_at_commit();
			}
			break;
		case T_CreateExtensionStmt:
			if (here && strcmp(((CreateExtensionStmt *) stmt)->extname, "algawf") == 0)
				algawf_wake_all_at_commit();
			break;
		case T_RenameStmt:
			{
				RenameStmt *r = (RenameStmt *) stmt;

				if (r->renameType == OBJECT_DATABASE && is_served_name(r->subname))
					algawf_hold_db_busy();
				else if (r->renameType == OBJECT_DATABASE && is_served_name(r->newname))
					algawf_wake_launcher_at_commit();
				break;
			}
		case T_CreatedbStmt:
			{
				ListCell   *lc;

				foreach(lc, ((CreatedbStmt *) stmt)->options)
				{
					DefElem    *opt = lfirst(lc);

					if (strcmp(opt->defname, "template") == 0 && opt->arg &&
						is_served_name(defGetString(opt)))
						algawf_hold_db_busy();
				}
				break;
			}
		case T_AlterDatabaseStmt:
			{
				AlterDatabaseStmt *a = (AlterDatabaseStmt *) stmt;
				ListCell   *lc;

				if (!is_served_name(a->dbname))
					break;
				foreach(lc, a->options)
				{
					DefElem    *opt = lfirst(lc);

					if (strcmp(opt->defname, "tablespace") == 0)
						algawf_hold_db_busy();
				}
				break;
			}
		case T_TransactionStmt:
			if (((TransactionStmt *) stmt)->kind == TRANS_STMT_COMMIT_PREPARED)
				algawf_wake_all_at_commit();
			break;
		default:
			break;
	}
}

static void
algawf_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
					   ProcessUtilityContext context, ParamListInfo params,
					   QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	if (algawf_shared != NULL)
		inspect_utility(pstmt->utilityStmt);

	if (prev_ProcessUtility_hook)
		prev_ProcessUtility_hook(pstmt, queryString, readOnlyTree, context, params,
								 queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
}

void
algawf_ddl_guard_init(void)
{
	prev_object_access_hook = object_access_hook;
	object_access_hook = algawf_object_access;
	prev_ProcessUtility_hook = ProcessUtility_hook;
	ProcessUtility_hook = algawf_process_utility;
}
