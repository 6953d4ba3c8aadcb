import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapabilityOverrides } from 'bunbase-functions';
import { RUNTIMES, attack, expectDenied, expectWorked, useBystander, labelled } from './harness.js';

/**
 * `fetch` to denied hosts. Every request goes to the host, which decides on
 * the parsed URL and the resolved address before connecting. The targets are
 * real listeners on 127.0.0.1 and ::1 only, in whatever spelling (nothing
 * here ever targets another address; 169.254.169.254 is refused before any
 * connection, and 0.0.0.0 / [::] are left out on purpose). The
 * listeners count requests: a refused attack must not reach them. Each
 * control lists the loopback address literally, which the rules allow, and
 * must reach the listener through the very same URL spelling.
 */
let v4: Server;
let v6: Server;
let port = 0;
let port6 = 0;
const hits: string[] = [];

function listener(name: string): Server {
  return createServer((req, res) => {
    hits.push(`${name} ${req.url ?? ''}`);
    if (req.url === '/to-v6') {
      res.writeHead(302, { location: `http://[::1]:${port6}/data` });
      res.end();
    } else if (req.url === '/to-metadata') {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end();
    } else if (req.url === '/to-file') {
      res.writeHead(302, { location: 'file:///etc/passwd' });
      res.end();
    } else if (req.url === '/to-localhost') {
      res.writeHead(302, { location: `http://localhost:${port}/data` });
      res.end();
    } else if (req.url === '/to-self') {
      res.writeHead(302, { location: '/data' });
      res.end();
    } else {
      res.end(`${name} data`);
    }
  });
}

beforeAll(async () => {
  v4 = listener('v4');
  v6 = listener('v6');
  await new Promise<void>((r) => v4.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => v6.listen(0, '::1', r));
  port = (v4.address() as AddressInfo).port;
  port6 = (v6.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => v4.close(r));
  await new Promise((r) => v6.close(r));
});

const FETCH = `const res = await fetch(input.url); return (res.redirected ? 'redirected ' : '') + (await res.text());`;
const ANY_PUBLIC: CapabilityOverrides = { allowNetwork: true, allowedDomains: [] };
const NAMED: CapabilityOverrides = { allowNetwork: true, allowedDomains: ['api.example.com', '*.example.org'] };
const LOOPBACK4: CapabilityOverrides = { allowNetwork: true, allowedDomains: ['127.0.0.1'] };
const LOOPBACK46: CapabilityOverrides = { allowNetwork: true, allowedDomains: ['127.0.0.1', '::1'] };

interface NetRow {
  name: string;
  url: () => string;
  caps: CapabilityOverrides;
  /** null: no control connects (the target is not loopback); the handler's fetch is shown to work elsewhere. */
  control: { caps: CapabilityOverrides; url?: () => string; expect: string } | null;
}

