/**
 * The product's side of the live-audio process's RPCs: each method's
 * arguments are parsed by its schema (audio-protocol.ts), the work runs on
 * the product's services, and the answer carries only what the bridge reads
 * (no database rows cross the channel).
 */
import { DomainError } from "../src/errors";
import { issuePaths, type Logger } from "../src/logger";
import { AUDIO_RPC, type AudioRpcArgs, type AudioRpcMethod, type AudioRpcResult, type RemoteError } from "./audio-protocol";
import type { StreamProductDeps } from "./stream-server";

type Handlers = { [M in AudioRpcMethod]: (...args: AudioRpcArgs<M>) => Promise<AudioRpcResult<M>> };

export type RpcOutcome = { ok: true; value: unknown } | { ok: false; error: RemoteError };

export function createAudioRpcServer(product: StreamProductDeps, log: Logger) {
  const handlers: Handlers = {
    openCall: (callId, callSid) => product.openCall(callId, callSid),
    recordUtterance: async (callId, line) => {
      await product.results.recordUtterance(callId, line);
    },
    replaceUtterance: async (callId, itemId, text) => {
      await product.results.replaceUtterance(callId, itemId, text);
    },
    saveFacts: (callId, facts) => product.results.saveFacts(callId, facts),
    finalize: async (callId, endReason) => {
      await product.results.finalize(callId, endReason);
    },
    sayAndHangUp: async (callSid, message) => {
      await product.sayAndHangUp(callSid, message);
    },
    offerSlots: async (leadId) => (await product.booking.offerSlots(leadId)).map((slot) => ({ start: slot.start })),
    book: async (leadId, start) => {
      const { appointment } = await product.booking.book(leadId, start);
      return { appointment: { starts_at: appointment.starts_at, meet_link: appointment.meet_link } };
    },
    handOff: async (leadId) => ({ already: (await product.leadRequests.handOff(leadId)).already }),
    optOut: async (leadId) => {
      await product.leadRequests.optOut(leadId);
    },
  };

  return {
    /** Runs one RPC. Never throws: a failure is the answer, its message kept and whether it was a DomainError. */
    async serve(method: AudioRpcMethod, args: unknown[]): Promise<RpcOutcome> {
      const parsed = AUDIO_RPC[method].args.safeParse(args);
      if (!parsed.success) {
        log.warn({ method, problems: issuePaths(parsed.error) }, "RPC from the audio process with invalid arguments refused");
        return { ok: false, error: { message: `invalid arguments for ${method}`, domain: false } };
      }
      // TypeScript cannot pair a method with its own handler through the union; the arguments were parsed by that method's schema.
      const handler = handlers[method] as (...parsedArgs: unknown[]) => Promise<unknown>;
      try {
        return { ok: true, value: await handler(...(parsed.data as unknown[])) };
      } catch (error) {
        return { ok: false, error: encodeError(error) };
      }
    },
  };
}

function encodeError(error: unknown): RemoteError {
  if (error instanceof DomainError) return { message: error.message, domain: true, code: error.code };
  return { message: error instanceof Error ? error.message : String(error), domain: false };
}
