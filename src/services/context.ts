import type { Database } from "../../db/database";
import type { Clock } from "../clock";
import type { LeadEvents } from "./lead-events";

/** What every service is built from. */
export interface ServiceDeps {
  /** SQLite or PostgreSQL (db/database.ts): statements run through `db.run` or `db.transaction`. */
  db: Database;
  clock: Clock;
  /** Default time zone of the agency (TZ), for leads without one of their own. */
  timeZone: string;
  events: LeadEvents;
}

/** Who made a change, as written to history and audit rows: "api:admin", "bot:lead", "campaign:3"… */
export type Actor = string;
