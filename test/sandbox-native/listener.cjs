// Test helper: listens on 127.0.0.1, ::1, an abstract and a pathname UNIX
// socket, then writes the TCP port and the socket names as `KEY=VALUE` lines
// to the file named by argv[2]. Runs until killed. Only ever loopback.
'use strict';
const net = require('node:net');
const fs = require('node:fs');
const out = process.argv[2];
const unixPath = process.argv[3];
const abstract = `bunbase-fence-test-${process.pid}`;
const handle = (s) => {
  s.on('error', () => {}); // probes hang up abruptly; that is fine
  // A minimal HTTP answer, so fetch() works as well as raw connects.
  s.end('HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n');
};
const v4 = net.createServer(handle);
v4.listen(0, '127.0.0.1', () => {
  const port = v4.address().port;
  const v6 = net.createServer(handle);
  v6.on('error', () => {});
  v6.listen(port, '::1', () => {
    const ab = net.createServer(handle);
    ab.listen('\0' + abstract, () => {
      const pn = net.createServer(handle);
      pn.listen(unixPath, () => {
        fs.writeFileSync(out + '.tmp', `PORT=${port}\nABSTRACT=@${abstract}\nUNIXPATH=${unixPath}\n`);
        fs.renameSync(out + '.tmp', out);
      });
    });
  });
});
