import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, printSchema } from 'graphql';
import { undescribedElements } from '@chatgraph/testing';
import { Supergraph } from '@apollo/federation-internals';
import { composeSupergraph } from '../src/supergraph/composeSupergraph';
import { DEFAULT_SUPERGRAPH_PATH } from '../src/supergraph/SupergraphSource';

describe('the committed supergraph', () => {
  const composed = composeSupergraph();

  it('is what the subgraphs compose to today (run `npm run supergraph` after an SDL change)', () => {
    expect(fs.readFileSync(DEFAULT_SUPERGRAPH_PATH, 'utf8')).toBe(composed);
  });

  it('publishes the API schema clients code against, without internal fields', () => {
    const api = `${printSchema(Supergraph.build(composed).apiSchema().toGraphQLJSSchema())}\n`;
    const committed = fs.readFileSync(path.join(path.dirname(DEFAULT_SUPERGRAPH_PATH), 'api-schema.graphql'), 'utf8');
    expect(committed).toBe(api);
    expect(committed).not.toMatch(/canReadChat|canWatchPresence|_entities/);
    expect(undescribedElements(buildSchema(committed))).toEqual([]);
    for (const name of ['chatEvents', 'sendMessage', 'presenceChanged', 'signUp', 'myChats', 'chatEventsSince'])
      expect(committed).toContain(name);
  });
});
