import { describe, expect, it } from "vitest";
import { HostCallBudget } from "../../../lib/host-calls/budget.js";

const LIMITS = {
  maxConcurrentPerInvocation: 2,
  maxConcurrentPerWorker: 3,
  maxBufferedBytes: 100,
  maxSockets: 10,
};

describe("HostCallBudget", () => {
  it("admits calls up to the per-invocation limit, then refuses with FETCH_CONCURRENCY_LIMIT until one is released", () => {
    const budget = new HostCallBudget(LIMITS);
    const a = budget.admit(1, 0);
    budget.admit(1, 0);
    expect(() => budget.admit(1, 0)).toThrow(
      expect.objectContaining({
        code: "FETCH_CONCURRENCY_LIMIT",
        message: expect.stringContaining("maxConcurrentPerInvocation"),
      }),
    );
    a.release();
    a.release(); // idempotent: frees one slot, not two
    budget.admit(1, 0);
    expect(() => budget.admit(1, 0)).toThrow(
      expect.objectContaining({ code: "FETCH_CONCURRENCY_LIMIT" }),
    );
  });

  it("counts every invocation of the worker against the per-worker limit", () => {
    const budget = new HostCallBudget(LIMITS);
    budget.admit(1, 0);
    budget.admit(2, 0);
    const third = budget.admit(3, 0);
    expect(() => budget.admit(4, 0)).toThrow(
      expect.objectContaining({
        message: expect.stringContaining("maxConcurrentPerWorker"),
      }),
    );
    third.release();
    expect(() => budget.admit(4, 0)).not.toThrow();
  });

  it("shares one byte budget among an invocation's calls, request bodies included, and gives it back on release", () => {
    const budget = new HostCallBudget(LIMITS);
    const a = budget.admit(1, 30);
    const b = budget.admit(1, 0);
    expect(a.charge(50)).toBe(true);
    expect(b.charge(21)).toBe(false); // 30 + 50 + 21 > 100: nothing counted
    expect(b.charge(20)).toBe(true);
    a.release();
    expect(b.charge(80)).toBe(true);
    expect(() => budget.admit(1, 1)).toThrow(
      expect.objectContaining({ code: "FETCH_BUFFER_LIMIT" }),
    );
    // Another invocation has a budget of its own.
    expect(budget.admit(2, 100).charge(0)).toBe(true);
  });

  it("a released ticket charges nothing more", () => {
    const budget = new HostCallBudget(LIMITS);
    const a = budget.admit(1, 0);
    a.release();
    expect(a.charge(1)).toBe(false);
  });
});
