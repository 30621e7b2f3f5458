/** What booking needs from a calendar, whichever one the agency uses. */
import type { Interval } from "../domain/slots";

export interface CalendarEventRequest {
  start: Date;
  end: Date;
  summary: string;
  description: string;
  /** Idempotency key for the Meet link request: the same booking never makes two conferences. */
  requestId: string;
  /**
   * The event's id, ours (Google's rule: base32hex, a-v and 0-9, 5 to 1024 characters): an insert
   * whose answer was lost is found by it, so one booking never makes two events.
   */
  eventId: string;
}

export interface CreatedEvent {
  eventId: string;
  /** Null when the calendar cannot make one (the local calendar). */
  meetLink: string | null;
}

export interface CalendarPort {
  readonly kind: "google" | "local";
  busy(from: Date, to: Date): Promise<Interval[]>;
  createEvent(request: CalendarEventRequest): Promise<CreatedEvent>;
  /** Removes an event of ours by its id, attendees not told; "absent" when the calendar holds none (never made, or removed before). */
  removeEvent(eventId: string): Promise<"removed" | "absent">;
}
