import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { databaseUrl, migrationsDirsFor, runMigrations, shardMapFor } from '@chatgraph/db';
import { dropTestDatabases, testConfig } from '@chatgraph/testing';

const COUNTERS = '20261201000000_unread_counters';

/**
 * The counters migration on a database that already has chats: every member's counters give the unread count the
 * previous code computed by counting (messages by others after the marker, not deleted), and every chat is queued
 * for the chat lists' activity order.
 */
describe('the unread counters migration', () => {
  const config = testConfig({ CHATS_SHARDS: '1', USERS_SHARDS: '1' });
  const map = shardMapFor(config, 'chats');
  const dirs = migrationsDirsFor('chats');
  let before: string[];
  let client: Client;

  beforeAll(async () => {
    // The same history without the counters migration (and what came after it).
    before = dirs.map((dir) => {
      const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-before-counters-'));
      for (const name of fs.readdirSync(dir))
        if (name < COUNTERS) fs.cpSync(path.join(dir, name), path.join(copy, name), { recursive: true });
      return copy;
    });
    await runMigrations({ baseUrl: config.DATABASE_URL, map, migrationsDirs: before });
    client = new Client({ connectionString: databaseUrl(config.DATABASE_URL, map.shards[0]!.database) });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await dropTestDatabases(config);
    for (const dir of before) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fills the counters so that every unread count equals a recount, and queues every chat for the lists', async () => {
    // Two chats written as the previous code wrote them: 3 members, 40 messages by all of them, some deleted, read
    // markers anywhere (also between messages, on membership events and at 0), a user_chats row per member.
    const users = [101n, 102n, 103n];
    for (const chatId of [9001n, 9002n]) {
      await client.query(
        `INSERT INTO chats (id, kind, title, created_by, last_seq) VALUES ($1, 'GROUP', 't', 101, 43)`,
        [chatId],
      );
      for (const [i, u] of users.entries()) {
        await client.query(`INSERT INTO chat_members (chat_id, user_id, role, last_read_seq) VALUES ($1, $2, $3, $4)`, [
          chatId,
          u,
          i === 0 ? 'OWNER' : 'MEMBER',
          [0, 2, 17 + Number(chatId % 7n)][i],
        ]);
        await client.query(`INSERT INTO user_chats (user_id, chat_id) VALUES ($1, $2)`, [u, chatId]);
      }
      for (let seq = 4; seq <= 43; seq++) {
        await client.query(
          `INSERT INTO messages (id, chat_id, seq, author_id, text, client_message_id, deleted_at)
           VALUES ($1, $2, $3, $4, 'x', $5, CASE WHEN $6 THEN now() END)`,
          [chatId * 1000n + BigInt(seq), chatId, seq, users[(seq * 7) % 3], `k${seq}`, seq % 5 === 0],
        );
      }
    }

    await runMigrations({ baseUrl: config.DATABASE_URL, map, migrationsDirs: dirs });

    const { rows } = await client.query<{ counted: number; counters: number }>(`
      SELECT (SELECT count(*)::int FROM messages x
               WHERE x.chat_id = m.chat_id AND x.seq > m.last_read_seq AND x.author_id <> m.user_id
                 AND x.deleted_at IS NULL) AS counted,
             c.message_count - m.sent_count - m.read_others - m.unread_deleted AS counters
        FROM chat_members m JOIN chats c ON c.id = m.chat_id`);
    expect(rows).toHaveLength(6);
    for (const row of rows) expect(row.counters).toBe(row.counted);
    expect(new Set(rows.map((r) => r.counted)).size).toBeGreaterThan(1);

    const outbox = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM activity_outbox');
    expect(outbox.rows[0]!.n).toBe(2);
  });
});
