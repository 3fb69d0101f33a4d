// The loop's sleep, as an object both sides can hold: the loop sleeps on it between polls, anything that
// makes a poll worth doing now (a slot freed, a pause lifted, an operator's command) rings it. A ring
// while nobody sleeps is kept, so the next sleep returns at once.
export class Alarm {
  private wakeUp: (() => void) | null = null;
  private pending = false;

  ring(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    if (w) w();
    else this.pending = true;
  }

  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
