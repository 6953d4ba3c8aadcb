import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  createSocketGate,
  defaultSocketLimit,
  openHostSockets,
} from "../../../lib/host-calls/socket-gate.js";

describe("socket gate", () => {
  it("admits sockets while fewer than the limit are open in the process, every gate together", () => {
    const before = openHostSockets();
    const small = createSocketGate(before + 2);
    const large = createSocketGate(before + 100);
    const first = small.tryAcquire();
    const second = large.tryAcquire();
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    // Two are open now (one through each gate): the small gate is full.
    expect(small.tryAcquire()).toBeUndefined();
    second?.();
    second?.(); // idempotent
    expect(openHostSockets()).toBe(before + 1);
    const third = small.tryAcquire();
    expect(third).toBeDefined();
    first?.();
    third?.();
    expect(openHostSockets()).toBe(before);
  });

  it("defaults to half the descriptor limit, at most 4096", () => {
    const soft = /^Max open files\s+(\d+)/m.exec(
      readFileSync("/proc/self/limits", "utf8"),
    )?.[1];
    expect(defaultSocketLimit()).toBe(
      Math.min(4096, Math.floor(Number(soft) / 2)),
    );
  });
});
