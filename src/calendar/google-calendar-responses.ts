/**
 * What we read from Google Calendar's answers, as zod schemas: googleapis types
 * its responses but does not check them, and a malformed busy interval (an
 * unparseable date) would otherwise reach the slot rules as an Invalid Date.
 * Loose objects: Google adds fields.
 */
import { z } from "zod";

const dateTime = z.iso.datetime({ offset: true });

export const freeBusyCalendarSchema = z.looseObject({
  errors: z.array(z.looseObject({ reason: z.string().max(200).optional() })).optional(),
  busy: z.array(z.looseObject({ start: dateTime, end: dateTime })).default([]),
});

export const insertedEventSchema = z.looseObject({
  id: z.string().min(1).max(1024).optional(),
  hangoutLink: z.url().optional(),
  conferenceData: z
    .looseObject({ entryPoints: z.array(z.looseObject({ entryPointType: z.string().optional(), uri: z.string().optional() })).optional() })
    .optional(),
});

/** The service account key file: only the two fields we use. */
export const serviceAccountKeySchema = z.looseObject({ client_email: z.string().min(3), private_key: z.string().min(20) });
