// Server features the client's tests cover before the server has them. A test that needs one
// runs as a `todo` (reported, not failing) while the feature is listed here; remove it from the
// list when the server lands it, and the test must pass. `LATCHKEY_PENDING=""` runs every test
// as a real one (e.g. against a newer server).
// Nothing is pending now: every server feature the tests cover is on main.
export const PENDING = new Set(
  (process.env.LATCHKEY_PENDING ?? "").split(",").map((s) => s.trim()).filter(Boolean),
);

/** The `todo` option for a test that needs `feature`: a reason while it is pending, else false. */
export function needs(feature) {
  return PENDING.has(feature) ? `waits for the server: ${feature}` : false;
}
