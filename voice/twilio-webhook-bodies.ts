/**
 * The form bodies Twilio posts to our voice webhooks
 * (https://www.twilio.com/docs/voice/twiml#request-parameters and the status
 * callback parameters), as zod schemas. Every value arrives as a string; the
 * objects are loose because Twilio adds parameters without notice (and they
 * are part of the signature, so they are kept).
 */
import { z } from "zod";
import { MAX_ROW_ID } from "../src/domain/row-id";

const callSid = z.string().regex(/^CA[0-9a-zA-Z]{1,64}$/);
const phoneLike = z.string().min(1).max(128);
const shortText = z.string().max(500);

/** `?call_id=` on the URLs we gave Twilio. */
export const callIdQuerySchema = z.looseObject({ call_id: z.coerce.number().int().positive().max(MAX_ROW_ID).optional() });

/** /voice/twiml: the call was answered (with AnsweredBy when machine detection is on). */
export const twimlRequestSchema = z.looseObject({
  CallSid: callSid,
  AnsweredBy: z.string().max(64).optional(),
});

/** /voice/status: the status callback. CallStatus is mapped by the domain; an unknown value changes nothing. */
export const statusCallbackSchema = z.looseObject({
  CallSid: callSid,
  CallStatus: z.string().min(1).max(32),
  CallDuration: z.string().regex(/^\d{1,7}$/).optional(),
  AnsweredBy: z.string().max(64).optional(),
  ErrorCode: z.string().regex(/^\d{1,8}$/).optional(),
  ErrorMessage: shortText.optional(),
});

/** /voice/incoming: someone calls our number. */
export const incomingCallSchema = z.looseObject({
  CallSid: callSid,
  From: phoneLike,
  To: phoneLike.optional(),
});
