/*
 * stmt.c — kept SPI plans for the engine's hot statements.
 */
#include "postgres.h"

#include "executor/spi.h"

#include "stmt.h"

uint64
wf_stmt_exec(WfStmt *st, Datum *values, const char *nulls, bool read_only, long count)
{
	int			rc;

	if (st->plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(st->sql, st->nargs, st->types);

		if (p == NULL)
			elog(ERROR, "algawf: could not prepare \"%s\": %s", st->sql,
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "algawf: could not keep plan");
		st->plan = p;
	}
	rc = SPI_execute_plan(st->plan, values, nulls, read_only, count);
	if (rc < 0)
		elog(ERROR, "algawf: \"%s\" failed: %s", st->sql, SPI_result_code_string(rc));
	return SPI_processed;
}

Datum
wf_result(int col, bool *isnull)
{
	if (SPI_tuptable == NULL || SPI_processed == 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, isnull);
}
