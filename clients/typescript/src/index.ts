// @latchkey/client: a browser (and Node) client for Latchkey's API. It keeps the session,
// refreshes the access token ahead of its expiry and on a 401, one refresh at a time within the
// page and across the tabs of one browser, and shares the session between tabs.
import type { components, paths } from "./openapi.js";

export type { components, paths };
type Schemas = components["schemas"];
/** The signed-in user, as `GET /api/v1/me` answers. */
export type User = Schemas["Me"];
/** An API error body (RFC 9457), with the members some codes add (`mfa_token`, `methods`, `superseded`). */
export type Problem = Schemas["Problem"] & { mfa_token?: string; methods?: MfaMethod[] };
export type MfaMethod = "totp" | "recovery_code" | "passkey";

export interface Session {
  user: User;
  /** When the current access token expires (it is refreshed before then). */
  expiresAt: Date;
}

export type Status = "loading" | "signed_in" | "signed_out";

export interface Snapshot {
  status: Status;
  session: Session | null;
}

export type SignInResult =
  | { status: "signed_in"; user: User }
  | { status: "mfa_required"; methods: MfaMethod[] };

export interface ClientOptions {
  /** Latchkey's public URL, e.g. `https://auth.example.com`. */
  baseUrl: string;
  /**
   * Where the refresh token lives: `"memory"` (default: in the page, shared with the other
   * tabs, gone when the last tab closes) or `"cookie"` (an HttpOnly cookie set by Latchkey,
   * never visible to scripts; the session survives reloads; needs `LATCHKEY_REFRESH_COOKIE=on`).
   */
  refresh?: "memory" | "cookie";
  /** Refresh this many seconds before the access token expires (default 60, at most a third of its lifetime). */
  refreshAhead?: number;
  /** Keep the session alive with a timer (default true); otherwise only on use. */
  autoRefresh?: boolean;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** The name tabs share the session under; `false` keeps each tab on its own. */
  shareAcrossTabs?: string | false;
}

/** A refused request: `status`, the problem's `code` and `detail`, and `retryAfter` (seconds) for 429. */
export class LatchkeyError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly retryAfter?: number;
  readonly problem: Problem | null;

  constructor(status: number, problem: Problem | null, retryAfter?: number) {
    const code = problem?.code ?? (status ? `http_${status}` : "network_error");
    super(problem?.detail ?? problem?.title ?? code);
    this.name = "LatchkeyError";
    this.status = status;
    this.code = code;
    this.detail = problem?.detail ?? undefined;
    this.retryAfter = retryAfter;
    this.problem = problem;
  }
}

// ---- typed access to any endpoint of the API, from the generated OpenAPI types -------------

export type Method = "GET" | "POST" | "PATCH" | "DELETE";
type Operation<P extends keyof paths, M extends Method> = paths[P] extends {
  [K in Lowercase<M>]?: infer O;
}
  ? Exclude<O, undefined>
  : never;
/** The paths that have this method. */
export type PathsWith<M extends Method> = {
  [P in keyof paths]: [Operation<P, M>] extends [never] ? never : P;
}[keyof paths];
type JsonContent<T> = T extends { content: { "application/json": infer J } } ? J : null;
/** The JSON body an operation takes (`undefined` when it takes none). */
export type RequestBody<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody: { content: { "application/json": infer B } } }
    ? B
    : Operation<P, M> extends { requestBody?: { content: { "application/json": infer B } } }
      ? B | undefined
      : undefined;
/** What a successful answer of an operation holds (`null` for 204). */
export type ResponseBody<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { responses: infer R }
    ? { [S in keyof R]: S extends 200 | 201 | 202 | 204 ? JsonContent<R[S]> : never }[keyof R]
    : unknown;

type Tokens = Schemas["Tokens"];
interface State {
  access: string;
  /** Memory mode only; in cookie mode the browser holds it. */
  refresh?: string;
  /** Epoch milliseconds. */
  exp: number;
  ttl: number;
  user: User;
}
type Message = { hello: 1 } | { state: State | null };

