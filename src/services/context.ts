import type { Db } from "../../db/client";
import type { Clock } from "../clock";
import type { LeadEvents } from "./lead-events";

/** What every service is built from. */
export interface ServiceDeps {
  db: Db;
  clock: Clock;
  /** Default time zone of the agency (TZ), for leads without one of their own. */
  timeZone: string;
  events: LeadEvents;
}

/** Who made a change, as written to history and audit rows: "api:admin", "bot:lead", "campaign:3"… */
export type Actor = string;
