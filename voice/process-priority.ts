/**
 * Sets this process's scheduling priority (nice) on each of its threads. On
 * Linux a priority belongs to a thread, and Node's threads (V8's, libuv's) are
 * started before any of our code runs, so the process's own id alone would
 * move only the main thread. Threads started later inherit it from the thread
 * that starts them.
 */
import { readdirSync } from "node:fs";
import { setPriority } from "node:os";

/** Null when set; else why not (a negative nice needs root or CAP_SYS_NICE). */
export function setOwnPriority(nice: number): Error | null {
  try {
    for (const thread of ownThreads()) setPriority(thread, nice);
    return null;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function ownThreads(): number[] {
  try {
    return readdirSync("/proc/self/task").map(Number);
  } catch {
    // Not Linux: the process's id sets the whole process there.
    return [0];
  }
}
