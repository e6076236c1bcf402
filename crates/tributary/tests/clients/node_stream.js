// Streams one flow with node-flowdock (the npm package `flowdock`), the way hubot-flowdock
// does, and prints each message it receives as one JSON line. The test drives it.
const flowdock = require('flowdock');

// node-flowdock authenticates a token as `token:undefined`, exactly like this.
const session = new flowdock.Session(process.env.FLOWDOCK_TOKEN);
const stream = session.stream(process.env.FLOWDOCK_FLOW);

stream.on('connected', () => console.log(JSON.stringify({ connected: true })));
stream.on('message', (message) => console.log(JSON.stringify(message)));
stream.on('clientError', (code, text) => console.log(JSON.stringify({ clientError: code, text })));
