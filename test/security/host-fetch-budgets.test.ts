import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { RUNTIMES, useBystander, useLoopbackServer } from "./harness.js";

/**
 * What a handler can make the host do through `fetch`: every fetch is a
 * socket and a buffer in the host, shared by every tenant. Each attack runs
 * in a host process of its own (fixtures/fetch-flood-host.mjs) with a small
 * descriptor limit, so that the attack could kill that host, never the test
 * runner; the test checks it survived, which codes the handler saw, and how
 * far the host's peak RSS rose above its warm baseline.
 */
const HOST = fileURLToPath(
  new URL("./fixtures/fetch-flood-host.mjs", import.meta.url),
);
const MB = 1024 * 1024;
const SMALL_BODY_LIMIT = 16 * MB;
const STALLING_BODY = 15 * MB;
const LIFTED = {
  maxConcurrentPerInvocation: 5000,
  maxConcurrentPerWorker: 5000,
};

interface HostRun {
  survived: boolean;
  outcome:
    | { kind: "result"; ok: number; codes: Record<string, number> }
    | { kind: "rejected"; code: string; message: string };
  after: { ok: number; codes: Record<string, number> };
  baselineRss: number;
  peakRss: number;
}

/** Runs the host process (asynchronously: the loopback server lives in this one). */
async function runHost(
  settings: Record<string, unknown>,
  maxFds = 1024,
): Promise<HostRun> {
  const child = spawn(
    "bash",
    [
      "-c",
      `ulimit -n ${maxFds} && exec "$0" "$1" "$2"`,
      process.execPath,
      HOST,
      JSON.stringify(settings),
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on(
    "data",
    (chunk: Buffer) => (stdout += chunk.toString("utf8")),
  );
  child.stderr.on(
    "data",
    (chunk: Buffer) =>
      (stderr = (stderr + chunk.toString("utf8")).slice(-2000)),
  );
  const watchdog = setTimeout(() => child.kill("SIGKILL"), 80_000);
  const [status, signal] = await new Promise<
    [number | null, NodeJS.Signals | null]
  >((resolve) => child.on("exit", (code, sig) => resolve([code, sig])));
  clearTimeout(watchdog);
  const line = stdout.trim().split("\n").pop() ?? "";
  if (status !== 0 || !line.startsWith("{"))
    throw new Error(
      `the host process died (status ${status}, signal ${signal}): ${stderr}`,
    );
  return JSON.parse(line) as HostRun;
}

function codesOf(run: HostRun): Record<string, number> {
  expect(run.outcome.kind, JSON.stringify(run.outcome)).toBe("result");
  return run.outcome.kind === "result" ? run.outcome.codes : {};
}

describe.each(RUNTIMES)("%s: host fetch budgets", (runtime) => {
  useBystander(runtime);
  const chunk = Buffer.alloc(MB / 2, 97);
  // Bytes of stalling bodies the kernel has taken from the server so far.
  let sentBytes = 0;
  const server = useLoopbackServer((req, res) => {
    const url = req.url ?? "";
    if (url.startsWith("/ok/")) return void res.end("ok");
    if (url === "/sent") return void res.end(String(sentBytes));
    if (url.startsWith("/big/")) {
      // A large body, then nothing: the response never ends.
      res.writeHead(200, { "content-type": "application/octet-stream" });
      let sent = 0;
      const pump = (): void => {
        while (sent < STALLING_BODY) {
          sent += chunk.length;
          if (!res.write(chunk, () => (sentBytes += chunk.length)))
            return void res.once("drain", pump);
        }
      };
      pump();
      return;
    }
    // '/silent/': never answers at all.
  });
  // The handler answers once `minSettled` fetches have settled (or, for the
  // stalling bodies, once the server has sent `sentBytes`), 30 s at most: a
  // loaded machine gets the time it needs, an idle one does not wait.
  const settings = (
    path: string,
    count: number,
    minSettled: number,
    pool: Record<string, unknown> = {},
    sent: { sentUrl: string; sentBytes: number } | object = {},
  ) => ({
    runtime,
    origin: `${server.origin()}${path}`,
    afterOrigin: `${server.origin()}/ok`,
    count,
    minSettled,
    ...sent,
    settleMs: 30_000,
    pool: { timeoutMs: 45_000, ...pool },
  });

  it("thousands of fetches to a server that never answers: beyond maxConcurrentPerInvocation each fails with FETCH_CONCURRENCY_LIMIT; the host survives", async () => {
    const run = await runHost(settings("/silent", 3000, 3000 - 16));
    expect(run.survived).toBe(true);
    expect(codesOf(run)).toEqual({ FETCH_CONCURRENCY_LIMIT: 3000 - 16 });
  }, 90_000);

  it("control: fetches within the limits succeed", async () => {
    const run = await runHost(settings("/ok", 16, 16));
    expect(run.outcome).toMatchObject({ kind: "result", ok: 16, codes: {} });
  }, 90_000);

  it("with the concurrency limits lifted, the host-wide socket cap (half the descriptor limit) refuses with HOST_SOCKETS_EXHAUSTED before the OS would; the host survives", async () => {
    const run = await runHost(
      // At most 256 sockets open (the cap): the rest settle.
      settings("/silent", 3000, 3000 - 256, { hostFetch: LIFTED }),
      512,
    );
    expect(run.survived).toBe(true);
    const codes = codesOf(run);
    // Only the cap said no (256 of 512 descriptors): no EMFILE reached a fetch.
    expect(Object.keys(codes)).toEqual(["HOST_SOCKETS_EXHAUSTED"]);
    expect(codes["HOST_SOCKETS_EXHAUSTED"]).toBeGreaterThan(0);
    expect(run.after).toEqual({ ok: 1, codes: {} });
  }, 90_000);

  it("with the socket cap lifted too, EMFILE from connect() is HOST_SOCKETS_EXHAUSTED for that fetch, never a dead host", async () => {
    const run = await runHost(
      // At most 512 descriptors: the rest settle.
      settings("/silent", 3000, 3000 - 512, {
        hostFetch: { ...LIFTED, maxSockets: 5000 },
      }),
      512,
    );
    expect(run.survived).toBe(true);
    const codes = codesOf(run);
    expect(
      Object.keys(codes).every((c) => c.startsWith("HOST_SOCKETS_EXHAUSTED")),
      JSON.stringify(codes),
    ).toBe(true);
    expect(codes["HOST_SOCKETS_EXHAUSTED:EMFILE"]).toBeGreaterThan(0);
    // The pool still serves, and fetches again, once the flood is over.
    expect(run.after).toEqual({ ok: 1, codes: {} });
  }, 90_000);

  // The growth includes garbage: bytes of fetches that were refused are free but not yet collected
  // (measured 60-90 MB on a loaded machine); the control below holds 30 bodies, about 450 MB.
  it("30 concurrent fetches whose large bodies stall: FETCH_BUFFER_LIMIT, and the host RSS grows by less than 8 × maxBodyBytes", async () => {
    const run = await runHost(
      settings("/big", 30, 29, {
        maxBodyBytes: SMALL_BODY_LIMIT,
        hostFetch: { maxConcurrentPerInvocation: 100 },
      }),
    );
    expect(run.survived).toBe(true);
    expect(codesOf(run)).toEqual({ FETCH_BUFFER_LIMIT: 29 });
    expect(run.peakRss - run.baselineRss).toBeLessThan(8 * SMALL_BODY_LIMIT);
  }, 90_000);

  it("control: with maxBufferedBytes raised, the same fetches make the host hold every body", async () => {
    sentBytes = 0;
    const run = await runHost(
      settings(
        "/big",
        30,
        0,
        {
          maxBodyBytes: SMALL_BODY_LIMIT,
          hostFetch: {
            maxConcurrentPerInvocation: 100,
            maxBufferedBytes: 1024 * MB,
          },
        },
        { sentUrl: `${server.origin()}/sent`, sentBytes: 30 * STALLING_BODY },
      ),
    );
    expect(codesOf(run)).toEqual({});
    expect(run.peakRss - run.baselineRss).toBeGreaterThan(
      16 * SMALL_BODY_LIMIT,
    );
  }, 90_000);
});
