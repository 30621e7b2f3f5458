/**
 * The live-audio process's side of its RPCs to the product: the stream
 * server's product deps, each a `call` message answered by a `result`. An
 * answer is checked against its method's schema; a DomainError comes back as
 * a RemoteDomainError, so the bridge still tells the model its message.
 */
import { DomainError } from "../src/errors";
import { issuePaths, type Logger } from "../src/logger";
import { AUDIO_RPC, type AudioRpcArgs, type AudioRpcMethod, type AudioRpcResult, type FromAudio, type ToAudio } from "./audio-protocol";
import type { StreamProductDeps } from "./stream-server";

/** A DomainError thrown in the product process, rebuilt here with its message and code. */
export class RemoteDomainError extends DomainError {}

type Answer = Extract<ToAudio, { kind: "result" }>;

interface Waiting {
  method: AudioRpcMethod;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** `send` returns false when the product process cannot be reached. */
export function createAudioRpcClient(send: (message: FromAudio) => boolean, log: Logger) {
  let nextId = 0;
  const waiting = new Map<number, Waiting>();

  function call<M extends AudioRpcMethod>(method: M, args: AudioRpcArgs<M>): Promise<AudioRpcResult<M>> {
    return new Promise<AudioRpcResult<M>>((resolve, reject) => {
      const id = nextId++;
      // The value was parsed by this method's result schema before it resolves.
      waiting.set(id, { method, resolve: resolve as (value: unknown) => void, reject });
      if (send({ kind: "call", id, method, args })) return;
      waiting.delete(id);
      reject(new Error(`product process unreachable (${method})`));
    });
  }

  const product: StreamProductDeps = {
    openCall: (callId, callSid) => call("openCall", [callId, callSid]),
    results: {
      recordUtterance: (callId, line) => call("recordUtterance", [callId, line]),
      replaceUtterance: (callId, itemId, text) => call("replaceUtterance", [callId, itemId, text]),
      saveFacts: (callId, facts) => call("saveFacts", [callId, facts]),
      finalize: (callId, endReason) => call("finalize", [callId, endReason]),
    },
    sayAndHangUp: (callSid, message) => call("sayAndHangUp", [callSid, message]),
    booking: {
      offerSlots: (leadId) => call("offerSlots", [leadId]),
      book: (leadId, start) => call("book", [leadId, start]),
    },
    leadRequests: {
      handOff: (leadId) => call("handOff", [leadId]),
      optOut: (leadId) => call("optOut", [leadId]),
    },
  };

  return {
    product,
    /** The product's answer to one RPC. */
    settle(answer: Answer): void {
      const pending = waiting.get(answer.id);
      if (!pending) return log.warn({ rpc_id: answer.id }, "answer to no pending RPC skipped");
      waiting.delete(answer.id);
      if (!answer.ok) {
        const { message, domain, code } = answer.error;
        return pending.reject(domain ? new RemoteDomainError(message, code ?? "remote") : new Error(message));
      }
      const value = AUDIO_RPC[pending.method].result.safeParse(answer.value);
      if (value.success) return pending.resolve(value.data);
      log.warn({ method: pending.method, problems: issuePaths(value.error) }, "invalid RPC answer from the product skipped");
      pending.reject(new Error(`invalid answer to ${pending.method}`));
    },
  };
}
