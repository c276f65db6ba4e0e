/**
 * Canonical JSON and request hashing (spec 20 §14, spec 30 §3.3): keys sorted by code point
 * at every depth, no whitespace, non-ASCII (and U+007F) escaped as lower-case \uXXXX,
 * decimals as their own text, integers as JSON integers.
 */
import { createHash } from 'node:crypto';
import { compareCodePoints } from '../engine/ordering.js';
import { toJson, type Json } from '../engine/wire.js';

function escapeString(value: string): string {
  // JSON.stringify escapes quotes, backslashes and control characters; then escape the rest.
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function write(value: Json): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return escapeString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(write).join(',')}]`;
  const keys = Object.keys(value).sort(compareCodePoints);
  return `{${keys.map((k) => `${escapeString(k)}:${write(value[k]!)}`).join(',')}}`;
}

/** Canonical text of any engine value (decimals become their text first). */
export function canonicalJson(value: unknown): string {
  return write(toJson(value));
}

/** `"sha256:" + hex(SHA-256(canonical_json(value)))`. */
export function canonicalHash(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex')}`;
}
