/**
 * The Realtime server allows one active response per conversation: a
 * `response.create` sent while one is in progress is refused with
 * `conversation_already_has_active_response`. Tool calls arrive inside a
 * running response, so the follow-up answer to a tool's output must wait for
 * that response's `response.done`. This gate tracks each response from
 * `response.created` to `response.done` (including the ones the server starts
 * itself on the caller's speech) and sends a wanted response only when none is
 * active, none is already requested and no tool is still working.
 */
export interface ResponseRequest {
  instructions?: string;
}

export interface ResponseGate {
  /** Asks for a response as soon as the conversation allows it. Instructions of an earlier pending request are kept unless replaced. */
  request(request?: ResponseRequest): void;
  toolStarted(): void;
  toolFinished(): void;
  created(responseId: string): void;
  done(responseId: string): void;
  /** The server refused our response.create because one was already running: ask again once it is done. */
  refused(): void;
  /** The response being generated now, if any. */
  activeResponse(): string | null;
}

export function createResponseGate(send: (request: ResponseRequest) => void): ResponseGate {
  let active: string | null = null;
  let requested: ResponseRequest | null = null;
  let pending: ResponseRequest | null = null;
  let toolsRunning = 0;

  function flush(): void {
    if (active !== null || requested !== null || toolsRunning > 0 || pending === null) return;
    requested = pending;
    pending = null;
    send(requested);
  }

  return {
    request(request = {}) {
      pending = pending?.instructions && !request.instructions ? pending : request;
      flush();
    },
    toolStarted() {
      toolsRunning++;
    },
    toolFinished() {
      toolsRunning = Math.max(0, toolsRunning - 1);
      flush();
    },
    created(responseId) {
      active = responseId;
      requested = null;
    },
    done(responseId) {
      // A response we never saw start (its response.created was lost or invalid) still ends any wait for it.
      if (active === null) requested = null;
      if (active === null || active === responseId) active = null;
      flush();
    },
    refused() {
      // The running response started before our items: it cannot answer them, so ours goes again after it.
      if (requested && !pending) pending = requested;
      requested = null;
    },
    activeResponse() {
      return active;
    },
  };
}