const ROWS: NetRow[] = [
  { name: 'no allowNetwork at all', url: () => `http://127.0.0.1:${port}/data`, caps: {}, control: { caps: LOOPBACK4, expect: 'v4 data' } },
  { name: 'a host not in allowedDomains, by name (localhost)', url: () => `http://localhost:${port}/data`, caps: NAMED, control: { caps: { allowNetwork: true, allowedDomains: ['localhost'] }, expect: 'v4 data' } },
  { name: 'loopback by name when any public host is allowed (decided on the resolved address)', url: () => `http://localhost:${port}/data`, caps: ANY_PUBLIC, control: { caps: { allowNetwork: true, allowedDomains: ['localhost'] }, expect: 'v4 data' } },
  { name: 'IPv4 literal 127.0.0.1', url: () => `http://127.0.0.1:${port}/data`, caps: ANY_PUBLIC, control: { caps: LOOPBACK4, expect: 'v4 data' } },
  { name: 'IPv6 literal [::1]', url: () => `http://[::1]:${port6}/data`, caps: ANY_PUBLIC, control: { caps: { allowNetwork: true, allowedDomains: ['::1'] }, expect: 'v6 data' } },
  { name: 'IPv4-mapped IPv6 [::ffff:127.0.0.1]', url: () => `http://[::ffff:127.0.0.1]:${port}/data`, caps: ANY_PUBLIC, control: { caps: LOOPBACK4, url: () => `http://127.0.0.1:${port}/data`, expect: 'v4 data' } },
  { name: 'cloud metadata 169.254.169.254 (refused before any connection)', url: () => 'http://169.254.169.254/latest/meta-data/', caps: ANY_PUBLIC, control: null },
  { name: 'hex spelling 0x7f.1', url: () => `http://0x7f.1:${port}/data`, caps: ANY_PUBLIC, control: { caps: LOOPBACK4, expect: 'v4 data' } },
  { name: 'decimal spelling 2130706433', url: () => `http://2130706433:${port}/data`, caps: ANY_PUBLIC, control: { caps: LOOPBACK4, expect: 'v4 data' } },
  { name: 'short spelling 127.1', url: () => `http://127.1:${port}/data`, caps: ANY_PUBLIC, control: { caps: LOOPBACK4, expect: 'v4 data' } },
  { name: 'octal spelling 0177.0.0.1', url: () => `http://0177.0.0.1:${port}/data`, caps: ANY_PUBLIC, control: { caps: LOOPBACK4, expect: 'v4 data' } },
  { name: 'odd spellings when only names are listed (0x7f.1)', url: () => `http://0x7f.1:${port}/data`, caps: NAMED, control: { caps: LOOPBACK4, expect: 'v4 data' } },
  { name: 'userinfo trick http://api.example.com@127.0.0.1/', url: () => `http://api.example.com@127.0.0.1:${port}/data`, caps: NAMED, control: { caps: LOOPBACK4, expect: 'v4 data' } },
  { name: 'userinfo trick with a listed wildcard http://x.example.org:80@127.0.0.1/', url: () => `http://x.example.org:80@127.0.0.1:${port}/data`, caps: NAMED, control: { caps: LOOPBACK4, expect: 'v4 data' } },
  { name: 'a redirect from an allowed host to a denied one ([::1])', url: () => `http://127.0.0.1:${port}/to-v6`, caps: LOOPBACK4, control: { caps: LOOPBACK46, expect: 'redirected v6 data' } },
  { name: 'IPv4-mapped IPv6 in hex [::ffff:7f00:1]', url: () => `http://[::ffff:7f00:1]:${port}/data`, caps: ANY_PUBLIC, control: { caps: LOOPBACK4, url: () => `http://127.0.0.1:${port}/data`, expect: 'v4 data' } },
  { name: 'IPv6 loopback written out [0:0:0:0:0:0:0:1]', url: () => `http://[0:0:0:0:0:0:0:1]:${port6}/data`, caps: ANY_PUBLIC, control: { caps: { allowNetwork: true, allowedDomains: ['::1'] }, expect: 'v6 data' } },
  { name: 'a redirect from an allowed host to a name not listed (localhost)', url: () => `http://127.0.0.1:${port}/to-localhost`, caps: LOOPBACK4, control: { caps: { allowNetwork: true, allowedDomains: ['127.0.0.1', 'localhost'] }, expect: 'redirected v4 data' } },
  { name: 'a redirect from an allowed host to file:///etc/passwd', url: () => `http://127.0.0.1:${port}/to-file`, caps: LOOPBACK4, control: { caps: LOOPBACK4, url: () => `http://127.0.0.1:${port}/to-self`, expect: 'redirected v4 data' } },
  { name: 'a redirect from an allowed host to cloud metadata', url: () => `http://127.0.0.1:${port}/to-metadata`, caps: LOOPBACK4, control: { caps: LOOPBACK4, url: () => `http://127.0.0.1:${port}/to-self`, expect: 'redirected v4 data' } },
];

describe.each(RUNTIMES)('%s: fetch to denied hosts (the host decides, before connecting)', (runtime) => {
  useBystander(runtime);

  it.each(labelled(ROWS, (r) => `${r.name} is refused with CAPABILITY_DENIED (host layer)`))('%s', async (_label, row) => {
    const before = hits.length;
    const url = row.url();
    const run = await attack(runtime, FETCH, { caps: row.caps, input: { url } });
    expectDenied(run, 'network');
    // For the redirect rows the first, allowed hop reaches the listener; the denied hop must not.
    const redirect = /\/to-/.test(url);
    expect(hits.slice(before), 'requests that reached a listener').toEqual(redirect ? [`v4 ${new URL(url).pathname}`] : []);
    if (row.control === null) {
      // The handler's fetch itself works: the same code reaches an allowed listener.
      const control = await attack(runtime, FETCH, { caps: LOOPBACK4, input: { url: `http://127.0.0.1:${port}/data` } });
      expect(expectWorked(control)).toBe('v4 data');
      return;
    }
    const control = await attack(runtime, FETCH, { caps: row.control.caps, input: { url: row.control.url?.() ?? url } });
    expect(expectWorked(control)).toBe(row.control.expect);
  });
});
