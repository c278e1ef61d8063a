/**
 * A message that can never be handled (it does not parse, or breaks the message contract): retrying cannot help, so
 * it goes straight to the dead-letter queue for a person to look at.
 */
export class PermanentFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentFailure';
  }
}
