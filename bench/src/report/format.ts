import { round } from '../stats';

/** Number formats of the report: '–' for a value that was not measured. */
export const ms = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '–' : `${round(v, v < 10 ? 2 : 1)} ms`;
export const num = (v: number | undefined, digits = 0) =>
  v === undefined || !Number.isFinite(v) ? '–' : String(round(v, digits));
export const kb = (bytes: number) => `${round(bytes / 1024, 1)} KB`;
export const x = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${v}×`);
