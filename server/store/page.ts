// One query shape for every list endpoint: a page of rows and the total, in the seed's pagination envelope.
import type { PageQuery } from "../../contract";
import type { Queryable } from "../db/sql";

export interface PageOf<T> {
  data: T[];
  pagination: { total: number; limit: number; offset: number; has_more: boolean };
}

/**
 * `fromWhere` is a trusted SQL fragment (`FROM … WHERE …`) of ours, with `$1…` bound to `params`; the page bounds are
 * bound after them. The total comes from a window count, or from a second count when the page is past the end.
 */
export async function queryPage<Row, Item>(
  db: Queryable,
  sql: { select?: string; fromWhere: string; orderBy: string; params: readonly unknown[] },
  page: PageQuery,
  toItem: (row: Row) => Item,
): Promise<PageOf<Item>> {
  const n = sql.params.length;
  const { rows } = await db.query<Row & { total_count: number }>(
    `SELECT ${sql.select ?? "*"}, count(*) OVER ()::int AS total_count ${sql.fromWhere} ORDER BY ${sql.orderBy} LIMIT $${n + 1} OFFSET $${n + 2}`,
    [...sql.params, page.limit, page.offset],
  );
  let total = rows[0]?.total_count;
  if (total === undefined) {
    total = (await db.query<{ n: number }>(`SELECT count(*)::int AS n ${sql.fromWhere}`, sql.params)).rows[0]?.n ?? 0;
  }
  return {
    data: rows.map(toItem),
    pagination: { total, limit: page.limit, offset: page.offset, has_more: page.offset + rows.length < total },
  };
}
