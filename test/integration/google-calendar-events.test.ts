/**
 * src/calendar/google-calendar.ts against the fake Google Calendar over HTTP: an event made under
 * our id is removed once; removing it again, or one never made, answers "absent" (Google's 410 and
 * 404), and a removed event is no longer busy time.
 */
import { afterEach, expect, it } from "vitest";
import { createGoogleCalendar } from "../../src/calendar/google-calendar";
import { startFakeGoogleCalendar, type FakeGoogleCalendar } from "../fakes/google-calendar";

const CALENDAR = "ventas@inmobiliaria.example";
const oauth = { clientId: "client-g", clientSecret: "secret-g", refreshToken: "refresh-g" };
let google: FakeGoogleCalendar;

afterEach(async () => {
  await google.close();
});

/** The adapter the product makes from GOOGLE_* settings, pointed at a fresh fake. */
async function calendarOnFake() {
  google = await startFakeGoogleCalendar({ calendarId: CALENDAR, oauth });
  return createGoogleCalendar({ calendarId: CALENDAR, rootUrl: google.rootUrl, timeZone: "America/Mexico_City", auth: { kind: "oauth", ...oauth, tokenUrl: google.tokenUrl } });
}

it("removes an event of ours by its id once, and says absent for one removed before or never made", async () => {
  const calendar = await calendarOnFake();
  const start = new Date("2026-12-01T16:00:00Z");
  const end = new Date("2026-12-01T17:00:00Z");
  const made = await calendar.createEvent({ start, end, summary: "Cita", description: "Lead #1", requestId: "prospecta-1", eventId: "prospecta1t1" });
  expect(await calendar.busy(start, end)).toEqual([{ start, end }]);

  expect(await calendar.removeEvent(made.eventId)).toBe("removed");
  expect(google.deleted).toEqual(["prospecta1t1"]);
  expect(await calendar.busy(start, end)).toEqual([]);
  expect(await calendar.removeEvent(made.eventId)).toBe("absent");
  expect(await calendar.removeEvent("prospecta2t2")).toBe("absent");
  const eventPath = (id: string) => `/calendar/v3/calendars/${encodeURIComponent(CALENDAR)}/events/${id}`;
  const deletes = google.requests.filter((request) => request.method === "DELETE").map((request) => request.path);
  expect(deletes).toEqual([eventPath("prospecta1t1"), eventPath("prospecta1t1"), eventPath("prospecta2t2")]);
});

it("lets an outage through, so the caller keeps the event written down for review", async () => {
  const calendar = await calendarOnFake();
  google.down = true;
  await expect(calendar.removeEvent("prospecta3t3")).rejects.toThrow();
});
