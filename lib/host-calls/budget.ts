import {
  FetchBufferLimitError,
  FetchConcurrencyLimitError,
} from "../errors.js";
import { IdTable } from "../id-table.js";
import type { HostFetchLimits } from "../options.js";

/** One admitted host call: its share of the invocation's byte budget. */
export interface HostCallTicket {
  /** Counts `bytes` more held in the host for this call; false (nothing counted) when over the invocation's budget. */
  charge(bytes: number): boolean;
  /** Gives back the call's slot and every byte it charged. Idempotent. */
  release(): void;
}

interface InvocationUsage {
  calls: number;
  bytes: number;
}

/**
 * The host-call budgets of one worker (docs/security.md, "Host calls"):
 * fetches in flight per invocation and per worker, and bytes held in the host
 * per invocation, counted from the request body until the result has been
 * written to the worker's channel. Refusals are errors the handler sees as
 * the failure of that one fetch.
 */
export class HostCallBudget {
  readonly #limits: HostFetchLimits;
  readonly #invocations = new IdTable<InvocationUsage>();
  #calls = 0;

  constructor(limits: HostFetchLimits) {
    this.#limits = limits;
  }

  /** Admits a call of `invocationId` whose request body is `requestBytes` long, or throws the limit it hits. */
  admit(invocationId: number, requestBytes: number): HostCallTicket {
    const limits = this.#limits;
    const usage = this.#invocations.get(invocationId) ?? { calls: 0, bytes: 0 };
    if (usage.calls >= limits.maxConcurrentPerInvocation) {
      throw new FetchConcurrencyLimitError(
        `This invocation already has ${usage.calls} fetches in flight (hostFetch.maxConcurrentPerInvocation); await some before starting more.`,
      );
    }
    if (this.#calls >= limits.maxConcurrentPerWorker) {
      throw new FetchConcurrencyLimitError(
        `This worker already has ${this.#calls} fetches in flight (hostFetch.maxConcurrentPerWorker); await some before starting more.`,
      );
    }
    if (usage.bytes + requestBytes > limits.maxBufferedBytes)
      throw this.#overBudget();
    usage.calls++;
    usage.bytes += requestBytes;
    this.#calls++;
    this.#invocations.set(invocationId, usage);
    let charged = requestBytes;
    let released = false;
    return {
      charge: (bytes) => {
        if (released || usage.bytes + bytes > limits.maxBufferedBytes)
          return false;
        usage.bytes += bytes;
        charged += bytes;
        return true;
      },
      release: () => {
        if (released) return;
        released = true;
        usage.bytes -= charged;
        usage.calls--;
        this.#calls--;
        if (usage.calls === 0) this.#invocations.delete(invocationId);
      },
    };
  }

  /** The error for a fetch that would take the invocation over its byte budget. */
  #overBudget(): FetchBufferLimitError {
    return new FetchBufferLimitError(
      `This invocation's fetches together hold more than ${this.#limits.maxBufferedBytes} bytes in the host (hostFetch.maxBufferedBytes); fetch less at a time.`,
    );
  }
}
