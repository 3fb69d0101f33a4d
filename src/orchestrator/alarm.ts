// The loop's sleep, as an object both sides can hold: the loop sleeps on it between polls, anything that
// makes a poll worth doing now (a slot freed, a pause lifted, an operator's command) rings it. A ring
// while nobody sleeps is kept, so the next sleep returns at once. A nudge is the lighter call: webhook
// deliveries named objects to re-read, which a targeted round does without a full poll. The sleep says why
// it ended; a ring outweighs a nudge (a full poll re-reads the tickets too).
export type Wake = 'ring' | 'nudge' | 'timeout';

export class Alarm {
  private wakeUp: ((why: Wake) => void) | null = null;
  private pending: Wake | null = null;

  ring(): void {
    this.wake('ring');
  }

  nudge(): void {
    this.wake('nudge');
  }

  sleep(ms: number): Promise<Wake> {
    if (this.pending) {
      const why = this.pending;
      this.pending = null;
      return Promise.resolve(why);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve('timeout');
      }, ms);
      this.wakeUp = (why) => {
        clearTimeout(timer);
        resolve(why);
      };
    });
  }

  private wake(why: Wake): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    if (w) w(why);
    else if (this.pending !== 'ring') this.pending = why;
  }
}
