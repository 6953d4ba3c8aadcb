import { MessageChannel, type MessagePort } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { FastLane, newLaneBuffer } from "../../../lib/workers/wasm/fast-lane.js";

interface Msg {
  type: string;
  id: number;
  payload: { body: Uint8Array | null; text?: string };
}

const open: MessagePort[] = [];
afterEach(() => {
  for (const port of open.splice(0)) port.close();
});

/**
 * Both ends of a lane on this thread, over a real MessageChannel: the host
 * end sends "invoke" fast, the sandbox end "response". `seen` records what
 * each end delivered, and `wire` every message the ports carried.
 */
function lane() {
  const { port1, port2 } = new MessageChannel();
  open.push(port1, port2);
  const buffer = newLaneBuffer();
  const seen = { host: [] as Msg[], sandbox: [] as Msg[] };
  const wire = { toSandbox: [] as string[], toHost: [] as string[] };
  const host = new FastLane<Msg, Msg>(buffer, "host", port1, "invoke", (m) => seen.host.push(m));
  const sandbox = new FastLane<Msg, Msg>(buffer, "sandbox", port2, "response", (m) => seen.sandbox.push(m));
  port1.on("message", (m: Msg) => {
    wire.toHost.push(m.type);
    host.fromPort(m);
  });
  port2.on("message", (m: Msg) => {
    wire.toSandbox.push(m.type);
    sandbox.fromPort(m);
  });
  return { host, sandbox, seen, wire };
}

const msg = (type: string, id: number, body: Uint8Array | null = null, text?: string): Msg => ({ type, id, payload: { body, ...(text === undefined ? {} : { text }) } });
const ids = (list: Msg[]) => list.map((m) => `${m.type}:${m.id}`);
/** Lets the ports deliver what is queued. */
const drained = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

describe("FastLane (quickjs-wasm's mailbox beside the MessagePort)", () => {
  it("a receiver that does not poll is rung: the message comes through the mailbox, the doorbell is not delivered", async () => {
    const { host, seen, wire } = lane();
    host.send(msg("invoke", 1, new Uint8Array([1, 2, 3]), "héllo ✓"));
    await drained();
    expect(wire.toSandbox).toEqual(["doorbell"]);
    expect(seen.sandbox).toHaveLength(1);
    const [m] = seen.sandbox;
    expect(m).toEqual({ type: "invoke", id: 1, payload: { body: new Uint8Array([1, 2, 3]), text: "héllo ✓" } });
    // The body is the receiver's own, not a view of the shared memory.
    expect(m!.payload.body!.buffer).toBeInstanceOf(ArrayBuffer);
  });

  it("a polling receiver is not rung and takes the message on its next look", async () => {
    const { sandbox, host, seen, wire } = lane();
    host.polling(true);
    sandbox.send(msg("response", 7, null));
    expect(seen.host).toEqual([]);
    host.poll();
    expect(ids(seen.host)).toEqual(["response:7"]);
    expect(seen.host[0]!.payload.body).toBeNull();
    await drained();
    expect(wire.toHost).toEqual([]);
  });

  it("stopping to poll looks a last time: a message written just before is not left behind", () => {
    const { sandbox, host, seen } = lane();
    host.polling(true);
    sandbox.send(msg("response", 3));
    host.polling(false);
    expect(ids(seen.host)).toEqual(["response:3"]);
  });

  it("keeps the order of sending across both ways, polling or woken", async () => {
    for (const polling of [true, false]) {
      const l = lane();
      l.sandbox.polling(polling);
      l.host.send(msg("log", 1));
      l.host.send(msg("invoke", 2));
      l.host.send(msg("cancel", 3));
      if (polling) {
        // The look takes the port message sent before the mailbox's, then the mailbox's; the later one waits for its event.
        l.sandbox.poll();
        expect(ids(l.seen.sandbox)).toEqual(["log:1", "invoke:2"]);
      }
      await drained();
      expect(ids(l.seen.sandbox), `polling: ${polling}`).toEqual(["log:1", "invoke:2", "cancel:3"]);
    }
  });

  it("a full mailbox sends the next message by the port, still in order", async () => {
    const { host, seen, wire } = lane();
    host.send(msg("invoke", 1));
    host.send(msg("invoke", 2));
    host.send(msg("invoke", 3));
    await drained();
    expect(ids(seen.sandbox)).toEqual(["invoke:1", "invoke:2", "invoke:3"]);
    expect(wire.toSandbox).toEqual(["doorbell", "invoke", "invoke"]);
  });

  it("a message larger than the mailbox goes by the port with its body intact", async () => {
    const { sandbox, seen, wire } = lane();
    const big = new Uint8Array(200_000).map((_, i) => i % 251);
    sandbox.send(msg("response", 1, big));
    sandbox.send(msg("response", 2, new Uint8Array(10)));
    await drained();
    expect(wire.toHost).toEqual(["response", "doorbell"]);
    expect(ids(seen.host)).toEqual(["response:1", "response:2"]);
    expect(Buffer.compare(seen.host[0]!.payload.body!, big)).toBe(0);
  });

  it("a text that only fits as UTF-16 units but not as UTF-8 bytes goes by the port", async () => {
    const { host, seen, wire } = lane();
    // 30,000 three-byte characters: 30,000 units, 90,000 bytes.
    host.send(msg("invoke", 1, null, "✓".repeat(30_000)));
    await drained();
    expect(wire.toSandbox).toEqual(["invoke"]);
    expect(seen.sandbox[0]!.payload.text).toBe("✓".repeat(30_000));
  });

  it("a doorbell that comes after its message was taken by polling does not take the next one out of order", async () => {
    const { host, sandbox, seen } = lane();
    sandbox.send(msg("response", 1)); // not polling: rung
    host.poll(); // taken before the doorbell's event
    expect(ids(seen.host)).toEqual(["response:1"]);
    sandbox.send(msg("log", 2)); // by the port, after the doorbell
    sandbox.send(msg("response", 3)); // in the mailbox, rung again
    await drained();
    expect(ids(seen.host)).toEqual(["response:1", "log:2", "response:3"]);
  });

  it("a long mixed exchange arrives whole and in order", async () => {
    const { host, seen } = lane();
    const sent: string[] = [];
    for (let i = 1; i <= 300; i++) {
      const type = i % 3 === 0 ? "log" : "invoke";
      host.send(msg(type, i, i % 5 === 0 ? new Uint8Array(i) : null));
      sent.push(`${type}:${i}`);
      if (i % 7 === 0) await drained(1);
    }
    await drained();
    expect(ids(seen.sandbox)).toEqual(sent);
    for (const m of seen.sandbox) expect(m.payload.body?.byteLength ?? null).toBe(m.id % 5 === 0 ? m.id : null);
  });
});
