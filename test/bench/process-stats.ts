/**
 * CPU time and memory of a process and its descendants, read from /proc
 * (Linux only: elsewhere every reading is empty). Each process is kept apart,
 * so a product that runs work in child processes shows them one by one.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface ProcessReading {
  pid: number;
  ppid: number;
  name: string;
  /** utime + stime, in seconds (all threads). */
  cpuSeconds: number;
  rssMb: number;
  /** Peak RSS of the process's life (VmHWM). */
  peakRssMb: number;
}

function readStat(pid: number): { ppid: number; name: string; cpuSeconds: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After the name: state (3), ppid (4), … utime (14), stime (15), numbered as in proc(5).
    return { ppid: Number(fields[1]), name, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond };
  } catch {
    return null;
  }
}

function memoryMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ").slice(0, 160);
  } catch {
    return "";
  }
}

/** `root` and every process below it, now. */
export function readProcessTree(root: number): ProcessReading[] {
  const parents = new Map<number, number[]>();
  let pids: number[] = [];
  try {
    pids = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).map(Number);
  } catch {
    return [];
  }
  const stats = new Map<number, NonNullable<ReturnType<typeof readStat>>>();
  for (const pid of pids) {
    const stat = readStat(pid);
    if (!stat) continue;
    stats.set(pid, stat);
    parents.set(stat.ppid, [...(parents.get(stat.ppid) ?? []), pid]);
  }
  const readings: ProcessReading[] = [];
  const visit = (pid: number) => {
    const stat = stats.get(pid);
    if (!stat) return;
    readings.push({ pid, ppid: stat.ppid, name: stat.name, cpuSeconds: stat.cpuSeconds, rssMb: memoryMb(pid, "VmRSS"), peakRssMb: memoryMb(pid, "VmHWM") });
    for (const child of parents.get(pid) ?? []) visit(child);
  };
  visit(root);
  return readings;
}

/** One process, without its children. */
export function readProcess(pid: number): ProcessReading | null {
  const stat = readStat(pid);
  return stat && { pid, ppid: stat.ppid, name: stat.name, cpuSeconds: stat.cpuSeconds, rssMb: memoryMb(pid, "VmRSS"), peakRssMb: memoryMb(pid, "VmHWM") };
}

export { commandLine };

/** CPU used between two readings of a tree, per process (a process born in between counts from 0). */
export function cpuBetween(before: ProcessReading[], after: ProcessReading[]): { pid: number; name: string; cpuSeconds: number }[] {
  const start = new Map(before.map((r) => [r.pid, r.cpuSeconds]));
  return after.map((r) => ({ pid: r.pid, name: r.name, cpuSeconds: r.cpuSeconds - (start.get(r.pid) ?? 0) }));
}

/** The whole machine's CPU time so far, busy (not idle, not waiting on I/O) and in all, in seconds summed over cores. */
export function readMachineCpu(): { busySeconds: number; totalSeconds: number } | null {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    const idle = fields[3]! + fields[4]!; // idle, iowait
    return { busySeconds: (total - idle) / ticksPerSecond, totalSeconds: total / ticksPerSecond };
  } catch {
    return null;
  }
}
