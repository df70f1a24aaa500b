// The browser side of docs/integration.md: a React (or any) front end on another origin calls
// Latchkey's API with fetch (CORS: the origin must be in LATCHKEY_CORS_ORIGINS), keeps the
// access token and the refresh token in memory only, and refreshes once when a call answers 401.
// Plain JavaScript with no dependency, so the same file runs in a browser and under Node 18+.

// --- snippet: browser-client ---
export function createLatchkeyClient(baseUrl) {
  // In memory only: not in localStorage, where any script injected into the page could read it.
  let accessToken = null;
  let refreshToken = null;
  let refreshing = null; // one refresh at a time: a used refresh token is dead

  async function call(path, { method = "GET", body, auth = true } = {}) {
    const headers = { "Content-Type": "application/json" };
    if (auth && accessToken) headers.Authorization = `Bearer ${accessToken}`;
    const response = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      // The API uses no cookies: never send credentials across origins.
      credentials: "omit",
    });
    if (response.status === 204) return null;
    const data = await response.json();
    if (!response.ok) {
      const error = new Error(data.detail ?? data.title);
      error.status = response.status;
      error.code = data.code; // e.g. "invalid_credentials", "email_not_verified"
      throw error;
    }
    return data;
  }

  function keep(tokens) {
    accessToken = tokens.access_token;
    refreshToken = tokens.refresh_token;
  }

  async function refresh() {
    refreshing ??= call("/token/refresh", {
      method: "POST",
      body: { refresh_token: refreshToken },
      auth: false,
    })
      .then(keep)
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  }

  return {
    async login(email, password) {
      keep(await call("/login", { method: "POST", body: { email, password }, auth: false }));
    },
    // Calls an authenticated endpoint; on 401 refreshes once and tries again.
    async authed(path, options) {
      try {
        return await call(path, options);
      } catch (error) {
        if (error.status !== 401 || !refreshToken) throw error;
        await refresh(); // a refused refresh throws: the user must log in again
        return call(path, options);
      }
    },
    async logout() {
      if (refreshToken) {
        await call("/logout", { method: "POST", body: { refresh_token: refreshToken }, auth: false });
      }
      accessToken = refreshToken = null;
    },
    // For tests and for apps that show "signed in": never send these anywhere but Latchkey.
    get accessToken() {
      return accessToken;
    },
    forgetAccessToken() {
      accessToken = "expired";
    },
  };
}
// --- end snippet ---
