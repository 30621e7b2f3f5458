/** What a bench's JSON line says about the machine it ran on: other work on it skews every rate. */
import { cpus, loadavg } from "node:os";

/** The 1-minute load average now, two decimals. */
export function loadAverageNow(): number {
  return Math.round(loadavg()[0]! * 100) / 100;
}

/** The load average before the bench started anything and after it, Node's version and the cores. */
export function machineFacts(loadBefore: number) {
  return { load_average_before: loadBefore, load_average_after: loadAverageNow(), node: process.version, cpus: cpus().length };
}
