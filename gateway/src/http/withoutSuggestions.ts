/**
 * A validation message without its "Did you mean …?" suggestions, which name fields, types and arguments of the
 * schema: with introspection off they would reveal the schema one guess at a time. The same rule as Apollo Server's
 * `hideSchemaDetailsFromClientErrors`, for the messages the gateway produces itself (WebSocket validation).
 */
export function withoutSuggestions(message: string): string {
  return message.replace(/ ?Did you mean(.+?)\?$/, '');
}
