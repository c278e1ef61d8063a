/**
 * The Redis key of one limit's counter: `{rl:<family>:<subject>}`, e.g. `{rl:login:user:ada}`. The whole key is a
 * hash tag, so in a Redis Cluster every counter kept for one subject (a login's attempts and its wait) lives in one
 * slot and a script may touch them together. Braces in the subject are replaced so it cannot end the tag early.
 */
export function rateLimitKey(family: string, subject: string): string {
  return `{rl:${family}:${subject.replace(/[{}]/g, '_')}}`;
}
