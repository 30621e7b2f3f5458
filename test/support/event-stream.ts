/** Reads a text/event-stream response (the dashboard's /admin/eventos) as events, for tests. */

export interface StreamEvent {
  event: string;
  data: string;
}

export interface EventStreamReader {
  /** Waits for the next event `match` accepts (earlier ones are skipped); fails after `timeoutMs`. */
  next(match?: (event: StreamEvent) => boolean, timeoutMs?: number): Promise<StreamEvent>;
  /** Everything received so far, comments (": ping") and fields included, as text. */
  text(): string;
  /** Resolves with true when the server ended the stream cleanly, false when the connection broke. */
  ended(): Promise<boolean>;
  cancel(): Promise<void>;
}

export function readEventStream(response: Response): EventStreamReader {
  if (!response.body) throw new Error("no body");
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let all = "";
  const events: StreamEvent[] = [];
  let waiting = null as (() => void) | null;
  const done = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return true;
        all += value;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = block.split("\n").filter((line) => !line.startsWith(":"));
          const event = fields.find((line) => line.startsWith("event: "))?.slice(7);
          const data = fields.filter((line) => line.startsWith("data: ")).map((line) => line.slice(6)).join("\n");
          if (event) events.push({ event, data });
        }
        waiting?.();
      }
    } catch {
      return false;
    } finally {
      waiting?.();
    }
  })();

  return {
    async next(match = () => true, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = events.findIndex(match);
        if (index >= 0) return events.splice(0, index + 1).at(-1)!;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; received: ${all}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiting = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        waiting = null;
        if ((await Promise.race([done, Promise.resolve(null)])) !== null && !events.some(match)) {
          throw new Error(`stream ended; received: ${all}`);
        }
      }
    },
    text: () => all,
    ended: () => done,
    async cancel() {
      await reader.cancel().catch(() => undefined);
    },
  };
}
