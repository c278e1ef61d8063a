/** `npm run schema:check`'s judgement: additions and deprecations pass, removals and narrowing are breaking. */
import { describeChange, schemaChanges } from '../src/schema/schemaChanges';

const RELEASED = `
  type Query { chat(id: ID!): Chat  me: User }
  type Chat { id: ID!  title: String }
  type User { id: ID!  name: String! }
`;

describe('schemaChanges', () => {
  it('passes additions and deprecations', async () => {
    const next = `
      type Query { chat(id: ID!): Chat  me: User  myBots: [User!]! }
      type Chat { id: ID!  title: String @deprecated(reason: "Use name.")  name: String }
      type User { id: ID!  name: String!  isBot: Boolean! }
    `;
    const { breaking, safe } = await schemaChanges(RELEASED, next);
    expect(breaking).toEqual([]);
    expect(safe.map(describeChange)).toEqual(
      expect.arrayContaining([expect.stringContaining('Query.myBots'), expect.stringContaining('Chat.title')]),
    );
  });

  it('reports removed fields, changed types and new required arguments as breaking', async () => {
    const next = `
      type Query { chat(id: ID!, strict: Boolean!): Chat }
      type Chat { id: ID!  title: Int }
      type User { id: ID!  name: String! }
    `;
    const { breaking } = await schemaChanges(RELEASED, next);
    const lines = breaking.map(describeChange).join('\n');
    expect(lines).toContain('Query.me');
    expect(lines).toContain('Chat.title');
    expect(lines).toContain('Query.chat.strict');
  });
});
