/**
 * Frames written to RabbitMQ in one turn of the event loop leave in one system call (coalesceFrameWrites), against the
 * machine's broker: what a turn wrote arrives whole and in order, the broker confirms it, and the socket's system
 * calls are far fewer than its frames.
 */
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import amqplib, { type ConfirmChannel, type ChannelModel } from 'amqplib';
import { loadConfig } from '@chatgraph/config';
import { waitUntil } from '@chatgraph/testing';
import { AMQP_SOCKET_OPTIONS } from '../src/amqp/socketOptions';
import { coalesceFrameWrites } from '../src/amqp/coalesceFrameWrites';

const url = loadConfig({ ...process.env, NODE_ENV: 'test' }).AMQP_URL;

/** Counts the system calls (`_write` and `_writev`) of the connection's socket from now on. */
function countSystemWrites(connection: ChannelModel): () => number {
  const socket = (connection as unknown as { connection: { stream: Socket } }).connection.stream;
  let calls = 0;
  for (const method of ['_write', '_writev'] as const) {
    const original = (socket as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!;
    (socket as unknown as Record<string, unknown>)[method] = function (this: Socket, ...args: unknown[]) {
      calls++;
      return original.apply(this, args);
    };
  }
  return () => calls;
}

describe('coalesceFrameWrites', () => {
  const queue = `coalesce-test-${randomBytes(4).toString('hex')}`;
  let connection: ChannelModel;
  let channel: ConfirmChannel;

  const publishInOneTurn = (n: number, tag: string) => {
    for (let i = 0; i < n; i++) channel.sendToQueue(queue, Buffer.from(`${tag} ${i}`), { persistent: true });
    return channel.waitForConfirms();
  };

  beforeAll(async () => {
    connection = await amqplib.connect(url, AMQP_SOCKET_OPTIONS);
    channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { durable: false, autoDelete: false });
  });
  afterAll(async () => {
    await channel.deleteQueue(queue).catch(() => undefined);
    await connection.close();
  });

  it('sends the frames of a turn in one system call, whole and in order', async () => {
    const received: string[] = [];
    const consumer = await connection.createChannel();
    await consumer.consume(queue, (msg) => {
      if (!msg) return;
      received.push(msg.content.toString());
      consumer.ack(msg);
    });

    // amqplib as it comes: each frame of the 20 publishes (method, header, body) is written on its own.
    let writes = countSystemWrites(connection);
    await publishInOneTurn(20, 'plain');
    const plain = writes();
    expect(plain).toBeGreaterThanOrEqual(20);

    coalesceFrameWrites(connection);
    writes = countSystemWrites(connection);
    await publishInOneTurn(20, 'coalesced');
    // The 60 frames of the turn in one write (a few more at most for acks and confirms written meanwhile).
    expect(writes()).toBeLessThanOrEqual(4);

    await waitUntil('every message arrived', () => received.length === 40);
    expect(received).toEqual([
      ...Array.from({ length: 20 }, (_, i) => `plain ${i}`),
      ...Array.from({ length: 20 }, (_, i) => `coalesced ${i}`),
    ]);
    await consumer.close();
  });
});
