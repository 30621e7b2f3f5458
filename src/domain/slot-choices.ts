/**
 * A slot offered to a lead as a choice (a button, a numbered line): its id
 * carries the slot's start, so a pick needs no lookup. Ids come back from the
 * client and are never trusted: anything that is not one reads as null.
 */
const BOOK_PREFIX = "book:";

/** A slot's choice id: the prefix and its start in minutes since the epoch (short enough for Telegram's 64-byte callback data). */
export function slotChoiceId(start: Date): string {
  return `${BOOK_PREFIX}${Math.round(start.getTime() / 60_000)}`;
}

/** The slot a choice id names, or null for anything else. */
export function slotFromChoiceId(id: string): Date | null {
  const match = new RegExp(`^${BOOK_PREFIX}(\\d{1,10})$`).exec(id);
  return match ? new Date(Number(match[1]) * 60_000) : null;
}
