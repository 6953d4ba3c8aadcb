// A stand-in for a worker process, for measuring the host alone (bench/host-cpu-per-call.mjs):
// answers `init` with `ready` and every `invoke` with a fixed response, all the lines of one read in one write.
import { createReadStream, writeSync } from 'node:fs';

const CHANNEL_FD = 3;
const ready = { protocol: Number(process.env.PROTOCOL), runtime: 'bun', version: 'stand-in', pid: process.pid, features: ['fetch'], sandbox: {} };
let rest = '';
createReadStream(null, { fd: CHANNEL_FD })
  .on('data', (chunk) => {
    const lines = (rest + chunk.toString('latin1')).split('\n');
    rest = lines.pop();
    let out = '';
    for (const line of lines) {
      const message = JSON.parse(line);
      if (message.type === 'init') out += JSON.stringify({ id: 0, type: 'ready', payload: ready }) + '\n';
      else if (message.type === 'invoke')
        out += `{"id":${message.id},"type":"response","payload":{"status":200,"statusText":"","headers":[["content-type","text/plain;charset=utf-8"]],"cpuMs":0.05,"peakMemoryBytes":40000000,"body":"b2s="}}\n`;
      else if (message.type === 'shutdown') process.exit(0);
    }
    if (out !== '') writeSync(CHANNEL_FD, out);
  })
  .on('end', () => process.exit(0));
