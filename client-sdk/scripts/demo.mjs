#!/usr/bin/env node
// `npm run demo`: a live conversation through a running chatgraph stack, with the SDK. Starts nothing itself: run
// `npm start` first. Signs up two users, opens a direct chat between them and has them talk; every line printed is
// an event that arrived live on the other user's stream.
//
//   npm run demo [-- --url http://127.0.0.1:4000/graphql]     (or CHATGRAPH_URL=...)
//
// Without a URL it talks to the gateway where `npm start` runs it: port GATEWAY_PORT (4000 when unset) on loopback,
// so `GATEWAY_PORT=4100 npm start` pairs with `GATEWAY_PORT=4100 npm run demo`.
import WebSocket from 'ws';

const DEFAULT_URL = `http://127.0.0.1:${process.env.GATEWAY_PORT || 4000}/graphql`;
const USAGE =
  `Usage: npm run demo [-- --url <gateway /graphql URL>]   (default ${DEFAULT_URL} from GATEWAY_PORT, or ` +
  'CHATGRAPH_URL)\n';
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const urlArg = argv.indexOf('--url');
const url = (urlArg >= 0 ? argv[urlArg + 1] : process.env.CHATGRAPH_URL) || DEFAULT_URL;
const STEP_TIMEOUT_MS = 15_000;

const say = (line = '') => process.stdout.write(`${line}\n`);
const fail = (message) => {
  process.stderr.write(`\n${message}\n`);
  process.exit(1);
};

let sdk;
try {
  sdk = await import('../dist/index.js');
} catch {
  fail('The SDK is not built: run `npm run build` (or `npx tsc --build client-sdk`) first.');
}
const { createChatClient, ChatGraphError } = sdk;

/** Resolves when `check()` holds; fails the demo after STEP_TIMEOUT_MS. */
async function waitFor(what, check) {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (!check()) {
    if (Date.now() > deadline) fail(`The demo timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A signed-in SDK client for a new user. */
async function newUser(name, stamp) {
  let token = null;
  const client = createChatClient({
    url,
    getToken: () => token,
    webSocketImpl: WebSocket,
    // A demo should say quickly that nothing answers, not wait through a long retry.
    fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(10_000) }),
    retry: { attempts: 2 },
  });
  const auth = await client.signUp({
    username: `${name.toLowerCase()}_${stamp}`,
    password: 'demo-password-123',
    displayName: name,
  });
  token = auth.token;
  return { name, client, user: auth.user, events: [] };
}

async function main() {
  say(`chatgraph demo: talking to ${url}`);
  const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  let alice;
  try {
    alice = await newUser('Alice', stamp);
  } catch (err) {
    if (err instanceof ChatGraphError && (err.code === 'NETWORK_ERROR' || err.code === 'BAD_RESPONSE'))
      fail(
        `No chatgraph gateway answers at ${url}:\n  ${err.message}\n` +
          'Start the stack first with `npm start` (it prints the gateway URL), or point the demo at one with --url.',
      );
    throw err;
  }
  const bob = await newUser('Bob', stamp);
  say(`Signed up ${alice.user.username} and ${bob.user.username}.`);

  const chat = await alice.client.createDirectChat({ userId: bob.user.id });
  say(`Alice opened direct chat ${chat.id} with Bob.`);

  // Both users follow the chat live; each stream starts at the chat's current lastSeq.
  const streams = [alice, bob].map((person) => {
    const stream = person.client.chat(chat.id).events();
    (async () => {
      for await (const event of stream) person.events.push(event);
    })().catch((err) => fail(`${person.name}'s live stream ended: ${err.code ?? ''} ${err.message}`));
    return stream;
  });
  await waitFor('the live streams', () => streams.every((s) => s.status === 'live'));
  say('Both are connected and live.\n');

  // Each one sees the other typing (typing indicators are ephemeral: they are not stored nor replayed).
  const typingStreams = [alice, bob].map((person) =>
    person.client.chat(chat.id).typing({
      next: (e) => {
        if (e.typing && e.user.id !== person.user.id) say(`           ${e.user.displayName} is typing...`);
      },
    }),
  );
  await waitFor('the typing streams', () => typingStreams.every((s) => s.status === 'live'));
  // The gateway attaches to the typing topic just after the socket is up.
  await new Promise((r) => setTimeout(r, 300));

  const script = [
    [alice, bob, 'Hi Bob! This is chatgraph, through the typed SDK.'],
    [bob, alice, 'Hi Alice! Your message just arrived on my live stream.'],
    [alice, bob, 'Every event carries a seq: 1, 2, 3... in order, exactly once.'],
    [bob, alice, 'And if my connection drops?'],
    [alice, bob, 'The SDK resubscribes with afterSeq = the last seq it saw. Nothing is lost or repeated.'],
    [bob, alice, 'Neat. Talk soon!'],
  ];
  for (const [from, to, text] of script) {
    await from.client.chat(chat.id).setTyping(true);
    await new Promise((r) => setTimeout(r, 600));
    const sent = await from.client.chat(chat.id).send(text);
    await waitFor(`message ${sent.seq} on ${to.name}'s stream`, () => to.events.some((e) => e.seq === sent.seq));
    const event = to.events.find((e) => e.seq === sent.seq);
    say(`  #${String(event.seq).padEnd(3)} ${event.message.author.displayName.padEnd(6)} ${event.message.text}`);
    await from.client.chat(chat.id).setTyping(false);
    await new Promise((r) => setTimeout(r, 500)); // reading
  }

  const page = await bob.client.chat(chat.id).messages({ last: 20 });
  const marked = await bob.client.chat(chat.id).markRead(page.nodes[page.nodes.length - 1].seq);
  await alice.client.heartbeat({ status: 'ONLINE' });
  const seen = await bob.client.user({ id: alice.user.id });
  const seqs = bob.events.map((e) => e.seq);
  say('');
  say(
    `Bob received events ${seqs.join(', ')} live; the history holds ${page.nodes.length} messages; Bob has read up to #${marked.viewerLastReadSeq}.`,
  );
  say(`Alice is ${seen?.presence?.status ?? 'unknown'}.`);

  for (const s of typingStreams) s.close();
  for (const s of streams) s.close();
  await Promise.all([alice.client.close(), bob.client.close()]);
  say('Done.');
}

main().then(
  () => process.exit(0),
  (err) => fail(`The demo failed: ${err instanceof ChatGraphError ? `${err.code}: ` : ''}${err?.message ?? err}`),
);
