/**
 * The scope table covers the whole API: every root field of the committed API schema has a rule or is listed as for
 * sessions only (a new operation without a row fails here), and the check follows fragments and nested fields.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, isObjectType, parse, type OperationDefinitionNode } from 'graphql';
import { TOKEN_SCOPES, type TokenScope } from '@chatgraph/auth';
import { checkScopes } from '../src/scopes/checkScopes';
import { NESTED_FIELD_SCOPES, ROOT_FIELD_SCOPES, SESSION_ONLY } from '../src/scopes/scopeTable';

const schema = buildSchema(fs.readFileSync(path.join(__dirname, '..', 'api-schema.graphql'), 'utf8'));
const rootFields = (['Query', 'Mutation', 'Subscription'] as const).flatMap((type) => {
  const t = schema.getType(type);
  return t && isObjectType(t) ? Object.keys(t.getFields()).map((f) => `${type}.${f}`) : [];
});

function refusal(query: string, scopes: TokenScope[] | undefined) {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;
  const error = checkScopes(schema, document, operation, scopes);
  return error && { code: error.extensions.code, requiredScope: error.extensions.requiredScope };
}

describe('the API token scope table', () => {
  it('classifies every root field of the API, and names only fields that exist', () => {
    const classified = new Set([...Object.keys(ROOT_FIELD_SCOPES), ...SESSION_ONLY]);
    expect(rootFields.filter((f) => !classified.has(f))).toEqual([]);
    expect([...classified].filter((f) => !rootFields.includes(f))).toEqual([]);
    expect(Object.keys(ROOT_FIELD_SCOPES).filter((f) => SESSION_ONLY.includes(f))).toEqual([]);
    for (const coordinate of Object.keys(NESTED_FIELD_SCOPES)) {
      const [type, field] = coordinate.split('.') as [string, string];
      const t = schema.getType(type);
      expect({ coordinate, exists: isObjectType(t) && field in t.getFields() }).toEqual({ coordinate, exists: true });
    }
  });

  it('lets sessions do anything and tokens only what their scopes cover', () => {
    const send = 'mutation { sendMessage(chatId: "1", text: "hi", clientMessageId: "a") { id text } }';
    expect(refusal(send, undefined)).toBeUndefined();
    expect(refusal(send, ['MESSAGES_WRITE'])).toBeUndefined();
    expect(refusal(send, ['CHATS_READ'])).toEqual({ code: 'FORBIDDEN', requiredScope: 'MESSAGES_WRITE' });
    expect(refusal('{ me { id } }', ['PROFILE_WRITE'])).toBeUndefined();
    expect(refusal('mutation { logOut }', [...TOKEN_SCOPES])).toEqual({ code: 'FORBIDDEN', requiredScope: null });
  });

  it('refuses nested reads the root field does not cover, through fragments too', () => {
    const history = `mutation { sendMessage(chatId: "1", text: "hi", clientMessageId: "a") { chat { ...C } } }
      fragment C on Chat { title messages(last: 5) { nodes { text } } }`;
    expect(refusal(history, ['MESSAGES_WRITE'])).toEqual({ code: 'FORBIDDEN', requiredScope: 'CHATS_READ' });
    expect(refusal(history, ['MESSAGES_WRITE', 'CHATS_READ'])).toBeUndefined();
    const inline = '{ ... on Query { myChats(first: 1) { nodes { id } } } }';
    expect(refusal(inline, ['MESSAGES_WRITE'])).toEqual({ code: 'FORBIDDEN', requiredScope: 'CHATS_READ' });
    expect(refusal('{ __typename }', ['MESSAGES_WRITE'])).toBeUndefined();
  });
});
