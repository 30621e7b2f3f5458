/**
 * This process's scheduling: its priority (nice) or a real-time policy, on each of its threads. On
 * Linux a priority belongs to a thread, and Node's threads (V8's, libuv's) are
 * started before any of our code runs, so the process's own id alone would
 * move only the main thread. Threads started later inherit it from the thread
 * that starts them.
 */
import { execFileSync } from "node:child_process";
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

/**
 * Puts every thread of this process on the real-time round-robin policy (SCHED_RR) at
 * `priority` (1 to 99), through util-linux's chrt: Node has no call for it. A thread on it runs
 * as soon as it is woken, ahead of every ordinary one, however busy the cores; the kernel keeps
 * 5% of each second for ordinary threads (sched_rt_runtime_us), so a thread that spun could not
 * take a core whole. Null when set; else why not (it needs root or CAP_SYS_NICE, and chrt).
 */
export function setOwnRealtimePriority(priority: number): Error | null {
  try {
    execFileSync("chrt", ["--rr", "--all-tasks", "--pid", String(priority), String(process.pid)], { stdio: ["ignore", "ignore", "pipe"], timeout: 5000 });
    return null;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
