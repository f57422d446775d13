// The peer of the WebSocket benchmark (run-ws-bench.sh): Node's ws server with permessage-deflate
// at the same level as ours, sending every connection COUNT messages cycled from the same file of
// order-event lines, as fast as ws takes them. Wire bytes are counted on each socket.
// usage: node ws-peer.js WS_MODULE PORT EVENTS_FILE COUNT LEVEL
const [wsModule, port, file, count, level] = process.argv.slice(2);
const WebSocket = require(wsModule);
const fs = require('fs');
const events = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
const n = Number(count);
const wss = new WebSocket.Server({
  port: Number(port), host: '127.0.0.1',
  perMessageDeflate: { zlibDeflateOptions: { level: Number(level) }, threshold: 0 },
});
let bytesWire = 0;
let open = 0;
wss.on('connection', (ws) => {
  const socket = ws._socket;
  open++;
  ws.on('close', () => {
    bytesWire += socket.bytesWritten;
    // the run script reads the wire bytes after each round, when every client has gone
    if (--open === 0) console.log('bytesWire ' + bytesWire);
  });
  for (let i = 1; i <= n; i++) {
    ws.send('{"channel":"orders","seq":' + i + ',"event":' + events[(i - 1) % events.length] + '}');
  }
});
console.log('ws-peer listening port=' + port + ' count=' + n + ' level=' + level);
