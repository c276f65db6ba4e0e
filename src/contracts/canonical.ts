/**
 * Canonical JSON and request hashing (spec 20 §14, spec 30 §3.3): keys sorted by code point
 * at every depth, no whitespace, non-ASCII (and U+007F) escaped as lower-case \uXXXX,
 * decimals as their own text, integers as JSON integers.
 */
import { createHash } from 'node:crypto';
import { isDec, text } from './decimal.js';
import { compareCodePoints } from './ordering.js';

const NON_ASCII = /[\u007f-\uffff]/;
const NON_ASCII_ALL = /[\u007f-\uffff]/g;

function escapeString(value: string): string {
  // JSON.stringify escapes quotes, backslashes and control characters; then escape the rest.
  const json = JSON.stringify(value);
  return NON_ASCII.test(json)
    ? json.replace(NON_ASCII_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : json;
}

function write(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return escapeString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (isDec(value)) return `"${text(value)}"`;
  if (Array.isArray(value)) return `[${value.map(write).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort(compareCodePoints);
  return `{${keys.map((k) => `${escapeString(k)}:${write(record[k])}`).join(',')}}`;
}

/** Canonical text of any engine or JSON value; decimals are written as their text. */
export function canonicalJson(value: unknown): string {
  return write(value);
}

/** `"sha256:" + hex(SHA-256(canonical_json(value)))`. */
export function canonicalHash(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex')}`;
}
