/**
 * The rows of the authorization matrix (test/security/authorizationMatrix.test.ts): for each operation of the API, how
 * to attempt it as a role and what each role gets. `ok` means allowed; anything else is the `extensions.code` of the
 * refusal (or `close <code>` for a WebSocket the gateway closed). Long because it is one row per operation of the API.
 */
import type { Client } from 'graphql-ws';
import type { GraphQLResponse, LiveSubscription, TestUser } from '@chatgraph/testing';

export type Role = 'anonymous' | 'stranger' | 'member' | 'admin' | 'owner';
export const ROLES: readonly Role[] = ['anonymous', 'stranger', 'member', 'admin', 'owner'];
/** `ok`, or the code of the refusal. */
export type Outcome = string;

/** A group chat of the owner with the member in it, and a message of the owner. */
export interface Fixture {
  chatId: string;
  messageId: string;
  lastSeq: number;
}

/** What the cases work with: the users of each role, chats, and the gateway. */
export interface World {
  url: string;
  wsUrl: string;
  users: Record<Exclude<Role, 'anonymous'>, TestUser>;
  /** A user no role shares a chat with. */
  outsider: TestUser;
  /** The chat read-only cases use. */
  shared: Fixture;
  /** A fresh chat, for cases that change or end a membership. */
  fixture(): Promise<Fixture>;
  tokenOf(role: Role): string | null;
  /** Subscriptions the gateway holds as live (its admin /stats). */
  liveCount(): Promise<number>;
  request(role: Role, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse>;
  liveClient(url: string, token: string, onClose?: (code: number, reason: string) => void): Client;
  subscribe<T>(client: Client, query: string, variables?: Record<string, unknown>): LiveSubscription<T>;
  waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  /**
   * The credential a brand-new user acts with, given its access token (cases that end the caller's own sessions run
   * as a fresh user). @default the access token itself; the API-token column makes an API token of that user.
   */
  credentialFor?(accessToken: string): Promise<string>;
}

/** Runs one operation as `role`; resolves with its outcome. */
export type Attempt = (world: World, role: Role) => Promise<Outcome>;

function outcomeOf(res: GraphQLResponse): Outcome {
  const code = res.errors?.[0]?.extensions?.code;
  if (typeof code === 'string') return code;
  return res.status === 200 ? 'ok' : `HTTP ${res.status}`;
}

/** A query or mutation; `vars` builds its variables (on a fresh chat when `fresh`). */
function op(
  query: string,
  vars: (
    world: World,
    f: Fixture,
    role: Role,
  ) => Record<string, unknown> | Promise<Record<string, unknown>> = () => ({}),
  fresh = false,
): Attempt {
  return async (world, role) => {
    const f = fresh ? await world.fixture() : world.shared;
    return outcomeOf(await world.request(role, query, await vars(world, f, role)));
  };
}

/** A subscription: `ok` once it delivers or the gateway holds it as live, else the code of its refusal. */
function live(query: string, vars: (world: World, f: Fixture) => Record<string, unknown>): Attempt {
  return async (world, role) => {
    let closed: number | undefined;
    // Attempts run one after another: the previous one's subscription is gone first, so any live one is this one.
    await world.waitUntil('no subscription is left', async () => (await world.liveCount()) === 0);
    const client = world.liveClient(world.wsUrl, world.tokenOf(role) ?? '', (code) => (closed = code));
    try {
      const sub = world.subscribe(client, query, vars(world, world.shared));
      let outcome: Outcome | undefined;
      await world.waitUntil('the subscription is live or refused', async () => {
        const list = sub.errors[0] as Array<{ extensions?: { code?: string } }> | undefined;
        if (Array.isArray(list)) outcome = list[0]?.extensions?.code ?? 'error';
        else if (closed !== undefined) outcome = closed === 4401 ? 'UNAUTHENTICATED' : `close ${closed}`;
        else if (sub.results.length || (await world.liveCount()) > 0) outcome = 'ok';
        return outcome !== undefined;
      });
      return outcome!;
    } finally {
      await client.dispose();
    }
  };
}

const every = (outcome: Outcome): Record<Role, Outcome> => ({
  anonymous: outcome,
  stranger: outcome,
  member: outcome,
  admin: outcome,
  owner: outcome,
});
/** Anyone signed in. */
const SIGNED_IN = { ...every('ok'), anonymous: 'UNAUTHENTICATED' };
/** Members of the chat (a stranger is refused). */
const MEMBERS = { ...SIGNED_IN, stranger: 'FORBIDDEN' };
/** Owner and admins of the chat. */
const MANAGERS = { ...MEMBERS, member: 'FORBIDDEN' };

let unique = 0;
const next = () => `${Date.now().toString(36)}${unique++}`;

/** Every operation of the API: how to attempt it, and who may. */
export const MATRIX: Record<string, { attempt: Attempt; expect: Record<Role, Outcome> }> = {
  'Query.me': { attempt: op('{ me { id } }'), expect: SIGNED_IN },
  'Query.user': {
    attempt: op('query($id: ID!) { user(id: $id) { id username } }', (w) => ({ id: w.users.owner.id })),
    expect: every('ok'),
  },
  'Query.userByUsername': {
    attempt: op('query($u: String!) { userByUsername(username: $u) { id } }', (w) => ({ u: w.users.owner.username })),
    expect: every('ok'),
  },
  'Query.chat': {
    attempt: op('query($c: ID!) { chat(id: $c) { id title } }', (_, f) => ({ c: f.chatId })),
    expect: MEMBERS,
  },
  'Query.myChats': { attempt: op('{ myChats(first: 5) { nodes { id } } }'), expect: SIGNED_IN },
  'Query.chatEventsSince': {
    attempt: op('query($c: ID!) { chatEventsSince(chatId: $c, afterSeq: 0) { seq } }', (_, f) => ({ c: f.chatId })),
    expect: MEMBERS,
  },
  'Mutation.signUp': {
    attempt: op(
      'mutation($u: String!) { signUp(username: $u, password: "correct horse", displayName: "N") { token } }',
      () => ({
        u: `n_${next()}`,
      }),
    ),
    expect: every('ok'),
  },
  'Mutation.logIn': {
    attempt: op('mutation($u: String!) { logIn(username: $u, password: "wrong password") { token } }', (w) => ({
      u: w.users.owner.username,
    })),
    expect: every('INVALID_CREDENTIALS'),
  },
  'Mutation.updateProfile': {
    attempt: op('mutation { updateProfile(displayName: "Renamed") { id } }'),
    expect: SIGNED_IN,
  },
  'Mutation.refreshSession': {
    attempt: op('mutation { refreshSession(refreshToken: "crt_1.forged") { token } }'),
    expect: every('UNAUTHENTICATED'),
  },
  'Mutation.createDirectChat': {
    attempt: op('mutation($u: ID!) { createDirectChat(userId: $u) { id } }', (w) => ({ u: w.outsider.id })),
    expect: SIGNED_IN,
  },
  'Mutation.createGroupChat': {
    attempt: op('mutation($u: ID!) { createGroupChat(title: "g", memberIds: [$u]) { id } }', (w) => ({
      u: w.outsider.id,
    })),
    expect: SIGNED_IN,
  },
  'Mutation.addMembers': {
    attempt: op(
      'mutation($c: ID!, $u: ID!) { addMembers(chatId: $c, userIds: [$u]) { id } }',
      (w, f) => ({ c: f.chatId, u: w.outsider.id }),
      true,
    ),
    expect: MANAGERS,
  },
  'Mutation.removeMember': {
    attempt: op(
      'mutation($c: ID!, $u: ID!) { removeMember(chatId: $c, userId: $u) { id } }',
      (w, f, role) => ({ c: f.chatId, u: role === 'member' ? w.users.owner.id : w.users.member.id }),
      true,
    ),
    expect: MANAGERS,
  },
  'Mutation.leaveChat': {
    attempt: op('mutation($c: ID!) { leaveChat(chatId: $c) }', (_, f) => ({ c: f.chatId }), true),
    expect: MEMBERS,
  },
  'Mutation.renameChat': {
    attempt: op(
      'mutation($c: ID!) { renameChat(chatId: $c, title: "renamed") { id } }',
      (_, f) => ({ c: f.chatId }),
      true,
    ),
    expect: MANAGERS,
  },
  'Mutation.sendMessage': {
    attempt: op(
      'mutation($c: ID!, $m: String!) { sendMessage(chatId: $c, text: "hi", clientMessageId: $m) { id } }',
      (_, f) => ({
        c: f.chatId,
        m: `c${next()}`,
      }),
    ),
    expect: MEMBERS,
  },
  'Mutation.editMessage': {
    // The owner's message: only its author may edit it.
    attempt: op(
      'mutation($m: ID!) { editMessage(messageId: $m, text: "edited") { id } }',
      (_, f) => ({ m: f.messageId }),
      true,
    ),
    expect: { ...MEMBERS, member: 'FORBIDDEN', admin: 'FORBIDDEN' },
  },
  'Mutation.deleteMessage': {
    // The owner's message: its author (and a manager) may delete it.
    attempt: op('mutation($m: ID!) { deleteMessage(messageId: $m) { id } }', (_, f) => ({ m: f.messageId }), true),
    expect: MANAGERS,
  },
  'Mutation.markRead': {
    attempt: op('mutation($c: ID!, $s: Int!) { markRead(chatId: $c, seq: $s) { id } }', (_, f) => ({
      c: f.chatId,
      s: f.lastSeq,
    })),
    expect: MEMBERS,
  },
  'Mutation.setTyping': {
    attempt: op('mutation($c: ID!) { setTyping(chatId: $c, typing: true) }', (_, f) => ({ c: f.chatId }), true),
    expect: MEMBERS,
  },
  'Query.message': {
    attempt: op('query($m: ID!) { message(id: $m) { id text } }', (_, f) => ({ m: f.messageId })),
    expect: MEMBERS,
  },
  'Query.searchMessages': {
    attempt: op('query($c: ID!) { searchMessages(query: "hi", chatId: $c) { nodes { id } } }', (_, f) => ({
      c: f.chatId,
    })),
    expect: MEMBERS,
  },
  'Mutation.addReaction': {
    attempt: op('mutation($m: ID!) { addReaction(messageId: $m, emoji: "👍") { id } }', (_, f) => ({ m: f.messageId })),
    expect: MEMBERS,
  },
  'Mutation.removeReaction': {
    attempt: op('mutation($m: ID!) { removeReaction(messageId: $m, emoji: "👍") { id } }', (_, f) => ({
      m: f.messageId,
    })),
    expect: MEMBERS,
  },
  'Mutation.pinMessage': {
    // A group: the owner and admins pin (in a direct chat either member may).
    attempt: op('mutation($m: ID!) { pinMessage(messageId: $m) { id } }', (_, f) => ({ m: f.messageId }), true),
    expect: MANAGERS,
  },
  'Mutation.unpinMessage': {
    attempt: op('mutation($m: ID!) { unpinMessage(messageId: $m) { id } }', (_, f) => ({ m: f.messageId }), true),
    expect: MANAGERS,
  },
  'Mutation.banMember': {
    // The outsider (not a member): banning needs the owner or an admin.
    attempt: op(
      'mutation($c: ID!, $u: ID!) { banMember(chatId: $c, userId: $u) { id } }',
      (w, f) => ({ c: f.chatId, u: w.outsider.id }),
      true,
    ),
    expect: MANAGERS,
  },
  'Mutation.unbanMember': {
    attempt: op(
      'mutation($c: ID!, $u: ID!) { unbanMember(chatId: $c, userId: $u) { id } }',
      (w, f) => ({ c: f.chatId, u: w.outsider.id }),
      true,
    ),
    expect: MANAGERS,
  },
  'Mutation.muteChat': {
    attempt: op('mutation($c: ID!) { muteChat(chatId: $c) { viewerMutedUntil } }', (_, f) => ({ c: f.chatId }), true),
    expect: MEMBERS,
  },
  'Mutation.unmuteChat': {
    attempt: op('mutation($c: ID!) { unmuteChat(chatId: $c) { id } }', (_, f) => ({ c: f.chatId }), true),
    expect: MEMBERS,
  },
  // Blocks are the viewer's own list.
  'Query.myBlockedUsers': { attempt: op('{ myBlockedUsers { id } }'), expect: SIGNED_IN },
  'Mutation.blockUser': {
    attempt: op('mutation($u: ID!) { blockUser(userId: $u) }', (w) => ({ u: w.outsider.id })),
    expect: SIGNED_IN,
  },
  'Mutation.unblockUser': {
    attempt: op('mutation($u: ID!) { unblockUser(userId: $u) }', (w) => ({ u: w.outsider.id })),
    expect: SIGNED_IN,
  },
  'Mutation.heartbeat': { attempt: op('mutation { heartbeat { status } }'), expect: SIGNED_IN },
  'Mutation.goOffline': { attempt: op('mutation { goOffline { status } }'), expect: SIGNED_IN },
  'Mutation.logOutEverywhere': {
    // As a fresh user of the role's kind: signing the role's own user out would end the rest of the matrix.
    attempt: async (w, role) =>
      role === 'anonymous'
        ? outcomeOf(await w.request(role, 'mutation { logOutEverywhere }'))
        : await freshUserOutcome(w, 'mutation { logOutEverywhere }'),
    expect: SIGNED_IN,
  },
  'Mutation.logOut': {
    attempt: async (w, role) =>
      role === 'anonymous'
        ? outcomeOf(await w.request(role, 'mutation { logOut }'))
        : freshUserOutcome(w, 'mutation { logOut }'),
    expect: SIGNED_IN,
  },
  'Mutation.deleteAccount': {
    attempt: async (w, role) =>
      role === 'anonymous'
        ? outcomeOf(await w.request(role, 'mutation { deleteAccount(password: "correct horse battery") }'))
        : freshUserOutcome(w, 'mutation { deleteAccount(password: "correct horse battery") }'),
    expect: SIGNED_IN,
  },
  // Notifications are the viewer's own: anyone signed in reads and marks their own inbox, nobody another's.
  'Query.notifications': { attempt: op('{ notifications(first: 5) { nodes { id } } }'), expect: SIGNED_IN },
  'Query.unreadNotificationCount': { attempt: op('{ unreadNotificationCount }'), expect: SIGNED_IN },
  'Query.notificationsSince': { attempt: op('{ notificationsSince(afterSeq: 0) { id } }'), expect: SIGNED_IN },
  'Mutation.markNotificationsRead': { attempt: op('mutation { markNotificationsRead(all: true) }'), expect: SIGNED_IN },
  // Preferences and do-not-disturb are the viewer's own too.
  'Query.notificationPreferences': { attempt: op('{ notificationPreferences { kind email } }'), expect: SIGNED_IN },
  'Query.doNotDisturbUntil': { attempt: op('{ doNotDisturbUntil }'), expect: SIGNED_IN },
  'Mutation.updateNotificationPreferences': {
    attempt: op('mutation { updateNotificationPreferences(kind: REACTION, push: true, email: false) { kind } }'),
    expect: SIGNED_IN,
  },
  'Mutation.setDoNotDisturb': { attempt: op('mutation { setDoNotDisturb(until: null) }'), expect: SIGNED_IN },
  'Mutation.registerPushSubscription': {
    attempt: op(
      'mutation($e: String!) { registerPushSubscription(endpoint: $e, p256dh: "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM", auth: "tBHItJI5svbpez7KI4CCXg") }',
      // A loopback endpoint: tests allow it, and nothing is resolved or sent.
      () => ({ e: `https://127.0.0.1:9/push/${next()}` }),
    ),
    expect: SIGNED_IN,
  },
  'Mutation.unregisterPushSubscription': {
    attempt: op('mutation { unregisterPushSubscription(endpoint: "https://push.example.com/none") }'),
    expect: SIGNED_IN,
  },
  // Bots, API tokens and webhooks are the viewer's own: anyone signed in manages theirs, nobody another's.
  'Query.myBots': { attempt: op('{ myBots { id } }'), expect: SIGNED_IN },
  'Query.myApiTokens': { attempt: op('{ myApiTokens { id } }'), expect: SIGNED_IN },
  'Query.myWebhooks': { attempt: op('{ myWebhooks { id } }'), expect: SIGNED_IN },
  // null for anything but the caller's own webhook (there is none with this id).
  'Query.webhook': { attempt: op('{ webhook(id: "1") { id } }'), expect: SIGNED_IN },
  'Mutation.createBot': {
    attempt: op('mutation($u: String!) { createBot(username: $u, displayName: "Bot") { id } }', () => ({
      u: `b_${next()}`,
    })),
    expect: SIGNED_IN,
  },
  'Mutation.createApiToken': {
    attempt: op('mutation { createApiToken(name: "matrix", scopes: [CHATS_READ]) { token } }'),
    expect: SIGNED_IN,
  },
  'Mutation.revokeApiToken': {
    // Each caller revokes a token of its own (made first); someone else's is NOT_FOUND (test/integrations).
    attempt: async (w, role) => {
      const created = await w.request(
        role,
        'mutation { createApiToken(name: "revoke", scopes: [CHATS_READ]) { apiToken { id } } }',
      );
      if (outcomeOf(created) !== 'ok') return outcomeOf(created);
      const id = (created.data as { createApiToken: { apiToken: { id: string } } }).createApiToken.apiToken.id;
      return outcomeOf(await w.request(role, 'mutation($id: ID!) { revokeApiToken(id: $id) }', { id }));
    },
    expect: SIGNED_IN,
  },
  'Mutation.createWebhook': {
    // Only for chats the caller is a member of. A loopback URL: tests allow it, and no notifier runs here.
    attempt: op(
      'mutation($c: ID!) { createWebhook(url: "http://127.0.0.1:9/hook", events: [MESSAGE_CREATED], chatIds: [$c]) { secret } }',
      (_, f) => ({ c: f.chatId }),
    ),
    expect: MEMBERS,
  },
  'Mutation.deleteWebhook': {
    attempt: op('mutation { deleteWebhook(id: "1") }'),
    expect: SIGNED_IN,
  },
  'Mutation.redeliverWebhookDelivery': {
    // No delivery of the caller's has this id (the owner-only rule is in test/integrations/webhooks.test.ts).
    attempt: op('mutation { redeliverWebhookDelivery(id: "1") { id } }'),
    expect: { ...every('NOT_FOUND'), anonymous: 'UNAUTHENTICATED' },
  },
  'Subscription.notificationAdded': {
    attempt: live('subscription { notificationAdded { id } }', () => ({})),
    expect: SIGNED_IN,
  },
  'Subscription.chatEvents': {
    attempt: live('subscription($c: ID!, $a: Int) { chatEvents(chatId: $c, afterSeq: $a) { seq } }', (_, f) => ({
      c: f.chatId,
      a: f.lastSeq - 1,
    })),
    expect: MEMBERS,
  },
  'Subscription.typing': {
    attempt: live('subscription($c: ID!) { typing(chatId: $c) { typing } }', (_, f) => ({ c: f.chatId })),
    expect: MEMBERS,
  },
  'Subscription.readReceipts': {
    attempt: live('subscription($c: ID!) { readReceipts(chatId: $c) { lastReadSeq } }', (_, f) => ({ c: f.chatId })),
    expect: MEMBERS,
  },
  'Subscription.myReadReceipts': {
    attempt: live('subscription { myReadReceipts { lastReadSeq unreadCount } }', () => ({})),
    expect: SIGNED_IN,
  },
  'Subscription.myChatActivity': {
    attempt: live('subscription { myChatActivity { seq } }', () => ({})),
    expect: SIGNED_IN,
  },
  'Subscription.presenceChanged': {
    // The owner's presence: visible to whoever shares a chat with the owner.
    attempt: live('subscription($u: [ID!]!) { presenceChanged(userIds: $u) { status } }', (w) => ({
      u: [w.users.owner.id],
    })),
    expect: MEMBERS,
  },
};

/** Runs `query` as a brand-new user (for operations that end the caller's own sessions or account). */
async function freshUserOutcome(world: World, query: string): Promise<Outcome> {
  const res = await world.request(
    'anonymous',
    'mutation($u: String!) { signUp(username: $u, password: "correct horse battery", displayName: "F") { token } }',
    {
      u: `f_${next()}`,
    },
  );
  const token = (res.data as { signUp: { token: string } }).signUp.token;
  const credential = world.credentialFor ? await world.credentialFor(token) : token;
  const { gatewayRequest } = await import('@chatgraph/testing');
  return outcomeOf(await gatewayRequest(world.url, credential, query));
}