const API = "/api/v1";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The claims of a JWT, unverified (only to notice that the address changed). */
const claims = (jwt: string): { email?: string } => {
  try {
    return JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    return {};
  }
};

export class LatchkeyClient {
  /** Resolves once a kept session is restored (or known to be absent). */
  readonly ready: Promise<Session | null>;
  private readonly base: string;
  private readonly cookie: boolean;
  private readonly ahead: number;
  private readonly auto: boolean;
  private readonly http: typeof fetch;
  private readonly lockName: string;
  private readonly channel: BroadcastChannel | null = null;
  private state: State | null = null;
  private snap: Snapshot = { status: "loading", session: null };
  private listeners = new Set<(s: Session | null) => void>();
  private inflight: Promise<boolean> | null = null;
  private mfaToken: string | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, "");
    this.cookie = options.refresh === "cookie";
    this.ahead = (options.refreshAhead ?? 60) * 1000;
    this.auto = options.autoRefresh ?? true;
    this.http = options.fetch ?? ((...a) => fetch(...a));
    const name = options.shareAcrossTabs ?? `latchkey:${this.base}`;
    this.lockName = `${name}:refresh`;
    if (name !== false && typeof BroadcastChannel !== "undefined") {
      this.channel = new BroadcastChannel(name);
      this.channel.onmessage = (e: MessageEvent<Message>) => this.hear(e.data);
      // Node keeps the process alive for an open channel; browsers have no unref.
      (this.channel as { unref?: () => void }).unref?.();
    }
    this.ready = this.restore();
  }

  /** The session now (`null` while signed out or still loading). */
  get session(): Session | null {
    return this.snap.session;
  }

  /** Status and session, one object per change (for `useSyncExternalStore`). */
  get snapshot(): Snapshot {
    return this.snap;
  }

  /** Calls `listener` with the session (or null) after every change; returns the unsubscribe function. */
  onChange(listener: (session: Session | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when Latchkey answered 202: a verification email is on its way. */
  async signUp(body: RequestBody<"/api/v1/register", "POST">): Promise<void> {
    await this.call("POST", "/register", body);
  }

  /** Verifies an address with the link's token, or with the address and the emailed code. */
  verifyEmail(body: RequestBody<"/api/v1/email/verify", "POST">) {
    return this.call<ResponseBody<"/api/v1/email/verify", "POST">>("POST", "/email/verify", body);
  }

  /** Signs in; when the account has a second factor, answers `mfa_required` and keeps its token for `completeSignIn`. */
  async signIn(body: RequestBody<"/api/v1/login", "POST">): Promise<SignInResult> {
    try {
      return this.signedIn(await this.call<Tokens>("POST", "/login", body, true));
    } catch (e) {
      const problem = e instanceof LatchkeyError && e.code === "mfa_required" && e.problem;
      if (!problem || !problem.mfa_token) throw e;
      this.mfaToken = problem.mfa_token;
      return { status: "mfa_required", methods: problem.methods ?? [] };
    }
  }

  /** The second step after `mfa_required`: an authenticator or recovery `code`, or a `passkey` assertion (`PublicKeyCredential.toJSON()`). */
  async completeSignIn(step: { code: string } | { passkey: unknown }): Promise<SignInResult> {
    if (!this.mfaToken) throw new LatchkeyError(401, { code: "mfa_token_invalid", status: 401, title: "No sign-in is waiting for a second factor" } as Problem);
    const tokens = await this.call<Tokens>("POST", "/login/mfa", { mfa_token: this.mfaToken, ...step }, true);
    this.mfaToken = null;
    return this.signedIn(tokens);
  }

  /** Ends the session here and in every tab (Latchkey revokes it). */
  async signOut(): Promise<void> {
    const refresh = this.state?.refresh;
    try {
      await this.call("POST", "/logout", this.cookie ? {} : { refresh_token: refresh }, true);
    } finally {
      this.set(null, true);
    }
  }

  /** A current access token (refreshed first when it is about to expire), or null when signed out. */
  async getAccessToken(): Promise<string | null> {
    await this.ready;
    const s = this.state;
    if (s && Date.now() >= this.refreshAt(s)) {
      try {
        await this.refresh(s.access);
      } catch (e) {
        // Could not reach Latchkey: the old token serves while it is still valid.
        if (Date.now() >= s.exp) throw e;
      }
    }
    return this.state?.access ?? null;
  }

  /** `fetch` with the access token as `Authorization: Bearer`; on a 401 refreshes once and sends again. */
  async fetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    const send = (token: string | null) => {
      const headers = new Headers(init.headers);
      if (token) headers.set("Authorization", `Bearer ${token}`);
      return this.http(input, { ...init, headers });
    };
    const token = await this.getAccessToken();
    const response = await send(token);
    if (response.status !== 401 || !token || !(await this.refresh(token))) return response;
    return send(this.state!.access);
  }

  /**
   * Any endpoint of the API, typed by the OpenAPI document: `request("POST", "/api/v1/me/email", {...})`,
   * `request("DELETE", "/api/v1/me/sessions/{id}", undefined, { id })`. Sends the access token
   * when signed in; resolves to the JSON answer (null for 204), rejects with a `LatchkeyError`.
   */
  async request<M extends Method, P extends PathsWith<M>>(
    method: M,
    path: P,
    body?: RequestBody<P, M>,
    params: Record<string, string | number> = {},
  ): Promise<ResponseBody<P, M>> {
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name]));
    const response = await this.fetch(this.base + url, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return read(response);
  }

  /** Fetches the user again (after a change of name or address), and tells the listeners. */
  async reloadUser(): Promise<User | null> {
    const s = this.state;
    if (!s) return null;
    const user = await this.request("GET", "/api/v1/me");
    if (this.state === s) this.set({ ...s, user }, true);
    return user;
  }

  // ---- internals ------------------------------------------------------------------------------

  private refreshAt(s: State): number {
    return s.exp - Math.min(this.ahead, s.ttl / 3);
  }

  private async signedIn(tokens: Tokens): Promise<SignInResult> {
    const state = await this.toState(tokens);
    this.set(state, true);
    return { status: "signed_in", user: state.user };
  }

  private async toState(tokens: Tokens, user?: User): Promise<State> {
    const ttl = tokens.expires_in * 1000;
    const access = tokens.access_token;
    if (!user || claims(access).email !== user.email) {
      user = await read<User>(
        await this.http(this.base + API + "/me", { headers: { Authorization: `Bearer ${access}` } }),
      );
    }
    return { access, refresh: tokens.refresh_token ?? undefined, exp: Date.now() + ttl, ttl, user };
  }

  /** Puts a new state in place, tells the listeners and (if `tell`) the other tabs. */
  private set(state: State | null, tell: boolean): void {
    this.state = state;
    clearTimeout(this.timer);
    if (state && this.auto) {
      this.timer = setTimeout(() => this.getAccessToken().catch(() => {}), this.refreshAt(state) - Date.now() + 50);
      (this.timer as { unref?: () => void }).unref?.();
    }
    const session = state && { user: state.user, expiresAt: new Date(state.exp) };
    this.snap = { status: state ? "signed_in" : "signed_out", session };
    if (tell) this.post({ state });
    for (const listener of [...this.listeners]) listener(session);
  }

  private post(message: Message): void {
    this.channel?.postMessage(message);
  }

  /** A message from another tab: a newer session (or a sign-out) is adopted; a new tab is told ours. */
  private hear(message: Message): void {
    if ("hello" in message) {
      if (this.state) this.post({ state: this.state });
    } else if (!message.state) {
      if (this.state) this.set(null, false);
    } else if (!this.state || message.state.exp > this.state.exp) {
      this.set(message.state, false);
    }
  }

  /** The session kept by another tab, or (cookie mode) by the browser's cookie. */
  private async restore(): Promise<Session | null> {
    this.post({ hello: 1 });
    if (this.cookie) {
      try {
        await this.refresh(null);
      } catch {
        // Latchkey unreachable: signed out for now.
      }
    } else if (this.channel) {
      // Another tab answers within a few milliseconds, if there is one.
      await sleep(100);
    }
    if (this.snap.status === "loading") this.set(this.state, false);
    return this.snap.session;
  }

  /**
   * Refreshes unless the token `stale` has already been replaced (by this tab or another).
   * One refresh at a time: within this page through `inflight`, across tabs through a Web Lock.
   * True when there is a session afterwards.
   */
  private refresh(stale: string | null): Promise<boolean> {
    return (this.inflight ??= this.locked(async () => {
      if (this.state && this.state.access !== stale && Date.now() < this.refreshAt(this.state)) return true;
      if (!this.cookie && !this.state?.refresh) {
        // A tab that lost a refresh race and never heard of the newer token: over once expired.
        if (this.state && Date.now() >= this.state.exp) this.set(null, false);
        return false;
      }
      const had = !!this.state;
      // A refresh that lost a race with another tab's (the server answers 401 with `superseded`:
      // the token was rotated a moment ago, within the grace period) is not the end of the
      // session: it is tried again a moment later, with the newer token the winning tab hands
      // over or (cookie mode) with the newer cookie its answer set. Any other refusal ends it.
      // A restore from the cookie that lost to another tab's restore (no session here yet) is
      // tried again too: the winner's answer already put the rotated token in the shared cookie.
      let lost: LatchkeyError | null = null;
      for (const wait of had || this.cookie ? [0, 150, 600] : [0]) {
        await sleep(wait);
        const before = this.state;
        if (wait && before && before.access !== stale && Date.now() < this.refreshAt(before)) return true;
        try {
          const tokens = await this.call<Tokens>(
            "POST",
            "/token/refresh",
            this.cookie ? {} : { refresh_token: before?.refresh },
            true,
          );
          this.set(await this.toState(tokens, before?.user), true);
          // Hold the lock a moment, so that the tab waiting for it has heard of the new token
          // (BroadcastChannel is not ordered with the lock) and need not refresh again.
          if (this.channel) await sleep(30);
          return true;
        } catch (e) {
          if (!(e instanceof LatchkeyError) || e.status === 0 || e.status === 429 || e.status >= 500) throw e;
          if (e.problem?.superseded !== true) break;
          lost = e;
        }
      }
      if (lost && this.state) {
        // Still the loser and no newer token came: keep the session (its access token serves
        // until it expires, and a tab may yet hand one over), but never present the rotated
        // token again: after the grace period that would end the session everywhere.
        if (!this.cookie) this.state = { ...this.state, refresh: undefined };
        if (Date.now() < this.state.exp) throw lost;
      }
      // The session is over here; the other tabs find out for themselves.
      if (this.state) this.set(null, false);
      return false;
    }).finally(() => (this.inflight = null)));
  }

  private locked<T>(work: () => Promise<T>): Promise<T> {
    const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
    return locks && this.channel ? (locks.request(this.lockName, work) as Promise<T>) : work();
  }

  /** A call to the API without the access token; `tokens` marks the calls that carry the refresh cookie. */
  private async call<T>(method: Method, path: string, body: unknown, tokens = false): Promise<T> {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (tokens && this.cookie) headers["Latchkey-Refresh"] = "cookie";
    let response: Response;
    try {
      response = await this.http(this.base + API + path, {
        method,
        headers,
        body: JSON.stringify(body),
        credentials: tokens && this.cookie ? "include" : "omit",
      });
    } catch (e) {
      throw Object.assign(new LatchkeyError(0, null), { cause: e });
    }
    return read<T>(response);
  }
}

/** The JSON of a successful answer (null for 204), or a `LatchkeyError`. */
async function read<T>(response: Response): Promise<T> {
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: no problem body to report.
  }
  if (response.ok) return json as T;
  const header = response.headers.get("Retry-After");
  let retryAfter: number | undefined;
  if (header) {
    retryAfter = /^\d+$/.test(header) ? +header : Math.max(0, Math.ceil((Date.parse(header) - Date.now()) / 1000));
    if (Number.isNaN(retryAfter)) retryAfter = undefined;
  }
  throw new LatchkeyError(response.status, json && typeof json === "object" ? (json as Problem) : null, retryAfter);
}
