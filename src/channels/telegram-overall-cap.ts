/**
 * Telegram's overall limit for a bot (about 30 messages a second), as the
 * throttler (telegram-throttler.ts) keeps it: places counted where Telegram
 * counts them, on arrival (ArrivalWindow), taken at an even pace (StartPacer).
 */

const SECOND_MS = 1000;
/** How early a start may take its slot, so that whole-millisecond timers keep the pace. */
const TIMER_SLACK_MS = 2;

/**
 * The overall cap where Telegram counts it: on arrival. A message holds a place
 * from its start until a second after its answer, and a start needs a free
 * place. Counting starts instead (the sliding second this replaces) let the
 * cap go in one burst and the next burst a second later; the first burst's
 * messages reach Telegram spread by how long each waited in the sockets and
 * event loops on the way, so one second there held most of two bursts (54 at
 * a cap of 30, measured at the fake Telegram).
 *
 * Why it holds whatever the delays: a message reaches Telegram after its start
 * and before its answer. Say cap + 1 messages reached Telegram within one
 * second, and m is the one of them that started last. Each other one started
 * before m, and was answered after it arrived, so less than a second before m
 * started: all cap of them held their places when m started, and m could not
 * have started. Only the way back costs: a slow answer holds its place longer,
 * and one that never comes holds it until grammY's timeout settles the call.
 * (A send aborted while on its way frees its place when the abort settles it.)
 *
 * O(1) amortised per message: answers come in time order, so those of the
 * last second are a queue, at most the cap long.
 */
class ArrivalWindow {
  private inFlight = 0;
  /** Answer times within the last second, oldest first: a ring buffer that grows as needed. */
  private answers = new Float64Array(16);
  private head = 0;
  private size = 0;

  constructor(private readonly cap: number) {}

  allows(now: number): boolean {
    this.expire(now);
    return this.inFlight + this.size < this.cap;
  }

  started(): void {
    this.inFlight++;
  }

  answered(now: number): void {
    this.inFlight--;
    if (this.size === this.answers.length) this.grow();
    // A clock that went back is kept at the newest answer: the queue stays in order, and a place frees no sooner.
    const newest = this.size > 0 ? this.answers[(this.head + this.size - 1) % this.answers.length]! : -Infinity;
    this.answers[(this.head + this.size) % this.answers.length] = Math.max(now, newest);
    this.size++;
  }

  /** When a place frees with no further answer; Infinity when only an answer can free one. */
  freeAt(now: number): number {
    this.expire(now);
    const toFree = Math.floor(this.inFlight + this.size - this.cap) + 1;
    if (toFree <= 0) return now;
    if (toFree > this.size) return Infinity;
    return this.answers[(this.head + toFree - 1) % this.answers.length]! + SECOND_MS;
  }

  private expire(now: number): void {
    while (this.size > 0 && this.answers[this.head]! + SECOND_MS <= now) {
      this.head = (this.head + 1) % this.answers.length;
      this.size--;
    }
  }

  private grow(): void {
    const bigger = new Float64Array(this.answers.length * 2);
    for (let i = 0; i < this.size; i++) bigger[i] = this.answers[(this.head + i) % this.answers.length]!;
    this.answers = bigger;
    this.head = 0;
  }
}

/**
 * Even spacing of starts, one every 1 s / cap, so that the cap's places free
 * one at a time rather than a second's worth at once: a reply waits for the
 * next slot (33 ms at a cap of 30), not for the next second, and the messages
 * of a campaign reach Telegram as a steady stream. A small burst is allowed:
 * two at once, so that a slot lost to a timer that fired late (the event loop
 * was busy) is made up rather than lost, which is worth 5% of the rate on a
 * busy machine; above a cap of 40, a twentieth of the cap, so that a cap far
 * above the load costs nothing. A longer stall is not made up in a burst.
 * (GCRA, the virtual-scheduling form of a token bucket.) The pace alone keeps
 * nothing: ArrivalWindow does.
 */
class StartPacer {
  /** The schedule's next slot; a start may take it up to `toleranceMs` early. */
  private dueAt = -Infinity;
  private readonly intervalMs: number;
  private readonly toleranceMs: number;

  constructor(cap: number) {
    this.intervalMs = SECOND_MS / cap;
    this.toleranceMs = (Math.max(2, Math.floor(cap / 20)) - 1) * this.intervalMs + TIMER_SLACK_MS;
  }

  allows(now: number): boolean {
    return now >= this.dueAt - this.toleranceMs;
  }

  started(now: number): void {
    // A clock that went back keeps the schedule where it was: the next start can only come later, never sooner.
    this.dueAt = Math.max(this.dueAt, now) + this.intervalMs;
  }

  /** When the next start will be allowed. */
  freeAt(now: number): number {
    return Math.max(now, this.dueAt - this.toleranceMs);
  }
}

/** The overall cap: places counted on arrival (ArrivalWindow), taken at an even pace (StartPacer). */
export class OverallCap {
  private readonly window: ArrivalWindow;
  private readonly pacer: StartPacer;

  constructor(cap: number) {
    this.window = new ArrivalWindow(cap);
    this.pacer = new StartPacer(cap);
  }

  allows(now: number): boolean {
    return this.pacer.allows(now) && this.window.allows(now);
  }

  /** Counts a start; returns what to call when its answer (or failure) comes. */
  started(now: number): (now: number) => void {
    this.pacer.started(now);
    this.window.started();
    return (answeredAt) => this.window.answered(answeredAt);
  }

  /** When the next start may go, if no answer comes first (Infinity: only an answer can free a place). */
  freeAt(now: number): number {
    return Math.max(this.pacer.freeAt(now), this.window.freeAt(now));
  }
}
