// A bot the way hubot-flowdock runs one, on node-flowdock (the npm package `flowdock`): it
// opens its user stream (`user=1`, with its flows) and answers every private message it
// receives through `POST /private/:id/messages` (node-flowdock's `privateMessage`). Each
// step is printed as one JSON line; the test drives it.
const flowdock = require('flowdock');

const session = new flowdock.Session(process.env.FLOWDOCK_TOKEN);
const me = process.env.FLOWDOCK_USER_ID;
const flows = (process.env.FLOWDOCK_FLOWS || '').split(',').filter((f) => f);
// hubot-flowdock: `@bot.stream(flowIds, active: 'idle', user: 1)`.
const stream = session.stream(flows, { active: 'idle', user: 1 });

stream.on('connected', () => console.log(JSON.stringify({ connected: true })));
stream.on('clientError', (code, text) => console.log(JSON.stringify({ clientError: code, text })));
stream.on('message', (message) => {
  // hubot-flowdock tells private messages by `to`, and skips its own.
  if (message.event !== 'message' || message.to === undefined || String(message.user) === me) {
    return;
  }
  console.log(JSON.stringify({ received: message }));
  session.privateMessage(message.user, `echo: ${message.content}`, [], (err, body, res) => {
    console.log(JSON.stringify({
      answered: err ? String(err) : body,
      status: res && res.statusCode,
    }));
  });
});
