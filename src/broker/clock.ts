// Time as an injectable source, so session and long-poll timeouts are tested without sleeping.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};

/** A clock that moves only when told to: timers fire inside advance(). */
export class ManualClock implements Clock {
  private timers: { at: number; fn: () => void; live: boolean }[] = [];

  constructor(private time = 1_700_000_000_000) {}

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const t = { at: this.time + Math.max(0, ms), fn, live: true };
    this.timers.push(t);
    return { cancel: () => void (t.live = false) };
  }

  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter(t => t.live && t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.time = Math.max(this.time, due.at);
      due.live = false;
      due.fn();
    }
    this.timers = this.timers.filter(t => t.live);
    this.time = until;
  }
}
