// GET /healthz (liveness) and GET /readyz (readiness), whatever serves them.

// Bounds each readiness probe, so that /readyz answers within about a second
// even when a dependency hangs.
const CHECK_TIMEOUT_MS = 1000;

/** Answers when a dependency is reachable; rejects otherwise. */
export type Probe = () => Promise<unknown>;

export interface Health {
  status: "ok";
}

export interface Readiness {
  status: "ready" | "unavailable" | "draining";
  checks: Record<string, "ok" | "error">;
}

/** Alive while the process runs. It touches no dependency: a database outage
 * should take the service out of rotation, not get it restarted. */
export function health(): Health {
  return { status: "ok" };
}

/** Ready when every dependency answers within a second; never while draining. */
export async function readiness(
  probes: Readonly<Record<string, Probe>>,
  draining: boolean,
  onFailure: (check: string, error: unknown) => void,
): Promise<{ status: 200 | 503; body: Readiness }> {
  if (draining) {
    return { status: 503, body: { status: "draining", checks: {} } };
  }
  const names = Object.keys(probes);
  const results = await Promise.all(
    names.map(async (name) => {
      try {
        await withTimeout(probes[name]?.(), CHECK_TIMEOUT_MS);
        return "ok" as const;
      } catch (error) {
        onFailure(name, error);
        return "error" as const;
      }
    }),
  );
  const checks = Object.fromEntries(
    names.map((name, i) => [name, results[i] ?? "error"]),
  );
  return results.every((result) => result === "ok")
    ? { status: 200, body: { status: "ready", checks } }
    : { status: 503, body: { status: "unavailable", checks } };
}

async function withTimeout(work: unknown, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  try {
    await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
