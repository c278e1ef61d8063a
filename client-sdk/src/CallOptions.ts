/** Options every request method takes as its last argument. */
export interface CallOptions {
  /**
   * Cancels the call: the request is aborted (a response on the way is dropped) and the call rejects with the signal's
   * reason (an `AbortError` `DOMException` by default). Whether the server ran a mutation that was already sent is not
   * known: a `sendMessage` can be sent again with the same `clientMessageId` to be sure, without duplicating it.
   */
  signal?: AbortSignal;
}
