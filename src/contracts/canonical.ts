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
/** Anything JSON.stringify would escape, or that is escaped here (non-ASCII, U+007F). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\uffff]/;
/** UTF-16 order equals code-point order unless a surrogate meets a character above it. */
const SURROGATE = /[\ud800-\udfff]/;

function escapeString(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`;
  // JSON.stringify escapes quotes, backslashes and control characters; then escape the rest.
  const json = JSON.stringify(value);
  return NON_ASCII.test(json)
    ? json.replace(NON_ASCII_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : json;
}

/** One key sequence, sorted, with the text written before each value (`,"key":`). */
interface KeyLayout {
  keys: string[];
  order: string[];
  prefixes: string[];
}

/**
 * Layouts by first key. Objects built from one schema share their key sequence, so each is
 * sorted and escaped once instead of once per object; bounded, since record keys come from
 * callers.
 */
const layouts = new Map<string, KeyLayout[]>();
const MAX_LAYOUTS = 1024;
const MAX_PER_FIRST_KEY = 8;

function layoutOf(keys: string[]): KeyLayout {
  let list = layouts.get(keys[0]!);
  if (list !== undefined) {
    search: for (const layout of list) {
      const known = layout.keys;
      if (known.length !== keys.length) continue;
      for (let i = 0; i < keys.length; i++) if (known[i] !== keys[i]) continue search;
      return layout;
    }
  } else {
    if (layouts.size >= MAX_LAYOUTS) layouts.clear();
    layouts.set(keys[0]!, (list = []));
  }
  const order = keys.slice();
  if (keys.some((key) => SURROGATE.test(key))) order.sort(compareCodePoints);
  else order.sort();
  const layout = { keys, order, prefixes: order.map((key, i) => `${i > 0 ? ',' : ''}${escapeString(key)}:`) };
  if (list.length < MAX_PER_FIRST_KEY) list.push(layout);
  return layout;
}

/** Text is handed on in pieces of about this many characters (one hash update each). */
const CHUNK = 8192;

/**
 * Canonical text of `value` in one pass, handed to `emit` in pieces: no intermediate copies per
 * level, and hashing needs no second copy of the whole text.
 */
function writeCanonical(value: unknown, emit: (chunk: string) => void): void {
  let out = '';
  const write = (v: unknown): void => {
    if (v === null || v === undefined) out += 'null';
    else if (typeof v === 'string') out += escapeString(v);
    else if (typeof v === 'number') out += Number.isFinite(v) ? String(v) : 'null';
    else if (typeof v === 'boolean') out += v ? 'true' : 'false';
    else if (isDec(v)) out += `"${text(v)}"`;
    else if (Array.isArray(v)) {
      out += '[';
      for (let i = 0; i < v.length; i++) {
        if (i > 0) out += ',';
        write(v[i]);
      }
      out += ']';
    } else {
      const record = v as Record<string, unknown>;
      const keys = Object.keys(record);
      out += '{';
      if (keys.length > 0) {
        const { order, prefixes } = layoutOf(keys);
        for (let i = 0; i < order.length; i++) {
          out += prefixes[i];
          write(record[order[i]!]);
        }
      }
      out += '}';
      if (out.length > CHUNK) {
        emit(out);
        out = '';
      }
    }
  };
  write(value);
  emit(out);
}

/** Canonical text of any engine or JSON value; decimals are written as their text. */
export function canonicalJson(value: unknown): string {
  const chunks: string[] = [];
  writeCanonical(value, (chunk) => chunks.push(chunk));
  return chunks.join('');
}

/** `"sha256:" + hex(SHA-256(canonical_json(value)))`, hashed as the text is written. */
export function canonicalHash(value: unknown): string {
  const hash = createHash('sha256');
  writeCanonical(value, (chunk) => hash.update(chunk, 'utf8'));
  return `sha256:${hash.digest('hex')}`;
}
