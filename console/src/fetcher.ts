/** A call to Keel's API: method, path (same origin), optional JSON body → the parsed answer. */
export type Fetcher = <T>(method: string, path: string, body?: unknown) => Promise<T>;
