// The node `ws` echo server the front-door benchmark measures actord
// against: one process, every message sent back as it came (text stays
// text, binary stays binary).  No compression, ws's defaults otherwise.
//
//   node bench/ws_echo_server.mjs [port]     port 0 (default): any free one
//
// Listens on 127.0.0.1 only and prints "port N" once it listens.
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({
	host: '127.0.0.1',
	port: Number(process.argv[2] ?? 0),
	perMessageDeflate: false,
	maxPayload: 16 * 1024 * 1024,
});
wss.on('listening', () => {
	process.stdout.write(`port ${wss.address().port}\n`);
});
wss.on('connection', (ws) => {
	ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
	ws.on('error', () => ws.terminate());
});
for (const sig of ['SIGTERM', 'SIGINT'])
	process.on(sig, () => process.exit(0));
