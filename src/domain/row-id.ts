/**
 * The largest id a row can have: ids are 32-bit integers on PostgreSQL. An id
 * from outside (a URL, a command, a stream parameter) beyond it names no row
 * and is refused before it reaches the database, where it would be an error.
 */
export const MAX_ROW_ID = 2_147_483_647;

export function isRowId(value: number): boolean {
  return Number.isInteger(value) && value > 0 && value <= MAX_ROW_ID;
}
