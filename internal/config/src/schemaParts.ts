import { z } from 'zod';

/** The building blocks every family of variables uses, so each reads its values the same way. */

/** A whole number above 0, `fallback` when unset. */
export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** `true`/`1`/`yes` or `false`/`0`/`no`, `fallback` when unset. */
export const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** One URL whose scheme is one of `protocols` (`['http:', 'https:']`). */
export const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  );

/** Comma-separated milliseconds (`5000,300000`), `fallback` when unset, as numbers. */
export const millisList = (fallback: string) =>
  z
    .string()
    .regex(/^\d+(,\d+)*$/, `must be comma-separated milliseconds, e.g. ${fallback}`)
    .default(fallback)
    .transform((v) => v.split(',').map(Number));
