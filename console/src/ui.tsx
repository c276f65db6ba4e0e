/** Small shared pieces: data loading state, errors, status badges, the page heading. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { words } from './format';

export interface Load<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** Runs `fn` when `deps` change (and on reload); the latest answer wins. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Load<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    fn().then(
      (data) => mine === seq.current && setState({ data, error: null, loading: false }),
      (err: unknown) =>
        mine === seq.current &&
        setState({ data: null, error: err instanceof ApiError ? err.message : String(err), loading: false }),
    );
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export function Heading(props: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const text = ref.current?.textContent ?? '';
    document.title = `${text} · Keel review console`;
    ref.current?.focus();
  }, [props.children]);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {props.children}
    </h1>
  );
}

export function Loading<T>(props: { load: Load<T>; what: string; children: (data: T) => ComponentChildren }) {
  const { load } = props;
  if (load.error)
    return (
      <p class="error" role="alert">
        Could not load {props.what}: {load.error}
      </p>
    );
  if (load.data === null)
    return (
      <p class="muted" role="status">
        Loading {props.what}…
      </p>
    );
  return <>{props.children(load.data)}</>;
}

export function Badge(props: { value: string | null | undefined }) {
  const v = props.value ?? 'UNKNOWN';
  return <span class={`badge badge-${v.toLowerCase().replace(/[^a-z]+/g, '-')}`}>{words(v)}</span>;
}

export function Table(props: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={props.label}>
      <table>{props.children}</table>
    </div>
  );
}

/** A table's header row: one column header per name. */
export function Columns(props: { names: string[] }) {
  return (
    <thead>
      <tr>
        {props.names.map((name) => (
          <th key={name} scope="col">
            {name}
          </th>
        ))}
      </tr>
    </thead>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="muted">{props.children}</p>;
}

export function Section(props: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby={props.id} class="panel">
      <h2 id={props.id}>{props.title}</h2>
      {props.children}
    </section>
  );
}

/** A list filter's choice: "Any" (the empty value) or one of `options`, each shown through `show`. */
export function AnySelect(props: {
  label: string;
  value: string;
  options: readonly string[];
  show?: (option: string) => string;
  onChange: (value: string) => void;
}) {
  const show = props.show ?? ((option: string) => option);
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">Any</option>
        {props.options.map((s) => (
          <option value={s}>{show(s)}</option>
        ))}
      </select>
    </label>
  );
}
