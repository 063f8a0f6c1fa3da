/*
 * stmt.h — hot SQL statements of the engine, prepared once per backend
 * (SPI_prepare + SPI_keepplan) and executed by SPI_execute_plan.
 */
#ifndef ALGAWF_STMT_H
#define ALGAWF_STMT_H

#include "postgres.h"
#include "executor/spi.h"

#define STMT_MAX_ARGS 24

typedef struct WfStmt
{
	const char *sql;
	int			nargs;
	Oid			types[STMT_MAX_ARGS];
	SPIPlanPtr	plan;
} WfStmt;

/* run a statement; nulls as for SPI_execute_plan (NULL = none null); returns SPI_processed */
extern uint64 wf_stmt_exec(WfStmt *st, Datum *values, const char *nulls, bool read_only, long count);

/* first row's column (1-based) of the last result; *isnull set */
extern Datum wf_result(int col, bool *isnull);

#endif
