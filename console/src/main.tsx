/**
 * The Keel review console: a single-page application on Keel's own API. The user pastes a
 * bearer token (kept in sessionStorage: this tab only) or, with authentication off on loopback,
 * needs none; `GET /me` says who they are, and the pages show only what their roles allow.
 */
import { render } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { apiFor, clearSession, type Identity, loadSession, saveSession, type Session } from './api';
import { BookPage } from './pages/book';
import { BooksPage } from './pages/books';
import { ProposalPage } from './pages/proposal';
import { ProposalsPage } from './pages/proposals';
import { RunPage } from './pages/run';
import { RunsPage } from './pages/runs';
import { ScenarioPage } from './pages/scenario';
import { BASE, interceptLinks, link, navigate, segments, useLocation } from './router';
import { Heading, useLoad } from './ui';
import './styles.css';

function App() {
  const [session, setSession] = useState<Session>(loadSession);
  const api = useMemo(() => apiFor(session), [session]);
  const me = useLoad(() => api<Identity>('GET', '/me'), [api]);
  const update = (next: Session) => {
    saveSession(next);
    setSession(next);
  };
  const signOut = () => {
    clearSession();
    setSession({ token: null, tenant: null, actor: null });
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={link('runs')}>
          Keel review console
        </a>
        {me.data && (
          <nav aria-label="Main">
            <a href={link('runs')}>Runs</a>
            <a href={link('proposals')}>Proposals</a>
            <a href={link('books')}>Books</a>
          </nav>
        )}
        {me.data && <Who me={me.data} session={session} update={update} signOut={signOut} />}
      </header>
      <main id="main">
        {me.error ? (
          <SignIn
            error={me.error}
            hadToken={session.token !== null}
            onToken={(token) => update({ ...session, token })}
          />
        ) : me.data ? (
          <Page api={api} me={me.data} session={session} />
        ) : (
          <p role="status">Connecting…</p>
        )}
      </main>
    </>
  );
}

function Who(props: { me: Identity; session: Session; update: (s: Session) => void; signOut: () => void }) {
  const { me, session } = props;
  const [tenant, setTenant] = useState(session.tenant ?? me.tenant_id);
  const [actor, setActor] = useState(session.actor ?? '');
  if (me.authenticated)
    return (
      <div class="who" aria-label="Signed in as">
        <span>
          <strong>{me.user_id ?? 'unnamed user'}</strong> · tenant {me.tenant_id} ·{' '}
          {me.roles.join(', ') || 'no roles'}
        </span>
        <button type="button" class="secondary" onClick={props.signOut}>
          Sign out
        </button>
      </div>
    );
  return (
    <form
      class="who"
      aria-label="Working without authentication"
      onSubmit={(e) => {
        e.preventDefault();
        props.update({ ...session, tenant: tenant.trim() || null, actor: actor.trim() || null });
      }}
    >
      <span class="muted">Authentication is off.</span>
      <label>
        Tenant
        <input type="text" value={tenant} size={10} onInput={(e) => setTenant(e.currentTarget.value)} />
      </label>
      <label>
        Acting as
        <input
          type="text"
          value={actor}
          size={12}
          placeholder="your user id"
          onInput={(e) => setActor(e.currentTarget.value)}
        />
      </label>
      <button type="submit" class="secondary">
        Use
      </button>
    </form>
  );
}

function SignIn(props: { error: string; hadToken: boolean; onToken: (t: string) => void }) {
  const [token, setToken] = useState('');
  return (
    <>
      <Heading>Sign in</Heading>
      <p>
        Paste a bearer token issued for Keel. It is kept in this browser tab only (sessionStorage) and sent to
        this service alone.
      </p>
      {props.hadToken && (
        <p class="error" role="alert">
          The service refused the token: {props.error}
        </p>
      )}
      <form
        class="signin"
        onSubmit={(e) => {
          e.preventDefault();
          const t = token.trim().replace(/^Bearer\s+/i, '');
          if (t) props.onToken(t);
        }}
      >
        <label>
          Bearer token
          <textarea
            name="token"
            rows={4}
            required
            autoComplete="off"
            spellcheck={false}
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Sign in</button>
      </form>
    </>
  );
}

function Page(props: { api: ReturnType<typeof apiFor>; me: Identity; session: Session }) {
  const loc = useLocation();
  const [page, id, extra] = segments(loc.path);
  // A new tenant or token, or another URL, mounts the page afresh.
  const k = `${props.session.tenant ?? ''}|${props.session.token ?? ''}|${loc.path}?${loc.params.toString()}`;
  const common = props;
  if (!page) {
    navigate(link('runs'), true);
    return null;
  }
  if (extra === undefined) {
    if (page === 'runs' && id === undefined) return <RunsPage key={k} {...common} params={loc.params} />;
    if (page === 'runs' && id) return <RunPage key={k} {...common} id={id} />;
    if (page === 'proposals' && id === undefined)
      return <ProposalsPage key={k} {...common} params={loc.params} />;
    if (page === 'proposals' && id) return <ProposalPage key={k} {...common} id={id} />;
    if (page === 'scenarios' && id) return <ScenarioPage key={k} {...common} id={id} />;
    if (page === 'books' && id === undefined) return <BooksPage key={k} {...common} params={loc.params} />;
    if (page === 'books' && id) return <BookPage key={k} {...common} id={id} />;
  }
  return (
    <>
      <Heading>Page not found</Heading>
      <p>
        No console page at {loc.path}. Go to the <a href={`${BASE}/runs`}>runs</a>, the{' '}
        <a href={`${BASE}/proposals`}>proposals</a> or the <a href={`${BASE}/books`}>books</a>.
      </p>
    </>
  );
}

interceptLinks();
const root = document.getElementById('app')!;
root.textContent = ''; // the "Loading…" placeholder
render(<App />, root);
