import { MessageType, stringifyMessage } from 'graphql-ws';
import { preSerialized } from '../src/subscriptions/PreSerialized';
import { PayloadSplicer } from '../src/ws/PayloadSplicer';

const next = (splicer: PayloadSplicer, id: string, json: string) =>
  stringifyMessage<MessageType.Next>(
    { id, type: MessageType.Next, payload: preSerialized(json) as never },
    splicer.replacer,
  );

describe('PayloadSplicer (pre-serialized payloads in graphql-ws messages)', () => {
  it('gives each subscriber its own payload when messages are stringified together and sent in another order', () => {
    const splicer = new PayloadSplicer();
    // Two subscribers' messages are stringified before either is sent (graphql-ws awaiting between the two steps).
    const forAlice = next(splicer, 'a', '{"data":{"chatEvents":{"text":"for alice"}}}');
    const forBob = next(splicer, 'b', '{"data":{"chatEvents":{"text":"for bob"}}}');
    const sentBob = JSON.parse(splicer.splice(forBob));
    const sentAlice = JSON.parse(splicer.splice(forAlice));
    expect(sentAlice).toEqual({ id: 'a', type: 'next', payload: { data: { chatEvents: { text: 'for alice' } } } });
    expect(sentBob).toEqual({ id: 'b', type: 'next', payload: { data: { chatEvents: { text: 'for bob' } } } });
    expect(splicer.outstanding).toBe(0);
  });

  it('inserts user text literally (no replacement patterns) and leaves ordinary messages alone', () => {
    const splicer = new PayloadSplicer();
    const json = JSON.stringify({ data: { text: "$& $' $` $$ \u0000 \\u0000" } });
    expect(JSON.parse(splicer.splice(next(splicer, '1', json))).payload).toEqual(JSON.parse(json));
    const plain = stringifyMessage({ type: MessageType.ConnectionAck }, splicer.replacer);
    expect(splicer.splice(plain)).toBe(plain);
  });

  it('cannot be fooled by an operation id chosen to look like a token', () => {
    const splicer = new PayloadSplicer();
    const message = next(splicer, '\u00000000:1', '{"data":1}');
    const other = next(splicer, '\u0000', '{"data":2}');
    expect(JSON.parse(splicer.splice(other))).toEqual({ id: '\u0000', type: 'next', payload: { data: 2 } });
    expect(JSON.parse(splicer.splice(message))).toEqual({ id: '\u00000000:1', type: 'next', payload: { data: 1 } });
  });
});
