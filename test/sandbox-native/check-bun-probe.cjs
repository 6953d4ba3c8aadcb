// Compare bun-probe.js output inside the fence (argv[2]) with the unfenced
// control run (argv[3]) and the launcher's report (argv[4]). Prints one line
// per check and a final "PASS=n FAIL=m" line for test-sandbox.sh.
'use strict';
const parse = (s) => { try { return JSON.parse(s); } catch { return null; } };
const fenced = parse(process.argv[2]);
const control = parse(process.argv[3]);
const report = parse(process.argv[4]);
let pass = 0, fail = 0;
const check = (name, ok, detail) => {
  if (ok) pass++; else fail++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} bun: ${name.padEnd(40)} ${ok ? '' : JSON.stringify(detail)}`);
};
const isOk = (v) => v === 'ok';
const denied = (v) => typeof v === 'string' && v.startsWith('denied');

check('report: landlock on', report && report.landlock === 'on', report);
check('report: seccomp on', report && report.seccomp === 'on', report);
check('report: netns on', report && report.netns === 'on', report);
check('probe printed JSON inside the fence', fenced !== null, process.argv[2]);
check('control printed JSON', control !== null, process.argv[3]);
if (fenced && control) {
  check('1+1 inside', fenced.sum === '2', fenced.sum);
  for (const k of ['readSelf', 'writeWorkdir', 'worker']) {
    check(`${k} works inside`, isOk(fenced[k]), fenced[k]);
    check(`${k} works outside`, isOk(control[k]), control[k]);
  }
  // Attacks: each must work without the fence (so the check can fail) and be denied inside.
  for (const k of ['bunFilePasswd', 'fsPasswd', 'procEnviron', 'writeTmp', 'bunSpawn', 'childProcess',
                   'fetchLoopback', 'bunConnect', 'bunListen', 'killParent', 'ffiSocketInet', 'ffiKillInit']) {
    check(`${k} control succeeds`, !denied(control[k]), control[k]);
    check(`${k} denied inside`, denied(fenced[k]), fenced[k]);
  }
  check('report passed in BUNBASE_SANDBOX (--report-env)', isOk(fenced.reportEnv), fenced.reportEnv);
  check('bun:ffi loads libc inside (the fence must hold anyway)', fenced.ffiLoad === undefined, fenced.ffiLoad);
  check('environment is only what the launcher passed', fenced.envKeys === 'HOME', fenced.envKeys);
}
console.log(`PASS=${pass} FAIL=${fail}`);
process.exit(fail ? 1 : 0);
