// The load side of the WebSocket benchmark: CONNS clients (permessage-deflate offered) connect at
// once to URL and read until each has COUNT orders messages; prints messages/s over all clients,
// from the first connect to the last message, and the uncompressed bytes received.
// usage: node ws-load.js WS_MODULE URL CONNS COUNT [KEY]
const [wsModule, url, conns, count, key] = process.argv.slice(2);
const WebSocket = require(wsModule);
const n = Number(count);
let done = 0, messages = 0, rawBytes = 0;
const start = process.hrtime.bigint();
for (let c = 0; c < Number(conns); c++) {
  const ws = new WebSocket(url, { perMessageDeflate: true, headers: key ? { 'X-API-Key': key } : {} });
  let got = 0;
  ws.on('message', (data) => {
    const text = data.toString();
    if (!text.startsWith('{"channel":"orders"')) return;
    messages++; rawBytes += Buffer.byteLength(text); got++;
    if (got === n) {
      ws.close(1000);
      if (++done === Number(conns)) {
        const secs = Number(process.hrtime.bigint() - start) / 1e9;
        console.log(JSON.stringify({ conns: Number(conns), messages, seconds: secs, msgsPerSec: Math.round(messages / secs), rawBytes,
          extensions: ws.extensions }));
        process.exit(0);
      }
    }
  });
  ws.on('error', (e) => { console.log('ERROR ' + e.message); process.exit(1); });
}
