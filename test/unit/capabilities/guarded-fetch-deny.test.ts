import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapabilityDeniedError } from '../../../lib/errors.js';
import { guardedFetch, type NetworkDenial } from '../../../lib/capabilities/index.js';
import { startServer, type LocalServer } from './local-server.js';

let server: LocalServer;

beforeAll(async () => {
  server = await startServer((_req, res) => res.end('reached'));
});

afterAll(() => server.close());

async function denial(
  url: string,
  caps: { allowNetwork: boolean; allowedDomains: string[] },
): Promise<{ error: CapabilityDeniedError; denials: NetworkDenial[] }> {
  const denials: NetworkDenial[] = [];
  const before = server.seen.length;
  try {
    await guardedFetch({ url, method: 'GET', headers: [], body: null }, caps, {
      maxBodyBytes: 1024,
      onDenied: (d) => denials.push(d),
    });
  } catch (error) {
    expect(error).toBeInstanceOf(CapabilityDeniedError);
    expect(server.seen.length).toBe(before);
    return { error: error as CapabilityDeniedError, denials };
  }
  throw new Error(`expected ${url} to be denied`);
}

describe('guardedFetch denials', () => {
  it('denies loopback when the allow list is empty (public addresses only)', async () => {
    const { error, denials } = await denial(`${server.origin}/x`, { allowNetwork: true, allowedDomains: [] });
    expect(error.code).toBe('CAPABILITY_DENIED');
    expect(error.message).toContain(`${server.origin}/x`);
    expect(error.message).toContain('loopback address 127.0.0.1 not allowed');
    expect(error.message).toContain('allowedDomains');
    expect(denials).toEqual([{ capability: 'network', target: `${server.origin}/x`, rule: 'loopback address 127.0.0.1 not allowed' }]);
  });

  it('denies when allowNetwork is false', async () => {
    const { denials } = await denial(server.origin, { allowNetwork: false, allowedDomains: ['127.0.0.1'] });
    expect(denials[0]?.rule).toBe('network not allowed');
  });

  it('denies a host that is not listed', async () => {
    const { denials } = await denial(server.origin, { allowNetwork: true, allowedDomains: ['example.com'] });
    expect(denials[0]?.rule).toBe('host 127.0.0.1 not in allowedDomains');
  });

  it.each([
    (port: number) => `http://0x7f.1:${port}/`,
    (port: number) => `http://2130706433:${port}/`,
    (port: number) => `http://127.1:${port}/`,
    (port: number) => `http://0177.0.0.1:${port}/`,
    (port: number) => `http://[::ffff:127.0.0.1]:${port}/`,
  ])('denies odd spellings of loopback (%#)', async (build) => {
    const { denials } = await denial(build(server.port), { allowNetwork: true, allowedDomains: [] });
    expect(denials[0]?.rule).toMatch(/loopback address .* not allowed/);
  });

  it('denies the userinfo trick http://allowed.com@127.0.0.1/', async () => {
    const { denials } = await denial(`http://allowed.com@127.0.0.1:${server.port}/`, {
      allowNetwork: true,
      allowedDomains: ['allowed.com'],
    });
    expect(denials[0]).toEqual({
      capability: 'network',
      target: `http://127.0.0.1:${server.port}/`,
      rule: 'host 127.0.0.1 not in allowedDomains',
    });
  });

  it('denies other schemes', async () => {
    const { denials } = await denial('file:///etc/passwd', { allowNetwork: true, allowedDomains: [] });
    expect(denials[0]?.rule).toBe('scheme file: not allowed');
  });

  it('denies the unspecified address even when localhost is listed', async () => {
    const { denials } = await denial(`http://0.0.0.0:${server.port}/`, {
      allowNetwork: true,
      allowedDomains: ['localhost'],
    });
    expect(denials[0]?.rule).toBe('host 0.0.0.0 not in allowedDomains');
    const second = await denial(`http://0.0.0.0:${server.port}/`, { allowNetwork: true, allowedDomains: [] });
    expect(second.denials[0]?.rule).toBe('unspecified address 0.0.0.0 not allowed');
  });
});
