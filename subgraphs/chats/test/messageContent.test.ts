/** How a message's text names people: the mentions the chats service resolves at send and edit time. */
import { mentionedUsernames } from '../src/policy/MessageContent';

describe('mentions in a text', () => {
  it('finds @usernames once each, in lower case, not inside words or e-mail addresses', () => {
    expect(
      mentionedUsernames(
        '@Bob hi @carol_1, @bob! mail me at x@dave.org or @@eve @no @toolong_0123456789012345678901234',
      ),
    ).toEqual(['bob', 'carol_1']);
  });
});
