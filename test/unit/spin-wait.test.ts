import { describe, expect, it } from "vitest";
import { SpinWait, type PolledChannel } from "../../lib/workers/spin-wait.js";

/** Until the spin under way (if any) has ended. */
async function settle(spin: SpinWait): Promise<void> {
  while (spin.spinning) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe("SpinWait", () => {
  it("spins after each send while answers come within the spin", async () => {
    let pending = false;
    const spin = new SpinWait(50_000, () => pending);
    for (let i = 0; i < 10; i++) {
      pending = true;
      spin.start();
      expect(spin.spinning).toBe(true);
      pending = false;
      await settle(spin);
    }
  });

  it("pauses after answers keep coming later than the spin, and tries again after the pause", async () => {
    const spin = new SpinWait(100, () => true);
    for (let i = 0; i < 4; i++) {
      spin.start();
      expect(spin.spinning, `spin ${i + 1}`).toBe(true);
      await settle(spin);
    }
    for (let i = 0; i < 64; i++) {
      spin.start();
      expect(spin.spinning, `send ${i + 1} of the pause`).toBe(false);
    }
    spin.start();
    expect(spin.spinning, "the trial after the pause").toBe(true);
    await settle(spin);
    // The trial missed too: paused again at once.
    spin.start();
    expect(spin.spinning).toBe(false);
  });

  it("does not spin when no lone answer is awaited (busy() false at the send)", async () => {
    let lone = false;
    const spin = new SpinWait(50_000, () => lone);
    spin.start();
    expect(spin.spinning).toBe(false);
    // A spin under way ends as soon as busy() turns false (more calls went out).
    lone = true;
    spin.start();
    expect(spin.spinning).toBe(true);
    lone = false;
    await settle(spin);
    expect(spin.spinning).toBe(false);
  });

  it("does not spin with spinWaitUs 0", () => {
    const spin = new SpinWait(0, () => true);
    spin.start();
    expect(spin.spinning).toBe(false);
  });

  it("a start while still spinning counts as a hit: misses in between never add up to a pause", async () => {
    // A sandbox's spin waits for its next call, which it answers inside the spin: busy() never turns false.
    const spin = new SpinWait(100, () => true);
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 3; i++) spin.start();
      expect(spin.spinning, `round ${round + 1}`).toBe(true);
      // Each round ends in a miss; the starts that came while spinning reset the count.
      await settle(spin);
    }
    spin.start();
    expect(spin.spinning).toBe(true);
    await settle(spin);
  });

  it("polls its channel on every turn, says when it starts and stops, and looks a last time when it stops", async () => {
    const events: string[] = [];
    let answered = false;
    let polls = 0;
    const channel: PolledChannel = {
      poll: () => {
        polls++;
        // The answer shows up on the third look.
        if (polls === 3) answered = true;
      },
      polling: (on) => events.push(on ? "on" : `off after ${polls} polls`),
    };
    const spin = new SpinWait(50_000, () => !answered, channel);
    spin.start();
    expect(events).toEqual(["on"]);
    await settle(spin);
    expect(events).toEqual(["on", "off after 3 polls"]);
  });

  it("a spin that misses tells its channel it stopped", async () => {
    const events: boolean[] = [];
    const spin = new SpinWait(100, () => true, { poll: () => {}, polling: (on) => events.push(on) });
    spin.start();
    await settle(spin);
    expect(events).toEqual([true, false]);
  });
});
