/** The nested query of scenario 1: a history page of 50 messages with authors (users) and presence (presence). */
export const HISTORY_QUERY = `query History($chatId: ID!) {
  chat(id: $chatId) {
    id title lastSeq
    messages(last: 50) {
      pageInfo { hasPreviousPage startCursor }
      nodes { id seq text createdAt author { id displayName presence { status lastSeenAt } } }
    }
  }
}`;
